"""The one retry layer: what is retried, how long to wait, and the loop that does it.

=======================================  ==================================
Retried (same policy, full jitter)       Never retried
=======================================  ==================================
ThrottlingException                      AccessDeniedException
ProvisionedThroughputExceededException   InvalidParameterException
InternalServerError, other HTTP 5xx      InvalidS3ObjectException
connection errors, read/connect timeout  InvalidPaginationTokenException
a malformed 200 page (MalformedResponse) ResourceNotFoundException
LimitExceededException (start only,      IdempotentParameterMismatchException
longer delays)                           VideoTooLargeException, unknown codes
=======================================  ==================================

Decisions (:func:`rekotrack._core._classify.retry_kind`, :meth:`RetryPolicy.delay`)
are pure functions so any client, sync or async, makes the same ones;
:func:`call_with_retries` is the synchronous loop on tenacity's ``Retrying`` and
:func:`acall_with_retries` the asynchronous one on ``AsyncRetrying``, both built
from the same callbacks. A ``budget`` bounds the whole call in wall-clock
seconds: each attempt gets what is left of it (a request whose answer drips in
slowly is abandoned when it runs out) and no retry starts past it.
"""

from __future__ import annotations

import contextlib
import contextvars
import http.client
import logging
import random
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, NoReturn, TypeVar

from botocore.exceptions import ClientError, HTTPClientError, IncompleteReadError
from botocore.exceptions import ConnectionError as BotoConnectionError
from tenacity import AsyncRetrying, RetryCallState, Retrying

from ._core._classify import RetryKind, is_throttling_code, retry_kind
from ._core._prefetch import RequestStopped
from ._errors import APIError, ThrottlingError, TransportError, api_error_from_response

__all__ = [
    "AsyncStarted",
    "RetryKind",
    "RetryPolicy",
    "Started",
    "TransportError",
    "acall_with_retries",
    "call_with_retries",
    "retry_kind",
    "to_api_error",
]

logger = logging.getLogger("rekotrack")

T = TypeVar("T")


async def _asyncio_sleep(seconds: float) -> None:
    """``asyncio.sleep``, imported when first awaited (the synchronous clients never load asyncio)."""
    import asyncio

    await asyncio.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How rekotrack retries; the only retry layer on a client it creates.

    The n-th retry waits a random time in ``[0, min(max_delay, initial_delay * multiplier**(n-1))]``
    (full jitter). ``LimitExceededException`` on Start uses the ``limit_*`` settings instead.
    ``sleep`` (used by the synchronous clients), ``async_sleep`` (used by the asynchronous
    ones) and ``random`` are injectable for tests.
    """

    max_attempts: int = 5
    """Total attempts for a request, the first one included."""
    initial_delay: float = 0.5
    max_delay: float = 20.0
    multiplier: float = 2.0
    jitter: bool = True
    """Full jitter; ``False`` waits the upper bound (deterministic)."""
    limit_max_attempts: int = 6
    limit_initial_delay: float = 5.0
    limit_max_delay: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(default=_asyncio_sleep, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.limit_max_attempts < 1:
            raise ValueError("max_attempts and limit_max_attempts must be >= 1")
        if min(self.initial_delay, self.max_delay, self.limit_initial_delay, self.limit_max_delay) < 0:
            raise ValueError("delays must be >= 0")

    def attempts_for(self, kind: RetryKind) -> int:
        """Total attempts allowed for an error of this kind."""
        return self.limit_max_attempts if kind == "limit" else self.max_attempts

    def cap(self, retry_number: int, kind: RetryKind = "transient") -> float:
        """Upper bound of the wait before the ``retry_number``-th retry (1-based)."""
        base, top = (
            (self.limit_initial_delay, self.limit_max_delay)
            if kind == "limit"
            else (self.initial_delay, self.max_delay)
        )
        return float(min(top, base * self.multiplier ** max(0, retry_number - 1)))

    def delay(self, retry_number: int, kind: RetryKind = "transient") -> float:
        """The wait before the ``retry_number``-th retry, jitter applied."""
        upper = self.cap(retry_number, kind)
        return upper * self.random() if self.jitter else upper


def to_api_error(
    exc: BaseException, operation: str, errors: Mapping[str, type[APIError]] | None = None
) -> APIError | None:
    """Map a botocore exception to rekotrack's typed error, or None if it is not an API/transport one.

    ``errors`` is the table the error code is read in (a ``VideoOperation``'s ``errors``);
    by default the one table of every Rekognition code.
    """
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, ClientError):
        error = api_error_from_response(dict(exc.response), operation, classes=errors)
        if type(error) is APIError and is_throttling_code(error.code or ""):
            # SNS and SQS throttle with codes of their own; the policy retries them all alike.
            return ThrottlingError(
                error.message,
                code=error.code,
                operation=operation,
                request_id=error.request_id,
                http_status=error.http_status,
            )
        return error
    if isinstance(exc, (HTTPClientError, BotoConnectionError, IncompleteReadError)):
        return TransportError(str(exc), operation=operation)
    return None


def _controls(policy: RetryPolicy, operation: str, deadline: float | None) -> dict[str, Any]:
    """tenacity's retry, wait, stop and log callbacks for ``operation`` under ``policy`` (sync and async alike)."""

    def should_retry(state: RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        exc = outcome.exception()
        if not isinstance(exc, APIError):
            return False
        kind = retry_kind(exc, operation)
        if deadline is not None and time.monotonic() >= deadline:
            return False
        return kind is not None and state.attempt_number < policy.attempts_for(kind)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        kind = retry_kind(exc, operation) if isinstance(exc, APIError) else None
        delay = policy.delay(state.attempt_number, kind or "transient")
        if deadline is not None:
            delay = max(0.0, min(delay, deadline - time.monotonic()))
        return delay

    def log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        logger.debug(
            "retry %s after attempt %d (%s); sleeping %.3f s",
            operation,
            state.attempt_number,
            getattr(exc, "code", None) or type(exc).__name__,
            delay,
        )

    return {
        "retry": should_retry,
        "wait": wait,
        "stop": lambda _state: False,
        "before_sleep": log_retry,
        "reraise": True,
    }


def _raise_typed(
    exc: Exception, operation: str, attempt: int, errors: Mapping[str, type[APIError]] | None
) -> NoReturn:
    """Re-raise ``exc`` as rekotrack's typed error carrying the attempt count (the botocore error as cause)."""
    typed = to_api_error(exc, operation, errors)
    if typed is None:
        raise exc
    typed.attempts = attempt
    if typed is exc:
        raise typed
    raise typed from exc


def _deadline(budget: float | None) -> float | None:
    return None if budget is None else time.monotonic() + budget


def _left(deadline: float | None, operation: str) -> float | None:
    """Seconds left of the call's budget; TransportError when none is."""
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise TransportError("no complete answer within the request's time budget", operation=operation)
    return left


def _limit(ends: float | None, seconds: float | None) -> float | None:
    """How long to wait now: at most ``seconds``, and not past ``ends`` (a monotonic time)."""
    own = None if ends is None else max(0.0, ends - time.monotonic())
    if own is None or seconds is None:
        return own if seconds is None else seconds
    return min(own, seconds)


def _abandoned(operation: str, seconds: float) -> TransportError:
    logger.warning("%s gave no complete answer within %.3g s; abandoning it", operation, seconds)
    return TransportError(f"no complete answer within {seconds:.3g} s", operation=operation)


def _socket_of(value: object) -> socket.socket | None:
    """The socket a request-reading object works on, if ``value`` is one (http.client, urllib3, socket.SocketIO)."""
    if isinstance(value, socket.socket):
        return value
    if isinstance(value, socket.SocketIO):
        sock = getattr(value, "_sock", None)
        return sock if isinstance(sock, socket.socket) else None
    if isinstance(value, http.client.HTTPConnection):  # urllib3's and botocore's connections derive from it
        return value.sock if isinstance(value.sock, socket.socket) else None
    return None


def _sockets_in_use(thread_id: int) -> list[socket.socket]:
    """The sockets the thread ``thread_id`` is reading or writing now, found in its frames' ``self``/``conn``/``sock``.

    A blocking read cannot be interrupted from another thread, but shutting its socket
    down ends it at once (the read sees the end of the stream). The frames are the one
    place that knows which pooled connection a request thread holds, whatever the
    versions of botocore and urllib3.
    """
    frame = sys._current_frames().get(thread_id)
    found: list[socket.socket] = []
    while frame is not None:
        local = frame.f_locals
        for name in ("self", "conn", "sock"):
            sock = _socket_of(local.get(name))
            if sock is not None and all(sock is not other for other in found):
                found.append(sock)
        frame = frame.f_back
    return found


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, also for TLS: no TLS close-notify


_CURRENT: contextvars.ContextVar[Started[Any] | None] = contextvars.ContextVar("rekotrack_started", default=None)


class Started(Generic[T]):
    """One attempt running on its own helper thread from now on, bounded in wall-clock time from its start.

    botocore's read timeout bounds each socket read, not the answer: a server that
    drips one byte at a time never trips it. :meth:`wait` gives up (TransportError)
    when ``budget`` seconds have passed since the start, and the abandoned request is
    stopped. Started early, it is the first attempt of a Get collected later
    (``call_with_retries(first=...)``).

    :meth:`stop` returns at once, whatever the server does: an attempt not yet begun
    never begins (:class:`RequestStopped`; a prefetch's request stopped before it is
    sent is never sent either: ``rekotrack._core._prefetch.Lane.sending``), and the connection of one being
    sent or read is shut down, which ends the thread's read; a thread caught between
    the two is watched by a short-lived closer thread until it ends (at most its
    budget). With ``group``, the ``Started`` made on its thread (the attempts of a whole retried call) are
    stopped with it.
    """

    def __init__(
        self, fn: Callable[[], T], operation: str, budget: float | None, *, name: str | None = None, group: bool = False
    ) -> None:
        self._operation = operation
        self._began = time.monotonic()
        self._ends = None if budget is None else self._began + budget
        self._box: list[tuple[bool, Any]] = []
        self._done = threading.Event()
        self._stopped = False
        self._shut: list[socket.socket] = []
        self._inner: list[Started[Any]] = []
        self._thread_id: int | None = None
        outer = _CURRENT.get()
        if outer is not None:
            outer._inner.append(self)
            if outer._stopped:
                self._stopped = True
        context = contextvars.copy_context()  # the caller's context variables travel with the call

        def attempt() -> T:
            _CURRENT.set(self if group else None)
            if self._stopped:  # stopped with the group that started it, before it began
                raise RequestStopped(f"{operation} was stopped before it was sent")
            return fn()

        def run() -> None:
            self._thread_id = threading.get_ident()
            try:
                self._box.append((True, context.run(attempt)))
            except BaseException as exc:  # handed to the caller's thread
                self._box.append((False, exc))
            finally:
                self._inner.clear()  # ended: what it started is no longer its to stop
                self._done.set()

        threading.Thread(target=run, name=name or f"rekotrack-{operation}", daemon=True).start()

    def wait(self, seconds: float | None = None) -> T:
        """Its answer, waiting at most ``seconds`` more and never past its own budget.

        Interrupted (``KeyboardInterrupt``) or out of time, the request is stopped.
        """
        try:
            done = self._done.wait(_limit(self._ends, seconds))
        except BaseException:
            self.stop()
            raise
        if not done:
            self.stop()
            raise _abandoned(self._operation, time.monotonic() - self._began)
        ok, value = self._box[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    def stop(self) -> None:
        """Stop it without waiting for the server: its answer is dropped and its connection shut."""
        self._stopped = True
        for inner in list(self._inner):
            inner.stop()
        if self._close_connections():
            return
        threading.Thread(target=self._closer, name="rekotrack-closer", daemon=True).start()

    def _close_connections(self) -> bool:
        """Shut the sockets its thread works on now; True once the thread has ended."""
        if self._done.is_set():
            return True
        if self._thread_id is not None:
            for sock in _sockets_in_use(self._thread_id):
                if all(sock is not other for other in self._shut):
                    self._shut.append(sock)
                    _shut(sock)
        return self._done.wait(_CLOSE_CHECK)

    def _closer(self) -> None:
        ends = self._ends if self._ends is not None else time.monotonic() + _CLOSE_WATCH
        while not self._close_connections() and time.monotonic() < ends:
            pass
        self._shut.clear()


_CLOSE_CHECK = 0.02
"""How long :meth:`Started.stop` lets a stopped thread end before it hands the watch to a closer thread."""
_CLOSE_WATCH = 60.0
"""How long a closer thread watches a stopped request without a budget of its own."""


class AsyncStarted(Generic[T]):
    """:class:`Started` as an asyncio task: cancelled when its budget is spent or it is stopped."""

    def __init__(
        self, fn: Callable[[], Awaitable[T]], operation: str, budget: float | None, *, name: str | None = None
    ) -> None:
        import asyncio  # here, not at the top: the synchronous clients never load asyncio

        self._operation = operation
        self._began = time.monotonic()
        self._ends = None if budget is None else self._began + budget
        self._task = asyncio.get_running_loop().create_task(_awaited(fn), name=name or f"rekotrack-{operation}")

    async def wait(self, seconds: float | None = None) -> T:
        """Its answer, waiting at most ``seconds`` more and never past its own budget (then it is cancelled)."""
        import asyncio

        limit = _limit(self._ends, seconds)
        if limit is None:
            return await self._task
        try:
            return await asyncio.wait_for(self._task, limit)
        except asyncio.TimeoutError:
            raise _abandoned(self._operation, time.monotonic() - self._began) from None

    async def stop(self) -> None:
        """Cancel it if it still runs, and wait until it has stopped."""
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(BaseException):
            await self._task


async def _awaited(fn: Callable[[], Awaitable[T]]) -> T:
    return await fn()


def _within(seconds: float | None, operation: str, fn: Callable[[], T]) -> T:
    """``fn()`` bounded in wall-clock time (see :class:`Started`); inline when there is no bound."""
    if seconds is None:
        return fn()
    return Started(fn, operation, seconds).wait()


async def _awithin(seconds: float | None, operation: str, fn: Callable[[], Awaitable[T]]) -> T:
    """``await fn()`` bounded in wall-clock time: cancelled (TransportError) when time is up."""
    if seconds is None:
        return await fn()
    import asyncio  # here, not at the top: the synchronous clients never load asyncio

    try:
        return await asyncio.wait_for(fn(), seconds)
    except asyncio.TimeoutError:
        logger.warning("%s gave no complete answer within %.3g s; cancelled it", operation, seconds)
        raise TransportError(f"no complete answer within {seconds:.3g} s", operation=operation) from None


def call_with_retries(
    policy: RetryPolicy,
    operation: str,
    fn: Callable[[], T],
    *,
    budget: float | None = None,
    errors: Mapping[str, type[APIError]] | None = None,
    first: Started[T] | None = None,
) -> T:
    """Run ``fn`` under ``policy`` within ``budget`` seconds; raise the typed rekotrack error when it gives up.

    ``fn`` raises botocore exceptions or rekotrack ``APIError``s; anything else propagates untouched.
    Error codes are read in ``errors`` (see :func:`to_api_error`). The typed error carries the
    number of attempts (``attempts``). ``first``: the first attempt, started earlier (a
    prefetch); it keeps the budget it was started with.
    """
    deadline = _deadline(budget)
    for attempt in Retrying(sleep=policy.sleep, **_controls(policy, operation, deadline)):
        with attempt:
            number = attempt.retry_state.attempt_number
            logger.debug("request %s attempt %d", operation, number)
            try:
                if first is not None and number == 1:
                    return first.wait(_left(deadline, operation))
                return _within(_left(deadline, operation), operation, fn)
            except Exception as exc:
                _raise_typed(exc, operation, number, errors)
    raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover


async def acall_with_retries(
    policy: RetryPolicy,
    operation: str,
    fn: Callable[[], Awaitable[T]],
    *,
    budget: float | None = None,
    errors: Mapping[str, type[APIError]] | None = None,
    first: AsyncStarted[T] | None = None,
) -> T:
    """:func:`call_with_retries` for a coroutine function: the same decisions, sleeping with ``policy.async_sleep``.

    Cancellation (``asyncio.CancelledError``) is never retried and propagates at once.
    """
    deadline = _deadline(budget)
    for_async = AsyncRetrying(sleep=policy.async_sleep, **_controls(policy, operation, deadline))
    async for attempt in for_async:
        with attempt:
            number = attempt.retry_state.attempt_number
            logger.debug("request %s attempt %d", operation, number)
            try:
                if first is not None and number == 1:
                    return await first.wait(_left(deadline, operation))
                return await _awithin(_left(deadline, operation), operation, fn)
            except Exception as exc:
                _raise_typed(exc, operation, number, errors)
    raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover
