"""Issue 11, point 3: every bad input is a typed error before any request, never a plain error or an unbounded wait.

Timeouts that are negative, NaN, infinite, strings or None; pauses <= 0; a batch
of fewer than one job; queue attributes that are not a mapping; a JobId from the
service that breaks the JobId pattern; NUL bytes in key names; deeply nested or
corrupt JSON in notifications and saved results (no RecursionError).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from rekotrack import (
    CompletionQueue,
    MalformedResponseError,
    NotificationParseError,
    PersonTracker,
    RekotrackError,
    RequestValidationError,
    ResultFileError,
    RetryPolicy,
    TrackingResult,
    Video,
    WaitTimeoutError,
    parse_lambda_event,
    parse_notification,
    read_jsonl,
)

from .unit_support import JOB_ID, FakeClock, detection, get_params, make_client, make_tracker, page

ROLE = "arn:aws:iam::123456789012:role/rekognition"
TOPIC = "arn:aws:sns:us-east-1:123456789012:AmazonRekognition-x"


class NoCalls:
    """An SNS/SQS client double: any call is a test failure."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"{name} was called")


@pytest.fixture
def guarded() -> Iterator[tuple[PersonTracker, list[str]]]:
    """A tracker whose client records any API call and has no response queued."""
    calls: list[str] = []
    client = make_client()
    client.meta.events.register("provide-client-params.rekognition", lambda model, **_: calls.append(model.name))
    with Stubber(client) as stub:
        yield PersonTracker(client=client, retry=RetryPolicy(max_attempts=1, sleep=lambda _s: None)), calls
        stub.assert_no_pending_responses()


def _queue() -> CompletionQueue:
    return CompletionQueue(
        queue_url="http://127.0.0.1:1/q",
        queue_arn="arn:aws:sqs:us-east-1:123456789012:q",
        topic_arn=TOPIC,
        role_arn=ROLE,
        sns_client=NoCalls(),  # type: ignore[arg-type]
        sqs_client=NoCalls(),  # type: ignore[arg-type]
    )


BAD_TIMEOUTS = [-1, -0.001, math.nan, math.inf, -math.inf, "10", None, True, [5]]

Call = Callable[[PersonTracker], object]
BAD_CALLS: list[tuple[str, str, Call]] = [
    *[(f"wait-timeout-{t!r}", "timeout", lambda tr, t=t: tr.wait(JOB_ID, timeout=t)) for t in BAD_TIMEOUTS],
    *[
        (f"queue-wait-timeout-{t!r}", "timeout", lambda tr, t=t: tr.wait(JOB_ID, timeout=t, queue=_queue()))
        for t in BAD_TIMEOUTS
    ],
    ("poll_interval-0", "poll_interval", lambda tr: tr.wait(JOB_ID, poll_interval=0)),
    ("poll_interval-negative", "poll_interval", lambda tr: tr.wait(JOB_ID, poll_interval=-5)),
    ("poll_interval-nan", "poll_interval", lambda tr: tr.wait(JOB_ID, poll_interval=math.nan)),
    ("max_poll_interval-0", "max_poll_interval", lambda tr: tr.wait(JOB_ID, max_poll_interval=0)),
    ("max_poll_interval-inf", "max_poll_interval", lambda tr: tr.wait(JOB_ID, max_poll_interval=math.inf)),
    ("status_check_interval-0", "status_check_interval", lambda tr: tr.wait(JOB_ID, status_check_interval=0)),
    (
        "status_check_interval-negative",
        "status_check_interval",
        lambda tr: tr.wait(JOB_ID, queue=_queue(), status_check_interval=-1),
    ),
    ("max_concurrent-0", "max_concurrent", lambda tr: tr.track_many([], queue=_queue(), max_concurrent=0)),
    ("max_concurrent-negative", "max_concurrent", lambda tr: tr.track_many([], queue=_queue(), max_concurrent=-3)),
    ("max_concurrent-str", "max_concurrent", lambda tr: tr.track_many([], queue=_queue(), max_concurrent="20")),  # type: ignore[arg-type]
    ("track_many-timeout-nan", "timeout", lambda tr: tr.track_many([], queue=_queue(), timeout=math.nan)),
    ("track_many-timeout-inf", "timeout", lambda tr: tr.track_many([], queue=_queue(), timeout=math.inf)),
    (
        "track_many-status_check_interval-0",
        "status_check_interval",
        lambda tr: tr.track_many([], queue=_queue(), status_check_interval=0),
    ),
    ("key-with-nul", "Video.S3Object.Name", lambda tr: tr.start("s3://my-bucket/clip\x00.mp4")),
    ("video-key-with-nul", "Video.S3Object.Name", lambda tr: tr.start(Video.from_s3("my-bucket", "a\x00b"))),
    ("version-with-nul", "Video.S3Object.Version", lambda tr: tr.start(Video.from_s3("my-bucket", "a", "v\x00"))),
    ("request_timeout-0", "request_timeout", lambda tr: PersonTracker(client=tr.client, request_timeout=0)),
    ("request_timeout-nan", "request_timeout", lambda tr: PersonTracker(client=tr.client, request_timeout=math.nan)),
]


@pytest.mark.parametrize(("parameter", "call"), [row[1:] for row in BAD_CALLS], ids=[row[0] for row in BAD_CALLS])
def test_bad_input_is_a_request_validation_error_before_any_request(
    guarded: tuple[PersonTracker, list[str]], parameter: str, call: Call
) -> None:
    tracker, calls = guarded
    with pytest.raises(RequestValidationError) as info:
        call(tracker)
    assert info.value.parameter == parameter
    assert calls == []


@pytest.mark.parametrize("timeout", BAD_TIMEOUTS, ids=repr)
@pytest.mark.parametrize("method", ["wait_for", "wait_for_any", "wait_for_all"])
def test_queue_waits_refuse_bad_timeouts_before_any_call(method: str, timeout: Any) -> None:
    queue = _queue()
    job_ids: Any = JOB_ID if method == "wait_for" else [JOB_ID]
    with pytest.raises(RequestValidationError) as info:
        getattr(queue, method)(job_ids, timeout)
    assert info.value.parameter == "timeout"


@pytest.mark.parametrize("attributes", [[("VisibilityTimeout", "30")], "VisibilityTimeout=30", 5, {"A": 5}])
def test_queue_attributes_must_be_a_mapping_of_strings(attributes: Any) -> None:
    with pytest.raises(RequestValidationError) as info:
        CompletionQueue.create(ROLE, sns_client=NoCalls(), sqs_client=NoCalls(), queue_attributes=attributes)  # type: ignore[arg-type]
    assert info.value.parameter == "queue_attributes"


def test_timeout_zero_checks_once_then_times_out(client: Any, stub: Stubber, clock: FakeClock) -> None:
    tracker = make_tracker(client, clock)
    stub.add_response("get_person_tracking", page(None, status="IN_PROGRESS"), get_params(max_results=1))
    with pytest.raises(WaitTimeoutError) as info:
        tracker.wait(JOB_ID, timeout=0)
    assert info.value.timeout == 0
    assert clock.sleeps == []
    stub.assert_no_pending_responses()


def test_timeout_zero_returns_a_finished_job(client: Any, stub: Stubber, clock: FakeClock) -> None:
    tracker = make_tracker(client, clock)
    stub.add_response("get_person_tracking", page([], status="SUCCEEDED"), get_params(max_results=1))
    assert tracker.wait(JOB_ID, timeout=0).job_status == "SUCCEEDED"


@pytest.mark.parametrize("job_id", ["bad/id", "x" * 65, "spaces are not allowed"])
def test_a_jobid_from_the_service_that_breaks_the_pattern_is_malformed(
    client: Any, stub: Stubber, clock: FakeClock, job_id: str
) -> None:
    tracker = make_tracker(client, clock, max_attempts=2)
    for _ in range(2):
        stub.add_response("start_person_tracking", {"JobId": job_id})
    with pytest.raises(MalformedResponseError) as info:
        tracker.start("s3://my-bucket/clip.mp4", client_request_token="tok")
    assert info.value.attempts == 2
    assert info.value.operation == "StartPersonTracking"


# ---- hostile JSON: typed errors, never RecursionError ---------------------------------------

DEEP = "[" * 200_000 + "]" * 200_000


@pytest.mark.parametrize(
    "value",
    [
        DEEP,
        json.dumps({"Type": "Notification", "Message": DEEP}),
        {"Body": json.dumps({"Type": "Notification", "Message": DEEP})},
        {"Body": DEEP.encode()},
    ],
    ids=["deep-body", "deep-message", "deep-sqs-message", "deep-bytes"],
)
def test_parse_notification_answers_deep_json_with_its_error(value: Any) -> None:
    with pytest.raises(NotificationParseError):
        parse_notification(value)


def test_parse_lambda_event_answers_deep_json_with_its_error() -> None:
    with pytest.raises(NotificationParseError):
        parse_lambda_event({"Records": [{"body": DEEP}]})


HEADER = json.dumps({"RekotrackResult": 1, "DetectionCount": 1})
LINE = json.dumps(detection(40))
BAD_FILES = {
    "deep": DEEP + "\n",
    "deep-after-header": HEADER + "\n" + DEEP + "\n",
    "nan-box": HEADER + "\n" + LINE.replace("0.25", "NaN") + "\n",
    "infinity-box": LINE.replace("0.5", "Infinity") + "\n",
    "header-in-the-wrong-place": LINE + "\n" + HEADER + "\n",
    "bad-version": json.dumps({"RekotrackResult": 2, "DetectionCount": 0}) + "\n",
    "version-true": json.dumps({"RekotrackResult": True, "DetectionCount": 0}) + "\n",
    "count-string": json.dumps({"RekotrackResult": 1, "DetectionCount": "1"}) + "\n" + LINE + "\n",
    "count-negative": json.dumps({"RekotrackResult": 1, "DetectionCount": -1}) + "\n",
    "corrupt": HEADER + "\n" + LINE[:-5] + "\n",
    "count-more-than-lines": json.dumps({"RekotrackResult": 1, "DetectionCount": 2}) + "\n" + LINE + "\n",
    "count-fewer-than-lines": HEADER + "\n" + LINE + "\n" + LINE + "\n",
}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "result.jsonl"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", list(BAD_FILES), ids=list(BAD_FILES))
def test_load_answers_a_bad_file_with_its_typed_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(ResultFileError) as info:
        TrackingResult.load(_write(tmp_path, BAD_FILES[name]))
    assert isinstance(info.value, RekotrackError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("name", list(BAD_FILES), ids=list(BAD_FILES))
def test_read_jsonl_answers_a_bad_file_with_its_typed_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(ResultFileError):
        list(read_jsonl(_write(tmp_path, BAD_FILES[name])))


def test_load_refuses_an_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty") as info:
        TrackingResult.load(_write(tmp_path, ""))
    assert isinstance(info.value, RekotrackError)


def test_a_good_saved_file_still_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "\n" + LINE + "\n")
    assert [d.timestamp for d in TrackingResult.load(path).detections] == [40]
    assert [d.timestamp for d in read_jsonl(path)] == [40]
