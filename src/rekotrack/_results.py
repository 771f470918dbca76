"""TrackingResult: every detection of one job, compact, with tracks and exports.

The concerns live in their own modules and are re-exported here: the compact
store (:mod:`rekotrack._results_store`: timestamps, indexes and person boxes in
typed arrays, the rarer parts as shapes plus numbers, a :class:`PersonDetection`
built only when one is read), tracks (:mod:`rekotrack._tracks`) and the streaming
exports and readers (:mod:`rekotrack._exports`: JSON Lines, CSV, MOTChallenge).
"""

from __future__ import annotations

import math
import os
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Protocol

from ._exports import (
    CSV_COLUMNS,
    FORMAT_VERSION,
    HEADER_KEY,
    Destination,
    ResultFileError,
    flat_values,
    json_line,
    json_lines,
    mot_frame,
    read_header,
    read_jsonl,
    text_out,
    video_metadata_of,
    write_csv,
    write_csv_rows,
    write_jsonl,
    write_jsonl_rows,
    write_mot,
    write_mot_rows,
)
from ._models import PersonDetection, VideoMetadata
from ._results_store import HAS_INDEX, HAS_TS, PersonStore, detection_view, is_int64
from ._tracks import DEFAULT_MIN_GAP_MS, DEFAULT_TOLERANCE_MS, PersonTrack, check_non_negative

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_MIN_GAP_MS",
    "DEFAULT_TOLERANCE_MS",
    "Destination",
    "PersonTrack",
    "ResultBuilder",
    "ResultFileError",
    "TrackingResult",
    "mot_frame",
    "read_jsonl",
    "write_csv",
    "write_jsonl",
    "write_mot",
]


# ---- the result ----------------------------------------------------------------------


class DetectionSource(Protocol):
    """What :meth:`TrackingResult.from_pager` reads: an iterable of detections with the video's metadata."""

    @property
    def video_metadata(self) -> VideoMetadata | None: ...

    def __iter__(self) -> Iterator[PersonDetection]: ...


class ResultBuilder:
    """Collects items into the compact store one batch at a time (a page), then makes the :class:`TrackingResult`."""

    def __init__(self) -> None:
        self._store = PersonStore()

    def add_all(self, items: Iterable[PersonDetection | Mapping[str, Any]]) -> None:
        add = self._store.add
        for item in items:
            add(item)

    def build(self, *, video_metadata: VideoMetadata | None, job_id: str | None) -> TrackingResult:
        result = TrackingResult(video_metadata=video_metadata, job_id=job_id)
        result._store = self._store
        return result


class TrackingResult:
    """Every detection of one job, held compactly, with per-person tracks and exports.

    Build it with ``job.collect()``, :meth:`from_pager`, :meth:`from_detections`
    or :meth:`load`. It is read-only; ``detections[i]`` builds the
    :class:`PersonDetection` when read, equal to the one collected.
    """

    __slots__ = ("_job_id", "_store", "_tracks", "_video_metadata")

    def __init__(
        self,
        detections: Iterable[PersonDetection | Mapping[str, Any]] = (),
        *,
        video_metadata: VideoMetadata | Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> None:
        self._video_metadata = video_metadata_of(video_metadata)
        self._job_id = job_id
        self._store = PersonStore()
        self._tracks: dict[int, PersonTrack] | None = None
        add = self._store.add
        for item in detections:
            add(item)

    @classmethod
    def from_detections(
        cls,
        detections: Iterable[PersonDetection | Mapping[str, Any]],
        *,
        video_metadata: VideoMetadata | Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> TrackingResult:
        """Collect detections (models or AWS-shaped dicts, which are validated)."""
        return cls(detections, video_metadata=video_metadata, job_id=job_id)

    @classmethod
    def from_pager(cls, pager: DetectionSource, *, job_id: str | None = None) -> TrackingResult:
        """Collect every detection of a pager (``tracker.persons(job_id)``) and its VideoMetadata.

        ``job_id`` defaults to the pager's ``job_id``.
        """
        result = cls(pager)
        result._video_metadata = pager.video_metadata
        pager_job = getattr(pager, "job_id", None)
        result._job_id = job_id if job_id is not None else pager_job if isinstance(pager_job, str) else None
        return result

    # ---- contents ------------------------------------------------------------------

    @property
    def video_metadata(self) -> VideoMetadata | None:
        """The video's metadata (frame size and rate, duration), when known."""
        return self._video_metadata

    @property
    def job_id(self) -> str | None:
        """The job the detections came from, when known."""
        return self._job_id

    @property
    def detections(self) -> Sequence[PersonDetection]:
        """Every detection in collection order (the pager's sort order)."""
        return detection_view(self._store, range(len(self._store)))

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return f"TrackingResult(job_id={self._job_id!r}, detections={len(self)}, people={len(self._get_tracks())})"

    @property
    def nbytes(self) -> int:
        """Approximate memory held by the detections, in bytes."""
        return self._store.nbytes()

    def _get_tracks(self) -> dict[int, PersonTrack]:
        if self._tracks is None:
            store = self._store
            flags, indexes, ts = store.flags, store.index, store.ts
            wanted = HAS_TS | HAS_INDEX
            groups: dict[int, array[int]] = {}
            for row in range(len(flags)):
                if flags[row] & wanted == wanted:
                    rows = groups.get(indexes[row])
                    if rows is None:
                        rows = groups[indexes[row]] = array("q")
                    rows.append(row)
            tracks: dict[int, PersonTrack] = {}
            for index in sorted(groups):
                rows = groups[index]
                if not all(ts[a] <= ts[b] for a, b in pairwise(rows)):
                    rows = array("q", sorted(rows, key=ts.__getitem__))
                tracks[index] = PersonTrack(index, store, rows)
            self._tracks = tracks
        return self._tracks

    def tracks(self) -> dict[int, PersonTrack]:
        """``{index: PersonTrack}`` by ascending index.

        Detections without a Timestamp or a person Index belong to no track.
        """
        return dict(self._get_tracks())

    def presence(self, at_ms: float, tolerance_ms: float = DEFAULT_TOLERANCE_MS) -> list[int]:
        """Indexes of the people with a detection within ``tolerance_ms`` of ``at_ms``, ascending."""
        check_non_negative("tolerance_ms", tolerance_ms)
        return [index for index, track in self._get_tracks().items() if track.seen_near(at_ms, tolerance_ms)]

    # ---- exports ---------------------------------------------------------------------

    def _aws_rows(self, rows: Iterable[int] | None = None) -> Iterator[dict[str, Any]]:
        store = self._store
        for row in range(len(store)) if rows is None else rows:
            yield store.aws(row)

    def to_jsonl(self, dest: Destination) -> int:
        """Write one AWS-shaped detection per line (see :func:`write_jsonl`); returns the line count."""
        return write_jsonl_rows(self._aws_rows(), dest)

    def to_csv(self, dest: Destination) -> int:
        """Write one CSV row per detection (see :func:`write_csv`); returns the row count."""
        return write_csv_rows(self._aws_rows(), dest)

    def to_mot(self, dest: Destination) -> int:
        """Write MOTChallenge lines in time order (see :func:`write_mot`); returns the line count."""
        return write_mot_rows(self._aws_rows(self._store.time_order()), dest, self._video_metadata)

    def to_dataframe(self) -> pd.DataFrame:
        """A pandas DataFrame with the :data:`CSV_COLUMNS` (needs the ``pandas`` extra).

        ``timestamp_ms`` and ``person_index`` are nullable ``Int64``, ``has_face``
        is ``bool``, the other columns ``float64`` with NaN where absent.
        """
        try:
            import numpy as np
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "to_dataframe() needs pandas: pip install '.[pandas]' in a clone ('rekotrack[pandas]' once released)"
            ) from exc
        store = self._store
        n = len(store)
        flags = np.array(store.flags, dtype=np.uint8)
        ts = np.array(store.ts, dtype=np.int64)
        ts_missing = (flags & HAS_TS) == 0
        index = np.array(store.index, dtype=np.int64)
        index_missing = (flags & HAS_INDEX) == 0
        boxes = np.array(store.box, dtype=np.float64).reshape(n, 4)
        floats = {name: np.full(n, np.nan) for name in CSV_COLUMNS[7:]}
        has_face = np.zeros(n, dtype=bool)
        for row in store.rest_rows:
            values = flat_values(store.aws(row))
            ts_value, index_value = values[0], values[1]
            ts_missing[row] = not is_int64(ts_value)
            ts[row] = ts_value if isinstance(ts_value, int) and not ts_missing[row] else 0
            index_missing[row] = not is_int64(index_value)
            index[row] = index_value if isinstance(index_value, int) and not index_missing[row] else 0
            boxes[row] = [math.nan if v is None else v for v in values[2:6]]
            has_face[row] = bool(values[6])
            for name, value in zip(CSV_COLUMNS[7:], values[7:], strict=True):
                floats[name][row] = math.nan if value is None else value
        columns: dict[str, Any] = {
            "timestamp_ms": pd.arrays.IntegerArray(ts, ts_missing),
            "person_index": pd.arrays.IntegerArray(index, index_missing),
            "box_left": boxes[:, 0],
            "box_top": boxes[:, 1],
            "box_width": boxes[:, 2],
            "box_height": boxes[:, 3],
            "has_face": has_face,
            **floats,
        }
        frame: pd.DataFrame = pd.DataFrame(columns, columns=list(CSV_COLUMNS))
        return frame

    # ---- save / load -----------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the result as JSON Lines: a header line (job id, VideoMetadata, count), then :meth:`to_jsonl`."""
        header: dict[str, Any] = {HEADER_KEY: FORMAT_VERSION}
        if self._job_id is not None:
            header["JobId"] = self._job_id
        if self._video_metadata is not None:
            header["VideoMetadata"] = self._video_metadata.to_aws()
        header["DetectionCount"] = len(self)
        with text_out(path) as out:
            out.write(json_line(header))
            write_jsonl_rows(self._aws_rows(), out)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TrackingResult:
        """Read a file written by :meth:`save` (or plain JSONL from :meth:`to_jsonl`, without metadata).

        Raises :class:`ResultFileError` (a ``ValueError``) when the file is empty, a
        line is not a JSON object (NaN and Infinity included) or not a valid
        detection, the header is not the first line or has a bad version or
        DetectionCount, and when the file holds fewer or more detections than its
        header says (a truncated copy, for instance).
        """
        result = cls()
        expected: int | None = None
        name = os.fspath(path)
        lines = 0
        with open(path, encoding="utf-8") as src:
            for number, item in json_lines(src, name):
                lines += 1
                if number == 1 and HEADER_KEY in item:
                    expected = read_header(item, name)
                    job_id = item.get("JobId")
                    try:
                        result._video_metadata = video_metadata_of(item.get("VideoMetadata"))
                    except (ValueError, TypeError, RecursionError) as exc:
                        raise ResultFileError(f"{name}: the header's VideoMetadata is not valid: {exc}") from exc
                    result._job_id = job_id if isinstance(job_id, str) else None
                    continue
                try:
                    result._store.add(item)
                except (ValueError, TypeError, RecursionError) as exc:
                    raise ResultFileError(f"{name}: line {number} is not a detection: {exc}") from exc
        if not lines:
            raise ResultFileError(f"{name}: empty file, not a saved result")
        if expected is not None and expected != len(result):
            raise ResultFileError(f"{name}: header says {expected} detections, file holds {len(result)} (truncated?)")
        return result
