"""Batches without I/O: which video starts next, how many jobs may run, and the procedure that follows one job.

:class:`Batch` hands out videos while there is room (``max_concurrent``, lowered
while the account's concurrent-job limit is hit); :func:`follow_procedure`
decides for one running job, from its notification and from a Get status check
every ``status_check_interval`` seconds, when it is over and how. The shells run
one follow procedure per job: as asyncio tasks, or multiplexed on one thread.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

from rekotrack._errors import APIError, JobFailedError, RekotrackError, WaitTimeoutError
from rekotrack._models import CompletionNotification, VideoJobPage
from rekotrack._notifications import is_failure
from rekotrack._validation import check_count, check_interval, check_timeout

from ._classify import retry_kind
from ._constants import MIN_REQUEST_BUDGET
from ._procedure import Procedure
from ._wait import Discard, Status

__all__ = [
    "Batch",
    "BatchSlots",
    "JobWatch",
    "Note",
    "check_batch",
    "follow_procedure",
    "no_message_hint",
    "note_verdict",
    "status_error_outcome",
    "status_outcome",
]

logger = logging.getLogger("rekotrack")

VideoT = TypeVar("VideoT")


class _Job(Protocol):
    job_id: str


JobT = TypeVar("JobT", bound=_Job)


@dataclass(frozen=True)
class Note:
    """Wait up to ``seconds`` for the job's notification, whatever its status (``wait_for_any([job_id])``)."""

    seconds: float


def check_batch(max_concurrent: int, timeout: float, status_check_interval: float) -> None:
    """Check ``track_many``'s limits before any request."""
    check_count("max_concurrent", max_concurrent)
    if check_timeout(timeout) == 0:
        check_interval("timeout", timeout)
    check_interval("status_check_interval", status_check_interval)


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


class Batch(Generic[VideoT]):
    """The videos of one batch: the next one to start, the ones put back while the limit is hit, the slots."""

    def __init__(self, videos: Iterable[VideoT], max_concurrent: int) -> None:
        self._source: Iterator[VideoT] = iter(videos)
        self._deferred: deque[VideoT] = deque()
        self._exhausted = False
        self.slots = BatchSlots(max_concurrent)

    def next_video(self, running: int) -> tuple[VideoT] | None:
        """The next video to start (in a 1-tuple), or None when there is no room or nothing left."""
        if not self.slots.has_room(running):
            return None
        if self._deferred:
            return (self._deferred.popleft(),)
        if self._exhausted:
            return None
        try:
            return (next(self._source),)
        except StopIteration:
            self._exhausted = True
            return None

    def limit_hit(self, video: VideoT, running: int) -> bool:
        """Start answered LimitExceeded: True if ``video`` waits for a slot (stop starting), False if it fails."""
        if not self.slots.limit_hit(running):
            return False
        self._deferred.appendleft(video)
        return True

    @property
    def finished(self) -> bool:
        """Every video was started (or failed to start)."""
        return self._exhausted and not self._deferred


@dataclass
class JobWatch(Generic[VideoT, JobT]):
    """One running job of a batch: when it times out and when its status is next read with Get."""

    video: VideoT
    job: JobT
    deadline: float
    next_check: float
    timeout: float
    check_every: float
    last_status: str | None = None

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
        return WaitTimeoutError(self.job.job_id, self.timeout, self.last_status or "IN_PROGRESS")

    def checked(self, now: float) -> None:
        self.next_check = now + self.check_every

    def wake_at(self) -> float:
        return min(self.deadline, self.next_check)


_NO_MESSAGE_HINT = (
    "job %s ended (%s per its Get status) but no completion message arrived: check the role "
    "(sns:Publish, trusted by rekognition.amazonaws.com), the topic name prefix (AmazonRekognition), "
    "the queue policy (aws:SourceArn of the topic) and the subscription"
)


def no_message_hint(job_id: str, outcome: object, job: object) -> None:
    """Warn when Get says a job ended but its notification never came (a setup problem worth fixing)."""
    if outcome is job or isinstance(outcome, JobFailedError):
        logger.warning(_NO_MESSAGE_HINT, job_id, "SUCCEEDED" if outcome is job else "FAILED")


def status_outcome(job: JobT, page: VideoJobPage) -> JobT | JobFailedError | None:
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
    logger.warning("job %s: unknown notification status %r; asking Get for its status", note.job_id, note.status)
    return "unknown"


def _checked_status(
    watch: JobWatch[Any, JobT], operation: str, clock: Callable[[], float]
) -> Procedure[JobT | RekotrackError | None]:
    """One Get: the outcome if the job ended, None while it runs or if Get failed transiently."""
    try:
        page = yield Status(max(MIN_REQUEST_BUDGET, watch.deadline - clock()))
    except RekotrackError as exc:
        return status_error_outcome(exc, watch.job.job_id, operation)
    watch.last_status = None if page.job_status is None else str(page.job_status)
    return status_outcome(watch.job, page)


def follow_procedure(
    watch: JobWatch[Any, JobT], operation: str, clock: Callable[[], float]
) -> Procedure[JobT | RekotrackError]:
    """Follow one job of a batch to its outcome: the job when it SUCCEEDED, else its error."""
    job = watch.job
    while True:
        due = watch.due(clock())
        if due == "timeout":
            return watch.timed_out()
        if due == "check":
            outcome = yield from _checked_status(watch, operation, clock)
            if outcome is None:
                watch.checked(clock())
                continue
            yield Discard()  # a late message is deleted, not passed around
            no_message_hint(job.job_id, outcome, job)
            return outcome
        try:
            note: CompletionNotification = yield Note(watch.wake_at() - clock())
        except WaitTimeoutError:
            continue
        verdict = note_verdict(note)
        if verdict == "succeeded":
            return job
        if verdict == "failed":
            # The notification carries no reason; Get's StatusMessage has it for FAILED.
            message: str | None = None
            try:
                message = (yield Status(max(MIN_REQUEST_BUDGET, watch.deadline - clock()))).status_message
            except RekotrackError as exc:
                logger.debug("could not read the status message of job %s: %s", job.job_id, exc)
            return JobFailedError(job.job_id, str(note.status), message)
        outcome = yield from _checked_status(watch, operation, clock)
        if outcome is not None:
            return outcome
        watch.checked(clock())
