"""Procedures and their drivers.

A procedure is a generator: it yields a request, is sent the result (or has the
error thrown in) and returns its outcome. :class:`Run` steps one procedure
without doing any request; :func:`drive` answers its requests synchronously,
:func:`adrive` with awaits; neither knows what the requests are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

__all__ = ["Procedure", "Run", "adrive", "drive"]

T = TypeVar("T")

Procedure = Generator[Any, Any, T]
"""A sans-IO procedure: yields the requests to make, is sent each response, has each request's error thrown in."""


class Run(Generic[T]):
    """One procedure being stepped: its pending :attr:`request`, or its :attr:`value` once :attr:`done`."""

    def __init__(self, procedure: Procedure[T]) -> None:
        self.procedure = procedure
        self.request: Any = None
        self.done = False
        self.value: T | None = None
        self._step(procedure.send, None)

    def _step(self, resume: Callable[[Any], Any], argument: Any) -> None:
        try:
            self.request = resume(argument)
        except StopIteration as stop:
            self.done, self.value, self.request = True, stop.value, None

    def answer(self, response: Any) -> None:
        """Send the response of the pending request."""
        self._step(self.procedure.send, response)

    def fail(self, error: BaseException) -> None:
        """Throw the pending request's error in (the procedure may handle it, or it propagates)."""
        self._step(self.procedure.throw, error)

    def close(self) -> None:
        self.procedure.close()


def drive(procedure: Procedure[T], send: Callable[[Any], Any]) -> T:
    """Run a procedure synchronously: answer each request with ``send``, hand back its result or error."""
    run = Run(procedure)
    while not run.done:
        try:
            response = send(run.request)
        except BaseException as exc:
            run.fail(exc)
        else:
            run.answer(response)
    return run.value  # type: ignore[return-value]


async def adrive(procedure: Procedure[T], send: Callable[[Any], Awaitable[Any]]) -> T:
    """Run a procedure asynchronously: await each answer, hand back its result or error (cancellation too)."""
    run = Run(procedure)
    while not run.done:
        try:
            response = await send(run.request)
        except BaseException as exc:
            run.fail(exc)
        else:
            run.answer(response)
    return run.value  # type: ignore[return-value]
