"""Per-person tracks, gaps and presence on a hand-built case."""

from __future__ import annotations

import pytest
from results_support import hand_built

from rekotrack._models import PersonDetection
from rekotrack._results import TrackingResult


def test_tracks_group_by_index_in_time_order(hand_result: TrackingResult) -> None:
    tracks = hand_result.tracks()
    assert list(tracks) == [0, 1, 2]
    zero, one, two = tracks[0], tracks[1], tracks[2]
    assert zero.index == 0
    assert [d.timestamp for d in zero.detections] == [0, 200, 400, 2000, 2200]
    assert list(zero.timestamps) == [0, 200, 400, 2000, 2200]
    assert (zero.first_seen_ms, zero.last_seen_ms, zero.duration_ms, zero.detection_count) == (0, 2200, 2200, 5)
    assert [d.timestamp for d in two.detections] == [1000, 5000]  # collected out of order
    assert (one.detection_count, one.duration_ms) == (2, 200)
    assert all(isinstance(d, PersonDetection) for d in one.detections)
    assert "index=0" in repr(zero)


def test_detections_without_timestamp_or_index_belong_to_no_track(hand_result: TrackingResult) -> None:
    in_tracks = sum(track.detection_count for track in hand_result.tracks().values())
    assert in_tracks == len(hand_built()) - 2
    assert all(d.timestamp is not None for track in hand_result.tracks().values() for d in track.detections)


def test_path_is_box_centres_and_skips_face_only(hand_result: TrackingResult) -> None:
    tracks = hand_result.tracks()
    [(t, x, y)] = tracks[1].path
    assert t == 100
    assert x == pytest.approx(0.65)
    assert y == pytest.approx(0.25)
    t, x, y = tracks[0].path[0]
    assert t == 0
    assert x == pytest.approx(0.2)
    assert y == pytest.approx(0.4)
    assert [p[0] for p in tracks[0].path] == [0, 200, 400, 2000, 2200]


def test_gaps_are_re_entries(hand_result: TrackingResult) -> None:
    zero = hand_result.tracks()[0]
    assert zero.gaps() == [(400, 2000)]
    assert zero.visits() == [(0, 400), (2000, 2200)]
    assert zero.gaps(min_gap_ms=200) == [(0, 200), (200, 400), (400, 2000), (2000, 2200)]
    assert zero.gaps(min_gap_ms=2000) == []
    assert zero.visits(min_gap_ms=2000) == [(0, 2200)]
    assert hand_result.tracks()[2].gaps() == [(1000, 5000)]
    with pytest.raises(ValueError, match="min_gap_ms"):
        zero.gaps(min_gap_ms=-1)


def test_presence_lists_people_seen_near_a_time(hand_result: TrackingResult) -> None:
    assert hand_result.presence(200, tolerance_ms=100) == [0, 1]
    assert hand_result.presence(300, tolerance_ms=0) == [1]
    assert hand_result.presence(1200, tolerance_ms=100) == []
    assert hand_result.presence(1200) == [2]  # default tolerance 500 ms
    assert hand_result.presence(2100) == [0]
    assert hand_result.presence(-10_000) == []
    with pytest.raises(ValueError, match="tolerance_ms"):
        hand_result.presence(0, tolerance_ms=-5)


def test_tracks_returns_a_fresh_dict(hand_result: TrackingResult) -> None:
    hand_result.tracks().clear()
    assert len(hand_result.tracks()) == 3
    assert "people=3" in repr(hand_result)


def test_empty_result() -> None:
    result = TrackingResult()
    assert len(result) == 0
    assert result.tracks() == {}
    assert result.presence(0) == []
    assert list(result.detections) == []
