"""Collected results and exports: TrackingResult, PersonTrack, JSON Lines, CSV and MOTChallenge.

A :class:`TrackingResult` keeps detections in compact columns (timestamps,
indexes and person boxes in typed arrays; the rarer parts such as faces and
unknown fields as shapes plus numbers) and builds a :class:`PersonDetection`
only when one is read, so a million detections take about 100 MB instead of
gigabytes of model objects. The ``write_*`` functions stream any iterable of
detections (a pager, for instance) in constant memory and need no result.
"""

from __future__ import annotations

import bisect
import csv
import json
import math
import os
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Protocol, TextIO, TypeAlias, overload

from ._errors import RekotrackError
from ._models import PersonDetection, VideoMetadata

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CSV_COLUMNS",
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

Destination: TypeAlias = "str | os.PathLike[str] | TextIO"
"""Where an export goes: a file path (created or truncated, UTF-8) or an open text file."""

DEFAULT_MIN_GAP_MS = 1000
"""Two detections of a person further apart than this are separate visits (a gap)."""
DEFAULT_TOLERANCE_MS = 500
"""``presence(at_ms)`` counts detections within this many milliseconds of ``at_ms``."""

CSV_COLUMNS: tuple[str, ...] = (
    "timestamp_ms",
    "person_index",
    "box_left",
    "box_top",
    "box_width",
    "box_height",
    "has_face",
    "face_confidence",
    "face_left",
    "face_top",
    "face_width",
    "face_height",
    "face_roll",
    "face_yaw",
    "face_pitch",
    "face_brightness",
    "face_sharpness",
)
"""Header of :func:`write_csv` (names, units and meaning in docs/results.md)."""

_HEADER_KEY = "RekotrackResult"
_FORMAT_VERSION = 1


class ResultFileError(RekotrackError, ValueError):
    """A saved result or JSON Lines file cannot be read: not JSON, too deeply nested, a bad header or detection."""

# ---- compact storage ------------------------------------------------------------

_HAS_TS = 1
_HAS_PERSON = 2
_HAS_INDEX = 4
_HAS_BOX = 8
_HAS_REST = 16
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_EXACT_INT = 1 << 53  # integers up to this size survive a trip through a double
_NAN_BOX = (math.nan, math.nan, math.nan, math.nan)
_FLOAT = "f"
_INT = "i"

# A shape is a JSON value with its numbers taken out: "f" / "i" mark a number
# (stored as a double), ("{", ((key, shape), ...)), ("[", (shape, ...)) or
# ("=", constant) for strings, booleans, None and integers too big for a double.
_Shape: TypeAlias = "str | tuple[str, Any]"


def _flatten(value: Any, numbers: list[float]) -> _Shape:
    kind = type(value)
    if kind is float:
        numbers.append(value)
        return _FLOAT
    if kind is dict:
        return ("{", tuple([(key, _flatten(item, numbers)) for key, item in value.items()]))
    if kind is int and -_EXACT_INT <= value <= _EXACT_INT:
        numbers.append(float(value))
        return _INT
    if kind is list or kind is tuple:
        return ("[", tuple([_flatten(item, numbers) for item in value]))
    return ("=", value)


def _unflatten(shape: _Shape, numbers: Iterator[float]) -> Any:
    if isinstance(shape, str):
        return int(next(numbers)) if shape == _INT else next(numbers)
    tag, body = shape
    if tag == "{":
        return {key: _unflatten(sub, numbers) for key, sub in body}
    if tag == "[":
        return [_unflatten(sub, numbers) for sub in body]
    return body


def _is_int64(value: Any) -> bool:
    return type(value) is int and _INT64_MIN <= value <= _INT64_MAX


def _is_plain_box(value: Any) -> bool:
    return (
        type(value) is dict
        and len(value) == 4
        and type(value.get("Left")) is float
        and type(value.get("Top")) is float
        and type(value.get("Width")) is float
        and type(value.get("Height")) is float
    )


class _Store:
    """Detections as columns. Row ``r`` rebuilds exactly the AWS dict that was appended."""

    __slots__ = (
        "_shape_ids",
        "box",
        "flags",
        "index",
        "rest_rows",
        "rest_shape",
        "rest_start",
        "rest_values",
        "shapes",
        "ts",
    )

    def __init__(self) -> None:
        self.flags = array("B")  # _HAS_* bits
        self.ts = array("q")  # Timestamp (0 when absent)
        self.index = array("q")  # Person.Index (0 when absent)
        self.box = array("d")  # Left, Top, Width, Height per row (NaN when absent)
        self.rest_rows = array("q")  # ascending rows that have a rest (face, unknown fields, odd shapes)
        self.rest_shape = array("I")  # shape id of each rest
        self.rest_start = array("q")  # where each rest's numbers start in rest_values
        self.rest_values = array("d")
        self.shapes: list[_Shape] = []
        self._shape_ids: dict[_Shape, int] = {}

    def __len__(self) -> int:
        return len(self.flags)

    def nbytes(self) -> int:
        """Bytes held by the columns (array buffers; shapes not counted)."""
        columns = (self.flags, self.ts, self.index, self.box, self.rest_rows, self.rest_shape, self.rest_start)
        return sum(column.buffer_info()[1] * column.itemsize for column in (*columns, self.rest_values))

    def add(self, item: PersonDetection | Mapping[str, Any]) -> None:
        """Add a detection, or an AWS dict (validated as a PersonDetection); nothing is stored if it raises."""
        if isinstance(item, PersonDetection):
            self._append(item.to_aws(), canonical=True)
        elif isinstance(item, Mapping):
            self._append(item, canonical=False)
        else:
            raise TypeError(f"expected a PersonDetection or an AWS-shaped dict, got {type(item).__name__}")

    def _append(self, item: Mapping[str, Any], *, canonical: bool) -> None:
        # Timestamp, Index and a box of four floats go to the columns; the rest
        # (face, unknown fields, anything unusual) is kept as a shape plus numbers.
        # A dict with no rest is exactly what its model's to_aws() gives; any other
        # dict is validated first and its to_aws() stored instead.
        flags = 0
        timestamp = index = 0
        box = _NAN_BOX
        rest: dict[str, Any] = {}
        for key, value in item.items():
            if key == "Timestamp" and _is_int64(value):
                flags |= _HAS_TS
                timestamp = value
            elif key == "Person" and type(value) is dict:
                flags |= _HAS_PERSON
                person_rest: dict[str, Any] = {}
                for person_key, person_value in value.items():
                    if person_key == "Index" and _is_int64(person_value):
                        flags |= _HAS_INDEX
                        index = person_value
                    elif person_key == "BoundingBox" and _is_plain_box(person_value):
                        flags |= _HAS_BOX
                        box = (person_value["Left"], person_value["Top"], person_value["Width"], person_value["Height"])
                    else:
                        person_rest[person_key] = person_value
                if person_rest:
                    rest["Person"] = person_rest
            else:
                rest[key] = value
        if rest and not canonical:
            self._append(PersonDetection.model_validate(item).to_aws(), canonical=True)
            return
        if rest:
            numbers: list[float] = []
            shape = _flatten(rest, numbers)
            try:
                shape_id = self._shape_ids.get(shape)
            except TypeError as exc:
                raise TypeError(f"detection holds a value that is not JSON-compatible: {exc}") from exc
            if shape_id is None:
                shape_id = self._shape_ids[shape] = len(self.shapes)
                self.shapes.append(shape)
            self.rest_rows.append(len(self.flags))
            self.rest_shape.append(shape_id)
            self.rest_start.append(len(self.rest_values))
            self.rest_values.extend(numbers)
            flags |= _HAS_REST
        self.flags.append(flags)
        self.ts.append(timestamp)
        self.index.append(index)
        self.box.extend(box)

    def _rest(self, row: int) -> dict[str, Any]:
        k = bisect.bisect_left(self.rest_rows, row)
        start = self.rest_start[k]
        end = self.rest_start[k + 1] if k + 1 < len(self.rest_start) else len(self.rest_values)
        rest: dict[str, Any] = _unflatten(self.shapes[self.rest_shape[k]], iter(self.rest_values[start:end]))
        return rest

    def aws(self, row: int) -> dict[str, Any]:
        """The AWS dict of row ``row`` (equal to ``detection(row).to_aws()``)."""
        flags = self.flags[row]
        item: dict[str, Any] = {}
        if flags & _HAS_TS:
            item["Timestamp"] = self.ts[row]
        rest = self._rest(row) if flags & _HAS_REST else None
        if flags & _HAS_PERSON:
            person: dict[str, Any] = {}
            if flags & _HAS_INDEX:
                person["Index"] = self.index[row]
            if flags & _HAS_BOX:
                b = 4 * row
                box = self.box
                person["BoundingBox"] = {"Width": box[b + 2], "Height": box[b + 3], "Left": box[b], "Top": box[b + 1]}
            if rest is not None and "Person" in rest:
                person.update(rest.pop("Person"))
            item["Person"] = person
        if rest:
            item.update(rest)
        return item

    def detection(self, row: int) -> PersonDetection:
        return PersonDetection.model_validate(self.aws(row))

    def center(self, row: int) -> tuple[float, float] | None:
        """Centre of the person box in frame ratios, or None without a complete box."""
        flags = self.flags[row]
        if flags & _HAS_BOX:
            b = 4 * row
            box = self.box
            return (box[b] + box[b + 2] / 2, box[b + 1] + box[b + 3] / 2)
        if flags & _HAS_REST:
            bounding_box = self.detection(row).person.bounding_box
            if bounding_box is not None:
                return bounding_box.center
        return None

    def time_order(self) -> Sequence[int]:
        """Rows that have a Timestamp, in time order (ties keep collection order)."""
        flags, ts = self.flags, self.ts
        if all(flags[row] & _HAS_TS for row in range(len(flags))) and all(a <= b for a, b in pairwise(ts)):
            return range(len(flags))
        rows = [row for row in range(len(flags)) if flags[row] & _HAS_TS]
        rows.sort(key=ts.__getitem__)
        return array("q", rows)


class _DetectionView(Sequence[PersonDetection]):
    """A read-only sequence of detections backed by a store; each item is built when read."""

    __slots__ = ("_rows", "_store")

    def __init__(self, store: _Store, rows: Sequence[int]) -> None:
        self._store = store
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, key: int) -> PersonDetection: ...

    @overload
    def __getitem__(self, key: slice) -> Sequence[PersonDetection]: ...

    def __getitem__(self, key: int | slice) -> PersonDetection | Sequence[PersonDetection]:
        if isinstance(key, slice):
            return _DetectionView(self._store, self._rows[key])
        return self._store.detection(self._rows[key])

    def __iter__(self) -> Iterator[PersonDetection]:
        store = self._store
        for row in self._rows:
            yield store.detection(row)

    def __repr__(self) -> str:
        return f"<{len(self)} PersonDetection>"


# ---- tracks -----------------------------------------------------------------------


class PersonTrack:
    """Every detection of one person index that has a Timestamp, in time order."""

    __slots__ = ("_rows", "_store", "_times", "index")

    def __init__(self, index: int, store: _Store, rows: Sequence[int]) -> None:
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
        return _DetectionView(self._store, self._rows)

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
        _check_non_negative("min_gap_ms", min_gap_ms)
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


def _check_non_negative(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")


# ---- the result ----------------------------------------------------------------------


class DetectionSource(Protocol):
    """What :meth:`TrackingResult.from_pager` reads: an iterable of detections with the video's metadata."""

    @property
    def video_metadata(self) -> VideoMetadata | None: ...

    def __iter__(self) -> Iterator[PersonDetection]: ...


def _metadata(value: VideoMetadata | Mapping[str, Any] | None) -> VideoMetadata | None:
    if value is None or isinstance(value, VideoMetadata):
        return value
    return VideoMetadata.model_validate(value)


class ResultBuilder:
    """Collects items into the compact store one batch at a time (a page), then makes the :class:`TrackingResult`."""

    def __init__(self) -> None:
        self._store = _Store()

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
        self._video_metadata = _metadata(video_metadata)
        self._job_id = job_id
        self._store = _Store()
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
        return _DetectionView(self._store, range(len(self._store)))

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
            wanted = _HAS_TS | _HAS_INDEX
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
        _check_non_negative("tolerance_ms", tolerance_ms)
        return [index for index, track in self._get_tracks().items() if track.seen_near(at_ms, tolerance_ms)]

    # ---- exports ---------------------------------------------------------------------

    def _aws_rows(self, rows: Iterable[int] | None = None) -> Iterator[dict[str, Any]]:
        store = self._store
        for row in range(len(store)) if rows is None else rows:
            yield store.aws(row)

    def to_jsonl(self, dest: Destination) -> int:
        """Write one AWS-shaped detection per line (see :func:`write_jsonl`); returns the line count."""
        return _write_jsonl_rows(self._aws_rows(), dest)

    def to_csv(self, dest: Destination) -> int:
        """Write one CSV row per detection (see :func:`write_csv`); returns the row count."""
        return _write_csv_rows(self._aws_rows(), dest)

    def to_mot(self, dest: Destination) -> int:
        """Write MOTChallenge lines in time order (see :func:`write_mot`); returns the line count."""
        return _write_mot_rows(self._aws_rows(self._store.time_order()), dest, self._video_metadata)

    def to_dataframe(self) -> pd.DataFrame:
        """A pandas DataFrame with the :data:`CSV_COLUMNS` (needs the ``pandas`` extra).

        ``timestamp_ms`` and ``person_index`` are nullable ``Int64``, ``has_face``
        is ``bool``, the other columns ``float64`` with NaN where absent.
        """
        try:
            import numpy as np
            import pandas as pd
        except ImportError as exc:
            raise ImportError("to_dataframe() needs pandas: pip install 'rekotrack[pandas]'") from exc
        store = self._store
        n = len(store)
        flags = np.array(store.flags, dtype=np.uint8)
        ts = np.array(store.ts, dtype=np.int64)
        ts_missing = (flags & _HAS_TS) == 0
        index = np.array(store.index, dtype=np.int64)
        index_missing = (flags & _HAS_INDEX) == 0
        boxes = np.array(store.box, dtype=np.float64).reshape(n, 4)
        floats = {name: np.full(n, np.nan) for name in CSV_COLUMNS[7:]}
        has_face = np.zeros(n, dtype=bool)
        for row in store.rest_rows:
            values = _flat_values(store.aws(row))
            ts_value, index_value = values[0], values[1]
            ts_missing[row] = not _is_int64(ts_value)
            ts[row] = ts_value if isinstance(ts_value, int) and not ts_missing[row] else 0
            index_missing[row] = not _is_int64(index_value)
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
        header: dict[str, Any] = {_HEADER_KEY: _FORMAT_VERSION}
        if self._job_id is not None:
            header["JobId"] = self._job_id
        if self._video_metadata is not None:
            header["VideoMetadata"] = self._video_metadata.to_aws()
        header["DetectionCount"] = len(self)
        with _text_out(path) as out:
            out.write(_json_line(header))
            _write_jsonl_rows(self._aws_rows(), out)

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
            for number, item in _json_lines(src, name):
                lines += 1
                if number == 1 and _HEADER_KEY in item:
                    expected = _header(item, name)
                    job_id = item.get("JobId")
                    try:
                        result._video_metadata = _metadata(item.get("VideoMetadata"))
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


# ---- streaming exports -----------------------------------------------------------------


@contextmanager
def _text_out(dest: Destination) -> Iterator[TextIO]:
    if isinstance(dest, (str, os.PathLike)):
        with open(dest, "w", encoding="utf-8", newline="") as out:
            yield out
    else:
        yield dest


_ENCODER = json.JSONEncoder(separators=(",", ":"))


def _json_line(item: Mapping[str, Any]) -> str:
    return _ENCODER.encode(item) + "\n"


def _write_jsonl_rows(rows: Iterable[Mapping[str, Any]], dest: Destination) -> int:
    count = 0
    with _text_out(dest) as out:
        write = out.write
        for item in rows:
            write(_json_line(item))
            count += 1
    return count


def write_jsonl(detections: Iterable[PersonDetection], dest: Destination) -> int:
    """Stream detections as JSON Lines, one ``det.to_aws()`` object per line; returns the line count.

    Constant memory: ``write_jsonl(tracker.persons(job_id), "out.jsonl")``
    never holds more than the pager's page. :func:`read_jsonl` reads it back.
    """
    return _write_jsonl_rows((det.to_aws() for det in detections), dest)


def _no_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a number JSON allows")


def _json_lines(src: TextIO, name: object) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each JSON object line with its number; a header line anywhere but first is refused."""
    for number, line in enumerate(src, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line, parse_constant=_no_constant)
        except RecursionError as exc:
            raise ResultFileError(f"{name}: line {number} is nested too deeply") from exc
        except ValueError as exc:
            raise ResultFileError(f"{name}: line {number} is not JSON: {exc}") from exc
        if not isinstance(item, dict):
            raise ResultFileError(f"{name}: line {number} is not a JSON object")
        if _HEADER_KEY in item and number != 1:
            raise ResultFileError(f"{name}: line {number} is a header; a header must be the first line")
        yield number, item


def _header(item: Mapping[str, Any], name: object) -> int | None:
    """Check a ``save()`` header; its DetectionCount."""
    version = item[_HEADER_KEY]
    if isinstance(version, bool) or version != _FORMAT_VERSION:
        raise ResultFileError(f"{name}: unsupported result format version {version!r}")
    count = item.get("DetectionCount")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise ResultFileError(f"{name}: DetectionCount must be a whole number >= 0, not {count!r}")
    return count


def _detection(item: Mapping[str, Any], name: object, number: int) -> PersonDetection:
    try:
        return PersonDetection.model_validate(item)
    except (ValueError, TypeError, RecursionError) as exc:
        raise ResultFileError(f"{name}: line {number} is not a detection: {exc}") from exc


def read_jsonl(src: str | os.PathLike[str] | TextIO) -> Iterator[PersonDetection]:
    """Read detections from JSON Lines written by :func:`write_jsonl` or :meth:`TrackingResult.save`.

    Lazy: one line at a time. A ``save()`` header line is skipped.
    """
    if isinstance(src, (str, os.PathLike)):
        with open(src, encoding="utf-8") as handle:
            yield from read_jsonl(handle)
        return
    name = getattr(src, "name", "<stream>")
    for number, item in _json_lines(src, name):
        if number == 1 and _HEADER_KEY in item:
            _header(item, name)
            continue
        yield _detection(item, name, number)


def _number(value: Any) -> float | int | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def _part(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _flat_values(item: Mapping[str, Any]) -> tuple[float | int | bool | None, ...]:
    """The :data:`CSV_COLUMNS` values of an AWS dict (None where absent, has_face a bool)."""
    person = item.get("Person")
    box = _part(person, "BoundingBox")
    face = _part(person, "Face")
    face_box = _part(face, "BoundingBox")
    pose = _part(face, "Pose")
    quality = _part(face, "Quality")
    return (
        _number(item.get("Timestamp")),
        _number(_part(person, "Index")),
        _number(_part(box, "Left")),
        _number(_part(box, "Top")),
        _number(_part(box, "Width")),
        _number(_part(box, "Height")),
        isinstance(face, dict),
        _number(_part(face, "Confidence")),
        _number(_part(face_box, "Left")),
        _number(_part(face_box, "Top")),
        _number(_part(face_box, "Width")),
        _number(_part(face_box, "Height")),
        _number(_part(pose, "Roll")),
        _number(_part(pose, "Yaw")),
        _number(_part(pose, "Pitch")),
        _number(_part(quality, "Brightness")),
        _number(_part(quality, "Sharpness")),
    )


def _cell(value: float | int | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(value)


def _write_csv_rows(rows: Iterable[Mapping[str, Any]], dest: Destination) -> int:
    count = 0
    with _text_out(dest) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for item in rows:
            writer.writerow([_cell(value) for value in _flat_values(item)])
            count += 1
    return count


def write_csv(detections: Iterable[PersonDetection], dest: Destination) -> int:
    """Stream detections as CSV: a :data:`CSV_COLUMNS` header, then one row per detection; returns the row count.

    Boxes are ratios of the frame, times are ms, confidences 0-100, angles in
    degrees; an absent value is an empty cell. Floats are written exactly.
    """
    return _write_csv_rows((det.to_aws() for det in detections), dest)


def mot_frame(timestamp_ms: int, frame_rate: float) -> int:
    """The 1-based MOTChallenge frame of a timestamp: ``floor(timestamp_ms * frame_rate / 1000 + 0.5) + 1``."""
    return math.floor(timestamp_ms * frame_rate / 1000 + 0.5) + 1


def _mot_geometry(video_metadata: VideoMetadata | Mapping[str, Any] | None) -> tuple[int, int, float]:
    meta = _metadata(video_metadata)
    width = meta.frame_width if meta else None
    height = meta.frame_height if meta else None
    rate = meta.frame_rate if meta else None
    if not width or not height or not rate or width <= 0 or height <= 0 or rate <= 0:
        raise ValueError("MOTChallenge export needs VideoMetadata with FrameWidth, FrameHeight and FrameRate above 0")
    return width, height, rate


def _mot_line(item: Mapping[str, Any], width: int, height: int, rate: float) -> str | None:
    timestamp = item.get("Timestamp")
    person = item.get("Person")
    index = _part(person, "Index")
    box = _part(person, "BoundingBox")
    if type(timestamp) is not int or type(index) is not int or not isinstance(box, dict):
        return None
    left, top, box_width, box_height = (_number(box.get(key)) for key in ("Left", "Top", "Width", "Height"))
    if left is None or top is None or box_width is None or box_height is None:
        return None
    confidence = _number(_part(_part(person, "Face"), "Confidence"))
    conf = 1.0 if confidence is None else confidence / 100
    return (
        f"{mot_frame(timestamp, rate)},{index + 1},{left * width:.2f},{top * height:.2f},"
        f"{box_width * width:.2f},{box_height * height:.2f},{conf:.4g},-1,-1,-1\n"
    )


def _write_mot_rows(
    rows: Iterable[Mapping[str, Any]], dest: Destination, video_metadata: VideoMetadata | Mapping[str, Any] | None
) -> int:
    width, height, rate = _mot_geometry(video_metadata)
    count = 0
    with _text_out(dest) as out:
        for item in rows:
            line = _mot_line(item, width, height, rate)
            if line is not None:
                out.write(line)
                count += 1
    return count


def write_mot(
    detections: Iterable[PersonDetection],
    dest: Destination,
    video_metadata: VideoMetadata | Mapping[str, Any] | None,
) -> int:
    """Stream detections as MOTChallenge lines; returns the number of lines written.

    ``frame,id,bb_left,bb_top,bb_width,bb_height,conf,-1,-1,-1`` with the box in
    pixels of ``FrameWidth`` x ``FrameHeight``, ``frame`` from :func:`mot_frame`,
    ``id = Index + 1`` (MOTChallenge ids start at 1) and ``conf`` the face
    confidence / 100, or 1 without a face. Detections without a Timestamp, an
    Index or a complete person box are skipped. Lines keep the input order
    (use ``sort_by="TIMESTAMP"`` for frame order). Raises ``ValueError`` before
    writing anything when the metadata lacks the frame size or rate.
    """
    return _write_mot_rows((det.to_aws() for det in detections), dest, video_metadata)
