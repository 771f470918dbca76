"""The scale-out mode's engine: one Celery task per job, on a Redis broker (``rekotrack worker``).

Delivery is at-least-once and every run is made harmless to repeat:

- ``acks_late`` + ``reject_on_worker_lost``: a message is acknowledged only when its task returns.
  A pool process that dies (SIGKILL, out of memory) has its message put back at once by its worker;
  a whole worker that dies (machine lost) leaves the message unacknowledged in Redis, where the
  transport gives it to another worker once ``visibility_timeout`` has passed (default 300 s,
  checked every ``min(10, timeout / 10)`` s).
- A **lease** per job (``rekotrack:lease:<JobId>``, 30 s, renewed every 10 s by a heartbeat thread
  while the analysis runs) says a live worker has the job. A long job's message that the broker
  hands out again after the visibility timeout finds the lease held and is put off (``retry`` after
  one lease period) instead of running twice; once the lease expires (its worker died), the next
  delivery runs the job. The lease, not the visibility timeout, is what keeps a long job on one
  worker, so the timeout can stay at minutes whatever the longest video is.
- Each attempt uploads its result to its own S3 folder and then ends the job with one atomic Redis
  script; only the first to do so wins, so a re-run never duplicates or mixes detections.
- Attempts are counted in the record: a video that cannot be decoded ends FAILED at once with the
  decoder's message; other failures are retried (10 s, 20 s ... back-off) and a job ends FAILED after
  ``max_attempts`` (default 3, counting runs whose worker died).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal

from rekotrack.selfhosted.service._jobs import (
    JobDataError,
    JobStatus,
    Progress,
    S3Result,
    S3Video,
    WorkOrder,
    WorkResult,
)
from rekotrack.selfhosted.service._records import RedisJobRecords

__all__ = ["LEASE_SECONDS", "TASK_NAME", "VISIBILITY_TIMEOUT", "WorkerOptions", "make_app", "run_worker"]

_log = logging.getLogger("rekotrack.selfhosted")

TASK_NAME: Final = "rekotrack.analyze"
QUEUE: Final = "rekotrack"
VISIBILITY_TIMEOUT: Final = 300.0
"""Seconds before Redis hands an unacknowledged job to another worker (its worker is presumed lost)."""
LEASE_SECONDS: Final = 30.0
"""A running job's lease; the heartbeat renews it every third of this."""
RETRY_SECONDS: Final = 10.0
UPLOAD_DELAY: Final = 2.0
"""The wait before a result's second upload; it doubles for each next one, up to UPLOAD_MAX_DELAY."""
UPLOAD_MAX_DELAY: Final = 30.0
GAVE_UP = "The video could not be analysed: {attempts} attempts failed ({reason})."


@dataclass(frozen=True)
class WorkerOptions:
    """What ``rekotrack worker`` was told (inherited by its pool processes)."""

    broker: str
    s3_endpoint_url: str | None = None
    sns_endpoint_url: str | None = None
    data_dir: str | None = None
    lease_seconds: float = LEASE_SECONDS
    concurrency: int = 1
    upload_attempts: int = 6
    """Uploads of a finished analysis's result before the job ends FAILED (never a new analysis)."""


_options = WorkerOptions(broker="")


@dataclass
class _Clients:
    """One pool process's clients (made after the pool forks): its Redis records, S3 and SNS by endpoint/region."""

    pid: int
    records: RedisJobRecords
    s3: dict[tuple[str | None, str], Any] = field(default_factory=dict)
    sns: dict[tuple[str | None, str], Any] = field(default_factory=dict)


_clients: _Clients | None = None


def make_app(broker: str, visibility_timeout: float = VISIBILITY_TIMEOUT) -> Any:
    """The Celery app of a deployment; the API server and every worker make the same one."""
    from celery import Celery

    app = Celery("rekotrack", broker=broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=False,  # a task that raised (Redis away at its end) is delivered again
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            "unacked_restore_interval": max(1.0, min(10.0, visibility_timeout / 10)),
            "unacked_restore_throttle": 1,
        },
        worker_send_task_events=True,  # `celery -b BROKER events` shows every job's progress
        task_send_sent_event=True,
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)(_analyze)
    return app


def _ctx() -> _Clients:
    """This process's clients (made again in a forked pool process)."""
    global _clients
    if _clients is None or _clients.pid != os.getpid():
        _clients = _Clients(pid=os.getpid(), records=RedisJobRecords(_options.broker))
    return _clients


def _client(kind: Literal["s3", "sns"], endpoint_url: str | None, region: str) -> Any:
    clients = _ctx()
    cache = clients.s3 if kind == "s3" else clients.sns
    key = (endpoint_url, region)
    if key not in cache:
        import boto3

        cache[key] = boto3.client(kind, endpoint_url=endpoint_url, region_name=region)
    return cache[key]


class _Heartbeat:
    """Renews the job's lease until stopped; logs when the lease was lost."""

    def __init__(self, records: Any, job_id: str, worker: str, lease: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(records, job_id, worker, lease), daemon=True,
                                        name="rekotrack-lease")
        self._thread.start()

    def _run(self, records: Any, job_id: str, worker: str, lease: float) -> None:
        while not self._stop.wait(lease / 3):
            try:
                if not records.renew(job_id, worker, lease):
                    _log.warning("job %s: lease lost (this worker was stalled); its result may be discarded",
                                 job_id[:12])
            except Exception as exc:  # Redis away for a moment: try again next beat
                _log.warning("job %s: lease not renewed: %r", job_id[:12], exc)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5.0)


def _analyze(task: Any, job_id: object) -> str:
    """The Celery task: run one job to its end (or hand it back); returns what happened."""
    if not isinstance(job_id, str) or not 0 < len(job_id) <= 64:  # the one argument a message carries
        _log.error("a task message named no JobId (%r): dropped", job_id)
        return "malformed"
    records = _ctx().records
    try:
        record = records.get(job_id)
    except JobDataError as exc:  # nothing to run: end it FAILED rather than deliver it for ever
        from rekotrack.selfhosted.service._worker import INTERNAL_FAILURE

        _log.error("job %s: %s; ending it FAILED", job_id[:12], exc)
        records.fail_malformed(job_id, INTERNAL_FAILURE, time.time())
        return "malformed"
    if record is None:
        return "gone"
    order = record.task
    worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    verdict, attempt = records.begin(job_id, worker, _options.lease_seconds)
    if verdict == "gone":
        return "gone"
    if verdict == "done":  # a re-delivery: publish the completion only if its finisher vanished before
        if not records.leased(job_id):
            _notify_if_pending(records, job_id)
        return "done"
    if verdict == "busy":  # a live worker has it (the broker re-delivered a long job): look again later
        _log.info("job %s: running on a live worker (lease held); looking again in %.0f s", job_id[:12],
                  _options.lease_seconds)
        raise task.retry(countdown=_options.lease_seconds, max_retries=None)
    max_attempts = order.max_attempts
    owner = record.owner
    if attempt > max_attempts:
        _end(records, job_id, owner, worker, "FAILED",
             GAVE_UP.format(attempts=max_attempts, reason="its worker stopped"))
        return "FAILED"
    _log.info("job %s: attempt %d of %d on %s", job_id[:12], attempt, max_attempts, worker)
    heartbeat = _Heartbeat(records, job_id, worker, _options.lease_seconds)
    try:
        outcome, uploaded = _run(job_id, order, attempt)
    finally:
        heartbeat.stop()
    from rekotrack.selfhosted.service._worker import INTERNAL_FAILURE

    if uploaded is None:
        message = outcome.message or INTERNAL_FAILURE
        if message == INTERNAL_FAILURE and attempt < max_attempts:
            records.release(job_id, worker)
            raise task.retry(countdown=RETRY_SECONDS * 2 ** (attempt - 1), max_retries=None)
        if message == INTERNAL_FAILURE:
            message = GAVE_UP.format(attempts=attempt, reason="internal error")
        _end(records, job_id, owner, worker, "FAILED", message)
        return "FAILED"
    result = uploaded.result
    s3 = _client("s3", _options.s3_endpoint_url or order.s3_endpoint_url, order.region)
    won = _end(records, job_id, owner, worker, "SUCCEEDED", None, result=result)
    # only the winner's folder is the job's result: anything else under the job is left-over
    try:
        from rekotrack.selfhosted.service._s3store import delete_prefix

        if won:
            delete_prefix(s3, result.bucket, uploaded.job_folder, keep=result.folder)
        else:
            delete_prefix(s3, result.bucket, result.folder)
    except Exception as exc:
        _log.warning("job %s: left-over result files not deleted: %r", job_id[:12], exc)
    return "SUCCEEDED" if won else "duplicate"


class _RedisProgress:
    """Keeps the frames analysed in the job's record (``progress``), at most every PROGRESS_SECONDS."""

    def __init__(self, records: Any, job_id: str) -> None:
        self.records, self.job_id, self.last = records, job_id, 0.0

    def __call__(self, done: int, expected: int) -> None:
        from rekotrack.selfhosted.service._worker import PROGRESS_SECONDS

        now = time.monotonic()
        if now - self.last < PROGRESS_SECONDS and done < expected:
            return
        self.last = now
        try:
            self.records.set_progress(self.job_id, Progress(done=done, expected=expected))
        except Exception as exc:  # Redis away for a moment: the analysis goes on
            _log.debug("job %s: progress not stored: %r", self.job_id[:12], exc)


@dataclass(frozen=True)
class _Uploaded:
    """A SUCCEEDED attempt's result, uploaded to its own folder under the job's ``job_folder``."""

    result: S3Result
    job_folder: str


def _run(job_id: str, order: WorkOrder, attempt: int) -> tuple[WorkResult, _Uploaded | None]:
    """Analyse the video into a local folder and upload it to this attempt's S3 folder."""
    from rekotrack.selfhosted.service._worker import run_job
    from rekotrack.selfhosted.vision._settings import AnalyzerSettings

    spec = order.spec
    if _options.s3_endpoint_url is not None and isinstance(spec.source, S3Video):
        spec = spec.model_copy(update={"source": spec.source.model_copy(
            update={"endpoint_url": _options.s3_endpoint_url})})
    settings = replace(AnalyzerSettings.from_json(order.settings),
                       threads=max(1, (os.cpu_count() or 1) // max(1, _options.concurrency)))
    scratch = Path(_options.data_dir) if _options.data_dir else None
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"rekotrack-{job_id[:12]}-", dir=scratch) as tmp:
        out_dir = Path(tmp) / "result"
        outcome = run_job(job_id, spec, settings, str(out_dir), _RedisProgress(_ctx().records, job_id))
        if not outcome.succeeded:
            return outcome, None
        bucket, prefix = order.results.bucket, order.results.prefix
        job_folder = f"{prefix}{job_id}/"
        folder = f"{job_folder}{attempt}-{uuid.uuid4().hex[:12]}/"
        s3 = _client("s3", _options.s3_endpoint_url or order.s3_endpoint_url, order.region)
        failure = _upload(job_id, s3, bucket, folder, out_dir)
        if failure is not None:
            return WorkResult.failed(failure), None
        meta = json.loads((out_dir / "meta.json").read_text())
    result = S3Result(bucket=bucket, folder=folder, count=int(meta["DetectionCount"]), metadata=meta["VideoMetadata"])
    return outcome, _Uploaded(result, job_folder)


def _upload(job_id: str, s3: Any, bucket: str, folder: str, out_dir: Path) -> str | None:
    """Upload a finished analysis's result, retried as an upload with backoff; None, or the job's FAILED message.

    An S3 outage, throttling or a bucket made late costs waits (2 s doubling to 30 s; about a minute over the
    six default attempts), never a new analysis. The final message names the bucket and the S3 error."""
    from rekotrack.selfhosted.service._s3store import s3_error, upload_result

    attempts = max(1, _options.upload_attempts)
    for attempt in range(1, attempts + 1):
        try:
            upload_result(s3, bucket, folder, out_dir)
            return None
        except Exception as exc:
            error = s3_error(exc)
            if attempt == attempts:
                _log.error("job %s: the result could not be uploaded to s3://%s/%s (%s); %d attempts, giving up",
                           job_id[:12], bucket, folder, error, attempts)
                return (f"The result could not be stored in s3://{bucket}/{folder} ({error}) after {attempts} "
                        "upload attempts.")
            delay = min(UPLOAD_MAX_DELAY, UPLOAD_DELAY * 2 ** (attempt - 1))
            _log.warning("job %s: upload %d of %d to s3://%s/%s failed (%s); uploading again in %.0f s",
                         job_id[:12], attempt, attempts, bucket, folder, error, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _end(records: Any, job_id: str, owner: str | None, worker: str, status: JobStatus, message: str | None,
         result: S3Result | None = None) -> bool:
    """End the job once (atomically), publish its completion, give the lease up; True if this call ended it.

    Holding the lease until the completion is published keeps a re-delivered copy from publishing
    it a second time; if this worker dies in between, the lease expires and its own message, never
    acknowledged, comes back and publishes it."""
    won = bool(records.finish(job_id, owner, status=status, status_message=message, ended=time.time(),
                              result=result))
    if won:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
        _log.info("job %s: %s%s (this worker process peaked at %.0f MB)", job_id[:12], status,
                  f" ({message})" if message else "", peak)
        _notify_if_pending(records, job_id)
    records.release(job_id, worker)
    return won


def _notify_if_pending(records: Any, job_id: str) -> None:
    """Publish the job's SNS completion if it is still owed (at least once: cleared after it is sent)."""
    try:
        record = records.get(job_id)
    except JobDataError as exc:
        _log.error("job %s: no completion published: %s", job_id[:12], exc)
        return
    if record is None or not record.notify:
        return
    topic = (record.channel or {}).get("SNSTopicArn")
    if topic is not None:
        from rekotrack.server._sns import completion_message

        order = record.task
        ended = record.ended if record.ended is not None else time.time()
        message = completion_message(job_id, record.status, f"Start{record.operation}", record.job_tag, ended,
                                     record.video)
        parts = topic.split(":")
        region = parts[3] if len(parts) > 3 and parts[3] else order.region
        endpoint = _options.sns_endpoint_url or order.sns_endpoint_url
        try:
            _client("sns", endpoint, region).publish(TopicArn=topic, Message=message)
        except Exception as exc:  # the job's outcome stands; the message is tried again on a re-delivery
            _log.warning("job %s: could not publish to %s: %r", job_id[:12], topic, exc)
            return
    records.mark_notified(job_id)


def run_worker(options: WorkerOptions, visibility_timeout: float = VISIBILITY_TIMEOUT,
               loglevel: str = "INFO") -> None:
    """``rekotrack worker``: consume jobs with ``options.concurrency`` pool processes until stopped."""
    global _options
    _options = options
    app = make_app(options.broker, visibility_timeout)
    app.worker_main(argv=[
        "worker", f"--loglevel={loglevel}", f"--concurrency={options.concurrency}", "--pool=prefork",
        f"--queues={QUEUE}", "--without-gossip", "--without-mingle", "--task-events",
        f"--hostname=rekotrack@{socket.gethostname()}-{os.getpid()}",
    ])
