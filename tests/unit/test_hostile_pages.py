"""Issue 11, point 1: pages that would silently lose or cost detections are malformed (retried, then typed).

A SUCCEEDED page whose Persons is null, missing or not a list, a page of another
job, and a page holding more items than MaxResults asked for. Each is retried
under the policy; a good page after it is used, and when the bad page persists
the caller gets MalformedResponseError (never a short iteration).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rekotrack import MalformedResponseError, PersonTracker

from .unit_support import JOB_ID, FakeClock, count_sends, detection, make_client, make_tracker, raw_response

ONE = [detection(7, 1)]


def _body(**members: Any) -> bytes:
    return json.dumps({"JobStatus": "SUCCEEDED", **members}).encode()


BAD_PAGES = {
    "persons-null": _body(Persons=None),
    "persons-null-with-token": _body(Persons=None, NextToken="t1"),
    "persons-missing": _body(),
    "persons-missing-with-token": _body(NextToken="t1"),
    "persons-object": _body(Persons={"Timestamp": 1}),
    "persons-string": _body(Persons="none"),
    "other-job": _body(Persons=ONE, JobId="someone-elses-job"),
    "more-than-max-results": _body(Persons=[detection(t) for t in range(3)]),
}
GOOD = _body(Persons=ONE, JobId=JOB_ID)


def _tracker(clock: FakeClock, bodies: list[bytes], fast_path: bool) -> tuple[PersonTracker, list[Any]]:
    client = make_client()
    answers = iter(bodies)
    sends = count_sends(client, "GetPersonTracking", lambda request: raw_response(request, 200, next(answers)))
    tracker = make_tracker(client, clock, max_attempts=3)
    tracker.fast_path = tracker.fast_path and fast_path
    return tracker, sends


@pytest.fixture(params=[True, False], ids=["fast-path", "botocore-parsing"])
def fast_path(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.mark.parametrize("bad", list(BAD_PAGES), ids=list(BAD_PAGES))
def test_bad_page_is_retried_then_malformed(clock: FakeClock, fast_path: bool, bad: str) -> None:
    tracker, sends = _tracker(clock, [BAD_PAGES[bad]] * 3, fast_path)
    got: list[Any] = []
    with pytest.raises(MalformedResponseError) as info:
        got.extend(tracker.persons(JOB_ID, page_size=2))
    assert got == []  # nothing was yielded from it, and no short iteration ended quietly
    assert info.value.attempts == 3
    assert info.value.operation == "GetPersonTracking"
    assert len(sends) == 3


@pytest.mark.parametrize("bad", list(BAD_PAGES), ids=list(BAD_PAGES))
def test_good_page_after_a_bad_one_is_used(clock: FakeClock, fast_path: bool, bad: str) -> None:
    tracker, sends = _tracker(clock, [BAD_PAGES[bad], GOOD], fast_path)
    assert [(d.timestamp, d.person.index) for d in tracker.persons(JOB_ID, page_size=2)] == [(7, 1)]
    assert len(sends) == 2
    assert clock.sleeps == [0.5]


def test_status_page_of_another_job_is_malformed(clock: FakeClock) -> None:
    tracker, _ = _tracker(clock, [_body(Persons=[], JobId="other")] * 3, True)
    with pytest.raises(MalformedResponseError, match="other"):
        tracker.wait(JOB_ID, timeout=60)


def test_a_page_of_exactly_max_results_items_and_an_empty_list_are_fine(clock: FakeClock) -> None:
    pages = [_body(Persons=[detection(0), detection(1)], NextToken="t1"), _body(Persons=[])]
    tracker, sends = _tracker(clock, pages, True)
    assert [d.timestamp for d in tracker.persons(JOB_ID, page_size=2)] == [0, 1]
    assert len(sends) == 2


def test_in_progress_and_failed_pages_need_no_persons(clock: FakeClock) -> None:
    bodies = [
        json.dumps({"JobStatus": "IN_PROGRESS"}).encode(),
        json.dumps({"JobStatus": "FAILED", "StatusMessage": "bad codec"}).encode(),
    ]
    tracker, _ = _tracker(clock, bodies, True)
    assert tracker.status(JOB_ID).job_status == "IN_PROGRESS"
    assert tracker.status(JOB_ID).status_message == "bad codec"
