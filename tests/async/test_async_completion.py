"""AsyncCompletionQueue against a moto server (SNS, SQS) with real aiobotocore clients, and the async track_many."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from async_fixtures import NO_BOTOCORE_RETRIES
from async_support import FAKE, REGION, ROLE_ARN, fast_retry, no_sleep_policy, rekognition_message
from botocore.exceptions import ClientError

from rekotrack import APIError, JobFailedError, RequestValidationError, WaitTimeoutError
from rekotrack._aio import AsyncCompletionQueue, AsyncPersonTracker, AsyncTrackingJob
from rekotrack.testing import LocalRekognition, SyntheticScene

pytestmark = pytest.mark.asyncio

MakeQueue = Callable[..., Awaitable[AsyncCompletionQueue]]
Publish = Callable[..., Awaitable[str]]


def new_job_id() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


@pytest_asyncio.fixture
async def make_queue(sns: Any, sqs: Any) -> AsyncIterator[MakeQueue]:
    made: list[AsyncCompletionQueue] = []

    async def make(**kwargs: Any) -> AsyncCompletionQueue:
        kwargs.setdefault("sns_client", sns)
        kwargs.setdefault("sqs_client", sqs)
        kwargs.setdefault("retry", fast_retry())
        queue = await AsyncCompletionQueue.create(ROLE_ARN, **kwargs)
        made.append(queue)
        return queue

    yield make
    for queue in made:
        await queue.close()


@pytest_asyncio.fixture
async def queue(make_queue: MakeQueue) -> AsyncCompletionQueue:
    return await make_queue()


@pytest.fixture
def publish(sns: Any) -> Publish:
    async def publish(queue: AsyncCompletionQueue, job_id: str, status: str = "SUCCEEDED", **kwargs: Any) -> str:
        await sns.publish(TopicArn=queue.topic_arn, Message=rekognition_message(job_id, status, **kwargs))
        return job_id

    return publish


async def depth(sqs: Any, queue_url: str) -> int:
    """Messages in the queue, visible or in flight."""
    attrs = (
        await sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


async def test_create_makes_topic_queue_policy_subscription_and_close_deletes(sns: Any, sqs: Any) -> None:
    async with AsyncCompletionQueue.create(ROLE_ARN, sns_client=sns, sqs_client=sqs, retry=fast_retry()) as queue:
        assert queue.channel.sns_topic_arn == queue.topic_arn
        assert queue.topic_arn.split(":")[-1].startswith("AmazonRekognition-")
        attrs = (await sqs.get_queue_attributes(QueueUrl=queue.queue_url, AttributeNames=["Policy"]))["Attributes"]
        policy = json.loads(attrs["Policy"])
        assert policy["Statement"][0]["Condition"] == {"ArnEquals": {"aws:SourceArn": queue.topic_arn}}
        subs = (await sns.list_subscriptions_by_topic(TopicArn=queue.topic_arn))["Subscriptions"]
        assert [s["Endpoint"] for s in subs] == [queue.queue_arn]
    topics = [t["TopicArn"] for t in (await sns.list_topics())["Topics"]]
    assert queue.topic_arn not in topics
    with pytest.raises(ClientError):
        await sqs.get_queue_attributes(QueueUrl=queue.queue_url, AttributeNames=["QueueArn"])
    await queue.close()  # idempotent


@pytest.mark.parametrize(("service", "operation"), [("sqs", "SetQueueAttributes"), ("sns", "Subscribe")])
async def test_failure_halfway_deletes_what_was_made(sns: Any, sqs: Any, service: str, operation: str) -> None:
    client = sns if service == "sns" else sqs

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, operation)

    client.meta.events.register(f"before-call.{service}.{operation}", refuse)
    prefix = f"AmazonRekognitionFail{uuid.uuid4().hex[:8]}"
    try:
        with pytest.raises(APIError) as info:
            await AsyncCompletionQueue.create(
                ROLE_ARN, sns_client=sns, sqs_client=sqs, name_prefix=prefix, retry=fast_retry()
            )
    finally:
        client.meta.events.unregister(f"before-call.{service}.{operation}", refuse)
    assert info.value.code == "AccessDenied"
    topics = [t["TopicArn"] for t in (await sns.list_topics())["Topics"] if prefix in t["TopicArn"]]
    queues = (await sqs.list_queues(QueueNamePrefix=prefix)).get("QueueUrls", [])
    assert topics == []
    assert queues == []


async def test_bad_inputs_are_refused_before_any_call(sns: Any, sqs: Any) -> None:
    with pytest.raises(RequestValidationError, match="role_arn"):
        AsyncCompletionQueue.create("not-a-role", sns_client=sns, sqs_client=sqs)
    with pytest.raises(RequestValidationError, match="Policy"):
        AsyncCompletionQueue.create(ROLE_ARN, sns_client=sns, sqs_client=sqs, queue_attributes={"Policy": "{}"})
    with pytest.raises(RequestValidationError, match="topic_arn"):
        AsyncCompletionQueue.attach("http://q", "arn:aws:sns:nope", ROLE_ARN, sns_client=sns, sqs_client=sqs)


async def test_keep_then_attach_never_deletes(sns: Any, sqs: Any, publish: Publish) -> None:
    async with AsyncCompletionQueue.create(ROLE_ARN, sns_client=sns, sqs_client=sqs, keep=True) as kept:
        pass
    job = await publish(kept, new_job_id())
    attach = AsyncCompletionQueue.attach(kept.queue_url, kept.topic_arn, ROLE_ARN, sns_client=sns, sqs_client=sqs)
    async with attach as q:
        assert q.queue_arn == kept.queue_arn
        assert (await q.wait_for(job, 10)).job_id == job
    assert await depth(sqs, kept.queue_url) == 0  # attach did not delete the queue
    kept.keep = False
    kept._closed = False
    await kept.close()


@pytest.mark.usefixtures("aws_env")
async def test_clients_made_from_session_and_closed(moto_url: str, aio_session: Any) -> None:
    queue = await AsyncCompletionQueue.create(ROLE_ARN, session=aio_session, endpoint_url=moto_url, region_name=REGION)
    try:
        assert queue.sqs_client.meta.config.retries["total_max_attempts"] == 1
        assert queue.sns_client.meta.endpoint_url == moto_url
    finally:
        await queue.close()


async def test_publish_then_wait_for_returns_it_and_deletes_it(
    queue: AsyncCompletionQueue, publish: Publish, sqs: Any
) -> None:
    job = await publish(queue, new_job_id(), job_tag="run-7")
    note = await queue.wait_for(job, 10)
    assert (note.job_id, note.status, note.job_tag) == (job, "SUCCEEDED", "run-7")
    assert await depth(sqs, queue.queue_url) == 0


async def test_other_jobs_messages_are_neither_deleted_nor_lost(
    queue: AsyncCompletionQueue, publish: Publish, sqs: Any
) -> None:
    mine, other = new_job_id(), new_job_id()
    await publish(queue, other)
    await publish(queue, mine)
    assert (await queue.wait_for(mine, 10)).job_id == mine
    assert await depth(sqs, queue.queue_url) == 1  # the other job's message is still in SQS
    calls = queue.receive_calls
    assert (await queue.wait_for(other, 10)).job_id == other
    assert queue.receive_calls == calls  # handed over from the in-process copy
    assert await depth(sqs, queue.queue_url) == 0


@pytest.mark.parametrize("status", ["FAILED", "ERROR"])
async def test_failed_or_error_raises_job_failed(queue: AsyncCompletionQueue, publish: Publish, status: str) -> None:
    job = await publish(queue, new_job_id(), status)
    with pytest.raises(JobFailedError) as info:
        await queue.wait_for(job, 10)
    assert info.value.status == status


async def test_wait_for_all_and_its_timeout_keeps_what_arrived(queue: AsyncCompletionQueue, publish: Publish) -> None:
    a, b, c = new_job_id(), new_job_id(), new_job_id()
    for job in (a, b):
        await publish(queue, job)
    notes = await queue.wait_for_all([a, b], 10)
    assert set(notes) == {a, b}
    await publish(queue, c)
    d = new_job_id()
    with pytest.raises(WaitTimeoutError) as info:
        await queue.wait_for_all([c, d], 1.5)
    assert info.value.job_id == d
    calls = queue.receive_calls
    assert (await queue.wait_for(c, 0.1)).job_id == c
    assert queue.receive_calls == calls


async def test_zero_timeout_and_bad_arguments(queue: AsyncCompletionQueue) -> None:
    with pytest.raises(WaitTimeoutError):
        await queue.wait_for(new_job_id(), 0)
    assert queue.receive_calls == 0
    with pytest.raises(RequestValidationError):
        await queue.wait_for_all("job", 1)
    with pytest.raises(RequestValidationError):
        await queue.wait_for_any([], 1)
    with pytest.raises(ValueError, match="timeout"):
        await queue.wait_for("job", -1)


async def test_malformed_messages_are_left_logged_and_counted(
    queue: AsyncCompletionQueue, sqs: Any, publish: Publish, caplog: pytest.LogCaptureFixture
) -> None:
    await sqs.send_message(QueueUrl=queue.queue_url, MessageBody="not json")
    job = await publish(queue, new_job_id())
    with caplog.at_level(logging.WARNING, logger="rekotrack"):
        assert (await queue.wait_for(job, 10)).job_id == job
    assert queue.malformed_count == 1
    assert "malformed message" in caplog.text
    assert await depth(sqs, queue.queue_url) == 1  # left for the redrive policy


async def test_discard_deletes_a_held_and_a_late_message(
    queue: AsyncCompletionQueue, publish: Publish, sqs: Any
) -> None:
    held, late, mine = new_job_id(), new_job_id(), new_job_id()
    await publish(queue, held)
    await publish(queue, mine)
    await queue.wait_for(mine, 10)
    await queue.discard(held)
    await queue.discard(late)
    await publish(queue, late)
    other = await publish(queue, new_job_id())
    await queue.wait_for(other, 10)
    assert await depth(sqs, queue.queue_url) == 0


async def test_two_coroutines_share_one_queue(queue: AsyncCompletionQueue, publish: Publish, sqs: Any) -> None:
    jobs = [new_job_id() for _ in range(6)]

    async def waiter(mine: list[str]) -> list[str]:
        return [(await queue.wait_for(job, 20)).job_id for job in mine]

    first = asyncio.create_task(waiter(jobs[::2]))
    second = asyncio.create_task(waiter(jobs[1::2]))
    await asyncio.sleep(0.2)
    for job in reversed(jobs):
        await publish(queue, job)
    got = await asyncio.gather(first, second)
    assert got == [jobs[::2], jobs[1::2]]
    assert await depth(sqs, queue.queue_url) == 0
    assert queue.receive_calls <= 10  # one receiver at a time, not one long poll per waiter


async def test_two_queues_on_one_sqs_queue_delete_no_foreign_message(
    queue: AsyncCompletionQueue, sns: Any, sqs: Any, publish: Publish
) -> None:
    other = await AsyncCompletionQueue.attach(
        queue.queue_url, queue.topic_arn, ROLE_ARN, sns_client=sns, sqs_client=sqs, retry=fast_retry()
    )
    a, b = new_job_id(), new_job_id()
    await publish(queue, a)
    await publish(queue, b)
    got = await asyncio.gather(queue.wait_for(a, 20), other.wait_for(b, 20))
    assert [n.job_id for n in got] == [a, b]
    assert await depth(sqs, queue.queue_url) == 0
    await other.close()


# ---- with the local Rekognition server publishing through moto SNS ------------------


@pytest_asyncio.fixture
async def publishing(moto_url: str) -> AsyncIterator[LocalRekognition]:
    with LocalRekognition(job_seconds=0.2, max_concurrent_jobs=5, sns_endpoint_url=moto_url) as srv:
        yield srv


@pytest_asyncio.fixture
async def tracker(publishing: LocalRekognition, aio_session: Any) -> AsyncIterator[AsyncPersonTracker]:
    async with aio_session.create_client(
        "rekognition", region_name=REGION, endpoint_url=publishing.url, config=NO_BOTOCORE_RETRIES, **FAKE
    ) as client:
        yield AsyncPersonTracker(client, retry=no_sleep_policy())


async def test_full_flow(
    publishing: LocalRekognition, tracker: AsyncPersonTracker, queue: AsyncCompletionQueue, sqs: Any
) -> None:
    uri = "s3://my-videos/clips/lobby.mp4"
    scene = SyntheticScene(seed=3, people=4, duration_ms=20_000)
    publishing.add_video(uri, scene)
    job = await tracker.start(uri, notification=queue.channel, job_tag="run-7")
    note = await queue.wait_for(job.job_id, 10)
    assert (note.job_id, note.status, note.job_tag) == (job.job_id, "SUCCEEDED", "run-7")
    assert note.to_aws() == publishing.notifications[-1].payload
    detections = [d.to_aws() async for d in tracker.persons(job.job_id)]
    assert detections == list(scene.ground_truth())
    assert await depth(sqs, queue.queue_url) == 0


async def test_job_wait_on_the_queue(
    publishing: LocalRekognition, tracker: AsyncPersonTracker, queue: AsyncCompletionQueue
) -> None:
    job = await tracker.start("s3://my-videos/clips/hall.mp4", notification=queue.channel)
    page = await job.wait(timeout=10, queue=queue)
    assert page.job_status == "SUCCEEDED"
    publishing.add_video("s3://my-videos/clips/bad.mp4", SyntheticScene(final_status="FAILED", status_message="codec"))
    bad = await tracker.start("s3://my-videos/clips/bad.mp4", notification=queue.channel)
    with pytest.raises(JobFailedError) as info:
        await bad.wait(timeout=10, queue=queue)
    assert info.value.status_message == "codec"  # read from Get: the notification has no reason


async def test_reused_token_sends_no_message_and_wait_does_not_hang(
    publishing: LocalRekognition, tracker: AsyncPersonTracker, queue: AsyncCompletionQueue
) -> None:
    uri = "s3://my-videos/clips/idem.mp4"
    job = await tracker.start(uri, notification=queue.channel, client_request_token="t-1")
    await queue.wait_for(job.job_id, 10)
    sent = len(publishing.notifications)
    again = await tracker.start(uri, notification=queue.channel, client_request_token="t-1")
    assert again.job_id == job.job_id
    page = await asyncio.wait_for(again.wait(timeout=10, queue=queue, status_check_interval=0.5), 5)
    assert page.job_status == "SUCCEEDED"
    assert len(publishing.notifications) == sent  # no second message


async def test_lost_message_is_found_by_the_status_check(
    tracker: AsyncPersonTracker, queue: AsyncCompletionQueue, caplog: pytest.LogCaptureFixture
) -> None:
    elsewhere = await make_unheard_channel(queue)
    job = await tracker.start("s3://my-videos/clips/lost-wait.mp4", notification=elsewhere)
    with caplog.at_level(logging.WARNING, logger="rekotrack"):
        page = await job.wait(timeout=10, queue=queue, status_check_interval=0.5)
    assert page.job_status == "SUCCEEDED"
    assert "no completion message" in caplog.text


async def make_unheard_channel(queue: AsyncCompletionQueue) -> Any:
    """A channel whose topic has no subscriber: the job's message is lost."""
    topic = await queue.sns_client.create_topic(Name=f"AmazonRekognition-unheard-{uuid.uuid4().hex[:6]}")
    return queue.channel.model_copy(update={"sns_topic_arn": topic["TopicArn"]})


async def test_track_many_with_the_server_limit_of_five(
    publishing: LocalRekognition, tracker: AsyncPersonTracker, queue: AsyncCompletionQueue
) -> None:
    failing = "s3://my-videos/clips/broken.mp4"
    erroring = "s3://my-videos/clips/odd.mp4"
    publishing.add_video(failing, SyntheticScene(final_status="FAILED", status_message="Unsupported codec."))
    publishing.add_video(erroring, SyntheticScene(final_status="FAILED", notification_status="ERROR"))
    videos = [f"s3://my-videos/clips/{i:02d}.mp4" for i in range(18)] + [failing, erroring]
    batch = tracker.track_many(videos, queue=queue, max_concurrent=5, timeout=30)
    outcomes = {video: outcome async for video, outcome in batch}
    assert set(outcomes) == set(videos)
    assert publishing.request_count("StartPersonTracking") == 20  # never refused: the limit was respected
    broken = outcomes.pop(failing)
    assert isinstance(broken, JobFailedError)
    assert (broken.status, broken.status_message) == ("FAILED", "Unsupported codec.")
    odd = outcomes.pop(erroring)
    assert isinstance(odd, JobFailedError)
    assert odd.status == "ERROR"
    assert all(isinstance(o, AsyncTrackingJob) for o in outcomes.values())


async def test_track_many_survives_the_account_limit(
    publishing: LocalRekognition, tracker: AsyncPersonTracker, queue: AsyncCompletionQueue
) -> None:
    """More slots than the account allows: LimitExceeded lowers the batch's concurrency instead of failing videos."""
    tracker.retry = no_sleep_policy(limit_max_attempts=1)
    videos = [f"s3://my-videos/clips/limit-{i}.mp4" for i in range(8)]
    outcomes = [o async for _, o in tracker.track_many(videos, queue=queue, max_concurrent=8, timeout=30)]
    assert len(outcomes) == 8
    assert all(isinstance(o, AsyncTrackingJob) for o in outcomes)


async def test_track_many_lost_message_is_found_by_status_check(
    tracker: AsyncPersonTracker, queue: AsyncCompletionQueue, sns: Any
) -> None:
    other = await sns.create_topic(Name=f"AmazonRekognition-elsewhere-{uuid.uuid4().hex[:6]}")
    channel_topic = other["TopicArn"]  # its completion goes to a topic nobody listens to
    original = queue.topic_arn
    queue.topic_arn = channel_topic
    try:
        outcomes = [
            o
            async for _, o in tracker.track_many(
                ["s3://my-videos/clips/lost.mp4"], queue=queue, timeout=10, status_check_interval=0.5
            )
        ]
    finally:
        queue.topic_arn = original
        await sns.delete_topic(TopicArn=channel_topic)
    assert len(outcomes) == 1
    assert isinstance(outcomes[0], AsyncTrackingJob)
