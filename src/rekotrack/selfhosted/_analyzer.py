"""The video pipeline: decode → sample → detect people → track (ByteTrack) → (faces) → Persons.

:func:`analyze` runs in a worker process; everything heavy is imported here, lazily.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rekotrack.selfhosted._bytetrack import ByteTracker
from rekotrack.selfhosted._detector import appearance, make_detector
from rekotrack.selfhosted._settings import AnalyzerSettings
from rekotrack.selfhosted._video import VideoInfo, iter_frames, probe, sample_frames

if TYPE_CHECKING:
    from rekotrack.selfhosted._faces import FaceBox

__all__ = ["Analysis", "analyze", "box_ratios"]

_log = logging.getLogger("rekotrack.selfhosted")


@dataclass
class Analysis:
    """A finished analysis: the container's metadata and the ``Persons`` in TIMESTAMP order."""

    info: VideoInfo
    persons: list[dict[str, Any]]
    frames: int
    seconds: float
    detector: str

    @property
    def fps(self) -> float:
        """Sampled frames analysed per second of processing."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def box_ratios(box: tuple[float, float, float, float], width: int, height: int) -> dict[str, float]:
    """A pixel box (x1, y1, x2, y2) as the service's BoundingBox: ratios of the frame, inside it."""
    x1 = min(max(box[0], 0.0), width)
    y1 = min(max(box[1], 0.0), height)
    x2 = min(max(box[2], 0.0), width)
    y2 = min(max(box[3], 0.0), height)
    return {
        "Width": round((x2 - x1) / width, 6),
        "Height": round((y2 - y1) / height, 6),
        "Left": round(x1 / width, 6),
        "Top": round(y1 / height, 6),
    }


def analyze(
    path: Path,
    settings: AnalyzerSettings | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    limit_ms: int | None = None,
) -> Analysis:
    """Track the people in the video at ``path``; raises :class:`~rekotrack.selfhosted.VideoError`.

    ``progress(done, expected)`` is called after every sampled frame; ``limit_ms`` stops at that
    timestamp (the accuracy benchmark scores the first 400 frames only).
    """
    settings = settings or AnalyzerSettings()
    started = time.perf_counter()
    info = probe(path)
    detector = make_detector(settings.detector, threads=settings.threads, tiles=settings.tiles)
    faces = None
    if settings.faces:
        from rekotrack.selfhosted._faces import FaceDetector

        faces = FaceDetector(threads=settings.threads)
    step_ms = max(float(settings.sample_interval_ms), 1000.0 / info.frame_rate if info.frame_rate > 0 else 0.0)
    step_ms = step_ms or 100.0
    tracker_settings = replace(
        settings.tracker,
        lost_frames=max(1, round(settings.lost_seconds * 1000 / step_ms)),
        max_gap_frames=max(0, round(settings.fill_gap_seconds * 1000 / step_ms)),
        link_frames=max(0, round(settings.link_seconds * 1000 / step_ms)),
    )
    use_appearance = tracker_settings.appearance_weight > 0 or tracker_settings.link_frames > 0
    tracker = ByteTracker(tracker_settings)
    timestamps: list[int] = []
    face_boxes: list[list[FaceBox]] = []
    expected = max(1, int(info.duration_ms / step_ms)) if info.duration_ms else 0
    for timestamp, image in sample_frames(iter_frames(path), settings.sample_interval_ms):
        if limit_ms is not None and timestamp >= limit_ms:
            break
        boxes, scores = detector.detect(image)
        tracker.update(boxes, scores, appearance(image, boxes) if use_appearance else None)
        timestamps.append(timestamp)
        if faces is not None:
            face_boxes.append(faces.detect(image, boxes[scores >= tracker_settings.low_threshold]))
        if progress is not None:
            progress(len(timestamps), expected)
    width, height = info.width, info.height
    persons: list[dict[str, Any]] = []
    for box in tracker.finish():
        person: dict[str, Any] = {"Index": box.track, "BoundingBox": box_ratios(box.box, width, height)}
        if faces is not None and box.observed:
            from rekotrack.selfhosted._faces import face_for_person

            face = face_for_person(face_boxes[box.frame], box.box, width, height)
            if face is not None:
                person["Face"] = face
        persons.append({"Timestamp": timestamps[box.frame], "Person": person})
    persons.sort(key=lambda d: (d["Timestamp"], d["Person"]["Index"]))
    elapsed = time.perf_counter() - started
    return Analysis(info=info, persons=persons, frames=len(timestamps), seconds=elapsed, detector=detector.name)
