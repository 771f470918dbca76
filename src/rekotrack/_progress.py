"""Progress displays of the command line: tqdm on stderr, only when stderr is a terminal.

A display ticks on its own (a small thread redraws it twice a second), so the
elapsed time moves between status checks and pages, not only when something arrives.
"""

from __future__ import annotations

import os
import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, NoReturn, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["Progress"]

TICK_SECONDS = 0.5


class Progress:
    """One progress line: ``desc``, a count (``unit``) when ``counting``, a status text and the elapsed time.

    Does nothing when ``enabled`` is false (``--quiet``) or ``stream`` is not a terminal.
    """

    def __init__(
        self, desc: str, *, unit: str = "", counting: bool = False, enabled: bool = True, stream: TextIO | None = None
    ) -> None:
        stream = stream if stream is not None else sys.stderr
        self._desc = desc
        self._counting = counting
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
            bar = self._bar
            if bar is not None:
                bar.refresh()

    def advance(self, count: int = 1) -> None:
        """Add ``count`` to the count."""
        if self._bar is not None:
            self._bar.update(count)

    def status(self, text: str) -> None:
        """Show ``text`` after the count (replacing the previous status)."""
        if self._bar is None:
            return
        if self._counting:
            self._bar.set_postfix_str(text, refresh=False)
        else:
            self._bar.set_description_str(f"{self._desc}: {text}", refresh=False)

    def close(self) -> None:
        """Stop ticking and leave the last state on its own line."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
