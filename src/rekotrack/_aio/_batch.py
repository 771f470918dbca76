"""Batches: start videos under the concurrent-job limit and yield each one's outcome as it ends.

The decisions are :class:`rekotrack._core._batch.Batch` (which video next, the
slots) and :func:`~rekotrack._core._batch.follow_procedure` (one job to its
outcome); ``_io.JobGroup`` runs the procedures (one asyncio task per job, or
multiplexed on one thread in the synchronous shell). Written in ``_aio/``,
generated into ``_sync/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, TypeVar

from rekotrack._core._batch import Batch, JobWatch, check_batch, follow_procedure
from rekotrack._core._constants import DEFAULT_STATUS_CHECK_INTERVAL, DEFAULT_WAIT_TIMEOUT
from rekotrack._core._wait import Discard, Status
from rekotrack._errors import LimitExceededError, RekotrackError

from . import _io as io

__all__ = ["track_many"]

VideoT = TypeVar("VideoT")


def track_many(
    tracker: Any,
    videos: Iterable[VideoT],
    *,
    queue: Any,
    max_concurrent: int = 20,
    timeout: float = DEFAULT_WAIT_TIMEOUT,
    job_tag: str | None = None,
    status_check_interval: float = DEFAULT_STATUS_CHECK_INTERVAL,
    start_inputs: Mapping[str, Any] | None = None,
) -> AsyncIterator[tuple[VideoT, Any]]:
    """Run every video through ``tracker``, at most ``max_concurrent`` jobs at once; yield ``(video, outcome)``.

    ``outcome`` is the finished job or the error for that video
    (:class:`JobFailedError`, :class:`WaitTimeoutError`, a Start error ...): one
    failure does not stop the rest. A new job starts as soon as a slot frees.
    ``timeout`` is per job, counted from its start; a job that times out frees
    its slot (it may still run on the service). Every job's status is also read
    with Get every ``status_check_interval`` seconds, so a lost notification
    cannot stall the batch. LimitExceededException (other processes using the
    account's ~20 concurrent jobs) is retried by ``tracker.start``; if it persists
    while jobs of this batch run, the video waits for a free slot and the batch
    runs fewer jobs at once. ``start_inputs`` are passed to every ``tracker.start``
    (an operation's own Start inputs, e.g. ``collection_id``). Closing the iterator early stops following the jobs
    (an asynchronous batch cancels its tasks); the jobs keep running on the service.
    """
    check_batch(max_concurrent, timeout, status_check_interval)
    inputs = dict(start_inputs or {})
    return _track_many(tracker, videos, queue, max_concurrent, timeout, job_tag, status_check_interval, inputs)


async def _track_many(
    tracker: Any,
    videos: Iterable[VideoT],
    queue: Any,
    max_concurrent: int,
    timeout: float,
    job_tag: str | None,
    check_every: float,
    inputs: Mapping[str, Any],
) -> AsyncIterator[tuple[VideoT, Any]]:
    batch: Batch[VideoT] = Batch(videos, max_concurrent)
    clock = tracker._clock

    async def answer(key: tuple[VideoT, Any], request: object) -> Any:
        job = key[1]
        if isinstance(request, Status):
            return await tracker._status(job.job_id, request.budget)
        if isinstance(request, Discard):
            return await queue.discard(job.job_id)
        raise TypeError(f"a batch procedure asked for {request!r}")

    group: io.JobGroup[tuple[VideoT, Any], Any] = io.JobGroup(queue, answer, clock)
    try:
        while True:
            while (chosen := batch.next_video(len(group))) is not None:
                video = chosen[0]
                try:
                    job = await tracker.start(video, notification=queue.channel, job_tag=job_tag, **inputs)
                except LimitExceededError as exc:
                    if batch.limit_hit(video, len(group)):
                        break
                    yield video, exc
                    continue
                except RekotrackError as exc:
                    yield video, exc
                    continue
                watch = JobWatch.begin(video, job, clock(), timeout, check_every)
                group.add((video, job), job.job_id, follow_procedure(watch, tracker.operation.get_name, clock))
            if not len(group):
                if batch.finished:
                    return
                continue
            for (video, _job), outcome in await group.next_done():
                batch.slots.freed()
                yield video, outcome
    finally:
        await group.close()
