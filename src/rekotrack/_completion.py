"""Completion over SNS → SQS: the queue that waits for jobs, and batches of jobs under the concurrency limit.

:class:`CompletionQueue` owns (or attaches to) an SNS topic, a standard SQS
queue subscribed to it and the queue policy between them, and waits for the
notifications of given jobs without deleting or losing anyone else's:

- only the messages handed to the caller are deleted (with the latest receipt
  handle, duplicates included);
- another job's message is made visible again at once (so other consumers get
  it) and a copy is kept in an in-process buffer for a later ``wait_for``; the
  buffer is a cache, the message itself stays in SQS until it is consumed;
- a malformed message is left alone for the queue's redrive policy, logged and
  counted;
- every wait has a deadline; long polls never outlast it.

Per-message decisions are the pure :func:`rekotrack._notifications.decide_message`.
:func:`track_many` runs a batch of videos through a tracker and a queue.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from botocore.exceptions import ClientError

from . import _constraints as c
from ._client import DEFAULT_WAIT_TIMEOUT, USER_AGENT, PersonTracker, TrackingJob
from ._errors import (
    APIError,
    JobFailedError,
    LimitExceededError,
    RekotrackError,
    RequestValidationError,
    ThrottlingError,
    WaitTimeoutError,
)
from ._models import CompletionNotification, NotificationChannel, Video
from ._notifications import decide_message, is_failure
from ._retry import RetryPolicy, call_with_retries, retry_kind
from ._validation import check_job_id

if TYPE_CHECKING:
    import boto3
    from types_boto3_sns import SNSClient
    from types_boto3_sqs import SQSClient
    from types_boto3_sqs.type_defs import MessageTypeDef

__all__ = ["CompletionQueue", "queue_policy", "track_many"]

logger = logging.getLogger("rekotrack")

T = TypeVar("T")
VideoT = TypeVar("VideoT", bound="str | Video")

LONG_POLL_SECONDS = 20
"""SQS's maximum WaitTimeSeconds."""
DEFAULT_PREFIX = "AmazonRekognition"
_PREFIX_RE = re.compile(r"\A[A-Za-z0-9_-]{1,60}\Z")
_SHORT_PAUSE = 0.25
_MAX_REMEMBERED = 10_000

# Throttling codes SNS and SQS answer with (query-compatible SQS codes may carry a
# "AWS.SimpleQueueService." prefix). They become ThrottlingError, which the policy retries.
_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "Throttled",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "KMSThrottlingException",
        "KMSThrottling",
    }
)


def queue_policy(queue_arn: str, topic_arn: str) -> dict[str, Any]:
    """The queue access policy: ``sqs:SendMessage`` from SNS for this one topic, nothing else."""
    return {
        "Version": "2012-10-17",
        "Id": f"{queue_arn}/rekotrack",
        "Statement": [
            {
                "Sid": "AllowRekognitionTopic",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }


def _typed_throttling(operation: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except ClientError as exc:
        error = exc.response.get("Error") or {}
        code = str(error.get("Code") or "")
        if code.rsplit(".", 1)[-1] not in _THROTTLING_CODES:
            raise
        meta: Mapping[str, Any] = exc.response.get("ResponseMetadata") or {}
        raise ThrottlingError(
            str(error.get("Message") or code),
            code=code,
            operation=operation,
            request_id=meta.get("RequestId"),
            http_status=meta.get("HTTPStatusCode"),
        ) from exc


def _make_clients(
    session: boto3.Session | None, region_name: str | None, endpoint_url: str | None
) -> tuple[SNSClient, SQSClient]:
    import boto3
    from botocore.config import Config

    # rekotrack's policy is the one retry layer; the read timeout outlasts a 20 s long poll.
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, user_agent_extra=USER_AGENT, read_timeout=60)
    sess = session or boto3.Session()
    sns = sess.client("sns", region_name=region_name, endpoint_url=endpoint_url, config=config)
    sqs = sess.client("sqs", region_name=region_name, endpoint_url=endpoint_url, config=config)
    return sns, sqs


def _check(name: str, value: str, constraint: c.Constraint) -> None:
    problem = constraint.problem(value)
    if problem is not None:
        raise RequestValidationError(name, problem, value)


class _Remembered:
    """An insertion-ordered set that forgets its oldest members beyond ``limit``."""

    def __init__(self, limit: int = _MAX_REMEMBERED) -> None:
        self._items: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def add(self, item: str) -> None:
        self._items[item] = None
        self._items.move_to_end(item)
        while len(self._items) > self._limit:
            self._items.popitem(last=False)

    def __contains__(self, item: object) -> bool:
        return item in self._items


@dataclass
class _Held:
    """A received notification kept in process; its message is still in SQS until consumed."""

    note: CompletionNotification
    receipt_handle: str | None
    sightings: int = 1


class CompletionQueue:
    """An SQS queue subscribed to the SNS topic Rekognition publishes job completions to.

    Build one with :meth:`create` (makes topic, queue, policy and subscription,
    and deletes them on :meth:`close` unless ``keep=True``) or :meth:`attach`
    (uses existing ones and never deletes them). Pass :attr:`channel` to
    ``tracker.start(..., notification=queue.channel)``, then :meth:`wait_for`.

    Safe to share between threads: one thread at a time long-polls and hands
    messages to the others. ``receive_calls`` counts ReceiveMessage requests;
    ``malformed_count`` counts distinct messages that could not be read.
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
        self.malformed_count = 0
        self._owned = owned
        self._closed = False
        self._clock: Callable[[], float] = time.monotonic
        self._sleep: Callable[[float], None] = time.sleep
        self._cond = threading.Condition()
        self._held: dict[str, _Held] = {}  # MessageId -> held notification
        self._delivered: dict[str, CompletionNotification] = {}  # consumed, not yet returned
        self._waiting: Counter[str] = Counter()
        self._finished = _Remembered()
        self._malformed = _Remembered()
        self._receiving = False
        self._max_held = _MAX_REMEMBERED

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
        session: boto3.Session | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        retry: RetryPolicy | None = None,
        raw_message_delivery: bool = False,
        queue_attributes: Mapping[str, str] | None = None,
    ) -> CompletionQueue:
        """Make a topic ``{name_prefix}-{random}``, a standard queue of the same name, its policy and the subscription.

        ``role_arn`` is the role Rekognition assumes to publish (see docs/completion.md).
        The queue policy allows only ``sqs:SendMessage`` from this topic. If a step
        fails, whatever was already made is deleted before the error is raised.
        ``queue_attributes`` (e.g. ``RedrivePolicy``, ``VisibilityTimeout``) are
        set on the new queue; ``Policy`` is rekotrack's.
        """
        _check("role_arn", role_arn, c.ROLE_ARN)
        if not _PREFIX_RE.match(name_prefix):
            raise RequestValidationError("name_prefix", "must be 1-60 characters of A-Z a-z 0-9 _ -", name_prefix)
        if not name_prefix.startswith(DEFAULT_PREFIX):
            logger.warning(
                "topic prefix %r does not start with %s: the managed AmazonRekognitionServiceRole "
                "policy cannot publish to it; give the role sns:Publish on the topic yourself",
                name_prefix,
                DEFAULT_PREFIX,
            )
        extra = dict(queue_attributes or {})
        if "Policy" in extra:
            raise RequestValidationError("queue_attributes", "must not set Policy (rekotrack sets it)", extra)
        if sns_client is None or sqs_client is None:
            made_sns, made_sqs = _make_clients(session, region_name, endpoint_url)
            sns_client = sns_client or made_sns
            sqs_client = sqs_client or made_sqs
        name = f"{name_prefix}-{uuid.uuid4().hex[:16]}"
        policy = retry or RetryPolicy()
        sns, sqs = sns_client, sqs_client

        def call(operation: str, fn: Callable[[], T]) -> T:
            return call_with_retries(policy, operation, lambda: _typed_throttling(operation, fn))

        undo: list[tuple[str, str, Callable[[], object]]] = []
        try:
            topic_arn = call("CreateTopic", lambda: sns.create_topic(Name=name))["TopicArn"]
            undo.append(("DeleteTopic", topic_arn, lambda: sns.delete_topic(TopicArn=topic_arn)))
            queue_url = call(
                "CreateQueue",
                lambda: sqs.create_queue(QueueName=name, Attributes=cast(Any, extra)),
            )["QueueUrl"]
            undo.append(("DeleteQueue", queue_url, lambda: sqs.delete_queue(QueueUrl=queue_url)))
            attributes = call(
                "GetQueueAttributes",
                lambda: sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"]),
            )
            queue_arn = attributes["Attributes"]["QueueArn"]
            document = json.dumps(queue_policy(queue_arn, topic_arn))
            call(
                "SetQueueAttributes",
                lambda: sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": document}),
            )
            sub_attributes = {"RawMessageDelivery": "true"} if raw_message_delivery else {}
            subscription_arn = call(
                "Subscribe",
                lambda: sns.subscribe(
                    TopicArn=topic_arn,
                    Protocol="sqs",
                    Endpoint=queue_arn,
                    Attributes=sub_attributes,
                    ReturnSubscriptionArn=True,
                ),
            )["SubscriptionArn"]
        except BaseException:
            for operation, what, fn in reversed(undo):
                try:
                    call(operation, fn)
                except Exception as exc:
                    logger.warning("could not delete %s after a failed create (%s): delete it yourself", what, exc)
            raise
        logger.debug("created topic %s, queue %s, subscription %s", topic_arn, queue_url, subscription_arn)
        return cls(
            queue_url=queue_url,
            queue_arn=queue_arn,
            topic_arn=topic_arn,
            role_arn=role_arn,
            sns_client=sns,
            sqs_client=sqs,
            retry=policy,
            subscription_arn=subscription_arn,
            owned=True,
            keep=keep,
        )

    @classmethod
    def attach(
        cls,
        queue_url: str,
        topic_arn: str,
        role_arn: str,
        *,
        sns_client: SNSClient | None = None,
        sqs_client: SQSClient | None = None,
        session: boto3.Session | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> CompletionQueue:
        """Use an existing queue subscribed to an existing topic; :meth:`close` never deletes them.

        Reads the queue's ARN (one GetQueueAttributes); the subscription and the
        queue policy are the caller's responsibility.
        """
        _check("topic_arn", topic_arn, c.SNS_TOPIC_ARN)
        _check("role_arn", role_arn, c.ROLE_ARN)
        if sns_client is None or sqs_client is None:
            made_sns, made_sqs = _make_clients(session, region_name, endpoint_url)
            sns_client = sns_client or made_sns
            sqs_client = sqs_client or made_sqs
        sqs = sqs_client
        policy = retry or RetryPolicy()
        attributes = call_with_retries(
            policy,
            "GetQueueAttributes",
            lambda: _typed_throttling(
                "GetQueueAttributes",
                lambda: sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"]),
            ),
        )
        return cls(
            queue_url=queue_url,
            queue_arn=attributes["Attributes"]["QueueArn"],
            topic_arn=topic_arn,
            role_arn=role_arn,
            sns_client=sns_client,
            sqs_client=sqs,
            retry=policy,
        )

    @property
    def channel(self) -> NotificationChannel:
        """The NotificationChannel to pass to ``tracker.start``."""
        return NotificationChannel(sns_topic_arn=self.topic_arn, role_arn=self.role_arn)

    def __repr__(self) -> str:
        return f"CompletionQueue(queue_url={self.queue_url!r}, topic_arn={self.topic_arn!r})"

    def __enter__(self) -> CompletionQueue:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.close()
            return
        try:
            self.close()
        except Exception as cleanup:
            logger.warning("cleanup of %r failed: %s", self, cleanup)

    def close(self) -> None:
        """Delete the subscription, queue and topic that :meth:`create` made (unless ``keep``).

        Idempotent. Every deletion is attempted; the first failure is raised after all were tried.
        """
        if self._closed:
            return
        self._closed = True
        if not self._owned or self.keep:
            return
        steps: list[tuple[str, Callable[[], object]]] = []
        if self.subscription_arn:
            arn = self.subscription_arn
            steps.append(("Unsubscribe", lambda: self.sns_client.unsubscribe(SubscriptionArn=arn)))
        steps.append(("DeleteQueue", lambda: self.sqs_client.delete_queue(QueueUrl=self.queue_url)))
        steps.append(("DeleteTopic", lambda: self.sns_client.delete_topic(TopicArn=self.topic_arn)))
        first: Exception | None = None
        for operation, fn in steps:
            try:
                self._call(operation, fn)
            except Exception as exc:
                logger.warning("%s failed while closing %r: %s", operation, self, exc)
                first = first or exc
        if first is not None:
            raise first

    # ---- waiting ----------------------------------------------------------------

    def wait_for(self, job_id: str, timeout: float) -> CompletionNotification:
        """Wait up to ``timeout`` seconds for ``job_id``'s notification, delete its message, return it.

        Raises :class:`JobFailedError` when it says FAILED or ERROR (the notification
        carries no reason, so ``status_message`` is None: ``tracker.status(job_id)``
        has it for FAILED), and :class:`WaitTimeoutError` at the deadline.
        """
        note = self.wait_for_any([job_id], timeout)
        if is_failure(note):
            raise JobFailedError(job_id, str(note.status), None)
        return note

    def wait_for_any(self, job_ids: Collection[str], timeout: float) -> CompletionNotification:
        """The first notification to arrive for any of ``job_ids``, whatever its status.

        Its message (and any duplicate) is deleted; no error is raised for FAILED or
        ERROR. Raises :class:`WaitTimeoutError` if none arrives within ``timeout`` s.
        """
        wanted = self._check_wait(job_ids, timeout)
        return self._wait_any(wanted, self._clock() + timeout, timeout)

    def wait_for_all(self, job_ids: Collection[str], timeout: float) -> dict[str, CompletionNotification]:
        """Every job's notification, by job id, within one deadline of ``timeout`` seconds.

        Returns FAILED and ERROR notifications too (check ``note.status``): one failed
        job must not hide the others. If it raises (:class:`WaitTimeoutError` at the
        deadline, or an SQS error), the notifications already received are kept in
        process, so the next wait for them returns them at once.
        """
        wanted = self._check_wait(job_ids, timeout)
        deadline = self._clock() + timeout
        pending = list(dict.fromkeys(job_ids))
        results: dict[str, CompletionNotification] = {}
        try:
            while pending:
                note = self._wait_any(set(pending) & wanted, deadline, timeout)
                results[note.job_id] = note
                pending.remove(note.job_id)
        except BaseException as exc:
            # What was consumed is not lost: the next wait in this process gets it at once.
            with self._cond:
                self._delivered.update(results)
            if not isinstance(exc, WaitTimeoutError):
                raise
            logger.debug("wait_for_all timed out; still pending: %s", pending)
            raise WaitTimeoutError(pending[0] if len(pending) == 1 else None, timeout) from None
        return results

    def discard(self, job_id: str) -> None:
        """Say that ``job_id``'s notification is no longer needed (e.g. Get already said it ended).

        Its message, held now or arriving later, is deleted instead of being passed around.
        """
        check_job_id(job_id)
        with self._cond:
            self._finished.add(job_id)
            self._delivered.pop(job_id, None)
            handles = self._pop_held(job_id)
        self._delete(handles)

    def _check_wait(self, job_ids: Collection[str], timeout: float) -> set[str]:
        if isinstance(job_ids, str):
            raise RequestValidationError("job_ids", "must be a collection of job ids, not one string", job_ids)
        wanted = set(job_ids)
        if not wanted:
            raise RequestValidationError("job_ids", "must not be empty", job_ids)
        for job_id in wanted:
            check_job_id(job_id)
        if not timeout >= 0:
            raise ValueError("timeout must be >= 0 seconds")
        if self._closed and self._owned and not self.keep:
            raise RuntimeError(f"{self!r} is closed")
        return wanted

    def _wait_any(self, wanted: set[str], deadline: float, timeout: float) -> CompletionNotification:
        with self._cond:
            self._waiting.update(wanted)
        try:
            while True:
                with self._cond:
                    taken = self._take(wanted)
                    if taken is not None:
                        break
                    remaining = deadline - self._clock()
                    if remaining <= 0:
                        only = next(iter(wanted)) if len(wanted) == 1 else None
                        raise WaitTimeoutError(only, timeout)
                    if self._receiving:
                        self._cond.wait(remaining)
                        continue
                    self._receiving = True
                try:
                    self._receive(remaining)
                finally:
                    with self._cond:
                        self._receiving = False
                        self._cond.notify_all()
        finally:
            with self._cond:
                self._waiting.subtract(wanted)
                for job_id in wanted:
                    if self._waiting[job_id] <= 0:
                        del self._waiting[job_id]
        note, handles = taken
        self._delete(handles)
        return note

    # ---- internals (the lock is held where a name says so) ------------------------

    def _take(self, wanted: set[str]) -> tuple[CompletionNotification, list[str]] | None:
        """Under the lock: the first held notification for a wanted job, and the handles to delete."""
        for job_id in wanted:
            if job_id in self._delivered:
                return self._delivered.pop(job_id), []
        for held in self._held.values():
            if held.note.job_id in wanted:
                job_id = held.note.job_id
                note = held.note
                break
        else:
            return None
        self._finished.add(job_id)
        return note, self._pop_held(job_id)

    def _pop_held(self, job_id: str) -> list[str]:
        """Under the lock: forget every held message of ``job_id``; their receipt handles."""
        ids = [mid for mid, held in self._held.items() if held.note.job_id == job_id]
        handles = []
        for mid in ids:
            handle = self._held.pop(mid).receipt_handle
            if handle:
                handles.append(handle)
        return handles

    def _receive(self, remaining: float) -> None:
        """One ReceiveMessage (long poll no longer than ``remaining``), then act on each message."""
        wait_seconds = max(0, min(LONG_POLL_SECONDS, int(remaining)))

        def receive() -> list[MessageTypeDef]:
            with self._cond:
                self.receive_calls += 1
            response = self.sqs_client.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
            )
            return list(response.get("Messages") or [])

        messages = self._call("ReceiveMessage", receive)
        if not messages and wait_seconds == 0:
            self._sleep(min(remaining, _SHORT_PAUSE))
        actions: list[tuple[str, str, int]] = []
        with self._cond:
            for message in messages:
                action = self._dispatch(message)
                if action is not None:
                    actions.append(action)
            self._cond.notify_all()
        for operation, handle, visibility in actions:
            if operation == "DeleteMessage":
                self._delete([handle])
            else:
                self._release(handle, visibility)

    def _dispatch(self, message: MessageTypeDef) -> tuple[str, str, int] | None:
        """Under the lock: update the buffer for one message; the SQS call it needs, if any."""
        handle = message.get("ReceiptHandle") or ""
        message_id = message.get("MessageId") or handle
        held = self._held.get(message_id)
        sightings = held.sightings + 1 if held is not None else 1
        decision = decide_message(
            cast(Mapping[str, Any], message), wanted=self._waiting, finished=self._finished, sightings=sightings
        )
        if decision.action == "skip":
            if message_id not in self._malformed:
                self._malformed.add(message_id)
                self.malformed_count += 1
                logger.warning(
                    "malformed message %s left in %s for its redrive policy: %s",
                    message_id,
                    self.queue_url,
                    decision.error,
                )
            return None
        if decision.action == "delete":
            self._held.pop(message_id, None)
            logger.debug("deleting late or duplicate message %s", message_id)
            return ("DeleteMessage", handle, 0)
        assert decision.notification is not None
        if held is None:
            self._held[message_id] = _Held(decision.notification, handle)
            self._evict()
        else:
            held.receipt_handle = handle
            held.sightings = sightings
        if decision.action == "release":
            logger.debug(
                "message %s is for job %s: kept in process, visible again in %s s",
                message_id,
                decision.notification.job_id,
                decision.visibility_timeout,
            )
            return ("ChangeMessageVisibility", handle, decision.visibility_timeout or 0)
        return None

    def _evict(self) -> None:
        """Under the lock: drop the oldest copies nobody waits for (their messages stay in SQS)."""
        if len(self._held) <= self._max_held:
            return
        for mid in [m for m, h in self._held.items() if h.note.job_id not in self._waiting]:
            del self._held[mid]
            if len(self._held) <= self._max_held:
                return

    def _release(self, handle: str, visibility: int) -> None:
        try:
            self._call(
                "ChangeMessageVisibility",
                lambda: self.sqs_client.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=handle, VisibilityTimeout=visibility
                ),
            )
        except APIError as exc:
            # Consumed meanwhile, or the handle expired: either way the message is not lost.
            logger.debug("ChangeMessageVisibility failed (%s); the message's own timeout applies", exc)

    def _delete(self, handles: list[str]) -> None:
        for handle in handles:
            try:
                self._delete_one(handle)
            except APIError as exc:
                logger.warning(
                    "could not delete a consumed message from %s (%s); it will be deleted when seen again",
                    self.queue_url,
                    exc,
                )

    def _delete_one(self, handle: str) -> None:
        self._call(
            "DeleteMessage",
            lambda: self.sqs_client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=handle),
        )

    def _call(self, operation: str, fn: Callable[[], T]) -> T:
        return call_with_retries(self.retry, operation, lambda: _typed_throttling(operation, fn))


# ---- batches ------------------------------------------------------------------------


@dataclass
class _Running(Generic[VideoT]):
    video: VideoT
    job: TrackingJob
    deadline: float
    next_check: float


_NO_MESSAGE_HINT = (
    "job %s ended (%s per GetPersonTracking) but no completion message arrived: check the role "
    "(sns:Publish, trusted by rekognition.amazonaws.com), the topic name prefix (AmazonRekognition), "
    "the queue policy (aws:SourceArn of the topic) and the subscription"
)


def _status_outcome(tracker: PersonTracker, job: TrackingJob) -> TrackingJob | RekotrackError | None:
    """One Get: the outcome if the job ended, None while it runs or if Get failed transiently."""
    try:
        page = tracker.status(job.job_id)
    except APIError as exc:
        if retry_kind(exc, tracker.operation.get_name) is not None:
            logger.debug("status check of job %s failed transiently: %s", job.job_id, exc)
            return None
        return exc
    except RekotrackError as exc:
        return exc
    if page.job_status == "SUCCEEDED":
        return job
    if page.job_status == "FAILED":
        return JobFailedError(job.job_id, "FAILED", page.status_message)
    return None


def _note_outcome(
    tracker: PersonTracker, job: TrackingJob, note: CompletionNotification
) -> TrackingJob | RekotrackError | None:
    if note.status == "SUCCEEDED":
        return job
    if is_failure(note):
        # The notification carries no reason; Get's StatusMessage has it for FAILED.
        message: str | None = None
        try:
            message = tracker.status(job.job_id).status_message
        except RekotrackError as exc:
            logger.debug("could not read the status message of job %s: %s", job.job_id, exc)
        return JobFailedError(job.job_id, str(note.status), message)
    logger.warning("job %s: unknown notification status %r; asking GetPersonTracking", job.job_id, note.status)
    return _status_outcome(tracker, job)


def track_many(
    tracker: PersonTracker,
    videos: Iterable[VideoT],
    *,
    queue: CompletionQueue,
    max_concurrent: int = 20,
    timeout: float = DEFAULT_WAIT_TIMEOUT,
    job_tag: str | None = None,
    status_check_interval: float = 300.0,
) -> Iterator[tuple[VideoT, TrackingJob | RekotrackError]]:
    """Track people in every video, at most ``max_concurrent`` jobs at once; yield ``(video, outcome)`` as each ends.

    ``outcome`` is the finished :class:`TrackingJob` or the error for that video
    (:class:`JobFailedError`, :class:`WaitTimeoutError`, a Start error ...): one
    failure does not stop the rest. A new job starts as soon as a slot frees.
    ``timeout`` is per job, counted from its start; a job that times out frees
    its slot (it may still run on the service). Every job's status is also read
    with GetPersonTracking every ``status_check_interval`` seconds, so a lost
    notification cannot stall the batch. LimitExceededException (other processes
    using the account's ~20 concurrent jobs) is retried by ``tracker.start``;
    if it persists while jobs of this batch run, the video waits for a free slot
    and the batch runs fewer jobs at once.
    """
    if max_concurrent < 1:
        raise ValueError("max_concurrent must be >= 1")
    if not timeout > 0:
        raise ValueError("timeout must be > 0 seconds")
    if not status_check_interval > 0:
        raise ValueError("status_check_interval must be > 0 seconds")
    return _track_many(tracker, videos, queue, max_concurrent, timeout, job_tag, status_check_interval)


def _track_many(
    tracker: PersonTracker,
    videos: Iterable[VideoT],
    queue: CompletionQueue,
    max_concurrent: int,
    timeout: float,
    job_tag: str | None,
    check_every: float,
) -> Iterator[tuple[VideoT, TrackingJob | RekotrackError]]:
    clock = time.monotonic
    source = iter(videos)
    deferred: deque[VideoT] = deque()
    running: dict[str, _Running[VideoT]] = {}
    capacity = max_concurrent
    exhausted = False

    while True:
        while len(running) < capacity and (deferred or not exhausted):
            if deferred:
                video = deferred.popleft()
            else:
                try:
                    video = next(source)
                except StopIteration:
                    exhausted = True
                    break
            try:
                job = tracker.start(video, notification=queue.channel, job_tag=job_tag)
            except LimitExceededError as exc:
                if not running:
                    yield video, exc
                    continue
                capacity = len(running)
                logger.warning("concurrent job limit reached with %d jobs running; waiting for a slot", capacity)
                deferred.appendleft(video)
                break
            except RekotrackError as exc:
                yield video, exc
                continue
            now = clock()
            running[job.job_id] = _Running(video, job, now + timeout, now + check_every)
        if not running:
            if exhausted and not deferred:
                return
            continue

        now = clock()
        for job_id, run in list(running.items()):
            outcome: TrackingJob | RekotrackError | None = None
            if run.deadline <= now:
                outcome = WaitTimeoutError(job_id, timeout, "IN_PROGRESS")
            elif run.next_check <= now:
                outcome = _status_outcome(tracker, run.job)
                if outcome is None:
                    run.next_check = clock() + check_every
                    continue
                queue.discard(job_id)  # a late message is deleted, not passed around
                if outcome is run.job or isinstance(outcome, JobFailedError):
                    logger.warning(_NO_MESSAGE_HINT, job_id, "SUCCEEDED" if outcome is run.job else "FAILED")
            else:
                continue
            del running[job_id]
            capacity = min(max_concurrent, capacity + 1)
            yield run.video, outcome
        if not running:
            continue

        wake = min(min(r.deadline, r.next_check) for r in running.values()) - clock()
        if wake <= 0:
            continue
        try:
            note = queue.wait_for_any(list(running), wake)
        except WaitTimeoutError:
            continue
        run = running.pop(note.job_id)
        outcome = _note_outcome(tracker, run.job, note)
        if outcome is None:
            running[note.job_id] = run
            continue
        capacity = min(max_concurrent, capacity + 1)
        yield run.video, outcome
