"""Face detection jobs (StartFaceDetection/GetFaceDetection) with the CenterFace model of ``_faces``.

Every sampled frame (the same sampling as person tracking: ``sample_interval_ms``) is searched
whole, with no person detector in front, and each face becomes one ``FaceDetection`` item::

    {"Timestamp": ms, "Face": {"BoundingBox", "Confidence", "Landmarks", "Pose", "Quality"}}

- ``BoundingBox``: the CenterFace box as ratios of the frame (clamped inside it).
- ``Confidence``: the CenterFace heatmap score x 100 (faces below 50 are not reported; the
  operation has no MinConfidence parameter).
- ``Landmarks``: CenterFace's five points as ``eyeLeft``, ``eyeRight``, ``nose``, ``mouthLeft``,
  ``mouthRight`` (the image's left first), ratios of the frame.
- ``Quality``: measured on the face's crop of the original frame in grey levels: ``Brightness``
  is the mean level on 0..100 (255 → 100); ``Sharpness`` is the variance ``v`` of the Laplacian
  mapped to 0..100 as ``100 v / (v + 100)``.
- ``Pose``: only ``Roll``, the angle in degrees of the line from ``eyeLeft`` to ``eyeRight``
  against the horizontal (positive when the right-hand eye is lower in the image). Yaw and pitch
  from a 3-D template fitted to the five points were measured (``benchmarks/pose.py``) and are not
  reliable enough at the sizes CenterFace's landmarks allow, so they are absent.

``FaceAttributes=ALL`` answers the same fields: rekotrack computes no age range, emotions,
smile, glasses, beard, gender or eye direction, and never invents them.

CenterFace misses faces under about 10 pixels, the size of faces in surveillance footage at
768x576 or less; frames whose longer side is at most :data:`UPSCALE_MAX_SIDE` are therefore
enlarged :data:`UPSCALE` times (bilinear) before the search, at about 5 times the CPU per frame
(measured in docs/self-hosted.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from rekotrack.selfhosted.vision._geometry import box_ratios

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from rekotrack.selfhosted.vision._faces import FaceBox
    from rekotrack.selfhosted.vision._settings import AnalyzerSettings
    from rekotrack.selfhosted.vision._video import VideoInfo

__all__ = ["UPSCALE", "UPSCALE_MAX_SIDE", "FaceAnalysis", "detect_faces", "face_detail", "face_scale"]

UPSCALE: Final = 2.0
"""How much a small frame is enlarged before the face search."""
UPSCALE_MAX_SIDE: Final = 800
"""Frames whose longer side is at most this many pixels are enlarged by :data:`UPSCALE`."""


@dataclass
class FaceAnalysis:
    """A finished face analysis: the container's metadata and the ``Faces`` in timestamp order."""

    info: VideoInfo
    faces: list[dict[str, Any]]
    frames: int
    seconds: float


def face_scale(width: int, height: int) -> float:
    """The factor a ``width`` x ``height`` frame is enlarged by before the face search."""
    return UPSCALE if max(width, height) <= UPSCALE_MAX_SIDE else 1.0


def _ratio(value: float, size: int) -> float:
    return round(min(max(value / size, 0.0), 1.0), 6)


def face_detail(face: FaceBox, width: int, height: int) -> dict[str, Any]:
    """A :class:`~rekotrack.selfhosted.vision._faces.FaceBox` (pixels of the original frame) as a ``FaceDetail``."""
    from rekotrack.selfhosted.vision._faces import LANDMARK_TYPES

    x1, y1, x2, y2 = (float(v) for v in face.box)
    detail: dict[str, Any] = {
        "BoundingBox": box_ratios((x1, y1, x2, y2), width, height),
        "Landmarks": [
            {"Type": kind, "X": _ratio(x, width), "Y": _ratio(y, height)}
            for kind, (x, y) in zip(LANDMARK_TYPES, face.landmarks, strict=True)
        ],
        "Quality": {"Brightness": face.brightness, "Sharpness": face.sharpness},
        "Confidence": round(face.score * 100.0, 4),
    }
    (lx, ly), (rx, ry) = face.landmarks[0], face.landmarks[1]
    if (lx, ly) != (rx, ry):
        detail["Pose"] = {"Roll": round(math.degrees(math.atan2(ry - ly, rx - lx)), 4)}
    return detail


def faces_in_frame(detector: Any, image: npt.NDArray[np.uint8]) -> list[FaceBox]:
    """CenterFace's faces in ``image`` (enlarged first when small), in the image's pixels, with the
    quality measured on the original pixels."""
    import cv2

    from rekotrack.selfhosted.vision._faces import FaceBox, quality

    height, width = image.shape[:2]
    scale = face_scale(width, height)
    if scale == 1.0:
        return list(detector.detect(image))
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    found: list[FaceBox] = []
    for face in detector.detect(big):
        box = (face.box[0] / scale, face.box[1] / scale, face.box[2] / scale, face.box[3] / scale)
        brightness, sharpness = quality(gray, box)
        marks = tuple((x / scale, y / scale) for x, y in face.landmarks)
        found.append(FaceBox(box, face.score, marks, brightness, sharpness))
    return found


def detect_faces(
    path: Path, settings: AnalyzerSettings, *, progress: Callable[[int, int], None] | None = None
) -> FaceAnalysis:
    """Every face in the sampled frames of the video at ``path`` (raises ``VideoError`` if it cannot be read).

    ``progress(done, expected)`` is called after every sampled frame; ``expected`` is the sampled
    frames between the first frame's timestamp and the container's duration.
    """
    from rekotrack.selfhosted.vision._faces import FaceDetector
    from rekotrack.selfhosted.vision._video import iter_frames, probe, sample_frames

    started = time.perf_counter()
    info = probe(path)
    step_ms = max(float(settings.sample_interval_ms), 1000.0 / info.frame_rate if info.frame_rate > 0 else 0.0)
    step_ms = step_ms or 100.0
    expected = 0
    detector = FaceDetector(threads=settings.threads)
    items: list[dict[str, Any]] = []
    frames = 0
    for timestamp, image in sample_frames(iter_frames(path), settings.sample_interval_ms):
        height, width = image.shape[:2]
        found = [face_detail(face, width, height) for face in faces_in_frame(detector, image)]
        found.sort(key=lambda f: (f["BoundingBox"]["Left"], f["BoundingBox"]["Top"]))
        items.extend({"Timestamp": timestamp, "Face": face} for face in found)
        frames += 1
        if frames == 1 and info.duration_ms:  # the container's duration is where it ends, from time 0
            expected = max(1, round((info.duration_ms - timestamp) / step_ms))
        if progress is not None:
            progress(frames, max(expected, frames))
    return FaceAnalysis(info=info, faces=items, frames=frames, seconds=time.perf_counter() - started)
