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


# ---- a huge page is refused before its models are built ---------------------------------------

HUGE = _body(Persons=[detection(t, t % 7) for t in range(2_000)], JobId=JOB_ID)  # ~100 KB for MaxResults=2


def test_a_huge_page_is_refused_before_any_model_is_built(
    clock: FakeClock, fast_path: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekotrack import _fastpath
    from rekotrack._models import PersonTrackingPage

    built: list[str] = []
    real_json, real_dict = _fastpath.validate_page, PersonTrackingPage.model_validate
    monkeypatch.setattr(_fastpath, "validate_page", lambda *a: built.append("json") or real_json(*a))
    monkeypatch.setattr(
        PersonTrackingPage, "model_validate", lambda *a, **k: built.append("dict") or real_dict(*a, **k)
    )
    tracker, sends = _tracker(clock, [HUGE] * 3, fast_path)
    with pytest.raises(MalformedResponseError, match="more than MaxResults=2"):
        list(tracker.persons(JOB_ID, page_size=2))
    assert len(sends) == 3
    assert built == []  # neither the fast path nor botocore's dicts became models


def test_a_huge_page_from_a_client_without_event_hooks_is_refused_before_validation(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rekotrack._models import PersonTrackingPage

    built: list[str] = []
    real_dict = PersonTrackingPage.model_validate
    monkeypatch.setattr(
        PersonTrackingPage, "model_validate", lambda *a, **k: built.append("dict") or real_dict(*a, **k)
    )
    persons = [detection(t) for t in range(5)]

    class NoHooks:  # a client that is not botocore's: its response is already a dict
        def get_person_tracking(self, **params: Any) -> dict[str, Any]:
            return {"JobStatus": "SUCCEEDED", "JobId": JOB_ID, "Persons": persons}

    tracker = make_tracker(NoHooks(), clock, max_attempts=2)
    assert tracker.fast_path is False
    with pytest.raises(MalformedResponseError, match="5 items, more than MaxResults=2"):
        list(tracker.persons(JOB_ID, page_size=2))
    assert built == []


def test_a_large_page_within_max_results_is_counted_and_used(clock: FakeClock, fast_path: bool) -> None:
    persons = [detection(t, 3) for t in range(3)]
    padded = _body(Persons=persons, JobId=JOB_ID, StatusMessage="x" * 30_000)  # longer than 3 items can be
    tracker, _ = _tracker(clock, [padded], fast_path)
    assert [d.timestamp for d in tracker.persons(JOB_ID, page_size=3)] == [0, 1, 2]


@pytest.mark.parametrize(
    ("body", "limit", "expected"),
    [
        (b'{"Persons": []}', 5, 0),
        (b' { "JobStatus" : "SUCCEEDED" , "Persons" : [ {"a": [1, {"Persons": [1, 2]}]} , 2 ] } ', 5, 2),
        (b'{"X": "a\\"Persons", "Persons": [1, 2, 3], "Y": {"Persons": [1]}}', 5, 3),
        (b'{"Persons": [1, 2, 3, 4, 5, 6, 7]}', 3, 4),  # stopped once past the limit
        (b'{"Persons": null}', 5, None),
        (b'{"JobStatus": "SUCCEEDED"}', 5, None),
        (b'{"Persons": [1, 2', 5, None),
        (b"[1, 2, 3]", 5, None),
        (b'{"Persons": [1, 2] "x": 1}', 5, None),
        (b"\xff\xfe", 5, None),
    ],
)
def test_count_items_beyond(body: bytes, limit: int, expected: int | None) -> None:
    from rekotrack._core._pages import count_items_beyond

    assert count_items_beyond(body, "Persons", limit) == expected
