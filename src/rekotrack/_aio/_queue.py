"""The completion queue: completion over SNS → SQS (written in ``_aio/``, generated into ``_sync/``).

The queue owns (or attaches to) an SNS topic, a standard SQS queue subscribed to
it and the queue policy between them, and waits for the notifications of given
jobs without deleting or losing anyone else's:

- only the messages handed to the caller are deleted (with the latest receipt
  handle, duplicates included); a handed-over notification whose delete fails or
  is interrupted stays in process for the next wait;
- another job's message is made visible again at once (so other consumers get
  it) and a copy is kept in an in-process buffer for a later ``wait_for``; the
  buffer is a cache, the message itself stays in SQS until it is consumed;
- a malformed message is left alone for the queue's redrive policy, logged and
  counted;
- every wait has a deadline; long polls never outlast it.

The buffer and per-message decisions are :class:`rekotrack._core._queue.QueueState`;
create and close are the procedures of :mod:`rekotrack._core._sqs`. Any number of
waiters may share one queue: one long-polls at a time and hands the others their
messages (:class:`~rekotrack._aio._io.Gate`).
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rekotrack._core._constants import DEFAULT_PREFIX, QUEUE_READ_TIMEOUT, RECEIVE_GRACE
from rekotrack._core._procedure import adrive
from rekotrack._core._queue import (
    QueueState,
    check_wait,
    idle_pause,
    long_poll_seconds,
    skip_tail_poll,
    wait_all_timeout,
)
from rekotrack._core._sqs import (
    SqsCall,
    attach_call,
    check_attach,
    check_create,
    close_procedure,
    create_procedure,
)
from rekotrack._errors import APIError, JobFailedError, WaitTimeoutError
from rekotrack._models import CompletionNotification, NotificationChannel
from rekotrack._notifications import is_failure
from rekotrack._retry import RetryPolicy, acall_with_retries
from rekotrack._validation import check_job_id

from . import _io as io

if TYPE_CHECKING:
    from ._io import Session

__all__ = ["AsyncCompletionQueue"]

logger = logging.getLogger("rekotrack")


def _sender(policy: RetryPolicy, clients: Mapping[str, Any]) -> Callable[[SqsCall], Awaitable[Any]]:
    """Make a procedure's calls with these SNS/SQS clients, retried under ``policy``."""

    async def send(call: SqsCall) -> Any:
        method = getattr(clients[call.service], call.method)

        async def attempt() -> Any:
            return await method(**call.params)

        return await acall_with_retries(policy, call.operation, attempt, budget=QUEUE_READ_TIMEOUT)

    return send


async def _clients(
    stack: contextlib.AsyncExitStack,
    sns_client: Any,
    sqs_client: Any,
    session: Session | None,
    region_name: str | None,
    endpoint_url: str | None,
) -> tuple[Any, Any]:
    """The SNS and SQS clients: the ones given, or new ones (closed by ``stack``) that outlast a long poll."""
    if sns_client is None:
        sns_client = await io.make_client(
            session, region_name, endpoint_url, "sns", stack, read_timeout=QUEUE_READ_TIMEOUT
        )
    if sqs_client is None:
        sqs_client = await io.make_client(
            session, region_name, endpoint_url, "sqs", stack, read_timeout=QUEUE_READ_TIMEOUT
        )
    return sns_client, sqs_client


class AsyncCompletionQueue:
    """An SQS queue subscribed to the SNS topic Rekognition publishes job completions to.

    Build one with :meth:`create` (makes topic, queue, policy and subscription,
    and deletes them on :meth:`close` unless ``keep=True``) or :meth:`attach`
    (uses existing ones and never deletes them). Pass :attr:`channel` to
    ``tracker.start(..., notification=queue.channel)``, then :meth:`wait_for`.
    ``receive_calls`` counts ReceiveMessage requests; ``malformed_count`` counts
    distinct messages that could not be read.
    """

    def __init__(
        self,
        *,
        queue_url: str,
        queue_arn: str,
        topic_arn: str,
        role_arn: str,
        sns_client: Any,
        sqs_client: Any,
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
        self._gate = io.Gate()
        self._sleep = io.sleep

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
        sns_client: Any = None,
        sqs_client: Any = None,
        name_prefix: str = DEFAULT_PREFIX,
        keep: bool = False,
        session: Session | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        retry: RetryPolicy | None = None,
        raw_message_delivery: bool = False,
        queue_attributes: Mapping[str, str] | None = None,
    ) -> io.Opening[AsyncCompletionQueue]:
        """Make a topic ``{name_prefix}-{random}``, a standard queue of the same name, its policy and the subscription.

        ``role_arn`` is the role Rekognition assumes to publish (see docs/completion.md).
        The queue policy allows only ``sqs:SendMessage`` from this topic. Inputs are
        checked before any call. If a step fails (or is interrupted), whatever was
        already made is deleted before the error is raised. ``queue_attributes``
        (e.g. ``RedrivePolicy``, ``VisibilityTimeout``) are set on the new queue;
        ``Policy`` is rekotrack's. Clients not given are made from ``session`` and
        closed with the queue.
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

        return io.opening(open_)

    @classmethod
    def attach(
        cls,
        queue_url: str,
        topic_arn: str,
        role_arn: str,
        *,
        sns_client: Any = None,
        sqs_client: Any = None,
        session: Session | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> io.Opening[AsyncCompletionQueue]:
        """Use an existing queue subscribed to an existing topic; :meth:`close` never deletes them.

        Reads the queue's ARN (one GetQueueAttributes); the subscription and the
        queue policy are the caller's responsibility.
        """
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

        return io.opening(open_)

    @property
    def channel(self) -> NotificationChannel:
        """The NotificationChannel to pass to ``tracker.start``."""
        return NotificationChannel(sns_topic_arn=self.topic_arn, role_arn=self.role_arn)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(queue_url={self.queue_url!r}, topic_arn={self.topic_arn!r})"

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

        Raises :class:`JobFailedError` when it says FAILED or ERROR (the notification
        carries no reason, so ``status_message`` is None: ``tracker.status(job_id)``
        has it for FAILED), and :class:`WaitTimeoutError` at the deadline.
        """
        note = await self.wait_for_any([job_id], timeout)
        if is_failure(note):
            raise JobFailedError(job_id, str(note.status), None)
        return note

    async def wait_for_any(self, job_ids: Collection[str], timeout: float) -> CompletionNotification:
        """The first notification to arrive for any of ``job_ids``, whatever its status.

        Its message (and any duplicate) is deleted; no error is raised for FAILED or
        ERROR. Raises :class:`WaitTimeoutError` if none arrives within ``timeout`` s.
        """
        wanted = self._check_wait(job_ids, timeout)
        return await self._wait_any(wanted, self._clock() + timeout, timeout)

    async def wait_for_all(self, job_ids: Collection[str], timeout: float) -> dict[str, CompletionNotification]:
        """Every job's notification, by job id, within one deadline of ``timeout`` seconds.

        Returns FAILED and ERROR notifications too (check ``note.status``): one failed
        job must not hide the others. If it raises (:class:`WaitTimeoutError` at the
        deadline, an SQS error, a cancellation), the notifications already received
        are kept in process, so the next wait for them returns them at once.
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
            with self._gate:
                self._state.give_back(results.values())
            if not isinstance(exc, WaitTimeoutError):
                raise
            raise wait_all_timeout(pending, timeout) from None
        return results

    async def discard(self, job_id: str) -> None:
        """Say that ``job_id``'s notification is no longer needed (e.g. Get already said it ended).

        Its message, held now or arriving later, is deleted instead of being passed around.
        """
        check_job_id(job_id)
        with self._gate:
            handles = self._state.discard(job_id)
        await self._delete(handles)

    def _check_wait(self, job_ids: Collection[str], timeout: float) -> set[str]:
        wanted = check_wait(job_ids, timeout)
        if self._closed and self._owned and not self.keep:
            raise RuntimeError(f"{self!r} is closed")
        return wanted

    async def _wait_any(self, wanted: set[str], deadline: float, timeout: float) -> CompletionNotification:
        with self._gate:
            self._state.add_waiters(wanted)
        polled = False
        try:
            while True:
                with self._gate:
                    taken = self._state.take(wanted)
                    if taken is not None:
                        break
                    remaining = deadline - self._clock()
                    if remaining <= 0:
                        only = next(iter(wanted)) if len(wanted) == 1 else None
                        raise WaitTimeoutError(only, timeout)
                    if self._receiving:
                        await self._gate.wait(remaining)
                        continue
                    self._receiving = True
                try:
                    await self._receive(remaining, polled)
                    polled = True
                finally:
                    with self._gate:
                        self._receiving = False
                        self._gate.wake()
        finally:
            with self._gate:
                self._state.remove_waiters(wanted)
        note, handles = taken
        try:
            await self._delete(handles)
        except BaseException:
            with self._gate:
                self._state.give_back([note])  # interrupted before returning it: the next wait gets it
            raise
        return note

    # ---- internals ------------------------------------------------------------------

    async def _receive(self, remaining: float, polled: bool) -> None:
        """One ReceiveMessage (long poll no longer than ``remaining``), then act on each message."""
        if skip_tail_poll(remaining, polled):
            await self._sleep(remaining)
            return
        wait_seconds = long_poll_seconds(remaining)

        async def receive() -> list[Any]:
            with self._gate:
                self.receive_calls += 1
            response = await self.sqs_client.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
            )
            return list(response.get("Messages") or [])

        messages = await acall_with_retries(
            self.retry, "ReceiveMessage", receive, budget=wait_seconds + RECEIVE_GRACE
        )
        pause = idle_pause(len(messages), wait_seconds, remaining)
        if pause > 0:
            await self._sleep(pause)
        with self._gate:
            actions = self._state.dispatch_all(messages, self.queue_url)
            self._gate.wake()
        for operation, handle, visibility in actions:
            if operation == "DeleteMessage":
                await self._delete([handle])
            else:
                await self._release(handle, visibility)

    async def _release(self, handle: str, visibility: int) -> None:
        async def change() -> Any:
            return await self.sqs_client.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=handle, VisibilityTimeout=visibility
            )

        try:
            await acall_with_retries(self.retry, "ChangeMessageVisibility", change, budget=QUEUE_READ_TIMEOUT)
        except APIError as exc:
            # Consumed meanwhile, or the handle expired: either way the message is not lost.
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
        async def delete() -> Any:
            return await self.sqs_client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=handle)

        await acall_with_retries(self.retry, "DeleteMessage", delete, budget=QUEUE_READ_TIMEOUT)
