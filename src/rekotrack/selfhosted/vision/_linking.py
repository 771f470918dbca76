"""Offline steps over the whole video: link tracklets, smooth the boxes, fill short gaps.

The job has every frame before it answers, so a person's track does not have to be decided
frame by frame. The online tracker (:mod:`._bytetrack`) cuts the video into *tracklets* —
runs of boxes it is sure belong together — and this module then, over the whole clip:

1. **links** a tracklet that ends to one that starts later (or overlaps it briefly, when the
   tracker started a second track on the same person), by one global assignment of "ends" to
   "starts" that maximises the summed evidence. The evidence for a pair is a log-likelihood
   ratio, "the same person" against "someone else", with every scale learned from the video:

   - *motion*: the first tracklet's end moved forward over the gap at its own velocity, and the
     second's start moved backward at its own, should meet. How far a real continuation misses
     after a gap of ``g`` seconds (in box heights) is measured on the video's own long
     tracklets (hide their middle, predict it); someone else may start anywhere people walk
     in this video (the extent of all boxes, in box heights);
   - *appearance* (when the detector gave colour signatures): a projection of the signatures
     learned from this video — observations of one tracklet are the same person, tracklets
     that exist at the same time in different places are different people — and the
     distances of those two kinds of pairs calibrate the likelihood ratio (cross-fitted: the
     projection is judged on pairs it was not fitted to);

   a person whose predicted path leaves the frame during the gap, met by one whose path comes
   in from outside, is two people (nothing connects them: the scoring convention of
   MOTChallenge counts a new person); a pair that overlaps in time for longer than
   ``link_overlap_frames`` is never linked. A link is kept only if it beats every other
   candidate of either end by ``link_margin``: an ID switch costs more than a fragment;
2. **smooths** each track's box (centre, width, height) with a Gaussian-weighted local linear
   fit over time: detector boxes jitter by several pixels from frame to frame around a person
   who moves smoothly, and a local *linear* fit follows steady walking without lag;
3. **fills** gaps up to ``max_gap_frames`` by linear interpolation between the smoothed boxes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rekotrack.selfhosted.vision._geometry import FloatArray, box_tuple, iou_matrix
from rekotrack.selfhosted.vision._settings import ByteTrackSettings

__all__ = ["TrackBox", "Tracklet", "finish_tracks", "link_tracklets", "smooth_boxes"]

IntArray = npt.NDArray[np.int64]
_NO_LINK = -1e6

_END_SECONDS = 1.0
"""The observations of a tracklet's first and last second make its head and tail: long enough to
average a walking cycle's changes of pose, short enough to describe the person near the gap."""
_SIZE_RATIO = 1.4
"""Box heights of the two ends of a link differ by at most this factor (a person does not change
size by more over a gap of a few seconds at walking speed; detector heights vary by ~10 %)."""
_FALLBACK_NOISE = (0.15, 0.5)
"""Motion noise when the video has too few long tracklets to measure it: 0.15 box heights of
detector jitter, and 0.5 box heights a second of change of velocity (walking is ~0.8 a second)."""


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
    observations (None without appearance features); ``features`` (N x D, optional) are the
    signatures of every observation, which the offline linking learns the video's appearance from.
    """

    key: int
    frames: IntArray
    boxes: FloatArray
    head: FloatArray | None = None
    tail: FloatArray | None = None
    features: FloatArray | None = None

    @property
    def start(self) -> int:
        return int(self.frames[0])

    @property
    def end(self) -> int:
        return int(self.frames[-1])


def _centres(boxes: FloatArray) -> FloatArray:
    out: FloatArray = (boxes[:, :2] + boxes[:, 2:4]) / 2
    return out


def _heights(boxes: FloatArray) -> FloatArray:
    out: FloatArray = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-6)
    return out


def _line(frames: IntArray, boxes: FloatArray, velocity: FloatArray, frame: int) -> FloatArray:
    """The centre at ``frame`` on the least-squares line through the given observations."""
    out: FloatArray = _centres(boxes).mean(axis=0) + velocity * (frame - float(frames.mean()))
    return out


def _velocity(frames: IntArray, boxes: FloatArray) -> FloatArray:
    """Centre velocity (pixels a frame): least squares over the given observations."""
    if len(frames) < 2 or frames[-1] == frames[0]:
        return np.zeros(2)
    t = frames.astype(np.float64) - frames.mean()
    centres = _centres(boxes)
    out: FloatArray = np.asarray((t[:, None] * (centres - centres.mean(axis=0))).sum(axis=0) / float((t * t).sum()))
    return out


# --- the video's own motion noise -------------------------------------------------------------


@dataclass(frozen=True)
class _Motion:
    noise: float
    """Box heights of detector jitter in a predicted position."""
    drift: float
    """Box heights a second by which a walker strays from the straight line of its last second."""
    frame: tuple[float, float]
    """Frame width and height in pixels."""
    others: float = 0.0
    """Per-axis variance (box heights squared) of where someone else is, seen from a walker's predicted
    position, measured on tracklets that exist at the same time (0: not enough of them; then someone
    else may be anywhere in the frame)."""

    def horizon(self) -> float:
        """Seconds of gap beyond which even a perfect straight-line meeting is no evidence (the same
        person's spread has grown to where anyone else might be): motion cannot support a link."""
        if self.others <= self.noise**2:
            return 0.0 if self.others > 0 else float("inf")
        return float(np.sqrt(self.others - self.noise**2) / max(self.drift, 1e-9))

    def sigma2(self, gap_seconds: float) -> float:
        return self.noise**2 + (self.drift * gap_seconds) ** 2

    def llr(self, miss2: float, gap_seconds: float, height: float) -> float:
        """log p(miss | same person) / p(miss | someone else); ``miss2`` in box heights squared (2-D)."""
        s2 = self.sigma2(max(gap_seconds, 0.0))
        same = -miss2 / (2 * s2) - np.log(2 * np.pi * s2)
        if self.others > s2:
            other = -miss2 / (2 * self.others) - np.log(2 * np.pi * self.others)
        else:
            other = -np.log(max(self.frame[0] * self.frame[1] / (height * height), 1.0))
        return float(same - other)


def _ends(t: Tracklet, span: int) -> list[tuple[int, FloatArray, FloatArray, float]]:
    """An end every ``span`` frames of a tracklet: (frame, centre, velocity over the span before, height)."""
    centres, heights = _centres(t.boxes), _heights(t.boxes)
    out = []
    for k in range(span, len(t.frames), span):
        out.append((int(t.frames[k - 1]), centres[k - 1], _velocity(t.frames[k - span : k], t.boxes[k - span : k]),
                    float(heights[k - 1])))
    return out


def _spans(tracklets: list[Tracklet]) -> tuple[IntArray, IntArray]:
    starts = np.fromiter((t.start for t in tracklets), np.int64, len(tracklets))
    ends = np.fromiter((t.end for t in tracklets), np.int64, len(tracklets))
    return starts, ends


def _together(spans: tuple[IntArray, IntArray], n: int) -> list[int]:
    """The other tracklets that exist at some frame of tracklet ``n`` (``spans``: every start and end)."""
    starts, ends = spans
    found = np.flatnonzero((starts <= ends[n]) & (ends >= starts[n]))
    return [int(m) for m in found if m != n]


def _fit_motion(tracklets: list[Tracklet], cfg: ByteTrackSettings) -> _Motion:
    """Measure how far straight-line prediction misses on the video's long tracklets, and where others are."""
    from scipy.optimize import nnls

    rate = max(cfg.frame_rate, 1e-6)
    span = max(1, round(_END_SECONDS * rate))
    ends = [_ends(t, span) for t in tracklets]
    spans = _spans(tracklets)
    where = [{int(f): k for k, f in enumerate(t.frames)} for t in tracklets]
    centres = [_centres(t.boxes) for t in tracklets]
    heights = [_heights(t.boxes) for t in tracklets]
    steps = [round(g * rate) for g in (0.5, 1.0, 2.0, 3.0, 4.0)]  # predict 0.5 .. 4 s on
    gaps, misses, others = [], [], []
    for n in range(len(tracklets)):
        # the same walker: its own later position
        for end, centre, velocity, height in ends[n]:
            for step in steps:
                target = where[n].get(end + step)
                if target is not None:
                    miss = centre + velocity * step - centres[n][target]
                    h = (height + heights[n][target]) / 2
                    gaps.append(step / rate)
                    misses.append(float(miss @ miss) / (h * h) / 2)  # per axis
        # someone else seen at the same time
        for m in _together(spans, n):
            for end, centre, velocity, height in ends[n]:
                for step in steps[:3]:
                    target = where[m].get(end + step)
                    if target is not None:
                        miss = centre + velocity * step - centres[m][target]
                        h = (height + heights[m][target]) / 2
                        others.append(float(miss @ miss) / (h * h) / 2)
    noise, drift = _FALLBACK_NOISE
    if len(gaps) >= 20:
        seconds = np.asarray(gaps)
        solution, _ = nnls(np.c_[np.ones_like(seconds), seconds * seconds], np.asarray(misses))
        # Inside a tracklet the boxes are whole and the prediction starts from a clean end; at a gap
        # the person was being hidden, and the last boxes are partial: the jitter is never taken
        # below the detector's own.
        noise = max(float(np.sqrt(solution[0])), _FALLBACK_NOISE[0])
        drift = max(float(np.sqrt(solution[1])), 0.1 * _FALLBACK_NOISE[1])
    boxes = np.concatenate([t.boxes for t in tracklets]) if tracklets else np.zeros((1, 4))
    width = float(cfg.frame_width) if cfg.frame_width > 0 else float(boxes[:, 2].max())
    height = float(cfg.frame_height) if cfg.frame_height > 0 else float(boxes[:, 3].max())
    return _Motion(noise, drift, (width, height), float(np.mean(others)) if len(others) >= 20 else 0.0)


# --- the video's own appearance ---------------------------------------------------------------


@dataclass(frozen=True)
class _Appearance:
    projection: FloatArray
    grid: FloatArray
    """Log-distances at which ``ratio`` is tabulated (increasing)."""
    ratio: FloatArray
    """log p(d | same) / p(d | different), non-increasing in d, bounded by what the samples support."""

    def llr(self, a: FloatArray, b: FloatArray) -> float:
        d = float(np.linalg.norm((a - b) @ self.projection))
        return float(np.interp(np.log(max(d, 1e-9)), self.grid, self.ratio))


def _windows(t: Tracklet, span: int) -> list[FloatArray]:
    assert t.features is not None
    return [t.features[k : k + span].mean(axis=0) for k in range(0, len(t.frames) - span + 1, span)]


def _head(t: Tracklet, span: int) -> FloatArray | None:
    if t.features is not None:
        out: FloatArray = t.features[:span].mean(axis=0)
        return out
    return t.head


def _tail(t: Tracklet, span: int) -> FloatArray | None:
    if t.features is not None:
        out: FloatArray = t.features[-span:].mean(axis=0)
        return out
    return t.tail


def _pairs(tracklets: list[Tracklet], span: int, cfg: ByteTrackSettings) -> tuple[
        list[tuple[int, FloatArray]], list[tuple[int, FloatArray]]]:
    """Differences of window signatures: (group, a - b) for the same person and for different people.

    Same: two one-second windows of one tracklet (each with the next and with the last, so
    that time apart is represented). Different: two tracklets seen at the same time, whose boxes
    never coincide (not a duplicate track), over the same second.
    """
    same: list[tuple[int, FloatArray]] = []
    different: list[tuple[int, FloatArray]] = []
    for n, t in enumerate(tracklets):
        windows = _windows(t, span)
        for k in range(len(windows) - 1):
            same.append((n, windows[k] - windows[k + 1]))
            if k + 1 < len(windows) - 1:
                same.append((n, windows[k] - windows[-1]))
    spans = _spans(tracklets)
    for n, a in enumerate(tracklets):
        for m in _together(spans, n):
            if m < n:
                continue
            b = tracklets[m]
            common, ia, ib = np.intersect1d(a.frames, b.frames, return_indices=True)
            if len(common) < span:
                continue
            if float(iou_matrix(a.boxes[ia], b.boxes[ib]).diagonal().max()) >= cfg.link_overlap_iou:
                continue  # they touch: maybe the same person twice, not a sure negative
            assert a.features is not None
            assert b.features is not None
            for k in range(0, len(common) - span + 1, span):
                different.append((n + m, a.features[ia[k : k + span]].mean(axis=0)
                                  - b.features[ib[k : k + span]].mean(axis=0)))
    return same, different


def _project(same: list[FloatArray], different: list[FloatArray]) -> FloatArray | None:
    """Directions along which different people differ more than one person over time (generalised
    eigenvectors with eigenvalue > 1), scaled so that one person's differences have unit variance."""
    from scipy.linalg import eigh

    if not same or not different:  # e.g. a fold of _fit_appearance that got no pair of one kind
        return None
    within = np.einsum("ni,nj->ij", np.asarray(same), np.asarray(same)) / len(same)
    between = np.einsum("ni,nj->ij", np.asarray(different), np.asarray(different)) / len(different)
    dims = within.shape[0]
    # shrink toward the mean variance: D dimensions estimated from far fewer pairs (Ledoit-Wolf style, 1/2)
    shrunk = 0.5 * within + 0.5 * np.eye(dims) * max(float(np.trace(within)) / dims, 1e-12)
    values, vectors = eigh(between, shrunk)
    keep = values > 1.0
    if not keep.any():
        return None
    out: FloatArray = vectors[:, keep]
    return out


def _fit_appearance(tracklets: list[Tracklet], cfg: ByteTrackSettings) -> _Appearance | None:
    usable = [t for t in tracklets if t.features is not None and len(t.features) == len(t.frames)]
    span = max(1, round(_END_SECONDS * max(cfg.frame_rate, 1e-6)))
    same, different = _pairs(usable, span, cfg)
    if len(same) < 10 or len(different) < 10:
        return None
    # cross-fitted calibration: a projection fitted on half the groups measures the other half
    distances: dict[bool, list[float]] = {True: [], False: []}
    for fold in (0, 1):
        fitted = _project([d for g, d in same if g % 2 != fold], [d for g, d in different if g % 2 != fold])
        if fitted is None:
            return None
        for label, pairs in ((True, same), (False, different)):
            distances[label] += [float(np.linalg.norm(d @ fitted)) for g, d in pairs if g % 2 == fold]
    projection = _project([d for _, d in same], [d for _, d in different])
    if projection is None:
        return None
    log_same = np.log(np.maximum(distances[True], 1e-9))
    log_diff = np.log(np.maximum(distances[False], 1e-9))
    grid = np.linspace(min(log_same.min(), log_diff.min()), max(log_same.max(), log_diff.max()), 64)
    ratio = _log_density(log_same, grid) - _log_density(log_diff, grid)
    # the likelihood ratio is non-increasing in the distance, and no larger than the samples can support
    bound = float(np.log(1 + min(len(log_same), len(log_diff))))
    ratio = np.clip(np.maximum.accumulate(ratio[::-1])[::-1], -bound, bound)
    ratio = np.minimum.accumulate(ratio)
    return _Appearance(projection, grid, ratio)


def _log_density(samples: FloatArray, grid: FloatArray) -> FloatArray:
    """Gaussian kernel density (Silverman's bandwidth) of ``samples`` at ``grid``, in logs."""
    spread = max(float(np.std(samples)), 1e-3)
    bandwidth = 1.06 * spread * len(samples) ** -0.2
    z = (grid[:, None] - samples[None, :]) / bandwidth
    density = np.exp(-0.5 * z * z).sum(axis=1) / (len(samples) * bandwidth * np.sqrt(2 * np.pi))
    out: FloatArray = np.log(np.maximum(density, 1e-300))
    return out


# --- the assignment ---------------------------------------------------------------------------


def _left_view(centre: FloatArray, motion: _Motion) -> bool:
    width, height = motion.frame
    return bool(centre[0] < 0 or centre[1] < 0 or centre[0] > width or centre[1] > height)


def _pair_score(
    first: Tracklet,
    second: Tracklet,
    cfg: ByteTrackSettings,
    motion: _Motion,
    looks: _Appearance | None,
) -> float:
    """Evidence (log-likelihood ratio) that ``second`` continues ``first`` (``_NO_LINK`` when impossible)."""
    gap = second.start - first.end
    if gap < -cfg.link_overlap_frames or gap > cfg.link_frames or gap > motion.horizon() * cfg.frame_rate:
        return _NO_LINK
    if second.start <= first.start or second.end <= first.end:
        return _NO_LINK
    # A tracklet's end is described by its last second, not its last box: the box just before an
    # occlusion is often partial, or merged with the person who hides it.
    span = max(1, round(_END_SECONDS * max(cfg.frame_rate, 1e-6)))
    tail_mask = first.frames > first.end - span
    head_mask = second.frames < second.start + span
    end_h = float(np.median(_heights(first.boxes[tail_mask])))
    start_h = float(np.median(_heights(second.boxes[head_mask])))
    if not 1 / _SIZE_RATIO <= start_h / max(end_h, 1e-6) <= _SIZE_RATIO:
        return _NO_LINK
    tail, head = _tail(first, span), _head(second, span)
    if looks is not None and tail is not None and head is not None:
        appearance = looks.llr(tail, head)
    else:
        appearance = 0.0
        if tail is not None and head is not None:  # no model of this video: the fixed gate
            similarity = float(tail @ head) / max(float(np.linalg.norm(tail) * np.linalg.norm(head)), 1e-9)
            if similarity < cfg.link_appearance:
                return _NO_LINK
    height = (end_h + start_h) / 2
    if gap <= 0:
        # overlapping in time: the same person only if their boxes coincide where both exist
        common, ia, ib = np.intersect1d(first.frames, second.frames, return_indices=True)
        if len(common) == 0:
            return _NO_LINK
        if float(np.mean(np.diag(iou_matrix(first.boxes[ia], second.boxes[ib])))) < cfg.link_overlap_iou:
            return _NO_LINK
        apart = _centres(first.boxes[ia]) - _centres(second.boxes[ib])
        miss2 = float(np.mean((apart * apart).sum(axis=1))) / (height * height) / 2
        return motion.llr(miss2, 0.0, height) + appearance
    out_velocity = _velocity(first.frames[tail_mask], first.boxes[tail_mask])
    in_velocity = _velocity(second.frames[head_mask], second.boxes[head_mask])
    end_c = _line(first.frames[tail_mask], first.boxes[tail_mask], out_velocity, first.end)
    start_c = _line(second.frames[head_mask], second.boxes[head_mask], in_velocity, second.start)
    forward = end_c + out_velocity * gap
    backward = start_c - in_velocity * gap
    if _left_view(forward, motion) and _left_view(backward, motion):
        return _NO_LINK  # one walked out of the picture, another walked in
    miss_forward, miss_backward = forward - start_c, backward - end_c
    miss2 = float(miss_forward @ miss_forward + miss_backward @ miss_backward) / 2 / (height * height) / 2
    return motion.llr(miss2, gap / max(cfg.frame_rate, 1e-6), height) + appearance


def link_tracklets(tracklets: list[Tracklet], cfg: ByteTrackSettings) -> list[Tracklet]:
    """Chain tracklets into tracks by rounds of one assignment of ends to starts (see the module).

    The video's motion and appearance are learned once, from the tracklets as the tracker cut them.
    Each round links what the evidence supports; a linked track then has a longer history (a
    surer velocity and signature at its ends) and is scored again in the next round, until a
    round links nothing.
    """
    if cfg.link_frames <= 0 or len(tracklets) < 2:
        return list(tracklets)
    motion = _fit_motion(tracklets, cfg)
    looks = _fit_appearance(tracklets, cfg)
    while True:
        chains = _link_round(tracklets, cfg, motion, looks)
        if len(chains) == len(tracklets):
            return chains
        tracklets = chains


def _link_round(tracklets: list[Tracklet], cfg: ByteTrackSettings, motion: _Motion,
                looks: _Appearance | None) -> list[Tracklet]:
    # Only pairs whose start falls in the window after the end are scored (sorted starts: a long
    # video costs its number of tracklets times the few that start nearby, not its square).
    starts = np.array([t.start for t in tracklets])
    order = np.argsort(starts, kind="stable")
    window = min(float(cfg.link_frames), motion.horizon() * cfg.frame_rate)
    scores: dict[tuple[int, int], float] = {}
    for a, first in enumerate(tracklets):
        low = np.searchsorted(starts[order], first.end - cfg.link_overlap_frames, side="left")
        high = np.searchsorted(starts[order], first.end + window, side="right")
        for b in order[low:high]:
            if b != a:
                value = _pair_score(first, tracklets[int(b)], cfg, motion, looks)
                if value > 0:
                    scores[a, int(b)] = value
    # The assignment falls apart into groups of tracklets that could link to one another: each
    # group is solved (and its ambiguity judged) on its own, with the same result as all at once.
    successor: dict[int, int] = {}
    for group in _groups(len(tracklets), list(scores)):
        score = np.full((len(group), len(group)), _NO_LINK)
        for i, a in enumerate(group):
            for j, b in enumerate(group):
                score[i, j] = scores.get((a, b), _NO_LINK)
        links = _unambiguous(_assign(score), score, cfg.link_margin)
        successor.update({group[i]: group[j] for i, j in links.items()})
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


def _groups(count: int, pairs: list[tuple[int, int]]) -> list[list[int]]:
    """The connected groups (two or more) of ``count`` tracklets joined by ``pairs``."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        parent[root(a)] = root(b)
    members: dict[int, list[int]] = {}
    for i in range(count):
        members.setdefault(root(i), []).append(i)
    return [m for m in members.values() if len(m) > 1]


def _assign(score: FloatArray) -> dict[int, int]:
    """The links (a -> b) of largest summed evidence; each end and each start used once, no link below 0."""
    from scipy.optimize import linear_sum_assignment

    count = score.shape[0]
    possible = score > 0
    # Square problem with a "no successor" / "no predecessor" option (evidence 0) for every tracklet.
    padded = np.full((2 * count, 2 * count), 1e9)
    padded[:count, :count] = np.where(possible, -score, 1e9)
    padded[:count, count:][np.diag_indices(count)] = 0.0
    padded[count:, :count][np.diag_indices(count)] = 0.0
    padded[count:, count:] = 0.0
    rows, cols = linear_sum_assignment(padded)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if r < count and c < count and possible[r, c]}


def _total(links: dict[int, int], score: FloatArray) -> float:
    return float(sum(score[a, b] for a, b in links.items()))


def _unambiguous(successor: dict[int, int], score: FloatArray, margin: float) -> dict[int, int]:
    """Keep a link only if the best assignment without it has at least ``margin`` less evidence.

    When another way of linking the same tracklets is about as likely (two people who crossed
    and look alike, a candidate that could continue either of two), the link is left open:
    an ID switch costs more than a fragment.
    """
    if margin <= 0:
        return successor
    best = _total(successor, score)
    kept: dict[int, int] = {}
    for a, b in successor.items():
        without = score.copy()
        without[a, b] = _NO_LINK
        if best - _total(_assign(without), without) >= margin:
            kept[a] = b
    return kept


def _merge(parts: list[Tracklet]) -> Tracklet:
    if len(parts) == 1:
        return parts[0]
    frames = np.concatenate([p.frames for p in parts])
    boxes = np.concatenate([p.boxes for p in parts])
    with_features = all(p.features is not None for p in parts)
    features = np.concatenate([p.features for p in parts if p.features is not None]) if with_features else None
    order = np.argsort(frames, kind="stable")
    frames, boxes = frames[order], boxes[order]
    unique, inverse = np.unique(frames, return_inverse=True)
    if features is not None:
        features = features[order]
    if len(unique) < len(frames):  # overlapping frames: the mean of the boxes there
        counts = np.bincount(inverse)[:, None]
        summed = np.zeros((len(unique), 4))
        np.add.at(summed, inverse, boxes)
        boxes = summed / counts
        if features is not None:
            mixed = np.zeros((len(unique), features.shape[1]))
            np.add.at(mixed, inverse, features)
            features = mixed / counts
    return Tracklet(parts[0].key, unique.astype(np.int64), boxes, parts[0].head, parts[-1].tail, features)


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
    # A person is in view for longer than ``min_track_seconds``; a track cut by the start or the
    # end of the video is kept, since the video, not the person, made it short.
    shortest = cfg.min_track_seconds * cfg.frame_rate
    first = min((t.start for t in tracks), default=0)
    last = max((t.end for t in tracks), default=0)
    tracks = [t for t in tracks if len(t.frames) >= shortest or t.start - first < shortest
              or last - t.end < shortest]
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
                    out.append(TrackBox(number, k, box_tuple(before + (box - before) * u), False))
            out.append(TrackBox(number, frame, box_tuple(box), True))
            previous = (frame, box)
    return out
