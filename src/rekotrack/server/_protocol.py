"""What plugs into the server core: the :class:`Analyzer` that does the work, and its results.

The core (:class:`rekotrack.server.RekognitionCore`) owns the wire, validation, the job table,
idempotency, retention, pagination tokens and SNS. An analyzer owns only the work:

1. :meth:`Analyzer.accept_video` checks the video of a Start before any job exists (raise
   :class:`~rekotrack.server.ApiError`, e.g. ``InvalidS3ObjectException``) and returns a
   *source*, whatever the analyzer needs later;
2. :meth:`Analyzer.start_job` is called once the job is recorded: begin the work;
3. the job ends either when the analyzer *reports* it (``core.complete(job_id, outcome)``, from
   any thread) or when :meth:`Analyzer.job_progress` answers :class:`Ended` (the core asks on
   every Get of an IN_PROGRESS job and on its timer tick);
4. the finished job's :class:`JobOutcome` produces the Get pages.

:meth:`Analyzer.job_ended` and :meth:`Analyzer.job_expired` let an analyzer persist what the
core decided. The core holds its lock while it calls the analyzer: return quickly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rekotrack.server._operations import ServedOperation
    from rekotrack.server._wire import HttpRequest, Reply

__all__ = [
    "Analyzer",
    "Authenticator",
    "Clock",
    "Ended",
    "Identity",
    "Job",
    "JobOutcome",
    "ListingOutcome",
    "RequestGate",
]

Clock = Callable[[], float]
"""A callable returning the current time in seconds since the epoch."""


class JobOutcome(Protocol):
    """What a finished job answers (a synthetic scene, or a real analysis stored on disk)."""

    @property
    def final_status(self) -> str: ...  # SUCCEEDED or FAILED

    @property
    def status_message(self) -> str | None: ...

    @property
    def notification_status(self) -> str: ...  # the SNS Status: SUCCEEDED, FAILED or ERROR

    @property
    def detection_count(self) -> int: ...

    def video_metadata(self) -> dict[str, Any]: ...

    def page(self, sort_by: str, start: int, count: int) -> list[dict[str, Any]]:
        """Items ``start`` to ``start + count`` in ``sort_by`` order (the operation's list items)."""
        ...


@runtime_checkable
class ListingOutcome(JobOutcome, Protocol):
    """A :class:`JobOutcome` of any Video operation: items per sort order *and* aggregation, and page members.

    The core uses these members when an outcome has them (``rekotrack.testing``'s synthetic jobs
    of the seven other operations); a plain :class:`JobOutcome` serves person tracking.
    ``sort_by``/``aggregate_by`` are ``None`` for an operation without them.
    """

    def count(self, aggregate_by: str | None = None) -> int:
        """How many items a SUCCEEDED job returns in that aggregation."""
        ...

    def page(
        self, sort_by: str | None, start: int, count: int, aggregate_by: str | None = None
    ) -> list[dict[str, Any]]: ...

    def page_fields(self, sort_by: str | None = None, aggregate_by: str | None = None) -> dict[str, Any]:
        """The members every SUCCEEDED page carries besides JobStatus, NextToken and the items."""
        ...


@dataclass
class Job:
    """A job as the core keeps it. ``result`` is ``None`` until the job has ended (or, for an
    analyzer that knows it at once, from the start); ``source`` is what ``accept_video`` returned."""

    job_id: str
    operation: str  # the ServedOperation name, e.g. "PersonTracking"
    video: dict[str, Any]
    job_tag: str | None
    channel: dict[str, Any] | None
    token: str | None
    fingerprint: str
    created: float
    status: str = "IN_PROGRESS"
    owner: str | None = None  # the access key id that started it, when signatures are verified
    result: JobOutcome | None = None
    source: object = None


@dataclass(frozen=True)
class Ended:
    """A job's end as :meth:`Analyzer.job_progress` reports it: the outcome and when it ended."""

    outcome: JobOutcome
    at: float


class Analyzer(Protocol):
    """The work behind the API: accept a video, start a job, report its progress, produce its pages."""

    def accept_video(self, operation: ServedOperation, uri: str, params: Mapping[str, Any]) -> object:
        """Check ``uri`` (``s3://bucket/key[?versionId=v]``) for a Start; raise ApiError to refuse it."""
        ...

    def start_job(self, job: Job) -> None:
        """The job is recorded (``job.source`` is what :meth:`accept_video` returned): start working."""
        ...

    def job_progress(self, job: Job, now: float, polled: bool) -> Ended | None:
        """Whether the IN_PROGRESS ``job`` has ended by ``now`` (``polled``: a Get asks). ``None``: not yet,
        or the analyzer reports the end itself through ``core.complete``."""
        ...

    def job_ended(self, job: Job, ended: float) -> None:
        """``job`` just ended (``job.status``, ``job.result`` set), before its notification is sent."""
        ...

    def job_expired(self, job: Job) -> None:
        """Retention forgot ``job``."""
        ...


@dataclass(frozen=True)
class Identity:
    """Who signed a request: the access key id, and the signature (used as a replay key)."""

    key_id: str
    signature: str


Authenticator = Callable[["HttpRequest"], "Identity | None"]
"""Checks a request before any work (raise ApiError to refuse it); ``None``: unsigned requests are served."""


class RequestGate(Protocol):
    """Fault injection between the wire and the operations (``rekotrack.testing`` uses it)."""

    def before(self, operation: str) -> Reply | None:
        """A reply that replaces the operation's (a fault), or ``None`` to serve it."""
        ...

    def token_fault(self, operation: str) -> bool:
        """True to refuse a valid NextToken as invalid (once-off fault)."""
        ...
