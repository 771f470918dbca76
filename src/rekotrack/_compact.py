"""The one compact column store of AWS-shaped items, for the results of every Rekognition Video job.

An item (an AWS dict such as one ``LabelDetection``) is split into its *shape*
(the keys and the kind of each value, interned once per distinct structure),
its numbers (one ``array('d')`` for all items) and its strings (ids into one
table of distinct strings). A label name, a face id or a text line repeated over
thousands of items is stored once; an item costs a few bytes per number. Row
``r`` rebuilds exactly the dict that was added (key order included).

:class:`ItemStore` serves every job kind as it is; person detections
(:mod:`rekotrack._results_store`) keep timestamps, indexes and boxes in typed
arrays of their own and put only the rarer rest of a detection (faces, unknown
members) in an ``ItemStore`` made with ``intern_strings=False``, where strings
stay in the shape (the few landmark types repeat on every face; a string id
per landmark would cost more than the shape). :class:`RowView` is the read-only
sequence both hand out, building each item only when it is read.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeAlias, TypeVar, overload

__all__ = ["ItemStore", "RowView"]

T = TypeVar("T")

# A shape is a JSON value with its numbers and strings taken out: "f" / "i" mark a
# number (stored as a double), "s" a string (an id into the string table),
# ("{", ((key, shape), ...)), ("[", (shape, ...)) or ("=", constant) for booleans,
# None, integers too big for a double and, without interning, strings.
_Shape: TypeAlias = "str | tuple[str, Any]"

_FLOAT = "f"
_INT = "i"
_STR = "s"
_EXACT_INT = 1 << 53  # integers up to this size survive a trip through a double


class ItemStore:
    """AWS-shaped items as columns of numbers and string ids plus interned shapes."""

    __slots__ = (
        "_intern",
        "_shape_ids",
        "_string_ids",
        "num_start",
        "numbers",
        "row_shape",
        "shapes",
        "str_start",
        "string_refs",
        "strings",
    )

    def __init__(self, *, intern_strings: bool = True) -> None:
        """``intern_strings=False`` keeps strings in the shapes (for few distinct strings): no string column."""
        self.row_shape = array("I")  # shape id of each row
        self.num_start = array("q")  # where each row's numbers start in ``numbers``
        self.str_start = array("q")  # where each row's string ids start in ``string_refs`` (when interning)
        self.numbers = array("d")
        self.string_refs = array("I")
        self.shapes: list[_Shape] = []
        self.strings: list[str] = []
        self._shape_ids: dict[_Shape, int] = {}
        self._string_ids: dict[str, int] = {}
        self._intern = intern_strings

    def __len__(self) -> int:
        return len(self.row_shape)

    def nbytes(self) -> int:
        """Bytes held by the columns (array buffers; shapes and the string table not counted)."""
        columns = (self.row_shape, self.num_start, self.str_start, self.numbers, self.string_refs)
        return sum(column.buffer_info()[1] * column.itemsize for column in columns)

    def append(self, item: Mapping[str, Any]) -> int:
        """Add one AWS dict (JSON values only: dicts, lists, str, int, float, bool, None); returns its row."""
        numbers: list[float] = []
        refs: list[int] = []
        shape = self._flatten(item, numbers, refs)
        try:
            shape_id = self._shape_ids.get(shape)
        except TypeError as exc:
            raise TypeError(f"item holds a value that is not JSON-compatible: {exc}") from exc
        if shape_id is None:
            shape_id = self._shape_ids[shape] = len(self.shapes)
            self.shapes.append(shape)
        self.row_shape.append(shape_id)
        self.num_start.append(len(self.numbers))
        self.numbers.extend(numbers)
        if self._intern:
            self.str_start.append(len(self.string_refs))
            self.string_refs.extend(refs)
        return len(self.row_shape) - 1

    def _flatten(self, value: Any, numbers: list[float], refs: list[int]) -> _Shape:
        kind = type(value)
        if kind is float:
            numbers.append(value)
            return _FLOAT
        if kind is str and self._intern:
            ref = self._string_ids.get(value)
            if ref is None:
                ref = self._string_ids[value] = len(self.strings)
                self.strings.append(value)
            refs.append(ref)
            return _STR
        if kind is dict or (kind is not list and kind is not str and isinstance(value, Mapping)):
            return ("{", tuple([(key, self._flatten(sub, numbers, refs)) for key, sub in value.items()]))
        if kind is int and -_EXACT_INT <= value <= _EXACT_INT:
            numbers.append(float(value))
            return _INT
        if kind is list or kind is tuple:
            return ("[", tuple([self._flatten(sub, numbers, refs) for sub in value]))
        return ("=", value)

    def aws(self, row: int) -> dict[str, Any]:
        """The AWS dict of row ``row``, equal to the one appended."""
        end = row + 1
        num_end = self.num_start[end] if end < len(self.num_start) else len(self.numbers)
        numbers = iter(self.numbers[self.num_start[row] : num_end])
        texts: Iterator[str] = iter(())
        if self._intern:
            str_end = self.str_start[end] if end < len(self.str_start) else len(self.string_refs)
            strings = self.strings
            texts = (strings[ref] for ref in self.string_refs[self.str_start[row] : str_end])
        item: dict[str, Any] = _unflatten(self.shapes[self.row_shape[row]], numbers, texts)
        return item

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for row in range(len(self)):
            yield self.aws(row)


def _unflatten(shape: _Shape, numbers: Iterator[float], strings: Iterator[str]) -> Any:
    if isinstance(shape, str):  # floats first: most leaves of a face, a box or a pose are floats
        if shape == _FLOAT:
            return next(numbers)
        if shape == _INT:
            return int(next(numbers))
        return next(strings)
    tag, body = shape
    if tag == "{":
        return {key: _unflatten(sub, numbers, strings) for key, sub in body}
    if tag == "[":
        return [_unflatten(sub, numbers, strings) for sub in body]
    return body


class RowView(Sequence[T]):
    """A read-only sequence of a store's rows; ``build(row)`` makes each item when it is read."""

    __slots__ = ("_build", "_name", "_rows")

    def __init__(self, build: Callable[[int], T], rows: Sequence[int], name: str) -> None:
        self._build = build
        self._rows = rows
        self._name = name

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, key: int) -> T: ...

    @overload
    def __getitem__(self, key: slice) -> Sequence[T]: ...

    def __getitem__(self, key: int | slice) -> T | Sequence[T]:
        if isinstance(key, slice):
            return RowView(self._build, self._rows[key], self._name)
        return self._build(self._rows[key])

    def __iter__(self) -> Iterator[T]:
        build = self._build
        for row in self._rows:
            yield build(row)

    def __repr__(self) -> str:
        return f"<{len(self)} {self._name}>"
