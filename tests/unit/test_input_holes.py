"""The small input holes of issue 20 point 6, each refused with a typed error before any request.

- ``get_page(sort_by=None)`` (and the pager, job and collect methods) sent the default SortBy;
- ``parse_notification`` accepted a JobId outside the service's pattern (``../../x``);
- ``rekotrack get --region 'bad region!'`` exited 4 ("AWS error") instead of 2 (a usage error).

(``parse_lambda_event({"Records": []})`` is in tests/completion/test_completion_parse.py.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from botocore.stub import Stubber

from rekotrack import NotificationParseError, PersonTracker, RequestValidationError, RetryPolicy, parse_notification
from rekotrack._cli import main
from rekotrack._sync._person_tracking import TrackingJob

from .unit_support import JOB_ID, make_client

NONE: Any = cast(Any, None)  # what a caller without a type checker passes


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


SORT_BY_NONE: list[tuple[str, Callable[[PersonTracker], object]]] = [
    ("get_page", lambda t: t.get_page(JOB_ID, sort_by=NONE)),
    ("persons", lambda t: t.persons(JOB_ID, sort_by=NONE)),
    ("pages", lambda t: t.pages(JOB_ID, sort_by=NONE)),
    ("collect", lambda t: t.collect(JOB_ID, sort_by=NONE)),
    ("job.persons", lambda t: TrackingJob(t, JOB_ID).persons(sort_by=NONE)),
    ("job.collect", lambda t: TrackingJob(t, JOB_ID).collect(sort_by=NONE)),
]


@pytest.mark.parametrize(("name", "call"), SORT_BY_NONE, ids=[name for name, _ in SORT_BY_NONE])
def test_sort_by_none_is_refused_before_any_request(
    guarded: PersonTracker, calls: list[str], name: str, call: Callable[[PersonTracker], object]
) -> None:
    with pytest.raises(RequestValidationError) as caught:
        call(guarded)
    assert caught.value.parameter == "SortBy"
    assert "INDEX or TIMESTAMP" in str(caught.value)
    assert calls == []


def test_async_get_page_refuses_sort_by_none() -> None:
    pytest.importorskip("aiobotocore")
    from rekotrack import AsyncPersonTracker

    async def run() -> None:
        tracker = AsyncPersonTracker(client=object())  # never used: the check comes first
        with pytest.raises(RequestValidationError, match="SortBy"):
            await tracker.get_page(JOB_ID, sort_by=NONE)
        with pytest.raises(RequestValidationError, match="SortBy"):
            tracker.persons(JOB_ID, sort_by=NONE)

    asyncio.run(run())


def test_the_default_sort_by_is_still_sent() -> None:
    client = make_client()
    page = {"JobStatus": "SUCCEEDED", "Persons": [], "VideoMetadata": {}}
    with Stubber(client) as stub:
        stub.add_response("get_person_tracking", page, {"JobId": JOB_ID, "MaxResults": 1000, "SortBy": "TIMESTAMP"})
        tracker = PersonTracker(client=client, retry=RetryPolicy(max_attempts=1, sleep=lambda _s: None))
        assert tracker.get_page(JOB_ID).job_status == "SUCCEEDED"
        stub.assert_no_pending_responses()


# ---------------------------------------------------------------------- parse_notification: JobId pattern
def _inner(job_id: str) -> dict[str, Any]:
    return {"JobId": job_id, "Status": "SUCCEEDED", "API": "StartPersonTracking", "Timestamp": 1700000000000,
            "Video": {"S3ObjectName": "v.mp4", "S3Bucket": "b"}}


@pytest.mark.parametrize("job_id", ["../../x", "a/b", "j" * 65, "job id", "job\n"])
def test_a_job_id_outside_the_pattern_is_refused_in_every_shape(job_id: str) -> None:
    inner = _inner(job_id)
    envelope = {"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:1:t",
                "Message": json.dumps(inner)}
    for shape in (inner, json.dumps(inner), envelope, json.dumps(envelope), {"Body": json.dumps(envelope)}):
        with pytest.raises(NotificationParseError) as caught:
            parse_notification(shape)
        assert caught.value.layer == "message"
        assert "JobId" in str(caught.value)


def test_a_valid_job_id_still_parses() -> None:
    assert parse_notification(_inner("a-Z_09" * 10 + "abcd")).job_id == "a-Z_09" * 10 + "abcd"


# ---------------------------------------------------------------------- rekotrack --region: a usage error
@pytest.mark.parametrize("command", [["get", JOB_ID], ["wait", JOB_ID], ["start", "s3://b/k.mp4"]])
def test_a_malformed_region_is_a_usage_error(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:  # argparse's usage error, as for every other malformed option
        main([*command, "--region", "bad region!"])
    code = exited.value.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--region" in err
    assert "bad region!" in err


@pytest.mark.parametrize("region", ["bad region!", "", "-us-east-1", "1234"])
def test_a_malformed_region_name_is_refused_when_the_tracker_is_made(region: str) -> None:
    """botocore raised its own InvalidRegionError from inside the client; now a RequestValidationError first."""
    from rekotrack import AsyncPersonTracker, LabelDetector

    for make in (PersonTracker, LabelDetector, AsyncPersonTracker):
        with pytest.raises(RequestValidationError, match="region"):
            make(region_name=region)
