"""The async API mirrors the sync one; the shared sans-IO pieces behave the same under both drivers."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from rekotrack import CompletionQueue, PersonTracker, PersonTrackingPager, TrackingJob
from rekotrack._aio import AsyncCompletionQueue, AsyncPersonTracker, AsyncPersonTrackingPager, AsyncTrackingJob
from rekotrack._completion import BatchSlots, SqsCall, create_procedure, drive
from rekotrack._core._procedure import adrive

PAIRS = [
    (PersonTracker, AsyncPersonTracker),
    (TrackingJob, AsyncTrackingJob),
    (CompletionQueue, AsyncCompletionQueue),
    (PersonTrackingPager, AsyncPersonTrackingPager),
]


def _public(cls: type) -> dict[str, Any]:
    return {name: member for name, member in vars(cls).items() if not name.startswith("_")}


@pytest.mark.parametrize(("sync", "async_"), PAIRS, ids=lambda c: c.__name__)
def test_every_public_name_has_its_async_twin_with_the_same_parameters(sync: type, async_: type) -> None:
    for name, member in _public(sync).items():
        assert hasattr(async_, name), f"{async_.__name__} has no {name}"
        if isinstance(member, property):
            continue
        ours = list(inspect.signature(getattr(sync, name)).parameters)
        theirs = list(inspect.signature(getattr(async_, name)).parameters)
        assert theirs == ours, f"{async_.__name__}.{name}: {theirs} != {ours}"
    if sync is PersonTrackingPager:  # the property that may fetch has an awaitable twin
        assert inspect.iscoroutinefunction(AsyncPersonTrackingPager.get_video_metadata)


def test_request_making_methods_are_coroutines() -> None:
    for name in ("start", "get_page", "status", "wait", "collect"):
        assert inspect.iscoroutinefunction(getattr(AsyncPersonTracker, name)), name
    for name in ("wait_for", "wait_for_any", "wait_for_all", "discard", "close"):
        assert inspect.iscoroutinefunction(getattr(AsyncCompletionQueue, name)), name


class _Recorder:
    """Answers a procedure's calls; fails (or is cancelled) at one operation."""

    def __init__(self, fail_at: str, error: BaseException) -> None:
        self.fail_at = fail_at
        self.error = error
        self.calls: list[str] = []

    def answer(self, call: SqsCall) -> dict[str, Any]:
        self.calls.append(call.operation)
        if call.operation == self.fail_at:
            raise self.error
        return {
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:AmazonRekognition-x",
            "QueueUrl": "http://q",
            "Attributes": {"QueueArn": "arn:aws:sqs:us-east-1:123456789012:AmazonRekognition-x"},
            "SubscriptionArn": "arn:sub",
        }


UNDO = [
    "CreateTopic",
    "CreateQueue",
    "GetQueueAttributes",
    "SetQueueAttributes",
    "Subscribe",
    "DeleteQueue",
    "DeleteTopic",
]


def test_sync_create_undoes_on_failure() -> None:
    recorder = _Recorder("Subscribe", RuntimeError("no"))
    with pytest.raises(RuntimeError):
        drive(create_procedure("AmazonRekognition-x", {}, False), recorder.answer)
    assert recorder.calls == UNDO


@pytest.mark.asyncio
@pytest.mark.parametrize("error", [RuntimeError("no"), asyncio.CancelledError()], ids=["error", "cancelled"])
async def test_async_create_undoes_on_failure_and_on_cancellation(error: BaseException) -> None:
    recorder = _Recorder("Subscribe", error)

    async def send(call: SqsCall) -> dict[str, Any]:
        await asyncio.sleep(0)
        return recorder.answer(call)

    with pytest.raises(type(error)):
        await adrive(create_procedure("AmazonRekognition-x", {}, False), send)
    assert recorder.calls == UNDO


def test_batch_slots() -> None:
    slots = BatchSlots(5)
    assert slots.has_room(4)
    assert not slots.has_room(5)
    assert not slots.limit_hit(0)  # nothing of ours runs: the video fails
    assert slots.limit_hit(3)  # ours run: wait for a slot
    assert not slots.has_room(3)
    slots.freed()
    assert slots.capacity == 4
    for _ in range(5):
        slots.freed()
    assert slots.capacity == 5
