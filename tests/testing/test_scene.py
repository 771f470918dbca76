"""SyntheticScene: deterministic, exact, random-access, AWS-shaped detections."""

from __future__ import annotations

import json
import time
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rekotrack.testing import SyntheticScene

LANDMARKS = ["eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight"]


def _key(d: dict[str, Any]) -> tuple[int, int]:
    return d["Timestamp"], d["Person"]["Index"]


def _floats(node: Any) -> list[float]:
    if isinstance(node, float):
        return [node]
    if isinstance(node, dict):
        return [f for v in node.values() for f in _floats(v)]
    if isinstance(node, list):
        return [f for v in node for f in _floats(v)]
    return []


def _box_inside(box: dict[str, float]) -> None:
    assert set(box) == {"Width", "Height", "Left", "Top"}
    assert 0 < box["Width"] <= 1
    assert 0 < box["Height"] <= 1
    assert box["Left"] >= 0
    assert box["Top"] >= 0
    assert box["Left"] + box["Width"] <= 1 + 1e-9
    assert box["Top"] + box["Height"] <= 1 + 1e-9


@pytest.fixture(scope="module")
def scene() -> SyntheticScene:
    return SyntheticScene(seed=1, people=12, duration_ms=1_800_000)


@pytest.fixture(scope="module")
def truth(scene: SyntheticScene) -> list[dict[str, Any]]:
    return list(scene.ground_truth())


def test_counts(scene: SyntheticScene, truth: list[dict[str, Any]]) -> None:
    assert len(scene) == scene.detection_count == len(truth) > 10_000
    assert sum(scene.person_detection_counts().values()) == len(truth)
    assert set(scene.person_detection_counts()) == set(range(12))  # everybody shows up


def test_timestamp_order_and_uniqueness(truth: list[dict[str, Any]]) -> None:
    keys = [_key(d) for d in truth]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_index_order_is_the_same_set(scene: SyntheticScene, truth: list[dict[str, Any]]) -> None:
    by_index = list(scene.ground_truth("INDEX"))
    keys = [(d["Person"]["Index"], d["Timestamp"]) for d in by_index]
    assert keys == sorted(keys)
    assert sorted(by_index, key=_key) == truth


def test_determinism() -> None:
    a = SyntheticScene(seed=42, people=4, duration_ms=120_000)
    b = SyntheticScene(seed=42, people=4, duration_ms=120_000)
    c = SyntheticScene(seed=43, people=4, duration_ms=120_000)
    assert list(a.ground_truth()) == list(b.ground_truth())
    assert list(a.ground_truth()) != list(c.ground_truth())
    assert list(SyntheticScene.for_uri("s3://b/k.mp4").ground_truth()) == list(
        SyntheticScene.for_uri("s3://b/k.mp4").ground_truth()
    )


def test_detection_shape(truth: list[dict[str, Any]]) -> None:
    faces = 0
    face_only = 0
    for d in truth:
        assert set(d) == {"Timestamp", "Person"}
        assert isinstance(d["Timestamp"], int)
        person = d["Person"]
        assert set(person) <= {"Index", "BoundingBox", "Face"}
        if "BoundingBox" in person:
            _box_inside(person["BoundingBox"])
        else:
            face_only += 1
            assert "Face" in person
        face = person.get("Face")
        if face is not None:
            faces += 1
            # Only the default attributes.
            assert set(face) == {"BoundingBox", "Confidence", "Landmarks", "Pose", "Quality"}
            _box_inside(face["BoundingBox"])
            assert [m["Type"] for m in face["Landmarks"]] == LANDMARKS
            for mark in face["Landmarks"]:
                assert set(mark) == {"Type", "X", "Y"}
                assert 0 <= mark["X"] <= 1
                assert 0 <= mark["Y"] <= 1
            assert set(face["Pose"]) == {"Roll", "Yaw", "Pitch"}
            assert set(face["Quality"]) == {"Brightness", "Sharpness"}
            assert 0 <= face["Quality"]["Brightness"] <= 100
            assert 0 <= face["Quality"]["Sharpness"] <= 100
            assert 90 <= face["Confidence"] <= 100
    assert 0.08 * len(truth) < faces < 0.25 * len(truth)
    assert 0 < face_only < faces


def test_floats_round_trip_json_with_six_decimals(truth: list[dict[str, Any]]) -> None:
    sample = truth[:3000]
    assert json.loads(json.dumps(sample)) == sample
    for value in _floats(sample):
        assert type(value) is float
        assert round(value, 6) == value
        assert float(f"{value:.6f}") == value


def test_smooth_paths_occlusions_and_reentries(scene: SyntheticScene) -> None:
    step = scene.sample_interval_ms
    short_gaps = long_gaps = 0
    largest_jump = 0.0
    by_index = list(scene.ground_truth("INDEX"))
    for before, after in pairwise(by_index):
        if before["Person"]["Index"] == after["Person"]["Index"]:
            gap = after["Timestamp"] - before["Timestamp"]
            if gap > 10_000:
                long_gaps += 1  # left the frame and came back, same Index
            elif gap > step + 1:
                short_gaps += 1  # occluded for a moment
            elif "BoundingBox" in before["Person"] and "BoundingBox" in after["Person"]:
                a, b = before["Person"]["BoundingBox"], after["Person"]["BoundingBox"]
                largest_jump = max(largest_jump, abs(a["Left"] - b["Left"]), abs(a["Top"] - b["Top"]))
    assert short_gaps > 20
    assert long_gaps > 5
    assert largest_jump < 0.05  # consecutive samples of a walk are close


def test_a_longer_scene_extends_a_shorter_one() -> None:
    short = SyntheticScene(seed=4, people=7, duration_ms=400_000)
    long = SyntheticScene(seed=4, people=7, duration_ms=900_000)
    assert [_key(d) for d in short.ground_truth()] == [_key(d) for d in long.ground_truth() if d["Timestamp"] < 400_000]


def test_timestamps_are_frame_aligned() -> None:
    scene = SyntheticScene(seed=3, people=3, duration_ms=30_000, frame_rate=29.97, sample_interval_ms=100)
    frame_ms = 1000 / 29.97
    for d in scene.ground_truth():
        frame = round(d["Timestamp"] / frame_ms)
        assert abs(frame * frame_ms - d["Timestamp"]) <= 0.5 + 1e-9
        assert d["Timestamp"] < 30_000


def test_video_metadata() -> None:
    scene = SyntheticScene(duration_ms=1234, frame_rate=24.0, width=640, height=480)
    assert scene.video_metadata() == {
        "Codec": "h264",
        "DurationMillis": 1234,
        "Format": "mp4",
        "FrameRate": 24.0,
        "FrameHeight": 480,
        "FrameWidth": 640,
        "ColorRange": "FULL",
    }


def test_status_knobs() -> None:
    ok = SyntheticScene()
    assert (ok.final_status, ok.notification_status, ok.status_message) == ("SUCCEEDED", "SUCCEEDED", None)
    failed = SyntheticScene(final_status="FAILED")
    assert failed.notification_status == "FAILED"
    assert failed.status_message
    error = SyntheticScene(final_status="FAILED", notification_status="ERROR", status_message="boom")
    assert (error.notification_status, error.status_message) == ("ERROR", "boom")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"people": -1},
        {"duration_ms": 0},
        {"frame_rate": 0},
        {"frame_rate": 30.0, "sample_interval_ms": 10},
        {"face_rate": 1.5},
        {"width": 0},
        {"final_status": "ERROR"},
        {"notification_status": "DONE"},
    ],
)
def test_argument_checks(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        SyntheticScene(**kwargs)


def test_with_detections_sizes_the_scene() -> None:
    for n in (1, 17, 500, 50_000):
        scene = SyntheticScene.with_detections(n, seed=5)
        assert abs(len(scene) - n) <= max(1, scene.people // 2), (n, len(scene))
    assert SyntheticScene.with_detections(20_000, people=40, seed=1).people == 40
    with pytest.raises(ValueError, match="n must"):
        SyntheticScene.with_detections(0)


def test_million_detections_random_access_is_cheap() -> None:
    began = time.perf_counter()
    scene = SyntheticScene.with_detections(1_000_000, seed=9)
    built = time.perf_counter() - began
    assert 990_000 <= len(scene) <= 1_010_000
    assert built < 5
    for sort_by in ("TIMESTAMP", "INDEX"):
        began = time.perf_counter()
        last = scene.page(sort_by, len(scene) - 1000, 1000)
        assert len(last) == 1000
        middle = scene.page(sort_by, len(scene) // 2, 1000)
        assert len(middle) == 1000
        assert time.perf_counter() - began < 1.0
        assert scene.page(sort_by, len(scene), 10) == []
    assert next(scene.detections("TIMESTAMP", len(scene) - 1))["Timestamp"] < scene.duration_ms


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**64 - 1),
    people=st.integers(min_value=0, max_value=6),
    duration_ms=st.integers(min_value=1, max_value=120_000),
    sample_interval_ms=st.sampled_from([34, 100, 200, 500]),
    start=st.integers(min_value=0, max_value=3_000),
    data=st.data(),
)
def test_any_jump_matches_the_full_iteration(
    seed: int, people: int, duration_ms: int, sample_interval_ms: int, start: int, data: st.DataObject
) -> None:
    scene = SyntheticScene(seed=seed, people=people, duration_ms=duration_ms, sample_interval_ms=sample_interval_ms)
    for sort_by in ("TIMESTAMP", "INDEX"):
        full = list(scene.ground_truth(sort_by))
        assert len(full) == len(scene)
        position = min(start, len(full))
        count = data.draw(st.integers(min_value=0, max_value=50))
        assert scene.page(sort_by, position, count) == full[position : position + count]
        for d in full:
            assert 0 <= d["Timestamp"] < duration_ms
            assert 0 <= d["Person"]["Index"] < max(people, 1)


def test_bad_sort_and_start() -> None:
    scene = SyntheticScene(people=1)
    with pytest.raises(ValueError, match="sort_by"):
        scene.detections("CONFIDENCE")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="start"):
        scene.detections("INDEX", -1)
    assert "SyntheticScene(seed=0" in repr(scene)
