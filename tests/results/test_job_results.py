"""Results of the seven other Video jobs: exact round trips, JSON Lines/CSV/DataFrame, save/load, timelines, shots."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rekotrack._compact import ItemStore
from rekotrack._generated.models import ITEM_MODELS, PAGE_MODELS
from rekotrack._job_results import (
    RESULT_CLASSES,
    CelebrityResult,
    Interval,
    JobResult,
    LabelResult,
    ModerationResult,
    SegmentResult,
    Shot,
    TextResult,
)
from rekotrack._synthetic._jobs import CHOICES, JOB_KINDS, SyntheticJob

VIDEO = {"S3Object": {"Bucket": "bucket", "Name": "results.mp4"}}
START_PARAMS: dict[str, dict[str, Any]] = {
    "FaceSearch": {"CollectionId": "people"},
    "SegmentDetection": {"SegmentTypes": ["SHOT", "TECHNICAL_CUE"]},
    "FaceDetection": {"FaceAttributes": "ALL"},
}


def synthetic(kind: str) -> SyntheticJob:
    return SyntheticJob(kind, {"Video": VIDEO, **START_PARAMS.get(kind, {})})


def orders(kind: str) -> list[tuple[str | None, str | None]]:
    choices = CHOICES[kind]
    return [(s, a) for s in (choices.sort_by or (None,)) for a in (choices.aggregate_by or (None,))]


ALL_ORDERS = [(kind, s, a) for kind in JOB_KINDS for s, a in orders(kind)]


def test_every_kind_has_a_result_class_for_its_item_model() -> None:
    assert set(RESULT_CLASSES) == set(JOB_KINDS)
    for kind, cls in RESULT_CLASSES.items():
        assert cls.item_model is ITEM_MODELS[f"Get{kind}"]
        page_model = PAGE_MODELS[f"Get{kind}"]
        assert page_model.model_fields[cls._items_field].alias == cls.list_key


@pytest.mark.parametrize(("kind", "sort_by", "aggregate_by"), ALL_ORDERS)
def test_items_round_trip_exactly(kind: str, sort_by: str | None, aggregate_by: str | None) -> None:
    job = synthetic(kind)
    items = job.items(sort_by, aggregate_by)
    assert items, "the synthetic job should return items"
    result = RESULT_CLASSES[kind].from_items(items, page_fields=job.page_fields(sort_by, aggregate_by), job_id="j1")
    assert len(result) == len(items)
    assert [item.to_aws() for item in result.items] == items
    assert result.items[-1].to_aws() == items[-1]
    assert [i.to_aws() for i in result.items[1:4]] == items[1:4]
    models = [RESULT_CLASSES[kind].item_model.model_validate(i) for i in items]
    # models and dicts collect to the same thing
    assert [i.to_aws() for i in RESULT_CLASSES[kind].from_items(models).items] == items


@pytest.mark.parametrize("kind", JOB_KINDS)
def test_jsonl_csv_and_dataframe(kind: str, tmp_path: Path) -> None:
    job = synthetic(kind)
    items = job.items()
    result = RESULT_CLASSES[kind].from_items(items, page_fields=job.page_fields())
    out = io.StringIO()
    assert result.to_jsonl(out) == len(items)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == items

    path = tmp_path / "out.csv"
    assert result.to_csv(path) == len(items)
    with open(path, encoding="utf-8", newline="") as src:
        rows = list(csv.reader(src))
    assert tuple(rows[0]) == result.csv_columns
    assert len(rows) == len(items) + 1

    frame = result.to_dataframe()
    assert list(frame.columns) == list(result.csv_columns)
    assert len(frame) == len(items)
    # every CSV cell is the frame's value, written the same way
    for r, row in enumerate(rows[1:]):
        for name, cell in zip(rows[0], row, strict=True):
            value = frame[name].iloc[r]
            if cell == "":
                # absent, or an empty list joined to ""
                assert value is pd_na() or value == "" or (isinstance(value, float) and math.isnan(value))
            elif frame[name].dtype == "boolean":
                assert cell == ("1" if value else "0")
            elif frame[name].dtype == "float64":
                assert float(cell) == value
            else:
                assert cell == str(value)


def pd_na() -> Any:
    import pandas as pd

    return pd.NA


def test_csv_columns_read_the_right_members() -> None:
    item = {
        "Timestamp": 1500,
        "Label": {
            "Name": "Car",
            "Confidence": 91.25,
            "Instances": [{"Confidence": 90.0}, {"Confidence": 80.5}],
            "Parents": [{"Name": "Vehicle"}, {"Name": "Transportation"}],
            "Categories": [{"Name": "Vehicles and Automotive"}],
        },
    }
    out = io.StringIO()
    LabelResult([item]).to_csv(out)
    header, row = out.getvalue().splitlines()
    assert dict(zip(header.split(","), row.split(","), strict=True)) == {
        "timestamp_ms": "1500",
        "name": "Car",
        "confidence": "91.25",
        "start_ms": "",
        "end_ms": "",
        "duration_ms": "",
        "instance_count": "2",
        "parents": "Vehicle|Transportation",
        "categories": "Vehicles and Automotive",
    }
    frame = LabelResult([item]).to_dataframe()
    assert frame["instance_count"].dtype == "Int64"
    assert frame["start_ms"].isna().all()
    assert frame["name"].iloc[0] == "Car"


@pytest.mark.parametrize("kind", JOB_KINDS)
def test_save_and_load(kind: str, tmp_path: Path) -> None:
    job = synthetic(kind)
    cls = RESULT_CLASSES[kind]
    result = cls.from_items(job.items(), page_fields=job.page_fields(), job_id="job-7")
    path = tmp_path / "result.jsonl"
    result.save(path)
    loaded = cls.load(path)
    assert loaded.job_id == "job-7"
    assert loaded.page_fields == result.page_fields
    assert loaded.video_metadata == result.video_metadata
    assert [i.to_aws() for i in loaded.items] == job.items()

    other = next(c for k, c in RESULT_CLASSES.items() if k != kind)
    with pytest.raises(ValueError, match=f"holds a '{kind}' result"):
        other.load(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "cut.jsonl").write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(ValueError, match="truncated"):
        cls.load(tmp_path / "cut.jsonl")
    plain = tmp_path / "plain.jsonl"
    result.to_jsonl(plain)
    assert [i.to_aws() for i in cls.load(plain).items] == job.items()


def test_load_names_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"Timestamp": 1}\n{"Timestamp": "soon"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="line 2 is not a LabelDetection"):
        LabelResult.load(path)


def test_bad_items_are_refused_and_nothing_is_stored() -> None:
    result = LabelResult()
    with pytest.raises(TypeError, match="expected a LabelDetection"):
        result._add_all([42])
    with pytest.raises(ValueError, match="Timestamp"):
        result._add_all([{"Timestamp": "x"}])
    assert len(result) == 0


def test_from_pages_keeps_page_fields_and_job_id() -> None:
    job = synthetic("LabelDetection")
    items, fields = job.items("NAME"), job.page_fields("NAME")
    page_model = PAGE_MODELS["GetLabelDetection"]
    pages = [
        page_model.model_validate(
            {"JobStatus": "SUCCEEDED", "JobId": "abc", "Labels": items[k : k + 100], **fields, "NextToken": f"t{k}"}
        )
        for k in range(0, len(items), 100)
    ]
    result = LabelResult.from_pages(pages)
    assert result.job_id == "abc"
    assert [i.to_aws() for i in result.items] == items
    assert "NextToken" not in result.page_fields
    assert "JobStatus" not in result.page_fields
    assert result.page_fields["GetRequestMetadata"] == fields["GetRequestMetadata"]
    assert result.label_model_version == fields["LabelModelVersion"]
    assert result.video_metadata is not None
    assert result.video_metadata.to_aws() == fields["VideoMetadata"]


def test_segment_page_lists() -> None:
    job = synthetic("SegmentDetection")
    fields = job.page_fields()
    result = SegmentResult(job.items(), page_fields=fields)
    assert [m.to_aws() for m in result.video_metadata_list] == fields["VideoMetadata"]
    assert result.video_metadata == result.video_metadata_list[0]
    assert [m.to_aws() for m in result.audio_metadata] == fields["AudioMetadata"]
    assert [m.to_aws() for m in result.selected_segment_types] == fields["SelectedSegmentTypes"]


# ---- timelines ------------------------------------------------------------------------


def label(t: int, name: str) -> dict[str, Any]:
    return {"Timestamp": t, "Label": {"Name": name, "Confidence": 90.0}}


def test_label_timeline_merges_within_the_gap() -> None:
    items = [label(t, "Car") for t in (0, 1000, 2000, 3500, 9000)] + [label(t, "Bus") for t in (500, 1500)]
    items.append({"Label": {"Name": "Tree"}})  # no time: left out
    items.append({"Timestamp": 10})  # no name: left out
    result = LabelResult(items)
    assert result.names() == ["Bus", "Car", "Tree"]
    assert result.timeline() == {
        "Bus": [Interval(500, 1500, 2)],
        "Car": [Interval(0, 2000, 3), Interval(3500, 3500, 1), Interval(9000, 9000, 1)],
    }
    assert result.timeline(max_gap_ms=1500)["Car"] == [Interval(0, 3500, 4), Interval(9000, 9000, 1)]
    assert result.timeline(max_gap_ms=0)["Car"][0] == Interval(0, 0, 1)
    assert result.timeline()["Car"][0].duration_ms == 2000
    for bad in (-1, 1.5, True, "1"):
        with pytest.raises(ValueError, match="max_gap_ms"):
            result.timeline(max_gap_ms=bad)  # type: ignore[arg-type]


def test_segment_aggregated_labels_use_their_start_and_end() -> None:
    job = synthetic("LabelDetection")
    by_time = LabelResult(job.items("TIMESTAMP", "TIMESTAMPS")).timeline()
    by_segment = LabelResult(job.items("NAME", "SEGMENTS")).timeline()
    assert set(by_time) == set(by_segment)
    segments = job.items("TIMESTAMP", "SEGMENTS")
    for name, intervals in by_segment.items():
        mine = sorted(
            (s["StartTimestampMillis"], s["EndTimestampMillis"]) for s in segments if s["Label"]["Name"] == name
        )
        assert intervals[0].start_ms == mine[0][0]
        assert intervals[-1].end_ms == max(end for _, end in mine)
        assert sum(i.detections for i in intervals) == len(mine)


def test_moderation_celebrity_and_text_timelines() -> None:
    moderation = ModerationResult(
        [
            {"Timestamp": 0, "ModerationLabel": {"Name": "Smoking", "ParentName": "Drugs & Tobacco"}},
            {"Timestamp": 500, "ModerationLabel": {"Name": "Smoking"}},
            {"StartTimestampMillis": 4000, "EndTimestampMillis": 6000, "ModerationLabel": {"Name": "Smoking"}},
        ]
    )
    assert moderation.timeline() == {"Smoking": [Interval(0, 500, 2), Interval(4000, 6000, 1)]}
    assert moderation.names() == ["Smoking"]
    celebrities = CelebrityResult(
        [{"Timestamp": t, "Celebrity": {"Id": "1", "Name": "Ada"}} for t in (0, 200, 5000)]
    )
    assert celebrities.timeline() == {"Ada": [Interval(0, 200, 2), Interval(5000, 5000, 1)]}
    text = TextResult(
        [
            {"Timestamp": 0, "TextDetection": {"DetectedText": "BUS STOP", "Type": "LINE"}},
            {"Timestamp": 0, "TextDetection": {"DetectedText": "BUS", "Type": "WORD"}},
            {"Timestamp": 1000, "TextDetection": {"DetectedText": "BUS STOP", "Type": "LINE"}},
        ]
    )
    assert text.timeline() == {"BUS STOP": [Interval(0, 1000, 2)]}


# ---- shots -------------------------------------------------------------------------------


def test_shot_list_in_time_order() -> None:
    def shot(index: int, start: int, end: int) -> dict[str, Any]:
        return {
            "Type": "SHOT",
            "StartTimestampMillis": start,
            "EndTimestampMillis": end,
            "DurationMillis": end - start,
            "StartTimecodeSMPTE": f"00:00:{start // 1000:02d}:00",
            "EndTimecodeSMPTE": f"00:00:{end // 1000:02d}:00",
            "StartFrameNumber": start * 30 // 1000,
            "EndFrameNumber": end * 30 // 1000,
            "ShotSegment": {"Index": index, "Confidence": 99.5},
        }

    cue = {
        "Type": "TECHNICAL_CUE",
        "StartTimestampMillis": 0,
        "EndTimestampMillis": 1000,
        "TechnicalCueSegment": {"Type": "BlackFrames", "Confidence": 88.0},
    }
    result = SegmentResult([shot(1, 4000, 9000), cue, shot(0, 0, 4000)])
    assert result.shots() == [
        Shot(0, 0, 4000, 4000, "00:00:00:00", "00:00:04:00", 0, 120, 99.5),
        Shot(1, 4000, 9000, 5000, "00:00:04:00", "00:00:09:00", 120, 270, 99.5),
    ]
    cues = result.technical_cues()
    assert [(c.type, c.start_ms, c.end_ms, c.duration_ms, c.confidence) for c in cues] == [
        ("BlackFrames", 0, 1000, None, 88.0)
    ]
    out = io.StringIO()
    result.to_csv(out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["confidence"] for r in rows] == ["99.5", "88.0", "99.5"]
    assert [r["technical_cue_type"] for r in rows] == ["", "BlackFrames", ""]


def test_synthetic_shots_partition_the_video() -> None:
    job = synthetic("SegmentDetection")
    shots = SegmentResult(job.items()).shots()
    assert shots, "the synthetic video has shots"
    assert shots[0].start_ms == 0
    for before, after in itertools.pairwise(shots):
        assert before.end_ms is not None
        assert after.start_ms is not None
        assert after.start_ms >= before.end_ms
    assert [s.index for s in shots] == sorted(s.index for s in shots if s.index is not None)


# ---- the compact store -------------------------------------------------------------------


def test_store_rebuilds_every_json_value_exactly() -> None:
    odd = [
        {"A": 1, "B": 2.5, "C": "x", "D": True, "E": None, "F": [1, [2.0, "y"], {"G": False}]},
        {"Big": (1 << 60) + 1, "Neg": -(1 << 60), "Zero": -0.0, "Uni": "caf\u00e9 \u2603", "Empty": {}, "L": []},
        {"C": "x", "A": 1, "B": 2.5},  # same members, other order: another shape
    ]
    store = ItemStore()
    for item in odd:
        store.append(item)
    rebuilt = [store.aws(row) for row in range(len(store))]
    assert rebuilt == odd
    assert [list(r) for r in rebuilt] == [list(i) for i in odd]  # key order too
    assert type(rebuilt[1]["Big"]) is int
    assert math.copysign(1, rebuilt[1]["Zero"]) == -1
    assert store.strings.count("x") == 1
    with pytest.raises(TypeError, match="JSON-compatible"):
        store.append({"A": {1, 2}})


def test_store_is_smaller_than_the_items() -> None:
    job = synthetic("LabelDetection")
    items = job.items() * 20
    result: JobResult[Any] = LabelResult(items)
    assert result.nbytes < len(json.dumps(items)) / 2
    assert len(result._store.shapes) < 50


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=6), json_values, max_size=5), max_size=6))
def test_store_round_trips_any_json_objects(items: list[dict[str, Any]]) -> None:
    store = ItemStore()
    for item in items:
        store.append(item)
    rebuilt = list(store)
    assert json.dumps(rebuilt) == json.dumps(items)  # values, types (int vs float) and key order
