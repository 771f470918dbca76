"""Integrity: a 200 body that is not a usable page is retried, then MalformedResponseError; never a result."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from rekotrack import APIError, MalformedResponseError, PersonDetection, PersonTracker, PersonTrackingPage

from .unit_support import (
    JOB_ID,
    FakeClock,
    count_sends,
    drain,
    full_response,
    make_client,
    make_tracker,
    raw_response,
    responses,
)

BAD_BODIES = {
    "truncated": b'{"JobStatus": "SUCCEEDED", "Persons": [{"Timestamp": 0, "Person": {"Ind',
    "not-json": b"<html><body>502 Bad Gateway</body></html>",
    "null": b"null",
    "list": b"[]",
    "empty-object": b"{}",
    "empty": b"",
    "no-job-status": b'{"Persons": [{"Timestamp": 0}], "NextToken": "t1"}',
}
GOOD = b'{"JobStatus": "SUCCEEDED", "Persons": [{"Timestamp": 7, "Person": {"Index": 1}}]}'


def _tracker(
    clock: FakeClock, bodies: list[bytes], fast_path: bool, max_attempts: int = 3
) -> tuple[PersonTracker, list[Any]]:
    client = make_client()
    queue = iter(bodies)
    sends = count_sends(client, "GetPersonTracking", lambda request: raw_response(request, 200, next(queue)))
    tracker = make_tracker(client, clock, random=1.0, max_attempts=max_attempts)
    tracker.fast_path = tracker.fast_path and fast_path
    return tracker, sends


@pytest.fixture(params=[True, False], ids=["fast-path", "botocore-parsing"])
def fast_path(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.mark.parametrize("body", list(BAD_BODIES.values()), ids=list(BAD_BODIES))
def test_bad_body_is_retried_then_malformed(clock: FakeClock, fast_path: bool, body: bytes) -> None:
    tracker, sends = _tracker(clock, [body] * 3, fast_path)
    with pytest.raises(MalformedResponseError) as info:
        tracker.get_page(JOB_ID)
    error = info.value
    assert isinstance(error, APIError)
    assert error.attempts == 3
    assert error.operation == "GetPersonTracking"
    assert len(sends) == 3
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("body", list(BAD_BODIES.values()), ids=list(BAD_BODIES))
def test_bad_body_yields_no_detection(clock: FakeClock, fast_path: bool, body: bytes) -> None:
    tracker, sends = _tracker(clock, [body] * 2, fast_path, max_attempts=2)
    got: list[PersonDetection] = []
    with pytest.raises(MalformedResponseError):
        drain(tracker.persons(JOB_ID), got)
    assert got == []
    assert len(sends) == 2


@pytest.mark.parametrize("body", list(BAD_BODIES.values()), ids=list(BAD_BODIES))
def test_wait_does_not_take_a_bad_body_as_finished(clock: FakeClock, fast_path: bool, body: bytes) -> None:
    tracker, _ = _tracker(clock, [body] * 2, fast_path, max_attempts=2)
    with pytest.raises(MalformedResponseError):
        tracker.wait(JOB_ID)


@pytest.mark.parametrize("bad", ["truncated", "null", "empty-object"])
def test_good_body_after_two_bad_ones_is_accepted(clock: FakeClock, fast_path: bool, bad: str) -> None:
    tracker, sends = _tracker(clock, [BAD_BODIES[bad], BAD_BODIES["not-json"], GOOD], fast_path)
    result = list(tracker.persons(JOB_ID))
    assert [(d.timestamp, d.person.index) for d in result] == [(7, 1)]
    assert len(sends) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_full_response_through_the_wire(clock: FakeClock, fast_path: bool) -> None:
    data = full_response()
    tracker, _ = _tracker(clock, [json.dumps(data).encode()], fast_path)
    assert tracker.get_page(data["JobId"]).to_aws() == data  # the page's own job (another job's is malformed)


def test_fast_path_keeps_unknown_fields(clock: FakeClock) -> None:
    data = {"JobStatus": "SUCCEEDED", "Brand": {"New": 1}, "Persons": [{"Timestamp": 1, "Extra": True}]}
    tracker, _ = _tracker(clock, [json.dumps(data).encode()], True)
    assert tracker.fast_path
    assert tracker.get_page(JOB_ID).to_aws() == data


def test_fast_path_leaves_other_calls_on_the_client_alone() -> None:
    client = make_client()
    PersonTracker(client=client)
    count_sends(client, "GetPersonTracking", lambda request: raw_response(request, 200, GOOD))
    answer = client.get_person_tracking(JobId=JOB_ID)
    assert answer["JobStatus"] == "SUCCEEDED"
    assert answer["Persons"] == [{"Timestamp": 7, "Person": {"Index": 1}}]
    assert not any(isinstance(v, PersonTrackingPage) for v in answer.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(responses)
def test_fast_path_and_botocore_parsing_agree(data: dict[str, Any]) -> None:
    data = {**data, "JobStatus": data.get("JobStatus") or "SUCCEEDED"}
    if data["JobStatus"] == "SUCCEEDED":
        data.setdefault("Persons", [])  # the service always sends the list on a finished job's page
    if "JobId" in data:
        data["JobId"] = JOB_ID  # another job's page is malformed
    body = json.dumps(data).encode()
    pages = []
    for fast in (True, False):
        tracker, _ = _tracker(FakeClock(), [body], fast)
        pages.append(tracker.get_page(JOB_ID))
    assert pages[0] == pages[1]
    assert pages[0].to_aws() == data


@pytest.mark.parametrize(
    "body",
    [b'{"JobStatus": "SUCCEEDED", "Persons": [{"Timestamp": "abc"}]}', b'{"JobStatus": 5}'],
    ids=["timestamp-string", "status-number"],
)
def test_wrongly_typed_page_is_malformed(clock: FakeClock, body: bytes) -> None:
    tracker, sends = _tracker(clock, [body] * 3, False)
    with pytest.raises(MalformedResponseError) as info:
        tracker.get_page(JOB_ID)
    assert info.value.attempts == 3
    assert len(sends) == 3
