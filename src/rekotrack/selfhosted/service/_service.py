"""VideoRekognition: the server core (:mod:`rekotrack.server`) with real analysis behind it.

The core does the wire, validation, job table, tokens and SNS path. Its
:class:`~rekotrack.server.Analyzer` here is :class:`LocalAnalyzer`, composed the way the scale-out
mode composes :class:`~rekotrack.selfhosted.service._scale.CeleryAnalyzer`: a Start resolves
``s3://bucket/key`` to a file (``video_root/bucket/key``) or an S3 object, the job's
:class:`~rekotrack.selfhosted.service._jobs.JobSpec` goes to the worker processes (the runner),
and the job ends when its worker hands back a :class:`~rekotrack.selfhosted.service._jobs.WorkResult`
(``core.complete``). Job state lives in SQLite and results in files under ``data_dir``, so a restart
keeps every finished job and fails the interrupted ones with a message. Given credentials, every
request's SigV4 signature is verified (on any address) and a job is visible only to the access key id
that started it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from rekotrack._net import is_loopback
from rekotrack.selfhosted.service._jobs import (
    ANALYSED,
    AnalysedOperation,
    FileVideo,
    JobRecord,
    JobSpec,
    S3Video,
    WorkResult,
)
from rekotrack.selfhosted.service._outcomes import listing_outcome
from rekotrack.selfhosted.service._runner import LocalRunner
from rekotrack.selfhosted.service._sigv4 import SigV4Authenticator, accepted_regions
from rekotrack.selfhosted.service._store import FailedOutcome, JobStore, StoredOutcome
from rekotrack.selfhosted.vision._settings import AnalyzerSettings
from rekotrack.server import (
    IDLE_TIMEOUT_SECONDS,
    MAX_BODY_BYTES,
    READ_TIMEOUT_SECONDS,
    VIDEO_OPERATIONS,
    ApiError,
    Clock,
    Ended,
    FrontName,
    Job,
    RekognitionCore,
    RekognitionServer,
    ServedOperation,
    TokenCodec,
)

__all__ = ["MAX_DURATION_MS", "MAX_VIDEO_BYTES", "LocalAnalyzer", "VideoRekognition", "check_analysed", "split_uri"]

_log = logging.getLogger("rekotrack.selfhosted")

MAX_VIDEO_BYTES: Final = 10 * 1024**3
"""Rekognition Video refuses larger files (VideoTooLargeException)."""

MAX_DURATION_MS: Final = 6 * 3600 * 1000
"""Rekognition Video refuses longer videos (VideoTooLargeException)."""


def check_analysed(operation: ServedOperation) -> AnalysedOperation:
    """The operation's name, if the self-hosted server analyses it (people, faces, segments and text); every
    other Video operation is served but refused with AccessDeniedException (which every Start declares)."""
    for name in ANALYSED:
        if operation.name == name:
            return name
    raise ApiError(
        "AccessDeniedException",
        f"This self-hosted Rekognition server analyses people, faces, segments (shots and black frames) "
        f"and text only: StartPersonTracking/GetPersonTracking, StartFaceDetection/GetFaceDetection, "
        f"StartSegmentDetection/GetSegmentDetection and StartTextDetection/GetTextDetection. "
        f"{operation.start} is not available here.",
    )


def split_uri(uri: str) -> tuple[str, str, str | None]:
    """``s3://bucket/key[?versionId=v]`` → (bucket, key, version)."""
    rest = uri[len("s3://") :]
    version = None
    if "?versionId=" in rest:
        rest, version = rest.split("?versionId=", 1)
    bucket, key = rest.split("/", 1)
    return bucket, key, version


class LocalAnalyzer:
    """The :class:`~rekotrack.server.Analyzer` of the single-machine mode: jobs in ``store`` (SQLite and
    result folders), analyses on ``runner`` (worker processes of this machine).

    A worker's :class:`WorkResult` ends its job through ``complete`` (the core's, given by :meth:`attach`)."""

    def __init__(self, store: JobStore, runner: LocalRunner, *, settings: AnalyzerSettings,
                 video_root: Path | None, s3_endpoint_url: str | None, region_name: str) -> None:
        self.store = store
        self.runner = runner
        self.settings = settings
        self.video_root = video_root
        self.s3_endpoint_url = s3_endpoint_url
        self.region_name = region_name
        self._core: RekognitionCore | None = None
        self._closing = False
        self._s3: Any = None

    def attach(self, core: RekognitionCore) -> None:
        """The core this analyzer works for (made after the analyzer, since it is made with it)."""
        self._core = core

    def restored_jobs(self, now: float) -> Iterator[Job]:
        """Every stored job for the core, after failing the ones a stopped server left IN_PROGRESS."""
        for job_id in self.store.fail_interrupted(now):
            _log.warning("job %s was interrupted by a restart: marked FAILED", job_id)
        for record in self.store.records():
            yield record.to_job(listing_outcome(record.operation, self.store.outcome(record)))

    def close(self, timeout: float) -> None:
        """End the workers; unfinished jobs stay IN_PROGRESS in the store (FAILED at the next start)."""
        self._closing = True
        try:
            self.runner.close(timeout)
        finally:
            self._closing = False

    # ------------------------------------------------------------------ the Analyzer protocol
    def accept_video(self, operation: ServedOperation, uri: str, params: Mapping[str, Any]) -> object:
        name = check_analysed(operation)
        bucket, key, version = split_uri(uri)
        source: FileVideo | S3Video
        if self.video_root is not None and self.s3_endpoint_url is None:
            source = self._accept_file(bucket, key, uri)
        else:
            source = self._accept_s3(bucket, key, version, uri)
        return JobSpec.of_start(name, source, params)

    def start_job(self, job: Job) -> None:
        spec = job.source
        if not isinstance(spec, JobSpec):  # the core hands back what accept_video returned
            raise TypeError(f"job {job.job_id[:12]}: its source is a {type(spec).__name__}, not a JobSpec")
        self.store.insert(JobRecord.of_job(job))
        out_dir = str(self.store.result_dir(job.job_id))
        self.runner.submit(job.job_id, spec, self.settings, out_dir, self._worker_done,
                           progress_file=str(self.store.progress_file(job.job_id)))
        _log.info("job %s queued on %s", job.job_id[:12], spec.describe())

    def job_progress(self, job: Job, now: float, polled: bool) -> Ended | None:
        return None  # a worker reports the end: _worker_done -> core.complete

    def job_ended(self, job: Job, ended: float) -> None:
        if self._closing:
            return
        message = job.result.status_message if job.result is not None else None
        self.store.finish(job.job_id, job.status, message, ended)
        self.store.progress_file(job.job_id).unlink(missing_ok=True)

    def job_expired(self, job: Job) -> None:
        self.store.delete(job.job_id)

    def progress_message(self, job: Job) -> str | None:
        """``analysed N of M frames`` once the job's worker has reported frames, else ``None``."""
        from rekotrack.selfhosted.service._worker import progress_message, read_progress

        done = read_progress(self.store.progress_file(job.job_id))
        return progress_message(*done) if done is not None else None

    # ------------------------------------------------------------------ videos
    def _accept_file(self, bucket: str, key: str, uri: str) -> FileVideo:
        assert self.video_root is not None
        # An S3 key is read literally: "sub/../clip.avi" is not "clip.avi" (S3 has no folders to walk), and a
        # key with an empty, "." or ".." segment names no file under the bucket's folder: no such object.
        # Resolved then, and checked: the file must lie inside its own bucket's folder (symlinks), so that
        # nothing outside it is ever read; a NUL byte, a symlink loop or an over-long name is an unreadable
        # object, not a server error.
        try:
            if "\0" in bucket or "\0" in key or bucket in ("", ".", "..") or "/" in bucket:
                raise ValueError("not an S3 bucket/key name")
            if any(part in ("", ".", "..") for part in key.split("/")):
                raise ValueError("a key with an empty, '.' or '..' segment is no file under the bucket's folder")
            home = (self.video_root / bucket).resolve()
            path = (home / key).resolve()
            if not home.is_relative_to(self.video_root) or not path.is_relative_to(home) or not path.is_file():
                raise ApiError("InvalidS3ObjectException")
            size = path.stat().st_size
        except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: a symlink loop before Python 3.13
            _log.info("s3://%r/%r is not a readable file: %s", bucket[:100], key[:100], exc)
            raise ApiError("InvalidS3ObjectException") from None
        if size > MAX_VIDEO_BYTES:
            raise ApiError("VideoTooLargeException")
        if self.settings.analyzer == "video":
            _check_duration(path)
        return FileVideo(path=str(path), uri=uri)

    def _accept_s3(self, bucket: str, key: str, version: str | None, uri: str) -> S3Video:
        from botocore.exceptions import BotoCoreError, ClientError

        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3", endpoint_url=self.s3_endpoint_url, region_name=self.region_name)
        try:
            extra = {"VersionId": version} if version else {}
            head = self._s3.head_object(Bucket=bucket, Key=key, **extra)
        except (ClientError, BotoCoreError) as exc:
            _log.info("s3://%s/%s cannot be read: %s", bucket, key, exc)
            raise ApiError("InvalidS3ObjectException") from None
        if int(head.get("ContentLength", 0)) > MAX_VIDEO_BYTES:
            raise ApiError("VideoTooLargeException")
        return S3Video(bucket=bucket, key=key, version=version, endpoint_url=self.s3_endpoint_url,
                       region=self.region_name, uri=uri)

    # ------------------------------------------------------------------ workers
    def _worker_done(self, job_id: str, result: WorkResult) -> None:
        if self._closing or self._core is None:
            return
        outcome: StoredOutcome | FailedOutcome
        if result.succeeded:
            outcome = StoredOutcome(self.store.result_dir(job_id))
        else:
            outcome = FailedOutcome(result.message or "Failed.")
        job = self._core.job(job_id)
        self._core.complete(job_id, listing_outcome(job.operation, outcome) if job is not None else outcome)


def _check_duration(path: Path) -> None:
    from rekotrack.selfhosted.vision._video import VideoError, probe

    try:
        info = probe(path)
    except VideoError:
        return  # the job itself ends FAILED with the decoder's message, as the service did
    if info.duration_ms > MAX_DURATION_MS:
        raise ApiError("VideoTooLargeException")


class VideoRekognition(RekognitionServer):
    """A person-tracking server that analyses real video files.

    ``video_root``: ``s3://bucket/key`` is the file ``video_root/bucket/key``. Without it (or
    with ``s3_endpoint_url``) objects are read through the S3 API with boto3. ``data_dir``
    keeps job state and results across restarts (default: a temporary folder removed at
    :meth:`stop`). ``workers`` analyses run at once, each in its own process; more jobs wait
    IN_PROGRESS. ``credentials`` (access key id → secret) turns on SigV4 verification, whatever
    the address; it is required to bind anything but a loopback address. ``region_name``: the
    region whose credential scopes are accepted, or several (``["us-east-1", "us-west-2"]``; the
    first is the server's own, for S3 and SNS). ``front``,
    ``max_body_bytes``, ``idle_timeout`` and ``read_timeout``: see
    :class:`~rekotrack.server.RekognitionServer`.

    Its core's :class:`~rekotrack.server.Analyzer` is :attr:`analyzer`, a :class:`LocalAnalyzer` over
    :attr:`store` and :attr:`runner`.
    """

    def __init__(
        self,
        *,
        video_root: str | Path | None = None,
        s3_endpoint_url: str | None = None,
        data_dir: str | Path | None = None,
        workers: int = 1,
        settings: AnalyzerSettings | None = None,
        credentials: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        sns_endpoint_url: str | None = None,
        region_name: str | list[str] | tuple[str, ...] = "us-east-1",
        max_concurrent_jobs: int = 20,
        retention_seconds: float = 7 * 24 * 3600,
        clock: Clock | None = None,
        front: FrontName = "stdlib",
        max_body_bytes: int = MAX_BODY_BYTES,
        idle_timeout: float = IDLE_TIMEOUT_SECONDS,
        read_timeout: float = READ_TIMEOUT_SECONDS,
    ) -> None:
        if not is_loopback(host) and not credentials:
            raise ValueError(f"binding {host} serves other hosts: give credentials so that requests are verified")
        if workers < 1:
            raise ValueError("workers must be >= 1")
        clock = clock if clock is not None else time.time
        self.video_root = Path(video_root).resolve() if video_root is not None else None
        self.s3_endpoint_url = s3_endpoint_url
        self.workers = workers
        settings = settings or AnalyzerSettings()
        if settings.analyzer == "video":  # the model files must be there: ModelMissingError, never a fallback
            from rekotrack.selfhosted.vision._detector import check_models

            check_models(settings.detector, settings.faces, settings.precision)
        if settings.threads is None:
            settings = replace(settings, threads=max(1, (os.cpu_count() or 1) // workers))
        self.settings = settings
        self._temp_dir: str | None = None
        if data_dir is None:
            self._temp_dir = tempfile.mkdtemp(prefix="rekotrack-server-")
            data_dir = self._temp_dir
        self.store = JobStore(Path(data_dir))
        regions = accepted_regions(region_name)  # every one is accepted in SigV4 scopes; the first is the server's
        region_name = regions[0]
        authenticator = SigV4Authenticator(credentials, region=regions, clock=clock) if credentials else None
        self.runner = LocalRunner(workers)
        self.analyzer = LocalAnalyzer(self.store, self.runner, settings=settings, video_root=self.video_root,
                                      s3_endpoint_url=s3_endpoint_url, region_name=region_name)
        core = RekognitionCore(
            self.analyzer, operations=VIDEO_OPERATIONS, tokens=TokenCodec(self.store.token_secret()), clock=clock,
            max_concurrent_jobs=max_concurrent_jobs,
            retention_seconds=retention_seconds, sns_endpoint_url=sns_endpoint_url, region_name=region_name,
            authenticator=authenticator,
        )
        super().__init__(core, host=host, port=port, front=front, max_body_bytes=max_body_bytes,
                         idle_timeout=idle_timeout, read_timeout=read_timeout)
        self.analyzer.attach(core)
        core.restore(self.analyzer.restored_jobs(self.clock()))

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and end the workers; unfinished jobs stay IN_PROGRESS on disk (FAILED at the next start)."""
        super().stop(timeout)
        self.analyzer.close(timeout)
        if self._temp_dir is not None:
            self.store.close()
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
