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

Two members are optional (the core reads them when an analyzer has them):
``publishes_completions = True`` says the analyzer (e.g. its workers) publishes each job's SNS
completion itself, so the core never does; ``progress_message(job) -> str | None`` is the
``StatusMessage`` of a Get while the job is IN_PROGRESS (e.g. ``analysed 120 of 795 frames``).

Where the jobs live is the :class:`JobRegistry`: :class:`MemoryJobRegistry` (this process's
memory) by default; a registry over a shared store lets any number of API processes answer for
every job (``rekotrack.selfhosted``'s scale-out mode keeps them in Redis).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rekotrack.server._operations import ServedOperation
    from rekotrack.server._wire import HttpRequest, Reply

__all__ = [
    "Admitted",
    "Analyzer",
    "Authenticator",
    "Clock",
    "Ended",
    "Identity",
    "Job",
    "JobOutcome",
    "JobRegistry",
    "ListingOutcome",
    "MemoryJobRegistry",
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
class Admitted:
    """What :meth:`JobRegistry.admit` decided: ``created`` (the job is stored), ``existing`` (its
    idempotency key already names ``existing``; nothing stored) or ``limit`` (its owner has the
    most jobs running; nothing stored)."""

    verdict: Literal["created", "existing", "limit"]
    existing: Job | None = None


class JobRegistry(Protocol):
    """Where the core keeps its jobs. The core holds its lock while it calls the registry.

    A job's idempotency ``key`` is :func:`~rekotrack.server.token_key` of its owner and token
    (``None``: no token); jobs are per ``job.owner`` (the access key id, ``None`` when unsigned).
    """

    def get(self, job_id: str) -> Job | None:
        """The job ``job_id`` (``None`` if unknown or forgotten); a shared registry loads one this process
        does not hold, and brings a held IN_PROGRESS job up to date."""
        ...

    def admit(self, job: Job, key: str | None, limit: int) -> Admitted:
        """At once: the job ``key`` already names, else ``limit`` when ``job.owner`` has ``limit`` jobs
        IN_PROGRESS, else store ``job`` (under ``key``)."""
        ...

    def withdraw(self, job: Job, key: str | None) -> None:
        """Undo :meth:`admit` of ``job`` (its analyzer refused or failed to start it)."""
        ...

    def add(self, job: Job, key: str | None) -> None:
        """Keep ``job``, known from before a restart (no checks)."""
        ...

    def forget(self, job: Job, key: str | None) -> None:
        """Retention expired ``job``: stop answering for it."""
        ...

    def held(self) -> list[Job]:
        """The jobs this process holds now (the timer ticks them and applies retention to them)."""
        ...


class MemoryJobRegistry:
    """The default :class:`JobRegistry`: the jobs in this process's memory."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._by_key: dict[str, str] = {}

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def admit(self, job: Job, key: str | None, limit: int) -> Admitted:
        if key is not None and key in self._by_key:
            return Admitted("existing", self._jobs[self._by_key[key]])
        # The service's limit is per account; here per access key id (all callers when unsigned).
        running = sum(1 for held in self._jobs.values() if held.status == "IN_PROGRESS" and held.owner == job.owner)
        if running >= limit:
            return Admitted("limit")
        self.add(job, key)
        return Admitted("created")

    def withdraw(self, job: Job, key: str | None) -> None:
        self.forget(job, key)

    def add(self, job: Job, key: str | None) -> None:
        self._jobs[job.job_id] = job
        if key is not None:
            self._by_key[key] = job.job_id

    def forget(self, job: Job, key: str | None) -> None:
        self._jobs.pop(job.job_id, None)
        if key is not None and self._by_key.get(key) == job.job_id:
            del self._by_key[key]

    def held(self) -> list[Job]:
        return list(self._jobs.values())


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
