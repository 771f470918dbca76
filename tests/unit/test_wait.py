"""wait(): polling with MaxResults=1, growing capped intervals, a deadline, and the queue paths."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.stub import Stubber

from rekotrack import (
    CompletionNotification,
    JobFailedError,
    PersonTracker,
    PersonTrackingPage,
    TrackingJob,
    WaitTimeoutError,
)

from .unit_support import JOB_ID, FakeClock, detection, get_params, make_tracker, page

Sent = list[tuple[str, dict[str, Any]]]
STATUS = get_params(max_results=1)


def status(stub: Stubber, job_status: str, **extra: Any) -> None:
    stub.add_response("get_person_tracking", page(None, status=job_status, **extra), STATUS)


def test_in_progress_then_succeeded(tracker: PersonTracker, stub: Stubber, clock: FakeClock, sent: Sent) -> None:
    status(stub, "IN_PROGRESS")
    status(stub, "IN_PROGRESS")
    status(stub, "SUCCEEDED")

    result = tracker.wait(JOB_ID, timeout=600)

    assert isinstance(result, PersonTrackingPage)
    assert result.job_status == "SUCCEEDED"
    assert [params for _, params in sent] == [STATUS] * 3  # every poll asks for one detection only
    assert clock.sleeps == [5.0, 10.0]
    stub.assert_no_pending_responses()


def test_already_succeeded_returns_without_sleeping(tracker: PersonTracker, stub: Stubber, clock: FakeClock) -> None:
    status(stub, "SUCCEEDED")
    assert tracker.wait(JOB_ID).job_status == "SUCCEEDED"
    assert clock.sleeps == []


@pytest.mark.parametrize("message", ["Unsupported codec", None])
def test_failed_raises_job_failed_with_message(
    tracker: PersonTracker, stub: Stubber, clock: FakeClock, message: str | None
) -> None:
    status(stub, "IN_PROGRESS")
    status(stub, "FAILED", **({"StatusMessage": message} if message else {}))
    with pytest.raises(JobFailedError) as info:
        tracker.wait(JOB_ID, timeout=600)
    assert info.value.job_id == JOB_ID
    assert info.value.status == "FAILED"
    assert info.value.status_message == message
    assert clock.sleeps == [5.0]
    stub.assert_no_pending_responses()


def test_deadline_raises_wait_timeout_with_job_id(
    tracker: PersonTracker, stub: Stubber, clock: FakeClock, sent: Sent
) -> None:
    for _ in range(4):
        status(stub, "IN_PROGRESS")
    with pytest.raises(WaitTimeoutError) as info:
        tracker.wait(JOB_ID, timeout=30)
    error = info.value
    assert error.job_id == JOB_ID
    assert error.timeout == 30
    assert error.last_status == "IN_PROGRESS"
    assert isinstance(error, TimeoutError)
    # t=0 poll, sleep 5; t=5 poll, sleep 10; t=15 poll, sleep 15 (not 20: the deadline); t=30 poll, give up.
    assert clock.sleeps == [5.0, 10.0, 15.0]
    assert clock.now == 30
    assert len(sent) == 4
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("random", "expected"), [(1.0, [5, 10, 20, 40, 60, 60, 60]), (0.0, [2.5, 5, 10, 20, 30, 30, 30])]
)
def test_poll_intervals_grow_and_are_capped(
    client: Any, stub: Stubber, clock: FakeClock, random: float, expected: list[float]
) -> None:
    tracker = make_tracker(client, clock, random=random)
    for _ in range(7):
        status(stub, "IN_PROGRESS")
    status(stub, "SUCCEEDED")
    tracker.wait(JOB_ID, timeout=3600)
    assert clock.sleeps == expected


def test_poll_interval_settings(client: Any, stub: Stubber, clock: FakeClock) -> None:
    tracker = make_tracker(client, clock)
    for _ in range(4):
        status(stub, "IN_PROGRESS")
    status(stub, "SUCCEEDED")
    seen: list[str] = []
    tracker.wait(
        JOB_ID, timeout=3600, poll_interval=1.0, max_poll_interval=3.0, on_status=lambda p: seen.append(p.job_status)
    )
    assert clock.sleeps == [1.0, 2.0, 3.0, 3.0]
    assert seen == ["IN_PROGRESS"] * 4 + ["SUCCEEDED"]


def test_unknown_status_keeps_waiting(tracker: PersonTracker, stub: Stubber) -> None:
    status(stub, "QUEUED")
    status(stub, "SUCCEEDED")
    assert tracker.wait(JOB_ID).job_status == "SUCCEEDED"


def test_throttled_poll_is_retried_within_the_wait(tracker: PersonTracker, stub: Stubber, clock: FakeClock) -> None:
    status(stub, "IN_PROGRESS")
    stub.add_client_error("get_person_tracking", "ThrottlingException", "slow down", 400, expected_params=STATUS)
    status(stub, "SUCCEEDED")
    assert tracker.wait(JOB_ID).job_status == "SUCCEEDED"
    assert clock.sleeps == [5.0, 0.5]


# ---- TrackingJob ----------------------------------------------------------------------------


def _start(tracker: PersonTracker, stub: Stubber) -> TrackingJob:
    stub.add_response("start_person_tracking", {"JobId": JOB_ID})
    return tracker.start("s3://my-bucket/clip.mp4")


def test_job_persons_waits_first(tracker: PersonTracker, stub: Stubber, clock: FakeClock, sent: Sent) -> None:
    job = _start(tracker, stub)
    status(stub, "IN_PROGRESS")
    status(stub, "SUCCEEDED")
    stub.add_response("get_person_tracking", page([detection(0), detection(40)], "t1"), get_params(None, 500))
    stub.add_response("get_person_tracking", page([detection(80)]), get_params("t1", 500))

    pager = job.persons(page_size=500)
    assert [d.timestamp for d in pager] == [0, 40, 80]

    assert [(op, p.get("MaxResults"), p.get("NextToken")) for op, p in sent] == [
        ("StartPersonTracking", None, None),
        ("GetPersonTracking", 1, None),
        ("GetPersonTracking", 1, None),
        ("GetPersonTracking", 500, None),
        ("GetPersonTracking", 500, "t1"),
    ]
    assert clock.sleeps == [5.0]
    stub.assert_no_pending_responses()


def test_job_persons_raises_when_the_job_failed(tracker: PersonTracker, stub: Stubber) -> None:
    job = _start(tracker, stub)
    status(stub, "FAILED", StatusMessage="bad video")
    with pytest.raises(JobFailedError, match="bad video"):
        job.persons()
    stub.assert_no_pending_responses()


def test_job_pages_and_status(tracker: PersonTracker, stub: Stubber) -> None:
    job = _start(tracker, stub)
    assert job.job_id == JOB_ID
    assert JOB_ID in repr(job)
    assert "s3://my-bucket/clip.mp4" in repr(job)
    status(stub, "IN_PROGRESS")
    assert job.status() == "IN_PROGRESS"
    status(stub, "SUCCEEDED")
    stub.add_response("get_person_tracking", page([detection(1)]), get_params())
    assert [len(p.persons or ()) for p in job.pages()] == [1]
    stub.assert_no_pending_responses()


def test_job_wait_deadline(tracker: PersonTracker, stub: Stubber, clock: FakeClock) -> None:
    job = _start(tracker, stub)
    status(stub, "IN_PROGRESS")
    status(stub, "IN_PROGRESS")
    with pytest.raises(WaitTimeoutError) as info:
        job.wait(timeout=5)
    assert info.value.job_id == job.job_id
    assert clock.now == 5


# ---- wait(queue=...) -------------------------------------------------------------------------


class FakeQueue:
    """A CompletionSource: each wait_for takes the next scripted outcome (a status, or None for a timeout)."""

    def __init__(self, clock: FakeClock, script: list[str | None]) -> None:
        self.clock = clock
        self.script = list(script)
        self.waits: list[float] = []
        self.discarded: list[str] = []

    def discard(self, job_id: str) -> None:
        self.discarded.append(job_id)

    def wait_for(self, job_id: str, timeout: float) -> CompletionNotification:
        self.waits.append(timeout)
        outcome = self.script.pop(0) if self.script else None
        if outcome is None:
            self.clock.now += timeout
            raise WaitTimeoutError(job_id, timeout)
        self.clock.now += 1.0
        if outcome in ("FAILED", "ERROR"):  # as CompletionQueue does: the message carries no reason
            raise JobFailedError(job_id, outcome, None)
        return CompletionNotification.model_validate(
            {
                "JobId": job_id,
                "Status": outcome,
                "API": "StartPersonTracking",
                "Timestamp": 1_700_000_000_000,
                "Video": {"S3ObjectName": "clip.mp4", "S3Bucket": "my-bucket"},
            }
        )


def test_queue_notification_succeeded(tracker: PersonTracker, stub: Stubber, clock: FakeClock, sent: Sent) -> None:
    queue = FakeQueue(clock, ["SUCCEEDED"])
    status(stub, "IN_PROGRESS")
    status(stub, "SUCCEEDED")
    result = tracker.wait(JOB_ID, timeout=3600, queue=queue, status_check_interval=300.0)
    assert result.job_status == "SUCCEEDED"
    assert queue.waits == [300.0]
    assert len(sent) == 2
    assert clock.sleeps == []  # no polling sleeps: the queue does the waiting
    stub.assert_no_pending_responses()


def test_queue_notification_failed_fetches_the_message(tracker: PersonTracker, stub: Stubber, clock: FakeClock) -> None:
    queue = FakeQueue(clock, ["FAILED"])
    status(stub, "IN_PROGRESS")
    status(stub, "FAILED", StatusMessage="The video could not be decoded")
    with pytest.raises(JobFailedError) as info:
        tracker.wait(JOB_ID, timeout=3600, queue=queue)
    assert info.value.status == "FAILED"
    assert info.value.status_message == "The video could not be decoded"
    stub.assert_no_pending_responses()


def test_queue_notification_error(tracker: PersonTracker, stub: Stubber, clock: FakeClock) -> None:
    queue = FakeQueue(clock, ["ERROR"])
    status(stub, "IN_PROGRESS")
    with pytest.raises(JobFailedError) as info:
        tracker.wait(JOB_ID, timeout=3600, queue=queue)
    assert info.value.status == "ERROR"
    stub.assert_no_pending_responses()


def test_queue_times_out_but_get_says_done_logs_a_warning(
    tracker: PersonTracker, stub: Stubber, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    queue = FakeQueue(clock, [None])
    status(stub, "IN_PROGRESS")
    status(stub, "SUCCEEDED")
    with caplog.at_level(logging.WARNING, logger="rekotrack"):
        result = tracker.wait(JOB_ID, timeout=3600, queue=queue, status_check_interval=120)
    assert result.job_status == "SUCCEEDED"
    assert queue.waits == [120.0]
    assert queue.discarded == [JOB_ID]  # a late message will be deleted, not left circulating
    warnings = [r for r in caplog.records if r.name == "rekotrack" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert JOB_ID in warnings[0].getMessage()
    assert "no completion message" in warnings[0].getMessage()
    stub.assert_no_pending_responses()


def test_reused_token_without_message_does_not_hang(tracker: PersonTracker, stub: Stubber, clock: FakeClock) -> None:
    """A reused ClientRequestToken sends no SNS message: the periodic Get check finds the end."""
    queue = FakeQueue(clock, [])
    status(stub, "IN_PROGRESS")
    status(stub, "IN_PROGRESS")
    status(stub, "IN_PROGRESS")
    status(stub, "SUCCEEDED")
    result = tracker.wait(JOB_ID, timeout=3600, queue=queue, status_check_interval=300.0)
    assert result.job_status == "SUCCEEDED"
    assert queue.waits == [300.0, 300.0, 300.0]
    assert clock.now == 900.0
    stub.assert_no_pending_responses()


def test_reused_token_of_a_finished_job_never_waits_on_the_queue(
    tracker: PersonTracker, stub: Stubber, clock: FakeClock
) -> None:
    queue = FakeQueue(clock, [])
    status(stub, "SUCCEEDED")
    assert tracker.wait(JOB_ID, queue=queue).job_status == "SUCCEEDED"
    assert queue.waits == []


def test_queue_wait_deadline(tracker: PersonTracker, stub: Stubber, clock: FakeClock) -> None:
    queue = FakeQueue(clock, [])
    for _ in range(3):
        status(stub, "IN_PROGRESS")
    with pytest.raises(WaitTimeoutError) as info:
        tracker.wait(JOB_ID, timeout=500, queue=queue, status_check_interval=300.0)
    assert info.value.job_id == JOB_ID
    assert queue.waits == [300.0, 200.0]  # never past the deadline
    assert clock.now == 500
    stub.assert_no_pending_responses()


def test_job_wait_with_queue(tracker: PersonTracker, stub: Stubber, clock: FakeClock) -> None:
    job = _start(tracker, stub)
    queue = FakeQueue(clock, ["SUCCEEDED"])
    status(stub, "IN_PROGRESS")
    status(stub, "SUCCEEDED")
    assert job.wait(queue=queue).job_status == "SUCCEEDED"
    stub.assert_no_pending_responses()
