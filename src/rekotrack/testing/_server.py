"""LocalRekognition: StartPersonTracking / GetPersonTracking over HTTP on loopback.

The server speaks the AWS JSON 1.1 protocol exactly as botocore sends it
(``POST /``, ``X-Amz-Target: RekognitionService.<Operation>``,
``application/x-amz-json-1.1``) and answers errors in the AWS shape
(``{"__type": code, "message": ...}``), so an unmodified boto3 client pointed
at :attr:`LocalRekognition.url` runs its whole stack (serialisation, HTTP,
error parsing, retries) against it.
"""

from __future__ import annotations

import http.server
import json
import logging
import queue
import secrets
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Protocol

from rekotrack._constraints import MAX_RESULTS_LIMIT, check_request
from rekotrack.testing._clock import Clock
from rekotrack.testing._faults import FaultInjector, FaultKind, Faults
from rekotrack.testing._scene import MAX_DURATION_MS, SortBy, SyntheticScene
from rekotrack.testing._tokens import TokenCodec, TokenError

if TYPE_CHECKING:
    from types_boto3_rekognition import RekognitionClient
    from types_boto3_sns import SNSClient

__all__ = ["ERROR_STATUS", "JobOutcome", "LocalRekognition", "Notification"]

_log = logging.getLogger("rekotrack.testing")

_TARGET_PREFIX: Final = "RekognitionService."
_OPERATIONS: Final = ("StartPersonTracking", "GetPersonTracking")
_CONTENT_TYPE: Final = "application/x-amz-json-1.1"
_API: Final = "StartPersonTracking"

ERROR_STATUS: Final[dict[str, int]] = {
    "AccessDeniedException": 400,
    "IdempotentParameterMismatchException": 400,
    "InternalServerError": 500,
    "InvalidPaginationTokenException": 400,
    "InvalidParameterException": 400,
    "InvalidS3ObjectException": 400,
    "LimitExceededException": 400,
    "ProvisionedThroughputExceededException": 400,
    "ResourceNotFoundException": 400,
    "SerializationException": 400,
    "ThrottlingException": 400,
    "UnknownOperationException": 400,
    "VideoTooLargeException": 400,
}
"""Every error code the server answers, with its HTTP status."""

_DEFAULT_MESSAGES: Final[dict[str, str]] = {
    "AccessDeniedException": "You are not authorized to perform the action.",
    "InternalServerError": "Amazon Rekognition experienced a service issue. Try your call again.",
    "ProvisionedThroughputExceededException": "The number of requests exceeded your throughput limit.",
    "ThrottlingException": "Amazon Rekognition is temporarily unable to process the request. Try your call again.",
    "InvalidS3ObjectException": "Unable to get object metadata from S3. Check object key, region and/or access "
    "permissions.",
    "VideoTooLargeException": "The file size or duration of the supplied media is too large. The maximum file "
    "size is 10GB. The maximum duration is 6 hours.",
}

_EXPECTED_TYPES: Final[dict[str, dict[str, type]]] = {
    "StartPersonTracking": {
        "Video": dict,
        "Video.S3Object": dict,
        "Video.S3Object.Bucket": str,
        "Video.S3Object.Name": str,
        "Video.S3Object.Version": str,
        "ClientRequestToken": str,
        "JobTag": str,
        "NotificationChannel": dict,
        "NotificationChannel.SNSTopicArn": str,
        "NotificationChannel.RoleArn": str,
    },
    "GetPersonTracking": {"JobId": str, "MaxResults": int, "NextToken": str, "SortBy": str},
}

# A plausible response to cut in half for the "truncated" corrupt body.
_TRUNCATED_SOURCE: Final = json.dumps(
    {
        "JobStatus": "SUCCEEDED",
        "VideoMetadata": {"Codec": "h264", "DurationMillis": 60000, "Format": "mp4", "FrameRate": 30.0},
        "Persons": [{"Timestamp": 0, "Person": {"Index": 0, "BoundingBox": {"Width": 0.1, "Height": 0.4}}}],
    }
).encode()
_CORRUPT_BODIES: Final[dict[str, bytes]] = {
    "corrupt_not_json": b"<html><body>502 Bad Gateway: upstream sent garbage</body></html>",
    "corrupt_null": b"null",
    "corrupt_array": b"[]",
    "corrupt_empty_object": b"{}",
}


class _ApiError(Exception):
    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message if message is not None else _DEFAULT_MESSAGES.get(code, code)


@dataclass(frozen=True)
class Notification:
    """A completion message the server sent (or would have sent) to a job's SNS topic.

    ``message`` is the exact JSON string Rekognition publishes; ``payload`` is it
    decoded. ``published`` is True when SNS accepted it; without
    ``sns_endpoint_url`` nothing is published and ``error`` is ``None``.
    """

    job_id: str
    topic_arn: str
    message: str
    published: bool
    error: str | None = None

    @property
    def payload(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.message)
        return decoded


class JobOutcome(Protocol):
    """What a finished job answers: a :class:`SyntheticScene`, or a real analyzer's result.

    The server core (job store, lifecycle, tokens, validation, notifications)
    only reads these members, so any analyzer plugs in behind the same API.
    """

    @property
    def final_status(self) -> str: ...  # SUCCEEDED or FAILED

    @property
    def status_message(self) -> str | None: ...

    @property
    def notification_status(self) -> str: ...  # the SNS Status: SUCCEEDED, FAILED or ERROR

    @property
    def detection_count(self) -> int: ...

    def video_metadata(self) -> dict[str, Any]: ...

    def page(self, sort_by: SortBy, start: int, count: int) -> list[dict[str, Any]]: ...


@dataclass
class _Job:
    job_id: str
    video: dict[str, Any]
    result: JobOutcome | None  # None while an analyzer is still working on it
    job_tag: str | None
    channel: dict[str, Any] | None
    token: str | None
    fingerprint: str
    created: float
    polls: int = 0
    status: str = "IN_PROGRESS"
    owner: str | None = None  # the access key id that started it, when signatures are verified
    timed: bool = True  # ends by job_seconds / job_polls (synthetic) rather than when an analyzer reports


@dataclass(frozen=True)
class _Reply:
    status: int = 200
    body: bytes = b""
    drop: bool = False
    truncate: bool = False


class LocalRekognition:
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
    inventing a scene for them.
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
    ) -> None:
        if job_seconds < 0 or (job_polls is not None and job_polls < 0):
            raise ValueError("job_seconds and job_polls must be >= 0")
        if max_concurrent_jobs < 1:
            raise ValueError("max_concurrent_jobs must be >= 1")
        self._host = host
        self._port = port
        self.job_seconds = job_seconds
        self.job_polls = job_polls
        self.max_concurrent_jobs = max_concurrent_jobs
        self.retention_seconds = retention_seconds
        self.clock: Clock = clock if clock is not None else time.time
        self.sns_endpoint_url = sns_endpoint_url
        self.strict_videos = strict_videos
        self.region_name = region_name
        self._tick = tick_seconds
        self._injector = FaultInjector(faults)
        self._tokens = TokenCodec()
        self._lock = threading.RLock()
        self._jobs: dict[str, _Job] = {}
        self._by_token: dict[str, str] = {}
        self._videos: dict[str, SyntheticScene] = {}
        self._default_scenes: dict[str, SyntheticScene] = {}
        self._outbox: queue.Queue[tuple[str, str, str] | None] = queue.Queue()
        self._notifications: list[Notification] = []
        self._notified = threading.Condition()
        self._sns_clients: dict[str, SNSClient] = {}
        self._httpd: _HTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._run_lock = threading.Lock()

    # ------------------------------------------------------------------ running
    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        """The bound port (the ephemeral one chosen when ``port=0``, once started)."""
        return self._port

    @property
    def url(self) -> str:
        """``http://HOST:PORT``: the ``endpoint_url`` for boto3."""
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def start(self) -> LocalRekognition:
        """Bind and serve in background threads; returns ``self``."""
        with self._run_lock:
            if self._httpd is None:
                self._bind_and_serve()
        return self

    def _bind_and_serve(self) -> None:
        httpd = _HTTPServer((self._host, self._port), _Handler)
        httpd.app = self
        self._httpd = httpd
        self._port = httpd.server_address[1]
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="rekotrack-http"),
            threading.Thread(target=self._timer, name="rekotrack-timer"),
            threading.Thread(target=self._publisher, name="rekotrack-sns"),
        ]
        for thread in self._threads:
            thread.daemon = True
            thread.start()
        _log.info("LocalRekognition serving on %s", self.url)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving; pending notifications are sent first (up to ``timeout`` seconds)."""
        with self._run_lock:
            self._shutdown(timeout)

    def _shutdown(self, timeout: float) -> None:
        httpd = self._httpd
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        self._stopping.set()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
        self._httpd = None

    def serve_forever(self) -> None:
        """Serve until interrupted (KeyboardInterrupt) or :meth:`stop` is called from another thread."""
        self.start()
        try:
            # time.sleep, not Event.wait: a Ctrl-C inside Event.wait can leave its lock broken.
            while self._httpd is not None and not self._stopping.is_set():
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> LocalRekognition:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def client(self, **kwargs: Any) -> RekognitionClient:
        """A boto3 Rekognition client bound to this server.

        Region ``us-east-1`` (or ``region_name``), credentials ``test``/``test`` and
        botocore retries off (``retries={"total_max_attempts": 1}``; note that botocore reads
        ``max_attempts`` as the number of *retries*) unless ``kwargs`` say otherwise;
        a ``config`` given is merged over that default.
        """
        import boto3
        from botocore.config import Config

        config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
        user_config = kwargs.pop("config", None)
        if user_config is not None:
            config = config.merge(user_config)
        options: dict[str, Any] = {
            "endpoint_url": self.url,
            "region_name": self.region_name,
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
            "config": config,
        }
        options.update(kwargs)
        return boto3.client("rekognition", **options)

    # ------------------------------------------------------------------ scenes and knobs
    def add_video(self, uri: str, scene: SyntheticScene) -> None:
        """Serve ``scene`` for the video ``s3://bucket/key`` (optionally ``?versionId=...``)."""
        if not uri.startswith("s3://") or "/" not in uri[5:]:
            raise ValueError(f"expected s3://bucket/key, got {uri!r}")
        with self._lock:
            self._videos[uri] = scene

    def scene_for(self, uri: str) -> SyntheticScene:
        """The scene a job on ``uri`` gets: the one added, else the default seeded from the URI."""
        with self._lock:
            found = self._videos.get(uri)
            if found is None and "?versionId=" in uri:
                found = self._videos.get(uri.split("?versionId=", 1)[0])
            if found is None:
                found = self._default_scenes.get(uri)
                if found is None:
                    found = self._default_scenes[uri] = SyntheticScene.for_uri(uri)
            return found

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
        with self._lock:
            now = self.clock()
            ended = [job for job in self._jobs.values() if job.status == "IN_PROGRESS" and job.result is not None]
            for job in ended:
                self._finish(job, now)
            return [job.job_id for job in ended]

    def job_status(self, job_id: str) -> str | None:
        """The status of a job as the server sees it now (``None`` if unknown or expired)."""
        with self._lock:
            self._refresh(self.clock())
            job = self._jobs.get(job_id)
            return None if job is None else job.status

    # ------------------------------------------------------------------ counters
    def request_count(self, operation: str | None = None) -> int:
        """Requests received for ``operation`` (all when ``None``), faulted ones included."""
        return self._injector.request_count(operation)

    def fault_count(self, kind: FaultKind | None = None, operation: str | None = None) -> int:
        """Faults injected, filtered by kind (see :data:`FaultKind`) and/or operation."""
        return self._injector.fault_count(kind, operation)

    def fault_counts(self) -> dict[str, dict[str, int]]:
        """``{operation: {fault kind: count}}`` of every fault injected so far."""
        return self._injector.fault_counts()

    def reset_counts(self) -> None:
        """Zero the request and fault counters."""
        self._injector.reset_counts()

    @property
    def notifications(self) -> list[Notification]:
        """Completion messages sent so far, oldest first."""
        with self._notified:
            return list(self._notifications)

    def wait_notifications(self, count: int, timeout: float = 10.0) -> list[Notification]:
        """Block until at least ``count`` notifications were handled; returns them all."""
        deadline = time.monotonic() + timeout
        with self._notified:
            while len(self._notifications) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._notifications)} of {count} notifications after {timeout}s")
                self._notified.wait(left)
            return list(self._notifications)

    # ------------------------------------------------------------------ protocol
    def _authenticate(self, method: str, path: str, headers: Any, body: bytes) -> tuple[_Reply | None, str | None]:
        """``(refusal, caller)`` for a request: no refusal and no caller here (every request is served)."""
        return None, None

    def _accept(self, uri: str) -> Any:
        """Check ``uri`` before a job is made (raise :class:`_ApiError`); returns what :meth:`_launch` gets.

        The synthetic server returns the video's scene, which is also the job's outcome.
        """
        with self._lock:
            known = uri in self._videos or uri.split("?versionId=", 1)[0] in self._videos
            if self.strict_videos and not known:
                raise _ApiError("InvalidS3ObjectException")
            scene = self.scene_for(uri)
        if scene.duration_ms > MAX_DURATION_MS:
            raise _ApiError("VideoTooLargeException")
        return scene

    def _new_job(self, job_id: str, params: dict[str, Any], source: Any, **fields: Any) -> _Job:
        """The job record for ``source`` (what :meth:`_accept` returned)."""
        return _Job(job_id=job_id, video=params["Video"], result=source, job_tag=params.get("JobTag"),
                    channel=params.get("NotificationChannel"), **fields)

    def _launch(self, job: _Job, source: Any) -> None:
        """Called once a new job is stored (the lock is held): a real analyzer starts working here."""

    def _expired(self, job: _Job) -> None:
        """Called when retention forgets ``job`` (the lock is held)."""

    def _complete(self, job_id: str, outcome: JobOutcome, ended: float | None = None) -> None:
        """An analyzer finished ``job_id``: store ``outcome``, end the job and notify."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.status != "IN_PROGRESS":
                return
            job.result = outcome
            self._finish(job, self.clock() if ended is None else ended)

    def _handle(self, target: str | None, body: bytes, caller: str | None = None) -> _Reply:
        operation = target[len(_TARGET_PREFIX) :] if target and target.startswith(_TARGET_PREFIX) else None
        self._injector.record_request(operation or target or "<none>")
        if operation not in _OPERATIONS:
            return _error_reply(_ApiError("UnknownOperationException", f"Unknown operation {target!r}"))
        assert operation is not None
        decision = self._injector.decide(operation)
        if decision.slow:
            time.sleep(self._injector.faults.slow_seconds)
        kind = decision.kind
        if kind == "drop":
            return _Reply(drop=True)
        if kind in ("ThrottlingException", "ProvisionedThroughputExceededException", "InternalServerError"):
            return _error_reply(_ApiError(kind))
        if kind == "corrupt_truncated":
            return _Reply(body=_TRUNCATED_SOURCE, truncate=True)
        if kind is not None:
            return _Reply(body=_CORRUPT_BODIES[kind])
        scripted = self._injector.scripted(operation)
        if scripted is not None:
            return _error_reply(_ApiError(*scripted))
        try:
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                raise _ApiError("SerializationException", "The request body is not valid JSON.") from None
            if not isinstance(params, dict):
                raise _ApiError("SerializationException", "The request body must be a JSON object.")
            _validate(operation, params)
            result = (
                self._start(params, caller)
                if operation == "StartPersonTracking"
                else self._get(operation, params, caller)
            )
        except _ApiError as error:
            return _error_reply(error)
        except Exception:  # pragma: no cover - a bug in the server, reported like AWS would
            _log.exception("LocalRekognition failed on %s", operation)
            return _error_reply(_ApiError("InternalServerError"))
        return _Reply(body=json.dumps(result, separators=(",", ":")).encode())

    def _start(self, params: dict[str, Any], caller: str | None = None) -> dict[str, Any]:
        s3 = params["Video"].get("S3Object")
        if not s3 or "Bucket" not in s3 or "Name" not in s3:
            raise _ApiError("InvalidParameterException", "Video.S3Object with Bucket and Name is required.")
        uri = f"s3://{s3['Bucket']}/{s3['Name']}"
        if "Version" in s3:
            uri += f"?versionId={s3['Version']}"
        source = self._accept(uri)
        with self._lock:
            now = self.clock()
            self._refresh(now)
            token = params.get("ClientRequestToken")
            token_key = _token_key(caller, token)
            fingerprint = json.dumps({k: v for k, v in params.items() if k != "ClientRequestToken"}, sort_keys=True)
            if token_key is not None and token_key in self._by_token:
                existing = self._jobs[self._by_token[token_key]]
                if existing.fingerprint != fingerprint:
                    raise _ApiError(
                        "IdempotentParameterMismatchException",
                        "ClientRequestToken was reused with different parameters.",
                    )
                return {"JobId": existing.job_id}
            # The service's limit is per account; here per access key id (all callers when unsigned).
            running = sum(1 for job in self._jobs.values() if job.status == "IN_PROGRESS" and job.owner == caller)
            if running >= self.max_concurrent_jobs:
                raise _ApiError(
                    "LimitExceededException",
                    f"At most {self.max_concurrent_jobs} person tracking jobs may run at the same time.",
                )
            job = self._new_job(
                secrets.token_hex(32), params, source, token=token, fingerprint=fingerprint, created=now, owner=caller
            )
            self._jobs[job.job_id] = job
            if token_key is not None:
                self._by_token[token_key] = job.job_id
            self._launch(job, source)
            if job.timed and self.job_polls is None and self.job_seconds <= 0:
                self._finish(job, now)
            return {"JobId": job.job_id}

    def _get(self, operation: str, params: dict[str, Any], caller: str | None = None) -> dict[str, Any]:
        job_id: str = params["JobId"]
        sort_by: SortBy = params.get("SortBy", "TIMESTAMP")
        max_results = min(int(params.get("MaxResults", MAX_RESULTS_LIMIT)), MAX_RESULTS_LIMIT)
        token = params.get("NextToken")
        with self._lock:
            self._refresh(self.clock())
            job = self._jobs.get(job_id)
            if job is None or job.owner != caller:
                raise _ApiError("ResourceNotFoundException", f"The job {job_id} was not found or has expired.")
            position = 0
            if token is not None:
                try:
                    position = self._tokens.decode(job_id, sort_by, token)
                except TokenError as exc:
                    raise _ApiError("InvalidPaginationTokenException", f"Invalid NextToken: {exc}.") from None
                if self._injector.take_token_fault(operation):
                    raise _ApiError("InvalidPaginationTokenException", "Invalid NextToken.")
            if job.status == "IN_PROGRESS" and job.timed and self.job_polls is not None:
                if job.polls >= self.job_polls:
                    self._finish(job, self.clock())
                else:
                    job.polls += 1
            status, outcome = job.status, job.result
        response: dict[str, Any] = {"JobStatus": status}
        if status == "FAILED":
            response["StatusMessage"] = (outcome.status_message if outcome is not None else None) or "Failed."
        elif status == "SUCCEEDED" and outcome is not None:
            response["VideoMetadata"] = outcome.video_metadata()
            persons = outcome.page(sort_by, position, max_results)
            end = position + len(persons)
            if end < outcome.detection_count:
                response["NextToken"] = self._tokens.encode(job_id, sort_by, end)
            response["Persons"] = persons
        response["JobId"] = job_id
        response["Video"] = job.video
        if job.job_tag is not None:
            response["JobTag"] = job.job_tag
        return response

    # ------------------------------------------------------------------ lifecycle
    def _refresh(self, now: float) -> None:
        """End jobs whose time is up and forget expired ones (caller holds the lock)."""
        for job in list(self._jobs.values()):
            if now - job.created > self.retention_seconds:
                del self._jobs[job.job_id]
                token_key = _token_key(job.owner, job.token)
                if token_key is not None and self._by_token.get(token_key) == job.job_id:
                    del self._by_token[token_key]
                self._expired(job)
            elif (
                job.status == "IN_PROGRESS"
                and job.timed
                and self.job_polls is None
                and now - job.created >= self.job_seconds
            ):
                self._finish(job, job.created + self.job_seconds)

    def _finish(self, job: _Job, ended: float) -> None:
        outcome = job.result
        assert outcome is not None, "a job ends only once its outcome is known"
        job.status = outcome.final_status
        self._finished(job, ended)
        topic = (job.channel or {}).get("SNSTopicArn")
        if topic is None:
            return
        s3 = job.video["S3Object"]
        message: dict[str, Any] = {"JobId": job.job_id, "Status": outcome.notification_status, "API": _API}
        if job.job_tag is not None:
            message["JobTag"] = job.job_tag
        message["Timestamp"] = int(ended * 1000)
        message["Video"] = {"S3ObjectName": s3["Name"], "S3Bucket": s3["Bucket"]}
        self._outbox.put((job.job_id, topic, json.dumps(message, separators=(",", ":"))))

    def _finished(self, job: _Job, ended: float) -> None:
        """Called when ``job`` ends, before its notification is queued (the lock is held)."""

    def _timer(self) -> None:
        while not self._stopping.wait(self._tick):
            try:
                with self._lock:
                    self._refresh(self.clock())
            except Exception:  # pragma: no cover - keep ticking whatever a custom clock does
                _log.exception("LocalRekognition timer failed")

    def _publisher(self) -> None:
        while True:
            item = self._outbox.get()
            if item is None:
                return
            job_id, topic, message = item
            published, error = False, None
            if self.sns_endpoint_url is not None:
                try:
                    self._sns(topic).publish(TopicArn=topic, Message=message)
                    published = True
                except Exception as exc:  # recorded, never raised into the server
                    error = f"{type(exc).__name__}: {exc}"
                    _log.warning("LocalRekognition could not publish to %s: %s", topic, error)
            with self._notified:
                self._notifications.append(Notification(job_id, topic, message, published, error))
                self._notified.notify_all()

    def _sns(self, topic_arn: str) -> SNSClient:
        parts = topic_arn.split(":")
        region = parts[3] if len(parts) > 3 and parts[3] else self.region_name
        client = self._sns_clients.get(region)
        if client is None:
            import boto3

            client = self._sns_clients[region] = boto3.client(
                "sns",
                endpoint_url=self.sns_endpoint_url,
                region_name=region,
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
        return client


def _token_key(caller: str | None, token: str | None) -> str | None:
    """ClientRequestTokens are per caller: one key id cannot reach another's job through a token."""
    if token is None:
        return None
    return token if caller is None else f"{caller}\0{token}"


# ---------------------------------------------------------------------- validation
def _lookup(params: dict[str, Any], path: str) -> tuple[bool, Any]:
    node: Any = params
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _show(value: object) -> str:
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _validate(operation: str, params: dict[str, Any]) -> None:
    problems: list[str] = []
    for path, expected in _EXPECTED_TYPES[operation].items():
        present, value = _lookup(params, path)
        if present and (not isinstance(value, expected) or isinstance(value, bool)):
            problems.append(
                f"Value {_show(value)} at '{path}' failed to satisfy constraint: "
                f"Member must be of type {_TYPE_NAMES[expected]}"
            )
    if not problems:
        for path, value, problem in check_request(operation, params):
            member = "Member must not be null" if problem == "is required" else f"Member {problem}"
            problems.append(f"Value {_show(value)} at '{path}' failed to satisfy constraint: {member}")
    if problems:
        noun = "error" if len(problems) == 1 else "errors"
        raise _ApiError(
            "InvalidParameterException", f"{len(problems)} validation {noun} detected: " + "; ".join(problems)
        )


_TYPE_NAMES: Final[dict[type, str]] = {dict: "structure", str: "string", int: "integer"}


def _error_reply(error: _ApiError) -> _Reply:
    body = json.dumps({"__type": error.code, "message": error.message}).encode()
    return _Reply(status=ERROR_STATUS.get(error.code, 400), body=body)


# ---------------------------------------------------------------------- HTTP
class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    app: LocalRekognition

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (read timeout, dropped connection) is business as usual here.
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            _log.debug("client %s went away: %r", client_address, error)
        else:
            _log.exception("LocalRekognition failed to serve %s", client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "rekotrack-local-rekognition"
    sys_version = ""
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # One write per response and no Nagle delay: keep-alive round trips stay sub-millisecond.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        app = self.server.app
        refusal, caller = app._authenticate(self.command, self.path, self.headers, body)
        reply = refusal if refusal is not None else app._handle(self.headers.get("X-Amz-Target"), body, caller)
        self._send(reply)

    def do_GET(self) -> None:
        self._send(_error_reply(_ApiError("UnknownOperationException", "Only POST / is served.")))

    do_PUT = do_DELETE = do_GET

    def _send(self, reply: _Reply) -> None:
        if reply.drop:
            self.close_connection = True
            return
        body = reply.body
        head = (
            f"HTTP/1.1 {reply.status} {self.responses.get(reply.status, ('',))[0]}\r\n"
            f"Content-Type: {_CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"x-amzn-RequestId: {uuid.uuid4()}\r\n"
            f"Date: {self.date_time_string()}\r\n"
            "\r\n"
        ).encode("latin-1")
        self.log_request(reply.status, len(body))
        if reply.truncate:
            self.wfile.write(head + body[: len(body) // 2])
            self.close_connection = True
        else:
            self.wfile.write(head + body)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s - %s", self.address_string(), format % args)
