"""The offline steps over the whole clip (numpy and scipy only): linking across occlusions, duplicates, smoothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("scipy")

from rekotrack.selfhosted.vision._analyzer import tracker_settings  # noqa: E402
from rekotrack.selfhosted.vision._bytetrack import ByteTracker  # noqa: E402
from rekotrack.selfhosted.vision._linking import Tracklet, finish_tracks, link_tracklets, smooth_boxes  # noqa: E402
from rekotrack.selfhosted.vision._settings import AnalyzerSettings, ByteTrackSettings  # noqa: E402

FRAMES = 100  # 10 s at the default 10 sampled frames a second
HIDDEN = range(45, 65)  # B is hidden for 2 s, while the two cross


def _box(cx: float, feet: float, h: float = 80.0) -> list[float]:
    return [cx - 0.2 * h, feet - h, cx + 0.2 * h, feet]


def _crossing(seed: int = 0) -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray]], dict[str, list[float]]]:
    """A walks right, B walks left a little further back; they cross at frame 50, where B is behind A for 2 s.

    Boxes jitter by a few pixels and the colour signatures are noisy, as real detections are.
    """
    rng = np.random.default_rng(seed)
    look_a, look_b = np.zeros(16), np.zeros(16)
    look_a[:8], look_b[8:] = 1.0, 1.0
    frames = []
    truth: dict[str, list[float]] = {"A": [], "B": []}
    for f in range(FRAMES):
        a = 100 + 6 * f
        b = 700 - 6 * f
        truth["A"].append(a)
        truth["B"].append(b)
        boxes, looks = [np.array(_box(a, 300)) + rng.normal(0, 2, 4)], [look_a + rng.normal(0, 0.15, 16)]
        if f not in HIDDEN:
            boxes.append(np.array(_box(b, 290, 76)) + rng.normal(0, 2, 4))
            looks.append(look_b + rng.normal(0, 0.15, 16))
        features = np.array([v / np.linalg.norm(v) for v in looks])
        frames.append((np.array(boxes), np.full(len(boxes), 0.9), features))
    return frames, truth


Frames = list[tuple[np.ndarray, np.ndarray, np.ndarray]]


def _run(cfg: ByteTrackSettings, frames: Frames) -> dict[int, dict[int, float]]:
    tracker = ByteTracker(cfg)
    for boxes, scores, features in frames:
        tracker.update(boxes, scores, features)
    tracks: dict[int, dict[int, float]] = {}
    for box in tracker.finish():
        tracks.setdefault(box.track, {})[box.frame] = (box.box[0] + box.box[2]) / 2
    return tracks


def _owner(xs: dict[int, float], truth: dict[str, list[float]]) -> set[str]:
    """Which true people a track's boxes follow (each box to the nearest person at that frame)."""
    apart = {f for f in xs if abs(truth["A"][f] - truth["B"][f]) > 40}
    return {min(truth, key=lambda p: abs(truth[p][f] - xs[f])) for f in apart}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_people_crossing_one_hidden_for_two_seconds_keep_their_identities(seed: int) -> None:
    frames, truth = _crossing(seed)
    cfg = tracker_settings(AnalyzerSettings(), 100.0)
    # the online tracker gives up on B after 0.5 s: only the offline linking can bring it back
    cfg = replace(cfg, lost_frames=5)
    tracks = _run(cfg, frames)
    assert len(tracks) == 2, {k: (min(v), max(v)) for k, v in tracks.items()}
    owners = [_owner(xs, truth) for xs in tracks.values()]
    assert sorted(map(sorted, owners)) == [["A"], ["B"]]
    for xs in tracks.values():
        assert sorted(xs) == list(range(FRAMES))  # B's 2 s behind A are filled in
    b_track = next(xs for xs in tracks.values() if _owner(xs, truth) == {"B"})
    for f in HIDDEN:
        assert abs(b_track[f] - truth["B"][f]) < 20  # the gap follows B's walk, not A's


def test_without_the_offline_linking_the_hidden_person_comes_back_as_someone_else() -> None:
    """The same case without linking: the test above cannot pass by the online tracker alone."""
    frames, truth = _crossing()
    cfg = replace(tracker_settings(AnalyzerSettings(), 100.0), lost_frames=5, link_frames=0)
    tracks = _run(cfg, frames)
    assert len(tracks) == 3
    assert sum(_owner(xs, truth) == {"B"} for xs in tracks.values()) == 2


def test_appearance_keeps_two_lookalike_paths_apart() -> None:
    """A tracklet that ends where another starts is not joined to it when they do not look alike."""
    first = Tracklet(0, np.arange(0, 20), np.array([_box(100 + 5 * f, 300) for f in range(20)]),
                     np.eye(4)[0], np.eye(4)[0])
    other = Tracklet(1, np.arange(30, 50), np.array([_box(100 + 5 * f, 300) for f in range(30, 50)]),
                     np.eye(4)[1], np.eye(4)[1])
    same = Tracklet(2, np.arange(30, 50), np.array([_box(100 + 5 * f, 300) for f in range(30, 50)]),
                    np.eye(4)[0], np.eye(4)[0])
    cfg = ByteTrackSettings()
    assert len(link_tracklets([first, other], cfg)) == 2
    assert len(link_tracklets([first, same], cfg)) == 1


def test_a_second_track_on_the_same_person_is_merged_where_they_overlap() -> None:
    first = Tracklet(0, np.arange(0, 30), np.array([_box(100 + 5 * f, 300) for f in range(30)]), np.eye(4)[0],
                     np.eye(4)[0])
    duplicate = Tracklet(1, np.arange(26, 60), np.array([_box(102 + 5 * f, 301) for f in range(26, 60)]),
                         np.eye(4)[0], np.eye(4)[0])
    beside = Tracklet(2, np.arange(26, 60), np.array([_box(160 + 5 * f, 300) for f in range(26, 60)]),
                      np.eye(4)[0], np.eye(4)[0])
    cfg = ByteTrackSettings()
    merged = link_tracklets([first, duplicate], cfg)
    assert len(merged) == 1
    assert list(merged[0].frames) == list(range(60))
    assert len(link_tracklets([first, beside], cfg)) == 2  # someone walking beside is someone else


def test_smoothing_removes_jitter_and_keeps_a_steady_walk() -> None:
    rng = np.random.default_rng(3)
    frames = np.arange(60)
    true = np.array([_box(100 + 4 * f, 300 + f) for f in frames])
    noisy = true + rng.normal(0, 4, true.shape)
    smoothed = smooth_boxes(frames, noisy, 3.0)
    assert np.abs(smoothed - true).mean() < 0.6 * np.abs(noisy - true).mean()
    assert np.allclose(smooth_boxes(frames, true, 3.0), true)  # a local linear fit: no lag, no shrink at the ends
    gappy = np.r_[frames[:20], frames[40:]]
    assert np.allclose(smooth_boxes(gappy, true[gappy], 3.0), true[gappy])


def test_finish_tracks_fills_gaps_up_to_the_limit_only() -> None:
    boxes = np.array([_box(100 + 4 * f, 300) for f in range(40)])
    keep = np.r_[np.arange(0, 10), np.arange(15, 40)]  # a 5-frame gap
    cfg = ByteTrackSettings(max_gap_frames=5, link_frames=0)
    out = finish_tracks([Tracklet(0, keep, boxes[keep])], cfg)
    assert [b.frame for b in out] == list(range(40))
    assert [b.frame for b in out if not b.observed] == list(range(10, 15))
    short = finish_tracks([Tracklet(0, keep, boxes[keep])], replace(cfg, max_gap_frames=4))
    assert len(short) == len(keep)


def test_two_people_side_by_side_leave_one_fold_without_a_pair_of_different_people() -> None:
    """The appearance model is cross-fitted on two folds of pair groups; with only two tracklets
    seen together every "different people" pair falls in one fold. That fold then learns nothing
    (the linking goes on without appearance) instead of failing the job (a short clip analysed
    with the int8 detector raised ValueError from numpy here)."""
    rng = np.random.default_rng(3)
    cfg = tracker_settings(AnalyzerSettings(), 100.0)
    frames = np.arange(100, dtype=np.int64)
    people = []
    for key, (x, colour) in enumerate(((100.0, 0), (500.0, 5))):
        boxes = np.array([[x + f, 100.0, x + f + 40.0, 200.0] for f in frames])
        base = np.zeros(16)
        base[colour : colour + 4] = 1.0
        features = base + 0.05 * rng.standard_normal((len(frames), 16))
        features /= np.linalg.norm(features, axis=1, keepdims=True)
        people.append(Tracklet(key, frames, boxes, features[0], features[-1], features))
    linked = link_tracklets(people, cfg)
    assert sorted(len(t.frames) for t in linked) == [100, 100]
