"""Person detectors on OpenCV: SSDLite (the model shipped in ``models/``) and, when asked for, HOG.

SSDLite-MobileNetV2 trained on people (``models/ssdlite_person.pb``, MIT, see ``NOTICE``) runs
through OpenCV's DNN module with the text graph ``models/ssdlite_person.pbtxt`` (generated once
from the frozen graph, as OpenCV's ``tf_text_graph_ssd.py`` does: one class, 300x300 input, SSD
anchors 0.2..0.95 with aspect ratios 1, 2, 1/2, 3, 1/3). TensorFlow is not needed. The frame is
cut into overlapping square tiles so that people far from the camera are not shrunk below what
a 300x300 input can see.

OpenCV's HOG people detector runs only when asked for (``--detector hog``): it needs no model
file but misses anyone under about 128 pixels tall, and its box is its 64x128 search window, not
the person; :data:`HOG_CALIBRATION` maps the window to the person (measured, see its comment).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from rekotrack.selfhosted._geometry import FloatArray
from rekotrack.selfhosted._models import CENTERFACE, SSDLITE, SSDLITE_CONFIG, ModelMissingError, model_path
from rekotrack.selfhosted._settings import DetectorName

__all__ = [
    "HOG_CALIBRATION",
    "HOG_WARNING",
    "Detector",
    "DetectorName",
    "HOGDetector",
    "SSDLiteDetector",
    "appearance",
    "check_models",
    "make_detector",
    "ssdlite_model_path",
]

_log = logging.getLogger("rekotrack.selfhosted")

HOG_CALIBRATION = (0.43, 0.63)
"""Width and height of the person as fractions of HOG's box, about the same centre. Measured on
PETS09-S2L1 frames 1-400 (956 HOG boxes matched to ground-truth people, medians; the centres
agree within 0.2 % of the box): the window of OpenCV's default people detector is a 64x128
crop with a margin around an upright person (Dalal & Triggs trained it on INRIA windows with
the person about 96 of the 128 pixels tall), and detectMultiScale's padding widens it further."""

HOG_WARNING = (
    "person detector: OpenCV HOG (--detector hog). Its accuracy is far below SSDLite's: it misses people "
    "under about 128 pixels tall (docs/self-hosted.md, Accuracy); use it only to compare"
)


class Detector(Protocol):
    """Finds people in one BGR frame: boxes in pixels (x1, y1, x2, y2) and scores in 0..1."""

    name: str

    def detect(self, frame: npt.NDArray[np.uint8]) -> tuple[FloatArray, FloatArray]: ...


def ssdlite_model_path() -> Path | None:
    """The verified SSDLite graph shipped in ``rekotrack/selfhosted/models``, or None if missing or damaged."""
    try:
        return model_path(SSDLITE)
    except ModelMissingError:
        return None


def check_models(detector: DetectorName, faces: bool) -> None:
    """Raise :class:`~rekotrack.selfhosted._models.ModelMissingError` (one line: how to install)
    unless the model files these settings need are present and intact. Never falls back; with
    ``hog`` (asked for), logs the warning about its accuracy."""
    if detector == "hog":
        _log.warning(HOG_WARNING)
    if detector == "ssdlite":
        model_path(SSDLITE)
        model_path(SSDLITE_CONFIG)
    if faces:
        model_path(CENTERFACE)


@dataclass(frozen=True)
class _Tile:
    x: int
    y: int
    size: int


def _tiles(width: int, height: int, tiles: int | None) -> list[_Tile]:
    """Overlapping square tiles along the long side (``None``: as many as the aspect ratio needs)."""
    side = min(width, height)
    long = max(width, height)
    count = max(1, math.ceil(long / side - 0.05)) if tiles is None else max(1, tiles)
    if count == 1:
        return [_Tile(0, 0, side)] if width == height else [_Tile((width - side) // 2, (height - side) // 2, side)]
    step = (long - side) / (count - 1)
    offsets = [round(i * step) for i in range(count)]
    return [_Tile(o, 0, side) if width >= height else _Tile(0, o, side) for o in offsets]


def _nms(boxes: FloatArray, scores: FloatArray, iou: float) -> npt.NDArray[np.intp]:
    import cv2

    if len(boxes) == 0:
        return np.zeros(0, dtype=np.intp)
    rects = [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes]
    keep = cv2.dnn.NMSBoxes(rects, [float(s) for s in scores], 0.0, iou)
    return np.asarray(keep, dtype=np.intp).reshape(-1)


class SSDLiteDetector:
    """SSDLite-MobileNetV2 person detector on OpenCV DNN, over overlapping square tiles."""

    name = "ssdlite"

    def __init__(
        self,
        model: Path | None = None,
        *,
        tiles: int | None = None,
        min_score: float = 0.1,
        nms_iou: float = 0.5,
        threads: int | None = None,
    ) -> None:
        import cv2

        model = model or model_path(SSDLITE)  # ModelMissingError if missing or damaged
        if threads is not None:
            cv2.setNumThreads(threads)
        self._net: Any = cv2.dnn.readNetFromTensorflow(str(model), str(model_path(SSDLITE_CONFIG)))
        self.tiles = tiles
        self.min_score = min_score
        self.nms_iou = nms_iou

    def detect(self, frame: npt.NDArray[np.uint8]) -> tuple[FloatArray, FloatArray]:
        import cv2

        height, width = frame.shape[:2]
        all_boxes: list[FloatArray] = []
        all_scores: list[FloatArray] = []
        for tile in _tiles(width, height, self.tiles):
            crop = frame[tile.y : tile.y + tile.size, tile.x : tile.x + tile.size]
            self._net.setInput(cv2.dnn.blobFromImage(crop, size=(300, 300), swapRB=True))
            out = self._net.forward()[0, 0]
            out = out[out[:, 2] >= self.min_score]
            boxes = np.clip(out[:, 3:7], 0.0, 1.0).astype(np.float64) * tile.size
            boxes += np.array([tile.x, tile.y, tile.x, tile.y], dtype=np.float64)
            all_boxes.append(boxes)
            all_scores.append(out[:, 2].astype(np.float64))
        boxes = np.concatenate(all_boxes) if all_boxes else np.zeros((0, 4))
        scores = np.concatenate(all_scores) if all_scores else np.zeros(0)
        ok = (boxes[:, 2] - boxes[:, 0] >= 2) & (boxes[:, 3] - boxes[:, 1] >= 4)
        boxes, scores = boxes[ok], scores[ok]
        keep = _nms(boxes, scores, self.nms_iou)
        return boxes[keep], scores[keep]


class HOGDetector:
    """OpenCV's HOG + linear SVM people detector (no model file; slower and far less accurate).

    Boxes are shrunk about their centre by :data:`HOG_CALIBRATION` so that they cover the person
    rather than the detector's search window (``calibrate=False``: the raw window).
    """

    name = "hog"

    def __init__(
        self, *, scale: float = 1.05, nms_iou: float = 0.4, threads: int | None = None, calibrate: bool = True
    ) -> None:
        import cv2

        if threads is not None:
            cv2.setNumThreads(threads)
        self._hog: Any = cv2.HOGDescriptor()
        self._hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), dtype=np.float32))
        self.scale = scale
        self.nms_iou = nms_iou
        self.calibration = HOG_CALIBRATION if calibrate else (1.0, 1.0)

    def detect(self, frame: npt.NDArray[np.uint8]) -> tuple[FloatArray, FloatArray]:
        rects, weights = self._hog.detectMultiScale(frame, winStride=(8, 8), padding=(8, 8), scale=self.scale)
        if len(rects) == 0:
            return np.zeros((0, 4)), np.zeros(0)
        rects = np.asarray(rects, dtype=np.float64).reshape(-1, 4)
        boxes = np.c_[rects[:, 0], rects[:, 1], rects[:, 0] + rects[:, 2], rects[:, 1] + rects[:, 3]]
        # SVM margins to 0..1: a margin of 0 is the detector's own threshold.
        scores = 1.0 / (1.0 + np.exp(-2.0 * np.asarray(weights, dtype=np.float64).reshape(-1)))
        keep = _nms(boxes, scores, self.nms_iou)
        boxes, scores = boxes[keep], scores[keep]
        width, height = self.calibration
        centre_x, centre_y = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
        half_w, half_h = (boxes[:, 2] - boxes[:, 0]) * width / 2, (boxes[:, 3] - boxes[:, 1]) * height / 2
        return np.c_[centre_x - half_w, centre_y - half_h, centre_x + half_w, centre_y + half_h], scores


def make_detector(name: DetectorName = "ssdlite", *, threads: int | None = None, tiles: int | None = None) -> Detector:
    """SSDLite (raises ModelMissingError if its model file is missing or damaged), or HOG with a warning."""
    if name == "hog":
        _log.warning(HOG_WARNING)
        return HOGDetector(threads=threads)
    if name != "ssdlite":
        raise ValueError(f"unknown detector {name!r}: ssdlite or hog")
    return SSDLiteDetector(threads=threads, tiles=tiles)


def appearance(frame: npt.NDArray[np.uint8], boxes: FloatArray) -> FloatArray:
    """A unit-norm colour signature per box: hue/saturation histograms of the upper and lower body.

    The centre of the box is used (20 % off each side, 10 % off top and bottom) so that the
    background and neighbours weigh little. Cheap (tens of microseconds a box) and enough to
    tell people apart when their boxes cross.
    """
    import cv2

    hsv = cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)
    height, width = frame.shape[:2]
    out = np.zeros((len(boxes), 2 * 16 * 4))
    for k, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, dtype=np.float64).reshape(-1, 4)):
        w, h = x2 - x1, y2 - y1
        left, right = int(max(0.0, x1 + 0.2 * w)), int(min(float(width), x2 - 0.2 * w))
        top, bottom = int(max(0.0, y1 + 0.1 * h)), int(min(float(height), y2 - 0.1 * h))
        if right <= left or bottom - top < 2:
            continue
        crop = hsv[top:bottom, left:right]
        middle = (bottom - top) // 2
        parts = []
        for part in (crop[:middle], crop[middle:]):
            hist = cv2.calcHist([part], [0, 1], None, [16, 4], [0, 180, 0, 256]).ravel()
            parts.append(hist / max(float(hist.sum()), 1.0))
        signature = np.concatenate(parts)
        out[k] = signature / max(float(np.linalg.norm(signature)), 1e-9)
    return out
