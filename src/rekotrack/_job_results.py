"""Collected results of the seven other Rekognition Video jobs, with exports, timelines and shot lists.

Each job kind has a result class (``LabelResult`` for LabelDetection, ...,
``TextResult`` for TextDetection) built by ``collect()`` or from pages/items. A
result keeps its items in the compact :class:`~rekotrack._compact.ItemStore`
and builds the item model only when one is read. Every result writes JSON Lines
(one ``item.to_aws()`` per line), CSV (its ``csv_columns``, one row per item),
a pandas DataFrame with the same columns, and saves/loads itself. Labels and
moderation labels also read as a timeline (name -> time intervals), segments as
a shot list.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, NamedTuple, TypeVar, overload

from ._compact import ItemStore
from ._exports import Destination, _json_line, _json_lines, _text_out
from ._model_base import AWSModel
from ._models import (
    AudioMetadata,
    CelebrityRecognition,
    ContentModerationDetection,
    FaceDetection,
    LabelDetection,
    PersonMatch,
    SegmentDetection,
    SegmentTypeInfo,
    TextDetectionResult,
    VideoJobPage,
    VideoMetadata,
)

if TYPE_CHECKING:
    import pandas as pd
    from typing_extensions import Self

__all__ = [
    "DEFAULT_MAX_GAP_MS",
    "CelebrityResult",
    "FaceResult",
    "FaceSearchResult",
    "Interval",
    "JobResult",
    "LabelResult",
    "ModerationResult",
    "SegmentResult",
    "Shot",
    "TechnicalCue",
    "TextResult",
]

ItemT = TypeVar("ItemT", bound=AWSModel)

DEFAULT_MAX_GAP_MS = 1000
"""``timeline()`` merges two detections of a name at most this many ms apart into one interval."""

_HEADER_KEY = "RekotrackResult"
_FORMAT_VERSION = 1
_PAGE_ONLY = frozenset({"next_token", "job_status", "status_message"})

# ---- columns ------------------------------------------------------------------------

_Kind = Literal["int", "float", "str", "bool"]
_Value = int | float | str | bool | None


@dataclass(frozen=True)
class _Column:
    """One CSV / DataFrame column: its name, its kind and how to read it from an AWS dict."""

    name: str
    kind: _Kind
    get: Callable[[Mapping[str, Any]], Any]


def _at(item: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(item, dict):
            return None
        item = item.get(key)
    return item


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _float(value: Any) -> float | None:
    return float(value) if type(value) in (int, float) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


_CONVERT: dict[str, Callable[[Any], _Value]] = {"int": _int, "float": _float, "str": _str, "bool": _bool}


def _typed(kind: _Kind, value: Any) -> _Value:
    return _CONVERT[kind](value)


def _col(name: str, kind: _Kind, *path: str) -> _Column:
    return _Column(name, kind, lambda item: _at(item, path))


def _box(prefix: str, *path: str) -> tuple[_Column, ...]:
    return tuple(_col(f"{prefix}_{side.lower()}", "float", *path, "BoundingBox", side) for side in _SIDES)


_SIDES = ("Left", "Top", "Width", "Height")


def _joined(*path: str, key: str = "Name") -> Callable[[Mapping[str, Any]], str | None]:
    def get(item: Mapping[str, Any]) -> str | None:
        values = _at(item, path)
        if not isinstance(values, list):
            return None
        return "|".join(str(_at(value, (key,)) if key else value) for value in values)

    return get


def _count(*path: str) -> Callable[[Mapping[str, Any]], int | None]:
    def get(item: Mapping[str, Any]) -> int | None:
        values = _at(item, path)
        return len(values) if isinstance(values, list) else None

    return get


def _cell(value: _Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    return str(value)


# ---- helpers of the named views ---------------------------------------------------------


class Interval(NamedTuple):
    """A stretch of time in which something was detected: ``start_ms``..``end_ms`` (inclusive)."""

    start_ms: int
    end_ms: int
    detections: int
    """How many items fell in the interval."""

    @property
    def duration_ms(self) -> int:
        """``end_ms - start_ms`` (0 for a single timestamped detection)."""
        return self.end_ms - self.start_ms


def _span(item: Mapping[str, Any]) -> tuple[int, int] | None:
    start, end = item.get("StartTimestampMillis"), item.get("EndTimestampMillis")
    if type(start) is int and type(end) is int:
        return (start, end)
    timestamp = item.get("Timestamp")
    return (timestamp, timestamp) if type(timestamp) is int else None


def _timeline(
    items: Iterable[Mapping[str, Any]], name: Callable[[Mapping[str, Any]], Any], max_gap_ms: int
) -> dict[str, list[Interval]]:
    if isinstance(max_gap_ms, bool) or not isinstance(max_gap_ms, int) or max_gap_ms < 0:
        raise ValueError(f"max_gap_ms must be an int >= 0, got {max_gap_ms!r}")
    spans: dict[str, list[tuple[int, int]]] = {}
    for item in items:
        key, span = name(item), _span(item)
        if isinstance(key, str) and span is not None:
            spans.setdefault(key, []).append(span)
    timeline: dict[str, list[Interval]] = {}
    for key in sorted(spans):
        merged: list[Interval] = []
        for start, end in sorted(spans[key]):
            if merged and start - merged[-1].end_ms <= max_gap_ms:
                last = merged[-1]
                merged[-1] = Interval(last.start_ms, max(last.end_ms, end), last.detections + 1)
            else:
                merged.append(Interval(start, end, 1))
        timeline[key] = merged
    return timeline


# ---- the base result ------------------------------------------------------------------------


class _ItemView(Sequence[ItemT]):
    """A read-only sequence of items backed by a store; each item is built when read."""

    __slots__ = ("_model", "_rows", "_store")

    def __init__(self, store: ItemStore, model: type[ItemT], rows: range) -> None:
        self._store = store
        self._model = model
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, key: int) -> ItemT: ...

    @overload
    def __getitem__(self, key: slice) -> Sequence[ItemT]: ...

    def __getitem__(self, key: int | slice) -> ItemT | Sequence[ItemT]:
        if isinstance(key, slice):
            return _ItemView(self._store, self._model, self._rows[key])
        return self._model.model_validate(self._store.aws(self._rows[key]))

    def __iter__(self) -> Iterator[ItemT]:
        store, validate = self._store, self._model.model_validate
        for row in self._rows:
            yield validate(store.aws(row))

    def __repr__(self) -> str:
        return f"<{len(self)} {self._model.__name__}>"


class JobResult(Generic[ItemT]):
    """Every item of one Rekognition Video job, held compactly, with exports.

    Build it with ``job.collect()``, :meth:`from_pages`, :meth:`from_items` or
    :meth:`load`. It is read-only; ``items[i]`` builds the item model when read,
    equal to the one collected.
    """

    kind: ClassVar[str]
    """The analysis, e.g. ``LabelDetection``."""
    item_model: ClassVar[type[AWSModel]]
    list_key: ClassVar[str]
    """The Get response member that holds the items, e.g. ``Labels``."""
    _items_field: ClassVar[str]
    _columns: ClassVar[tuple[_Column, ...]]

    __slots__ = ("_job_id", "_page_fields", "_store")

    def __init__(
        self,
        items: Iterable[ItemT | Mapping[str, Any]] = (),
        *,
        page_fields: Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> None:
        self._store = ItemStore()
        self._page_fields: dict[str, Any] = dict(page_fields or {})
        self._job_id = job_id
        self._add_all(items)

    @classmethod
    def from_items(
        cls,
        items: Iterable[Any],
        *,
        page_fields: Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> Self:
        """Collect items (models or AWS-shaped dicts, which are validated).

        ``page_fields`` are the members of a Get page other than the items
        (``VideoMetadata``, model versions, ...), AWS-shaped.
        """
        return cls(items, page_fields=page_fields, job_id=job_id)

    @classmethod
    def from_pages(cls, pages: Iterable[VideoJobPage], *, job_id: str | None = None) -> Self:
        """Collect every item of the pages of one job (``detector.pages(job_id)``).

        The first page's other members become :attr:`page_fields`; ``job_id``
        defaults to the pages' JobId.
        """
        result = cls(job_id=job_id)
        for page in pages:
            result._add_page(page)
        return result

    def _add_page(self, page: VideoJobPage) -> None:
        if not self._page_fields:
            self._page_fields = page.model_dump(
                by_alias=True, exclude_unset=True, exclude={self._items_field, *_PAGE_ONLY}
            )
        if self._job_id is None and isinstance(page.job_id, str):
            self._job_id = page.job_id
        self._add_all(getattr(page, self._items_field, None) or ())

    def _add_all(self, items: Iterable[Any]) -> None:
        append, model = self._store.append, self.item_model
        for item in items:
            if isinstance(item, model):
                append(item.to_aws())
            elif isinstance(item, Mapping):
                append(model.model_validate(item).to_aws())
            else:
                raise TypeError(f"expected a {model.__name__} or an AWS-shaped dict, got {type(item).__name__}")

    # ---- contents --------------------------------------------------------------------

    @property
    def items(self) -> Sequence[ItemT]:
        """Every item in collection order (the Get sort order)."""
        model: type[ItemT] = self.item_model  # type: ignore[assignment]
        return _ItemView(self._store, model, range(len(self._store)))

    @property
    def job_id(self) -> str | None:
        """The job the items came from, when known."""
        return self._job_id

    @property
    def page_fields(self) -> Mapping[str, Any]:
        """The AWS-shaped members of a Get page besides the items and NextToken (VideoMetadata, model versions...)."""
        return dict(self._page_fields)

    @property
    def video_metadata(self) -> VideoMetadata | None:
        """The video's metadata, when known (the first element where Get returns a list)."""
        value = self._page_fields.get("VideoMetadata")
        if isinstance(value, list):
            value = value[0] if value else None
        return VideoMetadata.model_validate(value) if isinstance(value, dict) else None

    @property
    def csv_columns(self) -> tuple[str, ...]:
        """The header of :meth:`to_csv` and the columns of :meth:`to_dataframe`."""
        return tuple(column.name for column in self._columns)

    @property
    def nbytes(self) -> int:
        """Approximate memory held by the items, in bytes (the column buffers)."""
        return self._store.nbytes()

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(job_id={self._job_id!r}, items={len(self)})"

    def _rows(self) -> Iterator[tuple[_Value, ...]]:
        columns = self._columns
        for item in self._store:
            yield tuple(_typed(column.kind, column.get(item)) for column in columns)

    # ---- exports ----------------------------------------------------------------------

    def to_jsonl(self, dest: Destination) -> int:
        """Write one AWS-shaped item per line; returns the line count."""
        count = 0
        with _text_out(dest) as out:
            for item in self._store:
                out.write(_json_line(item))
                count += 1
        return count

    def to_csv(self, dest: Destination) -> int:
        """Write a :attr:`csv_columns` header, then one row per item; returns the row count.

        Times are ms, boxes ratios of the frame, confidences 0-100; an absent value
        is an empty cell, lists are joined with ``|``, floats are written exactly.
        """
        count = 0
        with _text_out(dest) as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(self.csv_columns)
            for row in self._rows():
                writer.writerow([_cell(value) for value in row])
                count += 1
        return count

    def to_dataframe(self) -> pd.DataFrame:
        """A pandas DataFrame with the :attr:`csv_columns` (needs the ``pandas`` extra).

        Integer columns are nullable ``Int64``, text ``string``, flags nullable
        ``boolean``, the rest ``float64`` with NaN where absent.
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "to_dataframe() needs pandas: pip install '.[pandas]' in a clone ('rekotrack[pandas]' once released)"
            ) from exc
        columns = self._columns
        values: list[list[_Value]] = [[] for _ in columns]
        for row in self._rows():
            for cells, value in zip(values, row, strict=True):
                cells.append(value)
        dtypes: dict[str, Any] = {"int": "Int64", "float": "float64", "str": "string", "bool": "boolean"}
        data = {
            column.name: pd.Series(
                [float("nan") if v is None else v for v in cells] if column.kind == "float" else cells,
                dtype=dtypes[column.kind],
            )
            for column, cells in zip(columns, values, strict=True)
        }
        frame: pd.DataFrame = pd.DataFrame(data, columns=list(self.csv_columns))
        return frame

    # ---- save / load -----------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the result as JSON Lines: a header line (kind, job id, page fields, count), then the items."""
        header: dict[str, Any] = {_HEADER_KEY: _FORMAT_VERSION, "Kind": self.kind}
        if self._job_id is not None:
            header["JobId"] = self._job_id
        header["PageFields"] = self._page_fields
        header["ItemCount"] = len(self)
        with _text_out(path) as out:
            out.write(_json_line(header))
            self.to_jsonl(out)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Read a file written by :meth:`save` (or plain JSON Lines from :meth:`to_jsonl`).

        Raises ``ValueError`` when a line is not a valid item, when the header is of
        another job kind, and when the file holds fewer or more items than its header says.
        """
        result = cls()
        expected: int | None = None
        name = os.fspath(path)
        with open(path, encoding="utf-8") as src:
            for number, item in _json_lines(src, name):
                if number == 1 and _HEADER_KEY in item:
                    if item[_HEADER_KEY] != _FORMAT_VERSION:
                        raise ValueError(f"{name}: unsupported result format version {item[_HEADER_KEY]!r}")
                    if item.get("Kind") != cls.kind:
                        raise ValueError(f"{name}: holds a {item.get('Kind')!r} result, not {cls.kind}")
                    job_id, fields = item.get("JobId"), item.get("PageFields")
                    result._job_id = job_id if isinstance(job_id, str) else None
                    result._page_fields = dict(fields) if isinstance(fields, dict) else {}
                    expected = item.get("ItemCount")
                    continue
                try:
                    result._add_all((item,))
                except (ValueError, TypeError) as exc:
                    raise ValueError(f"{name}: line {number} is not a {cls.item_model.__name__}: {exc}") from exc
        if expected is not None and expected != len(result):
            raise ValueError(f"{name}: header says {expected} items, file holds {len(result)} (truncated?)")
        return result


# ---- the seven kinds ----------------------------------------------------------------------------


class LabelResult(JobResult[LabelDetection]):
    """Every label detection of a LabelDetection job; :meth:`timeline` gives each label's intervals."""

    kind = "LabelDetection"
    item_model = LabelDetection
    list_key = "Labels"
    _items_field = "labels"
    _columns = (
        _col("timestamp_ms", "int", "Timestamp"),
        _col("name", "str", "Label", "Name"),
        _col("confidence", "float", "Label", "Confidence"),
        _col("start_ms", "int", "StartTimestampMillis"),
        _col("end_ms", "int", "EndTimestampMillis"),
        _col("duration_ms", "int", "DurationMillis"),
        _Column("instance_count", "int", _count("Label", "Instances")),
        _Column("parents", "str", _joined("Label", "Parents")),
        _Column("categories", "str", _joined("Label", "Categories")),
    )

    def __init__(
        self,
        items: Iterable[LabelDetection | Mapping[str, Any]] = (),
        *,
        page_fields: Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> None:
        """Hold ``items`` (:class:`LabelDetection` models or AWS-shaped dicts, validated)."""
        super().__init__(items, page_fields=page_fields, job_id=job_id)

    @property
    def items(self) -> Sequence[LabelDetection]:
        """Every label detection in collection order (the Get sort order)."""
        return super().items
    __slots__ = ()

    @property
    def label_model_version(self) -> str | None:
        """``LabelModelVersion`` of the pages, when given."""
        value = self._page_fields.get("LabelModelVersion")
        return value if isinstance(value, str) else None

    def names(self) -> list[str]:
        """The distinct label names, sorted."""
        return sorted({name for item in self._store if isinstance(name := _at(item, ("Label", "Name")), str)})

    def timeline(self, max_gap_ms: int = DEFAULT_MAX_GAP_MS) -> dict[str, list[Interval]]:
        """``{label name: [Interval, ...]}`` by name, each list in time order.

        A timestamped detection covers its own instant; a SEGMENTS-aggregated one
        its start..end. Detections of a name no more than ``max_gap_ms`` apart
        merge into one interval. Detections without a name or a time are left out.
        """
        return _timeline(self._store, lambda item: _at(item, ("Label", "Name")), max_gap_ms)


class ModerationResult(JobResult[ContentModerationDetection]):
    """Every moderation label of a ContentModeration job; :meth:`timeline` gives each label's intervals."""

    kind = "ContentModeration"
    item_model = ContentModerationDetection
    list_key = "ModerationLabels"
    _items_field = "moderation_labels"
    _columns = (
        _col("timestamp_ms", "int", "Timestamp"),
        _col("name", "str", "ModerationLabel", "Name"),
        _col("parent_name", "str", "ModerationLabel", "ParentName"),
        _col("taxonomy_level", "int", "ModerationLabel", "TaxonomyLevel"),
        _col("confidence", "float", "ModerationLabel", "Confidence"),
        _col("start_ms", "int", "StartTimestampMillis"),
        _col("end_ms", "int", "EndTimestampMillis"),
        _col("duration_ms", "int", "DurationMillis"),
        _Column("content_types", "str", _joined("ContentTypes")),
    )

    def __init__(
        self,
        items: Iterable[ContentModerationDetection | Mapping[str, Any]] = (),
        *,
        page_fields: Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> None:
        """Hold ``items`` (:class:`ContentModerationDetection` models or AWS-shaped dicts, validated)."""
        super().__init__(items, page_fields=page_fields, job_id=job_id)

    @property
    def items(self) -> Sequence[ContentModerationDetection]:
        """Every moderation label in collection order (the Get sort order)."""
        return super().items
    __slots__ = ()

    @property
    def moderation_model_version(self) -> str | None:
        """``ModerationModelVersion`` of the pages, when given."""
        value = self._page_fields.get("ModerationModelVersion")
        return value if isinstance(value, str) else None

    def names(self) -> list[str]:
        """The distinct moderation label names, sorted."""
        return sorted(
            {name for item in self._store if isinstance(name := _at(item, ("ModerationLabel", "Name")), str)}
        )

    def timeline(self, max_gap_ms: int = DEFAULT_MAX_GAP_MS) -> dict[str, list[Interval]]:
        """``{moderation label name: [Interval, ...]}``, merged as :meth:`LabelResult.timeline` does."""
        return _timeline(self._store, lambda item: _at(item, ("ModerationLabel", "Name")), max_gap_ms)


class FaceResult(JobResult[FaceDetection]):
    """Every face of a FaceDetection job."""

    kind = "FaceDetection"
    item_model = FaceDetection
    list_key = "Faces"
    _items_field = "faces"
    _columns = (
        _col("timestamp_ms", "int", "Timestamp"),
        _col("confidence", "float", "Face", "Confidence"),
        *_box("box", "Face"),
        _col("roll", "float", "Face", "Pose", "Roll"),
        _col("yaw", "float", "Face", "Pose", "Yaw"),
        _col("pitch", "float", "Face", "Pose", "Pitch"),
        _col("brightness", "float", "Face", "Quality", "Brightness"),
        _col("sharpness", "float", "Face", "Quality", "Sharpness"),
        _col("age_low", "int", "Face", "AgeRange", "Low"),
        _col("age_high", "int", "Face", "AgeRange", "High"),
        _col("gender", "str", "Face", "Gender", "Value"),
        _col("smile", "bool", "Face", "Smile", "Value"),
        _Column("landmark_count", "int", _count("Face", "Landmarks")),
    )

    def __init__(
        self,
        items: Iterable[FaceDetection | Mapping[str, Any]] = (),
        *,
        page_fields: Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> None:
        """Hold ``items`` (:class:`FaceDetection` models or AWS-shaped dicts, validated)."""
        super().__init__(items, page_fields=page_fields, job_id=job_id)

    @property
    def items(self) -> Sequence[FaceDetection]:
        """Every face detection in collection order (the Get sort order)."""
        return super().items
    __slots__ = ()


def _best_match(item: Mapping[str, Any], key: str) -> Any:
    matches = item.get("FaceMatches")
    if not isinstance(matches, list):
        return None
    scored = [m for m in matches if isinstance(m, dict) and type(m.get("Similarity")) in (int, float)]
    if not scored:
        return None
    best = max(scored, key=lambda m: m["Similarity"])
    return best["Similarity"] if key == "Similarity" else _at(best, ("Face", key))


class FaceSearchResult(JobResult[PersonMatch]):
    """Every person of a FaceSearch job with the collection faces they match."""

    kind = "FaceSearch"
    item_model = PersonMatch
    list_key = "Persons"
    _items_field = "persons"
    _columns = (
        _col("timestamp_ms", "int", "Timestamp"),
        _col("person_index", "int", "Person", "Index"),
        *_box("box", "Person"),
        _col("face_confidence", "float", "Person", "Face", "Confidence"),
        _Column("match_count", "int", _count("FaceMatches")),
        _Column("best_face_id", "str", lambda item: _best_match(item, "FaceId")),
        _Column("best_external_image_id", "str", lambda item: _best_match(item, "ExternalImageId")),
        _Column("best_similarity", "float", lambda item: _best_match(item, "Similarity")),
    )

    def __init__(
        self,
        items: Iterable[PersonMatch | Mapping[str, Any]] = (),
        *,
        page_fields: Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> None:
        """Hold ``items`` (:class:`PersonMatch` models or AWS-shaped dicts, validated)."""
        super().__init__(items, page_fields=page_fields, job_id=job_id)

    @property
    def items(self) -> Sequence[PersonMatch]:
        """Every person match in collection order (the Get sort order)."""
        return super().items
    __slots__ = ()

    def matches(self) -> dict[str, list[int]]:
        """``{collection FaceId: [timestamps in ms]}`` of every match, by FaceId, times ascending."""
        found: dict[str, list[int]] = {}
        for item in self._store:
            timestamp = item.get("Timestamp")
            for match in item.get("FaceMatches") or ():
                face_id = _at(match, ("Face", "FaceId"))
                if isinstance(face_id, str) and type(timestamp) is int:
                    found.setdefault(face_id, []).append(timestamp)
        return {face_id: sorted(found[face_id]) for face_id in sorted(found)}


class CelebrityResult(JobResult[CelebrityRecognition]):
    """Every celebrity recognised in a CelebrityRecognition job."""

    kind = "CelebrityRecognition"
    item_model = CelebrityRecognition
    list_key = "Celebrities"
    _items_field = "celebrities"
    _columns = (
        _col("timestamp_ms", "int", "Timestamp"),
        _col("celebrity_id", "str", "Celebrity", "Id"),
        _col("name", "str", "Celebrity", "Name"),
        _col("confidence", "float", "Celebrity", "Confidence"),
        *_box("box", "Celebrity"),
        _col("known_gender", "str", "Celebrity", "KnownGender", "Type"),
        _Column("urls", "str", _joined("Celebrity", "Urls", key="")),
    )

    def __init__(
        self,
        items: Iterable[CelebrityRecognition | Mapping[str, Any]] = (),
        *,
        page_fields: Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> None:
        """Hold ``items`` (:class:`CelebrityRecognition` models or AWS-shaped dicts, validated)."""
        super().__init__(items, page_fields=page_fields, job_id=job_id)

    @property
    def items(self) -> Sequence[CelebrityRecognition]:
        """Every celebrity recognition in collection order (the Get sort order)."""
        return super().items
    __slots__ = ()

    def timeline(self, max_gap_ms: int = DEFAULT_MAX_GAP_MS) -> dict[str, list[Interval]]:
        """``{celebrity name: [Interval, ...]}``, merged as :meth:`LabelResult.timeline` does."""
        return _timeline(self._store, lambda item: _at(item, ("Celebrity", "Name")), max_gap_ms)


@dataclass(frozen=True)
class Shot:
    """One shot of a SegmentDetection job (a ``SHOT`` segment); a member absent from the item is None."""

    index: int | None
    start_ms: int | None
    end_ms: int | None
    duration_ms: int | None
    start_timecode: str | None
    end_timecode: str | None
    start_frame: int | None
    end_frame: int | None
    confidence: float | None


@dataclass(frozen=True)
class TechnicalCue:
    """One technical cue (black frames, credits, ...) of a SegmentDetection job."""

    type: str | None
    start_ms: int | None
    end_ms: int | None
    duration_ms: int | None
    start_timecode: str | None
    end_timecode: str | None
    confidence: float | None


def _segment_times(item: Mapping[str, Any]) -> tuple[int | None, int | None, int | None, str | None, str | None]:
    return (
        _int(item.get("StartTimestampMillis")),
        _int(item.get("EndTimestampMillis")),
        _int(item.get("DurationMillis")),
        _str(item.get("StartTimecodeSMPTE")),
        _str(item.get("EndTimecodeSMPTE")),
    )


def _start_key(start_ms: int | None) -> tuple[bool, int]:
    return (start_ms is None, start_ms or 0)


class SegmentResult(JobResult[SegmentDetection]):
    """Every segment of a SegmentDetection job; :meth:`shots` is the shot list."""

    kind = "SegmentDetection"
    item_model = SegmentDetection
    list_key = "Segments"
    _items_field = "segments"
    _columns = (
        _col("type", "str", "Type"),
        _col("start_ms", "int", "StartTimestampMillis"),
        _col("end_ms", "int", "EndTimestampMillis"),
        _col("duration_ms", "int", "DurationMillis"),
        _col("start_timecode", "str", "StartTimecodeSMPTE"),
        _col("end_timecode", "str", "EndTimecodeSMPTE"),
        _col("duration_smpte", "str", "DurationSMPTE"),
        _col("start_frame", "int", "StartFrameNumber"),
        _col("end_frame", "int", "EndFrameNumber"),
        _col("duration_frames", "int", "DurationFrames"),
        _col("shot_index", "int", "ShotSegment", "Index"),
        _col("technical_cue_type", "str", "TechnicalCueSegment", "Type"),
        _Column(
            "confidence",
            "float",
            lambda item: _at(item, ("ShotSegment", "Confidence"))
            if isinstance(item.get("ShotSegment"), dict)
            else _at(item, ("TechnicalCueSegment", "Confidence")),
        ),
    )

    def __init__(
        self,
        items: Iterable[SegmentDetection | Mapping[str, Any]] = (),
        *,
        page_fields: Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> None:
        """Hold ``items`` (:class:`SegmentDetection` models or AWS-shaped dicts, validated)."""
        super().__init__(items, page_fields=page_fields, job_id=job_id)

    @property
    def items(self) -> Sequence[SegmentDetection]:
        """Every segment in collection order (the Get sort order)."""
        return super().items
    __slots__ = ()

    @property
    def video_metadata_list(self) -> tuple[VideoMetadata, ...]:
        """Every element of the pages' ``VideoMetadata`` list."""
        return _list_of(self._page_fields.get("VideoMetadata"), VideoMetadata)

    @property
    def audio_metadata(self) -> tuple[AudioMetadata, ...]:
        """Every element of the pages' ``AudioMetadata`` list."""
        return _list_of(self._page_fields.get("AudioMetadata"), AudioMetadata)

    @property
    def selected_segment_types(self) -> tuple[SegmentTypeInfo, ...]:
        """The segment types the job detected, with their model versions."""
        return _list_of(self._page_fields.get("SelectedSegmentTypes"), SegmentTypeInfo)

    def shots(self) -> list[Shot]:
        """The ``SHOT`` segments in time order (by start; ties by shot index)."""
        shots: list[Shot] = []
        for item in self._store:
            if item.get("Type") != "SHOT":
                continue
            start, end, duration, start_tc, end_tc = _segment_times(item)
            shots.append(
                Shot(
                    index=_int(_at(item, ("ShotSegment", "Index"))),
                    start_ms=start,
                    end_ms=end,
                    duration_ms=duration,
                    start_timecode=start_tc,
                    end_timecode=end_tc,
                    start_frame=_int(item.get("StartFrameNumber")),
                    end_frame=_int(item.get("EndFrameNumber")),
                    confidence=_float(_at(item, ("ShotSegment", "Confidence"))),
                )
            )
        shots.sort(key=lambda shot: (_start_key(shot.start_ms), _start_key(shot.index)))
        return shots

    def technical_cues(self) -> list[TechnicalCue]:
        """The ``TECHNICAL_CUE`` segments in time order."""
        cues: list[TechnicalCue] = []
        for item in self._store:
            if item.get("Type") != "TECHNICAL_CUE":
                continue
            start, end, duration, start_tc, end_tc = _segment_times(item)
            cues.append(
                TechnicalCue(
                    type=_str(_at(item, ("TechnicalCueSegment", "Type"))),
                    start_ms=start,
                    end_ms=end,
                    duration_ms=duration,
                    start_timecode=start_tc,
                    end_timecode=end_tc,
                    confidence=_float(_at(item, ("TechnicalCueSegment", "Confidence"))),
                )
            )
        cues.sort(key=lambda cue: _start_key(cue.start_ms))
        return cues


ModelT = TypeVar("ModelT", bound=AWSModel)


def _list_of(value: Any, model: type[ModelT]) -> tuple[ModelT, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(model.model_validate(element) for element in value if isinstance(element, dict))


class TextResult(JobResult[TextDetectionResult]):
    """Every line and word of a TextDetection job."""

    kind = "TextDetection"
    item_model = TextDetectionResult
    list_key = "TextDetections"
    _items_field = "text_detections"
    _columns = (
        _col("timestamp_ms", "int", "Timestamp"),
        _col("text", "str", "TextDetection", "DetectedText"),
        _col("type", "str", "TextDetection", "Type"),
        _col("id", "int", "TextDetection", "Id"),
        _col("parent_id", "int", "TextDetection", "ParentId"),
        _col("confidence", "float", "TextDetection", "Confidence"),
        *_box("box", "TextDetection", "Geometry"),
    )

    def __init__(
        self,
        items: Iterable[TextDetectionResult | Mapping[str, Any]] = (),
        *,
        page_fields: Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> None:
        """Hold ``items`` (:class:`TextDetectionResult` models or AWS-shaped dicts, validated)."""
        super().__init__(items, page_fields=page_fields, job_id=job_id)

    @property
    def items(self) -> Sequence[TextDetectionResult]:
        """Every text detection in collection order (the Get sort order)."""
        return super().items
    __slots__ = ()

    @property
    def text_model_version(self) -> str | None:
        """``TextModelVersion`` of the pages, when given."""
        value = self._page_fields.get("TextModelVersion")
        return value if isinstance(value, str) else None

    def timeline(self, max_gap_ms: int = DEFAULT_MAX_GAP_MS) -> dict[str, list[Interval]]:
        """``{detected LINE text: [Interval, ...]}`` (words left out), merged as :meth:`LabelResult.timeline` does."""
        return _timeline(
            self._store,
            lambda item: _at(item, ("TextDetection", "DetectedText"))
            if _at(item, ("TextDetection", "Type")) == "LINE"
            else None,
            max_gap_ms,
        )


RESULT_CLASSES: dict[str, type[JobResult[Any]]] = {
    cls.kind: cls
    for cls in (LabelResult, FaceResult, FaceSearchResult, CelebrityResult, ModerationResult, SegmentResult, TextResult)
}
"""Analysis name (``LabelDetection``) -> its result class."""
