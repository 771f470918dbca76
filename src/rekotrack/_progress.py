"""Progress displays of the command line: tqdm on stderr, only when stderr is a terminal.

A display ticks on its own (a small thread redraws it twice a second), so the
elapsed time moves between status checks and pages, not only when something arrives.
A self-hosted server's ``analysed N of M frames`` status is shown as a percent with an
estimated time left (:class:`FrameProgress`), counting down between status checks.
The line is erased before the command writes to the same terminal (:meth:`Progress.write`)
and when the command ends in an error, so that a table or a message starts on a clean line.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, NoReturn, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["FrameProgress", "Progress"]

TICK_SECONDS = 0.5

_FRAMES = re.compile(r"analysed (\d+) of (\d+) frames")


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class FrameProgress:
    """A server's ``analysed N of M frames`` over time: the percent done and an estimated time left.

    The rate is measured between the first report with frames and the latest one; the
    time left counts down from the latest report (it is an estimate: frames are only
    known at each status check).
    """

    def __init__(self) -> None:
        self._first: tuple[float, int] | None = None
        self._last: tuple[float, int] | None = None
        self._total = 0
        self._eta_at: float | None = None

    def observe(self, message: str | None, now: float) -> bool:
        """Read a status message seen at ``now``; False when it reports no frames."""
        found = _FRAMES.search(message or "")
        if found is None:
            return False
        done, total = int(found.group(1)), int(found.group(2))
        self._total = max(total, done)
        if self._first is None or done < self._first[1]:  # the first report, or a job that started again
            self._first = (now, done)
            self._eta_at = None
        self._last = (now, done)
        first_at, first_done = self._first
        if now > first_at and done > first_done:
            rate = (done - first_done) / (now - first_at)
            self._eta_at = now + (self._total - done) / rate
        return True

    def percent(self) -> int | None:
        """The share analysed at the latest report, 0..100 (None before any)."""
        if self._last is None or self._total <= 0:
            return None
        return min(100, int(100 * self._last[1] / self._total))

    def seconds_left(self, now: float) -> float | None:
        """The estimated seconds left at ``now`` (None until two reports show progress)."""
        if self._eta_at is None:
            return None
        return max(0.0, self._eta_at - now)

    def describe(self, now: float) -> str:
        """E.g. ``analysed 120 of 795 frames, 15%, ETA 0:42`` (empty before any report)."""
        if self._last is None:
            return ""
        text = f"analysed {self._last[1]} of {self._total} frames, {self.percent()}%"
        left = self.seconds_left(now)
        return text if left is None else f"{text}, ETA {_clock(left)}"


class Progress:
    """One progress line: ``desc``, a count (``unit``) when ``counting``, a status text and the elapsed time.

    Does nothing when ``enabled`` is false (``--quiet``) or ``stream`` is not a terminal.
    """

    def __init__(
        self,
        desc: str,
        *,
        unit: str = "",
        counting: bool = False,
        enabled: bool = True,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        stream = stream if stream is not None else sys.stderr
        self._desc = desc
        self._counting = counting
        self._clock = clock
        self._text = ""
        self._frames = FrameProgress()
        self._lock = threading.RLock()  # the ticker thread and the command's thread both draw
        self._terminals: dict[int, bool] = {}
        self._bar: tqdm[NoReturn] | None = None  # a tqdm that iterates nothing
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if not enabled or not stream.isatty():
            return
        from tqdm import tqdm

        # tqdm puts ", " before {postfix}: it follows the count; without a count the status goes in {desc}.
        bar_format = "{desc} [{elapsed}]"
        if counting:
            bar_format = "{desc}: {n_fmt} " + unit + "{postfix} [{elapsed}, {rate_fmt}]"
        try:
            sized = os.get_terminal_size(stream.fileno()).columns > 0
        except (OSError, ValueError):
            sized = False
        # Follow the terminal's width; a terminal that reports none (width 0) would cut the line to nothing.
        self._bar = tqdm(
            desc=desc, file=stream, unit=unit, leave=True, mininterval=0.1, bar_format=bar_format,
            dynamic_ncols=sized, ncols=None if sized else 160,
        )
        self._ticker = threading.Thread(target=self._tick, name="rekotrack-progress", daemon=True)
        self._ticker.start()

    @property
    def active(self) -> bool:
        """Whether anything is displayed."""
        return self._bar is not None

    def _tick(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            with self._lock:
                if self._bar is not None:
                    self._show()
                    self._bar.refresh()

    def _show(self) -> None:
        """Put the status (and the frames' percent and time left, which move between checks) on the bar."""
        assert self._bar is not None
        text = self._text
        frames = self._frames.describe(self._clock())
        if frames:
            text = f"{text}, {frames}" if text else frames
        if self._counting:
            self._bar.set_postfix_str(text, refresh=False)
        else:
            self._bar.set_description_str(f"{self._desc}: {text}" if text else self._desc, refresh=False)

    def advance(self, count: int = 1) -> None:
        """Add ``count`` to the count."""
        if self._bar is not None:
            with self._lock:
                self._bar.update(count)

    def status(self, text: str, message: str | None = None) -> None:
        """Show ``text`` (replacing the previous status); a ``message`` with frames adds a percent and an ETA.

        Any other ``message`` (a server's StatusMessage) is shown as it is.
        """
        if self._bar is None:
            return
        with self._lock:
            if message and not self._frames.observe(message, self._clock()):
                text = f"{text}, {message}"
            self._text = text
            self._show()

    def write(self, text: str, out: TextIO) -> None:
        """Write ``text`` to ``out``; if ``out`` is a terminal too, the progress line is erased first.

        (It is drawn again at the next tick or count, below what was written.)
        """
        if self._bar is None or not self._is_terminal(out):
            out.write(text)
            return
        with self._lock:
            self._bar.clear()
            out.write(text)
            out.flush()

    def _is_terminal(self, out: TextIO) -> bool:
        key = id(out)
        known = self._terminals.get(key)
        if known is None:
            try:
                known = self._terminals[key] = out.isatty()
            except (AttributeError, ValueError):
                known = self._terminals[key] = False
        return known

    def close(self, *, keep: bool = True) -> None:
        """Stop ticking; leave the last state on its own line (``keep``) or erase it (before an error message)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        with self._lock:
            bar, self._bar = self._bar, None
            if bar is not None:
                if not keep:
                    bar.leave = False
                bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(keep=exc_type is None)
