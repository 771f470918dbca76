"""The Async… job classes decide as the synchronous ones do: same scenarios -> same requests, items, errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

pytest.importorskip("aiobotocore")
pytest.importorskip("pytest_asyncio")

import boto3
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from jobs_support import FAKE, KIND_IDS, KINDS, REGION, Kind

from rekotrack import AsyncCompletionQueue, RekotrackError, RetryPolicy
from rekotrack._job_results import RESULT_CLASSES
from rekotrack.testing import Faults, LocalRekognition, SyntheticScene

Request = tuple[str, dict[str, Any]]
NO_RETRIES = {"retries": {"total_max_attempts": 1, "mode": "standard"}}


async def _no_sleep(_seconds: float) -> None:
    return None


@dataclass(frozen=True)
class Scenario:
    name: str
    faults: Faults | None = None
    max_items: int | None = None
    failed: bool = False
    max_attempts: int = 12


SCENARIOS = [
    Scenario("plain"),
    Scenario("faults", Faults(throttle_rate=0.15, server_error_rate=0.1, drop_rate=0.05, corrupt_rate=0.1, seed=7)),
    Scenario("resume", max_items=9),
    Scenario("failed", failed=True),
    Scenario("exhausted", Faults(throttle_rate=1.0, seed=3), max_attempts=2),
]


@dataclass
class Outcome:
    requests: list[Request] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[str, str | None, int | None]] = field(default_factory=list)
    collected: list[dict[str, Any]] = field(default_factory=list)


def _policy(scenario: Scenario) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=scenario.max_attempts,
        limit_max_attempts=scenario.max_attempts,
        sleep=lambda _s: None,
        async_sleep=_no_sleep,
        random=lambda: 0.5,
    )


def _recorder(into: list[Request]) -> Any:
    def before_call(model: Any, params: dict[str, Any], **_: Any) -> None:
        into.append((model.name, json.loads(params.get("body") or b"{}")))

    return before_call


def _normalized(requests: list[Request]) -> list[Request]:
    names: dict[str, str] = {}
    out = []
    for operation, body in requests:
        body = dict(body)
        for key in ("JobId", "NextToken", "ClientRequestToken"):
            if key in body:
                body[key] = names.setdefault(body[key], f"<{key}-{len(names)}>")
        out.append((operation, body))
    return out


def _error(exc: RekotrackError) -> tuple[str, str | None, int | None]:
    return (type(exc).__name__, getattr(exc, "code", None), getattr(exc, "attempts", None))


def _arrange(server: LocalRekognition, kind: Kind, scenario: Scenario) -> str:
    uri = f"s3://equivalence/{kind.name}/{scenario.name}.mp4"
    if scenario.failed:
        server.add_video(uri, SyntheticScene(seed=9, final_status="FAILED", status_message="bad codec"))
    server.faults = scenario.faults  # re-seeded: the same faults for the same request sequence
    return uri


def run_sync(server: LocalRekognition, kind: Kind, scenario: Scenario) -> Outcome:
    outcome = Outcome()
    client = boto3.client(
        "rekognition", region_name=REGION, endpoint_url=server.url, config=boto3.session.Config(**NO_RETRIES), **FAKE
    )
    client.meta.events.register("before-call.rekognition", _recorder(outcome.requests))
    tracker = kind.sync_class(client, retry=_policy(scenario), prefetch=False)
    uri = _arrange(server, kind, scenario)
    try:
        job = tracker.start(uri, client_request_token=f"{kind.name}-{scenario.name}", **kind.inputs)
        job.wait(timeout=60, poll_interval=1.0)
        pager = getattr(tracker, kind.items_method)(job.job_id, page_size=4, max_items=scenario.max_items)
        outcome.items.extend(item.to_aws() for item in pager)
        if pager.resume_token is not None:
            rest = getattr(tracker, kind.items_method)(job.job_id, page_size=4, starting_token=pager.resume_token)
            outcome.items.extend(item.to_aws() for item in rest)
        result = job.collect(page_size=1000)
        assert type(result) is RESULT_CLASSES[kind.name]
        outcome.collected = [item.to_aws() for item in result.items]
    except RekotrackError as exc:
        outcome.errors.append(_error(exc))
    server.faults = None
    return outcome


async def run_async(server: LocalRekognition, kind: Kind, scenario: Scenario) -> Outcome:
    outcome = Outcome()
    async with get_session().create_client(
        "rekognition", region_name=REGION, endpoint_url=server.url, config=AioConfig(**NO_RETRIES), **FAKE
    ) as client:
        client.meta.events.register("before-call.rekognition", _recorder(outcome.requests))
        tracker = kind.async_class(client, retry=_policy(scenario), prefetch=False)
        uri = _arrange(server, kind, scenario)
        try:
            job = await tracker.start(uri, client_request_token=f"{kind.name}-{scenario.name}", **kind.inputs)
            await job.wait(timeout=60, poll_interval=1.0)
            pager = getattr(tracker, kind.items_method)(job.job_id, page_size=4, max_items=scenario.max_items)
            outcome.items.extend([item.to_aws() async for item in pager])
            if pager.resume_token is not None:
                rest = getattr(tracker, kind.items_method)(job.job_id, page_size=4, starting_token=pager.resume_token)
                outcome.items.extend([item.to_aws() async for item in rest])
            result = await job.collect(page_size=1000)
            assert type(result) is RESULT_CLASSES[kind.name]
            outcome.collected = [item.to_aws() for item in result.items]
        except RekotrackError as exc:
            outcome.errors.append(_error(exc))
    server.faults = None
    return outcome


@pytest.fixture(scope="module")
def equivalence_server() -> Any:
    with LocalRekognition(job_seconds=0.0) as srv:
        yield srv


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
@pytest.mark.asyncio
async def test_sync_and_async_make_the_same_requests_and_read_the_same_items(
    kind: Kind, scenario: Scenario, equivalence_server: LocalRekognition
) -> None:
    sync = run_sync(equivalence_server, kind, scenario)
    asynchronous = await run_async(equivalence_server, kind, scenario)
    assert _normalized(asynchronous.requests) == _normalized(sync.requests)
    assert asynchronous.items == sync.items
    assert asynchronous.collected == sync.collected
    assert asynchronous.errors == sync.errors
    if scenario.name in ("plain", "faults", "resume"):
        truth = kind.truth(f"s3://equivalence/{kind.name}/{scenario.name}.mp4")
        assert sync.items == truth, sync.errors
        assert sync.collected == truth
        assert not sync.errors
    else:
        assert sync.errors


@pytest.mark.asyncio
async def test_async_job_items_work_without_await(equivalence_server: LocalRekognition) -> None:
    kind = KINDS[0]
    async with get_session().create_client(
        "rekognition", region_name=REGION, endpoint_url=equivalence_server.url, **FAKE
    ) as client:
        tracker = kind.async_class(client)
        job = await tracker.start("s3://equivalence/noawait.mp4", **kind.inputs)
        got = [item.to_aws() async for item in job.labels(sort_by="NAME")]
        assert got == kind.truth("s3://equivalence/noawait.mp4", "NAME")
        pages = [page async for page in job.pages(aggregate_by="SEGMENTS")]
        assert [i.to_aws() for p in pages for i in p.labels or ()] == kind.truth(
            "s3://equivalence/noawait.mp4", None, "SEGMENTS"
        )


@pytest.mark.asyncio
async def test_async_queue_shared_by_every_kind(moto_url: str) -> None:
    with LocalRekognition(job_seconds=0.2, sns_endpoint_url=moto_url) as server:
        session = get_session()
        async with (
            session.create_client("rekognition", region_name=REGION, endpoint_url=server.url, **FAKE) as rek,
            session.create_client("sns", region_name=REGION, endpoint_url=moto_url, **FAKE) as sns,
            session.create_client("sqs", region_name=REGION, endpoint_url=moto_url, **FAKE) as sqs,
        ):
            queue = await AsyncCompletionQueue.create(
                "arn:aws:iam::123456789012:role/RekognitionSnsPublish", sns_client=sns, sqs_client=sqs
            )
            async with queue:
                jobs = {}
                for kind in KINDS:
                    tracker = kind.async_class(rek)
                    job = await tracker.start(
                        f"s3://equivalence/queue/{kind.name}.mp4", notification=queue.channel, **kind.inputs
                    )
                    jobs[job.job_id] = kind
                for job_id, kind in reversed(list(jobs.items())):
                    note = await queue.wait_for(job_id, timeout=60)
                    assert note.api == kind.operation.start_name
                    assert note.status == "SUCCEEDED"


@pytest.mark.asyncio
async def test_async_track_many_passes_the_start_inputs(moto_url: str) -> None:
    from rekotrack import AsyncFaceSearcher, JobFailedError

    with LocalRekognition(job_seconds=0.2, sns_endpoint_url=moto_url) as server:
        server.add_video("s3://equivalence/batch/broken.mp4", SyntheticScene(seed=3, final_status="FAILED"))
        session = get_session()
        async with (
            session.create_client("rekognition", region_name=REGION, endpoint_url=server.url, **FAKE) as rek,
            session.create_client("sns", region_name=REGION, endpoint_url=moto_url, **FAKE) as sns,
            session.create_client("sqs", region_name=REGION, endpoint_url=moto_url, **FAKE) as sqs,
        ):
            queue = await AsyncCompletionQueue.create(
                "arn:aws:iam::123456789012:role/RekognitionSnsPublish", sns_client=sns, sqs_client=sqs
            )
            async with queue:
                searcher = AsyncFaceSearcher(rek)
                videos = [f"s3://equivalence/batch/{n}.mp4" for n in range(4)] + ["s3://equivalence/batch/broken.mp4"]
                outcomes = {
                    video: outcome
                    async for video, outcome in searcher.track_many(
                        videos, queue=queue, max_concurrent=2, timeout=60, collection_id="staff"
                    )
                }
                assert set(outcomes) == set(videos)
                assert isinstance(outcomes.pop("s3://equivalence/batch/broken.mp4"), JobFailedError)
                kind = next(k for k in KINDS if k.name == "FaceSearch")
                for video, job in outcomes.items():
                    assert not isinstance(job, Exception), job
                    assert [i.to_aws() async for i in job.persons()] == kind.truth(video)
