"""Clocks for the local server: wall time by default, a manual one for tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

Clock = Callable[[], float]
"""A callable returning the current time in seconds since the epoch."""


class ManualClock:
    """A clock that moves only when told to, for lifecycle and retention tests.

    >>> clock = ManualClock(start=1_700_000_000.0)
    >>> clock.advance(8 * 24 * 3600)  # jump past the 7-day retention
    1700691200.0
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError("a ManualClock never goes backwards")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, now: float) -> None:
        """Set the clock to ``now`` (seconds since the epoch); it may not go backwards."""
        with self._lock:
            if now < self._now:
                raise ValueError("a ManualClock never goes backwards")
            self._now = float(now)

    def __repr__(self) -> str:
        return f"ManualClock({self():.3f})"
