"""One person's track of a :class:`rekotrack.TrackingResult`: detections in time order, visits, gaps, path."""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Sequence
from itertools import pairwise

from ._models import PersonDetection
from ._results_store import PersonStore, detection_view

__all__ = ["DEFAULT_MIN_GAP_MS", "DEFAULT_TOLERANCE_MS", "PersonTrack", "check_non_negative"]

DEFAULT_MIN_GAP_MS = 1000
"""Two detections of a person further apart than this are separate visits (a gap)."""
DEFAULT_TOLERANCE_MS = 500
"""``presence(at_ms)`` counts detections within this many milliseconds of ``at_ms``."""

# ---- tracks -----------------------------------------------------------------------


class PersonTrack:
    """Every detection of one person index that has a Timestamp, in time order."""

    __slots__ = ("_rows", "_store", "_times", "index")

    def __init__(self, index: int, store: PersonStore, rows: Sequence[int]) -> None:
        self.index = index
        """The person's ``Index`` in this video."""
        self._store = store
        self._rows = rows
        self._times = array("q", (store.ts[row] for row in rows))
        if not rows:
            raise ValueError("a PersonTrack needs at least one detection")

    @property
    def detections(self) -> Sequence[PersonDetection]:
        """The detections, in time order (built when read)."""
        return detection_view(self._store, self._rows)

    @property
    def timestamps(self) -> Sequence[int]:
        """Timestamp of each detection in ms, in time order."""
        return self._times

    @property
    def first_seen_ms(self) -> int:
        """Timestamp of the first detection, ms from the start of the video."""
        return self._times[0]

    @property
    def last_seen_ms(self) -> int:
        """Timestamp of the last detection, ms from the start of the video."""
        return self._times[-1]

    @property
    def duration_ms(self) -> int:
        """``last_seen_ms - first_seen_ms`` (gaps included; 0 for a single detection)."""
        return self._times[-1] - self._times[0]

    @property
    def detection_count(self) -> int:
        """Number of detections in the track."""
        return len(self._rows)

    @property
    def path(self) -> list[tuple[int, float, float]]:
        """``(t_ms, x, y)`` box centres in frame ratios, in time order; detections without a person box are left out.

        Computed on each access.
        """
        store = self._store
        out: list[tuple[int, float, float]] = []
        for t, row in zip(self._times, self._rows, strict=True):
            center = store.center(row)
            if center is not None:
                out.append((t, center[0], center[1]))
        return out

    def visits(self, min_gap_ms: int = DEFAULT_MIN_GAP_MS) -> list[tuple[int, int]]:
        """``(start_ms, end_ms)`` of each stretch without a gap of ``min_gap_ms`` or more."""
        check_non_negative("min_gap_ms", min_gap_ms)
        times = self._times
        out: list[tuple[int, int]] = []
        start = times[0]
        for before, after in pairwise(times):
            if after - before >= min_gap_ms:
                out.append((start, before))
                start = after
        out.append((start, times[-1]))
        return out

    def gaps(self, min_gap_ms: int = DEFAULT_MIN_GAP_MS) -> list[tuple[int, int]]:
        """Re-entries: ``(end_ms, start_ms)`` where the person vanished for ``min_gap_ms`` or more and came back."""
        visits = self.visits(min_gap_ms)
        return [(left[1], right[0]) for left, right in pairwise(visits)]

    def seen_near(self, at_ms: float, tolerance_ms: float = DEFAULT_TOLERANCE_MS) -> bool:
        """True when a detection lies within ``tolerance_ms`` of ``at_ms``."""
        k = bisect.bisect_left(self._times, at_ms - tolerance_ms)
        return k < len(self._times) and self._times[k] <= at_ms + tolerance_ms

    def __repr__(self) -> str:
        return (
            f"PersonTrack(index={self.index}, detections={self.detection_count}, "
            f"first_seen_ms={self.first_seen_ms}, last_seen_ms={self.last_seen_ms})"
        )


def check_non_negative(name: str, value: float) -> None:
    """Raise ValueError unless ``value`` is a number (not a bool) >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
