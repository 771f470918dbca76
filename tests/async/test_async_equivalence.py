"""The synchronous and asynchronous clients make the same decisions: the same scenarios (faults included, seeded,
one request at a time) send the same request sequence and yield the same detections and errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from async_fixtures import NO_BOTOCORE_RETRIES
from async_support import FAKE, REGION, no_sleep

from rekotrack import PersonTracker, RekotrackError, RetryPolicy
from rekotrack._aio import AsyncPersonTracker
from rekotrack.testing import Faults, LocalRekognition, SyntheticScene

Request = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Scenario:
    """What a user does: start (token given), wait by polling, iterate, maybe resume; and what breaks."""

    name: str
    faults: Faults | None = None
    scene: SyntheticScene = field(default_factory=lambda: SyntheticScene(seed=31, people=6, duration_ms=45_000))
    inject: tuple[str, str, int] | None = None  # (error code, operation, count)
    max_items: int | None = None
    max_attempts: int = 12


SCENARIOS = [
    Scenario("plain"),
    Scenario("faults", Faults(throttle_rate=0.15, server_error_rate=0.1, drop_rate=0.05, corrupt_rate=0.1, seed=7)),
    Scenario("faults-other-seed", Faults(throttle_rate=0.2, server_error_rate=0.1, corrupt_rate=0.15, seed=99)),
    Scenario("limit-on-start", inject=("LimitExceededException", "StartPersonTracking", 2)),
    Scenario("resume", max_items=150),
    Scenario("invalid-token-then-resume", Faults(invalid_token_once=True)),
    Scenario("failed-job", scene=SyntheticScene(seed=2, final_status="FAILED", status_message="bad codec")),
    Scenario("retries-exhausted", Faults(throttle_rate=1.0, operations=("GetPersonTracking",), seed=3), max_attempts=3),
]


@dataclass
class Outcome:
    requests: list[Request] = field(default_factory=list)
    detections: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[str, str | None, int | None]] = field(default_factory=list)
    resume_tokens: list[str | None] = field(default_factory=list)


def _policy(scenario: Scenario) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=scenario.max_attempts,
        limit_max_attempts=scenario.max_attempts,
        sleep=lambda _s: None,
        async_sleep=no_sleep,
        random=lambda: 0.5,
    )


def _record(into: list[Request]) -> Callable[..., None]:
    def before_call(model: Any, params: dict[str, Any], **_: Any) -> None:
        into.append((model.name, json.loads(params.get("body") or b"{}")))

    return before_call


def _error(exc: RekotrackError) -> tuple[str, str | None, int | None]:
    return (type(exc).__name__, getattr(exc, "code", None), getattr(exc, "attempts", None))


def _normalized(requests: list[Request]) -> list[Request]:
    """JobIds, NextTokens and ClientRequestTokens are server- or caller-made: numbered by first appearance."""
    names: dict[str, str] = {}

    def name(kind: str, value: str) -> str:
        return names.setdefault(value, f"<{kind}-{sum(k.startswith(f'<{kind}') for k in names.values())}>")

    out = []
    for operation, body in requests:
        body = dict(body)
        for key, kind in (("JobId", "job"), ("NextToken", "token"), ("ClientRequestToken", "crt")):
            if key in body:
                body[key] = name(kind, body[key])
        out.append((operation, body))
    return out


def _arrange(server: LocalRekognition, scenario: Scenario) -> str:
    uri = f"s3://equivalence/{scenario.name}.mp4"
    server.add_video(uri, scenario.scene)
    server.faults = scenario.faults  # re-seeds: the same faults for the same request sequence
    if scenario.inject:
        code, operation, count = scenario.inject
        server.inject_error(code, operation=operation, count=count)
    return uri


def run_sync(server: LocalRekognition, scenario: Scenario, token: str) -> Outcome:
    outcome = Outcome()
    client = server.client()
    client.meta.events.register("before-call.rekognition", _record(outcome.requests))
    tracker = PersonTracker(client, retry=_policy(scenario))
    uri = _arrange(server, scenario)
    try:
        job = tracker.start(uri, client_request_token=token)
        job.wait(timeout=60, poll_interval=1.0)
        pager = tracker.persons(job.job_id, page_size=100, max_items=scenario.max_items)
        try:
            for det in pager:
                outcome.detections.append(det.to_aws())
        except RekotrackError as exc:
            outcome.errors.append(_error(exc))
        outcome.resume_tokens.append(pager.resume_token)
        if pager.resume_token is not None:
            rest = tracker.persons(job.job_id, page_size=100, starting_token=pager.resume_token)
            outcome.detections.extend(d.to_aws() for d in rest)
    except RekotrackError as exc:
        outcome.errors.append(_error(exc))
    finally:
        server.faults = None
    return outcome


async def run_async(server: LocalRekognition, client: Any, scenario: Scenario, token: str) -> Outcome:
    outcome = Outcome()
    handler = _record(outcome.requests)
    client.meta.events.register("before-call.rekognition", handler)
    tracker = AsyncPersonTracker(client, retry=_policy(scenario))
    uri = _arrange(server, scenario)
    try:
        job = await tracker.start(uri, client_request_token=token)
        await job.wait(timeout=60, poll_interval=1.0)
        pager = tracker.persons(job.job_id, page_size=100, max_items=scenario.max_items)
        try:
            async for det in pager:
                outcome.detections.append(det.to_aws())
        except RekotrackError as exc:
            outcome.errors.append(_error(exc))
        outcome.resume_tokens.append(pager.resume_token)
        if pager.resume_token is not None:
            rest = tracker.persons(job.job_id, page_size=100, starting_token=pager.resume_token)
            outcome.detections.extend([d.to_aws() async for d in rest])
    except RekotrackError as exc:
        outcome.errors.append(_error(exc))
    finally:
        server.faults = None
        client.meta.events.unregister("before-call.rekognition", handler)
    return outcome


@pytest.fixture(scope="module")
def polled_server() -> Iterator[LocalRekognition]:
    """Jobs end after two status polls, so the request sequence does not depend on timing."""
    with LocalRekognition(job_seconds=0.0, job_polls=2) as srv:
        yield srv


@pytest_asyncio.fixture
async def aio_client(aio_session: Any, polled_server: LocalRekognition) -> AsyncIterator[Any]:
    async with aio_session.create_client(
        "rekognition", region_name=REGION, endpoint_url=polled_server.url, config=NO_BOTOCORE_RETRIES, **FAKE
    ) as client:
        yield client


@pytest.mark.asyncio
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_same_requests_same_detections(
    polled_server: LocalRekognition, aio_client: Any, scenario: Scenario
) -> None:
    polled_server.reset_counts()
    sync = run_sync(polled_server, scenario, token=f"sync-{scenario.name}")
    sync_faults = polled_server.fault_count()
    polled_server.reset_counts()
    asynchronous = await run_async(polled_server, aio_client, scenario, token=f"async-{scenario.name}")
    async_faults = polled_server.fault_count()

    assert _normalized(asynchronous.requests) == _normalized(sync.requests)
    assert asynchronous.detections == sync.detections
    assert asynchronous.errors == sync.errors
    assert [t is None for t in asynchronous.resume_tokens] == [t is None for t in sync.resume_tokens]
    assert async_faults == sync_faults
    if scenario.faults is not None or scenario.inject is not None:
        assert sync_faults > 0  # the scenario really broke something
    expected = list(scenario.scene.ground_truth())
    if scenario.name in {"failed-job", "retries-exhausted"}:
        assert sync.errors
    else:
        assert sync.detections == expected
        assert not sync.errors or scenario.name == "invalid-token-then-resume"


def test_every_request_was_captured() -> None:
    """The capture itself: one record per attempt, including the retried ones."""
    with LocalRekognition(job_seconds=0.0) as srv:
        srv.inject_error("ThrottlingException", operation="StartPersonTracking", count=2)
        outcome = run_sync(srv, Scenario("capture"), token="t")
    starts = [r for r in outcome.requests if r[0] == "StartPersonTracking"]
    assert len(starts) == 3
    assert all(body["ClientRequestToken"] == "t" for _, body in starts)  # one token for every attempt
