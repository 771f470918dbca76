"""The server core: one Rekognition Video API over any :class:`~rekotrack.server.Analyzer`.

:meth:`RekognitionCore.handle` takes an :class:`~rekotrack.server.HttpRequest` and returns the
:class:`~rekotrack.server.Reply`: authentication (when an authenticator is given), the
operation from ``X-Amz-Target``, fault injection (when a gate is given), the JSON body,
validation, then Start (idempotency, concurrency limit, the analyzer's accept and start) or
Get (job lookup per caller, lifecycle, pagination tokens, the analyzer's pages). Job ends are
published to SNS. Nothing here knows HTTP servers, scenes or video.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any, Final, NamedTuple

from rekotrack._constraints import MAX_RESULTS_LIMIT
from rekotrack.server._errors import ApiError
from rekotrack.server._operations import OPERATIONS, ServedOperation, operation_for
from rekotrack.server._protocol import (
    Analyzer,
    Authenticator,
    Clock,
    Identity,
    Job,
    JobOutcome,
    JobRegistry,
    ListingOutcome,
    MemoryJobRegistry,
    RequestGate,
)
from rekotrack.server._sns import Notification, Publisher, completion_message
from rekotrack.server._tokens import TokenCodec, TokenError
from rekotrack.server._validation import validate
from rekotrack.server._wire import TARGET_PREFIX, HttpRequest, Reply, decode_params, error_reply, json_reply

__all__ = ["GetQuery", "RekognitionCore", "token_key"]

_log = logging.getLogger("rekotrack.server")

_SIGNATURE_TOKEN: Final = "sig:"  # ':' is outside the ClientRequestToken pattern: never a client's token


def token_key(owner: str | None, token: str | None) -> str | None:
    """The idempotency key of a token: tokens are per caller, so one key id cannot reach another's job."""
    if token is None:
        return None
    return token if owner is None else f"{owner}\0{token}"


class GetQuery(NamedTuple):
    """One Get request's parameters as the core serves them (validated by then).

    A named tuple: immutable, and made on every Get at under half a frozen dataclass's cost (0.7 vs 1.8 µs).
    """

    job_id: str
    sort_by: str | None  # the operation's SortBy (its default when absent); None where it has none
    aggregate_by: str | None  # likewise AggregateBy
    max_results: int  # at most MAX_RESULTS_LIMIT
    token: str | None  # NextToken
    owner: str | None  # the caller's key id (None without an authenticator)

    @classmethod
    def parse(cls, spec: ServedOperation, params: dict[str, Any], identity: Identity | None) -> GetQuery:
        return cls(  # positional: the fields' order above
            params["JobId"],
            params.get("SortBy", spec.default_sort) if spec.sort_by else None,
            params.get("AggregateBy", spec.default_aggregate) if spec.aggregate_by else None,
            min(int(params.get("MaxResults", MAX_RESULTS_LIMIT)), MAX_RESULTS_LIMIT),
            params.get("NextToken"),
            identity.key_id if identity is not None else None,
        )


class RekognitionCore:
    """Jobs, tokens, validation and notifications for ``analyzer``, behind :meth:`handle`.

    ``clock`` (seconds since the epoch) drives job times, retention (``retention_seconds``) and
    notification timestamps. At most ``max_concurrent_jobs`` jobs are IN_PROGRESS at once. With
    ``sns_endpoint_url`` a job's end is published to its NotificationChannel topic. With an
    ``authenticator`` every request is checked first and jobs are visible only to the key id that
    started them; a signed Start without ClientRequestToken uses its signature as the token, so a
    replayed request starts no second job. Call :meth:`start` to run the timer and the SNS thread.

    ``registry`` keeps the jobs (a :class:`~rekotrack.server.MemoryJobRegistry` by default; one over a
    shared store lets several API processes serve the same jobs). An analyzer whose
    ``publishes_completions`` is true publishes its jobs' completions itself: the core publishes none.
    """

    def __init__(
        self,
        analyzer: Analyzer,
        *,
        operations: tuple[ServedOperation, ...] = OPERATIONS,
        tokens: TokenCodec | None = None,
        clock: Clock,
        max_concurrent_jobs: int = 20,
        retention_seconds: float = 7 * 24 * 3600,
        sns_endpoint_url: str | None = None,
        region_name: str = "us-east-1",
        authenticator: Authenticator | None = None,
        gate: RequestGate | None = None,
        tick_seconds: float = 0.05,
        registry: JobRegistry | None = None,
    ) -> None:
        if max_concurrent_jobs < 1:
            raise ValueError("max_concurrent_jobs must be >= 1")
        self.analyzer = analyzer
        self.operations = operations
        self.tokens = tokens if tokens is not None else TokenCodec()
        self.clock = clock
        self.max_concurrent_jobs = max_concurrent_jobs
        self.retention_seconds = retention_seconds
        self.region_name = region_name
        self.authenticator = authenticator
        self.gate = gate
        self.lock = threading.RLock()
        self.registry: JobRegistry = registry if registry is not None else MemoryJobRegistry()
        self._requests: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._publisher = Publisher(sns_endpoint_url, region_name)
        self._tick = tick_seconds
        self._stopping = threading.Event()
        self._timer: threading.Thread | None = None

    # ------------------------------------------------------------------ running
    @property
    def sns_endpoint_url(self) -> str | None:
        return self._publisher.sns_endpoint_url

    @sns_endpoint_url.setter
    def sns_endpoint_url(self, url: str | None) -> None:
        self._publisher.sns_endpoint_url = url

    def start(self) -> None:
        """Start the lifecycle timer and the SNS publisher."""
        if self._timer is None:
            self._stopping.clear()
            self._timer = threading.Thread(target=self._run_timer, name="rekotrack-timer", daemon=True)
            self._timer.start()
            self._publisher.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the timer; queued notifications are sent first (up to ``timeout`` seconds)."""
        timer, self._timer = self._timer, None
        if timer is not None:
            self._stopping.set()
            timer.join(timeout)
        self._publisher.stop(timeout)

    def _run_timer(self) -> None:
        while not self._stopping.wait(self._tick):
            try:
                with self.lock:
                    self.refresh(self.clock())
            except Exception:  # pragma: no cover - keep ticking whatever a custom clock or analyzer does
                _log.exception("the server's lifecycle timer failed")

    # ------------------------------------------------------------------ requests
    def handle(self, request: HttpRequest) -> Reply:
        """The reply to one request."""
        if request.method != "POST":
            return error_reply(ApiError("UnknownOperationException", "Only POST / is served."))
        identity: Identity | None = None
        if self.authenticator is not None:
            try:
                identity = self.authenticator(request)
            except ApiError as refused:
                _log.info("refused a request: %s", refused.code)  # never the secret, never the signature
                return error_reply(refused)
        target = request.target
        name = target[len(TARGET_PREFIX) :] if target and target.startswith(TARGET_PREFIX) else None
        self._count(name or target or "<none>")
        try:
            spec, is_start = operation_for(name or "", self.operations)
        except KeyError:
            return error_reply(ApiError("UnknownOperationException", f"Unknown operation {target!r}"))
        if self.gate is not None:
            faulted = self.gate.before(name or "")
            if faulted is not None:
                return faulted
        try:
            params = decode_params(request.body)
            operation = spec.start if is_start else spec.get
            validate(operation, params)
            result = self._start(spec, params, identity) if is_start else self._get(spec, params, identity)
        except ApiError as error:
            return error_reply(error)
        except Exception:  # pragma: no cover - a bug in the server, reported like AWS would
            _log.exception("the server failed on %s", name)
            return error_reply(ApiError("InternalServerError"))
        return json_reply(result)

    def _count(self, operation: str) -> None:
        with self._counts_lock:
            self._requests[operation] += 1

    def request_count(self, operation: str | None = None) -> int:
        """Requests received for ``operation`` (all when ``None``) that passed authentication."""
        with self._counts_lock:
            return sum(self._requests.values()) if operation is None else self._requests[operation]

    def reset_counts(self) -> None:
        with self._counts_lock:
            self._requests.clear()

    # ------------------------------------------------------------------ operations
    def _start(self, spec: ServedOperation, params: dict[str, Any], identity: Identity | None) -> dict[str, Any]:
        s3 = params["Video"].get("S3Object")
        if not s3 or "Bucket" not in s3 or "Name" not in s3:
            raise ApiError("InvalidParameterException", "Video.S3Object with Bucket and Name is required.")
        uri = f"s3://{s3['Bucket']}/{s3['Name']}"
        if "Version" in s3:
            uri += f"?versionId={s3['Version']}"
        source = self.analyzer.accept_video(spec, uri, params)
        owner = identity.key_id if identity is not None else None
        token = params.get("ClientRequestToken")
        if token is None and identity is not None:
            token = _SIGNATURE_TOKEN + identity.signature  # a replayed signed request is the same request
        with self.lock:
            now = self.clock()
            self.refresh(now)
            key = token_key(owner, token)
            fingerprint = json.dumps(
                {"Operation": spec.name, **{k: v for k, v in params.items() if k != "ClientRequestToken"}},
                sort_keys=True,
            )
            job = Job(
                job_id=secrets.token_hex(32), operation=spec.name, video=params["Video"],
                job_tag=params.get("JobTag"), channel=params.get("NotificationChannel"), token=token,
                fingerprint=fingerprint, created=now, owner=owner, source=source,
            )
            admitted = self.registry.admit(job, key, self.max_concurrent_jobs)
            if admitted.verdict == "existing":
                if admitted.existing is None:  # pragma: no cover - a registry breaking its protocol
                    raise ApiError("InternalServerError")
                if admitted.existing.fingerprint != fingerprint:
                    raise ApiError(
                        "IdempotentParameterMismatchException",
                        "ClientRequestToken was reused with different parameters.",
                    )
                return {"JobId": admitted.existing.job_id}
            if admitted.verdict != "created":
                raise ApiError(
                    "LimitExceededException",
                    f"At most {self.max_concurrent_jobs} video analysis jobs may run at the same time.",
                )
            try:
                self.analyzer.start_job(job)
            except BaseException:  # the analyzer refused or failed to start it: no job was made
                self.registry.withdraw(job, key)
                raise
            self._progress(job, now, polled=False)
            return {"JobId": job.job_id}

    def _get(self, spec: ServedOperation, params: dict[str, Any], identity: Identity | None) -> dict[str, Any]:
        query = GetQuery.parse(spec, params, identity)
        with self.lock:
            now = self.clock()
            self.refresh(now)
            job = self._find_job(spec, query)
            position = self._position(spec, query)
            if job.status == "IN_PROGRESS":
                self._progress(job, now, polled=True)
            status, outcome = job.status, job.result
        response: dict[str, Any] = {"JobStatus": status}
        message = self._status_message(job, status, outcome)
        if message:
            response["StatusMessage"] = message
        if status == "SUCCEEDED" and outcome is not None:
            self._page(response, spec, query, outcome, position)
        response["JobId"] = query.job_id
        response["Video"] = job.video
        if job.job_tag is not None:
            response["JobTag"] = job.job_tag
        return response

    def _find_job(self, spec: ServedOperation, query: GetQuery) -> Job:
        """The caller's job of this operation (take :attr:`lock` first); not found otherwise."""
        job = self.registry.get(query.job_id)
        if job is None or job.owner != query.owner or job.operation != spec.name:
            raise ApiError("ResourceNotFoundException", f"The job {query.job_id} was not found or has expired.")
        return job

    def _position(self, spec: ServedOperation, query: GetQuery) -> int:
        """Where the page starts: 0, or the position in the NextToken (bound to the job and its order)."""
        if query.token is None:
            return 0
        try:
            position = self.tokens.decode(query.job_id, query.sort_by, query.token, query.aggregate_by)
        except TokenError as exc:
            raise ApiError("InvalidPaginationTokenException", f"Invalid NextToken: {exc}.") from None
        if self.gate is not None and self.gate.token_fault(spec.get):
            raise ApiError("InvalidPaginationTokenException", "Invalid NextToken.")
        return position

    def _status_message(self, job: Job, status: str, outcome: JobOutcome | None) -> str | None:
        """A FAILED job's reason, or how far an IN_PROGRESS job is (when the analyzer says)."""
        if status == "FAILED":
            return (outcome.status_message if outcome is not None else None) or "Failed."
        describe = getattr(self.analyzer, "progress_message", None)  # optional: how far the job is
        return describe(job) if status == "IN_PROGRESS" and describe is not None else None

    def _page(
        self, response: dict[str, Any], spec: ServedOperation, query: GetQuery, outcome: JobOutcome, position: int
    ) -> None:
        """Add a SUCCEEDED job's page fields, its items from ``position`` and the NextToken when more follow."""
        if isinstance(outcome, ListingOutcome):
            response.update(outcome.page_fields(query.sort_by, query.aggregate_by))
            items = outcome.page(query.sort_by, position, query.max_results, query.aggregate_by)
            end = position + len(items)
            if end < outcome.count(query.aggregate_by):
                response["NextToken"] = self.tokens.encode(query.job_id, query.sort_by, end, query.aggregate_by)
        else:
            order = query.sort_by or "TIMESTAMP"
            response["VideoMetadata"] = outcome.video_metadata()
            items = outcome.page(order, position, query.max_results)
            end = position + len(items)
            if end < outcome.detection_count:
                response["NextToken"] = self.tokens.encode(query.job_id, order, end)
        response[spec.list_key] = items

    # ------------------------------------------------------------------ lifecycle
    def refresh(self, now: float) -> None:
        """End jobs whose analyzer says so and forget expired ones (take :attr:`lock` first)."""
        for job in self.registry.held():
            if now - job.created > self.retention_seconds:
                self.registry.forget(job, token_key(job.owner, job.token))
                self.analyzer.job_expired(job)
            elif job.status == "IN_PROGRESS":
                self._progress(job, now, polled=False)

    def _progress(self, job: Job, now: float, *, polled: bool) -> None:
        ended = self.analyzer.job_progress(job, now, polled)
        if ended is not None:
            self._end(job, ended.outcome, ended.at)

    def complete(self, job_id: str, outcome: JobOutcome, ended: float | None = None) -> bool:
        """End the IN_PROGRESS job ``job_id`` with ``outcome`` (at ``ended``, default now) and notify.

        For analyzers that report their end (a worker finished); safe from any thread. False if the
        job is unknown or already ended.
        """
        with self.lock:
            job = self.registry.get(job_id)
            if job is None or job.status != "IN_PROGRESS":
                return False
            self._end(job, outcome, self.clock() if ended is None else ended)
            return True

    def _end(self, job: Job, outcome: JobOutcome, ended: float) -> None:
        job.result = outcome
        job.status = outcome.final_status
        self.analyzer.job_ended(job, ended)
        topic = (job.channel or {}).get("SNSTopicArn")
        if topic is not None and getattr(self.analyzer, "publishes_completions", False) is not True:
            message = completion_message(
                job.job_id, outcome.notification_status, f"Start{job.operation}", job.job_tag, ended, job.video
            )
            self._publisher.put(job.job_id, topic, message)

    def restore(self, jobs: Iterable[Job]) -> None:
        """Add jobs known from before a restart (their tokens keep working), then apply retention."""
        with self.lock:
            for job in jobs:
                self.registry.add(job, token_key(job.owner, job.token))
            self.refresh(self.clock())

    def job(self, job_id: str) -> Job | None:
        """The job as the core sees it now (``None`` if unknown or expired)."""
        with self.lock:
            self.refresh(self.clock())
            return self.registry.get(job_id)

    def jobs(self) -> list[Job]:
        """Every job the core keeps, oldest first."""
        with self.lock:
            return sorted(self.registry.held(), key=lambda job: job.created)

    # ------------------------------------------------------------------ notifications
    @property
    def notifications(self) -> list[Notification]:
        """Completion messages sent so far, oldest first."""
        return self._publisher.notifications

    def wait_notifications(self, count: int, timeout: float = 10.0) -> list[Notification]:
        """Block until at least ``count`` notifications were handled; returns them all."""
        return self._publisher.wait(count, timeout)
