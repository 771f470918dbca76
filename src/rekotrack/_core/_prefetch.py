"""The prefetch pipeline's state machine, without I/O: one :class:`Lane` per request kept ahead of the caller.

A pager keeps one Get ahead of the caller's loop. Each such request is a lane with
a named :class:`Phase`; every transition is a method here, made under the guard the
shell hands in (a lock for the threads of the synchronous shell, nothing for the
event loop). The shells only do what a transition says: start a request, stop one.

The request reports two things, from wherever it runs (its helper thread or task),
through ``rekotrack._fastpath``'s botocore hook: that it is about to be sent
(:meth:`Lane.sending`: False when it was stopped, so it is never sent), and its
page's raw bytes (:meth:`Lane.received`). When the caller already waits for that
page, the NextToken read in the bytes (:func:`~rekotrack._core._pages.next_token_hint`)
starts the request after it *before* the page is validated. After the page is
delivered, :func:`keeps` decides whether that early request is the next prefetch
(the validated page gives the same NextToken) or is stopped and dropped.

::

    REQUESTED --awaited--> AWAITED --received (a hint)--> HINTED
        |                     |                              |
        |                     +--------delivered-------------+--> DELIVERED
        +---stop (from any phase but DELIVERED)------------------> STOPPED
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

from ._pages import next_token_hint

__all__ = ["Lane", "Phase", "RequestStopped", "keeps"]

H = TypeVar("H")
"""The shell's handle of a request (what a transition hands back to start or stop)."""


class RequestStopped(Exception):
    """A request stopped by its owner before it was sent (its answer was no longer wanted); never retried."""


class Phase(enum.Enum):
    REQUESTED = "requested"
    """Started; the caller does not wait for its page yet."""
    AWAITED = "awaited"
    """The caller waits for its page."""
    HINTED = "hinted"
    """Its page's bytes named the next NextToken while the caller waited: the request after it was started."""
    DELIVERED = "delivered"
    """Collected: its page (or its error) reached the caller. Nothing more starts from it."""
    STOPPED = "stopped"
    """Stopped before it was collected (the loop was left, or its page is not the one wanted)."""


class Lane(Generic[H]):
    """One request kept ahead of the caller: the page after ``token``, and the request started early from it.

    ``early``: whether its page's NextToken may start the next request before the
    page is validated (not with ``max_items``, where the next page may not be wanted).
    ``guard``: held around each transition (the request's thread and the caller's
    both make them).
    """

    def __init__(self, token: str | None, *, early: bool, guard: AbstractContextManager[object]) -> None:
        self.token = token
        self.phase = Phase.REQUESTED
        self.sent = False
        self.following: H | None = None
        self._early = early
        self._guard = guard

    def awaited(self) -> None:
        """The caller now waits for this page."""
        with self._guard:
            if self.phase is Phase.REQUESTED:
                self.phase = Phase.AWAITED

    def sending(self) -> bool:
        """The request (an attempt of it) is about to go on the wire: False when it was stopped, so it is not sent."""
        with self._guard:
            if self.phase is Phase.STOPPED:
                return False
            self.sent = True
            return True

    def received(self, body: bytes, start: Callable[[str], H]) -> H | None:
        """Its page's raw bytes: while the caller waits for them, ``start(hint)`` the next request (returned)."""
        with self._guard:
            if self.phase is not Phase.AWAITED or not self._early:
                return None
            hint = next_token_hint(body)
            if hint is None:
                return None
            self.phase = Phase.HINTED
            self.following = start(hint)  # under the guard: a stop now waits, then stops it too
            return self.following

    def delivered(self) -> H | None:
        """Its page (or error) reached the caller; the request started early from it, handed over (or None)."""
        with self._guard:
            if self.phase is Phase.STOPPED:
                return None
            self.phase = Phase.DELIVERED
            following, self.following = self.following, None
            return following

    def stop(self) -> H | None:
        """Stop it (nothing more starts from it); the request started early from it, to stop too (or None)."""
        with self._guard:
            if self.phase is not Phase.DELIVERED:
                self.phase = Phase.STOPPED
            following, self.following = self.following, None
            return following


def keeps(token: str | None, *, wanted: bool, next_token: str | None) -> bool:
    """Whether a request started for the page after ``token`` is the next prefetch once a page is accepted.

    ``wanted``: the walk goes on and prefetches; ``next_token``: what the validated page
    asks for next. Any other request is stopped and dropped (one wasted request).
    """
    return wanted and token == next_token
