"""The compact column store of person detections behind :class:`rekotrack.TrackingResult`.

Timestamps, indexes and person boxes go into typed arrays; the rarer parts (faces,
unknown fields) into interned shapes plus numbers. A :class:`PersonDetection` is
built only when a row is read, equal to the one added.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Iterator, Mapping, Sequence
from itertools import pairwise
from typing import Any, TypeAlias, overload

from ._models import PersonDetection

__all__ = ["DetectionView", "Store"]


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


Store = _Store
DetectionView = _DetectionView
