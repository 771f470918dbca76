"""AsyncCompletionQueue and the asynchronous ``track_many``: completion over SNS → SQS with aiobotocore.

Every decision is the synchronous queue's: the in-process buffer and per-message
rule are :class:`rekotrack._completion.QueueState`, create and close are the
same sans-IO procedures, the batch uses the same slot and outcome rules. Here one
coroutine at a time long-polls and wakes the others; a wait that is cancelled
deletes nothing it did not hand over, and a notification it had already taken
stays in process for the next wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Collection, Coroutine, Generator, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from botocore.exceptions import ClientError

from rekotrack._client import DEFAULT_WAIT_TIMEOUT
from rekotrack._completion import (
    DEFAULT_PREFIX,
    BatchSlots,
    JobWatch,
    Procedure,
    QueueState,
    SqsCall,
    attach_call,
    check_attach,
    check_batch,
    check_create,
    check_wait,
    close_procedure,
    create_procedure,
    idle_pause,
    long_poll_seconds,
    no_message_hint,
    note_verdict,
    skip_tail_poll,
    status_error_outcome,
    status_outcome,
    throttling_error,
    wait_all_timeout,
)
from rekotrack._errors import APIError, JobFailedError, LimitExceededError, RekotrackError, WaitTimeoutError
from rekotrack._models import CompletionNotification, NotificationChannel
from rekotrack._notifications import is_failure
from rekotrack._retry import RetryPolicy, acall_with_retries
from rekotrack._validation import check_job_id

from ._client import AsyncPersonTracker, AsyncTrackingJob, make_client

if TYPE_CHECKING:
    from aiobotocore.session import AioSession
    from types_aiobotocore_sns import SNSClient
    from types_aiobotocore_sqs import SQSClient
    from types_aiobotocore_sqs.type_defs import MessageTypeDef

    from rekotrack._completion import VideoT

__all__ = ["AsyncCompletionQueue", "track_many"]

logger = logging.getLogger("rekotrack")

T = TypeVar("T")


async def _typed_throttling(operation: str, fn: Callable[[], Awaitable[T]]) -> T:
    try:
        return await fn()
    except ClientError as exc:
        typed = throttling_error(exc, operation)
        if typed is None:
            raise
        raise typed from exc


def _sender(policy: RetryPolicy, clients: Mapping[str, Any]) -> Callable[[SqsCall], Awaitable[Any]]:
    """Make a procedure's calls with these SNS/SQS clients, retried under ``policy``."""

    async def send(call: SqsCall) -> Any:
        method = getattr(clients[call.service], call.method)
        operation = call.operation
        return await acall_with_retries(
            policy, operation, lambda: _typed_throttling(operation, lambda: method(**call.params))
        )

    return send


async def adrive(procedure: Procedure[T], send: Callable[[SqsCall], Awaitable[Any]]) -> T:
    """Run a procedure asynchronously: await each call, hand back its response or error (cancellation too)."""
    try:
        call = next(procedure)
        while True:
            try:
                response = await send(call)
            except BaseException as exc:
                call = procedure.throw(exc)
            else:
                call = procedure.send(response)
    except StopIteration as stop:
        return cast(T, stop.value)


class _Opening:
    """What :meth:`AsyncCompletionQueue.create` / ``attach`` return: await it, or use it with ``async with``."""

    def __init__(self, open_: Callable[[], Coroutine[Any, Any, AsyncCompletionQueue]]) -> None:
        self._open = open_
        self._queue: AsyncCompletionQueue | None = None

    def __await__(self) -> Generator[Any, None, AsyncCompletionQueue]:
        return self._open().__await__()

    async def __aenter__(self) -> AsyncCompletionQueue:
        self._queue = await self._open()
        return self._queue

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._queue is not None:
            await self._queue.__aexit__(exc_type, exc, tb)


class AsyncCompletionQueue:
    """:class:`rekotrack.CompletionQueue` for asyncio: an SQS queue subscribed to Rekognition's SNS topic.

    ``async with AsyncCompletionQueue.create(role_arn) as queue`` (or
    ``queue = await AsyncCompletionQueue.create(...)`` then ``await queue.close()``).
    Any number of coroutines may wait on one queue: one long-polls at a time and
    hands the others their messages. Messages of other jobs are made visible again
    and kept in process; only the messages handed to a caller are deleted.
    """

    def __init__(
        self,
        *,
        queue_url: str,
        queue_arn: str,
        topic_arn: str,
        role_arn: str,
        sns_client: SNSClient,
        sqs_client: SQSClient,
        retry: RetryPolicy | None = None,
        subscription_arn: str | None = None,
        owned: bool = False,
        keep: bool = False,
        clients: contextlib.AsyncExitStack | None = None,
    ) -> None:
        """Use :meth:`create` or :meth:`attach`; this only stores what they found or made."""
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.topic_arn = topic_arn
        self.role_arn = role_arn
        self.subscription_arn = subscription_arn
        self.sns_client = sns_client
        self.sqs_client = sqs_client
        self.retry = retry or RetryPolicy()
        self.keep = keep
        self.receive_calls = 0
        self._owned = owned
        self._closed = False
        self._clients = clients or contextlib.AsyncExitStack()
        self._clock: Callable[[], float] = time.monotonic
        self._state = QueueState()
        self._receiving = False
        self._round = asyncio.Event()  # set (and replaced) after each receive

    @property
    def malformed_count(self) -> int:
        """Distinct messages that could not be read (left in the queue for its redrive policy)."""
        return self._state.malformed_count

    # ---- construction -----------------------------------------------------------

    @classmethod
    def create(
        cls,
        role_arn: str,
        *,
        sns_client: SNSClient | None = None,
        sqs_client: SQSClient | None = None,
        name_prefix: str = DEFAULT_PREFIX,
        keep: bool = False,
        session: AioSession | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        retry: RetryPolicy | None = None,
        raw_message_delivery: bool = False,
        queue_attributes: Mapping[str, str] | None = None,
    ) -> _Opening:
        """Make topic, queue, policy and subscription as :meth:`rekotrack.CompletionQueue.create` does.

        Inputs are checked at once, before any call. Clients not given are made
        from ``session`` and closed with the queue. If a step fails (or is
        cancelled), whatever was already made is deleted before the error is raised.
        """
        extra = check_create(role_arn, name_prefix, queue_attributes)

        async def open_() -> AsyncCompletionQueue:
            stack = contextlib.AsyncExitStack()
            try:
                sns, sqs = await _clients(stack, sns_client, sqs_client, session, region_name, endpoint_url)
                name = f"{name_prefix}-{uuid.uuid4().hex[:16]}"
                policy = retry or RetryPolicy()
                made = await adrive(
                    create_procedure(name, extra, raw_message_delivery), _sender(policy, {"sns": sns, "sqs": sqs})
                )
            except BaseException:
                await stack.aclose()
                raise
            return cls(
                queue_url=made.queue_url,
                queue_arn=made.queue_arn,
                topic_arn=made.topic_arn,
                role_arn=role_arn,
                sns_client=sns,
                sqs_client=sqs,
                retry=policy,
                subscription_arn=made.subscription_arn,
                owned=True,
                keep=keep,
                clients=stack,
            )

        return _Opening(open_)

    @classmethod
    def attach(
        cls,
        queue_url: str,
        topic_arn: str,
        role_arn: str,
        *,
        sns_client: SNSClient | None = None,
        sqs_client: SQSClient | None = None,
        session: AioSession | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> _Opening:
        """Use an existing queue subscribed to an existing topic; :meth:`close` never deletes them."""
        check_attach(topic_arn, role_arn)

        async def open_() -> AsyncCompletionQueue:
            stack = contextlib.AsyncExitStack()
            try:
                sns, sqs = await _clients(stack, sns_client, sqs_client, session, region_name, endpoint_url)
                policy = retry or RetryPolicy()
                attributes = await _sender(policy, {"sns": sns, "sqs": sqs})(attach_call(queue_url))
            except BaseException:
                await stack.aclose()
                raise
            return cls(
                queue_url=queue_url,
                queue_arn=attributes["Attributes"]["QueueArn"],
                topic_arn=topic_arn,
                role_arn=role_arn,
                sns_client=sns,
                sqs_client=sqs,
                retry=policy,
                clients=stack,
            )

        return _Opening(open_)

    @property
    def channel(self) -> NotificationChannel:
        """The NotificationChannel to pass to ``tracker.start``."""
        return NotificationChannel(sns_topic_arn=self.topic_arn, role_arn=self.role_arn)

    def __repr__(self) -> str:
        return f"AsyncCompletionQueue(queue_url={self.queue_url!r}, topic_arn={self.topic_arn!r})"

    async def __aenter__(self) -> AsyncCompletionQueue:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            await self.close()
            return
        try:
            await self.close()
        except Exception as cleanup:
            logger.warning("cleanup of %r failed: %s", self, cleanup)

    async def close(self) -> None:
        """Delete the subscription, queue and topic that :meth:`create` made (unless ``keep``); close own clients.

        Idempotent. Every deletion is attempted; the first failure is raised after all were tried.
        """
        if self._closed:
            return
        self._closed = True
        try:
            if self._owned and not self.keep:
                send = _sender(self.retry, {"sns": self.sns_client, "sqs": self.sqs_client})
                await adrive(close_procedure(self.subscription_arn, self.queue_url, self.topic_arn, repr(self)), send)
        finally:
            await self._clients.aclose()

    # ---- waiting ----------------------------------------------------------------

    async def wait_for(self, job_id: str, timeout: float) -> CompletionNotification:
        """Wait up to ``timeout`` seconds for ``job_id``'s notification, delete its message, return it.

        Raises :class:`JobFailedError` for FAILED or ERROR (``status_message`` is None)
        and :class:`WaitTimeoutError` at the deadline.
        """
        note = await self.wait_for_any([job_id], timeout)
        if is_failure(note):
            raise JobFailedError(job_id, str(note.status), None)
        return note

    async def wait_for_any(self, job_ids: Collection[str], timeout: float) -> CompletionNotification:
        """The first notification to arrive for any of ``job_ids``, whatever its status."""
        wanted = self._check_wait(job_ids, timeout)
        return await self._wait_any(wanted, self._clock() + timeout, timeout)

    async def wait_for_all(self, job_ids: Collection[str], timeout: float) -> dict[str, CompletionNotification]:
        """Every job's notification, by job id, within one deadline of ``timeout`` seconds.

        If it raises or is cancelled, the notifications already received stay in
        process, so the next wait for them returns them at once.
        """
        wanted = self._check_wait(job_ids, timeout)
        deadline = self._clock() + timeout
        pending = list(dict.fromkeys(job_ids))
        results: dict[str, CompletionNotification] = {}
        try:
            while pending:
                note = await self._wait_any(set(pending) & wanted, deadline, timeout)
                results[note.job_id] = note
                pending.remove(note.job_id)
        except BaseException as exc:
            self._state.give_back(results.values())
            if not isinstance(exc, WaitTimeoutError):
                raise
            raise wait_all_timeout(pending, timeout) from None
        return results

    async def discard(self, job_id: str) -> None:
        """Say that ``job_id``'s notification is no longer needed; its message, held now or later, is deleted."""
        check_job_id(job_id)
        await self._delete(self._state.discard(job_id))

    def _check_wait(self, job_ids: Collection[str], timeout: float) -> set[str]:
        wanted = check_wait(job_ids, timeout)
        if self._closed and self._owned and not self.keep:
            raise RuntimeError(f"{self!r} is closed")
        return wanted

    async def _wait_any(self, wanted: set[str], deadline: float, timeout: float) -> CompletionNotification:
        self._state.add_waiters(wanted)
        polled = False
        try:
            while True:
                taken = self._state.take(wanted)
                if taken is not None:
                    break
                remaining = deadline - self._clock()
                if remaining <= 0:
                    only = next(iter(wanted)) if len(wanted) == 1 else None
                    raise WaitTimeoutError(only, timeout)
                if self._receiving:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._round.wait(), remaining)
                    continue
                self._receiving = True
                try:
                    await self._receive(remaining, polled)
                    polled = True
                finally:
                    self._receiving = False
                    self._next_round()
        finally:
            self._state.remove_waiters(wanted)
        note, handles = taken
        try:
            await self._delete(handles)
        except BaseException:
            self._state.give_back([note])  # cancelled before returning it: the next wait gets it
            raise
        return note

    def _next_round(self) -> None:
        """Wake every waiter (one of them may become the receiver)."""
        self._round.set()
        self._round = asyncio.Event()

    async def _receive(self, remaining: float, polled: bool) -> None:
        """One ReceiveMessage (long poll no longer than ``remaining``), then act on each message."""
        if skip_tail_poll(remaining, polled):
            await asyncio.sleep(remaining)
            return
        wait_seconds = long_poll_seconds(remaining)

        async def receive() -> list[MessageTypeDef]:
            self.receive_calls += 1
            response = await self.sqs_client.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
            )
            return list(response.get("Messages") or [])

        messages = await self._call("ReceiveMessage", receive)
        pause = idle_pause(len(messages), wait_seconds, remaining)
        if pause > 0:
            await asyncio.sleep(pause)
        actions = self._state.dispatch_all(cast(Any, messages), self.queue_url)
        self._next_round()
        for operation, handle, visibility in actions:
            if operation == "DeleteMessage":
                await self._delete([handle])
            else:
                await self._release(handle, visibility)

    async def _release(self, handle: str, visibility: int) -> None:
        try:
            await self._call(
                "ChangeMessageVisibility",
                lambda: self.sqs_client.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=handle, VisibilityTimeout=visibility
                ),
            )
        except APIError as exc:
            logger.debug("ChangeMessageVisibility failed (%s); the message's own timeout applies", exc)

    async def _delete(self, handles: list[str]) -> None:
        for handle in handles:
            try:
                await self._delete_one(handle)
            except APIError as exc:
                logger.warning(
                    "could not delete a consumed message from %s (%s); it will be deleted when seen again",
                    self.queue_url,
                    exc,
                )

    async def _delete_one(self, handle: str) -> None:
        await self._call(
            "DeleteMessage",
            lambda: self.sqs_client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=handle),
        )

    async def _call(self, operation: str, fn: Callable[[], Awaitable[T]]) -> T:
        return await acall_with_retries(self.retry, operation, lambda: _typed_throttling(operation, fn))


async def _clients(
    stack: contextlib.AsyncExitStack,
    sns_client: SNSClient | None,
    sqs_client: SQSClient | None,
    session: AioSession | None,
    region_name: str | None,
    endpoint_url: str | None,
) -> tuple[SNSClient, SQSClient]:
    # The read timeout outlasts a 20 s long poll.
    if sns_client is None:
        sns_client = await make_client(session, region_name, endpoint_url, "sns", stack, read_timeout=60)
    if sqs_client is None:
        sqs_client = await make_client(session, region_name, endpoint_url, "sqs", stack, read_timeout=60)
    return sns_client, sqs_client


# ---- batches ------------------------------------------------------------------------


async def _status_outcome(
    tracker: AsyncPersonTracker, job: AsyncTrackingJob
) -> AsyncTrackingJob | RekotrackError | None:
    try:
        page = await tracker.status(job.job_id)
    except RekotrackError as exc:
        return status_error_outcome(exc, job.job_id, tracker.operation.get_name)
    return status_outcome(job, page)


async def _note_outcome(
    tracker: AsyncPersonTracker, job: AsyncTrackingJob, note: CompletionNotification
) -> AsyncTrackingJob | RekotrackError | None:
    verdict = note_verdict(note)
    if verdict == "succeeded":
        return job
    if verdict == "failed":
        message: str | None = None
        try:
            message = (await tracker.status(job.job_id)).status_message
        except RekotrackError as exc:
            logger.debug("could not read the status message of job %s: %s", job.job_id, exc)
        return JobFailedError(job.job_id, str(note.status), message)
    return await _status_outcome(tracker, job)


async def _follow(
    tracker: AsyncPersonTracker, watch: JobWatch[Any, AsyncTrackingJob], queue: AsyncCompletionQueue
) -> AsyncTrackingJob | RekotrackError:
    """One job of a batch, in its own task: the same checks as the synchronous batch makes for each job."""
    clock = tracker._clock
    job = watch.job
    while True:
        due = watch.due(clock())
        if due == "timeout":
            return watch.timed_out()
        if due == "check":
            outcome = await _status_outcome(tracker, job)
            if outcome is None:
                watch.checked(clock())
                continue
            await queue.discard(job.job_id)  # a late message is deleted, not passed around
            no_message_hint(job.job_id, outcome, job)
            return outcome
        try:
            note = await queue.wait_for_any([job.job_id], watch.wake_at() - clock())
        except WaitTimeoutError:
            continue
        outcome = await _note_outcome(tracker, job, note)
        if outcome is not None:
            return outcome


def track_many(
    tracker: AsyncPersonTracker,
    videos: Iterable[VideoT],
    *,
    queue: AsyncCompletionQueue,
    max_concurrent: int = 20,
    timeout: float = DEFAULT_WAIT_TIMEOUT,
    job_tag: str | None = None,
    status_check_interval: float = 300.0,
) -> AsyncGenerator[tuple[VideoT, AsyncTrackingJob | RekotrackError], None]:
    """Track people in every video, at most ``max_concurrent`` jobs at once; yield ``(video, outcome)`` as each ends.

    The rules of :func:`rekotrack._completion.track_many` (outcomes, per-job
    timeout, status checks, LimitExceeded), with one asyncio task per running job.
    Closing the iterator early (``contextlib.aclosing``) or cancelling the consumer
    cancels those tasks and waits for them; the jobs themselves keep running on
    the service and can be waited for by id.
    """
    check_batch(max_concurrent, timeout, status_check_interval)
    return _track_many(tracker, videos, queue, max_concurrent, timeout, job_tag, status_check_interval)


async def _track_many(
    tracker: AsyncPersonTracker,
    videos: Iterable[VideoT],
    queue: AsyncCompletionQueue,
    max_concurrent: int,
    timeout: float,
    job_tag: str | None,
    check_every: float,
) -> AsyncGenerator[tuple[VideoT, AsyncTrackingJob | RekotrackError], None]:
    source = iter(videos)
    deferred: deque[VideoT] = deque()
    running: dict[asyncio.Task[AsyncTrackingJob | RekotrackError], VideoT] = {}
    slots = BatchSlots(max_concurrent)
    exhausted = False
    try:
        while True:
            while slots.has_room(len(running)) and (deferred or not exhausted):
                if deferred:
                    video = deferred.popleft()
                else:
                    try:
                        video = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                try:
                    job = await tracker.start(video, notification=queue.channel, job_tag=job_tag)
                except LimitExceededError as exc:
                    if not slots.limit_hit(len(running)):
                        yield video, exc
                        continue
                    deferred.appendleft(video)
                    break
                except RekotrackError as exc:
                    yield video, exc
                    continue
                watch = JobWatch.begin(video, job, tracker._clock(), timeout, check_every)
                task = asyncio.create_task(_follow(tracker, watch, queue), name=f"rekotrack-job-{job.job_id}")
                running[task] = video
            if not running:
                if exhausted and not deferred:
                    return
                continue
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in sorted(done, key=lambda t: t.get_name()):
                video = running.pop(task)
                slots.freed()
                yield video, task.result()
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
