"""Synthetic results of the seven other job kinds: deterministic, AWS-shaped, honouring their parameters."""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from typing import Any

import pytest
from pydantic import BaseModel

from rekotrack._constraints import check_request
from rekotrack._generated.models import ITEM_MODELS, LIST_KEYS, PAGE_MODELS, FaceDetail
from rekotrack._synthetic._jobs import CHOICES, JOB_KINDS, SyntheticJob, ground_truth, video_uri
from rekotrack.testing import SyntheticScene

VIDEO: dict[str, Any] = {"S3Object": {"Bucket": "bucket", "Name": "street.mp4"}}
EXTRA: dict[str, dict[str, Any]] = {
    "FaceSearch": {"CollectionId": "staff"},
    "SegmentDetection": {"SegmentTypes": ["TECHNICAL_CUE", "SHOT"]},
}


def _params(kind: str, **members: Any) -> dict[str, Any]:
    return {"Video": VIDEO, **EXTRA.get(kind, {}), **members}


def _orders(kind: str) -> list[tuple[str | None, str | None]]:
    choices = CHOICES[kind]
    return [(s, a) for s in (choices.sort_by or (None,)) for a in (choices.aggregate_by or (None,))]


ORDERS = [(kind, s, a) for kind in JOB_KINDS for s, a in _orders(kind)]


def _no_extras(model: Any) -> None:
    if isinstance(model, BaseModel):
        assert not model.model_extra, f"{type(model).__name__} has unknown fields {model.model_extra}"
        for name in type(model).model_fields:
            _no_extras(getattr(model, name))
    elif isinstance(model, tuple):
        for item in model:
            _no_extras(item)


def test_the_seven_kinds() -> None:
    assert set(JOB_KINDS) == {get.removeprefix("Get") for get in PAGE_MODELS} - {"PersonTracking"}


@pytest.mark.parametrize("kind", JOB_KINDS)
def test_the_start_parameters_used_here_are_valid(kind: str) -> None:
    assert check_request(f"Start{kind}", _params(kind), strict=True) == []


@pytest.mark.parametrize(("kind", "sort_by", "aggregate_by"), ORDERS)
def test_every_item_and_page_validates_against_the_generated_models(
    kind: str, sort_by: str | None, aggregate_by: str | None
) -> None:
    job = SyntheticJob(kind, _params(kind))
    items = job.items(sort_by, aggregate_by)
    assert items, f"{kind} has no items on the default video"
    model = ITEM_MODELS[f"Get{kind}"]
    for item in items:
        parsed = model.model_validate(item)
        assert parsed.to_aws() == item
        _no_extras(parsed)
    page = {"JobStatus": "SUCCEEDED", **job.page_fields(sort_by, aggregate_by), LIST_KEYS[f"Get{kind}"]: items}
    parsed_page = PAGE_MODELS[f"Get{kind}"].model_validate(copy.deepcopy(page))
    assert parsed_page.to_aws() == page
    _no_extras(parsed_page)


@pytest.mark.parametrize(("kind", "sort_by", "aggregate_by"), ORDERS)
def test_pages_cut_the_same_list(kind: str, sort_by: str | None, aggregate_by: str | None) -> None:
    job = SyntheticJob(kind, _params(kind))
    everything = job.items(sort_by, aggregate_by)
    assert job.count(aggregate_by) == len(everything)
    pages: list[dict[str, Any]] = []
    for start in range(0, len(everything) + 7, 7):
        pages.extend(job.page(sort_by, start, 7, aggregate_by))
    assert pages == everything
    assert job.page(sort_by, len(everything), 10, aggregate_by) == []
    assert ground_truth(kind, _params(kind), sort_by=sort_by, aggregate_by=aggregate_by) == everything


@pytest.mark.parametrize("kind", JOB_KINDS)
def test_deterministic_and_seeded_from_the_video(kind: str) -> None:
    first = SyntheticJob(kind, _params(kind)).items()
    assert SyntheticJob(kind, copy.deepcopy(_params(kind))).items() == first
    other = {"Video": {"S3Object": {"Bucket": "bucket", "Name": "other.mp4"}}, **EXTRA.get(kind, {})}
    assert SyntheticJob(kind, other).items() != first
    versioned = {"S3Object": {"Bucket": "b", "Name": "k.mp4", "Version": "v2"}}
    assert video_uri(versioned) == "s3://b/k.mp4?versionId=v2"


@pytest.mark.parametrize("kind", JOB_KINDS)
def test_the_default_world_is_the_person_tracking_scene_of_the_video(kind: str) -> None:
    job = SyntheticJob(kind, _params(kind))
    scene = SyntheticScene.for_uri("s3://bucket/street.mp4")
    assert job.video_metadata() == scene.video_metadata()
    assert job.scene.seed == scene.seed


@pytest.mark.parametrize(("kind", "sort_by", "aggregate_by"), ORDERS)
def test_sort_orders_hold_the_same_items(kind: str, sort_by: str | None, aggregate_by: str | None) -> None:
    job = SyntheticJob(kind, _params(kind))
    default = job.items(None, aggregate_by)
    ordered = job.items(sort_by, aggregate_by)
    assert sorted(map(repr, ordered)) == sorted(map(repr, default))


def _name(kind: str, item: dict[str, Any]) -> str:
    return str(item["Label" if kind == "LabelDetection" else "ModerationLabel"]["Name"])


@pytest.mark.parametrize("kind", ["LabelDetection", "ContentModeration"])
def test_name_and_timestamp_orders(kind: str) -> None:
    job = SyntheticJob(kind, _params(kind))
    by_time = job.items("TIMESTAMP")
    time_keys = [(i["Timestamp"], _name(kind, i)) for i in by_time]
    assert time_keys == sorted(time_keys)
    by_name = job.items("NAME")
    name_keys = [(_name(kind, i), i["Timestamp"]) for i in by_name]
    assert name_keys == sorted(name_keys)
    assert job.page_fields("NAME")["GetRequestMetadata"] == {"SortBy": "NAME", "AggregateBy": "TIMESTAMPS"}
    segments = job.page_fields(None, "SEGMENTS")["GetRequestMetadata"]
    assert segments == {"SortBy": "TIMESTAMP", "AggregateBy": "SEGMENTS"}


@pytest.mark.parametrize("kind", ["LabelDetection", "ContentModeration"])
def test_segments_aggregate_the_timestamps(kind: str) -> None:
    job = SyntheticJob(kind, _params(kind))
    samples = job.items("TIMESTAMP", "TIMESTAMPS")
    segments = job.items("TIMESTAMP", "SEGMENTS")
    assert 0 < len(segments) < len(samples)
    covered: Counter[str] = Counter()
    for segment in segments:
        start, end = segment["StartTimestampMillis"], segment["EndTimestampMillis"]
        assert segment["Timestamp"] == start
        assert segment["DurationMillis"] == end - start > 0
        inside = [s for s in samples if _name(kind, s) == _name(kind, segment) and start <= s["Timestamp"] < end]
        assert inside, segment
        covered[_name(kind, segment)] += len(inside)
        member = "Label" if kind == "LabelDetection" else "ModerationLabel"
        assert segment[member]["Confidence"] == max(s[member]["Confidence"] for s in inside)
        assert "Instances" not in segment[member]
    assert covered == Counter(_name(kind, s) for s in samples)  # every sample in exactly one segment


@pytest.mark.parametrize("kind", ["LabelDetection", "ContentModeration"])
def test_min_confidence_is_honoured(kind: str) -> None:
    member = "Label" if kind == "LabelDetection" else "ModerationLabel"
    loose = SyntheticJob(kind, _params(kind, MinConfidence=0)).items()
    strict = SyntheticJob(kind, _params(kind, MinConfidence=90)).items()
    assert all(i[member]["Confidence"] >= 90 for i in strict)
    assert 0 < len(strict) < len(loose)
    assert strict == [i for i in loose if i[member]["Confidence"] >= 90]


def test_label_filters() -> None:
    everything = SyntheticJob("LabelDetection", _params("LabelDetection")).items()
    names = {i["Label"]["Name"] for i in everything}
    assert {"Person", "Walking"} <= names
    only = {"Settings": {"GeneralLabels": {"LabelInclusionFilters": ["Person"]}}}
    assert {i["Label"]["Name"] for i in SyntheticJob("LabelDetection", _params("LabelDetection", **only)).items()} == {
        "Person"
    }
    without = {"Settings": {"GeneralLabels": {"LabelExclusionFilters": ["Person", "Walking"]}}}
    kept = {i["Label"]["Name"] for i in SyntheticJob("LabelDetection", _params("LabelDetection", **without)).items()}
    assert kept == names - {"Person", "Walking"}
    category = {"Settings": {"GeneralLabels": {"LabelCategoryInclusionFilters": ["Person Description"]}}}
    found = SyntheticJob("LabelDetection", _params("LabelDetection", **category)).items()
    assert {c["Name"] for i in found for c in i["Label"]["Categories"]} == {"Person Description"}


def test_person_label_instances_are_the_scene_boxes() -> None:
    job = SyntheticJob("LabelDetection", _params("LabelDetection"))
    boxes: dict[int, list[dict[str, Any]]] = {}
    for det in job.scene.ground_truth():
        if "BoundingBox" in det["Person"]:
            boxes.setdefault(det["Timestamp"], []).append(det["Person"]["BoundingBox"])
    people = [i for i in job.items() if i["Label"]["Name"] == "Person"]
    assert people
    for item in people:
        assert [inst["BoundingBox"] for inst in item["Label"]["Instances"]] == boxes[item["Timestamp"]]


def test_face_detection_default_and_all_attributes() -> None:
    default = SyntheticJob("FaceDetection", _params("FaceDetection")).items()
    every = SyntheticJob("FaceDetection", _params("FaceDetection", FaceAttributes="ALL")).items()
    assert [i["Timestamp"] for i in default] == [i["Timestamp"] for i in every]
    assert all(set(i["Face"]) == {"BoundingBox", "Landmarks", "Pose", "Quality", "Confidence"} for i in default)
    every_member = {info.alias or name for name, info in FaceDetail.model_fields.items()}
    assert all(set(i["Face"]) == every_member for i in every)
    scene_faces = [d["Person"]["Face"] for d in SyntheticScene.for_uri("s3://bucket/street.mp4").ground_truth()
                   if "Face" in d["Person"]]  # fmt: skip
    assert [i["Face"] for i in default] == scene_faces
    assert [i["Timestamp"] for i in default] == sorted(i["Timestamp"] for i in default)


def test_face_search_threshold_collection_and_index_order() -> None:
    low = SyntheticJob("FaceSearch", _params("FaceSearch", FaceMatchThreshold=70)).items()
    high = SyntheticJob("FaceSearch", _params("FaceSearch", FaceMatchThreshold=95)).items()
    assert all(m["Similarity"] >= 95 for i in high for m in i["FaceMatches"])
    assert 0 < len(high) < len(low)
    members = {i["Person"]["Index"] for i in low}
    guests = SyntheticJob("FaceSearch", _params("FaceSearch", CollectionId="guests", FaceMatchThreshold=70))
    other = {i["Person"]["Index"] for i in guests.items()}
    assert members != other
    by_index = SyntheticJob("FaceSearch", _params("FaceSearch")).items("INDEX")
    keys = [(i["Person"]["Index"], i["Timestamp"]) for i in by_index]
    assert keys == sorted(keys)
    faces = {(i["Person"]["Index"], m["Face"]["FaceId"]) for i in low for m in i["FaceMatches"]}
    assert len(faces) == len(members)  # one collection face per person


def test_celebrities_by_id_and_timestamp() -> None:
    job = SyntheticJob("CelebrityRecognition", _params("CelebrityRecognition"))
    by_id = job.items("ID")
    keys = [(i["Celebrity"]["Id"], i["Timestamp"]) for i in by_id]
    assert keys == sorted(keys)
    by_time = job.items("TIMESTAMP")
    assert [i["Timestamp"] for i in by_time] == sorted(i["Timestamp"] for i in by_time)
    assert all(i["Celebrity"]["KnownGender"]["Type"] in ("Male", "Female", "Nonbinary", "Unlisted") for i in by_id)


def test_segments_follow_segment_types_and_partition_the_video() -> None:
    loose = {
        "Filters": {"ShotFilter": {"MinSegmentConfidence": 50}, "TechnicalCueFilter": {"MinSegmentConfidence": 50}}
    }
    job = SyntheticJob("SegmentDetection", _params("SegmentDetection", **loose))
    items = job.items()
    types = [i["Type"] for i in items]
    assert types == sorted(types, key=["TECHNICAL_CUE", "SHOT"].index)  # in the order SegmentTypes asked
    shots = [i for i in items if i["Type"] == "SHOT"]
    assert shots[0]["StartTimestampMillis"] == 0
    assert shots[-1]["EndTimestampMillis"] == job.scene.duration_ms
    assert all(a["EndTimestampMillis"] == b["StartTimestampMillis"] for a, b in itertools.pairwise(shots))
    assert [s["ShotSegment"]["Index"] for s in shots] == list(range(len(shots)))
    fields = job.page_fields()
    assert fields["VideoMetadata"] == [job.video_metadata()]
    assert fields["SelectedSegmentTypes"] == [
        {"Type": "TECHNICAL_CUE", "ModelVersion": "2.0"},
        {"Type": "SHOT", "ModelVersion": "1.0"},
    ]
    assert fields["AudioMetadata"][0]["DurationMillis"] == job.scene.duration_ms
    strict_filter = {"ShotFilter": {"MinSegmentConfidence": 95}}
    strict = SyntheticJob("SegmentDetection", _params("SegmentDetection", Filters=strict_filter))
    assert all(s["ShotSegment"]["Confidence"] >= 95 for s in strict.items() if s["Type"] == "SHOT")
    shots_only = SyntheticJob("SegmentDetection", _params("SegmentDetection", SegmentTypes=["SHOT"]))
    assert {i["Type"] for i in shots_only.items()} == {"SHOT"}


def test_text_lines_words_and_filters() -> None:
    job = SyntheticJob("TextDetection", _params("TextDetection"))
    items = job.items()
    lines = {(i["Timestamp"], i["TextDetection"]["Id"]): i for i in items if i["TextDetection"]["Type"] == "LINE"}
    words = [i for i in items if i["TextDetection"]["Type"] == "WORD"]
    assert lines
    assert words
    for word in words:
        line = lines[(word["Timestamp"], word["TextDetection"]["ParentId"])]
        assert word["TextDetection"]["DetectedText"] in line["TextDetection"]["DetectedText"].split()
        assert word["TextDetection"]["Confidence"] >= 80  # the default word filter
    assert [i["Timestamp"] for i in items] == sorted(i["Timestamp"] for i in items)
    loose = SyntheticJob("TextDetection", _params("TextDetection", Filters={"WordFilter": {"MinConfidence": 0}}))
    assert len(loose.items()) > len(items)
    left_half = {"RegionsOfInterest": [{"BoundingBox": {"Left": 0, "Top": 0, "Width": 0.5, "Height": 1}}],
                 "WordFilter": {"MinConfidence": 0}}  # fmt: skip
    region = SyntheticJob("TextDetection", _params("TextDetection", Filters=left_half)).items()
    region_words = [i["TextDetection"] for i in region if i["TextDetection"]["Type"] == "WORD"]
    assert region_words
    for word in region_words:
        box = word["Geometry"]["BoundingBox"]
        assert box["Left"] + box["Width"] / 2 <= 0.5
    tall_filter = {"WordFilter": {"MinBoundingBoxHeight": 0.9}}
    tall = SyntheticJob("TextDetection", _params("TextDetection", Filters=tall_filter))
    assert tall.items() == []


def test_a_failed_scene_returns_nothing() -> None:
    scene = SyntheticScene(seed=3, final_status="FAILED", status_message="corrupt")
    job = SyntheticJob("LabelDetection", _params("LabelDetection"), scene=scene)
    assert (job.final_status, job.status_message) == ("FAILED", "corrupt")
    assert job.count() == 0
    assert job.page("TIMESTAMP", 0, 10) == []
    assert job.items() == []


def test_a_given_scene_sizes_the_result() -> None:
    small = SyntheticJob("FaceDetection", _params("FaceDetection"), scene=SyntheticScene(seed=1, people=2))
    big = SyntheticJob("FaceDetection", _params("FaceDetection"), scene=SyntheticScene(seed=1, people=20))
    assert big.count() > small.count() > 0
    assert big.detection_count == big.count()


def test_bad_kind_and_bad_order_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown job kind"):
        SyntheticJob("PersonTracking", _params("PersonTracking"))
    job = SyntheticJob("LabelDetection", _params("LabelDetection"))
    with pytest.raises(ValueError, match="SortBy"):
        job.page("INDEX", 0, 1)
    with pytest.raises(ValueError, match="AggregateBy"):
        job.page("NAME", 0, 1, "FRAMES")
    faces = SyntheticJob("FaceDetection", _params("FaceDetection"))
    assert faces.page("TIMESTAMP", 0, 2) == faces.page(None, 0, 2)  # kinds without SortBy ignore it
