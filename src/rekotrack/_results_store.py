"""Person detections behind :class:`rekotrack.TrackingResult`: typed columns on the one compact store.

Timestamps, indexes and person boxes go into typed arrays; the rarer rest of a
detection (faces, unknown fields) into a :class:`~rekotrack._compact.ItemStore`
(the store every other job kind uses), one of its rows per detection that has a
rest. A :class:`PersonDetection` is built only when a row is read, equal to the
one added.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from ._compact import ItemStore, RowView
from ._models import PersonDetection

__all__ = ["HAS_BOX", "HAS_INDEX", "HAS_PERSON", "HAS_REST", "HAS_TS", "PersonStore", "detection_view", "is_int64"]


# ---- the flags of a row ---------------------------------------------------------

HAS_TS = 1
HAS_PERSON = 2
HAS_INDEX = 4
HAS_BOX = 8
HAS_REST = 16
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_NAN_BOX = (math.nan, math.nan, math.nan, math.nan)


def is_int64(value: Any) -> bool:
    """An ``int`` (not a bool) that fits a signed 64-bit column."""
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


class PersonStore:
    """Detections as columns. Row ``r`` rebuilds exactly the AWS dict that was appended."""

    __slots__ = ("box", "flags", "index", "rest", "rest_rows", "ts")

    def __init__(self) -> None:
        self.flags = array("B")  # HAS_* bits
        self.ts = array("q")  # Timestamp (0 when absent)
        self.index = array("q")  # Person.Index (0 when absent)
        self.box = array("d")  # Left, Top, Width, Height per row (NaN when absent)
        self.rest_rows = array("q")  # ascending rows that have a rest (face, unknown fields, odd shapes)
        self.rest = ItemStore(intern_strings=False)  # row k holds the rest of row rest_rows[k]

    def __len__(self) -> int:
        return len(self.flags)

    def nbytes(self) -> int:
        """Bytes held by the columns (array buffers; shapes not counted)."""
        columns = (self.flags, self.ts, self.index, self.box, self.rest_rows)
        return sum(column.buffer_info()[1] * column.itemsize for column in columns) + self.rest.nbytes()

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
        # (face, unknown fields, anything unusual) to the rest store. A dict with
        # no rest is exactly what its model's to_aws() gives; any other dict is
        # validated first and its to_aws() stored instead.
        flags = 0
        timestamp = index = 0
        box = _NAN_BOX
        rest: dict[str, Any] = {}
        for key, value in item.items():
            if key == "Timestamp" and is_int64(value):
                flags |= HAS_TS
                timestamp = value
            elif key == "Person" and type(value) is dict:
                flags |= HAS_PERSON
                person_rest: dict[str, Any] = {}
                for person_key, person_value in value.items():
                    if person_key == "Index" and is_int64(person_value):
                        flags |= HAS_INDEX
                        index = person_value
                    elif person_key == "BoundingBox" and _is_plain_box(person_value):
                        flags |= HAS_BOX
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
            try:
                self.rest.append(rest)
            except TypeError as exc:
                raise TypeError(f"detection holds a value that is not JSON-compatible: {exc}") from exc
            self.rest_rows.append(len(self.flags))
            flags |= HAS_REST
        self.flags.append(flags)
        self.ts.append(timestamp)
        self.index.append(index)
        self.box.extend(box)

    def aws(self, row: int) -> dict[str, Any]:
        """The AWS dict of row ``row`` (equal to ``detection(row).to_aws()``)."""
        flags = self.flags[row]
        item: dict[str, Any] = {}
        if flags & HAS_TS:
            item["Timestamp"] = self.ts[row]
        rest = self.rest.aws(bisect.bisect_left(self.rest_rows, row)) if flags & HAS_REST else None
        if flags & HAS_PERSON:
            person: dict[str, Any] = {}
            if flags & HAS_INDEX:
                person["Index"] = self.index[row]
            if flags & HAS_BOX:
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
        if flags & HAS_BOX:
            b = 4 * row
            box = self.box
            return (box[b] + box[b + 2] / 2, box[b + 1] + box[b + 3] / 2)
        if flags & HAS_REST:
            bounding_box = self.detection(row).person.bounding_box
            if bounding_box is not None:
                return bounding_box.center
        return None

    def time_order(self) -> Sequence[int]:
        """Rows that have a Timestamp, in time order (ties keep collection order)."""
        flags, ts = self.flags, self.ts
        if all(flags[row] & HAS_TS for row in range(len(flags))) and all(a <= b for a, b in pairwise(ts)):
            return range(len(flags))
        rows = [row for row in range(len(flags)) if flags[row] & HAS_TS]
        rows.sort(key=ts.__getitem__)
        return array("q", rows)


def detection_view(store: PersonStore, rows: Sequence[int]) -> RowView[PersonDetection]:
    """The detections of ``rows``, each built when read."""
    return RowView(store.detection, rows, "PersonDetection")
