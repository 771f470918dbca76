"""Collected results of the seven other Rekognition Video jobs, with exports, timelines and shot lists.

Each job kind has a result class (``LabelResult`` for LabelDetection, ...,
``TextResult`` for TextDetection) built by ``collect()`` or from pages/items. A
result keeps its items in the compact :class:`~rekotrack._compact.ItemStore`
and builds the item model only when one is read. Every result writes JSON Lines
(one ``item.to_aws()`` per line), CSV (its ``csv_columns``, one row per item),
a pandas DataFrame with the same columns, and saves/loads itself. Labels and
moderation labels also read as a timeline (name -> time intervals), segments as
a shot list.

What differs per kind is data, in one place: :data:`SPECS` (the CSV columns and
the name a timeline groups by); the list key, item model and page member come
from the generated tables of :mod:`rekotrack._generated.models`.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, NamedTuple, TypeVar, cast

from ._compact import ItemStore, RowView
from ._exports import FORMAT_VERSION, HEADER_KEY, Destination, cell_text, json_line, json_lines, text_out
from ._generated.models import ITEM_MODELS, LIST_KEYS, PAGE_MODELS
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
    "RESULT_CLASSES",
    "SPECS",
    "CelebrityResult",
    "Column",
    "FaceResult",
    "FaceSearchResult",
    "Interval",
    "JobResult",
    "LabelResult",
    "ModerationResult",
    "ResultSpec",
    "SegmentResult",
    "Shot",
    "TechnicalCue",
    "TextResult",
    "cell_text",
    "typed_value",
]

ItemT = TypeVar("ItemT", bound=AWSModel)
ModelT = TypeVar("ModelT", bound=AWSModel)

DEFAULT_MAX_GAP_MS = 1000
"""``timeline()`` merges two detections of a name at most this many ms apart into one interval."""

_PAGE_ONLY = frozenset({"next_token", "job_status", "status_message"})

# ---- columns ------------------------------------------------------------------------

ColumnKind = Literal["int", "float", "str", "bool"]
Value = int | float | str | bool | None
Getter = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Column:
    """One CSV / DataFrame column: its name, its kind and how to read it from an AWS dict."""

    name: str
    kind: ColumnKind
    get: Getter


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


_CONVERT: dict[str, Callable[[Any], Value]] = {"int": _int, "float": _float, "str": _str, "bool": _bool}


def typed_value(kind: ColumnKind, value: Any) -> Value:
    """``value`` as a cell of a ``kind`` column: None unless it is of that kind (ints read as floats too)."""
    return _CONVERT[kind](value)


def _path(*path: str) -> Getter:
    return lambda item: _at(item, path)


def _cols(spec: str) -> tuple[Column, ...]:
    """Columns read from a member path each: ``"name:kind=Member.Sub name:kind=Member ..."``."""
    columns = []
    for word in spec.split():
        name, rest = word.split(":")
        kind, path = rest.split("=")
        assert kind in _CONVERT, word
        columns.append(Column(name, cast(ColumnKind, kind), _path(*path.split("."))))
    return tuple(columns)


def _box(prefix: str, path: str) -> str:
    sides = ("Left", "Top", "Width", "Height")
    return " ".join(f"{prefix}_{side.lower()}:float={path}.BoundingBox.{side}" for side in sides)


def _joined(*path: str, key: str = "Name") -> Getter:
    def get(item: Mapping[str, Any]) -> str | None:
        values = _at(item, path)
        if not isinstance(values, list):
            return None
        return "|".join(str(_at(value, (key,)) if key else value) for value in values)

    return get


def _count(*path: str) -> Getter:
    def get(item: Mapping[str, Any]) -> int | None:
        values = _at(item, path)
        return len(values) if isinstance(values, list) else None

    return get


def _best_match(key: str) -> Getter:
    def get(item: Mapping[str, Any]) -> Any:
        matches = item.get("FaceMatches")
        if not isinstance(matches, list):
            return None
        scored = [m for m in matches if isinstance(m, dict) and type(m.get("Similarity")) in (int, float)]
        if not scored:
            return None
        best = max(scored, key=lambda m: m["Similarity"])
        return best["Similarity"] if key == "Similarity" else _at(best, ("Face", key))

    return get


def _segment_confidence(item: Mapping[str, Any]) -> Any:
    part = "ShotSegment" if isinstance(item.get("ShotSegment"), dict) else "TechnicalCueSegment"
    return _at(item, (part, "Confidence"))


def _line_text(item: Mapping[str, Any]) -> Any:
    return _at(item, ("TextDetection", "DetectedText")) if _at(item, ("TextDetection", "Type")) == "LINE" else None


# ---- what differs per kind, as data --------------------------------------------------------------


@dataclass(frozen=True)
class ResultSpec:
    """What a kind's result adds to the generated tables: its CSV columns and what its timeline groups by."""

    columns: tuple[Column, ...]
    name: Getter | None = None
    """The name a timeline groups items by (None: no timeline)."""


_TS = "timestamp_ms:int=Timestamp"
_SPAN = "start_ms:int=StartTimestampMillis end_ms:int=EndTimestampMillis duration_ms:int=DurationMillis"

SPECS: dict[str, ResultSpec] = {
    "LabelDetection": ResultSpec(
        (
            *_cols(f"{_TS} name:str=Label.Name confidence:float=Label.Confidence {_SPAN}"),
            Column("instance_count", "int", _count("Label", "Instances")),
            Column("parents", "str", _joined("Label", "Parents")),
            Column("categories", "str", _joined("Label", "Categories")),
        ),
        name=_path("Label", "Name"),
    ),
    "ContentModeration": ResultSpec(
        (
            *_cols(
                f"{_TS} name:str=ModerationLabel.Name parent_name:str=ModerationLabel.ParentName "
                f"taxonomy_level:int=ModerationLabel.TaxonomyLevel confidence:float=ModerationLabel.Confidence {_SPAN}"
            ),
            Column("content_types", "str", _joined("ContentTypes")),
        ),
        name=_path("ModerationLabel", "Name"),
    ),
    "FaceDetection": ResultSpec(
        (
            *_cols(
                f"{_TS} confidence:float=Face.Confidence {_box('box', 'Face')} roll:float=Face.Pose.Roll "
                "yaw:float=Face.Pose.Yaw pitch:float=Face.Pose.Pitch brightness:float=Face.Quality.Brightness "
                "sharpness:float=Face.Quality.Sharpness age_low:int=Face.AgeRange.Low age_high:int=Face.AgeRange.High "
                "gender:str=Face.Gender.Value smile:bool=Face.Smile.Value"
            ),
            Column("landmark_count", "int", _count("Face", "Landmarks")),
        )
    ),
    "FaceSearch": ResultSpec(
        (
            *_cols(
                f"{_TS} person_index:int=Person.Index {_box('box', 'Person')} "
                "face_confidence:float=Person.Face.Confidence"
            ),
            Column("match_count", "int", _count("FaceMatches")),
            Column("best_face_id", "str", _best_match("FaceId")),
            Column("best_external_image_id", "str", _best_match("ExternalImageId")),
            Column("best_similarity", "float", _best_match("Similarity")),
        )
    ),
    "CelebrityRecognition": ResultSpec(
        (
            *_cols(
                f"{_TS} celebrity_id:str=Celebrity.Id name:str=Celebrity.Name confidence:float=Celebrity.Confidence "
                f"{_box('box', 'Celebrity')} known_gender:str=Celebrity.KnownGender.Type"
            ),
            Column("urls", "str", _joined("Celebrity", "Urls", key="")),
        ),
        name=_path("Celebrity", "Name"),
    ),
    "SegmentDetection": ResultSpec(
        (
            *_cols(
                f"type:str=Type {_SPAN} start_timecode:str=StartTimecodeSMPTE end_timecode:str=EndTimecodeSMPTE "
                "duration_smpte:str=DurationSMPTE start_frame:int=StartFrameNumber end_frame:int=EndFrameNumber "
                "duration_frames:int=DurationFrames shot_index:int=ShotSegment.Index "
                "technical_cue_type:str=TechnicalCueSegment.Type"
            ),
            Column("confidence", "float", _segment_confidence),
        )
    ),
    "TextDetection": ResultSpec(
        _cols(
            f"{_TS} text:str=TextDetection.DetectedText type:str=TextDetection.Type id:int=TextDetection.Id "
            "parent_id:int=TextDetection.ParentId confidence:float=TextDetection.Confidence "
            + _box("box", "TextDetection.Geometry")
        ),
        name=_line_text,
    ),
}
"""Analysis name (``LabelDetection``) -> its result's columns and timeline name."""


# ---- timelines ----------------------------------------------------------------------------------


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


def _timeline(items: Iterable[Mapping[str, Any]], name: Getter, max_gap_ms: int) -> dict[str, list[Interval]]:
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


def _items_field(operation: str) -> str:
    """The page model's attribute whose alias is the operation's list key (``labels`` for ``Labels``)."""
    fields = PAGE_MODELS[operation].model_fields
    return next(name for name, field in fields.items() if field.alias == LIST_KEYS[operation])


# ---- the base result ------------------------------------------------------------------------


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
    _spec: ClassVar[ResultSpec]
    _columns: ClassVar[tuple[Column, ...]]

    __slots__ = ("_job_id", "_page_fields", "_store")

    def __init_subclass__(cls, *, kind: str | None = None, **kwargs: Any) -> None:
        """A kind's result class takes its list key, item model and page member from the generated tables."""
        super().__init_subclass__(**kwargs)
        if kind is not None:
            operation = f"Get{kind}"
            cls.kind, cls.list_key, cls.item_model = kind, LIST_KEYS[operation], ITEM_MODELS[operation]
            cls._items_field, cls._spec = _items_field(operation), SPECS[kind]
            cls._columns = cls._spec.columns

    def __init__(
        self,
        items: Iterable[ItemT | Mapping[str, Any]] = (),
        *,
        page_fields: Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> None:
        """Hold ``items`` (item models or AWS-shaped dicts, which are validated)."""
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

    def _page_str(self, key: str) -> str | None:
        value = self._page_fields.get(key)
        return value if isinstance(value, str) else None

    def _page_list(self, key: str, model: type[ModelT]) -> tuple[ModelT, ...]:
        value = self._page_fields.get(key)
        if not isinstance(value, list):
            return ()
        return tuple(model.model_validate(element) for element in value if isinstance(element, dict))

    # ---- contents --------------------------------------------------------------------

    @property
    def items(self) -> Sequence[ItemT]:
        """Every item in collection order (the Get sort order)."""
        model: type[ItemT] = self.item_model  # type: ignore[assignment]
        store = self._store
        return RowView(lambda row: model.model_validate(store.aws(row)), range(len(store)), model.__name__)

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

    def _rows(self) -> Iterator[tuple[Value, ...]]:
        columns = self._columns
        for item in self._store:
            yield tuple(typed_value(column.kind, column.get(item)) for column in columns)

    # ---- exports ----------------------------------------------------------------------

    def to_jsonl(self, dest: Destination) -> int:
        """Write one AWS-shaped item per line; returns the line count."""
        count = 0
        with text_out(dest) as out:
            for item in self._store:
                out.write(json_line(item))
                count += 1
        return count

    def to_csv(self, dest: Destination) -> int:
        """Write a :attr:`csv_columns` header, then one row per item; returns the row count.

        Times are ms, boxes ratios of the frame, confidences 0-100; an absent value
        is an empty cell, lists are joined with ``|``, floats are written exactly.
        """
        count = 0
        with text_out(dest) as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(self.csv_columns)
            for row in self._rows():
                writer.writerow([cell_text(value) for value in row])
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
        values: list[list[Value]] = [[] for _ in columns]
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
        header: dict[str, Any] = {HEADER_KEY: FORMAT_VERSION, "Kind": self.kind}
        if self._job_id is not None:
            header["JobId"] = self._job_id
        header["PageFields"] = self._page_fields
        header["ItemCount"] = len(self)
        with text_out(path) as out:
            out.write(json_line(header))
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
            for number, item in json_lines(src, name):
                if number == 1 and HEADER_KEY in item:
                    if item[HEADER_KEY] != FORMAT_VERSION:
                        raise ValueError(f"{name}: unsupported result format version {item[HEADER_KEY]!r}")
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



class _Timeline:
    """``timeline()`` for the kinds whose :class:`ResultSpec` names what it groups by."""

    __slots__ = ()
    _store: ItemStore
    _spec: ClassVar[ResultSpec]

    def timeline(self, max_gap_ms: int = DEFAULT_MAX_GAP_MS) -> dict[str, list[Interval]]:
        """``{name: [Interval, ...]}`` by name, each list in time order.

        The name is the label's, the moderation label's, the celebrity's, or the
        detected text of a LINE (words are left out). A timestamped detection
        covers its own instant; a SEGMENTS-aggregated one its start..end.
        Detections of a name no more than ``max_gap_ms`` apart merge into one
        interval. Detections without a name or a time are left out.
        """
        name = self._spec.name
        assert name is not None, "a timeline needs a ResultSpec.name"
        return _timeline(self._store, name, max_gap_ms)


class _Named(_Timeline):
    """``names()`` beside ``timeline()``: the distinct names the timeline groups by."""

    __slots__ = ()

    def names(self) -> list[str]:
        """The distinct (moderation) label names, sorted."""
        name = self._spec.name
        assert name is not None, "names() needs a ResultSpec.name"
        return sorted({value for item in self._store if isinstance(value := name(item), str)})


# ---- the seven kinds ----------------------------------------------------------------------------


class LabelResult(JobResult[LabelDetection], _Named, kind="LabelDetection"):
    """Every label detection of a LabelDetection job; :meth:`timeline` gives each label's intervals."""

    __slots__ = ()

    @property
    def label_model_version(self) -> str | None:
        """``LabelModelVersion`` of the pages, when given."""
        return self._page_str("LabelModelVersion")


class ModerationResult(JobResult[ContentModerationDetection], _Named, kind="ContentModeration"):
    """Every moderation label of a ContentModeration job; :meth:`timeline` gives each label's intervals."""

    __slots__ = ()

    @property
    def moderation_model_version(self) -> str | None:
        """``ModerationModelVersion`` of the pages, when given."""
        return self._page_str("ModerationModelVersion")


class FaceResult(JobResult[FaceDetection], kind="FaceDetection"):
    """Every face of a FaceDetection job."""

    __slots__ = ()


class FaceSearchResult(JobResult[PersonMatch], kind="FaceSearch"):
    """Every person of a FaceSearch job with the collection faces they match."""

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


class CelebrityResult(JobResult[CelebrityRecognition], _Timeline, kind="CelebrityRecognition"):
    """Every celebrity recognised in a CelebrityRecognition job; :meth:`timeline` gives each celebrity's intervals."""

    __slots__ = ()


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


def _shot(item: Mapping[str, Any]) -> Shot:
    index, confidence = _at(item, ("ShotSegment", "Index")), _at(item, ("ShotSegment", "Confidence"))
    frames = _int(item.get("StartFrameNumber")), _int(item.get("EndFrameNumber"))
    return Shot(_int(index), *_segment_times(item), *frames, _float(confidence))


def _cue(item: Mapping[str, Any]) -> TechnicalCue:
    cue_type, confidence = _at(item, ("TechnicalCueSegment", "Type")), _at(item, ("TechnicalCueSegment", "Confidence"))
    return TechnicalCue(_str(cue_type), *_segment_times(item), _float(confidence))


class SegmentResult(JobResult[SegmentDetection], kind="SegmentDetection"):
    """Every segment of a SegmentDetection job; :meth:`shots` is the shot list."""

    __slots__ = ()

    @property
    def video_metadata_list(self) -> tuple[VideoMetadata, ...]:
        """Every element of the pages' ``VideoMetadata`` list."""
        return self._page_list("VideoMetadata", VideoMetadata)

    @property
    def audio_metadata(self) -> tuple[AudioMetadata, ...]:
        """Every element of the pages' ``AudioMetadata`` list."""
        return self._page_list("AudioMetadata", AudioMetadata)

    @property
    def selected_segment_types(self) -> tuple[SegmentTypeInfo, ...]:
        """The segment types the job detected, with their model versions."""
        return self._page_list("SelectedSegmentTypes", SegmentTypeInfo)

    def shots(self) -> list[Shot]:
        """The ``SHOT`` segments in time order (by start; ties by shot index)."""
        shots = [_shot(item) for item in self._store if item.get("Type") == "SHOT"]
        shots.sort(key=lambda shot: (_start_key(shot.start_ms), _start_key(shot.index)))
        return shots

    def technical_cues(self) -> list[TechnicalCue]:
        """The ``TECHNICAL_CUE`` segments in time order."""
        cues = [_cue(item) for item in self._store if item.get("Type") == "TECHNICAL_CUE"]
        cues.sort(key=lambda cue: _start_key(cue.start_ms))
        return cues


class TextResult(JobResult[TextDetectionResult], _Timeline, kind="TextDetection"):
    """Every line and word of a TextDetection job; :meth:`timeline` gives each LINE text's intervals."""

    __slots__ = ()

    @property
    def text_model_version(self) -> str | None:
        """``TextModelVersion`` of the pages, when given."""
        return self._page_str("TextModelVersion")


RESULT_CLASSES: dict[str, type[JobResult[Any]]] = {
    cls.kind: cls
    for cls in (LabelResult, FaceResult, FaceSearchResult, CelebrityResult, ModerationResult, SegmentResult, TextResult)
}
"""Analysis name (``LabelDetection``) -> its result class."""
