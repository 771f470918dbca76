"""ByteTrack-style multi-object tracking: a Kalman filter per person and two-stage IoU association.

Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection Box" (ECCV 2022):
high-confidence detections are matched to tracks first, then the low-confidence ones to the
tracks left over (an occluded person's weak box keeps its track alive), and new tracks start
only from strong detections. This module is a small reimplementation on numpy and scipy: the
``trackers`` package pins ``opencv-python`` (which replaces the headless build the server needs)
and pulls in ``supervision`` and matplotlib for the same few hundred lines.

The tracker's output are *tracklets*: the offline steps over the whole clip (linking across
gaps and occlusions, smoothing, filling short gaps) are in :mod:`._linking`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from rekotrack.selfhosted.vision._geometry import FloatArray, box_tuple, iou_matrix
from rekotrack.selfhosted.vision._linking import TrackBox, Tracklet, finish_tracks
from rekotrack.selfhosted.vision._settings import ByteTrackSettings

__all__ = ["ByteTrackSettings", "ByteTracker", "TrackBox", "Tracklet", "iou_matrix"]

_ENDS = 10
"""Observations whose appearance makes a tracklet's head and tail signatures (for the offline linking)."""

_STD_POSITION = 1.0 / 20
_STD_VELOCITY = 1.0 / 160


def _to_xyah(box: FloatArray) -> FloatArray:
    w, h = box[2] - box[0], max(box[3] - box[1], 1e-6)
    return np.array([box[0] + w / 2, box[1] + h / 2, w / h, h])


def _to_xyxy(state: FloatArray) -> FloatArray:
    cx, cy, a, h = state[:4]
    w = a * h
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


class _Kalman:
    """Constant-velocity Kalman filter on (centre x, centre y, aspect ratio, height)."""

    _F = np.eye(8) + np.eye(8, k=4)
    _H = np.eye(4, 8)

    def __init__(self, box: FloatArray) -> None:
        z = _to_xyah(box)
        self.mean: FloatArray = np.r_[z, np.zeros(4)]
        h = z[3]
        std = [2 * _STD_POSITION * h, 2 * _STD_POSITION * h, 1e-2, 2 * _STD_POSITION * h,
               10 * _STD_VELOCITY * h, 10 * _STD_VELOCITY * h, 1e-5, 10 * _STD_VELOCITY * h]
        self.cov: FloatArray = np.diag(np.square(std))

    def predict(self) -> None:
        h = self.mean[3]
        std = [_STD_POSITION * h, _STD_POSITION * h, 1e-2, _STD_POSITION * h,
               _STD_VELOCITY * h, _STD_VELOCITY * h, 1e-5, _STD_VELOCITY * h]
        self.mean = self._F @ self.mean
        self.cov = self._F @ self.cov @ self._F.T + np.diag(np.square(std))

    def update(self, box: FloatArray) -> None:
        z = _to_xyah(box)
        h = self.mean[3]
        r = np.diag(np.square([_STD_POSITION * h, _STD_POSITION * h, 1e-1, _STD_POSITION * h]))
        s = self._H @ self.cov @ self._H.T + r
        gain = np.linalg.solve(s, (self.cov @ self._H.T).T).T
        self.mean = self.mean + gain @ (z - self._H @ self.mean)
        self.cov = self.cov - gain @ s @ gain.T

    @property
    def box(self) -> FloatArray:
        return _to_xyxy(self.mean)


@dataclass
class _Track:
    track_id: int
    kalman: _Kalman
    confirmed: bool = False
    lost_since: int | None = None
    last_frame: int = 0
    feature: FloatArray | None = None
    history: list[tuple[int, tuple[float, float, float, float]]] = field(default_factory=list)
    head: list[FloatArray] = field(default_factory=list)
    tail: deque[FloatArray] = field(default_factory=lambda: deque(maxlen=_ENDS))
    features: list[FloatArray] = field(default_factory=list)
    """Every observation's signature, in step with ``history`` (the offline linking learns from them)."""

    def remember(self, feature: FloatArray) -> None:
        if len(self.head) < _ENDS:
            self.head.append(feature)
        self.tail.append(feature)
        self.features.append(feature)


class ByteTracker:
    """Feed :meth:`update` one sampled frame at a time; :meth:`finish` returns every track's boxes."""

    def __init__(self, settings: ByteTrackSettings | None = None) -> None:
        self.settings = settings or ByteTrackSettings()
        self._active: list[_Track] = []  # tracked and lost
        self._done: list[_Track] = []
        self._frame = -1
        self._next_id = 0
        self._features: FloatArray | None = None

    def update(self, boxes: FloatArray, scores: FloatArray, features: FloatArray | None = None) -> None:
        """Associate the detections of the next sampled frame (boxes in pixels, x1, y1, x2, y2).

        ``features`` (one unit-norm appearance vector a box, optional) make the association
        prefer the track that looks like the box when people cross.
        """
        cfg = self.settings
        self._frame += 1
        frame = self._frame
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        self._features = None
        if features is not None:
            self._features = np.asarray(features, dtype=np.float64).reshape(len(boxes), -1) if len(boxes) else None
        high = np.flatnonzero(scores >= cfg.high_threshold)
        low = np.flatnonzero((scores >= cfg.low_threshold) & (scores < cfg.high_threshold))
        for track in self._active:
            track.kalman.predict()

        confirmed = [t for t in self._active if t.confirmed]
        unconfirmed = [t for t in self._active if not t.confirmed]

        # 1. confirmed tracks (tracked or lost) against strong detections
        matches, rest_tracks, rest_high = self._associate(confirmed, boxes, scores, high, cfg.match_iou, fuse=True)
        for track, det in matches:
            self._observe(track, boxes[det], frame, det)
        # 2. tracks still being tracked against weak detections
        tracked = [t for t in rest_tracks if t.lost_since is None]
        matches, missed, _ = self._associate(tracked, boxes, scores, low, cfg.low_match_iou, fuse=False)
        for track, det in matches:
            self._observe(track, boxes[det], frame, det)
        for track in missed:
            track.lost_since = frame
        # 3. new tracks from the previous frame against the strong detections left
        matches, dropped, rest_high = self._associate(
            unconfirmed, boxes, scores, rest_high, cfg.confirm_iou, fuse=True
        )
        for track, det in matches:
            self._observe(track, boxes[det], frame, det)
            track.confirmed = True
        for track in dropped:
            self._active.remove(track)
        # 4. start tracks
        for det in rest_high:
            if scores[det] >= cfg.new_track_threshold:
                track = _Track(self._next_id, _Kalman(boxes[det]), confirmed=frame == 0, last_frame=frame)
                track.history.append((frame, box_tuple(boxes[det])))
                if self._features is not None:
                    track.feature = self._features[det].copy()
                    track.remember(track.feature)
                self._next_id += 1
                self._active.append(track)
        # 5. forget tracks lost too long
        for track in list(self._active):
            if track.lost_since is not None and frame - track.last_frame > cfg.lost_frames:
                self._active.remove(track)
                self._done.append(track)

    def _associate(
        self,
        tracks: list[_Track],
        boxes: FloatArray,
        scores: FloatArray,
        candidates: npt.NDArray[np.intp],
        min_iou: float,
        *,
        fuse: bool,
    ) -> tuple[list[tuple[_Track, int]], list[_Track], npt.NDArray[np.intp]]:
        if not tracks or len(candidates) == 0:
            return [], list(tracks), candidates
        predicted = np.array([t.kalman.box for t in tracks])
        iou = iou_matrix(predicted, boxes[candidates])
        similarity = iou * scores[candidates][None, :] if fuse else iou
        weight = self.settings.appearance_weight
        if weight > 0 and self._features is not None and all(t.feature is not None for t in tracks):
            looks = np.clip(np.array([t.feature for t in tracks]) @ self._features[candidates].T, 0.0, 1.0)
            similarity = similarity * (1.0 - weight + weight * looks)
            similarity[looks < self.settings.appearance_gate] = 0.0
        rows, cols = linear_sum_assignment(-similarity)
        matches: list[tuple[_Track, int]] = []
        used_tracks: set[int] = set()
        used_dets: set[int] = set()
        for r, c in zip(rows, cols, strict=True):
            if iou[r, c] >= min_iou and similarity[r, c] > 0:
                matches.append((tracks[r], int(candidates[c])))
                used_tracks.add(int(r))
                used_dets.add(int(c))
        rest_tracks = [t for i, t in enumerate(tracks) if i not in used_tracks]
        rest = np.array([d for i, d in enumerate(candidates) if i not in used_dets], dtype=np.intp)
        return matches, rest_tracks, rest

    def _observe(self, track: _Track, box: FloatArray, frame: int, det: int) -> None:
        track.kalman.update(box)
        track.lost_since = None
        track.last_frame = frame
        track.history.append((frame, box_tuple(box)))
        if self._features is not None:
            new = self._features[det]
            track.remember(new)
            if track.feature is None:
                track.feature = new.copy()
            else:
                keep = self.settings.appearance_momentum
                mixed = keep * track.feature + (1 - keep) * new
                track.feature = mixed / max(float(np.linalg.norm(mixed)), 1e-9)

    def tracklets(self) -> list[Tracklet]:
        """The confirmed tracks so far as :class:`Tracklet` s (observed boxes only), in order of start."""
        out: list[Tracklet] = []
        for track in sorted((t for t in [*self._done, *self._active] if t.confirmed), key=lambda t: t.track_id):
            frames = np.array([f for f, _ in track.history], dtype=np.int64)
            boxes = np.array([b for _, b in track.history], dtype=np.float64).reshape(-1, 4)
            head = _unit(np.sum(track.head, axis=0)) if track.head else None
            tail = _unit(np.sum(track.tail, axis=0)) if track.tail else None
            features = np.array(track.features) if len(track.features) == len(frames) else None
            out.append(Tracklet(track.track_id, frames, boxes, head, tail, features))
        return out

    def finish(self) -> list[TrackBox]:
        """Every confirmed track's boxes after the offline steps of :func:`~._linking.finish_tracks`
        (link tracklets, smooth, fill short gaps), numbered 0, 1, ... in order of first appearance."""
        return finish_tracks(self.tracklets(), self.settings)


def _unit(vector: FloatArray) -> FloatArray:
    out: FloatArray = vector / max(float(np.linalg.norm(vector)), 1e-9)
    return out
