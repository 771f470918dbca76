"""The blocking primitives of the synchronous shell (hand-written twin of ``rekotrack._aio._io``).

Every other module of ``rekotrack._sync`` is generated from ``rekotrack._aio`` by
``scripts/unasync.py``; the names here match the asyncio ones.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from rekotrack._core._batch import Note
from rekotrack._core._constants import client_config
from rekotrack._core._procedure import Procedure
from rekotrack._errors import WaitTimeoutError
from rekotrack._models import CompletionNotification, VideoMetadata

if TYPE_CHECKING:
    from boto3 import Session

__all__ = [
    "Before",
    "Gate",
    "JobGroup",
    "Prefetch",
    "Ready",
    "Session",
    "client_now",
    "job_waiter",
    "make_client",
    "metadata_now",
    "opening",
    "sleep",
]

T = TypeVar("T")
K = TypeVar("K")

sleep = time.sleep
"""The pause of a queue wait's tail (not the retry policy's injectable sleep)."""

Before = Callable[[], object]


def _client(
    session: Session | None, region_name: str | None, endpoint_url: str | None, service: str, **config: Any
) -> Any:
    import boto3
    from botocore.config import Config

    sess = session or boto3.Session()
    return sess.client(  # type: ignore[call-overload]
        service, region_name=region_name, endpoint_url=endpoint_url, config=Config(**client_config(**config))
    )


def make_client(
    session: Session | None,
    region_name: str | None,
    endpoint_url: str | None,
    service: str,
    stack: contextlib.ExitStack,
    **config: Any,
) -> Any:
    """A boto3 client with botocore's retries off (rekotrack's policy is the one layer), closed by ``stack``."""
    client = _client(session, region_name, endpoint_url, service, **config)
    stack.callback(client.close)
    return client


def client_now(session: Session | None, region_name: str | None, endpoint_url: str | None) -> Any:
    """A synchronous tracker makes its Rekognition client at once (botocore clients are made without I/O)."""
    return _client(session, region_name, endpoint_url, "rekognition")


def job_waiter(wait: Callable[[], object]) -> Before | None:
    """A synchronous job's items wait for the job now (errors surface at the call); nothing is left to run."""
    wait()
    return None


class _HasMetadata(Protocol):
    def get_video_metadata(self) -> VideoMetadata | None: ...


def metadata_now(pager: _HasMetadata) -> VideoMetadata | None:
    """``pager.video_metadata`` of a synchronous pager: fetches the first page if nothing was fetched yet."""
    return pager.get_video_metadata()


class Ready:
    """The asynchronous pager may be awaited; the synchronous one has nothing to add."""

    def _ready(self) -> None:
        raise NotImplementedError


class Prefetch(Generic[T]):
    """One request started now on a helper thread and collected later (the next page, while the caller's loop runs)."""

    def __init__(self, fetch: Callable[[], T]) -> None:
        context = contextvars.copy_context()
        self._box: list[tuple[bool, Any]] = []

        def run() -> None:
            try:
                self._box.append((True, context.run(fetch)))
            except BaseException as exc:  # handed to the caller's thread
                self._box.append((False, exc))

        self._thread = threading.Thread(target=run, name="rekotrack-prefetch", daemon=True)
        self._thread.start()

    def result(self) -> T:
        self._thread.join()
        ok, value = self._box[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Wait until the request has stopped (a blocking request cannot be interrupted; its result is dropped)."""
        self._thread.join()


class Gate:
    """One receiver at a time on a queue, the other waiters woken after each receive (a ``threading.Condition``)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()

    def __enter__(self) -> Gate:
        self._cond.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._cond.__exit__(None, None, None)

    def wait(self, timeout: float) -> None:
        self._cond.wait(timeout)

    def wake(self) -> None:
        self._cond.notify_all()


class _Queue(Protocol):
    def wait_for_any(self, job_ids: list[str], timeout: float) -> CompletionNotification: ...


_PENDING: Any = object()


@dataclass
class _Run(Generic[K, T]):
    key: K
    job_id: str
    procedure: Procedure[T]
    request: Any = None
    wake: float = 0.0
    outcome: Any = _PENDING

    def step(self, clock: Callable[[], float], value: Any = None, error: BaseException | None = None) -> None:
        """Send ``value`` (or throw ``error``) into the procedure; keep its next request or its outcome."""
        try:
            self.request = self.procedure.throw(error) if error is not None else self.procedure.send(value)
        except StopIteration as stop:
            self.outcome = stop.value
            return
        if isinstance(self.request, Note):
            self.wake = clock() + self.request.seconds


class JobGroup(Generic[K, T]):
    """The running jobs of a batch, their procedures multiplexed on this thread.

    Status checks and discards are made as each procedure asks for them; when
    every procedure waits for its notification, one ``queue.wait_for_any`` over
    all of them waits until the earliest of their wake-up times.
    """

    def __init__(self, queue: _Queue, send: Callable[[K, Any], Any], clock: Callable[[], float]) -> None:
        self._queue = queue
        self._send = send
        self._clock = clock
        self._runs: dict[str, _Run[K, T]] = {}

    def __len__(self) -> int:
        return len(self._runs)

    def add(self, key: K, job_id: str, procedure: Procedure[T]) -> None:
        run: _Run[K, T] = _Run(key, job_id, procedure)
        run.step(self._clock)
        self._runs[job_id] = run

    def _answer(self, run: _Run[K, T]) -> None:
        """Make a procedure's requests until it ends or waits for its notification."""
        while run.outcome is _PENDING and not isinstance(run.request, Note):
            try:
                result = self._send(run.key, run.request)
            except BaseException as exc:
                run.step(self._clock, error=exc)
            else:
                run.step(self._clock, result)

    def next_done(self) -> list[tuple[K, T]]:
        """The jobs that ended next (at least one), with their outcomes."""
        while True:
            done: list[tuple[K, T]] = []
            for job_id, run in list(self._runs.items()):
                self._answer(run)
                if run.outcome is not _PENDING:
                    del self._runs[job_id]
                    done.append((run.key, run.outcome))
            if done:
                return done
            wake = min(run.wake for run in self._runs.values())
            try:
                note = self._queue.wait_for_any(list(self._runs), max(0.0, wake - self._clock()))
            except WaitTimeoutError as timeout:
                now = self._clock()
                for run in self._runs.values():
                    if run.wake <= now:
                        run.step(self._clock, error=timeout)
                continue
            self._runs[note.job_id].step(self._clock, note)

    def close(self) -> None:
        for run in self._runs.values():
            run.procedure.close()
        self._runs.clear()


def opening(open_: Callable[[], T]) -> T:
    """Opening a synchronous queue makes its calls now and returns it."""
    return open_()
