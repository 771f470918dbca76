"""Sync = async for the multi-step flows: queue wait, batch and collect send the same Rekognition requests
and end the same way; collect builds the same compact result in both; a job's items and pages are async
iterables without ``await``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from async_fixtures import NO_BOTOCORE_RETRIES
from async_support import FAKE, REGION, ROLE_ARN, no_sleep_policy

from rekotrack import AsyncCompletionQueue, AsyncPersonTracker, CompletionQueue, PersonTracker, TrackingResult
from rekotrack.testing import LocalRekognition, SyntheticScene

pytestmark = pytest.mark.asyncio

Request = tuple[str, str]


def _record(into: list[Request]) -> Any:
    def before_call(model: Any, params: dict[str, Any], **_: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        shape = {k: v for k, v in body.items() if k not in ("JobId", "NextToken", "ClientRequestToken")}
        if "NotificationChannel" in shape:  # each run has a queue (and topic) of its own
            shape["NotificationChannel"] = {**shape["NotificationChannel"], "SNSTopicArn": "<topic>"}
        into.append((model.name, json.dumps(shape, sort_keys=True)))

    return before_call


@pytest.fixture(scope="module")
def publishing(moto_url: str) -> Iterator[LocalRekognition]:
    with LocalRekognition(job_seconds=0.5, sns_endpoint_url=moto_url) as srv:
        srv.add_video("s3://flows/a.mp4", SyntheticScene(seed=11, people=5, duration_ms=30_000))
        srv.add_video("s3://flows/b.mp4", SyntheticScene(seed=12, people=3, duration_ms=20_000))
        srv.add_video("s3://flows/bad.mp4", SyntheticScene(final_status="FAILED", status_message="Unsupported codec."))
        yield srv


def _sync_clients(moto_url: str) -> tuple[Any, Any]:
    session = boto3.Session(region_name=REGION, **FAKE)
    return session.client("sns", endpoint_url=moto_url), session.client("sqs", endpoint_url=moto_url)


def _recorded_tracker(publishing: LocalRekognition) -> tuple[PersonTracker, list[Request]]:
    """A synchronous tracker on the server, and the list its Rekognition requests are recorded in."""
    requests: list[Request] = []
    client = publishing.client()
    client.meta.events.register("before-call.rekognition", _record(requests))
    return PersonTracker(client, retry=no_sleep_policy()), requests


def _outcome(value: Any) -> tuple[str, str | None]:
    if isinstance(value, BaseException):
        return (type(value).__name__, getattr(value, "status_message", None))
    return ("job", None)


def _summary(result: TrackingResult) -> tuple[int, int, Any, list[dict[str, Any]]]:
    return (len(result), result.nbytes, result.video_metadata, [d.to_aws() for d in result.detections])


async def test_queue_wait_and_collect(publishing: LocalRekognition, moto_url: str, sns: Any, sqs: Any) -> None:
    tracker, sync_requests = _recorded_tracker(publishing)
    sync_sns, sync_sqs = _sync_clients(moto_url)
    with CompletionQueue.create(ROLE_ARN, sns_client=sync_sns, sqs_client=sync_sqs) as queue:
        job = tracker.start("s3://flows/a.mp4", notification=queue.channel)
        sync_page = job.wait(timeout=30, queue=queue, status_check_interval=20)
        sync_result = job.collect(page_size=50)

    async_requests: list[Request] = []
    async with publishing_client(publishing) as aio_client:
        aio_client.meta.events.register("before-call.rekognition", _record(async_requests))
        atracker = AsyncPersonTracker(aio_client, retry=no_sleep_policy())
        async with AsyncCompletionQueue.create(ROLE_ARN, sns_client=sns, sqs_client=sqs) as aqueue:
            ajob = await atracker.start("s3://flows/a.mp4", notification=aqueue.channel)
            async_page = await ajob.wait(timeout=30, queue=aqueue, status_check_interval=20)
            async_result = await ajob.collect(page_size=50)

    assert async_requests == sync_requests
    assert sync_requests[:3] == [  # checked once, then the notification, then the status it names
        ("StartPersonTracking", sync_requests[0][1]),
        ("GetPersonTracking", json.dumps({"MaxResults": 1, "SortBy": "TIMESTAMP"})),
        ("GetPersonTracking", json.dumps({"MaxResults": 1, "SortBy": "TIMESTAMP"})),
    ]
    assert async_page.job_status == sync_page.job_status == "SUCCEEDED"
    assert type(async_result) is type(sync_result) is TrackingResult
    assert _summary(async_result) == _summary(sync_result)
    assert len(sync_result) == len(list(publishing.scene_for("s3://flows/a.mp4").ground_truth()))


async def test_batch(publishing: LocalRekognition, moto_url: str, sns: Any, sqs: Any) -> None:
    videos = ["s3://flows/a.mp4", "s3://flows/b.mp4", "s3://flows/bad.mp4", "not a uri"]
    tracker, sync_requests = _recorded_tracker(publishing)
    sync_sns, sync_sqs = _sync_clients(moto_url)
    with CompletionQueue.create(ROLE_ARN, sns_client=sync_sns, sqs_client=sync_sqs) as queue:
        sync = {v: _outcome(o) for v, o in tracker.track_many(videos, queue=queue, max_concurrent=2, timeout=30)}

    async_requests: list[Request] = []
    async with publishing_client(publishing) as aio_client:
        aio_client.meta.events.register("before-call.rekognition", _record(async_requests))
        atracker = AsyncPersonTracker(aio_client, retry=no_sleep_policy())
        async with AsyncCompletionQueue.create(ROLE_ARN, sns_client=sns, sqs_client=sqs) as aqueue:
            batch = atracker.track_many(videos, queue=aqueue, max_concurrent=2, timeout=30)
            asynchronous = {v: _outcome(o) async for v, o in batch}

    assert asynchronous == sync
    assert sync["s3://flows/bad.mp4"] == ("JobFailedError", "Unsupported codec.")
    assert sync["not a uri"][0] == "RequestValidationError"
    assert sorted(async_requests) == sorted(sync_requests)  # tasks may interleave; the requests are the same


async def test_job_items_and_pages_are_async_iterables_without_await(publishing: LocalRekognition) -> None:
    async with publishing_client(publishing) as aio_client:
        tracker = AsyncPersonTracker(aio_client, retry=no_sleep_policy())
        job = await tracker.start("s3://flows/b.mp4")
        detections = [d.to_aws() async for d in job.persons(timeout=30)]  # waits on the first __anext__
        pages = [p async for p in job.pages(page_size=40)]
    expected = list(publishing.scene_for("s3://flows/b.mp4").ground_truth())
    assert detections == expected
    assert sum(len(p.persons or ()) for p in pages) == len(expected)


class publishing_client:
    """An aiobotocore Rekognition client bound to ``server`` (``async with``)."""

    def __init__(self, server: LocalRekognition) -> None:
        from aiobotocore.session import get_session

        self._creator = get_session().create_client(
            "rekognition", region_name=REGION, endpoint_url=server.url, config=NO_BOTOCORE_RETRIES, **FAKE
        )

    async def __aenter__(self) -> Any:
        return await self._creator.__aenter__()

    async def __aexit__(self, *exc: Any) -> None:
        await self._creator.__aexit__(*exc)
