"""Every invalid input raises RequestValidationError naming the parameter, before any request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import UnStubbedResponseError
from botocore.stub import Stubber

from rekotrack import (
    NotificationChannel,
    PersonTracker,
    RequestValidationError,
    RetryPolicy,
    S3Object,
    Video,
    parse_s3_uri,
)

from .unit_support import JOB_ID, make_client

TOPIC = "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionTopic"
ROLE = "arn:aws:iam::123456789012:role/RekognitionRole"
URI = "s3://my-bucket/videos/clip.mp4"


@pytest.fixture
def calls() -> list[str]:
    return []


@pytest.fixture
def guarded(calls: list[str]) -> Iterator[PersonTracker]:
    """A tracker whose client records any API call and has no response queued."""
    client = make_client()

    def record(model: Any, **_kwargs: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("provide-client-params.rekognition", record)
    with Stubber(client) as stub:
        yield PersonTracker(client=client, retry=RetryPolicy(max_attempts=1, sleep=lambda _s: None))
        stub.assert_no_pending_responses()


def _channel(topic: str = TOPIC, role: str = ROLE) -> NotificationChannel:
    return NotificationChannel(sns_topic_arn=topic, role_arn=role)


Call = Callable[[PersonTracker], object]

BAD_INPUTS: list[tuple[str, str, Call]] = [
    # JobId
    ("job_id-empty", "JobId", lambda t: t.get_page("")),
    ("job_id-65", "JobId", lambda t: t.get_page("j" * 65)),
    ("job_id-bad-char", "JobId", lambda t: t.get_page("job id!")),
    ("job_id-newline", "JobId", lambda t: t.get_page("job\n")),
    ("persons-job_id", "JobId", lambda t: t.persons("bad/id")),
    ("wait-job_id", "JobId", lambda t: t.wait("bad id")),
    ("pages-job_id", "JobId", lambda t: t.pages("")),
    # page size / MaxResults
    ("max_results-0", "MaxResults", lambda t: t.get_page(JOB_ID, max_results=0)),
    ("max_results-1001", "MaxResults", lambda t: t.get_page(JOB_ID, max_results=1001)),
    ("max_results-str", "MaxResults", lambda t: t.get_page(JOB_ID, max_results="10")),  # type: ignore[arg-type]
    ("max_results-bool", "MaxResults", lambda t: t.get_page(JOB_ID, max_results=True)),
    ("page_size-0", "page_size", lambda t: t.persons(JOB_ID, page_size=0)),
    ("page_size-1001", "page_size", lambda t: t.persons(JOB_ID, page_size=1001)),
    ("page_size-str", "page_size", lambda t: t.persons(JOB_ID, page_size="10")),  # type: ignore[arg-type]
    ("page_size-bool", "page_size", lambda t: t.persons(JOB_ID, page_size=True)),
    ("pages-page_size", "page_size", lambda t: t.pages(JOB_ID, page_size=0)),
    # NextToken
    ("next_token-256", "NextToken", lambda t: t.get_page(JOB_ID, next_token="t" * 256)),
    ("next_token-empty", "NextToken", lambda t: t.get_page(JOB_ID, next_token="")),
    # SortBy
    ("sort_by-get", "SortBy", lambda t: t.get_page(JOB_ID, sort_by="time")),
    ("sort_by-persons", "SortBy", lambda t: t.persons(JOB_ID, sort_by="time")),
    ("sort_by-lowercase", "SortBy", lambda t: t.persons(JOB_ID, sort_by="index")),
    # pager arguments
    ("max_items-negative", "max_items", lambda t: t.persons(JOB_ID, max_items=-1)),
    ("max_items-str", "max_items", lambda t: t.persons(JOB_ID, max_items="5")),  # type: ignore[arg-type]
    ("starting_token-garbage", "starting_token", lambda t: t.persons(JOB_ID, starting_token="rkt1:!!not-base64")),
    # bucket
    ("bucket-short", "Video.S3Object.Bucket", lambda t: t.start("s3://ab/clip.mp4")),
    ("bucket-256", "Video.S3Object.Bucket", lambda t: t.start(f"s3://{'b' * 256}/clip.mp4")),
    ("bucket-slash", "Video.S3Object.Bucket", lambda t: t.start(Video.from_s3("bad/char", "clip.mp4"))),
    ("bucket-space", "Video.S3Object.Bucket", lambda t: t.start("s3://bad bucket/clip.mp4")),
    # key and version
    ("key-empty", "Video.S3Object.Name", lambda t: t.start(Video.from_s3("my-bucket", ""))),
    ("key-1025", "Video.S3Object.Name", lambda t: t.start(Video.from_s3("my-bucket", "k" * 1025))),
    ("version-empty", "Video.S3Object.Version", lambda t: t.start(Video.from_s3("my-bucket", "k.mp4", ""))),
    ("version-empty-uri", "Video.S3Object.Version", lambda t: t.start(URI + "?versionId=")),
    ("no-s3-object", "Video.S3Object", lambda t: t.start(Video())),
    ("bucket-missing", "Video.S3Object.Bucket", lambda t: t.start(Video(s3_object=S3Object(name="k.mp4")))),
    # URIs
    ("uri-http", "video", lambda t: t.start("http://my-bucket/clip.mp4")),
    ("uri-no-key", "video", lambda t: t.start("s3://my-bucket")),
    ("uri-empty-key", "video", lambda t: t.start("s3://my-bucket/")),
    ("uri-one-slash", "video", lambda t: t.start("s3:/my-bucket/clip.mp4")),
    ("uri-other-query", "video", lambda t: t.start("s3://my-bucket/clip.mp4?foo=1")),
    ("uri-two-versions", "video", lambda t: t.start("s3://my-bucket/clip.mp4?versionId=a&versionId=b")),
    ("uri-version-and-other", "video", lambda t: t.start("s3://my-bucket/clip.mp4?versionId=a&foo=1")),
    ("uri-not-str", "video", lambda t: t.start(42)),  # type: ignore[arg-type]
    # ClientRequestToken
    ("token-bad-char", "ClientRequestToken", lambda t: t.start(URI, client_request_token="bad token!")),
    ("token-empty", "ClientRequestToken", lambda t: t.start(URI, client_request_token="")),
    ("token-65", "ClientRequestToken", lambda t: t.start(URI, client_request_token="t" * 65)),
    # JobTag
    ("job_tag-bad-char", "JobTag", lambda t: t.start(URI, job_tag="bad tag!")),
    ("job_tag-too-long", "JobTag", lambda t: t.start(URI, job_tag="t" * 1025)),
    ("job_tag-empty", "JobTag", lambda t: t.start(URI, job_tag="")),
    # notification channel
    (
        "sns-arn-bad",
        "NotificationChannel.SNSTopicArn",
        lambda t: t.start(URI, notification=_channel(topic="arn:aws:sns:us-east-1:123:topic")),
    ),
    (
        "sns-arn-not-sns",
        "NotificationChannel.SNSTopicArn",
        lambda t: t.start(URI, notification=_channel(topic="arn:aws:sqs:us-east-1:123456789012:q")),
    ),
    (
        "role-arn-bad",
        "NotificationChannel.RoleArn",
        lambda t: t.start(URI, notification=_channel(role="arn:aws:iam::123456789012:user/Someone")),
    ),
    (
        "role-arn-short-account",
        "NotificationChannel.RoleArn",
        lambda t: t.start(URI, notification=_channel(role="arn:aws:iam::1234:role/R")),
    ),
    (
        "channel-wrong-type",
        "NotificationChannel",
        lambda t: t.start(URI, notification={"SNSTopicArn": TOPIC, "RoleArn": ROLE}),  # type: ignore[arg-type]
    ),
]


@pytest.mark.parametrize(("parameter", "call"), [row[1:] for row in BAD_INPUTS], ids=[row[0] for row in BAD_INPUTS])
def test_bad_input_raises_before_any_request(
    guarded: PersonTracker, calls: list[str], parameter: str, call: Call
) -> None:
    with pytest.raises(RequestValidationError) as info:
        call(guarded)
    error = info.value
    assert error.parameter == parameter
    assert isinstance(error, ValueError)
    assert str(error).startswith(parameter)
    assert error.rule
    assert error.rule in str(error)
    assert calls == []


def test_wait_timeout_must_not_be_negative(guarded: PersonTracker, calls: list[str]) -> None:
    # timeout=0 checks once (DESIGN.md); below zero is refused before any request.
    with pytest.raises(ValueError, match="timeout"):
        guarded.wait(JOB_ID, timeout=-1)
    assert calls == []


def test_guard_detects_a_request(guarded: PersonTracker, calls: list[str]) -> None:
    """The guard itself works: a valid call is seen (and fails, since nothing is queued)."""
    with pytest.raises(UnStubbedResponseError):
        guarded.get_page(JOB_ID)
    assert calls == ["GetPersonTracking"]


# ---- valid inputs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "bucket", "key", "version"),
    [
        ("s3://my-bucket/clip.mp4", "my-bucket", "clip.mp4", None),
        ("s3://my-bucket/a/b/c d.mp4", "my-bucket", "a/b/c d.mp4", None),
        (
            "s3://my.bucket_1/clip.mp4?versionId=3HL4kqtJlcpXroDTDmjVBH40Nrjfkd",
            "my.bucket_1",
            "clip.mp4",
            "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd",
        ),
        ("s3://my-bucket/dir/clip.mov?versionId=null", "my-bucket", "dir/clip.mov", "null"),
    ],
)
def test_valid_uris_parse(uri: str, bucket: str, key: str, version: str | None) -> None:
    video = parse_s3_uri(uri)
    assert video.s3_object is not None
    assert (video.s3_object.bucket, video.s3_object.name, video.s3_object.version) == (bucket, key, version)
    expected = {"Bucket": bucket, "Name": key} | ({"Version": version} if version else {})
    assert video.to_aws() == {"S3Object": expected}
    assert video.uri == uri


def test_start_sends_the_parsed_video_with_version(client: Any, stub: Stubber) -> None:
    tracker = PersonTracker(client=client, retry=RetryPolicy(max_attempts=1))
    stub.add_response(
        "start_person_tracking",
        {"JobId": JOB_ID},
        {
            "Video": {"S3Object": {"Bucket": "my-bucket", "Name": "clip.mp4", "Version": "v-1"}},
            "ClientRequestToken": "tok-1",
            "NotificationChannel": {"SNSTopicArn": TOPIC, "RoleArn": ROLE},
            "JobTag": "run-7:a/b=c+d",
        },
    )
    job = tracker.start(
        "s3://my-bucket/clip.mp4?versionId=v-1",
        notification=_channel(),
        job_tag="run-7:a/b=c+d",
        client_request_token="tok-1",
    )
    assert job.job_id == JOB_ID
    assert job.video == Video.from_s3("my-bucket", "clip.mp4", "v-1")
    assert job.job_tag == "run-7:a/b=c+d"
    stub.assert_no_pending_responses()


def test_boundary_values_are_accepted(client: Any, stub: Stubber) -> None:
    tracker = PersonTracker(client=client, retry=RetryPolicy(max_attempts=1))
    job_id = "J" * 64
    token = "t" * 255
    stub.add_response(
        "get_person_tracking",
        {"JobStatus": "SUCCEEDED", "Persons": []},
        {"JobId": job_id, "MaxResults": 1000, "SortBy": "INDEX", "NextToken": token},
    )
    stub.add_response(
        "get_person_tracking",
        {"JobStatus": "SUCCEEDED", "Persons": []},
        {"JobId": "j", "MaxResults": 1, "SortBy": "TIMESTAMP"},
    )
    assert tracker.get_page(job_id, next_token=token, max_results=1000, sort_by="INDEX").job_status == "SUCCEEDED"
    assert tracker.get_page("j", max_results=1).job_status == "SUCCEEDED"
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "video",
    [
        # An S3 version id with '+' and '/' (the form shown in the S3 documentation).
        Video.from_s3("my-bucket", "clip.mp4", "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"),
        Video.from_s3("my-bucket", "100%25 done.mp4"),
    ],
    ids=["version-with-plus", "key-with-percent"],
)
def test_video_uri_round_trips(video: Video) -> None:
    assert video.uri is not None
    assert parse_s3_uri(video.uri) == video


def test_non_string_job_id_is_refused_before_any_request(guarded: PersonTracker, calls: list[str]) -> None:
    with pytest.raises(RequestValidationError) as info:
        guarded.get_page(5)  # type: ignore[arg-type]
    assert info.value.parameter == "JobId"
    assert calls == []
