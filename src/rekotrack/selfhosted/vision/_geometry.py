"""Box arithmetic shared by the detector, the tracker, the offline linking and the faces (numpy only)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["FloatArray", "box_ratios", "box_tuple", "iou_matrix"]

FloatArray = npt.NDArray[np.float64]


def iou_matrix(a: FloatArray, b: FloatArray) -> FloatArray:
    """Pairwise IoU of boxes ``a`` (N x 4) and ``b`` (M x 4) given as x1, y1, x2, y2."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    out: FloatArray = np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
    return out


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


def box_tuple(box: FloatArray) -> tuple[float, float, float, float]:
    """``(x1, y1, x2, y2)`` of one box row as plain floats."""
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
