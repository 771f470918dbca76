"""Waiting for one job, without I/O: the plan (deadline, backoff, listen slices) and the two wait procedures.

:func:`poll_procedure` polls Get with capped exponential backoff and jitter;
:func:`queue_procedure` waits on completion notifications and checks Get every
``status_check_interval`` seconds, so a lost message or a reused token (which
sends none) cannot hang it. Both yield :class:`Status`, :class:`Sleep`,
:class:`Listen` and :class:`Discard` requests that a shell answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from rekotrack._errors import APIError, JobFailedError, WaitTimeoutError
from rekotrack._models import VideoJobPage
from rekotrack._validation import check_interval, check_job_id, check_timeout

from ._constants import MIN_REQUEST_BUDGET
from ._procedure import Procedure

__all__ = [
    "NO_MESSAGE_WARNING",
    "Discard",
    "Listen",
    "Sleep",
    "Status",
    "WaitPlan",
    "poll_procedure",
    "queue_procedure",
]

logger = logging.getLogger("rekotrack")

PageT = TypeVar("PageT", bound=VideoJobPage)

NO_MESSAGE_WARNING = (
    "job %s finished but no completion message arrived: check the role "
    "(sns:Publish), the topic name prefix (AmazonRekognition), the queue "
    "policy (aws:SourceArn of the topic) and the subscription"
)


@dataclass(frozen=True)
class Status:
    """Read the job's status page (one Get, ``MaxResults=1``) within ``budget`` seconds (and the request timeout).

    ``report``: hand the page to the caller's ``on_status``.
    """

    budget: float
    report: bool = True


@dataclass(frozen=True)
class Sleep:
    """Pause ``seconds``."""

    seconds: float


@dataclass(frozen=True)
class Listen:
    """Wait up to ``seconds`` on the completion queue for the job's notification."""

    seconds: float


@dataclass(frozen=True)
class Discard:
    """Tell the queue the job's notification is no longer needed (a late one is deleted)."""


class WaitPlan(Generic[PageT]):
    """The decisions of one ``wait()``, without I/O: when the job is done, how long to pause, when to give up.

    Every input is checked when the plan is made (before any request) and the
    deadline is fixed then. Polls pause from ``poll_interval`` doubling to
    ``max_poll_interval``, with jitter from ``random``; a queue wait listens in
    slices of at most ``status_check_interval`` seconds between Get checks. The
    last status seen is what a :class:`WaitTimeoutError` reports.
    """

    def __init__(
        self,
        job_id: str,
        timeout: float,
        *,
        clock: Callable[[], float],
        random: Callable[[], float],
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        status_check_interval: float = 10.0,
    ) -> None:
        check_job_id(job_id)
        self.timeout = check_timeout(timeout)
        self._interval = check_interval("poll_interval", poll_interval)
        self._max_interval = check_interval("max_poll_interval", max_poll_interval)
        self.status_check_interval = check_interval("status_check_interval", status_check_interval)
        self.job_id = job_id
        self.clock = clock
        self._random = random
        self.deadline = clock() + self.timeout
        self.last_status: str | None = None

    def done(self, page: PageT) -> PageT | None:
        """The status page if the job SUCCEEDED, None while it runs; raise if it failed."""
        self.last_status = None if page.job_status is None else str(page.job_status)
        if page.job_status == "SUCCEEDED":
            return page
        if page.job_status == "FAILED":
            raise JobFailedError(self.job_id, "FAILED", page.status_message)
        return None

    def timed_out(self) -> WaitTimeoutError:
        return WaitTimeoutError(self.job_id, self.timeout, self.last_status)

    def remaining(self) -> float:
        """Seconds left; raises WaitTimeoutError past the deadline."""
        remaining = self.deadline - self.clock()
        if remaining <= 0:
            raise self.timed_out()
        return remaining

    def budget(self) -> float:
        """The most the next status request may take: what is left of the wait (the shell caps it further)."""
        return max(MIN_REQUEST_BUDGET, self.deadline - self.clock())

    def next_poll(self) -> float:
        """The pause before the next status poll; raises WaitTimeoutError past the deadline."""
        pause = min(self.remaining(), self._interval * (0.5 + 0.5 * self._random()))
        self._interval = min(self._max_interval, self._interval * 2)
        logger.debug("job %s in progress; next poll in %.1f s", self.job_id, pause)
        return pause

    def next_listen(self) -> float:
        """How long to wait on the queue before the next Get check; raises WaitTimeoutError past the deadline."""
        return min(self.remaining(), self.status_check_interval)

    @staticmethod
    def needs_status_message(failure: JobFailedError) -> bool:
        """A FAILED notification carries no reason: Get's StatusMessage has it."""
        return failure.status == "FAILED" and failure.status_message is None


def _status(plan: WaitPlan[PageT], report: bool = True) -> Procedure[PageT]:
    """One status request; a request cut off by the wait's own deadline ends the wait as a timeout."""
    try:
        page: PageT = yield Status(plan.budget(), report)
    except APIError as exc:
        if plan.deadline - plan.clock() <= 0:
            raise plan.timed_out() from exc
        raise
    return page


def poll_procedure(plan: WaitPlan[PageT]) -> Procedure[PageT]:
    """Poll Get until the job ends or the deadline passes (``timeout=0`` checks once)."""
    while True:
        page = plan.done((yield from _status(plan)))
        if page is not None:
            return page
        yield Sleep(plan.next_poll())


def queue_procedure(plan: WaitPlan[PageT]) -> Procedure[PageT]:
    """Wait on the queue, checking Get first and every ``status_check_interval`` seconds."""
    page = plan.done((yield from _status(plan)))
    if page is not None:
        return page
    while True:
        listen = Listen(plan.next_listen())  # past the deadline: WaitTimeoutError, not another check
        try:
            yield listen
        except WaitTimeoutError:
            page = plan.done((yield from _status(plan)))
            if page is not None:
                logger.warning(NO_MESSAGE_WARNING, plan.job_id)
                yield Discard()  # a late message is deleted, not left circulating
                return page
            continue
        except JobFailedError as failure:
            if plan.needs_status_message(failure):
                message = (yield from _status(plan, report=False)).status_message
                raise JobFailedError(plan.job_id, failure.status, message) from failure
            raise
        return (yield from _status(plan, report=False))
