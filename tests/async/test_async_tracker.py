"""AsyncPersonTracker through aiobotocore and the real HTTP stack against rekotrack.testing.LocalRekognition."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable
from typing import Any

import pytest
from async_support import REGION, no_sleep, no_sleep_policy
from botocore.exceptions import ClientError

from rekotrack import (
    IdempotentParameterMismatchError,
    InvalidPaginationTokenError,
    JobFailedError,
    JobInProgressError,
    LimitExceededError,
    MalformedResponseError,
    PaginationError,
    PersonTrackingPage,
    ProvisionedThroughputExceededError,
    RequestValidationError,
    RetryPolicy,
    ThrottlingError,
    TransportError,
    WaitTimeoutError,
    _fastpath,
)
from rekotrack._aio import AsyncPersonTracker, AsyncTrackingJob
from rekotrack.testing import Faults, LocalRekognition, SyntheticScene

pytestmark = pytest.mark.asyncio


async def drain(items: AsyncIterable[Any], into: list[Any]) -> None:
    """Append every item to ``into``: what was received survives an exception mid-iteration."""
    async for item in items:
        into.append(item)


def _tracker(client: Any, *, fast_path: bool = True, **policy: Any) -> AsyncPersonTracker:
    return AsyncPersonTracker(client, retry=no_sleep_policy(**policy), fast_path=fast_path)


async def _finished(tracker: AsyncPersonTracker, uri: str, **start: Any) -> str:
    job = await tracker.start(uri, **start)
    await job.wait(timeout=30, poll_interval=0.01)
    return job.job_id


@pytest.mark.parametrize("sort_by", ["TIMESTAMP", "INDEX"])
@pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "plain"])
async def test_start_wait_iterate_matches_ground_truth(
    server: LocalRekognition, rekognition: Any, sort_by: str, fast_path: bool
) -> None:
    scene = SyntheticScene(seed=5, people=7, duration_ms=90_000)
    uri = f"s3://aio/{sort_by}-{fast_path}.mp4"
    server.add_video(uri, scene)
    tracker = _tracker(rekognition, fast_path=fast_path)
    job = await tracker.start(uri, job_tag="aio-run")
    assert isinstance(job, AsyncTrackingJob)
    assert job.job_tag == "aio-run"
    assert job.video is not None
    assert job.video.uri == uri
    pager = await job.persons(sort_by=sort_by, page_size=333, timeout=30)
    assert pager.video_metadata is None  # nothing fetched yet, and reading it makes no request
    got = [d.to_aws() async for d in pager]
    assert got == list(scene.ground_truth(sort_by))  # type: ignore[arg-type]
    assert pager.video_metadata is not None
    assert pager.video_metadata.to_aws() == scene.video_metadata()
    assert pager.exhausted
    assert pager.resume_token is None
    assert tracker.fast_path is fast_path


async def test_fast_path_runs_on_aiobotocore(
    server: LocalRekognition, rekognition: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiobotocore emits before-parse with the raw bytes: pages come from model_validate_json."""
    calls: list[int] = []
    real = _fastpath.validate_page

    def counting(model: Any, body: bytes, *args: Any) -> Any:
        calls.append(len(body))
        return real(model, body, *args)

    monkeypatch.setattr(_fastpath, "validate_page", counting)
    tracker = _tracker(rekognition)
    job_id = await _finished(tracker, "s3://aio/fast.mp4")
    calls.clear()
    pages = [page async for page in tracker.pages(job_id, page_size=200)]
    assert len(calls) == len(pages) >= 2
    plain = _tracker(rekognition, fast_path=False)
    assert [p async for p in plain.pages(job_id, page_size=200)] == pages
    raw = await rekognition.get_person_tracking(JobId=job_id, MaxResults=5)  # other callers are untouched
    assert _fastpath.PAGE_KEY not in raw
    assert len(raw["Persons"]) == 5


async def test_get_page_status_and_collect(server: LocalRekognition, rekognition: Any) -> None:
    scene = SyntheticScene(seed=2, people=3, duration_ms=20_000)
    server.add_video("s3://aio/collect.mp4", scene)
    tracker = _tracker(rekognition)
    job = await tracker.start("s3://aio/collect.mp4")
    await job.wait(timeout=30, poll_interval=0.01)
    assert await job.status() == "SUCCEEDED"
    page = await tracker.get_page(job.job_id, max_results=10, sort_by="INDEX")
    assert isinstance(page, PersonTrackingPage)
    assert page.persons is not None
    assert len(page.persons) == 10
    assert page.next_token
    result = await job.collect(page_size=100)
    assert result.job_id == job.job_id
    assert [d.to_aws() for d in result.detections] == list(scene.ground_truth())
    assert result.video_metadata is not None


async def test_resume_token_and_max_items(server: LocalRekognition, rekognition: Any) -> None:
    tracker = _tracker(rekognition)
    job_id = await _finished(tracker, "s3://aio/resume.mp4")
    expected = list(server.scene_for("s3://aio/resume.mp4").ground_truth())
    first = tracker.persons(job_id, page_size=70, max_items=150)
    head = [d.to_aws() async for d in first]
    assert head == expected[:150]
    second = tracker.persons(job_id, page_size=70, starting_token=first.resume_token)
    middle = []
    async for det in second:  # a break in the middle of a page
        middle.append(det.to_aws())
        if len(middle) == 45:
            break
    rest = [d.to_aws() async for d in tracker.persons(job_id, page_size=70, starting_token=second.resume_token)]
    assert head + middle + rest == expected


async def test_video_metadata_fetches_the_first_page_once(server: LocalRekognition, rekognition: Any) -> None:
    tracker = _tracker(rekognition)
    job_id = await _finished(tracker, "s3://aio/meta.mp4")
    pager = tracker.persons(job_id, page_size=50)
    server.reset_counts()
    metadata = await pager.get_video_metadata()
    assert metadata is not None
    assert server.request_count("GetPersonTracking") == 1
    count = len([d async for d in pager])
    pages = -(-count // 50)
    assert server.request_count("GetPersonTracking") == pages  # the early page was not fetched again


async def test_inputs_are_checked_before_any_request(server: LocalRekognition, rekognition: Any) -> None:
    tracker = _tracker(rekognition)
    server.reset_counts()
    with pytest.raises(RequestValidationError):
        await tracker.start("https://not-s3/video.mp4")
    with pytest.raises(RequestValidationError):
        await tracker.start("s3://bucket/key.mp4", job_tag="bad tag!")
    with pytest.raises(RequestValidationError):
        await tracker.get_page("bad job id!")
    with pytest.raises(RequestValidationError):
        tracker.persons("job", page_size=1001)
    with pytest.raises(RequestValidationError):
        tracker.persons("job", sort_by="NAME")
    with pytest.raises(RequestValidationError):
        tracker.persons("job", max_items=-1)
    with pytest.raises(ValueError, match="timeout"):
        await tracker.wait("job", timeout=-1)  # timeout=0 checks once (DESIGN.md)
    assert server.request_count() == 0


async def test_in_progress_failed_and_timeout(server: LocalRekognition, rekognition: Any) -> None:
    tracker = _tracker(rekognition)
    server.job_seconds = 60.0
    try:
        job = await tracker.start("s3://aio/slow.mp4")
        with pytest.raises(JobInProgressError):
            [d async for d in tracker.persons(job.job_id)]
        with pytest.raises(WaitTimeoutError) as info:
            await tracker.wait(job.job_id, timeout=0.05, poll_interval=0.01)
        assert info.value.job_id == job.job_id
    finally:
        server.job_seconds = 0.0
    server.add_video("s3://aio/bad.mp4", SyntheticScene(seed=1, final_status="FAILED", status_message="corrupt"))
    failed = await tracker.start("s3://aio/bad.mp4")
    with pytest.raises(JobFailedError) as failure:
        await failed.wait(timeout=10, poll_interval=0.01)
    assert failure.value.status_message == "corrupt"


async def test_wait_polls_on_the_same_schedule(server: LocalRekognition, rekognition: Any) -> None:
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    server.job_polls = 3
    try:
        tracker = AsyncPersonTracker(rekognition, retry=RetryPolicy(async_sleep=record, random=lambda: 1.0))
        job = await tracker.start("s3://aio/polls.mp4")
        statuses: list[str] = []
        await job.wait(timeout=600, on_status=lambda page: statuses.append(str(page.job_status)))
    finally:
        server.job_polls = None
    assert statuses == ["IN_PROGRESS"] * 3 + ["SUCCEEDED"]
    assert sleeps == [5.0, 10.0, 20.0]


async def test_idempotency_and_mismatch(rekognition: Any) -> None:
    tracker = _tracker(rekognition)
    first = await tracker.start("s3://aio/idem.mp4", client_request_token="atok-1")
    again = await tracker.start("s3://aio/idem.mp4", client_request_token="atok-1")
    assert again.job_id == first.job_id
    with pytest.raises(IdempotentParameterMismatchError) as info:
        await tracker.start("s3://aio/other.mp4", client_request_token="atok-1")
    assert info.value.attempts == 1


@pytest.mark.usefixtures("aws_env")
async def test_limit_exceeded_is_retried_for_start_then_typed(aio_session: Any) -> None:
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    policy = RetryPolicy(limit_max_attempts=3, async_sleep=record, jitter=False)
    with LocalRekognition(job_seconds=60.0, max_concurrent_jobs=2) as srv:
        async with AsyncPersonTracker(
            session=aio_session, region_name=REGION, endpoint_url=srv.url, retry=policy
        ) as tracker:
            assert tracker.client.meta.config.retries["total_max_attempts"] == 1
            await tracker.start("s3://aio/a.mp4")
            await tracker.start("s3://aio/b.mp4")
            with pytest.raises(LimitExceededError) as info:
                await tracker.start("s3://aio/c.mp4")
        assert info.value.attempts == 3
        assert sleeps == [policy.cap(1, "limit"), policy.cap(2, "limit")]
        assert srv.request_count("StartPersonTracking") == 5


async def test_forged_and_one_off_invalid_tokens(server: LocalRekognition, rekognition: Any) -> None:
    tracker = _tracker(rekognition)
    job_id = await _finished(tracker, "s3://aio/tokens.mp4")
    with pytest.raises(InvalidPaginationTokenError):
        await tracker.get_page(job_id, next_token="forged-token")
    server.faults = Faults(invalid_token_once=True)
    pager = tracker.persons(job_id, page_size=100)
    seen = []
    with pytest.raises(InvalidPaginationTokenError):
        await drain(pager, seen)
    assert len(seen) == 100
    seen.extend([d async for d in tracker.persons(job_id, page_size=100, starting_token=pager.resume_token)])
    assert [d.to_aws() for d in seen] == list(server.scene_for("s3://aio/tokens.mp4").ground_truth())


async def test_repeated_next_token_raises_pagination_error(rekognition: Any) -> None:
    tracker = _tracker(rekognition)
    job_id = await _finished(tracker, "s3://aio/loop.mp4")
    token = (await tracker.get_page(job_id, max_results=10)).next_token
    assert token

    def loop(parsed: dict[str, Any], **_: Any) -> None:
        if "Persons" in parsed:
            parsed["NextToken"] = token

    rekognition.meta.events.register("after-call.rekognition.GetPersonTracking", loop)
    try:
        with pytest.raises(PaginationError):
            [d async for d in _tracker(rekognition, fast_path=False).persons(job_id, page_size=10)]
    finally:
        rekognition.meta.events.unregister("after-call.rekognition.GetPersonTracking", loop)


# ---- the fault matrix -------------------------------------------------------------------

FAULTS = {
    "throttle": Faults(throttle_rate=0.3, seed=11),
    "server_error": Faults(server_error_rate=0.3, seed=12),
    "drop": Faults(drop_rate=0.2, seed=13),
    "slow": Faults(slow_rate=0.3, slow_seconds=0.05, seed=14),
    "corrupt": Faults(corrupt_rate=0.3, seed=15),
    "mixed": Faults(throttle_rate=0.15, server_error_rate=0.1, drop_rate=0.05, corrupt_rate=0.1, seed=16),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
async def test_fault_matrix_flow_still_yields_ground_truth(
    server: LocalRekognition, rekognition: Any, name: str
) -> None:
    uri = f"s3://aio/faults-{name}.mp4"
    scene = SyntheticScene(seed=4, people=5, duration_ms=60_000)
    server.add_video(uri, scene)
    server.faults = FAULTS[name]
    server.reset_counts()
    tracker = _tracker(rekognition, max_attempts=30)
    job = await tracker.start(uri)
    await job.wait(timeout=30, poll_interval=0.01)
    got = [d.to_aws() async for d in tracker.persons(job.job_id, page_size=100)]
    assert got == list(scene.ground_truth())
    assert server.fault_count() > 0


async def test_throttling_exhaustion_is_typed(server: LocalRekognition, rekognition: Any) -> None:
    tracker = _tracker(rekognition, max_attempts=3)
    job_id = await _finished(tracker, "s3://aio/throttled.mp4")
    server.faults = Faults(throttle_rate=1.0, seed=3, operations=("GetPersonTracking",))
    with pytest.raises((ThrottlingError, ProvisionedThroughputExceededError)) as info:
        await tracker.get_page(job_id)
    assert info.value.attempts == 3
    assert isinstance(info.value.__cause__, ClientError)


@pytest.mark.parametrize("kind", ["truncated", "not_json", "null", "array", "empty_object"])
async def test_corrupt_bodies_are_retried_then_typed(server: LocalRekognition, rekognition: Any, kind: str) -> None:
    tracker = _tracker(rekognition, max_attempts=3)
    job_id = await _finished(tracker, f"s3://aio/corrupt-{kind}.mp4")
    server.faults = Faults(corrupt_rate=1.0, corrupt_kinds=(kind,), operations=("GetPersonTracking",))  # type: ignore[arg-type]
    server.reset_counts()
    seen = []
    # aiohttp notices a truncated body (the connection closes early): a transport error, retried the same way.
    expected = TransportError if kind == "truncated" else MalformedResponseError
    with pytest.raises(expected) as info:
        await drain(tracker.persons(job_id), seen)
    assert seen == []  # never read as an empty result
    assert info.value.attempts == 3
    assert server.request_count("GetPersonTracking") == 3


async def test_dropped_connections_exhausted_are_transport_errors(server: LocalRekognition, rekognition: Any) -> None:
    tracker = _tracker(rekognition, max_attempts=2)
    server.faults = Faults(drop_rate=1.0, operations=("StartPersonTracking",))
    with pytest.raises(TransportError) as info:
        await tracker.start("s3://aio/dropped.mp4")
    assert info.value.attempts == 2


async def test_asyncio_timeout_around_a_slow_request(server: LocalRekognition, rekognition: Any) -> None:
    tracker = _tracker(rekognition)
    job_id = await _finished(tracker, "s3://aio/slowreply.mp4")
    server.faults = Faults(slow_rate=1.0, slow_seconds=1.0)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(tracker.get_page(job_id), 0.2)
    server.faults = None
    assert (await tracker.get_page(job_id, max_results=1)).job_status == "SUCCEEDED"


@pytest.mark.usefixtures("aws_env")
async def test_client_made_on_first_use_and_closed(server: LocalRekognition, aio_session: Any) -> None:
    tracker = AsyncPersonTracker(
        session=aio_session, region_name=REGION, endpoint_url=server.url, retry=no_sleep_policy()
    )
    with pytest.raises(RuntimeError):
        tracker.client  # noqa: B018
    try:
        job = await tracker.start("s3://aio/lazy.mp4")
        assert tracker.fast_path
        assert (await tracker.wait(job.job_id, timeout=30, poll_interval=0.01)).job_status == "SUCCEEDED"
    finally:
        await tracker.close()


async def test_policy_async_sleep_is_used_for_retries(server: LocalRekognition, rekognition: Any) -> None:
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)
        await no_sleep(seconds)

    tracker = AsyncPersonTracker(rekognition, retry=RetryPolicy(async_sleep=record, jitter=False))
    server.inject_error("ThrottlingException", operation="StartPersonTracking", count=2)
    await tracker.start("s3://aio/retried.mp4")
    assert sleeps == [0.5, 1.0]
