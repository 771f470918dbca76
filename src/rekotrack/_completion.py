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

Per-message decisions are the pure :func:`rekotrack._notifications.decide_message`;
the in-process buffer is :class:`QueueState` and the create/close sequences are
sans-IO procedures (:func:`create_procedure`, :func:`close_procedure`) that yield
the SNS/SQS calls to make, so the asynchronous queue (``rekotrack._aio``) makes
every decision the same way. :func:`track_many` runs a batch of videos through a
tracker and a queue.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar, cast

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
from ._models import CompletionNotification, NotificationChannel, PersonTrackingPage, Video
from ._notifications import decide_message, is_failure
from ._retry import RetryPolicy, call_with_retries, retry_kind
from ._validation import check_job_id

if TYPE_CHECKING:
    import boto3
    from types_boto3_sns import SNSClient
    from types_boto3_sqs import SQSClient
    from types_boto3_sqs.type_defs import MessageTypeDef

__all__ = [
    "BatchSlots",
    "CompletionQueue",
    "JobWatch",
    "Made",
    "Procedure",
    "QueueState",
    "SqsCall",
    "attach_call",
    "check_attach",
    "check_batch",
    "check_create",
    "check_wait",
    "close_procedure",
    "create_procedure",
    "drive",
    "idle_pause",
    "long_poll_seconds",
    "no_message_hint",
    "note_verdict",
    "queue_policy",
    "skip_tail_poll",
    "status_error_outcome",
    "status_outcome",
    "throttling_error",
    "track_many",
    "wait_all_timeout",
]

logger = logging.getLogger("rekotrack")

T = TypeVar("T")
VideoT = TypeVar("VideoT", bound="str | Video")


class _Job(Protocol):
    job_id: str


JobT = TypeVar("JobT", bound=_Job)

LONG_POLL_SECONDS = 20
"""SQS's maximum WaitTimeSeconds."""
DEFAULT_PREFIX = "AmazonRekognition"
_PREFIX_RE = re.compile(r"\A[A-Za-z0-9_-]{1,60}\Z")
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


def throttling_error(exc: ClientError, operation: str) -> ThrottlingError | None:
    """The ThrottlingError (which the policy retries) for an SNS/SQS throttling answer; None for other errors."""
    error = exc.response.get("Error") or {}
    code = str(error.get("Code") or "")
    if code.rsplit(".", 1)[-1] not in _THROTTLING_CODES:
        return None
    meta: Mapping[str, Any] = exc.response.get("ResponseMetadata") or {}
    return ThrottlingError(
        str(error.get("Message") or code),
        code=code,
        operation=operation,
        request_id=meta.get("RequestId"),
        http_status=meta.get("HTTPStatusCode"),
    )


def _typed_throttling(operation: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except ClientError as exc:
        typed = throttling_error(exc, operation)
        if typed is None:
            raise
        raise typed from exc


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


def check_create(role_arn: str, name_prefix: str, queue_attributes: Mapping[str, str] | None) -> dict[str, str]:
    """Check :meth:`CompletionQueue.create`'s inputs before any call; the extra queue attributes to set."""
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
    return extra


def check_attach(topic_arn: str, role_arn: str) -> None:
    """Check :meth:`CompletionQueue.attach`'s inputs before any call."""
    _check("topic_arn", topic_arn, c.SNS_TOPIC_ARN)
    _check("role_arn", role_arn, c.ROLE_ARN)


def check_wait(job_ids: Collection[str], timeout: float) -> set[str]:
    """Check a wait's job ids and timeout; the set of job ids."""
    if isinstance(job_ids, str):
        raise RequestValidationError("job_ids", "must be a collection of job ids, not one string", job_ids)
    wanted = set(job_ids)
    if not wanted:
        raise RequestValidationError("job_ids", "must not be empty", job_ids)
    for job_id in wanted:
        check_job_id(job_id)
    if not timeout >= 0:
        raise ValueError("timeout must be >= 0 seconds")
    return wanted


def long_poll_seconds(remaining: float) -> int:
    """ReceiveMessage's WaitTimeSeconds: SQS's 20 s at most, never past the deadline."""
    return max(0, min(LONG_POLL_SECONDS, int(remaining)))


def idle_pause(received: int, wait_seconds: int, remaining: float) -> float:
    """The pause after an empty short poll (under a second left): the rest of the wait, so it does not spin."""
    return remaining if not received and wait_seconds == 0 else 0.0


def skip_tail_poll(remaining: float, polled: bool) -> bool:
    """True when a wait that already long-polled has under a second left: sleep it out, no 0-second poll.

    SQS waits in whole seconds, so a deadline always leaves such a tail; polling it would add
    receives to every idle minute. A message that arrives in it stays queued for the next wait.
    """
    return polled and long_poll_seconds(remaining) == 0


def wait_all_timeout(pending: Sequence[str], timeout: float) -> WaitTimeoutError:
    """The error of a ``wait_for_all`` that reached its deadline with ``pending`` jobs left."""
    logger.debug("wait_for_all timed out; still pending: %s", pending)
    return WaitTimeoutError(pending[0] if len(pending) == 1 else None, timeout)


# ---- SNS/SQS calls as data: the procedures both queues drive -------------------------


@dataclass(frozen=True)
class SqsCall:
    """One SNS or SQS request a procedure asks its driver to make (and retry under the policy)."""

    operation: str
    service: Literal["sns", "sqs"]
    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Made:
    """What :func:`create_procedure` made."""

    topic_arn: str
    queue_url: str
    queue_arn: str
    subscription_arn: str


Procedure = Generator[SqsCall, Any, T]
"""A sans-IO procedure: yields the calls to make, is sent each response, has each call's error thrown in."""


def create_procedure(name: str, extra: Mapping[str, str], raw_message_delivery: bool) -> Procedure[Made]:
    """Topic, queue, its ARN, its policy, then the subscription; on a failure, delete what was made, newest first."""
    undo: list[tuple[str, SqsCall]] = []
    try:
        topic_arn = (yield SqsCall("CreateTopic", "sns", "create_topic", {"Name": name}))["TopicArn"]
        undo.append((topic_arn, SqsCall("DeleteTopic", "sns", "delete_topic", {"TopicArn": topic_arn})))
        queue_url = (
            yield SqsCall("CreateQueue", "sqs", "create_queue", {"QueueName": name, "Attributes": dict(extra)})
        )["QueueUrl"]
        undo.append((queue_url, SqsCall("DeleteQueue", "sqs", "delete_queue", {"QueueUrl": queue_url})))
        attributes = yield SqsCall(
            "GetQueueAttributes",
            "sqs",
            "get_queue_attributes",
            {"QueueUrl": queue_url, "AttributeNames": ["QueueArn"]},
        )
        queue_arn = attributes["Attributes"]["QueueArn"]
        document = json.dumps(queue_policy(queue_arn, topic_arn))
        yield SqsCall(
            "SetQueueAttributes",
            "sqs",
            "set_queue_attributes",
            {"QueueUrl": queue_url, "Attributes": {"Policy": document}},
        )
        sub_attributes = {"RawMessageDelivery": "true"} if raw_message_delivery else {}
        subscription = yield SqsCall(
            "Subscribe",
            "sns",
            "subscribe",
            {
                "TopicArn": topic_arn,
                "Protocol": "sqs",
                "Endpoint": queue_arn,
                "Attributes": sub_attributes,
                "ReturnSubscriptionArn": True,
            },
        )
        subscription_arn = subscription["SubscriptionArn"]
    except GeneratorExit:
        raise
    except BaseException:
        for what, call in reversed(undo):
            try:
                yield call
            except Exception as exc:
                logger.warning("could not delete %s after a failed create (%s): delete it yourself", what, exc)
        raise
    logger.debug("created topic %s, queue %s, subscription %s", topic_arn, queue_url, subscription_arn)
    return Made(topic_arn, queue_url, queue_arn, subscription_arn)


def attach_call(queue_url: str) -> SqsCall:
    """The one call :meth:`CompletionQueue.attach` makes: the queue's ARN."""
    params = {"QueueUrl": queue_url, "AttributeNames": ["QueueArn"]}
    return SqsCall("GetQueueAttributes", "sqs", "get_queue_attributes", params)


def close_procedure(subscription_arn: str | None, queue_url: str, topic_arn: str, name: str) -> Procedure[None]:
    """Unsubscribe, delete the queue, delete the topic: every step tried; the first failure raised after all."""
    steps: list[SqsCall] = []
    if subscription_arn:
        steps.append(SqsCall("Unsubscribe", "sns", "unsubscribe", {"SubscriptionArn": subscription_arn}))
    steps.append(SqsCall("DeleteQueue", "sqs", "delete_queue", {"QueueUrl": queue_url}))
    steps.append(SqsCall("DeleteTopic", "sns", "delete_topic", {"TopicArn": topic_arn}))
    first: Exception | None = None
    for call in steps:
        try:
            yield call
        except Exception as exc:
            logger.warning("%s failed while closing %s: %s", call.operation, name, exc)
            first = first or exc
    if first is not None:
        raise first


def drive(procedure: Procedure[T], send: Callable[[SqsCall], Any]) -> T:
    """Run a procedure synchronously: make each call with ``send``, hand back its response or error."""
    try:
        call = next(procedure)
        while True:
            try:
                response = send(call)
            except BaseException as exc:
                call = procedure.throw(exc)
            else:
                call = procedure.send(response)
    except StopIteration as stop:
        return cast(T, stop.value)


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


Action = tuple[str, str, int]
"""An SQS call a received message needs: (``DeleteMessage`` or ``ChangeMessageVisibility``, handle, visibility)."""


class QueueState:
    """What one queue consumer holds in process, and its decisions for each message; no I/O and no lock.

    ``held``: received notifications of jobs not yet handed over (their messages stay
    in SQS until consumed); ``delivered``: consumed but not yet returned (a failed or
    cancelled wait leaves them here for the next one); ``waiting``: job ids waiters
    want now; ``finished``: jobs handed over or discarded (a late copy is deleted).
    The synchronous queue calls it under its lock, the asynchronous one from its loop.
    """

    def __init__(self, max_held: int = _MAX_REMEMBERED) -> None:
        self.held: dict[str, _Held] = {}  # MessageId -> held notification
        self.delivered: dict[str, CompletionNotification] = {}
        self.waiting: Counter[str] = Counter()
        self.finished = _Remembered()
        self.malformed = _Remembered()
        self.malformed_count = 0
        self.max_held = max_held

    def add_waiters(self, wanted: Iterable[str]) -> None:
        self.waiting.update(wanted)

    def remove_waiters(self, wanted: Iterable[str]) -> None:
        wanted = list(wanted)
        self.waiting.subtract(wanted)
        for job_id in wanted:
            if self.waiting[job_id] <= 0:
                del self.waiting[job_id]

    def take(self, wanted: Collection[str]) -> tuple[CompletionNotification, list[str]] | None:
        """The first notification in hand for a wanted job, and the receipt handles to delete for it."""
        for job_id in wanted:
            if job_id in self.delivered:
                return self.delivered.pop(job_id), []
        for held in self.held.values():
            if held.note.job_id in wanted:
                job_id = held.note.job_id
                note = held.note
                break
        else:
            return None
        self.finished.add(job_id)
        return note, self.pop_held(job_id)

    def give_back(self, notes: Iterable[CompletionNotification]) -> None:
        """Consumed notes that did not reach the caller: the next wait for them returns them at once."""
        for note in notes:
            self.delivered[note.job_id] = note

    def pop_held(self, job_id: str) -> list[str]:
        """Forget every held message of ``job_id``; their receipt handles."""
        ids = [mid for mid, held in self.held.items() if held.note.job_id == job_id]
        handles = []
        for mid in ids:
            handle = self.held.pop(mid).receipt_handle
            if handle:
                handles.append(handle)
        return handles

    def discard(self, job_id: str) -> list[str]:
        """``job_id``'s notification is no longer needed: the handles of its held messages, to delete."""
        self.finished.add(job_id)
        self.delivered.pop(job_id, None)
        return self.pop_held(job_id)

    def dispatch_all(self, messages: Iterable[MessageTypeDef], queue_url: str) -> list[Action]:
        """Update the buffer for each received message; the SQS calls they need."""
        actions = []
        for message in messages:
            action = self.dispatch(message, queue_url)
            if action is not None:
                actions.append(action)
        return actions

    def dispatch(self, message: MessageTypeDef, queue_url: str) -> Action | None:
        """Update the buffer for one message; the SQS call it needs, if any."""
        handle = message.get("ReceiptHandle") or ""
        message_id = message.get("MessageId") or handle
        held = self.held.get(message_id)
        sightings = held.sightings + 1 if held is not None else 1
        decision = decide_message(
            cast(Mapping[str, Any], message), wanted=self.waiting, finished=self.finished, sightings=sightings
        )
        if decision.action == "skip":
            if message_id not in self.malformed:
                self.malformed.add(message_id)
                self.malformed_count += 1
                logger.warning(
                    "malformed message %s left in %s for its redrive policy: %s",
                    message_id,
                    queue_url,
                    decision.error,
                )
            return None
        if decision.action == "delete":
            self.held.pop(message_id, None)
            logger.debug("deleting late or duplicate message %s", message_id)
            return ("DeleteMessage", handle, 0)
        assert decision.notification is not None
        if held is None:
            self.held[message_id] = _Held(decision.notification, handle)
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
        """Drop the oldest copies nobody waits for (their messages stay in SQS)."""
        if len(self.held) <= self.max_held:
            return
        for mid in [m for m, h in self.held.items() if h.note.job_id not in self.waiting]:
            del self.held[mid]
            if len(self.held) <= self.max_held:
                return


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
        self._owned = owned
        self._closed = False
        self._clock: Callable[[], float] = time.monotonic
        self._sleep: Callable[[float], None] = time.sleep
        self._cond = threading.Condition()
        self._state = QueueState()
        self._receiving = False

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
        extra = check_create(role_arn, name_prefix, queue_attributes)
        if sns_client is None or sqs_client is None:
            made_sns, made_sqs = _make_clients(session, region_name, endpoint_url)
            sns_client = sns_client or made_sns
            sqs_client = sqs_client or made_sqs
        name = f"{name_prefix}-{uuid.uuid4().hex[:16]}"
        policy = retry or RetryPolicy()
        clients = {"sns": sns_client, "sqs": sqs_client}
        made = drive(create_procedure(name, extra, raw_message_delivery), _sender(policy, clients))
        return cls(
            queue_url=made.queue_url,
            queue_arn=made.queue_arn,
            topic_arn=made.topic_arn,
            role_arn=role_arn,
            sns_client=sns_client,
            sqs_client=sqs_client,
            retry=policy,
            subscription_arn=made.subscription_arn,
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
        check_attach(topic_arn, role_arn)
        if sns_client is None or sqs_client is None:
            made_sns, made_sqs = _make_clients(session, region_name, endpoint_url)
            sns_client = sns_client or made_sns
            sqs_client = sqs_client or made_sqs
        policy = retry or RetryPolicy()
        attributes = _sender(policy, {"sns": sns_client, "sqs": sqs_client})(attach_call(queue_url))
        return cls(
            queue_url=queue_url,
            queue_arn=attributes["Attributes"]["QueueArn"],
            topic_arn=topic_arn,
            role_arn=role_arn,
            sns_client=sns_client,
            sqs_client=sqs_client,
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
        send = _sender(self.retry, {"sns": self.sns_client, "sqs": self.sqs_client})
        drive(close_procedure(self.subscription_arn, self.queue_url, self.topic_arn, repr(self)), send)

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
                self._state.give_back(results.values())
            if not isinstance(exc, WaitTimeoutError):
                raise
            raise wait_all_timeout(pending, timeout) from None
        return results

    def discard(self, job_id: str) -> None:
        """Say that ``job_id``'s notification is no longer needed (e.g. Get already said it ended).

        Its message, held now or arriving later, is deleted instead of being passed around.
        """
        check_job_id(job_id)
        with self._cond:
            handles = self._state.discard(job_id)
        self._delete(handles)

    def _check_wait(self, job_ids: Collection[str], timeout: float) -> set[str]:
        wanted = check_wait(job_ids, timeout)
        if self._closed and self._owned and not self.keep:
            raise RuntimeError(f"{self!r} is closed")
        return wanted

    def _wait_any(self, wanted: set[str], deadline: float, timeout: float) -> CompletionNotification:
        with self._cond:
            self._state.add_waiters(wanted)
        polled = False
        try:
            while True:
                with self._cond:
                    taken = self._state.take(wanted)
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
                    self._receive(remaining, polled)
                    polled = True
                finally:
                    with self._cond:
                        self._receiving = False
                        self._cond.notify_all()
        finally:
            with self._cond:
                self._state.remove_waiters(wanted)
        note, handles = taken
        self._delete(handles)
        return note

    # ---- internals ------------------------------------------------------------------

    def _receive(self, remaining: float, polled: bool) -> None:
        """One ReceiveMessage (long poll no longer than ``remaining``), then act on each message."""
        if skip_tail_poll(remaining, polled):
            self._sleep(remaining)
            return
        wait_seconds = long_poll_seconds(remaining)

        def receive() -> list[MessageTypeDef]:
            with self._cond:
                self.receive_calls += 1
            response = self.sqs_client.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
            )
            return list(response.get("Messages") or [])

        messages = self._call("ReceiveMessage", receive)
        pause = idle_pause(len(messages), wait_seconds, remaining)
        if pause > 0:
            self._sleep(pause)
        with self._cond:
            actions = self._state.dispatch_all(messages, self.queue_url)
            self._cond.notify_all()
        for operation, handle, visibility in actions:
            if operation == "DeleteMessage":
                self._delete([handle])
            else:
                self._release(handle, visibility)

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


def _sender(policy: RetryPolicy, clients: Mapping[str, Any]) -> Callable[[SqsCall], Any]:
    """Make a procedure's calls with these SNS/SQS clients, retried under ``policy``."""

    def send(call: SqsCall) -> Any:
        method = getattr(clients[call.service], call.method)
        operation = call.operation
        return call_with_retries(policy, operation, lambda: _typed_throttling(operation, lambda: method(**call.params)))

    return send


# ---- batches ------------------------------------------------------------------------


@dataclass
class JobWatch(Generic[VideoT, JobT]):
    """One running job of a batch: when it times out and when its status is next read with Get."""

    video: VideoT
    job: JobT
    deadline: float
    next_check: float
    timeout: float
    check_every: float

    @classmethod
    def begin(cls, video: VideoT, job: JobT, now: float, timeout: float, check_every: float) -> JobWatch[VideoT, JobT]:
        return cls(video, job, now + timeout, now + check_every, timeout, check_every)

    def due(self, now: float) -> Literal["timeout", "check"] | None:
        """What is due now: the job's deadline, a status check, or nothing."""
        if self.deadline <= now:
            return "timeout"
        if self.next_check <= now:
            return "check"
        return None

    def timed_out(self) -> WaitTimeoutError:
        return WaitTimeoutError(self.job.job_id, self.timeout, "IN_PROGRESS")

    def checked(self, now: float) -> None:
        self.next_check = now + self.check_every

    def wake_at(self) -> float:
        return min(self.deadline, self.next_check)


_NO_MESSAGE_HINT = (
    "job %s ended (%s per GetPersonTracking) but no completion message arrived: check the role "
    "(sns:Publish, trusted by rekognition.amazonaws.com), the topic name prefix (AmazonRekognition), "
    "the queue policy (aws:SourceArn of the topic) and the subscription"
)


def no_message_hint(job_id: str, outcome: object, job: object) -> None:
    """Warn when Get says a job ended but its notification never came (a setup problem worth fixing)."""
    if outcome is job or isinstance(outcome, JobFailedError):
        logger.warning(_NO_MESSAGE_HINT, job_id, "SUCCEEDED" if outcome is job else "FAILED")


def status_outcome(job: JobT, page: PersonTrackingPage) -> JobT | JobFailedError | None:
    """A batch job's outcome from its status page: the job if it SUCCEEDED, its error if FAILED, None while it runs."""
    if page.job_status == "SUCCEEDED":
        return job
    if page.job_status == "FAILED":
        return JobFailedError(job.job_id, "FAILED", page.status_message)
    return None


def status_error_outcome(exc: RekotrackError, job_id: str, operation: str) -> RekotrackError | None:
    """A status check that raised: None if it was transient (check again later), else the job's outcome."""
    if isinstance(exc, APIError) and retry_kind(exc, operation) is not None:
        logger.debug("status check of job %s failed transiently: %s", job_id, exc)
        return None
    return exc


def note_verdict(note: CompletionNotification) -> Literal["succeeded", "failed", "unknown"]:
    """What a batch does with a job's notification: done, failed (Get has the reason), or ask Get."""
    if note.status == "SUCCEEDED":
        return "succeeded"
    if is_failure(note):
        return "failed"
    logger.warning("job %s: unknown notification status %r; asking GetPersonTracking", note.job_id, note.status)
    return "unknown"


def check_batch(max_concurrent: int, timeout: float, status_check_interval: float) -> None:
    """Check ``track_many``'s limits."""
    if max_concurrent < 1:
        raise ValueError("max_concurrent must be >= 1")
    if not timeout > 0:
        raise ValueError("timeout must be > 0 seconds")
    if not status_check_interval > 0:
        raise ValueError("status_check_interval must be > 0 seconds")


class BatchSlots:
    """How many jobs of a batch may run at once: ``max_concurrent``, lowered while the account's limit is hit."""

    def __init__(self, max_concurrent: int) -> None:
        self.max_concurrent = max_concurrent
        self.capacity = max_concurrent

    def has_room(self, running: int) -> bool:
        return running < self.capacity

    def limit_hit(self, running: int) -> bool:
        """Start answered LimitExceeded (after its retries): True to wait for a slot, False if the video fails."""
        if not running:
            return False
        self.capacity = running
        logger.warning("concurrent job limit reached with %d jobs running; waiting for a slot", running)
        return True

    def freed(self) -> None:
        self.capacity = min(self.max_concurrent, self.capacity + 1)


def _status_outcome(tracker: PersonTracker, job: TrackingJob) -> TrackingJob | RekotrackError | None:
    """One Get: the outcome if the job ended, None while it runs or if Get failed transiently."""
    try:
        page = tracker.status(job.job_id)
    except RekotrackError as exc:
        return status_error_outcome(exc, job.job_id, tracker.operation.get_name)
    return status_outcome(job, page)


def _note_outcome(
    tracker: PersonTracker, job: TrackingJob, note: CompletionNotification
) -> TrackingJob | RekotrackError | None:
    verdict = note_verdict(note)
    if verdict == "succeeded":
        return job
    if verdict == "failed":
        # The notification carries no reason; Get's StatusMessage has it for FAILED.
        message: str | None = None
        try:
            message = tracker.status(job.job_id).status_message
        except RekotrackError as exc:
            logger.debug("could not read the status message of job %s: %s", job.job_id, exc)
        return JobFailedError(job.job_id, str(note.status), message)
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
    check_batch(max_concurrent, timeout, status_check_interval)
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
    running: dict[str, JobWatch[VideoT, TrackingJob]] = {}
    slots = BatchSlots(max_concurrent)
    exhausted = False

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
                job = tracker.start(video, notification=queue.channel, job_tag=job_tag)
            except LimitExceededError as exc:
                if not slots.limit_hit(len(running)):
                    yield video, exc
                    continue
                deferred.appendleft(video)
                break
            except RekotrackError as exc:
                yield video, exc
                continue
            running[job.job_id] = JobWatch.begin(video, job, clock(), timeout, check_every)
        if not running:
            if exhausted and not deferred:
                return
            continue

        now = clock()
        for job_id, run in list(running.items()):
            outcome: TrackingJob | RekotrackError | None = None
            due = run.due(now)
            if due == "timeout":
                outcome = run.timed_out()
            elif due == "check":
                outcome = _status_outcome(tracker, run.job)
                if outcome is None:
                    run.checked(clock())
                    continue
                queue.discard(job_id)  # a late message is deleted, not passed around
                no_message_hint(job_id, outcome, run.job)
            else:
                continue
            del running[job_id]
            slots.freed()
            yield run.video, outcome
        if not running:
            continue

        wake = min(r.wake_at() for r in running.values()) - clock()
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
        slots.freed()
        yield run.video, outcome
