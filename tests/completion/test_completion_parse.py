"""parse_notification, parse_lambda_event and the per-message decision: every accepted shape, every failing layer."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from completion_support import load_fixture

from rekotrack import CompletionNotification, NotificationParseError
from rekotrack._notifications import (
    decide_message,
    foreign_visibility_timeout,
    is_failure,
    parse_lambda_event,
    parse_notification,
)

SQS_MESSAGE = load_fixture("sqs_message_sns_envelope.json")
INNER = load_fixture("rekognition_message.json")
ENVELOPE_BODY: str = SQS_MESSAGE["Body"]
ENVELOPE = json.loads(ENVELOPE_BODY)
RAW_BODY = json.dumps(INNER)


def check_inner(note: CompletionNotification) -> None:
    assert note.job_id == INNER["JobId"]
    assert note.status == "SUCCEEDED"
    assert note.api == "StartPersonTracking"
    assert note.job_tag == "run-7"
    assert note.timestamp == 1700000000123
    assert note.video is not None
    assert note.video.s3_object_name == "clips/lobby.mp4"
    assert note.video.s3_bucket == "my-videos"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(SQS_MESSAGE, id="sqs-message-dict"),
        pytest.param(ENVELOPE_BODY, id="sqs-body-sns-envelope"),
        pytest.param(ENVELOPE_BODY.encode(), id="sqs-body-bytes"),
        pytest.param(RAW_BODY, id="raw-delivery-body"),
        pytest.param({**SQS_MESSAGE, "Body": RAW_BODY}, id="sqs-message-raw-delivery"),
        pytest.param(ENVELOPE, id="sns-envelope-dict"),
        pytest.param(INNER, id="inner-dict"),
    ],
)
def test_every_accepted_shape(value: object) -> None:
    check_inner(parse_notification(value))


def test_the_envelope_fixture_has_the_real_fields() -> None:
    assert set(ENVELOPE) >= {
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
    }
    assert isinstance(ENVELOPE["Message"], str)


def test_job_tag_absent_when_unset_and_time_helper() -> None:
    inner = {k: v for k, v in INNER.items() if k != "JobTag"}
    note = parse_notification(inner)
    assert note.job_tag is None
    assert note.time == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=timezone.utc)


def test_documented_example_keeps_unknown_fields() -> None:
    note = parse_notification(load_fixture("rekognition_message_docs_example.json"))
    assert note.api == "LABEL_DETECTION"
    assert note.to_aws()["Message"] == ""
    assert note.to_aws() == load_fixture("rekognition_message_docs_example.json")


@pytest.mark.parametrize(("status", "failure"), [("SUCCEEDED", False), ("FAILED", True), ("ERROR", True)])
def test_statuses(status: str, failure: bool) -> None:
    note = parse_notification({**INNER, "Status": status})
    assert note.status == status
    assert is_failure(note) is failure


def test_unknown_status_parses() -> None:
    note = parse_notification({**INNER, "Status": "PARTIAL_SUCCESS"})
    assert note.status == "PARTIAL_SUCCESS"
    assert not is_failure(note)


def envelope_with(**changes: Any) -> str:
    env = dict(ENVELOPE)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return json.dumps(env)


@pytest.mark.parametrize(
    ("value", "layer", "fragment"),
    [
        pytest.param({**SQS_MESSAGE, "Body": "not json {"}, "sqs", "not JSON", id="body-not-json"),
        pytest.param({**SQS_MESSAGE, "Body": 42}, "sqs", "must be a string", id="body-not-string"),
        pytest.param("[1, 2]", "sqs", "JSON object", id="body-is-a-list"),
        pytest.param(b"\xff\xfe", "sqs", "UTF-8", id="body-not-utf8"),
        pytest.param(12, "sqs", "int", id="unsupported-type"),
        pytest.param(
            envelope_with(Type="SubscriptionConfirmation"), "sns-envelope", "SubscriptionConfirmation", id="type"
        ),
        pytest.param(envelope_with(Message=None), "sns-envelope", "Message", id="no-message"),
        pytest.param(envelope_with(Message=17), "sns-envelope", "Message", id="message-not-string"),
        pytest.param(envelope_with(Message="{oops"), "message", "not JSON", id="message-not-json"),
        pytest.param(envelope_with(Message='"a string"'), "message", "JSON object", id="message-not-object"),
        pytest.param(json.dumps({"Status": "SUCCEEDED"}), "message", "neither", id="no-job-id"),
        pytest.param({**INNER, "JobId": ""}, "message", "JobId", id="empty-job-id"),
        pytest.param({k: v for k, v in INNER.items() if k != "Status"}, "message", "Status", id="no-status"),
        pytest.param({**INNER, "Timestamp": "yesterday"}, "message", "Timestamp", id="bad-timestamp"),
        pytest.param({**INNER, "Video": "clip.mp4"}, "message", "Video", id="bad-video"),
    ],
)
def test_each_failing_layer(value: object, layer: str, fragment: str) -> None:
    with pytest.raises(NotificationParseError) as info:
        parse_notification(value)
    assert info.value.layer == layer
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_lambda_sns_event_several_records() -> None:
    notes = parse_lambda_event(load_fixture("lambda_sns_event.json"))
    assert [n.status for n in notes] == ["SUCCEEDED", "FAILED"]
    check_inner(notes[0])
    assert notes[1].job_tag is None


def test_lambda_sqs_event_envelope_and_raw_bodies() -> None:
    notes = parse_lambda_event(load_fixture("lambda_sqs_event.json"))
    assert [n.status for n in notes] == ["SUCCEEDED", "FAILED"]
    check_inner(notes[0])


def test_lambda_event_with_no_records_is_refused() -> None:
    """Lambda never sends an empty SNS/SQS batch: an event without records is not a completion event."""
    with pytest.raises(NotificationParseError) as caught:
        parse_lambda_event({"Records": []})
    assert caught.value.layer == "lambda-event"
    assert "empty Records" in str(caught.value)


@pytest.mark.parametrize(
    ("event", "layer"),
    [
        pytest.param([], "lambda-event", id="not-an-object"),
        pytest.param({"detail": {}}, "lambda-event", id="no-records"),
        pytest.param({"Records": ["x"]}, "lambda-event", id="record-not-object"),
        pytest.param({"Records": [{"eventSource": "aws:s3", "s3": {}}]}, "lambda-event", id="s3-record"),
        pytest.param({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "{"}}]}, "message", id="sns-bad"),
        pytest.param({"Records": [{"eventSource": "aws:sqs", "body": "nope"}]}, "sqs", id="sqs-bad-body"),
    ],
)
def test_lambda_event_failures(event: object, layer: str) -> None:
    with pytest.raises(NotificationParseError) as info:
        parse_lambda_event(event)
    assert info.value.layer == layer


# ---- the per-message decision ---------------------------------------------------


def test_decide_deliver_release_delete_skip() -> None:
    job = INNER["JobId"]
    deliver = decide_message(SQS_MESSAGE, wanted={job}, finished=set())
    assert deliver.action == "deliver"
    assert deliver.notification is not None
    assert deliver.notification.job_id == job
    assert deliver.visibility_timeout is None

    release = decide_message(SQS_MESSAGE, wanted={"other"}, finished=set())
    assert release.action == "release"
    assert release.visibility_timeout == 0

    delete = decide_message(SQS_MESSAGE, wanted=set(), finished={job})
    assert delete.action == "delete"

    skip = decide_message({**SQS_MESSAGE, "Body": "garbage"}, wanted={job}, finished=set())
    assert skip.action == "skip"
    assert skip.error is not None
    assert skip.error.layer == "sqs"
    assert skip.visibility_timeout is None


def test_a_waited_for_job_wins_over_finished() -> None:
    job = INNER["JobId"]
    assert decide_message(SQS_MESSAGE, wanted={job}, finished={job}).action == "deliver"


def test_foreign_message_held_longer_each_time_it_comes_back() -> None:
    assert [foreign_visibility_timeout(n) for n in range(1, 9)] == [0, 1, 2, 4, 8, 16, 20, 20]
    second = decide_message(SQS_MESSAGE, wanted=set(), finished=set(), sightings=2)
    assert second.visibility_timeout == 1
