"""The blocking primitives of the synchronous shell (hand-written twin of ``rekotrack._aio._io``).

Every module of ``rekotrack._sync`` is generated from ``rekotrack._aio`` by
``scripts/unasync.py``, which points their ``from . import _io as io`` here: this
hand-written file lives outside the generated folder. The names match the asyncio ones.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from rekotrack._core._batch import Note
from rekotrack._core._constants import HEAD_START, WRITE_TIME, client_config
from rekotrack._core._procedure import Procedure, Run
from rekotrack._errors import WaitTimeoutError
from rekotrack._models import CompletionNotification, VideoMetadata
from rekotrack._retry import Started

if TYPE_CHECKING:
    from boto3 import Session

__all__ = ["Before", "Gate", "JobGroup", "Prefetch", "Ready", "Session"]
__all__ += ["Guard", "Sent", "client_now", "head_start", "job_waiter", "let_run", "make_client", "metadata_now"]
__all__ += ["opening", "sleep"]

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

    announces = False  # a fetch function of its own: it reports neither its sending nor its NextToken

    def __init__(self, fetch: Callable[[], T]) -> None:
        self._started = Started(fetch, "prefetch", None, name="rekotrack-prefetch", group=True)

    def result(self) -> T:
        return self._started.wait()

    def cancel(self) -> None:
        """Stop the request at once: its answer is dropped, the connection it uses is shut (see ``Started.stop``)."""
        self._started.stop()


class Guard:
    """The pager's prefetch state, checked and set by the caller's thread and by request threads (a lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


class Sent:
    """Told when a request started early is about to go on the wire (a ``threading.Event``)."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def set(self) -> None:
        self.event.set()


def head_start(sent: Sent) -> None:
    """Let a request started early get on the wire before this thread goes on.

    This thread goes on to validate its page, which holds the interpreter for several
    milliseconds without a pause. Started but not yet written, the next request would
    wait for all of it: after ``before-send`` urllib3 still checks the pooled
    connection (a ``poll``, which lets other threads run) before writing. So this
    thread waits until the request reaches ``before-send``, then sleeps
    ``WRITE_TIME``. On a loaded machine the request may still be written after the
    validation: only later, never wrong.
    """
    if sent.event.wait(HEAD_START):
        time.sleep(WRITE_TIME)


def let_run(sent: Sent) -> None:
    """A request thread runs as soon as it is started, alongside the caller's loop: nothing to wait for."""


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


class _Job(Generic[K, T]):
    """One job of the group: its key, its procedure's run, and when its notification wait ends."""

    def __init__(self, key: K, procedure: Procedure[T], clock: Callable[[], float]) -> None:
        self.key = key
        self.wake = 0.0
        self._clock = clock
        self.run = Run(procedure)
        self._noted()

    def _noted(self) -> None:
        if isinstance(self.run.request, Note):
            self.wake = self._clock() + self.run.request.seconds

    def answer(self, response: Any) -> None:
        self.run.answer(response)
        self._noted()

    def fail(self, error: BaseException) -> None:
        self.run.fail(error)
        self._noted()


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
        self._jobs: dict[str, _Job[K, T]] = {}

    def __len__(self) -> int:
        return len(self._jobs)

    def add(self, key: K, job_id: str, procedure: Procedure[T]) -> None:
        self._jobs[job_id] = _Job(key, procedure, self._clock)

    def _answer(self, job: _Job[K, T]) -> None:
        """Make a procedure's requests until it ends or waits for its notification."""
        while not job.run.done and not isinstance(job.run.request, Note):
            try:
                response = self._send(job.key, job.run.request)
            except BaseException as exc:
                job.fail(exc)
            else:
                job.answer(response)

    def next_done(self) -> list[tuple[K, T]]:
        """The jobs that ended next (at least one), with their outcomes."""
        while True:
            done: list[tuple[K, T]] = []
            for job_id, job in list(self._jobs.items()):
                self._answer(job)
                if job.run.done:
                    del self._jobs[job_id]
                    done.append((job.key, job.run.value))  # type: ignore[arg-type]
            if done:
                return done
            wake = min(job.wake for job in self._jobs.values())
            try:
                note = self._queue.wait_for_any(list(self._jobs), max(0.0, wake - self._clock()))
            except WaitTimeoutError as timeout:
                now = self._clock()
                for job in self._jobs.values():
                    if job.wake <= now:
                        job.fail(timeout)
                continue
            self._jobs[note.job_id].answer(note)

    def close(self) -> None:
        for job in self._jobs.values():
            job.run.close()
        self._jobs.clear()


def opening(open_: Callable[[], T]) -> T:
    """Opening a synchronous queue makes its calls now and returns it."""
    return open_()
