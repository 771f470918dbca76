"""The local server serves all sixteen Rekognition Video operations (issue 13 point 5), through boto3.

Every job kind is started and paged with an unchanged boto3 client, in every sort order and
aggregation its Get has, a few items a page, and must return exactly the synthetic ground truth
(``rekotrack._synthetic._jobs``); its page members, its SNS message, its validation and its tokens
follow the same rules as person tracking.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from rekotrack._synthetic._jobs import SyntheticJob, ground_truth
from rekotrack.server import VIDEO_OPERATIONS, ServedOperation
from rekotrack.testing import LocalRekognition

VIDEO: dict[str, Any] = {"S3Object": {"Bucket": "bucket", "Name": "street.mp4"}}
URI = "s3://bucket/street.mp4"
CHANNEL = {"SNSTopicArn": "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionDone",
           "RoleArn": "arn:aws:iam::123456789012:role/RekognitionSNS"}
START_INPUTS: dict[str, dict[str, Any]] = {
    "LabelDetection": {"MinConfidence": 60},
    "FaceDetection": {"FaceAttributes": "ALL"},
    "FaceSearch": {"CollectionId": "staff", "FaceMatchThreshold": 85},
    "CelebrityRecognition": {},
    "ContentModeration": {"MinConfidence": 50},
    "SegmentDetection": {"SegmentTypes": ["SHOT", "TECHNICAL_CUE"]},
    "TextDetection": {},
}
KINDS = [spec for spec in VIDEO_OPERATIONS if spec.name != "PersonTracking"]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def server() -> Any:
    with LocalRekognition(job_seconds=0.0) as srv:
        yield srv


def _start(client: Any, spec: ServedOperation, **extra: Any) -> tuple[str, dict[str, Any]]:
    params = {"Video": VIDEO, **START_INPUTS[spec.name], **extra}
    job_id: str = getattr(client, _snake(spec.start))(**params)["JobId"]
    return job_id, params


def _read(client: Any, spec: ServedOperation, job_id: str, **get: Any) -> tuple[list[Any], list[dict[str, Any]]]:
    items: list[Any] = []
    pages: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": 7, **get}
    for _ in range(10_000):
        page = getattr(client, _snake(spec.get))(**kwargs)
        assert page["JobStatus"] == "SUCCEEDED"
        pages.append(page)
        items.extend(page[spec.list_key])
        if "NextToken" not in page:
            return items, pages
        kwargs["NextToken"] = page["NextToken"]
    raise AssertionError("the pages never ended")


def _choices(spec: ServedOperation) -> list[dict[str, str]]:
    sorts: list[str | None] = [*spec.sort_by] or [None]
    aggregations: list[str | None] = [*spec.aggregate_by] or [None]
    out = []
    for sort_by, aggregate_by in itertools.product(sorts, aggregations):
        get = {}
        if sort_by is not None:
            get["SortBy"] = sort_by
        if aggregate_by is not None:
            get["AggregateBy"] = aggregate_by
        out.append(get)
    return out


@pytest.mark.parametrize("spec", KINDS, ids=lambda spec: spec.name)
def test_every_order_and_aggregation_pages_the_ground_truth(server: LocalRekognition, spec: ServedOperation) -> None:
    client = server.client()
    job_id, params = _start(client, spec, JobTag="street")
    scene = server.scene_for(URI)
    expected_fields = SyntheticJob(spec.name, params, scene=scene)
    for get in _choices(spec):
        items, pages = _read(client, spec, job_id, **get)
        truth = ground_truth(spec.name, params, sort_by=get.get("SortBy"), aggregate_by=get.get("AggregateBy"),
                             scene=scene)
        assert truth, f"{spec.name} {get}: the synthetic job has no items to compare"
        assert items == truth, get
        fields = expected_fields.page_fields(get.get("SortBy"), get.get("AggregateBy"))
        for page in pages:
            assert page["JobId"] == job_id
            assert page["JobTag"] == "street"
            assert page["Video"] == VIDEO
            for member, value in fields.items():
                assert page[member] == value, member


@pytest.mark.parametrize("spec", KINDS, ids=lambda spec: spec.name)
def test_completion_message_names_the_operation(spec: ServedOperation) -> None:
    with LocalRekognition(job_seconds=0.0) as server:
        job_id, _ = _start(server.client(), spec, NotificationChannel=CHANNEL)
        (note,) = server.wait_notifications(1)
    assert note.payload["JobId"] == job_id
    assert note.payload["API"] == spec.start
    assert note.payload["Status"] == "SUCCEEDED"


def test_jobs_are_found_only_through_their_own_operation(server: LocalRekognition) -> None:
    client = server.client()
    job_id, _ = _start(client, KINDS[0])
    with pytest.raises(ClientError) as caught:
        client.get_person_tracking(JobId=job_id)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_token_is_bound_to_its_aggregation(server: LocalRekognition) -> None:
    client = server.client()
    job_id, _ = _start(client, KINDS[0])  # LabelDetection
    first = client.get_label_detection(JobId=job_id, MaxResults=1, AggregateBy="TIMESTAMPS")
    with pytest.raises(ClientError) as caught:
        client.get_label_detection(JobId=job_id, MaxResults=1, AggregateBy="SEGMENTS", NextToken=first["NextToken"])
    assert caught.value.response["Error"]["Code"] == "InvalidPaginationTokenException"


@pytest.mark.parametrize(
    ("operation", "params", "member"),
    [
        ("get_label_detection", {"JobId": "a" * 64, "SortBy": "INDEX"}, "SortBy"),
        ("get_celebrity_recognition", {"JobId": "a" * 64, "SortBy": "NAME"}, "SortBy"),
        ("get_content_moderation", {"JobId": "a" * 64, "AggregateBy": "FRAMES"}, "AggregateBy"),
        ("start_label_detection", {"Video": VIDEO, "MinConfidence": 101}, "MinConfidence"),
        ("start_segment_detection", {"Video": VIDEO, "SegmentTypes": ["SCENE"]}, "SegmentTypes"),
        ("start_face_search", {"Video": VIDEO, "CollectionId": "bad collection!"}, "CollectionId"),
    ],
)
def test_inputs_are_validated_from_the_constraint_table(
    server: LocalRekognition, operation: str, params: dict[str, Any], member: str
) -> None:
    raw = server.client(config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as caught:
        getattr(raw, operation)(**params)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert member in error["Message"]


def test_person_tracking_is_unchanged_among_them(server: LocalRekognition) -> None:
    client = server.client()
    job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
    page = client.get_person_tracking(JobId=job_id, SortBy="INDEX", MaxResults=5)
    assert page["Persons"] == list(server.scene_for(URI).ground_truth("INDEX"))[:5]
