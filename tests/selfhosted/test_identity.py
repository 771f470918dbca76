"""Person identity over the whole video (the offline linking): synthetic boxes, seconds to run.

Each case is a behaviour the linking relies on to generalise to video it was not tuned on:
people who walk out of the picture are not joined to people who walk in, an ambiguous
continuation is left open, appearance is learned from the video itself, a false track shorter
than a person's visit is not reported, and nothing depends on the frame size or frame rate.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("scipy")

from rekotrack.selfhosted.vision._analyzer import tracker_settings  # noqa: E402
from rekotrack.selfhosted.vision._bytetrack import ByteTracker  # noqa: E402
from rekotrack.selfhosted.vision._linking import Tracklet, link_tracklets  # noqa: E402
from rekotrack.selfhosted.vision._settings import AnalyzerSettings, ByteTrackSettings  # noqa: E402

WIDTH, HEIGHT = 800, 600


def _box(cx: float, feet: float, h: float = 80.0) -> np.ndarray:
    return np.array([cx - 0.2 * h, feet - h, cx + 0.2 * h, feet])


def _clip(box: np.ndarray, scale: float = 1.0) -> np.ndarray:
    out = box.copy()
    out[[0, 2]] = out[[0, 2]].clip(0, WIDTH * scale)
    out[[1, 3]] = out[[1, 3]].clip(0, HEIGHT * scale)
    return out


def _settings(step_ms: float = 100.0) -> ByteTrackSettings:
    return tracker_settings(AnalyzerSettings(), step_ms)


def _run(cfg: ByteTrackSettings, frames: list[tuple[list[np.ndarray], list[np.ndarray] | None]]) -> dict[int, dict]:
    """Feed (boxes, features) per frame; returns {track: {frame: centre x}} of the observed boxes."""
    tracker = ByteTracker(cfg)
    for boxes, looks in frames:
        array = np.array(boxes, dtype=np.float64).reshape(-1, 4)
        features = None if looks is None or not looks else np.array(looks).reshape(len(boxes), -1)
        tracker.update(array, np.full(len(array), 0.9), features)
    tracks: dict[int, dict] = {}
    for box in tracker.finish():
        if box.observed:
            tracks.setdefault(box.track, {})[box.frame] = (box.box[0] + box.box[2]) / 2
    return tracks


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_one_who_walks_out_of_the_picture_is_not_joined_to_one_who_walks_in() -> None:
    """A leaves at the right edge; 1.5 s later B comes in at the same edge, walking back: two people."""
    rng = np.random.default_rng(0)
    look = _unit(np.ones(8))
    frames: list[tuple[list[np.ndarray], list[np.ndarray] | None]] = []
    for f in range(120):
        boxes = []
        if f < 50:  # A walks right and out: its box is cut by the edge, then gone
            boxes.append(_clip(_box(560 + 5 * f, 400) + rng.normal(0, 1, 4)))
        if f >= 65:  # B walks in from the right, leftwards
            boxes.append(_clip(_box(810 - 5 * (f - 65), 390) + rng.normal(0, 1, 4)))
        boxes = [b for b in boxes if b[2] - b[0] > 8]
        frames.append((boxes, [look + rng.normal(0, 0.01, 8) for _ in boxes]))
    tracks = _run(_settings(), frames)
    spans = sorted((min(t), max(t)) for t in tracks.values())
    assert len(tracks) == 2, spans
    assert spans[0][1] < 50 <= 65 <= spans[1][0]


def test_an_ambiguous_continuation_is_left_open() -> None:
    """A hides for 2 s; two lookalikes appear, symmetric about where A was heading: neither is A."""
    rng = np.random.default_rng(1)
    look = _unit(np.ones(8))
    frames: list[tuple[list[np.ndarray], list[np.ndarray] | None]] = []
    for f in range(100):
        boxes = []
        if f < 40:
            boxes.append(_box(200 + 4 * f, 400) + rng.normal(0, 1, 4))
        if f >= 60:  # A would be at x = 440: one 60 px above its path, one 60 px below
            boxes.append(_box(440 + 4 * (f - 60), 340) + rng.normal(0, 1, 4))
            boxes.append(_box(440 + 4 * (f - 60), 460) + rng.normal(0, 1, 4))
        frames.append((boxes, [look + rng.normal(0, 0.01, 8) for _ in boxes]))
    tracks = _run(_settings(), frames)
    assert len(tracks) == 3, sorted((min(t), max(t)) for t in tracks.values())


def test_an_unambiguous_continuation_is_linked() -> None:
    """The control of the test above: with one candidate only, A is continued."""
    rng = np.random.default_rng(1)
    look = _unit(np.ones(8))
    frames: list[tuple[list[np.ndarray], list[np.ndarray] | None]] = []
    for f in range(100):
        boxes = []
        if f < 40:
            boxes.append(_box(200 + 4 * f, 400) + rng.normal(0, 1, 4))
        if f >= 60:
            boxes.append(_box(440 + 4 * (f - 60), 400) + rng.normal(0, 1, 4))
        frames.append((boxes, [look + rng.normal(0, 0.01, 8) for _ in boxes]))
    assert len(_run(_settings(), frames)) == 1


def _lanes(successor_look: int, seed: int = 2) -> list[tuple[list[np.ndarray], list[np.ndarray] | None]]:
    """Four people walk side by side for 10 s. Their colour signatures share a large common part
    (the scene's light), so any two look alike by raw cosine (> 0.9); what tells them apart is
    small. The first lane's walker is gone from 6 s to 7 s, and from 7 s someone walks on where
    they were heading, wearing the clothes of lane ``successor_look``."""
    rng = np.random.default_rng(seed)
    common = np.r_[np.ones(4), np.zeros(12)] * 3.0
    looks = [common + np.eye(16)[4 + 2 * k] + np.eye(16)[5 + 2 * k] for k in range(4)]
    frames: list[tuple[list[np.ndarray], list[np.ndarray] | None]] = []
    for f in range(100):
        boxes, features = [], []
        for lane in range(4):
            if lane == 0 and 60 <= f < 70:
                continue
            look = looks[successor_look if lane == 0 and f >= 70 else lane]
            sway = 12 * np.sin(f / 6 + lane)  # people do not walk at a constant speed
            boxes.append(_box(100 + 5 * f + sway, 200 + 110 * lane) + rng.normal(0, 1, 4))
            features.append(_unit(look + rng.normal(0, 0.05, 16)))
        frames.append((boxes, features))
    return frames


def test_appearance_is_learned_from_the_video_and_tells_lookalikes_apart() -> None:
    """Someone in other clothes who walks on where the first lane's walker was heading is someone
    else, although raw colour similarity (> 0.9) would accept them; the same clothes are linked."""
    cfg = replace(_settings(), lost_frames=3)  # the online tracker does not bridge the second
    assert len(_run(cfg, _lanes(successor_look=2))) == 5
    assert len(_run(cfg, _lanes(successor_look=0))) == 4


def test_a_false_track_shorter_than_a_visit_is_not_reported_but_one_cut_by_the_video_is() -> None:
    rng = np.random.default_rng(3)
    frames: list[tuple[list[np.ndarray], list[np.ndarray] | None]] = []
    for f in range(100):
        boxes = [_box(100 + 5 * f, 300) + rng.normal(0, 1, 4)]
        if 40 <= f < 48:  # 0.8 s of a false detection far from anyone
            boxes.append(_box(600, 500) + rng.normal(0, 1, 4))
        if f >= 92:  # someone who walks in during the video's last 0.8 s
            boxes.append(_box(700, 200) + rng.normal(0, 1, 4))
        frames.append((boxes, None))
    tracks = _run(_settings(), frames)
    starts = sorted(min(t) for t in tracks.values())
    assert starts == [0, 92]


def _crossing_behind(scale: float, every: int) -> list[tuple[list[np.ndarray], list[np.ndarray] | None]]:
    """Two people in alike clothes cross behind a pillar and are both hidden for 3 s (at 10 frames a
    second of video, or ``every`` times as many frames; pixels times ``scale``)."""
    rng = np.random.default_rng(4)
    look = _unit(np.ones(8))
    frames: list[tuple[list[np.ndarray], list[np.ndarray] | None]] = []
    for n in range(120 * every):
        t = n / (10.0 * every)  # seconds
        boxes = []
        for x0, v, feet in ((100.0, 40.0, 420.0), (700.0, -40.0, 380.0)):
            x = x0 + v * t
            if not 385 <= (100.0 + 40.0 * t) <= 505:  # both behind the pillar for 3 s
                boxes.append((_box(x, feet) + rng.normal(0, 1, 4)) * scale)
        frames.append((boxes, [look + rng.normal(0, 0.01, 8) for _ in boxes]))
    return frames


@pytest.mark.parametrize(("scale", "every"), [(1.0, 1), (2.0, 1), (2.0, 2)])
def test_two_alike_people_crossing_behind_an_occluder_for_3_s_keep_their_indexes(scale: float, every: int) -> None:
    """The same scene at twice the pixels, and at twice the frame rate: the same two tracks."""
    cfg = replace(_settings(100.0 / every), lost_frames=2 * every)  # only the offline linking can bridge 3 s
    tracks = _run(cfg, _crossing_behind(scale, every))
    assert len(tracks) == 2, sorted((min(t), max(t)) for t in tracks.values())
    for xs in tracks.values():
        frames = sorted(xs)
        direction = np.sign(xs[frames[-1]] - xs[frames[0]])
        steps = np.sign(np.diff([xs[f] for f in frames]))
        assert (steps == direction).mean() > 0.9  # one walker each way: no switch at the crossing


def _tracklet(key: int, frames: range, x0: float, vx: float, feet: float = 400.0,
              look: np.ndarray | None = None, seed: int = 0, jitter: float = 1.0) -> Tracklet:
    rng = np.random.default_rng(seed + key)
    f = np.arange(frames.start, frames.stop)
    boxes = np.array([_box(x0 + vx * (k - frames.start), feet) for k in f]) + rng.normal(0, jitter, (len(f), 4))
    features = None
    if look is not None:
        features = np.array([_unit(look + rng.normal(0, 0.01, len(look))) for _ in f])
    return Tracklet(key, f.astype(np.int64), boxes, None, None, features)


def test_a_pair_that_overlaps_in_time_for_longer_than_a_duplicate_is_never_linked() -> None:
    """Two tracks on the same path and in the same clothes that coexist for 3 s are two people."""
    look = _unit(np.ones(8))
    cfg = replace(_settings(), frame_width=WIDTH, frame_height=HEIGHT)
    first = _tracklet(0, range(0, 60), 100, 4, look=look)
    second = _tracklet(1, range(30, 90), 100 + 4 * 30 + 60, 4, look=look)  # 60 px ahead, 3 s together
    assert len(link_tracklets([first, second], cfg)) == 2
    apart = _tracklet(2, range(59, 100), 100 + 4 * 59, 4, look=look)  # the same walk, overlapping 1 frame
    assert len(link_tracklets([first, apart], cfg)) == 1


def test_a_partial_last_box_before_an_occlusion_does_not_break_the_link() -> None:
    """The box just before A is hidden is merged with the person in front (half as tall again): the
    end of A is its last second, so A is still continued after the 1 s behind them."""
    look = _unit(np.ones(8))
    cfg = replace(_settings(), frame_width=WIDTH, frame_height=HEIGHT)
    first = _tracklet(0, range(0, 40), 100, 4, look=look)
    first.boxes[-1, 1] -= 40  # the last box reaches 40 px higher: 1.5 times as tall
    after = _tracklet(1, range(50, 90), 100 + 4 * 50, 4, look=look)
    others = [_tracklet(2 + k, range(0, 90), 100, 4, feet=150 + 100 * k, look=_unit(np.eye(8)[k] + 0.3), seed=9)
              for k in range(2)]
    chains = link_tracklets([first, after, *others], cfg)
    assert len(chains) == 3, [(c.start, c.end) for c in chains]
