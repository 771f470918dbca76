"""Cancellation: a cancelled wait, wait_for, iteration or batch leaves no task running, deletes no message it did
not hand over, and the job can be resumed; ``asyncio.wait_for`` / ``asyncio.timeout`` around calls work."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from async_fixtures import NO_BOTOCORE_RETRIES
from async_support import FAKE, REGION, ROLE_ARN, fast_retry, no_sleep_policy, other_tasks, rekognition_message

from rekotrack import RetryPolicy
from rekotrack._aio import AsyncCompletionQueue, AsyncPersonTracker
from rekotrack.testing import Faults, LocalRekognition, SyntheticScene

pytestmark = pytest.mark.asyncio


def new_job_id() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


async def depth(sqs: Any, queue_url: str) -> int:
    attrs = (
        await sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


@pytest_asyncio.fixture
async def queue(sns: Any, sqs: Any) -> AsyncIterator[AsyncCompletionQueue]:
    async with AsyncCompletionQueue.create(
        ROLE_ARN, sns_client=sns, sqs_client=sqs, retry=fast_retry(), queue_attributes={"VisibilityTimeout": "2"}
    ) as made:
        yield made


async def publish(sns: Any, queue: AsyncCompletionQueue, job_id: str) -> str:
    await sns.publish(TopicArn=queue.topic_arn, Message=rekognition_message(job_id))
    return job_id


async def cancelled(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# ---- wait --------------------------------------------------------------------------------


async def test_cancelled_poll_wait_leaves_nothing_running_and_resumes(
    server: LocalRekognition, rekognition: Any
) -> None:
    tracker = AsyncPersonTracker(rekognition, retry=RetryPolicy())
    server.job_seconds = 60.0
    try:
        job = await tracker.start("s3://cancel/wait.mp4")
        task = asyncio.create_task(job.wait(timeout=60, poll_interval=0.05, max_poll_interval=0.05))
        await asyncio.sleep(0.3)
        await cancelled(task)
        assert other_tasks() == set()
        await asyncio.sleep(0.2)  # a request already on the wire when the task was cancelled lands by now
        polls = server.request_count("GetPersonTracking")
        await asyncio.sleep(0.3)
        assert server.request_count("GetPersonTracking") == polls  # nothing polls any more
        server.finish_jobs()
    finally:
        server.job_seconds = 0.0
    page = await tracker.wait(job.job_id, timeout=10, poll_interval=0.05)  # resumed by job id
    assert page.job_status == "SUCCEEDED"


async def test_timeout_around_wait(server: LocalRekognition, rekognition: Any) -> None:
    tracker = AsyncPersonTracker(rekognition)
    server.job_seconds = 60.0
    try:
        job = await tracker.start("s3://cancel/timeout.mp4")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(job.wait(timeout=60, poll_interval=0.05), 0.2)
        if hasattr(asyncio, "timeout"):  # Python 3.11+
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await job.wait(timeout=60, poll_interval=0.05)
        assert other_tasks() == set()
    finally:
        server.job_seconds = 0.0


# ---- iteration ---------------------------------------------------------------------------


async def test_cancelled_iteration_resumes_exactly(server: LocalRekognition, rekognition: Any) -> None:
    scene = SyntheticScene(seed=9, people=6, duration_ms=60_000)
    server.add_video("s3://cancel/iter.mp4", scene)
    tracker = AsyncPersonTracker(rekognition, retry=no_sleep_policy())
    job = await tracker.start("s3://cancel/iter.mp4")
    await job.wait(timeout=10, poll_interval=0.01)
    pager = tracker.persons(job.job_id, page_size=100)
    seen: list[dict[str, Any]] = []
    first_page = asyncio.Event()

    async def consume() -> None:
        async for det in pager:
            seen.append(det.to_aws())
            if len(seen) == 130:
                first_page.set()

    server.faults = Faults(slow_rate=1.0, slow_seconds=0.5, operations=("GetPersonTracking",))
    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_page.wait(), 10)
    await cancelled(task)  # cancelled while the third page is being fetched
    server.faults = None
    assert len(seen) == 200
    assert other_tasks() == set()
    rest = [d.to_aws() async for d in tracker.persons(job.job_id, page_size=100, starting_token=pager.resume_token)]
    assert seen + rest == list(scene.ground_truth())


# ---- the queue ---------------------------------------------------------------------------


async def test_cancelled_wait_for_deletes_nothing_and_loses_nothing(
    queue: AsyncCompletionQueue, sns: Any, sqs: Any
) -> None:
    mine, other = new_job_id(), new_job_id()
    await publish(sns, queue, other)
    task = asyncio.create_task(queue.wait_for(mine, 30))
    await asyncio.sleep(0.5)  # long-polling now; the other job's message was seen and released
    await cancelled(task)
    assert other_tasks() == set()
    assert await depth(sqs, queue.queue_url) == 1
    await publish(sns, queue, mine)
    assert (await queue.wait_for(mine, 10)).job_id == mine
    assert (await queue.wait_for(other, 10)).job_id == other
    assert await depth(sqs, queue.queue_url) == 0


async def test_cancelled_receiver_hands_over_to_the_other_waiter(
    queue: AsyncCompletionQueue, sns: Any, sqs: Any
) -> None:
    first, second = new_job_id(), new_job_id()
    receiver = asyncio.create_task(queue.wait_for(first, 30))
    await asyncio.sleep(0.2)
    follower = asyncio.create_task(queue.wait_for(second, 30))
    await asyncio.sleep(0.2)
    await cancelled(receiver)
    await publish(sns, queue, second)
    note = await asyncio.wait_for(follower, 25)
    assert note.job_id == second
    assert other_tasks() == set()
    # The cancelled waiter's message arrives later and is not lost.
    await publish(sns, queue, first)
    assert (await queue.wait_for(first, 10)).job_id == first
    assert await depth(sqs, queue.queue_url) == 0


async def test_cancelled_after_taking_keeps_the_notification(
    queue: AsyncCompletionQueue, sns: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = await publish(sns, queue, new_job_id())
    blocked = asyncio.Event()
    real_delete = queue._delete

    async def slow_delete(handles: list[str]) -> None:
        blocked.set()
        await asyncio.sleep(30)

    monkeypatch.setattr(queue, "_delete", slow_delete)
    task = asyncio.create_task(queue.wait_for(job, 10))
    await asyncio.wait_for(blocked.wait(), 10)
    await cancelled(task)  # the note was taken, its message not yet deleted
    monkeypatch.setattr(queue, "_delete", real_delete)
    assert (await queue.wait_for(job, 0)).job_id == job  # handed over at once, without a receive


async def test_cancelled_wait_for_all_keeps_what_arrived(queue: AsyncCompletionQueue, sns: Any) -> None:
    a, b = new_job_id(), new_job_id()
    await publish(sns, queue, a)
    task = asyncio.create_task(queue.wait_for_all([a, b], 30))
    await asyncio.sleep(1.0)
    await cancelled(task)
    calls = queue.receive_calls
    assert (await queue.wait_for(a, 0)).job_id == a
    assert queue.receive_calls == calls


async def test_timeout_around_wait_for(queue: AsyncCompletionQueue, sns: Any, sqs: Any) -> None:
    other = await publish(sns, queue, new_job_id())
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(queue.wait_for(new_job_id(), 30), 0.5)
    assert other_tasks() == set()
    assert (await queue.wait_for(other, 10)).job_id == other


# ---- batches -----------------------------------------------------------------------------


@pytest_asyncio.fixture
async def slow_publishing(
    moto_url: str, aio_session: Any
) -> AsyncIterator[tuple[LocalRekognition, AsyncPersonTracker]]:
    with LocalRekognition(job_seconds=60.0, sns_endpoint_url=moto_url) as srv:
        async with aio_session.create_client(
            "rekognition", region_name=REGION, endpoint_url=srv.url, config=NO_BOTOCORE_RETRIES, **FAKE
        ) as client:
            yield srv, AsyncPersonTracker(client, retry=no_sleep_policy())


async def test_closing_track_many_cancels_its_tasks(
    slow_publishing: tuple[LocalRekognition, AsyncPersonTracker], queue: AsyncCompletionQueue
) -> None:
    server, tracker = slow_publishing
    videos = [f"s3://cancel/batch-{i}.mp4" for i in range(4)]
    batch = tracker.track_many(videos, queue=queue, max_concurrent=3, timeout=60)
    first = asyncio.create_task(batch.__anext__())
    await asyncio.sleep(0.5)
    assert len([t for t in other_tasks() if t.get_name().startswith("rekotrack-job-")]) == 3  # one per running job
    await cancelled(first)
    await batch.aclose()  # type: ignore[attr-defined]
    assert other_tasks() == set()
    assert server.request_count("StartPersonTracking") == 3
    # The jobs keep running on the service and can be waited for by id.
    server.finish_jobs()
    for job_id in [n.job_id for n in server.notifications]:
        assert (await tracker.wait(job_id, timeout=10, poll_interval=0.05)).job_status == "SUCCEEDED"


async def test_breaking_out_of_track_many_with_aclosing(
    slow_publishing: tuple[LocalRekognition, AsyncPersonTracker], queue: AsyncCompletionQueue
) -> None:
    server, tracker = slow_publishing
    server.add_video("s3://cancel/fails.mp4", SyntheticScene(final_status="FAILED"))
    videos = ["bad uri", "s3://cancel/a.mp4", "s3://cancel/b.mp4"]
    async with contextlib.aclosing(tracker.track_many(videos, queue=queue, timeout=60)) as outcomes:
        async for video, outcome in outcomes:
            assert video == "bad uri"  # refused before any request: the first outcome
            assert isinstance(outcome, ValueError)
            break
    assert other_tasks() == set()
