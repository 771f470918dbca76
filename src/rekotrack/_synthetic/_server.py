"""LocalRekognition: the sixteen Rekognition Video operations over HTTP on loopback.

The server core (:mod:`rekotrack.server`) speaks the AWS JSON 1.1 protocol exactly as botocore
sends it (``POST /``, ``X-Amz-Target: RekognitionService.<Operation>``,
``application/x-amz-json-1.1``) and answers errors in the AWS shape; this module puts the
synthetic analyzer (scenes) and the fault gate behind it, so an unmodified boto3 client pointed
at :attr:`LocalRekognition.url` runs its whole stack (serialisation, HTTP, error parsing,
retries) against it. It never checks signatures.
"""

from __future__ import annotations

import time

from rekotrack._synthetic._clock import Clock
from rekotrack._synthetic._faults import FaultInjector, FaultKind, Faults
from rekotrack._synthetic._gate import FaultGate
from rekotrack._synthetic._scene import SyntheticScene
from rekotrack._synthetic._synthetic import SyntheticAnalyzer, outcome_of
from rekotrack.server import (
    ERROR_STATUS,
    IDLE_TIMEOUT_SECONDS,
    MAX_BODY_BYTES,
    READ_TIMEOUT_SECONDS,
    VIDEO_OPERATIONS,
    FrontName,
    JobOutcome,
    Notification,
    RekognitionCore,
    RekognitionServer,
)

__all__ = ["ERROR_STATUS", "JobOutcome", "LocalRekognition", "Notification"]

_OPERATIONS = tuple(name for spec in VIDEO_OPERATIONS for name in (spec.start, spec.get))


class LocalRekognition(RekognitionServer):
    """A local Amazon Rekognition Video person-tracking service on loopback.

    Use it as a context manager (or :meth:`start` / :meth:`stop`), then point
    boto3 at :attr:`url` or take :meth:`client`.

    Lifecycle: a job is ``IN_PROGRESS`` for ``job_seconds`` (by ``clock``), or,
    when ``job_polls`` is set, for that many GetPersonTracking calls, then ends
    as its scene says. ``clock`` (seconds since the epoch; default
    :func:`time.time`) also drives retention (``retention_seconds``, 7 days) and
    notification timestamps. At most ``max_concurrent_jobs`` jobs may be
    ``IN_PROGRESS``. With ``sns_endpoint_url``, a job's end is published to its
    NotificationChannel topic. ``strict_videos=True`` answers
    InvalidS3ObjectException for videos never :meth:`add_video`-ed instead of
    inventing a scene for them. ``front`` is the HTTP server (``"stdlib"``, the
    default, or ``"uvicorn"``); ``max_body_bytes``, ``idle_timeout`` and
    ``read_timeout`` bound what a connection may send.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        job_seconds: float = 1.0,
        job_polls: int | None = None,
        max_concurrent_jobs: int = 20,
        retention_seconds: float = 7 * 24 * 3600,
        clock: Clock | None = None,
        faults: Faults | None = None,
        sns_endpoint_url: str | None = None,
        strict_videos: bool = False,
        region_name: str = "us-east-1",
        tick_seconds: float = 0.05,
        front: FrontName = "stdlib",
        max_body_bytes: int = MAX_BODY_BYTES,
        idle_timeout: float = IDLE_TIMEOUT_SECONDS,
        read_timeout: float = READ_TIMEOUT_SECONDS,
    ) -> None:
        if job_seconds < 0 or (job_polls is not None and job_polls < 0):
            raise ValueError("job_seconds and job_polls must be >= 0")
        self._analyzer = SyntheticAnalyzer(job_seconds=job_seconds, job_polls=job_polls, strict_videos=strict_videos)
        self._injector = FaultInjector(faults)
        core = RekognitionCore(
            self._analyzer,
            operations=VIDEO_OPERATIONS,
            clock=clock if clock is not None else time.time,
            max_concurrent_jobs=max_concurrent_jobs,
            retention_seconds=retention_seconds,
            sns_endpoint_url=sns_endpoint_url,
            region_name=region_name,
            gate=FaultGate(self._injector),
            tick_seconds=tick_seconds,
        )
        super().__init__(
            core, host=host, port=port, front=front, max_body_bytes=max_body_bytes,
            idle_timeout=idle_timeout, read_timeout=read_timeout,
        )

    def start(self) -> LocalRekognition:
        """Bind and serve in background threads; returns ``self``."""
        super().start()
        return self

    def __enter__(self) -> LocalRekognition:
        return self.start()

    # ------------------------------------------------------------------ scenes and knobs
    @property
    def job_seconds(self) -> float:
        return self._analyzer.job_seconds

    @job_seconds.setter
    def job_seconds(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("job_seconds must be >= 0")
        self._analyzer.job_seconds = seconds

    @property
    def job_polls(self) -> int | None:
        return self._analyzer.job_polls

    @job_polls.setter
    def job_polls(self, polls: int | None) -> None:
        if polls is not None and polls < 0:
            raise ValueError("job_polls must be >= 0")
        self._analyzer.job_polls = polls

    @property
    def strict_videos(self) -> bool:
        return self._analyzer.strict_videos

    @strict_videos.setter
    def strict_videos(self, strict: bool) -> None:
        self._analyzer.strict_videos = strict

    def add_video(self, uri: str, scene: SyntheticScene) -> None:
        """Serve ``scene`` for the video ``s3://bucket/key`` (optionally ``?versionId=...``)."""
        if not uri.startswith("s3://") or "/" not in uri[5:]:
            raise ValueError(f"expected s3://bucket/key, got {uri!r}")
        self._analyzer.add_video(uri, scene)

    def scene_for(self, uri: str) -> SyntheticScene:
        """The scene a job on ``uri`` gets: the one added, else the default seeded from the URI."""
        return self._analyzer.scene_for(uri)

    @property
    def faults(self) -> Faults:
        """The fault configuration; assign a new :class:`Faults` to change it (reseeds, keeps counters)."""
        return self._injector.faults

    @faults.setter
    def faults(self, faults: Faults | None) -> None:
        self._injector.configure(faults)

    def inject_error(
        self, code: str, *, operation: str | None = None, message: str | None = None, count: int = 1
    ) -> None:
        """Answer the next ``count`` requests (of ``operation``, or any) with error ``code``.

        ``code`` is any key of :data:`ERROR_STATUS` (e.g. ``AccessDeniedException``);
        these are counted as fault kind ``injected``.
        """
        if code not in ERROR_STATUS:
            raise ValueError(f"unknown error code {code!r}; expected one of {sorted(ERROR_STATUS)}")
        if operation is not None and operation not in _OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}")
        self._injector.inject(code, operation, message, count)

    def finish_jobs(self) -> list[str]:
        """End every IN_PROGRESS job now, as its scene says; returns their JobIds."""
        with self.core.lock:
            now = self.clock()
            ended = []
            for job in self.core.jobs():
                outcome = outcome_of(job.source) if job.status == "IN_PROGRESS" else None
                if outcome is not None and self.core.complete(job.job_id, outcome, now):
                    ended.append(job.job_id)
            return ended

    # ------------------------------------------------------------------ counters
    def fault_count(self, kind: FaultKind | None = None, operation: str | None = None) -> int:
        """Faults injected, filtered by kind (see :data:`FaultKind`) and/or operation."""
        return self._injector.fault_count(kind, operation)

    def fault_counts(self) -> dict[str, dict[str, int]]:
        """``{operation: {fault kind: count}}`` of every fault injected so far."""
        return self._injector.fault_counts()

    def reset_counts(self) -> None:
        """Zero the request and fault counters."""
        self.core.reset_counts()
        self._injector.reset_counts()
