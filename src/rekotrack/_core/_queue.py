"""What a completion queue consumer holds in process, and its decisions; no I/O and no lock.

:class:`QueueState` is the in-process buffer and the per-message rule
(:func:`rekotrack._notifications.decide_message`); the functions below decide
how long one receive may long-poll and when a wait is over. The queue shells
call them under their lock (threads) or from their loop (asyncio).
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from rekotrack._errors import RequestValidationError, WaitTimeoutError
from rekotrack._models import CompletionNotification
from rekotrack._notifications import decide_message
from rekotrack._validation import check_job_id, check_timeout

from ._constants import LONG_POLL_SECONDS

if TYPE_CHECKING:
    from types_boto3_sqs.type_defs import MessageTypeDef

__all__ = [
    "Action",
    "QueueState",
    "check_wait",
    "idle_pause",
    "long_poll_seconds",
    "skip_tail_poll",
    "wait_all_timeout",
]

logger = logging.getLogger("rekotrack")

_MAX_REMEMBERED = 10_000


def check_wait(job_ids: Collection[str], timeout: float) -> set[str]:
    """Check a wait's job ids and timeout (a finite number >= 0) before any call; the set of job ids."""
    check_timeout(timeout)
    if isinstance(job_ids, str) or not isinstance(job_ids, Iterable):
        raise RequestValidationError("job_ids", "must be a collection of job ids, not one string", job_ids)
    try:
        wanted = set(job_ids)
    except TypeError as exc:
        raise RequestValidationError("job_ids", "must be a collection of job ids", job_ids) from exc
    if not wanted:
        raise RequestValidationError("job_ids", "must not be empty", job_ids)
    for job_id in wanted:
        check_job_id(job_id)
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
        if self.waiting[job_id] > 1:
            # Another wait in this process wants the same job (a reused token sends one message):
            # it gets the notification at once instead of waiting for a Get check.
            self.delivered[job_id] = note
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
