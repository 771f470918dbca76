"""Issue 11, point 5: a wait's timeout names the last status actually seen (not always IN_PROGRESS)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from rekotrack import PersonTracker, WaitTimeoutError
from rekotrack._completion import JobWatch

from .unit_support import JOB_ID, FakeClock, get_params, page

STATUS = get_params(max_results=1)


def test_poll_wait_names_an_unknown_status(tracker: PersonTracker, stub: Stubber, clock: FakeClock) -> None:
    # Open enums: a status this SDK does not know yet keeps the wait going, and the timeout says what it was.
    for _ in range(4):  # at 0, 5, 10 and 12 s
        stub.add_response("get_person_tracking", page(None, status="QUEUED"), STATUS)
    with pytest.raises(WaitTimeoutError) as info:
        tracker.wait(JOB_ID, timeout=12, poll_interval=5, max_poll_interval=5)
    assert info.value.last_status == "QUEUED"
    assert "last status QUEUED" in str(info.value)
    assert "IN_PROGRESS" not in str(info.value)


class _SilentQueue:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def wait_for(self, job_id: str, timeout: float) -> Any:
        self.clock.now += timeout
        raise WaitTimeoutError(job_id, timeout)

    def discard(self, job_id: str) -> None:
        raise AssertionError("nothing to discard")


def test_queue_wait_names_the_last_status(tracker: PersonTracker, stub: Stubber, clock: FakeClock) -> None:
    for _ in range(2):
        stub.add_response("get_person_tracking", page(None, status="QUEUED"), STATUS)
    with pytest.raises(WaitTimeoutError) as info:
        tracker.wait(JOB_ID, timeout=10, queue=_SilentQueue(clock), status_check_interval=10)
    assert info.value.last_status == "QUEUED"


def test_a_batch_timeout_names_the_last_status_checked() -> None:
    class Job:
        job_id = JOB_ID

    watch = JobWatch.begin("v", Job(), now=0.0, timeout=5, check_every=1)
    watch.last_status = "QUEUED"
    assert watch.timed_out().last_status == "QUEUED"
