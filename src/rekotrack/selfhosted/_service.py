"""VideoRekognition: the local server's job store, tokens, validation and SNS path, with real analysis.

It is :class:`rekotrack.testing.LocalRekognition` with a different analyzer behind the same
protocol code: a Start resolves ``s3://bucket/key`` to a file (``video_root/bucket/key``) or
an S3 object, hands it to a bounded pool of worker processes, and the job ends when its worker
reports. Job state lives in SQLite and results in files under ``data_dir``, so a restart keeps
every finished job and fails the interrupted ones with a message. Given credentials, every
request's SigV4 signature is verified and a job is visible only to the access key id that
started it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from rekotrack.selfhosted._runner import LocalRunner
from rekotrack.selfhosted._settings import AnalyzerSettings
from rekotrack.selfhosted._sigv4 import AuthError, verify_request
from rekotrack.selfhosted._store import FailedOutcome, JobRecord, JobStore, StoredOutcome
from rekotrack.testing._clock import Clock
from rekotrack.testing._scene import MAX_DURATION_MS
from rekotrack.testing._server import LocalRekognition, _ApiError, _Job, _Reply, _token_key
from rekotrack.testing._tokens import TokenCodec

__all__ = ["MAX_VIDEO_BYTES", "VideoRekognition"]

_log = logging.getLogger("rekotrack.selfhosted")

MAX_VIDEO_BYTES: Final = 10 * 1024**3
"""Rekognition Video refuses larger files (VideoTooLargeException)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_uri(uri: str) -> tuple[str, str, str | None]:
    """``s3://bucket/key[?versionId=v]`` → (bucket, key, version)."""
    rest = uri[len("s3://") :]
    version = None
    if "?versionId=" in rest:
        rest, version = rest.split("?versionId=", 1)
    bucket, key = rest.split("/", 1)
    return bucket, key, version


class VideoRekognition(LocalRekognition):
    """A person-tracking server that analyses real video files.

    ``video_root``: ``s3://bucket/key`` is the file ``video_root/bucket/key``. Without it (or
    with ``s3_endpoint_url``) objects are read through the S3 API with boto3. ``data_dir``
    keeps job state and results across restarts (default: a temporary folder removed at
    :meth:`stop`). ``workers`` analyses run at once, each in its own process; more jobs wait
    IN_PROGRESS. ``credentials`` (access key id → secret) turns on SigV4 verification; it is
    required to bind anything but a loopback address.
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
        region_name: str = "us-east-1",
        max_concurrent_jobs: int = 20,
        retention_seconds: float = 7 * 24 * 3600,
        clock: Clock | None = None,
    ) -> None:
        if not is_loopback(host) and not credentials:
            raise ValueError(f"binding {host} serves other hosts: give credentials so that requests are verified")
        if workers < 1:
            raise ValueError("workers must be >= 1")
        super().__init__(
            host=host,
            port=port,
            job_seconds=0.0,
            max_concurrent_jobs=max_concurrent_jobs,
            retention_seconds=retention_seconds,
            clock=clock,
            sns_endpoint_url=sns_endpoint_url,
            strict_videos=True,
            region_name=region_name,
        )
        self.video_root = Path(video_root).resolve() if video_root is not None else None
        self.s3_endpoint_url = s3_endpoint_url
        self.workers = workers
        settings = settings or AnalyzerSettings()
        if settings.threads is None:
            settings = replace(settings, threads=max(1, (os.cpu_count() or 1) // workers))
        self.settings = settings
        self._credentials = dict(credentials or {})
        self._temp_dir: str | None = None
        if data_dir is None:
            self._temp_dir = tempfile.mkdtemp(prefix="rekotrack-server-")
            data_dir = self._temp_dir
        self.store = JobStore(Path(data_dir))
        self._tokens = TokenCodec(self.store.token_secret())
        self.runner = LocalRunner(workers)
        self._closing = False
        self._s3: Any = None
        self._load()

    # ------------------------------------------------------------------ persistence
    def _load(self) -> None:
        now = self.clock()
        for job_id in self.store.fail_interrupted(now):
            _log.warning("job %s was interrupted by a restart: marked FAILED", job_id)
        with self._lock:
            for record in self.store.records():
                job = _Job(
                    job_id=record.job_id,
                    video=record.video,
                    result=self.store.outcome(record),
                    job_tag=record.job_tag,
                    channel=record.channel,
                    token=record.token,
                    fingerprint=record.fingerprint,
                    created=record.created,
                    status=record.status,
                    owner=record.owner,
                    timed=False,
                )
                self._jobs[job.job_id] = job
                key = _token_key(job.owner, job.token)
                if key is not None:
                    self._by_token[key] = job.job_id
            self._refresh(now)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and end the workers; unfinished jobs stay IN_PROGRESS on disk (FAILED at the next start)."""
        super().stop(timeout)
        self._closing = True
        self.runner.close(timeout)
        if self._temp_dir is not None:
            self.store.close()
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
        self._closing = False

    # ------------------------------------------------------------------ hooks of the server core
    def _authenticate(self, method: str, path: str, headers: Any, body: bytes) -> tuple[_Reply | None, str | None]:
        if not self._credentials:
            return None, None
        try:
            return None, verify_request(method, path, headers, body, self._credentials, self.clock())
        except AuthError as error:
            _log.info("refused a request: %s", error.code)  # never the secret, never the signature
            reply = json.dumps({"__type": error.code, "message": error.message}).encode()
            return _Reply(status=error.status, body=reply), None

    def _accept(self, uri: str) -> Any:
        bucket, key, version = split_uri(uri)
        if self.video_root is not None and self.s3_endpoint_url is None:
            source = self._accept_file(bucket, key)
        else:
            source = self._accept_s3(bucket, key, version)
        source["uri"] = uri
        return source

    def _accept_file(self, bucket: str, key: str) -> dict[str, Any]:
        assert self.video_root is not None
        # Resolved first, then checked: the file must lie inside its own bucket's folder, so that
        # "other/../bucket/x" never reads another bucket; a NUL byte, a symlink loop or an
        # over-long name is an unreadable object, not a server error.
        try:
            if "\0" in bucket or "\0" in key or bucket in ("", ".", "..") or "/" in bucket:
                raise ValueError("not an S3 bucket/key name")
            home = (self.video_root / bucket).resolve()
            path = (home / key).resolve()
            if not home.is_relative_to(self.video_root) or not path.is_relative_to(home) or not path.is_file():
                raise _ApiError("InvalidS3ObjectException")
            size = path.stat().st_size
        except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: a symlink loop before Python 3.13
            _log.info("s3://%r/%r is not a readable file: %s", bucket[:100], key[:100], exc)
            raise _ApiError("InvalidS3ObjectException") from None
        if size > MAX_VIDEO_BYTES:
            raise _ApiError("VideoTooLargeException")
        if self.settings.analyzer == "video":
            self._check_duration(path)
        return {"kind": "file", "path": str(path)}

    def _accept_s3(self, bucket: str, key: str, version: str | None) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3", endpoint_url=self.s3_endpoint_url, region_name=self.region_name)
        try:
            extra = {"VersionId": version} if version else {}
            head = self._s3.head_object(Bucket=bucket, Key=key, **extra)
        except (ClientError, BotoCoreError) as exc:
            _log.info("s3://%s/%s cannot be read: %s", bucket, key, exc)
            raise _ApiError("InvalidS3ObjectException") from None
        if int(head.get("ContentLength", 0)) > MAX_VIDEO_BYTES:
            raise _ApiError("VideoTooLargeException")
        return {"kind": "s3", "bucket": bucket, "key": key, "version": version,
                "endpoint_url": self.s3_endpoint_url, "region": self.region_name}

    @staticmethod
    def _check_duration(path: Path) -> None:
        from rekotrack.selfhosted._video import VideoError, probe

        try:
            info = probe(path)
        except VideoError:
            return  # the job itself ends FAILED with the decoder's message, as the service did
        if info.duration_ms > MAX_DURATION_MS:
            raise _ApiError("VideoTooLargeException")

    def _new_job(self, job_id: str, params: dict[str, Any], source: Any, **fields: Any) -> _Job:
        return super()._new_job(job_id, params, None, timed=False, **fields)

    def _launch(self, job: _Job, source: Any) -> None:
        self.store.insert(
            JobRecord(
                job_id=job.job_id, owner=job.owner, token=job.token, fingerprint=job.fingerprint, video=job.video,
                job_tag=job.job_tag, channel=job.channel, created=job.created, status="IN_PROGRESS",
            )
        )
        out_dir = str(self.store.result_dir(job.job_id))
        self.runner.submit(job.job_id, source, self.settings.to_json(), out_dir, self._worker_done)
        _log.info("job %s queued on %s", job.job_id[:12], _describe(source))

    def _finished(self, job: _Job, ended: float) -> None:
        if self._closing:
            return
        message = job.result.status_message if job.result is not None else None
        self.store.finish(job.job_id, job.status, message, ended)

    def _expired(self, job: _Job) -> None:
        self.store.delete(job.job_id)

    # ------------------------------------------------------------------ workers
    def _worker_done(self, job_id: str, summary: dict[str, Any]) -> None:
        if self._closing:
            return
        outcome: StoredOutcome | FailedOutcome
        if summary["status"] == "SUCCEEDED":
            outcome = StoredOutcome(self.store.result_dir(job_id))
        else:
            outcome = FailedOutcome(summary["message"])
        self._complete(job_id, outcome)


def _describe(source: dict[str, Any]) -> str:
    if source["kind"] == "file":
        return str(source["path"])
    return f"s3://{source['bucket']}/{source['key']}"
