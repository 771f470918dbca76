"""The API server of the scale-out mode: jobs in Redis, analyses on Celery workers, results in S3.

:class:`ScaledVideoRekognition` is the server core (:mod:`rekotrack.server`: wire, validation,
SigV4, pagination tokens) over :class:`CeleryAnalyzer`, whose jobs do not live in this process
(the core's registry is a :class:`~rekotrack.selfhosted.service._records.RedisJobRegistry`):

- Start admits the job atomically in Redis (the ClientRequestToken and the per-access-key
  concurrent-job limit are checked there, so they hold across any number of API processes), then
  sends one Celery task naming the JobId.
- Get reads the record from Redis (a job another API process started, or one started before this
  process was restarted, is found there) and pages a SUCCEEDED result from S3.
- The worker that ends a job publishes its SNS completion; API processes never do (a job is seen
  ending by every process that is asked about it).

The process keeps nothing that another could not rebuild: stop it, start another, and every job
and result is still there, with the same pagination-token secret.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

from rekotrack._net import is_loopback
from rekotrack.selfhosted.service._celery import TASK_NAME, VISIBILITY_TIMEOUT, make_app
from rekotrack.selfhosted.service._jobs import (
    JobDataError,
    JobSpec,
    Progress,
    RedisJobRecord,
    ResultsLocation,
    S3Video,
    WorkOrder,
)
from rekotrack.selfhosted.service._outcomes import listing_outcome
from rekotrack.selfhosted.service._records import RedisJobRecords, RedisJobRegistry
from rekotrack.selfhosted.service._s3store import S3Outcome, parse_results_uri, s3_error, s3_unavailable
from rekotrack.selfhosted.service._service import MAX_VIDEO_BYTES, check_analysed
from rekotrack.selfhosted.service._store import FailedOutcome
from rekotrack.selfhosted.vision._settings import AnalyzerSettings
from rekotrack.server import (
    VIDEO_OPERATIONS,
    ApiError,
    Authenticator,
    Ended,
    FrontName,
    Job,
    JobOutcome,
    RekognitionCore,
    RekognitionServer,
    ServedOperation,
    TokenCodec,
)

__all__ = ["CeleryAnalyzer", "LostTaskSweeper", "ScaleOutSetupError", "ScaledVideoRekognition", "check_broker",
           "check_results", "check_s3_credentials", "s3_error", "s3_unavailable"]

_log = logging.getLogger("rekotrack.selfhosted")

CHECK_SECONDS = 5.0
"""How long a start-up check waits for the broker or the S3 endpoint to answer."""


class ScaleOutSetupError(ValueError):
    """The scale-out mode cannot work as set up (broker, results bucket, S3 credentials); one line saying what
    is wrong and how to fix it. ``rekotrack serve`` / ``rekotrack worker`` print it and exit 2."""


def _endpoint(s3_endpoint_url: str | None) -> str:
    return s3_endpoint_url or "AWS S3"


def _endpoint_option(s3_endpoint_url: str | None) -> str:
    return f" --endpoint-url {s3_endpoint_url}" if s3_endpoint_url else ""


def check_broker(url: str, timeout: float = CHECK_SECONDS) -> None:
    """Refuse (ScaleOutSetupError) when the Redis broker at ``url`` does not answer a PING within ``timeout``."""
    import redis

    client: Any = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ScaleOutSetupError(f"the broker {url} cannot be reached ({detail}): start redis-server there "
                                 "(redis-server --port PORT) or fix --broker") from None
    finally:
        client.close()


def _s3_client(s3_endpoint_url: str | None, region_name: str | None, timeout: float) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"total_max_attempts": 2})
    session = boto3.Session()
    # botocore logs where it found credentials at INFO: a refused start stays one line
    logging.getLogger("botocore.credentials").setLevel(logging.WARNING)
    return session.client("s3", endpoint_url=s3_endpoint_url, region_name=region_name or session.region_name
                          or "us-east-1", config=config)


def _s3_problem(exc: Exception, s3_endpoint_url: str | None) -> str | None:
    """One line for an S3 error that no bucket check can fix (credentials, endpoint); None for the others."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, PartialCredentialsError

    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return ("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the "
                f"environment of this process for {_endpoint(s3_endpoint_url)}")
    if isinstance(exc, EndpointConnectionError):
        return (f"the S3 endpoint {_endpoint(s3_endpoint_url)} cannot be reached ({exc}): start it or fix "
                "--s3-endpoint-url")
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"):
            return (f"the S3 credentials of this process are refused by {_endpoint(s3_endpoint_url)} ({code}): "
                    "fix AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)")
    from botocore.exceptions import BotoCoreError

    if isinstance(exc, BotoCoreError):
        return f"S3 at {_endpoint(s3_endpoint_url)} cannot be used ({exc}): fix --s3-endpoint-url or the credentials"
    return None


def check_results(results: str, s3_endpoint_url: str | None, region_name: str | None = None,
                  timeout: float = CHECK_SECONDS) -> None:
    """Refuse (ScaleOutSetupError) unless the ``results`` bucket exists and a probe object can be written under its
    prefix and deleted again."""
    import uuid

    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = parse_results_uri(results)
    s3 = _s3_client(s3_endpoint_url, region_name, timeout)
    where = f"at {_endpoint(s3_endpoint_url)}"
    try:
        s3.head_bucket(Bucket=bucket)
    except (ClientError, BotoCoreError) as exc:
        problem = _s3_problem(exc, s3_endpoint_url)
        if problem is not None:
            raise ScaleOutSetupError(problem) from None
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(exc, ClientError) else 0
        if status == 404:
            raise ScaleOutSetupError(f"the results bucket {bucket} does not exist {where}: create it "
                                     f"(aws s3 mb s3://{bucket}{_endpoint_option(s3_endpoint_url)}) or fix --results"
                                     ) from None
        raise ScaleOutSetupError(f"the results bucket {bucket} {where} cannot be used ({s3_error(exc)}): give this "
                                 "process credentials allowed to read and write it, or fix --results") from None
    probe = f"{prefix}.rekotrack-probe-{uuid.uuid4().hex}"
    try:
        s3.put_object(Bucket=bucket, Key=probe, Body=b"rekotrack start-up check; deleted at once")
        s3.delete_object(Bucket=bucket, Key=probe)
    except (ClientError, BotoCoreError) as exc:
        problem = _s3_problem(exc, s3_endpoint_url)
        raise ScaleOutSetupError(problem or f"cannot write and delete s3://{bucket}/{probe} {where} "
                                 f"({s3_error(exc)}): give this process credentials allowed to PutObject and "
                                 f"DeleteObject under s3://{bucket}/{prefix}, or fix --results") from None


def check_s3_credentials(s3_endpoint_url: str | None, region_name: str | None = None,
                         timeout: float = CHECK_SECONDS) -> None:
    """Refuse (ScaleOutSetupError) when this process has no S3 credentials, they are refused, or the endpoint is
    unreachable (one ListBuckets call; a plain AccessDenied means the credentials themselves were accepted)."""
    from botocore.exceptions import BotoCoreError, ClientError

    s3 = _s3_client(s3_endpoint_url, region_name, timeout)
    try:
        s3.list_buckets()
    except (ClientError, BotoCoreError) as exc:
        problem = _s3_problem(exc, s3_endpoint_url)
        if problem is not None:
            raise ScaleOutSetupError(problem) from None


class CeleryAnalyzer:
    """The :class:`~rekotrack.server.Analyzer` of the scale-out mode (see the module docstring)."""

    publishes_completions = True  # the worker that ends a job publishes its SNS completion

    def __init__(self, records: RedisJobRecords, celery: Any, *, settings: AnalyzerSettings, results: str,
                 s3_endpoint_url: str | None, sns_endpoint_url: str | None, region_name: str,
                 max_attempts: int, max_concurrent_jobs: int, retention_seconds: float) -> None:
        self.records = records
        self.celery = celery
        self.settings = settings
        self.results_bucket, self.results_prefix = parse_results_uri(results)
        self.s3_endpoint_url = s3_endpoint_url
        self.sns_endpoint_url = sns_endpoint_url
        self.region_name = region_name
        self.max_attempts = max_attempts
        self.max_concurrent_jobs = max_concurrent_jobs
        self.retention_seconds = retention_seconds
        self._s3: Any = None
        self._progress: dict[str, Progress] = {}  # JobId -> what the worker last stored

    def s3(self) -> Any:
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3", endpoint_url=self.s3_endpoint_url, region_name=self.region_name)
        return self._s3

    # ------------------------------------------------------------------ the Analyzer protocol
    def accept_video(self, operation: ServedOperation, uri: str, params: Mapping[str, Any]) -> object:
        from botocore.exceptions import BotoCoreError, ClientError

        name = check_analysed(operation)
        s3 = params["Video"]["S3Object"]
        bucket, key, version = s3["Bucket"], s3["Name"], s3.get("Version")
        try:
            extra = {"VersionId": version} if version else {}
            head = self.s3().head_object(Bucket=bucket, Key=key, **extra)
        except (ClientError, BotoCoreError, ValueError) as exc:
            if s3_unavailable(exc):  # S3 itself is away or failing: the caller's retry may succeed
                _log.warning("%r: S3 is unavailable (%s); answering InternalServerError", uri[:300], exc)
                raise ApiError("InternalServerError") from None
            _log.info("%r cannot be read: %s", uri[:300], exc)
            raise ApiError("InvalidS3ObjectException") from None
        if int(head.get("ContentLength", 0)) > MAX_VIDEO_BYTES:
            raise ApiError("VideoTooLargeException")
        source = S3Video(bucket=bucket, key=key, version=version, uri=uri, endpoint_url=self.s3_endpoint_url,
                         region=self.region_name)
        return JobSpec.of_start(name, source, params)

    def order(self, job: Job) -> WorkOrder:
        """What a worker runs for ``job`` (stored in its record by the registry's admission)."""
        if not isinstance(job.source, JobSpec):  # the core hands back what accept_video returned
            raise TypeError(f"job {job.job_id[:12]}: its source is a {type(job.source).__name__}, not a JobSpec")
        return WorkOrder(
            spec=job.source, settings=self.settings.to_json(), max_attempts=self.max_attempts,
            results=ResultsLocation(bucket=self.results_bucket, prefix=self.results_prefix),
            s3_endpoint_url=self.s3_endpoint_url, sns_endpoint_url=self.sns_endpoint_url, region=self.region_name,
        )

    def start_job(self, job: Job) -> None:
        """The registry admitted the job in Redis: send its task (the core withdraws the record on failure)."""
        if not self.send(job.job_id):
            raise ApiError("InternalServerError")
        uri = job.source.source.uri if isinstance(job.source, JobSpec) else "?"
        _log.info("job %s queued for the workers (%s)", job.job_id[:12], uri[:200])

    def job_progress(self, job: Job, now: float, polled: bool) -> Ended | None:
        if not polled:  # the core's timer ticks often; only a Get asks Redis
            return None
        try:
            record = self.records.get(job.job_id)
            outcome = self.outcome(record) if record is not None else None
        except JobDataError as exc:  # answered as the service's fault, logged with what is wrong
            _log.error("job %s: %s", job.job_id[:12], exc)
            raise ApiError("InternalServerError") from None
        if record is not None and outcome is None and record.progress is not None:
            self._progress[job.job_id] = record.progress
        if record is None or outcome is None:
            return None
        return Ended(outcome, record.ended if record.ended is not None else now)

    def progress_message(self, job: Job) -> str | None:
        """``analysed N of M frames`` as the job's worker last stored it in Redis (read by the last Get)."""
        from rekotrack.selfhosted.service._worker import progress_message

        done = self._progress.get(job.job_id)
        if done is None or job.status != "IN_PROGRESS":
            return None
        return progress_message(done.done, done.expected)

    def job_ended(self, job: Job, ended: float) -> None:
        """The worker that ended the job stored it (and published its completion)."""
        self._progress.pop(job.job_id, None)

    def job_expired(self, job: Job) -> None:
        """Redis expires the record itself; an S3 lifecycle rule on the results prefix expires the files."""
        self._progress.pop(job.job_id, None)

    # ------------------------------------------------------------------ records
    def send(self, job_id: str) -> bool:
        """Hand the job to the broker; False when the broker cannot be reached."""
        try:
            self.celery.send_task(TASK_NAME, args=[job_id], retry=True,
                                  retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5})
        except Exception as exc:
            _log.error("job %s: the broker refused the task: %r", job_id[:12], exc)
            return False
        self.records.mark_enqueued(job_id)
        return True

    def outcome(self, record: RedisJobRecord) -> JobOutcome | None:
        """What the job answers (``None`` while IN_PROGRESS); a SUCCEEDED record without its result is a
        :class:`JobDataError`."""
        if record.status == "SUCCEEDED":
            result = record.result
            if result is None:
                raise JobDataError(f"the Redis record of job {record.job_id[:64]} is SUCCEEDED without a result")
            stored = S3Outcome(self.s3(), result.bucket, result.folder, result.count, result.metadata)
            return cast(JobOutcome, listing_outcome(record.operation, stored))
        if record.status == "FAILED":
            return FailedOutcome(record.status_message or "Failed.")
        return None


class LostTaskSweeper:
    """Sends again the task of a job whose message the broker lost, so that no job waits for ever.

    Celery's Redis transport takes a message off the queue (BRPOP) before it records it as unacknowledged:
    a worker killed, or Redis stopped, in between loses it, and nothing would ever run that job again (the
    chaos run in ``benchmarks/chaos.py`` met it). Every ``every`` seconds one API process (a Redis lock)
    looks for jobs that are IN_PROGRESS, were sent, have no live worker (no lease) and whose JobId is in
    no queued or unacknowledged message; one missing in two looks in a row is sent again. A copy sent while
    the original was only in transit is harmless (the lease and the atomic end of a job).
    """

    def __init__(self, records: RedisJobRecords, send: Any, every: float) -> None:
        import threading

        import redis

        self._redis: Any = redis.Redis.from_url(records.url, socket_timeout=10, socket_connect_timeout=10)
        self._send = send
        self.every = every
        self._missing: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rekotrack-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10.0)
        self._redis.close()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.sweep()
            except Exception as exc:  # Redis away for a moment: look again next time
                _log.warning("lost-task sweep skipped: %r", exc)

    def _messages(self) -> bytes:
        """Every queued and unacknowledged message of the rekotrack queue, as one blob to search."""
        from rekotrack.selfhosted.service._celery import QUEUE

        r = self._redis
        queues = [QUEUE, *(f"{QUEUE}\x06\x16{p}" for p in range(1, 10))]  # kombu's priority queues
        parts: list[bytes] = []
        for name in queues:
            parts += r.lrange(name, 0, -1)
        parts += r.hvals("unacked")
        return b"\n".join(parts)

    def sweep(self) -> list[str]:
        """One look (if this process holds the sweep lock); the JobIds sent again."""
        import json
        import os

        from rekotrack.selfhosted.service._records import PREFIX

        if not self._redis.set(f"{PREFIX}sweep", str(os.getpid()), nx=True, px=int(self.every * 900)):
            return []
        candidates = []
        for key in self._redis.scan_iter(match=f"{PREFIX}job:*", count=500):
            status, enqueued = self._redis.hmget(key, "status", "enqueued")
            if status is None or json.loads(status) != "IN_PROGRESS" or enqueued is None or not json.loads(enqueued):
                continue
            job_id = key.decode()[len(f"{PREFIX}job:"):]
            if not self._redis.exists(f"{PREFIX}lease:{job_id}"):
                candidates.append(job_id)
        blob = self._messages() if candidates else b""
        missing = {job_id for job_id in candidates if job_id.encode() not in blob}
        resend = sorted(missing & self._missing)
        self._missing = missing - set(resend)
        for job_id in resend:
            _log.warning("job %s: its task message was lost (not queued, not running): sending it again",
                         job_id[:12])
            self._send(job_id)
        return resend


class ScaledVideoRekognition(RekognitionServer):
    """One API process of a deployment that shares ``broker`` (Redis) and ``results`` (S3).

    ``broker``: ``redis://HOST:PORT/DB`` (the Celery broker; job records live in the same
    database). ``results``: ``s3://bucket/prefix`` where workers write results. Videos are read
    through the S3 API at ``s3_endpoint_url`` (AWS S3 when ``None``). ``max_attempts``: runs of a
    job (a worker that died counts) before it ends FAILED. ``authenticator``: SigV4 verification
    (as :class:`VideoRekognition` makes it from credentials). Run workers with ``rekotrack worker``.
    ``check``: refuse to start (:class:`ScaleOutSetupError`) when the broker does not answer, or the
    results bucket is missing or cannot be written (a probe object is written and deleted).
    """

    def __init__(
        self,
        *,
        broker: str,
        results: str,
        s3_endpoint_url: str | None = None,
        settings: AnalyzerSettings | None = None,
        credentials: Mapping[str, str] | None = None,
        authenticator: Authenticator | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        sns_endpoint_url: str | None = None,
        region_name: str | list[str] | tuple[str, ...] = "us-east-1",
        max_concurrent_jobs: int = 20,
        retention_seconds: float = 7 * 24 * 3600,
        max_attempts: int = 3,
        visibility_timeout: float = VISIBILITY_TIMEOUT,
        front: FrontName = "stdlib",
        check: bool = True,
        **front_options: Any,
    ) -> None:
        import time

        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        from rekotrack.selfhosted.service._sigv4 import SigV4Authenticator, accepted_regions

        if not is_loopback(host) and not credentials and authenticator is None:
            raise ValueError(f"binding {host} serves other hosts: give credentials so that requests are verified")
        regions = accepted_regions(region_name)  # every one is accepted in SigV4 scopes; the first is the server's
        region_name = regions[0]
        if credentials and authenticator is None:
            authenticator = SigV4Authenticator(credentials, region=regions, clock=time.time)
        parse_results_uri(results)
        if check:  # before anything is started: one line on what is wrong (the CLI exits 2 with it)
            check_broker(broker)
            check_results(results, s3_endpoint_url, region_name)
        self.records = RedisJobRecords(broker)
        self._celery = make_app(broker, visibility_timeout)
        self.analyzer = CeleryAnalyzer(
            self.records, self._celery, settings=settings or AnalyzerSettings(), results=results,
            s3_endpoint_url=s3_endpoint_url, sns_endpoint_url=sns_endpoint_url, region_name=region_name,
            max_attempts=max_attempts, max_concurrent_jobs=max_concurrent_jobs,
            retention_seconds=retention_seconds,
        )
        self.registry = RedisJobRegistry(self.records, order=self.analyzer.order, outcome=self.analyzer.outcome,
                                         retention_seconds=retention_seconds)
        core = RekognitionCore(
            self.analyzer, operations=VIDEO_OPERATIONS, tokens=TokenCodec(self.records.token_secret()), clock=time.time,
            max_concurrent_jobs=max_concurrent_jobs, retention_seconds=retention_seconds,
            sns_endpoint_url=None, region_name=region_name, authenticator=authenticator, registry=self.registry,
        )
        super().__init__(core, host=host, port=port, front=front, **front_options)
        self.sweeper = LostTaskSweeper(self.records, self.analyzer.send, every=max(1.0, visibility_timeout))
        self.sweeper.start()
        for job_id in self.records.not_enqueued():  # an API process stopped between storing and sending
            _log.warning("job %s was stored but perhaps never sent: sending it (a duplicate is harmless)",
                         job_id[:12])
            self.analyzer.send(job_id)

    def stop(self, timeout: float = 5.0) -> None:
        self.sweeper.stop()
        super().stop(timeout)
        self._celery.close()
        self.records.close()
