"""Offline steps over the whole video: link tracklets, smooth the boxes, fill short gaps.

The job has every frame before it answers, so a person's track does not have to be decided
frame by frame. The online tracker (:mod:`._bytetrack`) cuts the video into *tracklets* —
runs of boxes it is sure belong together — and this module then, over the whole clip:

1. **links** a tracklet that ends to one that starts later (or overlaps it by a few frames,
   when the tracker started a second track on the same person), by one global minimum-cost
   assignment of "ends" to "starts". A pair is possible only if both motion checks agree — the
   first tracklet's end moved forward over the gap at its own velocity lands near the second's
   start, *and* the second's start moved backward at its own velocity lands near the first's
   end — if their sizes match, and if they look alike (the colour signature of the last
   observations of one against the first observations of the other);
2. **smooths** each track's box (centre, width, height) with a Gaussian-weighted local linear
   fit over time: detector boxes jitter by several pixels from frame to frame around a person
   who moves smoothly, and a local *linear* fit follows steady walking without lag;
3. **fills** gaps up to ``max_gap_frames`` by linear interpolation between the smoothed boxes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rekotrack.selfhosted._geometry import FloatArray, iou_matrix
from rekotrack.selfhosted._settings import ByteTrackSettings

__all__ = ["TrackBox", "Tracklet", "finish_tracks", "link_tracklets", "smooth_boxes"]

IntArray = npt.NDArray[np.int64]
_NO_LINK = 1e6


@dataclass(frozen=True)
class TrackBox:
    """One box of a finished track: ``frame`` is the sampled frame's position, box in pixels (x1, y1, x2, y2)."""

    track: int
    frame: int
    box: tuple[float, float, float, float]
    observed: bool
    """False for a box filled in by interpolation."""


@dataclass
class Tracklet:
    """Boxes the online tracker associated: ``frames`` increasing, ``boxes`` N x 4 pixels.

    ``head`` and ``tail`` are unit-norm appearance signatures of the first and last
    observations (None without appearance features).
    """

    key: int
    frames: IntArray
    boxes: FloatArray
    head: FloatArray | None = None
    tail: FloatArray | None = None

    @property
    def start(self) -> int:
        return int(self.frames[0])

    @property
    def end(self) -> int:
        return int(self.frames[-1])


def _centres(boxes: FloatArray) -> FloatArray:
    out: FloatArray = np.c_[(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2]
    return out


def _velocity(frames: IntArray, boxes: FloatArray) -> FloatArray:
    """Centre velocity (pixels a frame): least squares over the given observations."""
    if len(frames) < 2 or frames[-1] == frames[0]:
        return np.zeros(2)
    t = frames.astype(np.float64) - frames.mean()
    centres = _centres(boxes)
    out: FloatArray = np.asarray((t[:, None] * (centres - centres.mean(axis=0))).sum(axis=0) / float((t * t).sum()))
    return out


def _pair_cost(first: Tracklet, second: Tracklet, cfg: ByteTrackSettings) -> float:
    """The cost of ``second`` continuing ``first`` (``_NO_LINK`` when a check fails)."""
    gap = second.start - first.end
    if gap < -cfg.link_overlap_frames or gap > cfg.link_frames:
        return _NO_LINK
    if second.start <= first.start or second.end <= first.end:
        return _NO_LINK
    end_box, start_box = first.boxes[-1], second.boxes[0]
    end_h, start_h = end_box[3] - end_box[1], start_box[3] - start_box[1]
    if not 1 / 1.4 <= start_h / max(end_h, 1e-6) <= 1.4:
        return _NO_LINK
    looks = 1.0
    if first.tail is not None and second.head is not None:
        looks = float(np.clip(first.tail @ second.head, 0.0, 1.0))
        if looks < cfg.link_appearance:
            return _NO_LINK
    if gap <= 0:
        # overlapping in time: the same person only if their boxes coincide where both exist
        common, ia, ib = np.intersect1d(first.frames, second.frames, return_indices=True)
        if len(common) == 0:
            return _NO_LINK
        overlap = float(np.mean(np.diag(iou_matrix(first.boxes[ia], second.boxes[ib]))))
        if overlap < cfg.link_overlap_iou:
            return _NO_LINK
        return float((1.0 - overlap) + (1.0 - looks))
    span = cfg.link_velocity_frames
    tail_mask = first.frames >= first.end - span
    head_mask = second.frames <= second.start + span
    forward = _centres(end_box[None])[0] + _velocity(first.frames[tail_mask], first.boxes[tail_mask]) * gap
    backward = _centres(start_box[None])[0] - _velocity(second.frames[head_mask], second.boxes[head_mask]) * gap
    height = (end_h + start_h) / 2
    miss_forward = float(np.hypot(*(forward - _centres(start_box[None])[0]))) / max(height, 1e-6)
    miss_backward = float(np.hypot(*(backward - _centres(end_box[None])[0]))) / max(height, 1e-6)
    limit = cfg.link_distance * (1.0 + gap / max(cfg.link_growth_frames, 1))
    if miss_forward > limit or miss_backward > limit:
        return _NO_LINK
    return float((miss_forward + miss_backward) / (2 * limit) + (1.0 - looks) + gap / max(cfg.link_frames, 1))


def link_tracklets(tracklets: list[Tracklet], cfg: ByteTrackSettings) -> list[Tracklet]:
    """Chain tracklets into tracks by one minimum-cost assignment of ends to starts (see the module)."""
    from scipy.optimize import linear_sum_assignment

    count = len(tracklets)
    if cfg.link_frames <= 0 or count < 2:
        return list(tracklets)
    cost = np.full((count, count), _NO_LINK)
    for a, first in enumerate(tracklets):
        for b, second in enumerate(tracklets):
            if a != b:
                cost[a, b] = _pair_cost(first, second, cfg)
    # Square problem with a "no successor" / "no predecessor" option for every tracklet.
    refuse = 10.0
    padded = np.full((2 * count, 2 * count), _NO_LINK)
    padded[:count, :count] = cost
    padded[:count, count:][np.diag_indices(count)] = refuse
    padded[count:, :count][np.diag_indices(count)] = refuse
    padded[count:, count:] = 0.0
    rows, cols = linear_sum_assignment(padded)
    successor = {int(r): int(c) for r, c in zip(rows, cols, strict=True) if r < count and c < count
                 and cost[r, c] < _NO_LINK}
    has_predecessor = set(successor.values())
    chains: list[Tracklet] = []
    for index, tracklet in enumerate(tracklets):
        if index in has_predecessor:
            continue
        parts = [tracklet]
        current = index
        while current in successor:  # start < start' < ...: no cycle is possible
            current = successor[current]
            parts.append(tracklets[current])
        chains.append(_merge(parts))
    return chains


def _merge(parts: list[Tracklet]) -> Tracklet:
    if len(parts) == 1:
        return parts[0]
    frames = np.concatenate([p.frames for p in parts])
    boxes = np.concatenate([p.boxes for p in parts])
    order = np.argsort(frames, kind="stable")
    frames, boxes = frames[order], boxes[order]
    unique, inverse = np.unique(frames, return_inverse=True)
    if len(unique) < len(frames):  # overlapping frames: the mean of the boxes there
        summed = np.zeros((len(unique), 4))
        np.add.at(summed, inverse, boxes)
        boxes = summed / np.bincount(inverse)[:, None]
    return Tracklet(parts[0].key, unique.astype(np.int64), boxes, parts[0].head, parts[-1].tail)


def smooth_boxes(frames: IntArray, boxes: FloatArray, sigma: float) -> FloatArray:
    """Each box replaced by a Gaussian-weighted (``sigma`` frames) local linear fit of centre and size."""
    if sigma <= 0 or len(frames) < 3:
        return boxes
    values = np.c_[_centres(boxes), boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]]
    reach = max(1, int(np.ceil(3 * sigma)))
    n = len(frames)
    neighbours = np.clip(np.arange(n)[:, None] + np.arange(-reach, reach + 1)[None, :], 0, n - 1)
    dt = (frames[neighbours] - frames[:, None]).astype(np.float64)
    weight = np.exp(-0.5 * (dt / sigma) ** 2)
    weight[np.abs(dt) > reach] = 0.0
    # clipped indices repeat the end point: count each neighbour once
    duplicate = np.zeros_like(weight, dtype=bool)
    duplicate[:, 1:] = neighbours[:, 1:] == neighbours[:, :-1]
    weight[duplicate] = 0.0
    s0 = weight.sum(axis=1)
    s1 = (weight * dt).sum(axis=1)
    s2 = (weight * dt * dt).sum(axis=1)
    y = values[neighbours]  # n x window x 4
    t0 = (weight[:, :, None] * y).sum(axis=1)
    t1 = (weight[:, :, None] * dt[:, :, None] * y).sum(axis=1)
    det = s0 * s2 - s1 * s1
    flat = det <= 1e-9 * np.maximum(s0 * s2, 1e-12)
    fitted = np.where(flat[:, None], t0 / s0[:, None], (s2[:, None] * t0 - s1[:, None] * t1) / np.where(
        flat, 1.0, det)[:, None])
    cx, cy, w, h = fitted.T
    w, h = np.maximum(w, 1.0), np.maximum(h, 1.0)
    out: FloatArray = np.c_[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
    return out


def finish_tracks(tracklets: list[Tracklet], cfg: ByteTrackSettings) -> list[TrackBox]:
    """Link, smooth and fill; tracks are numbered 0, 1, ... in order of first appearance."""
    tracks = [t for t in tracklets if len(t.frames) >= cfg.min_observations]
    tracks = link_tracklets(tracks, cfg)
    tracks.sort(key=lambda t: (t.start, t.key))
    out: list[TrackBox] = []
    max_gap = cfg.max_gap_frames
    for number, track in enumerate(tracks):
        boxes = smooth_boxes(track.frames, track.boxes, cfg.smooth_frames)
        previous: tuple[int, FloatArray] | None = None
        for frame_value, box in zip(track.frames, boxes, strict=True):
            frame = int(frame_value)
            if previous is not None and 1 < frame - previous[0] <= max_gap + 1:
                start, before = previous
                for k in range(start + 1, frame):
                    u = (k - start) / (frame - start)
                    out.append(TrackBox(number, k, _tuple(before + (box - before) * u), False))
            out.append(TrackBox(number, frame, _tuple(box), True))
            previous = (frame, box)
    return out


def _tuple(box: FloatArray) -> tuple[float, float, float, float]:
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
