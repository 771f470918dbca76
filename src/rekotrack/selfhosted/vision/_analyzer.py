"""The video pipeline: decode → sample → detect people → tracklets → (faces) → offline linking → Persons.

:func:`analyze` runs in a worker process; everything heavy is imported lazily. The job has the
whole video before it answers, so it works in two passes: the first (:func:`detect_frames`)
decodes every sampled frame, finds the people, their colour signatures and (with ``faces``) the
faces, and feeds the online tracker, which cuts the video into tracklets; the second
(:mod:`._linking`) links the tracklets across gaps and occlusions using the whole clip, smooths
each person's box and fills short gaps. The time of each stage is kept in
:attr:`Analysis.stages`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rekotrack.selfhosted.vision._geometry import FloatArray, box_ratios
from rekotrack.selfhosted.vision._settings import AnalyzerSettings, ByteTrackSettings
from rekotrack.selfhosted.vision._video import VideoInfo, iter_frames, probe, sample_frames

if TYPE_CHECKING:
    from rekotrack.selfhosted.vision._faces import FaceBox

__all__ = ["STAGES", "Analysis", "FrameDetections", "analyze", "box_ratios", "detect_frames", "tracker_settings"]

_log = logging.getLogger("rekotrack.selfhosted")

STAGES = ("decode", "detect", "track", "faces")
"""The stages whose wall-clock seconds :attr:`Analysis.stages` holds (``detect`` includes the
colour signatures; ``track`` is the online association plus the offline linking)."""


@dataclass
class FrameDetections:
    """What the first pass found in one sampled frame: person boxes (pixels, x1 y1 x2 y2), their
    scores and colour signatures, and the faces (None without ``faces``)."""

    timestamp: int
    boxes: FloatArray
    scores: FloatArray
    features: FloatArray
    faces: list[FaceBox] | None = None


@dataclass
class Analysis:
    """A finished analysis: the container's metadata and the ``Persons`` in TIMESTAMP order."""

    info: VideoInfo
    persons: list[dict[str, Any]]
    frames: int
    seconds: float
    detector: str
    stages: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds per stage (:data:`STAGES`)."""
    cpu_seconds: float = 0.0
    """CPU time of the process (all its threads) over the analysis."""

    @property
    def fps(self) -> float:
        """Sampled frames analysed per second of processing."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def _step_ms(info: VideoInfo, settings: AnalyzerSettings) -> float:
    step = max(float(settings.sample_interval_ms), 1000.0 / info.frame_rate if info.frame_rate > 0 else 0.0)
    return step or 100.0


def tracker_settings(settings: AnalyzerSettings, step_ms: float) -> ByteTrackSettings:
    """The tracker's frame counts for a sampling step: the settings' seconds turned into frames."""
    rate = 1000.0 / step_ms  # sampled frames a second
    cfg = settings.tracker
    return replace(
        cfg,
        lost_frames=max(1, round(settings.lost_seconds * rate)),
        max_gap_frames=max(0, round(settings.fill_gap_seconds * rate)),
        link_frames=max(0, round(settings.link_seconds * rate)),
        link_overlap_frames=max(0, round(settings.link_overlap_seconds * rate)),
        smooth_frames=max(0.0, settings.smooth_seconds * rate),
        frame_rate=rate,
        link_growth_frames=max(1, round(cfg.link_growth_frames * rate / 10)),
        link_velocity_frames=max(1, round(cfg.link_velocity_frames * rate / 10)),
    )


def detect_frames(
    path: Path,
    settings: AnalyzerSettings,
    info: VideoInfo,
    *,
    stages: dict[str, float] | None = None,
    limit_ms: int | None = None,
) -> Iterator[FrameDetections]:
    """First pass: every sampled frame's detections (adds each stage's seconds to ``stages``)."""
    from rekotrack.selfhosted.vision._detector import appearance, make_detector

    stages = stages if stages is not None else {}
    for name in STAGES:
        stages.setdefault(name, 0.0)
    detector = make_detector(settings.detector, threads=settings.threads, tiles=settings.tiles,
                             precision=settings.precision)
    faces = None
    if settings.faces:
        from rekotrack.selfhosted.vision._faces import FaceDetector

        faces = FaceDetector(threads=settings.threads)
    low = settings.tracker.low_threshold
    frames = sample_frames(iter_frames(path), settings.sample_interval_ms)
    while True:
        clock = time.perf_counter()
        try:
            timestamp, image = next(frames)
        except StopIteration:
            return
        now = time.perf_counter()
        stages["decode"] += now - clock
        if limit_ms is not None and timestamp >= limit_ms:
            return
        boxes, scores = detector.detect(image)
        features = appearance(image, boxes)
        clock, now = now, time.perf_counter()
        stages["detect"] += now - clock
        found = None
        if faces is not None:
            found = faces.detect(image, boxes[scores >= low])
            stages["faces"] += time.perf_counter() - now
        yield FrameDetections(timestamp, boxes, scores, features, found)


def analyze(
    path: Path,
    settings: AnalyzerSettings | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    limit_ms: int | None = None,
    detections: Iterable[FrameDetections] | None = None,
    stages: dict[str, float] | None = None,
) -> Analysis:
    """Track the people in the video at ``path``; raises :class:`~rekotrack.selfhosted.VideoError`,
    or :class:`~rekotrack.selfhosted.vision._models.ModelMissingError` if a model file is missing.

    ``progress(done, expected)`` is called after every sampled frame; ``limit_ms`` stops at that
    timestamp (the accuracy benchmark scores parts of a clip); ``detections`` replays a first
    pass recorded earlier instead of decoding and detecting again (the benchmark's cache);
    ``stages`` is the dict the stage seconds are added to (default: a new one).
    """
    from rekotrack.selfhosted.vision._bytetrack import ByteTracker
    from rekotrack.selfhosted.vision._detector import HOGDetector, SSDLiteDetector

    settings = settings or AnalyzerSettings()
    started, cpu_started = time.perf_counter(), time.process_time()
    info = probe(path)
    step_ms = _step_ms(info, settings)
    cfg = tracker_settings(settings, step_ms)
    tracker = ByteTracker(replace(cfg, frame_width=info.width, frame_height=info.height))
    stages = stages if stages is not None else {}
    for name in STAGES:
        stages.setdefault(name, 0.0)
    source = detections if detections is not None else detect_frames(
        path, settings, info, stages=stages, limit_ms=limit_ms
    )
    timestamps: list[int] = []
    face_boxes: list[list[FaceBox]] = []
    expected = max(1, int(info.duration_ms / step_ms)) if info.duration_ms else 0
    for frame in source:
        if limit_ms is not None and frame.timestamp >= limit_ms:
            break
        clock = time.perf_counter()
        tracker.update(frame.boxes, frame.scores, frame.features)
        stages["track"] += time.perf_counter() - clock
        timestamps.append(frame.timestamp)
        if settings.faces:
            face_boxes.append(frame.faces or [])
        if progress is not None:
            progress(len(timestamps), expected)
    clock = time.perf_counter()
    boxes = tracker.finish()
    width, height = info.width, info.height
    persons: list[dict[str, Any]] = []
    attach: Callable[[list[FaceBox], tuple[float, float, float, float], int, int], dict[str, Any] | None] | None
    attach = None
    if settings.faces:
        from rekotrack.selfhosted.vision._faces import face_for_person

        attach = face_for_person
    for box in boxes:
        person: dict[str, Any] = {"Index": box.track, "BoundingBox": box_ratios(box.box, width, height)}
        if attach is not None and box.observed:
            face = attach(face_boxes[box.frame], box.box, width, height)
            if face is not None:
                person["Face"] = face
        persons.append({"Timestamp": timestamps[box.frame], "Person": person})
    persons.sort(key=lambda d: (d["Timestamp"], d["Person"]["Index"]))
    stages["track"] += time.perf_counter() - clock
    name = {"ssdlite": SSDLiteDetector.name, "hog": HOGDetector.name}[settings.detector]
    return Analysis(
        info=info, persons=persons, frames=len(timestamps), seconds=time.perf_counter() - started, detector=name,
        stages=stages, cpu_seconds=time.process_time() - cpu_started,
    )
