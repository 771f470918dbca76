"""Procedures and their drivers.

A procedure is a generator: it yields a request, is sent the result (or has the
error thrown in) and returns its outcome. :func:`drive` answers the requests
synchronously, :func:`adrive` with awaits; neither knows what the requests are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar, cast

__all__ = ["Procedure", "adrive", "drive"]

T = TypeVar("T")

Procedure = Generator[Any, Any, T]
"""A sans-IO procedure: yields the requests to make, is sent each response, has each request's error thrown in."""


def drive(procedure: Procedure[T], send: Callable[[Any], Any]) -> T:
    """Run a procedure synchronously: answer each request with ``send``, hand back its result or error."""
    try:
        request = next(procedure)
        while True:
            try:
                response = send(request)
            except BaseException as exc:
                request = procedure.throw(exc)
            else:
                request = procedure.send(response)
    except StopIteration as stop:
        return cast(T, stop.value)
    finally:
        procedure.close()


async def adrive(procedure: Procedure[T], send: Callable[[Any], Awaitable[Any]]) -> T:
    """Run a procedure asynchronously: await each answer, hand back its result or error (cancellation too)."""
    try:
        request = next(procedure)
        while True:
            try:
                response = await send(request)
            except BaseException as exc:
                request = procedure.throw(exc)
            else:
                request = procedure.send(response)
    except StopIteration as stop:
        return cast(T, stop.value)
    finally:
        procedure.close()
