"""The asyncio primitives of the asynchronous shell (hand-written; ``rekotrack._sync_io`` is their blocking twin).

Everything else in ``rekotrack._aio`` is the source of the generated synchronous
shell (``scripts/unasync.py``): the two files here are the only places where the
two shells differ by more than ``async``/``await``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from rekotrack._core._batch import Note
from rekotrack._core._constants import HEAD_START, WRITE_TIME, client_config
from rekotrack._core._procedure import Procedure, adrive
from rekotrack._models import CompletionNotification, VideoMetadata

if TYPE_CHECKING:
    from aiobotocore.session import AioSession as Session

__all__ = ["Before", "Gate", "JobGroup", "Opening", "Prefetch", "Ready", "Session", "client_now", "job_waiter"]
__all__ += ["Guard", "Sent", "head_start", "let_run", "make_client", "metadata_now", "opening", "sleep"]

T = TypeVar("T")
K = TypeVar("K")

sleep = asyncio.sleep
"""The pause of a queue wait's tail (not the retry policy's injectable sleep)."""

Before = Callable[[], Awaitable[object]]
"""Something to await before the first item (a job's wait), or None."""


async def make_client(
    session: Session | None,
    region_name: str | None,
    endpoint_url: str | None,
    service: str,
    stack: contextlib.AsyncExitStack,
    **config: Any,
) -> Any:
    """An aiobotocore client with botocore's retries off (rekotrack's policy is the one layer), closed by ``stack``."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    sess: Any = session or get_session()  # create_client is typed per service name literal
    creator = sess.create_client(
        service, region_name=region_name, endpoint_url=endpoint_url, config=AioConfig(**client_config(**config))
    )
    return await stack.enter_async_context(creator)


def client_now(session: Session | None, region_name: str | None, endpoint_url: str | None) -> Any:
    """An asynchronous tracker makes its client on first use (it must be awaited), never in ``__init__``."""
    return None


def job_waiter(wait: Callable[[], Awaitable[object]]) -> Before | None:
    """A job's items wait for the job on their first ``__anext__`` (or when awaited): nothing is awaited now."""
    return wait


class _HasMetadata(Protocol):
    @property
    def seen_video_metadata(self) -> VideoMetadata | None: ...


def metadata_now(pager: _HasMetadata) -> VideoMetadata | None:
    """``pager.video_metadata`` of an async pager: what was seen so far (a property cannot await a fetch)."""
    return pager.seen_video_metadata


class Ready:
    """Lets ``await job.persons()`` (older code) work: awaiting a job's pager waits for the job, then returns it."""

    async def _ready(self) -> None:
        raise NotImplementedError

    def __await__(self) -> Generator[Any, None, Any]:
        async def ready() -> Any:
            await self._ready()
            return self

        return ready().__await__()


class Prefetch(Generic[T]):
    """One request started now and collected later (the next page, while the caller's loop runs)."""

    announces = False  # a fetch function of its own: it reports neither its sending nor its NextToken

    def __init__(self, fetch: Callable[[], Awaitable[T]]) -> None:
        async def run() -> T:
            return await fetch()

        self._task: asyncio.Task[T] = asyncio.get_running_loop().create_task(run(), name="rekotrack-prefetch")

    async def result(self) -> T:
        return await self._task

    async def cancel(self) -> None:
        """Cancel the request if it still runs, and wait until it has stopped."""
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(BaseException):
            await self._task


class Guard:
    """The pager's prefetch state is only touched on the event loop: nothing to lock (the twin is a lock)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class Sent:
    """Told when a request started early is about to go on the wire (an ``asyncio.Event``)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def set(self) -> None:
        self.event.set()


def head_start(sent: Sent) -> None:
    """Nothing to wait for (a callback cannot await): a task started early runs once the page in hand is validated."""


async def let_run(sent: Sent) -> None:
    """Let a request just started get on the wire before the caller's loop runs (which may not await for a while).

    A task runs only when the loop gets control: waits until the request reaches
    ``before-send`` (at most ``HEAD_START``), then lets the loop run ``WRITE_TIME``.
    """
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(sent.event.wait(), HEAD_START)
    await asyncio.sleep(WRITE_TIME)


class Gate:
    """One receiver at a time on a queue, the other waiters woken after each receive.

    The asyncio twin of a ``threading.Condition``: ``with gate:`` guards nothing
    (the loop runs one coroutine at a time), :meth:`wait` waits for the next wake.
    """

    def __init__(self) -> None:
        self._round = asyncio.Event()

    def __enter__(self) -> Gate:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._round.wait(), timeout)

    def wake(self) -> None:
        self._round.set()
        self._round = asyncio.Event()


class _Queue(Protocol):
    async def wait_for_any(self, job_ids: list[str], timeout: float) -> CompletionNotification: ...


class JobGroup(Generic[K, T]):
    """The running jobs of a batch, each followed by its procedure in an asyncio task of its own.

    ``send`` answers a procedure's requests for one job; a :class:`Note` request is
    that job's own ``queue.wait_for_any``. Closing the group cancels the tasks and
    waits for them.
    """

    def __init__(self, queue: _Queue, send: Callable[[K, Any], Awaitable[Any]], clock: Callable[[], float]) -> None:
        self._queue = queue
        self._send = send
        self._tasks: dict[asyncio.Task[T], K] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def add(self, key: K, job_id: str, procedure: Procedure[T]) -> None:
        async def answer(request: Any) -> Any:
            if isinstance(request, Note):
                return await self._queue.wait_for_any([job_id], request.seconds)
            return await self._send(key, request)

        task = asyncio.get_running_loop().create_task(adrive(procedure, answer), name=f"rekotrack-job-{job_id}")
        self._tasks[task] = key

    async def next_done(self) -> list[tuple[K, T]]:
        """The jobs that ended next (at least one), with their outcomes."""
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        return [(self._tasks.pop(task), task.result()) for task in sorted(done, key=lambda t: t.get_name())]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


class Opening(Generic[T]):
    """What ``AsyncCompletionQueue.create`` / ``attach`` return: await it, or use it with ``async with``."""

    def __init__(self, open_: Callable[[], Awaitable[T]]) -> None:
        self._open = open_
        self._made: Any = None

    def __await__(self) -> Generator[Any, None, T]:
        async def run() -> T:
            return await self._open()

        return run().__await__()

    async def __aenter__(self) -> T:
        self._made = await self._open()
        return self._made  # type: ignore[no-any-return]

    async def __aexit__(self, *exc: Any) -> None:
        if self._made is not None:
            await self._made.__aexit__(*exc)


def opening(open_: Callable[[], Awaitable[T]]) -> Opening[T]:
    """Opening a queue needs awaits: hand back something to await (or ``async with``)."""
    return Opening(open_)

