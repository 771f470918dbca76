"""Exports: JSON Lines, save/load, CSV and MOTChallenge, from a result and streamed from a pager."""

from __future__ import annotations

import csv
import gc
import io
import json
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from results_support import (
    FULL_HD,
    box,
    det,
    face,
    hand_built,
    odd_shapes,
    scene_detections,
    synthetic,
    synthetic_pager,
)

from rekotrack._models import PersonDetection, VideoMetadata
from rekotrack._results import (
    CSV_COLUMNS,
    TrackingResult,
    mot_frame,
    read_jsonl,
    write_csv,
    write_jsonl,
    write_mot,
)

# ---- JSON Lines and save/load ---------------------------------------------------------


def test_jsonl_is_the_aws_shape_and_reads_back(tmp_path: Path) -> None:
    items = hand_built() + odd_shapes()
    models = [PersonDetection.model_validate(item) for item in items]
    assert write_jsonl(models, tmp_path / "a.jsonl") == len(items)
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [m.to_aws() for m in models]
    assert list(read_jsonl(tmp_path / "a.jsonl")) == models
    with (tmp_path / "a.jsonl").open(encoding="utf-8") as handle:
        assert list(read_jsonl(handle)) == models


def test_result_to_jsonl_equals_streaming_export(tmp_path: Path) -> None:
    items, metadata = scene_detections()
    result = TrackingResult.from_detections(items, video_metadata=metadata)
    buffer = io.StringIO()
    assert result.to_jsonl(buffer) == len(items)
    write_jsonl(result.detections, tmp_path / "b.jsonl")
    assert buffer.getvalue() == (tmp_path / "b.jsonl").read_text(encoding="utf-8")


def test_save_load_round_trips_exactly(tmp_path: Path) -> None:
    items, metadata = scene_detections()
    items = items + odd_shapes()
    result = TrackingResult.from_detections(items, video_metadata=metadata, job_id="job-9")
    result.save(tmp_path / "r.jsonl")
    header = json.loads((tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert header == {
        "RekotrackResult": 1,
        "JobId": "job-9",
        "VideoMetadata": VideoMetadata.model_validate(metadata).to_aws(),
        "DetectionCount": len(items),
    }
    loaded = TrackingResult.load(tmp_path / "r.jsonl")
    assert loaded.job_id == "job-9"
    assert loaded.video_metadata == result.video_metadata
    assert list(loaded.detections) == list(result.detections)
    assert [d.to_aws() for d in loaded.detections] == [PersonDetection.model_validate(i).to_aws() for i in items]
    loaded.save(tmp_path / "again.jsonl")
    assert (tmp_path / "again.jsonl").read_bytes() == (tmp_path / "r.jsonl").read_bytes()
    assert [d.to_aws() for d in read_jsonl(tmp_path / "r.jsonl")] == [d.to_aws() for d in result.detections]


def test_load_reads_plain_jsonl_without_metadata(tmp_path: Path) -> None:
    result = TrackingResult.from_detections(hand_built())
    result.to_jsonl(tmp_path / "plain.jsonl")
    loaded = TrackingResult.load(tmp_path / "plain.jsonl")
    assert loaded.video_metadata is None
    assert loaded.job_id is None
    assert [d.to_aws() for d in loaded.detections] == hand_built()


def test_load_refuses_truncated_or_broken_files(tmp_path: Path) -> None:
    TrackingResult.from_detections(hand_built(), job_id="j").save(tmp_path / "r.jsonl")
    lines = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "short.jsonl").write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(ValueError, match="truncated"):
        TrackingResult.load(tmp_path / "short.jsonl")
    (tmp_path / "cut.jsonl").write_text("".join(lines[:3]) + lines[3][:10], encoding="utf-8")
    with pytest.raises(ValueError, match="line 4 is not JSON"):
        TrackingResult.load(tmp_path / "cut.jsonl")
    (tmp_path / "v9.jsonl").write_text('{"RekotrackResult": 9}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="version 9"):
        TrackingResult.load(tmp_path / "v9.jsonl")
    (tmp_path / "bad.jsonl").write_text('{"Timestamp": 1}\n{"Timestamp": "soon"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="line 2 is not a detection"):
        TrackingResult.load(tmp_path / "bad.jsonl")
    (tmp_path / "list.jsonl").write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a JSON object"):
        list(read_jsonl(tmp_path / "list.jsonl"))


# ---- CSV --------------------------------------------------------------------------------


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_columns_and_values() -> None:
    buffer = io.StringIO()
    items = [
        det(1500, 3, box(0.25, 0.5, 0.1, 0.3), Face=face(98.7)),
        det(1700, None, None),
        {"Timestamp": 1800, "Person": {"Index": 4, "BoundingBox": {"Left": 0.1 + 0.2}}},
    ]
    assert write_csv((PersonDetection.model_validate(i) for i in items), buffer) == 3
    text = buffer.getvalue()
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert "\r" not in text
    full, empty, partial = _csv_rows(text)
    assert full == {
        "timestamp_ms": "1500",
        "person_index": "3",
        "box_left": "0.25",
        "box_top": "0.5",
        "box_width": "0.1",
        "box_height": "0.3",
        "has_face": "1",
        "face_confidence": "98.7",
        "face_left": "0.3",
        "face_top": "0.2",
        "face_width": "0.05",
        "face_height": "0.06",
        "face_roll": "-1.5",
        "face_yaw": "12.25",
        "face_pitch": "3.0",
        "face_brightness": "71.2",
        "face_sharpness": "53.3",
    }
    assert empty == {**dict.fromkeys(CSV_COLUMNS, ""), "timestamp_ms": "1700", "has_face": "0"}
    assert float(partial["box_left"]) == 0.1 + 0.2  # floats are written exactly
    assert partial["box_top"] == ""


def test_result_to_csv_equals_streaming_export() -> None:
    items, _ = scene_detections()
    result = TrackingResult.from_detections(items + hand_built() + odd_shapes())
    from_result, streamed = io.StringIO(), io.StringIO()
    result.to_csv(from_result)
    write_csv(result.detections, streamed)
    assert from_result.getvalue() == streamed.getvalue()
    assert len(_csv_rows(from_result.getvalue())) == len(result)


# ---- MOTChallenge ---------------------------------------------------------------------------


def test_mot_frame_mapping() -> None:
    assert mot_frame(0, 25.0) == 1
    assert mot_frame(1000, 25.0) == 26
    assert mot_frame(1019, 25.0) == 26  # 25.475 frames -> 25
    assert mot_frame(1020, 25.0) == 27  # 25.5 frames rounds half up -> 26
    assert mot_frame(143, 7.0) == 2  # 1.001 frames
    assert mot_frame(2 * 1001, 29.97) == 61  # 60.0 frames at NTSC rate


def test_mot_coordinates_are_hand_computed_pixels() -> None:
    items = [
        det(1000, 0, box(0.25, 0.5, 0.1, 0.3), Face=face(98.7)),
        det(1020, 7, box(0.123456, 0.0, 0.5, 0.999999)),
        det(1040, 1, None, Face=face()),  # no person box: skipped
        det(None, 1, box(0.1, 0.1, 0.1, 0.1)),  # no timestamp: skipped
        det(1060, None, box(0.1, 0.1, 0.1, 0.1)),  # no index: skipped
        {"Timestamp": 1080, "Person": {"Index": 2, "BoundingBox": {"Left": 0.1, "Top": 0.1}}},  # partial: skipped
    ]
    out = io.StringIO()
    count = write_mot((PersonDetection.model_validate(i) for i in items), out, VideoMetadata.model_validate(FULL_HD))
    assert count == 2
    assert out.getvalue() == (
        "26,1,480.00,540.00,192.00,324.00,0.987,-1,-1,-1\n"
        # 0.123456*1920 = 237.03552, 0.999999*1080 = 1079.99892; frame 25.5 -> 27
        "27,8,237.04,0.00,960.00,1080.00,1,-1,-1,-1\n"
    )


def test_mot_needs_frame_size_and_rate(tmp_path: Path) -> None:
    detections = [PersonDetection.model_validate(det(0, 0, box(0.1, 0.1, 0.1, 0.1)))]
    for metadata in (None, {"FrameWidth": 640, "FrameHeight": 480}, {**FULL_HD, "FrameRate": 0.0}):
        with pytest.raises(ValueError, match="FrameWidth, FrameHeight and FrameRate"):
            write_mot(detections, tmp_path / "x.txt", metadata)
    assert not (tmp_path / "x.txt").exists()  # nothing is written before the check
    with pytest.raises(ValueError, match="FrameRate"):
        TrackingResult.from_detections(detections).to_mot(io.StringIO())


def test_result_to_mot_is_in_time_order() -> None:
    result = TrackingResult.from_detections(hand_built(), video_metadata=FULL_HD)
    out = io.StringIO()
    assert result.to_mot(out) == 8  # of 11: no index, no timestamp and face only are skipped
    frames = [int(line.split(",")[0]) for line in out.getvalue().splitlines()]
    assert frames == sorted(frames)
    assert frames[0] == 1
    assert frames[-1] == mot_frame(5000, 25.0) == 126


def _pets_detections(lines: Iterable[str]) -> Iterable[dict[str, Any]]:
    for line in lines:
        frame, ident, left, top, width, height = (float(v) for v in line.split(",")[:6])
        yield det(
            round((frame - 1) * 1000 / 7),  # ms of the frame at 7 fps
            int(ident) - 1,
            box(left / 768, top / 576, width / 768, height / 576),
        )


def test_mot_reproduces_pets09_ground_truth(pets_gt: Path, tmp_path: Path) -> None:
    """MOT15 PETS09-S2L1 (768x576, 7 fps): gt -> PersonDetections (ratios) -> write_mot -> the same boxes."""
    gt = pets_gt.read_text(encoding="utf-8").splitlines()
    detections = [PersonDetection.model_validate(item) for item in _pets_detections(gt)]
    metadata = VideoMetadata(frame_width=768, frame_height=576, frame_rate=7.0)
    assert write_mot(detections, tmp_path / "pets.txt", metadata) == len(gt)
    ours = (tmp_path / "pets.txt").read_text(encoding="utf-8").splitlines()
    for theirs_line, our_line in zip(gt, ours, strict=True):
        theirs, mine = theirs_line.split(","), our_line.split(",")
        assert mine[:2] == theirs[:2]  # frame and id exactly
        for a, b in zip(theirs[2:6], mine[2:6], strict=True):
            assert abs(float(a) - float(b)) <= 0.005 + 1e-9
        assert mine[6:] == ["1", "-1", "-1", "-1"]
    result = TrackingResult.from_detections(detections, video_metadata=metadata)
    assert len(result.tracks()) == len({line.split(",")[1] for line in gt})
    buffer = io.StringIO()
    result.to_mot(buffer)
    assert buffer.getvalue().splitlines() == ours  # gt is in frame order already


# ---- streaming in constant memory -----------------------------------------------------------


def _peak_bytes(export: Callable[[Iterable[PersonDetection], Path], int], n: int, path: Path) -> int:
    models = [PersonDetection.model_validate(item) for item in synthetic(300)]
    gc.collect()
    tracemalloc.start()
    try:
        assert export((models[k % 300] for k in range(n)), path) == n
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("name", ["csv", "jsonl"])
def test_streaming_100k_detections_in_constant_memory(name: str, tmp_path: Path) -> None:
    export = write_csv if name == "csv" else write_jsonl
    peak = _peak_bytes(export, 100_000, tmp_path / f"big.{name}")
    assert peak < 1_000_000, f"peak {peak:,} bytes"
    with (tmp_path / f"big.{name}").open(encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == 100_000 + (name == "csv")


def test_streaming_mot_in_constant_memory(tmp_path: Path) -> None:
    peak = _peak_bytes(lambda d, p: write_mot(d, p, FULL_HD), 20_000, tmp_path / "big.txt")
    assert peak < 1_000_000, f"peak {peak:,} bytes"


def test_streaming_from_a_real_pager(tmp_path: Path) -> None:
    pager = synthetic_pager(5_000, page_size=1000)
    assert write_mot(pager, tmp_path / "p.txt", pager.video_metadata) == 5_000
    assert write_csv(pager, tmp_path / "p.csv") == 5_000
    assert write_jsonl(pager, tmp_path / "p.jsonl") == 5_000
    assert [d.to_aws() for d in read_jsonl(tmp_path / "p.jsonl")] == list(synthetic(5_000))
