"""Exact request sequences of the new Start inputs and Get parameters (botocore Stubber, checked against the model)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from jobs_support import FAKE, REGION

from rekotrack import (
    CelebrityRecognizer,
    ContentModerator,
    FaceDetector,
    FaceSearcher,
    LabelDetector,
    NotificationChannel,
    SegmentDetector,
    TextDetector,
)

JOB = "job-0001"
CHANNEL = NotificationChannel(sns_topic_arn="arn:aws:sns:us-east-1:123456789012:AmazonRekognitionT", role_arn=(
    "arn:aws:iam::123456789012:role/RekognitionSnsPublish"))


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("rekognition", region_name=REGION, **FAKE)
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def page(list_key: str, items: list[dict[str, Any]], next_token: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"JobStatus": "SUCCEEDED", list_key: items}
    if next_token is not None:
        body["NextToken"] = next_token
    return body


GET_CASES: list[tuple[type[Any], str, str, dict[str, Any], dict[str, Any]]] = [
    (LabelDetector, "get_label_detection", "Labels", {}, {"SortBy": "TIMESTAMP", "AggregateBy": "TIMESTAMPS"}),
    (LabelDetector, "get_label_detection", "Labels", {"sort_by": "NAME", "aggregate_by": "SEGMENTS"},
     {"SortBy": "NAME", "AggregateBy": "SEGMENTS"}),
    (ContentModerator, "get_content_moderation", "ModerationLabels", {"aggregate_by": "SEGMENTS"},
     {"SortBy": "TIMESTAMP", "AggregateBy": "SEGMENTS"}),
    (ContentModerator, "get_content_moderation", "ModerationLabels", {"sort_by": "NAME"},
     {"SortBy": "NAME", "AggregateBy": "TIMESTAMPS"}),
    (CelebrityRecognizer, "get_celebrity_recognition", "Celebrities", {"sort_by": "ID"}, {"SortBy": "ID"}),
    (CelebrityRecognizer, "get_celebrity_recognition", "Celebrities", {}, {"SortBy": "TIMESTAMP"}),
    (FaceSearcher, "get_face_search", "Persons", {"sort_by": "INDEX"}, {"SortBy": "INDEX"}),
    (FaceDetector, "get_face_detection", "Faces", {}, {}),
    (SegmentDetector, "get_segment_detection", "Segments", {}, {}),
    (TextDetector, "get_text_detection", "TextDetections", {}, {}),
]


@pytest.mark.parametrize(("cls", "method", "list_key", "options", "members"), GET_CASES,
                         ids=[f"{c[0].__name__}-{'-'.join(c[3].values()) or 'default'}" for c in GET_CASES])
def test_pages_send_exactly_the_operation_members(
    stubbed: tuple[Any, Stubber], cls: type[Any], method: str, list_key: str, options: dict[str, Any],
    members: dict[str, Any],
) -> None:
    client, stub = stubbed
    field = "StartTimestampMillis" if list_key == "Segments" else "Timestamp"
    items = [{field: t} for t in range(4)]
    stub.add_response(method, page(list_key, items[:2], "t1"), {"JobId": JOB, "MaxResults": 2, **members})
    stub.add_response(method, page(list_key, [], "t2"), {"JobId": JOB, "MaxResults": 2, "NextToken": "t1", **members})
    stub.add_response(method, page(list_key, items[2:]), {"JobId": JOB, "MaxResults": 2, "NextToken": "t2", **members})
    tracker = cls(client, prefetch=False)
    got = [item.to_aws() for item in tracker.items(JOB, page_size=2, **options)]
    assert got == items  # an empty page with a NextToken is read through


def test_get_page_sends_what_it_is_given(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    stub.add_response(
        "get_label_detection",
        page("Labels", []),
        {"JobId": JOB, "MaxResults": 7, "NextToken": "abc", "SortBy": "NAME", "AggregateBy": "SEGMENTS"},
    )
    stub.add_response("get_face_search", page("Persons", []), {"JobId": JOB, "MaxResults": 1000, "SortBy": "INDEX"})
    stub.add_response("get_text_detection", page("TextDetections", []), {"JobId": JOB, "MaxResults": 3})
    LabelDetector(client).get_page(JOB, next_token="abc", max_results=7, sort_by="NAME", aggregate_by="SEGMENTS")
    FaceSearcher(client).get_page(JOB, sort_by="INDEX")
    TextDetector(client).get_page(JOB, max_results=3)


def test_max_items_stops_without_a_further_request(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    stub.add_response(
        "get_celebrity_recognition",
        page("Celebrities", [{"Timestamp": t} for t in range(4)], "t1"),
        {"JobId": JOB, "MaxResults": 4, "SortBy": "ID"},
    )
    pager = CelebrityRecognizer(client, prefetch=False).celebrities(JOB, sort_by="ID", page_size=4, max_items=3)
    assert [c.timestamp for c in pager] == [0, 1, 2]
    assert pager.resume_token is not None


START_CASES: list[tuple[Any, str, dict[str, Any], dict[str, Any]]] = [
    (LabelDetector, "start_label_detection",
     {"min_confidence": 70.5, "features": ["GENERAL_LABELS"],
      "settings": {"GeneralLabels": {"LabelInclusionFilters": ["Car"], "LabelCategoryExclusionFilters": ["Food"]}}},
     {"MinConfidence": 70.5, "Features": ["GENERAL_LABELS"],
      "Settings": {"GeneralLabels": {"LabelInclusionFilters": ["Car"], "LabelCategoryExclusionFilters": ["Food"]}}}),
    (FaceDetector, "start_face_detection", {"face_attributes": "ALL"}, {"FaceAttributes": "ALL"}),
    (FaceSearcher, "start_face_search", {"collection_id": "staff", "face_match_threshold": 90},
     {"CollectionId": "staff", "FaceMatchThreshold": 90}),
    (CelebrityRecognizer, "start_celebrity_recognition", {}, {}),
    (ContentModerator, "start_content_moderation", {"min_confidence": 60}, {"MinConfidence": 60}),
    (SegmentDetector, "start_segment_detection",
     {"segment_types": ("SHOT", "TECHNICAL_CUE"),
      "filters": {"TechnicalCueFilter": {"MinSegmentConfidence": 90, "BlackFrame": {"MaxPixelThreshold": 0.1}}}},
     {"SegmentTypes": ["SHOT", "TECHNICAL_CUE"],
      "Filters": {"TechnicalCueFilter": {"MinSegmentConfidence": 90, "BlackFrame": {"MaxPixelThreshold": 0.1}}}}),
    (TextDetector, "start_text_detection",
     {"filters": {"WordFilter": {"MinConfidence": 80},
                  "RegionsOfInterest": [{"BoundingBox": {"Left": 0.1, "Top": 0.1, "Width": 0.5, "Height": 0.5}}]}},
     {"Filters": {"WordFilter": {"MinConfidence": 80},
                  "RegionsOfInterest": [{"BoundingBox": {"Left": 0.1, "Top": 0.1, "Width": 0.5, "Height": 0.5}}]}}),
]


@pytest.mark.parametrize(("cls", "method", "inputs", "members"), START_CASES, ids=[c[0].__name__ for c in START_CASES])
def test_start_sends_the_operation_inputs(
    stubbed: tuple[Any, Stubber], cls: type[Any], method: str, inputs: dict[str, Any], members: dict[str, Any]
) -> None:
    client, stub = stubbed
    expected = {
        "Video": {"S3Object": {"Bucket": "my-videos", "Name": "clips/a.mp4"}},
        "ClientRequestToken": "tok-7",
        "NotificationChannel": CHANNEL.to_aws(),
        "JobTag": "run-7",
        **members,
    }
    stub.add_response(method, {"JobId": JOB}, expected)
    job = cls(client).start(
        "s3://my-videos/clips/a.mp4", notification=CHANNEL, job_tag="run-7", client_request_token="tok-7", **inputs
    )
    assert job.job_id == JOB
    assert job.job_tag == "run-7"


def test_a_retried_start_keeps_its_token(stubbed: tuple[Any, Stubber]) -> None:
    from rekotrack import RetryPolicy

    client, stub = stubbed
    stub.add_client_error("start_face_detection", "ThrottlingException", http_status_code=400)
    stub.add_response("start_face_detection", {"JobId": JOB})
    requests: list[dict[str, Any]] = []
    client.meta.events.register("before-parameter-build.rekognition.StartFaceDetection",
                                lambda params, **_: requests.append(dict(params)))
    detector = FaceDetector(client, retry=RetryPolicy(max_attempts=3, sleep=lambda _s: None))
    job = detector.start("s3://my-videos/a.mp4")
    assert job.job_id == JOB
    assert len(requests) == 2
    assert requests[0]["ClientRequestToken"] == requests[1]["ClientRequestToken"] == job.client_request_token
