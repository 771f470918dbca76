"""Every job kind through the real botocore stack against the local server: pages, orders, resume, faults, errors."""

from __future__ import annotations

import math
from typing import Any

import pytest
from botocore.stub import Stubber
from jobs_support import BY_NAME, KIND_IDS, KINDS, Kind, no_sleep_policy, order_cases, order_id, order_kwargs, recorder

from rekotrack import (
    FaceSearcher,
    JobFailedError,
    JobInProgressError,
    LabelDetector,
    PaginationError,
    RekotrackError,
    RequestValidationError,
    SegmentDetector,
    TextDetector,
    ThrottlingError,
)
from rekotrack._job_results import RESULT_CLASSES
from rekotrack.testing import Faults, LocalRekognition, SyntheticScene


def started(kind: Kind, client: Any, uri: str, **tracker_kwargs: Any) -> tuple[Any, Any]:
    tracker = kind.sync_class(client, **tracker_kwargs)
    job = tracker.start(uri, **kind.inputs)
    job.wait(timeout=30, poll_interval=0.01)
    return tracker, job


@pytest.mark.parametrize(("kind", "sort_by", "aggregate_by"), order_cases(), ids=map(order_id, order_cases()))
def test_items_across_pages_in_every_order(
    kind: Kind, sort_by: str | None, aggregate_by: str | None, client: Any, server: LocalRekognition
) -> None:
    uri = f"s3://jobs-bucket/{kind.name}/orders.mp4"
    tracker, job = started(kind, client, uri)
    truth = kind.truth(uri, sort_by, aggregate_by)
    assert len(truth) >= 3, "enough items for several pages"
    size = max(1, len(truth) // 4)
    requests: list[tuple[str, dict[str, Any]]] = []
    client.meta.events.register("before-call.rekognition", recorder(requests))
    options = order_kwargs(sort_by, aggregate_by)
    items = [item.to_aws() for item in getattr(tracker, kind.items_method)(job.job_id, page_size=size, **options)]
    assert items == truth
    gets = [body for name, body in requests if name == kind.operation.get_name]
    assert len(gets) == math.ceil(len(truth) / size)
    for body in gets:
        assert body["MaxResults"] == size
        # the defaults are sent where the operation has the member, nothing where it has not
        if kind.operation.sort_by is not None:
            assert body["SortBy"] == (sort_by or "TIMESTAMP")
        else:
            assert "SortBy" not in body
        if kind.operation.aggregate_by is not None:
            assert body["AggregateBy"] == (aggregate_by or "TIMESTAMPS")
        else:
            assert "AggregateBy" not in body
    assert [body.get("NextToken") is None for body in gets] == [True] + [False] * (len(gets) - 1)
    # the job object reads the same, and its pages carry the items in order
    job_items = getattr(job, kind.items_method)(page_size=size, **options)
    assert [item.to_aws() for item in job_items] == truth
    pages = list(job.pages(page_size=size, **options))
    assert len(pages) == len(gets)
    assert [i.to_aws() for page in pages for i in kind.operation.items(page) or ()] == truth
    assert all(page.job_status == "SUCCEEDED" for page in pages)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_get_page_chain_and_video_metadata(kind: Kind, client: Any, server: LocalRekognition) -> None:
    uri = f"s3://jobs-bucket/{kind.name}/pages.mp4"
    tracker, job = started(kind, client, uri)
    truth = kind.truth(uri)
    seen: list[dict[str, Any]] = []
    token = None
    while True:
        page = tracker.get_page(job.job_id, next_token=token, max_results=100)
        seen.extend(i.to_aws() for i in kind.operation.items(page) or ())
        token = page.next_token
        if token is None:
            break
    assert seen == truth
    pager = getattr(tracker, kind.items_method)(job.job_id)
    metadata = pager.video_metadata
    scene = server.scene_for(uri).video_metadata()
    assert metadata is not None
    assert metadata.to_aws() == scene
    if kind.name == "SegmentDetection":  # GetSegmentDetection returns a list: video_metadata is its first element
        assert [m.to_aws() for m in pager.video_metadata_list] == [scene]
        assert [m.to_aws() for m in page.video_metadata] == [scene]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_resume_after_max_items_and_after_a_break(kind: Kind, client: Any) -> None:
    uri = f"s3://jobs-bucket/{kind.name}/resume.mp4"
    tracker, job = started(kind, client, uri)
    truth = kind.truth(uri)
    method = getattr(tracker, kind.items_method)
    assert len(truth) > 20
    size, stop = len(truth) // 5, len(truth) // 2
    first = method(job.job_id, page_size=size, max_items=stop)
    head = [i.to_aws() for i in first]
    assert head == truth[:stop]
    assert first.resume_token is not None
    rest = [i.to_aws() for i in method(job.job_id, page_size=size, starting_token=first.resume_token)]
    assert head + rest == truth
    # a break in the middle of a page: the token continues right after the last item yielded
    pager = method(job.job_id, page_size=size)
    got = []
    for item in pager:
        got.append(item.to_aws())
        if len(got) == stop + 1:
            break
    after = [i.to_aws() for i in method(job.job_id, page_size=size, starting_token=pager.resume_token)]
    assert got + after == truth


def test_resume_token_is_bound_to_the_order(client: Any) -> None:
    kind = BY_NAME["LabelDetection"]
    tracker, job = started(kind, client, "s3://jobs-bucket/labels/bound.mp4")
    pager = tracker.labels(job.job_id, sort_by="NAME", page_size=20, max_items=30)
    list(pager)
    assert pager.resume_token is not None
    with pytest.raises(RekotrackError):
        list(tracker.labels(job.job_id, sort_by="NAME", aggregate_by="SEGMENTS", starting_token=pager.resume_token))
    # the default order and the explicit default are the same order
    default = tracker.labels(job.job_id, page_size=20, max_items=30)
    list(default)
    rest = list(tracker.labels(job.job_id, sort_by="TIMESTAMP", starting_token=default.resume_token))
    assert len(rest) == len(kind.truth("s3://jobs-bucket/labels/bound.mp4")) - 30


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_collect_builds_the_kind_result(kind: Kind, client: Any, server: LocalRekognition) -> None:
    uri = f"s3://jobs-bucket/{kind.name}/collect.mp4"
    tracker, job = started(kind, client, uri)
    result = job.collect(page_size=64)
    assert type(result) is RESULT_CLASSES[kind.name]
    assert result.job_id == job.job_id
    assert [i.to_aws() for i in result.items] == kind.truth(uri)
    assert "VideoMetadata" in result.page_fields
    assert result.video_metadata is not None
    assert result.video_metadata.to_aws() == server.scene_for(uri).video_metadata()
    same = tracker.collect(job.job_id, page_size=1000)
    assert [i.to_aws() for i in same.items] == [i.to_aws() for i in result.items]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_faults_are_retried_and_nothing_is_lost_or_repeated(
    kind: Kind, client: Any, server: LocalRekognition
) -> None:
    uri = f"s3://jobs-bucket/{kind.name}/faults.mp4"
    tracker, job = started(kind, client, uri, retry=no_sleep_policy(), fast_path=False)
    truth = kind.truth(uri)
    server.faults = Faults(throttle_rate=0.2, server_error_rate=0.1, drop_rate=0.05, corrupt_rate=0.1, seed=11)
    size = max(1, len(truth) // 12)  # a dozen pages or more: faults land on several of them
    items = [i.to_aws() for i in getattr(tracker, kind.items_method)(job.job_id, page_size=size)]
    assert items == truth
    assert server.fault_count() > 0


def test_faults_on_the_fast_path_too(client: Any, server: LocalRekognition) -> None:
    kind = BY_NAME["FaceDetection"]
    uri = "s3://jobs-bucket/faces/fast.mp4"
    tracker, job = started(kind, client, uri, retry=no_sleep_policy())
    assert tracker.fast_path
    server.faults = Faults(throttle_rate=0.2, corrupt_rate=0.2, seed=5)
    assert [i.to_aws() for i in tracker.faces(job.job_id, page_size=50)] == kind.truth(uri)


def test_retries_run_out_as_a_typed_error(client: Any, server: LocalRekognition) -> None:
    kind = BY_NAME["CelebrityRecognition"]
    tracker, job = started(kind, client, "s3://jobs-bucket/celebs/throttled.mp4", retry=no_sleep_policy(3))
    server.faults = Faults(throttle_rate=1.0, operations=("GetCelebrityRecognition",), seed=1)
    with pytest.raises((ThrottlingError, RekotrackError)) as info:
        list(tracker.celebrities(job.job_id))
    assert getattr(info.value, "attempts", None) == 3


def test_a_repeated_next_token_is_a_pagination_error(client: Any) -> None:
    tracker = TextDetector(client, fast_path=False)
    page = {"JobStatus": "SUCCEEDED", "TextDetections": [{"Timestamp": 1}], "NextToken": "same"}
    with Stubber(client) as stub:
        stub.add_response("get_text_detection", page)
        stub.add_response("get_text_detection", page)
        with pytest.raises(PaginationError):
            list(tracker.text_detections("job-1"))


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_a_failed_job_raises_with_its_message(kind: Kind, client: Any, server: LocalRekognition) -> None:
    uri = f"s3://jobs-bucket/{kind.name}/failed.mp4"
    server.add_video(uri, SyntheticScene(seed=4, final_status="FAILED", status_message="unsupported codec"))
    tracker = kind.sync_class(client)
    job = tracker.start(uri, **kind.inputs)
    with pytest.raises(JobFailedError) as info:
        job.wait(timeout=30, poll_interval=0.01)
    assert info.value.status_message == "unsupported codec"
    with pytest.raises(JobFailedError):
        list(getattr(tracker, kind.items_method)(job.job_id))


def test_iterating_a_running_job_raises_job_in_progress(client: Any, server: LocalRekognition) -> None:
    server.job_seconds = 600
    tracker = LabelDetector(client)
    job = tracker.start("s3://jobs-bucket/labels/running.mp4")
    with pytest.raises(JobInProgressError):
        list(tracker.labels(job.job_id))
    with pytest.raises(RekotrackError):  # the job object waits first: a zero deadline ends the wait
        list(job.labels(timeout=0))


def test_a_reused_token_returns_the_same_job(client: Any, server: LocalRekognition) -> None:
    tracker = FaceSearcher(client)
    first = tracker.start("s3://jobs-bucket/search/token.mp4", collection_id="staff", client_request_token="tok-1")
    second = tracker.start("s3://jobs-bucket/search/token.mp4", collection_id="staff", client_request_token="tok-1")
    assert first.job_id == second.job_id
    assert first.client_request_token == "tok-1"


# ---- validation: every bad input is refused before any request ----------------------------------------

BAD_STARTS: list[tuple[str, dict[str, Any], str]] = [
    ("LabelDetection", {"min_confidence": 101}, "MinConfidence"),
    ("LabelDetection", {"min_confidence": -1}, "MinConfidence"),
    ("LabelDetection", {"features": ["GENERAL_LABELS", "GENERAL_LABELS"]}, "Features"),
    ("LabelDetection", {"features": ["FACES"]}, "Features[0]"),
    ("LabelDetection", {"settings": {"GeneralLabels": {"LabelInclusionFilters": ["x"] * 101}}},
     "Settings.GeneralLabels.LabelInclusionFilters"),
    ("LabelDetection", {"settings": {"GeneralLabels": {"LabelExclusionFilters": ["x" * 51]}}},
     "Settings.GeneralLabels.LabelExclusionFilters[0]"),
    ("FaceDetection", {"face_attributes": "SOME"}, "FaceAttributes"),
    ("FaceSearch", {"collection_id": "bad id!"}, "CollectionId"),
    ("FaceSearch", {"collection_id": "staff", "face_match_threshold": 100.5}, "FaceMatchThreshold"),
    ("ContentModeration", {"min_confidence": 200}, "MinConfidence"),
    ("SegmentDetection", {"segment_types": []}, "SegmentTypes"),
    ("SegmentDetection", {"segment_types": ["SCENE"]}, "SegmentTypes[0]"),
    ("SegmentDetection", {"segment_types": ["SHOT"], "filters": {"ShotFilter": {"MinSegmentConfidence": 10}}},
     "Filters.ShotFilter.MinSegmentConfidence"),
    ("TextDetection", {"filters": {"WordFilter": {"MinConfidence": 101}}}, "Filters.WordFilter.MinConfidence"),
    ("TextDetection", {"filters": {"RegionsOfInterest": [{}] * 11}}, "Filters.RegionsOfInterest"),
    ("CelebrityRecognition", {"job_tag": "bad tag!"}, "JobTag"),
]


@pytest.mark.parametrize(("name", "inputs", "member"), BAD_STARTS, ids=[f"{b[0]}-{b[2]}" for b in BAD_STARTS])
def test_bad_start_inputs_are_refused_before_any_request(
    name: str, inputs: dict[str, Any], member: str, client: Any, server: LocalRekognition
) -> None:
    kind = BY_NAME[name]
    before = server.request_count(kind.operation.start_name)
    with pytest.raises(RequestValidationError) as info:
        kind.sync_class(client).start("s3://jobs-bucket/bad.mp4", **inputs)
    assert info.value.parameter == member
    assert server.request_count(kind.operation.start_name) == before


def test_start_takes_models_for_structured_inputs(client: Any, server: LocalRekognition) -> None:
    from rekotrack import GeneralLabelsSettings, LabelDetectionSettings, StartSegmentDetectionFilters

    settings = LabelDetectionSettings(general_labels=GeneralLabelsSettings(label_inclusion_filters=["Car"]))
    job = LabelDetector(client).start("s3://jobs-bucket/labels/models.mp4", settings=settings)
    job.wait(timeout=30, poll_interval=0.01)
    names = {item.label.name for item in job.labels() if item.label is not None}
    assert names == {"Car"}
    filters = StartSegmentDetectionFilters.model_validate({"ShotFilter": {"MinSegmentConfidence": 95}})
    detector = SegmentDetector(client)
    segments = detector.start("s3://jobs-bucket/seg/models.mp4", segment_types=("SHOT",), filters=filters)
    shots = segments.collect(timeout=30).shots()
    assert shots
    assert all(shot.confidence is not None and shot.confidence >= 95 for shot in shots)


GET_REFUSALS = [
    ("FaceDetection", {"sort_by": "TIMESTAMP"}, "SortBy"),
    ("SegmentDetection", {"sort_by": "TIMESTAMP"}, "SortBy"),
    ("TextDetection", {"sort_by": "TIMESTAMP"}, "SortBy"),
    ("FaceSearch", {"aggregate_by": "SEGMENTS"}, "AggregateBy"),
    ("CelebrityRecognition", {"aggregate_by": "SEGMENTS"}, "AggregateBy"),
    ("CelebrityRecognition", {"sort_by": "NAME"}, "SortBy"),
    ("FaceSearch", {"sort_by": "ID"}, "SortBy"),
    ("LabelDetection", {"sort_by": "INDEX"}, "SortBy"),
    ("ContentModeration", {"aggregate_by": "FRAMES"}, "AggregateBy"),
]


@pytest.mark.parametrize(("name", "options", "member"), GET_REFUSALS, ids=[f"{g[0]}-{g[2]}" for g in GET_REFUSALS])
def test_get_options_the_operation_lacks_are_refused_before_any_request(
    name: str, options: dict[str, Any], member: str, client: Any, server: LocalRekognition
) -> None:
    kind = BY_NAME[name]
    tracker = kind.sync_class(client)
    before = server.request_count(kind.operation.get_name)
    calls = [
        lambda: getattr(tracker, kind.items_method)("job-1", **options),
        lambda: tracker.pages("job-1", **options),
        lambda: tracker.collect("job-1", **options),
        lambda: tracker.get_page("job-1", **options),
    ]
    for call in calls:
        with pytest.raises(RequestValidationError) as info:
            call()
        assert info.value.parameter == member
    assert server.request_count(kind.operation.get_name) == before


def test_other_bad_get_inputs(client: Any, server: LocalRekognition) -> None:
    tracker = LabelDetector(client)
    for call, member in (
        (lambda: tracker.labels("bad job id!"), "JobId"),
        (lambda: tracker.labels("job-1", page_size=1001), "page_size"),
        (lambda: tracker.labels("job-1", page_size=0), "page_size"),
        (lambda: tracker.get_page("job-1", next_token=""), "NextToken"),
    ):
        with pytest.raises(RequestValidationError) as info:
            list(call())  # type: ignore[call-overload]
        assert info.value.parameter == member
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        tracker.labels("job-1", colour="red")  # type: ignore[call-arg]
    with pytest.raises(RequestValidationError, match="collection_id"):
        next(iter(TextDetector(client).track_many(["s3://jobs-bucket/x.mp4"], queue=None, collection_id="c")))  # type: ignore[arg-type]


def test_the_service_refuses_sort_by_where_the_operation_has_none(client: Any) -> None:
    """Plain boto3 sending SortBy to GetFaceDetection: botocore refuses it before any request (it is not a member)."""
    from botocore.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        client.get_face_detection(JobId="job-1", SortBy="TIMESTAMP")
