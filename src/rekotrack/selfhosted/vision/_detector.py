"""Person detectors: SSDLite (the model shipped in ``models/``) and, when asked for, OpenCV's HOG.

SSDLite-MobileNetV2 trained on people (``models/ssdlite_person.pb``, MIT, see ``NOTICE``) runs on
onnxruntime from ``models/ssdlite_person.onnx``: the same graph converted once by
``scripts/convert_detector.py`` (input: uint8 BGR tiles resized to 300x300; outputs: the graph's
own decoded boxes and sigmoid scores for its 1917 anchors). The non-maximum suppression that
followed in the TensorFlow graph is :func:`ssd_postprocess`, which does what OpenCV's
``DetectionOutput`` layer does. ``engine="opencv"`` runs the frozen graph on OpenCV's DNN module
instead, with the text graph ``models/ssdlite_person.pbtxt`` (generated once, as OpenCV's
``tf_text_graph_ssd.py`` does): the reference the ONNX path is tested against, and what
rekotrack used before. Neither needs TensorFlow or the ``onnx`` package.

The frame is cut into overlapping square tiles so that people far from the camera are not
shrunk below what a 300x300 input can see; onnxruntime runs all the tiles of a frame in one
call.

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

from rekotrack.selfhosted.vision._geometry import FloatArray
from rekotrack.selfhosted.vision._models import (
    CENTERFACE,
    SSDLITE,
    SSDLITE_CONFIG,
    ModelFile,
    ModelMissingError,
    model_path,
)
from rekotrack.selfhosted.vision._settings import DetectorEngine, DetectorName, DetectorPrecision

__all__ = [
    "HOG_CALIBRATION",
    "HOG_WARNING",
    "SSDLITE_INT8_ONNX",
    "SSDLITE_MODELS",
    "SSDLITE_ONNX",
    "SSD_INPUT",
    "Detector",
    "DetectorEngine",
    "DetectorName",
    "HOGDetector",
    "SSDLiteDetector",
    "appearance",
    "check_models",
    "make_detector",
    "ssd_postprocess",
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


SSDLITE_ONNX = ModelFile(
    "ssdlite_person.onnx", "8a3def0d246439719b9ad4840d74a091dd5b0edc99b3e17a5e55c478eb446232",
    "the SSDLite person detector",
)
"""``ssdlite_person.pb`` converted to ONNX by ``scripts/convert_detector.py`` (see ``NOTICE``)."""

SSDLITE_INT8_ONNX = ModelFile(
    "ssdlite_person_int8.onnx", "9e77aab07afc368d27e0c9d082672b3817d12d9f3a4bd86bcd3e91c100d61596",
    "the int8 SSDLite person detector",
)
"""``ssdlite_person.onnx`` quantised to int8 by ``scripts/quantize_detector.py --method minmax`` (see
``NOTICE``); run only with ``precision="int8"``."""

SSDLITE_MODELS: dict[DetectorPrecision, ModelFile] = {"fp32": SSDLITE_ONNX, "int8": SSDLITE_INT8_ONNX}

SSD_INPUT = 300
"""The side of the square the SSDLite graph takes (its anchors are computed for it)."""


def ssdlite_model_path() -> Path | None:
    """The verified SSDLite model the detector runs (``ssdlite_person.onnx`` in ``rekotrack/selfhosted/models``),
    or None if missing or damaged."""
    try:
        return model_path(SSDLITE_ONNX)
    except ModelMissingError:
        return None


def check_models(detector: DetectorName, faces: bool, precision: DetectorPrecision = "fp32") -> None:
    """Raise :class:`~rekotrack.selfhosted.vision._models.ModelMissingError` (one line: how to install)
    unless the model files these settings need are present and intact. Never falls back; with
    ``hog`` (asked for), logs the warning about its accuracy."""
    if detector == "hog":
        _log.warning(HOG_WARNING)
    if detector == "ssdlite":
        model_path(_ssdlite_model(precision))
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


def _greedy_nms(boxes: FloatArray, iou: float) -> list[int]:
    """Indices kept by greedy non-maximum suppression of ``boxes`` (x1 y1 x2 y2) already sorted by
    score: a box is dropped if it overlaps a kept one by more than ``iou`` (intersection over union
    with areas ``w * h``, as OpenCV's ``DetectionOutput`` computes them for normalised boxes)."""
    x1, y1, x2, y2 = boxes.T
    area = np.maximum(x2 - x1, 0.0) * np.maximum(y2 - y1, 0.0)
    keep: list[int] = []
    for k in range(len(boxes)):
        if keep:
            kept = np.asarray(keep)
            w = np.minimum(x2[kept], x2[k]) - np.maximum(x1[kept], x1[k])
            h = np.minimum(y2[kept], y2[k]) - np.maximum(y1[kept], y1[k])
            inter = np.where((w > 0) & (h > 0), w * h, 0.0)
            union = area[kept] + area[k] - inter
            overlap = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
            if np.any(overlap > iou):
                continue
        keep.append(k)
    return keep


def ssd_postprocess(
    boxes: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    *,
    min_score: float,
    nms_iou: float = 0.6,
    top_k: int = 100,
    keep_top_k: int = 100,
) -> tuple[FloatArray, FloatArray]:
    """One image's detections from the SSD graph's decoded anchors, as OpenCV's ``DetectionOutput``
    layer makes them with the parameters of ``ssdlite_person.pbtxt`` (one class, NMS IoU 0.6,
    ``top_k`` and ``keep_top_k`` 100).

    ``boxes`` are the graph's ``ymin xmin ymax xmax`` (0..1, not clipped) and ``scores`` the person
    scores, one per anchor. Returns ``x1 y1 x2 y2`` boxes (0..1, not clipped) and their scores,
    highest first, with scores >= ``min_score``. Filtering by ``min_score`` before the top-k and
    the suppression gives the same boxes as the layer's 0.01 threshold followed by ``min_score``:
    the suppression is greedy by score, so a box's fate depends only on higher-scored boxes.
    """
    threshold = max(float(min_score), 0.01)
    candidates = np.flatnonzero(scores >= threshold)
    order = candidates[np.argsort(-scores[candidates], kind="stable")][:top_k]
    picked = np.asarray(boxes, dtype=np.float64)[order][:, [1, 0, 3, 2]]  # to x1 y1 x2 y2
    keep = _greedy_nms(picked, nms_iou)[:keep_top_k]
    return picked[keep], np.asarray(scores, dtype=np.float64)[order][keep]


def _onnx_session(model: Path, threads: int | None) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = max(1, threads or 1)
    options.inter_op_num_threads = 1
    if options.intra_op_num_threads > 1:  # idle threads would spin, burning CPU between frames
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


class SSDLiteDetector:
    """SSDLite-MobileNetV2 person detector over overlapping square tiles, on onnxruntime
    (``engine="onnxruntime"``, one call per frame) or OpenCV DNN (``engine="opencv"``).

    ``threads``: onnxruntime's intra-op threads (None: 1, the least CPU per frame) or, for the
    OpenCV engine, OpenCV's threads (None: OpenCV's default). ``precision``: which shipped ONNX model
    (``fp32``, or ``int8`` on onnxruntime only) when ``model`` is not given.
    """

    name = "ssdlite"

    def __init__(
        self,
        model: Path | None = None,
        *,
        tiles: int | None = None,
        min_score: float = 0.1,
        nms_iou: float = 0.5,
        threads: int | None = None,
        engine: DetectorEngine = "onnxruntime",
        precision: DetectorPrecision = "fp32",
    ) -> None:
        import cv2

        if engine not in ("onnxruntime", "opencv"):
            raise ValueError(f"unknown detector engine {engine!r}: onnxruntime or opencv")
        onnx_model = _ssdlite_model(precision)
        if precision != "fp32" and engine != "onnxruntime":
            raise ValueError(f"the {precision} SSDLite model runs on onnxruntime only, not {engine}")
        self.engine: DetectorEngine = engine
        self._net: Any = None
        self._session: Any = None
        if engine == "opencv":
            model = model or model_path(SSDLITE)  # ModelMissingError if missing or damaged
            if threads is not None:
                cv2.setNumThreads(threads)
            self._net = cv2.dnn.readNetFromTensorflow(str(model), str(model_path(SSDLITE_CONFIG)))
        else:
            self._session = _onnx_session(model or model_path(onnx_model), threads)
        self.tiles = tiles
        self.min_score = min_score
        self.nms_iou = nms_iou

    def _forward(self, crops: list[npt.NDArray[np.uint8]]) -> list[tuple[FloatArray, FloatArray]]:
        """Each crop's boxes (x1 y1 x2 y2 in 0..1 of the crop, clipped) and scores >= ``min_score``."""
        import cv2

        out: list[tuple[FloatArray, FloatArray]] = []
        if self._session is not None:
            batch = np.stack([cv2.resize(c, (SSD_INPUT, SSD_INPUT), interpolation=cv2.INTER_LINEAR) for c in crops])
            boxes, scores = self._session.run(["boxes", "scores"], {"image": batch})
            for k in range(len(crops)):
                found, confidence = ssd_postprocess(boxes[k], scores[k, :, 1], min_score=self.min_score)
                out.append((np.clip(found, 0.0, 1.0), confidence))
            return out
        for crop in crops:
            self._net.setInput(cv2.dnn.blobFromImage(crop, size=(SSD_INPUT, SSD_INPUT), swapRB=True))
            rows = self._net.forward()[0, 0]
            rows = rows[rows[:, 2] >= self.min_score]
            out.append((np.clip(rows[:, 3:7], 0.0, 1.0).astype(np.float64), rows[:, 2].astype(np.float64)))
        return out

    def detect(self, frame: npt.NDArray[np.uint8]) -> tuple[FloatArray, FloatArray]:
        height, width = frame.shape[:2]
        tiles = _tiles(width, height, self.tiles)
        crops = [frame[t.y : t.y + t.size, t.x : t.x + t.size] for t in tiles]
        all_boxes: list[FloatArray] = []
        all_scores: list[FloatArray] = []
        for tile, (found, confidence) in zip(tiles, self._forward(crops), strict=True):
            all_boxes.append(found * tile.size + np.array([tile.x, tile.y, tile.x, tile.y], dtype=np.float64))
            all_scores.append(confidence)
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


def _ssdlite_model(precision: DetectorPrecision) -> ModelFile:
    if precision not in SSDLITE_MODELS:
        raise ValueError(f"unknown detector precision {precision!r}: fp32 or int8")
    return SSDLITE_MODELS[precision]


def make_detector(
    name: DetectorName = "ssdlite",
    *,
    threads: int | None = None,
    tiles: int | None = None,
    engine: DetectorEngine = "onnxruntime",
    precision: DetectorPrecision = "fp32",
) -> Detector:
    """SSDLite (raises ModelMissingError if its model file is missing or damaged), or HOG with a warning.

    ``precision="int8"``: the int8 SSDLite model, on onnxruntime only (HOG has no precision to choose)."""
    _ssdlite_model(precision)  # a bad precision is refused whichever detector
    if name == "hog":
        _log.warning(HOG_WARNING)
        return HOGDetector(threads=threads)
    if name != "ssdlite":
        raise ValueError(f"unknown detector {name!r}: ssdlite or hog")
    return SSDLiteDetector(threads=threads, tiles=tiles, engine=engine, precision=precision)


def appearance(frame: npt.NDArray[np.uint8], boxes: FloatArray) -> FloatArray:
    """A unit-norm colour signature per box: hue/saturation histograms of the upper and lower body.

    The centre of the box is used (20 % off each side, 10 % off top and bottom) so that the
    background and neighbours weigh little. Cheap (tens of microseconds a box) and enough to
    tell people apart when their boxes cross. Only the pixels used are converted to HSV (the
    same values as converting the whole frame, at a fraction of the cost).
    """
    import cv2

    height, width = frame.shape[:2]
    out = np.zeros((len(boxes), 2 * 16 * 4))
    for k, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, dtype=np.float64).reshape(-1, 4)):
        w, h = x2 - x1, y2 - y1
        left, right = int(max(0.0, x1 + 0.2 * w)), int(min(float(width), x2 - 0.2 * w))
        top, bottom = int(max(0.0, y1 + 0.1 * h)), int(min(float(height), y2 - 0.1 * h))
        if right <= left or bottom - top < 2:
            continue
        crop = cv2.cvtColor(frame[top:bottom, left:right], cv2.COLOR_BGR2HSV)
        middle = (bottom - top) // 2
        parts = []
        for part in (crop[:middle], crop[middle:]):
            hist = cv2.calcHist([part], [0, 1], None, [16, 4], [0, 180, 0, 256]).ravel()
            parts.append(hist / max(float(hist.sum()), 1.0))
        signature = np.concatenate(parts)
        out[k] = signature / max(float(np.linalg.norm(signature)), 1e-9)
    return out
