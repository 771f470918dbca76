"""RekognitionServer: a :class:`RekognitionCore` behind an HTTP front, with start/stop and a boto3 client.

The front is ``"stdlib"`` (``http.server`` threads; no extra package; connection-level fault
injection) or ``"uvicorn"`` (the ASGI application on uvicorn; extra ``rekotrack[server]``, what
``rekotrack serve`` uses when it is installed). Both enforce the same body limit and timeouts.
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from rekotrack.server._core import RekognitionCore
from rekotrack.server._sns import Notification
from rekotrack.server._wire import IDLE_TIMEOUT_SECONDS, MAX_BODY_BYTES, READ_TIMEOUT_SECONDS, HttpRequest, Reply

if TYPE_CHECKING:
    from types_boto3_rekognition import RekognitionClient

    from rekotrack.server._protocol import Clock

__all__ = ["Front", "FrontName", "RekognitionServer", "uvicorn_available"]

_log = logging.getLogger("rekotrack.server")

FrontName = Literal["stdlib", "uvicorn"]


class Front(Protocol):
    port: int

    def stop(self, timeout: float) -> None: ...


def uvicorn_available() -> bool:
    """Whether the uvicorn front can be used (uvicorn is installed)."""
    import importlib.util

    return importlib.util.find_spec("uvicorn") is not None


class RekognitionServer:
    """Serves ``core`` on ``host:port`` (``port=0``: an ephemeral one) through the ``front`` chosen.

    Use it as a context manager (or :meth:`start` / :meth:`stop`), then point boto3 at :attr:`url`
    or take :meth:`client`. ``max_body_bytes``, ``idle_timeout`` and ``read_timeout`` bound what a
    connection may send (see :mod:`rekotrack.server._wire`).
    """

    def __init__(
        self,
        core: RekognitionCore,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        front: FrontName = "stdlib",
        max_body_bytes: int = MAX_BODY_BYTES,
        idle_timeout: float = IDLE_TIMEOUT_SECONDS,
        read_timeout: float = READ_TIMEOUT_SECONDS,
    ) -> None:
        if front not in ("stdlib", "uvicorn"):
            raise ValueError(f"front must be 'stdlib' or 'uvicorn', not {front!r}")
        if max_body_bytes < 1 or idle_timeout <= 0 or read_timeout <= 0:
            raise ValueError("max_body_bytes, idle_timeout and read_timeout must be > 0")
        self.core = core
        self._host = host
        self._port = port
        self.front_name: FrontName = front
        self.max_body_bytes = max_body_bytes
        self.idle_timeout = idle_timeout
        self.read_timeout = read_timeout
        self._front: Front | None = None
        self._run_lock = threading.Lock()
        self._serving = threading.Event()

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
        if self._front is None:
            raise RuntimeError("the server is not started")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._front is not None

    def handle(self, request: HttpRequest) -> Reply:
        """What the front calls for every request."""
        return self.core.handle(request)

    def start(self) -> RekognitionServer:
        """Bind and serve in background threads; returns ``self``."""
        with self._run_lock:
            if self._front is None:
                options: dict[str, Any] = {
                    "max_body_bytes": self.max_body_bytes,
                    "idle_timeout": self.idle_timeout,
                    "read_timeout": self.read_timeout,
                }
                self.core.start()
                front: Front
                try:
                    if self.front_name == "uvicorn":
                        from rekotrack.server._asgi import UvicornFront

                        front = UvicornFront(self.handle, self._host, self._port, **options)
                    else:
                        from rekotrack.server._http import StdlibFront

                        front = StdlibFront(self.handle, self._host, self._port, **options)
                except BaseException:  # the port is taken, uvicorn is missing...: nothing left running
                    self.core.stop(1.0)
                    raise
                self._front = front
                self._port = front.port
                self._serving.set()
                _log.info("serving the Rekognition API on %s (%s)", self.url, self.front_name)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving (running requests finish first); pending notifications are sent (up to ``timeout`` s)."""
        with self._run_lock:
            front, self._front = self._front, None
            if front is None:
                return
            front.stop(timeout)
            self.core.stop(timeout)
            self._serving.clear()

    def serve_forever(self) -> None:
        """Serve until interrupted (KeyboardInterrupt; SIGTERM too under ``rekotrack serve``) or :meth:`stop`."""
        self.start()
        try:
            # time.sleep, not Event.wait: a Ctrl-C inside Event.wait can leave its lock broken.
            while self._serving.is_set():
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> RekognitionServer:
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

        from rekotrack._core._constants import RETRIES_OFF  # a constants module: no cycle, nothing else loaded

        retries: Any = dict(RETRIES_OFF)  # botocore's stubs want their own TypedDict
        config = Config(retries=retries)
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

    # ------------------------------------------------------------------ the core's settings
    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def region_name(self) -> str:
        return self.core.region_name

    @property
    def max_concurrent_jobs(self) -> int:
        return self.core.max_concurrent_jobs

    @max_concurrent_jobs.setter
    def max_concurrent_jobs(self, value: int) -> None:
        if value < 1:
            raise ValueError("max_concurrent_jobs must be >= 1")
        self.core.max_concurrent_jobs = value

    @property
    def retention_seconds(self) -> float:
        return self.core.retention_seconds

    @retention_seconds.setter
    def retention_seconds(self, value: float) -> None:
        self.core.retention_seconds = value

    @property
    def sns_endpoint_url(self) -> str | None:
        return self.core.sns_endpoint_url

    @sns_endpoint_url.setter
    def sns_endpoint_url(self, url: str | None) -> None:
        self.core.sns_endpoint_url = url

    # ------------------------------------------------------------------ counters and notifications
    def request_count(self, operation: str | None = None) -> int:
        """Requests received for ``operation`` (all when ``None``), faulted ones included."""
        return self.core.request_count(operation)

    def job_status(self, job_id: str) -> str | None:
        """The status of a job as the server sees it now (``None`` if unknown or expired)."""
        job = self.core.job(job_id)
        return None if job is None else job.status

    @property
    def notifications(self) -> list[Notification]:
        """Completion messages sent so far, oldest first."""
        return self.core.notifications

    def wait_notifications(self, count: int, timeout: float = 10.0) -> list[Notification]:
        """Block until at least ``count`` notifications were handled; returns them all."""
        return self.core.wait_notifications(count, timeout)
