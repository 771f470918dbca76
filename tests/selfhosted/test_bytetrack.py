"""The ByteTrack-style tracker on hand-made boxes (numpy and scipy only)."""

from __future__ import annotations

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("scipy")

from rekotrack.selfhosted.vision._bytetrack import ByteTracker, iou_matrix  # noqa: E402
from rekotrack.selfhosted.vision._settings import ByteTrackSettings  # noqa: E402


def _box(x: float, y: float = 100.0, w: float = 30.0, h: float = 80.0) -> list[float]:
    return [x, y, x + w, y + h]


def test_iou_matrix() -> None:
    a = np.array([_box(0), _box(100)])
    b = np.array([_box(15), _box(500)])
    iou = iou_matrix(a, b)
    assert iou.shape == (2, 2)
    assert iou[0, 0] == pytest.approx(15 * 80 / (2 * 30 * 80 - 15 * 80))
    assert iou[1, 1] == 0.0
    assert iou_matrix(a, np.zeros((0, 4))).shape == (2, 0)


def test_two_walkers_keep_their_index_through_empty_frames_and_weak_boxes() -> None:
    tracker = ByteTracker(ByteTrackSettings(max_gap_frames=5, link_frames=0))
    for frame in range(40):
        if 20 <= frame < 23:
            tracker.update(np.zeros((0, 4)), np.zeros(0))  # nobody detected for three frames
            continue
        boxes = np.array([_box(10 + 4 * frame), _box(600 - 4 * frame, y=300)])
        scores = np.array([0.9, 0.3 if frame % 5 == 2 else 0.9])  # the second one weak now and then
        tracker.update(boxes, scores)
    out = tracker.finish()
    assert {b.track for b in out} == {0, 1}
    assert len(out) == 80  # the three empty frames are filled in by interpolation
    assert sum(not b.observed for b in out) == 6
    first = sorted((b.frame, b.box[0]) for b in out if b.track == 0)
    assert [f for f, _ in first] == list(range(40))
    assert first[0][1] == pytest.approx(10)


def test_short_noise_is_dropped_and_a_late_return_is_linked() -> None:
    settings = ByteTrackSettings(min_observations=3, link_frames=30, appearance_gate=0.0)
    tracker = ByteTracker(settings)
    for frame in range(60):
        boxes, feats = [], []
        if frame < 20 or frame >= 35:  # away for 15 frames, back where it was heading
            boxes.append(_box(10 + 3 * frame))
            feats.append([1.0, 0.0])
        if frame in (5, 6):  # a two-frame flicker elsewhere
            boxes.append(_box(400, y=400))
            feats.append([0.0, 1.0])
        tracker.update(np.array(boxes).reshape(-1, 4), np.full(len(boxes), 0.9), np.array(feats).reshape(-1, 2))
    out = tracker.finish()
    assert {b.track for b in out} == {0}
    assert sorted({b.frame for b in out if b.observed}) == [*range(20), *range(35, 60)]
