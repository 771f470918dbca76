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

Decisions (:func:`retry_kind`, :meth:`RetryPolicy.delay`) are pure functions so
any client, sync or async, makes the same ones; :func:`call_with_retries` is the
synchronous loop on tenacity's ``Retrying`` and :func:`acall_with_retries` the
asynchronous one on ``AsyncRetrying``, both built from the same callbacks.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn, TypeVar

from botocore.exceptions import ClientError, HTTPClientError, IncompleteReadError
from botocore.exceptions import ConnectionError as BotoConnectionError
from tenacity import AsyncRetrying, RetryCallState, Retrying

from ._errors import (
    APIError,
    InternalServerError,
    LimitExceededError,
    MalformedResponseError,
    ProvisionedThroughputExceededError,
    ThrottlingError,
    api_error_from_response,
)

__all__ = [
    "RetryKind",
    "RetryPolicy",
    "TransportError",
    "acall_with_retries",
    "call_with_retries",
    "retry_kind",
    "to_api_error",
]

logger = logging.getLogger("rekotrack")

T = TypeVar("T")
RetryKind = Literal["transient", "limit"]


class TransportError(APIError):
    """The request got no usable HTTP answer: connection refused or dropped, or a timeout; retried."""


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
    async_sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False, compare=False)

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


def to_api_error(exc: BaseException, operation: str) -> APIError | None:
    """Map a botocore exception to rekotrack's typed error, or None if it is not an API/transport one."""
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, ClientError):
        return api_error_from_response(dict(exc.response), operation)
    if isinstance(exc, (HTTPClientError, BotoConnectionError, IncompleteReadError)):
        return TransportError(str(exc), operation=operation)
    return None


_TRANSIENT: tuple[type[APIError], ...] = (
    ThrottlingError,
    ProvisionedThroughputExceededError,
    InternalServerError,
    MalformedResponseError,
    TransportError,
)


def retry_kind(error: APIError, operation: str) -> RetryKind | None:
    """Whether (and how) ``error`` from ``operation`` is retried; None means never."""
    if isinstance(error, _TRANSIENT):
        return "transient"
    if isinstance(error, LimitExceededError):
        return "limit" if operation.startswith("Start") else None
    if type(error) is APIError and error.http_status is not None and error.http_status >= 500:
        return "transient"
    return None


def _controls(policy: RetryPolicy, operation: str) -> dict[str, Any]:
    """tenacity's retry, wait, stop and log callbacks for ``operation`` under ``policy`` (sync and async alike)."""

    def should_retry(state: RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        exc = outcome.exception()
        if not isinstance(exc, APIError):
            return False
        kind = retry_kind(exc, operation)
        return kind is not None and state.attempt_number < policy.attempts_for(kind)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        kind = retry_kind(exc, operation) if isinstance(exc, APIError) else None
        return policy.delay(state.attempt_number, kind or "transient")

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


def _raise_typed(exc: Exception, operation: str, attempt: int) -> NoReturn:
    """Re-raise ``exc`` as rekotrack's typed error carrying the attempt count (the botocore error as cause)."""
    typed = to_api_error(exc, operation)
    if typed is None:
        raise exc
    typed.attempts = attempt
    if typed is exc:
        raise typed
    raise typed from exc


def call_with_retries(policy: RetryPolicy, operation: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` under ``policy``; raise the typed rekotrack error (with ``attempts``) when it gives up.

    ``fn`` raises botocore exceptions or rekotrack ``APIError``s; anything else propagates untouched.
    """
    for attempt in Retrying(sleep=policy.sleep, **_controls(policy, operation)):
        with attempt:
            number = attempt.retry_state.attempt_number
            logger.debug("request %s attempt %d", operation, number)
            try:
                return fn()
            except Exception as exc:
                _raise_typed(exc, operation, number)
    raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover


async def acall_with_retries(policy: RetryPolicy, operation: str, fn: Callable[[], Awaitable[T]]) -> T:
    """:func:`call_with_retries` for a coroutine function: the same decisions, sleeping with ``policy.async_sleep``.

    Cancellation (``asyncio.CancelledError``) is never retried and propagates at once.
    """
    for_async = AsyncRetrying(sleep=policy.async_sleep, **_controls(policy, operation))
    async for attempt in for_async:
        with attempt:
            number = attempt.retry_state.attempt_number
            logger.debug("request %s attempt %d", operation, number)
            try:
                return await fn()
            except Exception as exc:
                _raise_typed(exc, operation, number)
    raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover
