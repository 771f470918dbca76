"""Retries: the backoff schedule, what is and is not retried, one token per start, one retry layer."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
import tenacity
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber

import rekotrack
from rekotrack import (
    APIError,
    InternalServerError,
    LimitExceededError,
    PersonTracker,
    ProvisionedThroughputExceededError,
    RetryPolicy,
    ThrottlingError,
    TransportError,
)
from rekotrack._errors import ERROR_CLASSES

from .unit_support import (
    ACCESS_KEY,
    JOB_ID,
    SECRET_KEY,
    FakeClock,
    count_sends,
    detection,
    get_params,
    make_client,
    make_session,
    make_tracker,
    page,
    raw_response,
)

Sent = list[tuple[str, dict[str, Any]]]
URI = "s3://my-bucket/clip.mp4"
START_OK = {"JobId": JOB_ID}


def throttle(stub: Stubber, method: str = "get_person_tracking", **kw: Any) -> None:
    stub.add_client_error(method, "ThrottlingException", "Rate exceeded", 400, **kw)


# ---- the policy's arithmetic -------------------------------------------------------------


def test_cap_schedule_doubles_and_is_capped() -> None:
    policy = RetryPolicy()
    assert [policy.cap(n) for n in range(1, 9)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    assert [policy.cap(n, "limit") for n in range(1, 6)] == [5.0, 10.0, 20.0, 40.0, 60.0]
    assert policy.attempts_for("transient") == 5
    assert policy.attempts_for("limit") == 6


def test_delay_is_full_jitter_of_the_cap() -> None:
    assert RetryPolicy(random=lambda: 0.0).delay(3) == 0.0
    assert RetryPolicy(random=lambda: 0.25).delay(3) == pytest.approx(0.5)
    assert RetryPolicy(random=lambda: 0.999).delay(10) == pytest.approx(20.0 * 0.999)
    assert RetryPolicy(jitter=False, random=lambda: 0.0).delay(2) == 1.0
    custom = RetryPolicy(initial_delay=0.1, multiplier=3.0, max_delay=1.0, jitter=False)
    assert [custom.delay(n) for n in range(1, 5)] == pytest.approx([0.1, 0.3, 0.9, 1.0])


@pytest.mark.parametrize(
    "kwargs", [{"max_attempts": 0}, {"limit_max_attempts": 0}, {"initial_delay": -1.0}, {"limit_max_delay": -0.5}]
)
def test_policy_rejects_nonsense(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be >= "):
        RetryPolicy(**kwargs)


# ---- throttling then success -------------------------------------------------------------------


@pytest.mark.parametrize(("random", "jitter"), [(0.25, True), (1.0, True), (0.0, True), (0.7, False)])
def test_throttled_twice_then_success(
    client: Any, stub: Stubber, clock: FakeClock, random: float, jitter: bool
) -> None:
    tracker = make_tracker(client, clock, random=random, jitter=jitter)
    throttle(stub, expected_params=get_params())
    throttle(stub, expected_params=get_params())
    stub.add_response("get_person_tracking", page([detection(5)]), get_params())

    result = tracker.get_page(JOB_ID)

    assert result.persons is not None
    assert result.persons[0].timestamp == 5
    policy = tracker.retry
    assert clock.sleeps == pytest.approx([policy.delay(1), policy.delay(2)])
    factor = random if jitter else 1.0
    assert clock.sleeps == pytest.approx([policy.cap(1) * factor, policy.cap(2) * factor])
    assert clock.sleeps == pytest.approx([0.5 * factor, 1.0 * factor])
    stub.assert_no_pending_responses()


def test_retry_inside_pagination_is_transparent(tracker: PersonTracker, stub: Stubber, clock: FakeClock) -> None:
    stub.add_response("get_person_tracking", page([detection(0)], "t1"), get_params(None, 1))
    throttle(stub, expected_params=get_params("t1", 1))
    stub.add_client_error(
        "get_person_tracking", "InternalServerError", "oops", 500, expected_params=get_params("t1", 1)
    )
    stub.add_response("get_person_tracking", page([detection(1)]), get_params("t1", 1))
    assert [d.timestamp for d in tracker.persons(JOB_ID, page_size=1)] == [0, 1]
    assert clock.sleeps == [0.5, 1.0]
    stub.assert_no_pending_responses()


# ---- exhaustion --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ThrottlingException", 400, ThrottlingError),
        ("ProvisionedThroughputExceededException", 400, ProvisionedThroughputExceededError),
        ("InternalServerError", 500, InternalServerError),
        ("ServiceUnavailableException", 503, APIError),  # unknown code, but a 5xx
    ],
)
def test_exhaustion_raises_the_typed_error_with_attempts(
    client: Any, stub: Stubber, clock: FakeClock, code: str, status: int, expected: type[APIError]
) -> None:
    tracker = make_tracker(client, clock, max_attempts=4)
    for _ in range(4):
        stub.add_client_error("get_person_tracking", code, "busy", status, expected_params=get_params())

    with pytest.raises(APIError) as info:
        tracker.get_page(JOB_ID)

    error = info.value
    assert type(error) is expected
    assert not isinstance(error, tenacity.RetryError)
    assert error.attempts == 4
    assert error.code == code
    assert error.http_status == status
    assert isinstance(error.__cause__, ClientError)
    assert "after 4 attempts" in str(error)
    assert clock.sleeps == [0.5, 1.0, 2.0]
    stub.assert_no_pending_responses()


def test_exhaustion_with_a_single_attempt(client: Any, stub: Stubber, clock: FakeClock) -> None:
    tracker = make_tracker(client, clock, max_attempts=1)
    throttle(stub)
    with pytest.raises(ThrottlingError) as info:
        tracker.get_page(JOB_ID)
    assert info.value.attempts == 1
    assert clock.sleeps == []


# ---- never retried ------------------------------------------------------------------------------

GET_NEVER = ["AccessDeniedException", "InvalidParameterException", "ResourceNotFoundException",
             "InvalidPaginationTokenException", "LimitExceededException", "SomeUnknownException"]  # fmt: skip
START_NEVER = ["AccessDeniedException", "InvalidParameterException", "IdempotentParameterMismatchException",
               "InvalidS3ObjectException", "VideoTooLargeException"]  # fmt: skip


@pytest.mark.parametrize("code", GET_NEVER)
def test_get_errors_that_are_never_retried(tracker: PersonTracker, stub: Stubber, clock: FakeClock, code: str) -> None:
    stub.add_client_error("get_person_tracking", code, "no", 400, expected_params=get_params())
    with pytest.raises(ERROR_CLASSES.get(code, APIError)) as info:
        tracker.get_page(JOB_ID)
    assert info.value.attempts == 1
    assert clock.sleeps == []
    stub.assert_no_pending_responses()


@pytest.mark.parametrize("code", START_NEVER)
def test_start_errors_that_are_never_retried(
    tracker: PersonTracker, stub: Stubber, clock: FakeClock, sent: Sent, code: str
) -> None:
    stub.add_client_error("start_person_tracking", code, "no", 400)
    with pytest.raises(ERROR_CLASSES[code]) as info:
        tracker.start(URI)
    assert info.value.attempts == 1
    assert clock.sleeps == []
    assert len(sent) == 1


def test_a_non_retryable_error_after_a_throttle_stops(tracker: PersonTracker, stub: Stubber, clock: FakeClock) -> None:
    throttle(stub)
    stub.add_client_error("get_person_tracking", "AccessDeniedException", "no", 400)
    with pytest.raises(rekotrack.AccessDeniedError) as info:
        tracker.get_page(JOB_ID)
    assert info.value.attempts == 2
    assert clock.sleeps == [0.5]
    stub.assert_no_pending_responses()


def test_other_exceptions_propagate_untouched(clock: FakeClock) -> None:
    class Broken:
        calls = 0

        def get_person_tracking(self, **_params: Any) -> Any:
            self.calls += 1
            raise KeyError("not an API error")

    broken = Broken()
    tracker = make_tracker(broken, clock)
    with pytest.raises(KeyError):
        tracker.get_page(JOB_ID)
    assert broken.calls == 1


# ---- LimitExceeded: start only, longer delays -----------------------------------------------


def test_limit_exceeded_is_retried_for_start_with_longer_delays(
    tracker: PersonTracker, stub: Stubber, clock: FakeClock, sent: Sent
) -> None:
    for _ in range(3):
        stub.add_client_error("start_person_tracking", "LimitExceededException", "20 jobs", 400)
    stub.add_response("start_person_tracking", START_OK)
    job = tracker.start(URI)
    assert job.job_id == JOB_ID
    policy = tracker.retry
    assert clock.sleeps == [policy.cap(n, "limit") for n in (1, 2, 3)] == [5.0, 10.0, 20.0]
    assert len(sent) == 4
    stub.assert_no_pending_responses()


def test_limit_exceeded_exhaustion_uses_limit_attempts(client: Any, stub: Stubber, clock: FakeClock) -> None:
    tracker = make_tracker(client, clock, max_attempts=2, limit_max_attempts=3, limit_max_delay=7.0)
    for _ in range(3):
        stub.add_client_error("start_person_tracking", "LimitExceededException", "20 jobs", 400)
    with pytest.raises(LimitExceededError) as info:
        tracker.start(URI)
    assert info.value.attempts == 3
    assert clock.sleeps == [5.0, 7.0]
    stub.assert_no_pending_responses()


# ---- one ClientRequestToken per start() ----------------------------------------------------------


def test_start_retried_after_throttle_sends_the_same_token(tracker: PersonTracker, stub: Stubber, sent: Sent) -> None:
    throttle(stub, method="start_person_tracking")
    stub.add_client_error("start_person_tracking", "InternalServerError", "oops", 500)
    stub.add_response("start_person_tracking", START_OK)
    job = tracker.start(URI, job_tag="run-7")

    tokens = [params["ClientRequestToken"] for _, params in sent]
    assert len(tokens) == 3
    assert len(set(tokens)) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", tokens[0])
    assert job.client_request_token == tokens[0]
    assert all(params["Video"] == {"S3Object": {"Bucket": "my-bucket", "Name": "clip.mp4"}} for _, params in sent)
    assert all(params["JobTag"] == "run-7" for _, params in sent)

    stub.add_response("start_person_tracking", {"JobId": "job-2"})
    second = tracker.start(URI)
    assert second.client_request_token != job.client_request_token
    assert sent[-1][1]["ClientRequestToken"] == second.client_request_token


def test_caller_supplied_token_is_used_on_every_attempt(tracker: PersonTracker, stub: Stubber) -> None:
    expected = {"Video": {"S3Object": {"Bucket": "my-bucket", "Name": "clip.mp4"}}, "ClientRequestToken": "my-token-1"}
    throttle(stub, method="start_person_tracking", expected_params=expected)
    stub.add_response("start_person_tracking", START_OK, expected)
    job = tracker.start(URI, client_request_token="my-token-1")
    assert job.client_request_token == "my-token-1"
    stub.assert_no_pending_responses()


def test_start_without_job_id_is_retried_with_the_same_token_then_malformed(
    tracker: PersonTracker, stub: Stubber
) -> None:
    attempts = tracker.retry.max_attempts
    expected = {"Video": {"S3Object": {"Bucket": "my-bucket", "Name": "clip.mp4"}}, "ClientRequestToken": "tok-fixed"}
    for _ in range(attempts):
        stub.add_response("start_person_tracking", {}, expected)  # botocore's reading of a truncated body
    with pytest.raises(rekotrack.MalformedResponseError) as info:
        tracker.start(URI, client_request_token="tok-fixed")
    assert info.value.attempts == attempts
    stub.assert_no_pending_responses()


# ---- connection errors ----------------------------------------------------------------------------


def _raise(exc: Exception) -> Any:
    def answer(_request: Any) -> Any:
        raise exc

    return answer


@pytest.mark.parametrize(
    "exc",
    [
        EndpointConnectionError(endpoint_url="https://rekognition.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://rekognition.us-east-1.amazonaws.com"),
    ],
    ids=["connection", "read-timeout"],
)
def test_connection_errors_are_retried_then_transport_error(clock: FakeClock, exc: Exception) -> None:
    client = make_client()
    sends = count_sends(client, "GetPersonTracking", _raise(exc))
    tracker = make_tracker(client, clock, max_attempts=3)
    with pytest.raises(TransportError) as info:
        tracker.get_page(JOB_ID)
    assert info.value.attempts == 3
    assert info.value.__cause__ is exc
    assert info.value.operation == "GetPersonTracking"
    assert len(sends) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_connection_error_then_success(clock: FakeClock) -> None:
    client = make_client()
    answers = iter([None, None, b'{"JobStatus": "SUCCEEDED", "Persons": [{"Timestamp": 9}]}'])

    def answer(request: Any) -> Any:
        body = next(answers)
        if body is None:
            raise EndpointConnectionError(endpoint_url=request.url)
        return raw_response(request, 200, body)

    sends = count_sends(client, "GetPersonTracking", answer)
    tracker = make_tracker(client, clock)
    result = tracker.get_page(JOB_ID)
    assert result.persons is not None
    assert result.persons[0].timestamp == 9
    assert len(sends) == 3


# ---- the client rekotrack makes: one retry layer ------------------------------------------------------


def test_own_client_uses_the_session_and_region() -> None:
    tracker = PersonTracker(session=make_session(), region_name="eu-west-1")
    assert tracker.client.meta.region_name == "eu-west-1"
    assert tracker.client.meta.config.retries["mode"] == "standard"
    assert "rekotrack" in (tracker.client.meta.config.user_agent_extra or "")


def test_own_client_has_botocore_retries_off() -> None:
    tracker = PersonTracker(session=make_session())
    assert tracker.client.meta.config.retries.get("total_max_attempts") == 1


def test_own_client_sends_exactly_max_attempts(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    import botocore.endpoint

    botocore_sleeps: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", botocore_sleeps.append)
    tracker = PersonTracker(session=make_session(), retry=RetryPolicy(max_attempts=3, sleep=clock.sleep))
    body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
    sends = count_sends(tracker.client, "GetPersonTracking", lambda request: raw_response(request, 400, body))
    with pytest.raises(ThrottlingError) as info:
        tracker.get_page(JOB_ID)
    assert info.value.attempts == 3
    assert botocore_sleeps == []
    assert len(sends) == 3


# ---- logging ------------------------------------------------------------------------------------------


def test_debug_log_per_request_and_retry_without_credentials(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    client = make_client()
    throttled = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
    bodies = iter([(400, throttled), (400, throttled), (200, b'{"JobStatus": "SUCCEEDED", "Persons": []}')])
    count_sends(client, "GetPersonTracking", lambda request: raw_response(request, *next(bodies)))
    tracker = make_tracker(client, clock, random=0.5)

    with caplog.at_level(logging.DEBUG, logger="rekotrack"):
        tracker.get_page(JOB_ID)

    lines = [r.getMessage() for r in caplog.records if r.name.startswith("rekotrack")]
    requests = [line for line in lines if line.startswith("request GetPersonTracking")]
    retries = [line for line in lines if line.startswith("retry GetPersonTracking")]
    assert requests == [f"request GetPersonTracking attempt {n}" for n in (1, 2, 3)]
    assert len(retries) == 2
    assert "after attempt 1" in retries[0]
    assert "ThrottlingException" in retries[0]
    assert "0.250" in retries[0]
    assert "after attempt 2" in retries[1]
    assert "0.500" in retries[1]
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name.startswith("rekotrack"))
    for line in lines:
        assert ACCESS_KEY not in line
        assert SECRET_KEY not in line
