"""The Video job kinds of the command line: ``--job persons|labels|faces|...`` on start, wait, get and export.

One :class:`JobKind` per Rekognition Video analysis: its class, items method, Get orders,
the start flags it takes and the columns ``get`` shows, built from the generated plain-data
table :mod:`rekotrack._generated.operations` (whose source is ``scripts/video_operations.py``:
its ``cli=`` entries say the ``--job`` name, the noun, the start flags and the ``get`` columns).
No SDK import, so that the parser and ``--help`` stay quick; the classes are imported when a
command runs. ``tests/test_cli_jobs.py`` checks this table against the SDK's operation specs.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from ._generated import operations as _ops

__all__ = [
    "DEFAULT_KIND",
    "KINDS",
    "START_FLAGS",
    "ItemTable",
    "JobKind",
    "kinds_taking",
    "write_csv_rows",
    "write_jsonl_rows",
]


@dataclass(frozen=True)
class JobKind:
    """One Video analysis as the command line names it."""

    name: str
    """The ``--job`` value, e.g. ``labels``."""
    class_name: str
    """The public rekotrack class that runs it, e.g. ``LabelDetector``."""
    operation: str
    """The operation after Start/Get, e.g. ``LabelDetection``."""
    items_method: str
    """The class's items method, e.g. ``labels``."""
    noun: str
    """What ``get`` counts, e.g. ``labels``."""
    sort_by: tuple[str, ...] = ()
    """Get's SortBy values (the service's default, TIMESTAMP, first); empty: Get has no SortBy."""
    aggregate_by: tuple[str, ...] = ()
    """Get's AggregateBy values (default first); empty: Get has no AggregateBy."""
    start_flags: tuple[str, ...] = ()
    """The start flags (their argparse ``dest``) this kind takes, besides the common ones."""
    table: tuple[str, ...] = ()
    """The columns ``get`` shows: names of the result class's CSV columns (persons has its own table)."""
    result_class: str = ""
    """The compact result class of the kind (``LabelResult``; persons: ``TrackingResult``, whose CSV the
    command line does not use: persons has its own table and export)."""


def _job_kind(operation: str, name: str, noun: str, start_flags: tuple[str, ...], table: tuple[str, ...]) -> JobKind:
    """One row of the generated :data:`rekotrack._generated.operations.CLI`, with the rest of its operation's row."""
    sort_by, aggregate_by = _ORDERS[operation]
    return JobKind(
        name, _ops.ANALYZERS[operation], operation, _ops.ITEMS_METHODS[operation], noun, sort_by, aggregate_by,
        start_flags, table, _ops.RESULT_CLASSES[operation],
    )  # fmt: skip


_ORDERS = {kind: (sort_by, aggregate_by) for kind, _key, sort_by, aggregate_by in _ops.SERVED}
KINDS: dict[str, JobKind] = {row[1]: _job_kind(*row) for row in _ops.CLI}
"""``--job`` value -> its kind, in the table's order (``scripts/video_operations.py``, generated)."""
DEFAULT_KIND = "persons"

START_FLAGS: dict[str, str] = {
    dest: "--" + dest.replace("_", "-") for kind in KINDS.values() for dest in kind.start_flags
}
"""The kind-specific start flags, by argparse ``dest``."""


def kinds_taking(dest: str) -> list[str]:
    """The ``--job`` values whose start takes the flag ``dest``."""
    return [kind.name for kind in KINDS.values() if dest in kind.start_flags]


# ---- output ---------------------------------------------------------------------------------


def _columns(kind: JobKind) -> dict[str, Any]:
    """The result class's columns by name (``rekotrack._job_results.SPECS``, what its CSV writes)."""
    from ._job_results import SPECS

    return {column.name: column for column in SPECS[kind.operation].columns}


class ItemTable:
    """The ``get`` table of a kind: a header and one row per item, numbers right-aligned, text last."""

    def __init__(self, kind: JobKind) -> None:
        columns = _columns(kind)
        self._columns = [columns[name] for name in kind.table]
        self._widths = [self._width(column) for column in self._columns]
        last = len(self._columns) - 1
        self.header = "  ".join(
            (f"{column.name:<{width}}" if column.kind == "str" else f"{column.name:>{width}}") if i < last
            else column.name
            for i, (column, width) in enumerate(zip(self._columns, self._widths, strict=True))
        )

    @staticmethod
    def _width(column: Any) -> int:
        minimum = {"int": 8, "float": 7, "bool": 3, "str": 16}[column.kind]
        if column.name.startswith("timestamp") or column.name.endswith("_ms"):
            minimum = 12
        return max(len(column.name), minimum)

    def row(self, item: Mapping[str, Any]) -> str:
        """One AWS-shaped item as a table row (``-`` where the service sent no value or an empty one)."""
        from ._job_results import typed_value

        cells = []
        last = len(self._columns) - 1
        for i, (column, width) in enumerate(zip(self._columns, self._widths, strict=True)):
            value = typed_value(column.kind, column.get(item))
            if value is None or value == "":  # absent, or an empty name (ParentName of a top-level label)
                text = "-"
            elif isinstance(value, bool):
                text = "yes" if value else "no"
            elif isinstance(value, float):
                text = f"{value:.4f}" if column.name.startswith("box_") else f"{value:.2f}"
            else:
                text = str(value)
            if i == last:
                cells.append(text)
            else:
                cells.append(f"{text:<{width}}" if column.kind == "str" else f"{text:>{width}}")
        return "  ".join(cells)


def write_jsonl_rows(items: Iterable[Any], dest: TextIO) -> int:
    """Stream items as JSON Lines (``item.to_aws()`` each), as the result classes' ``to_jsonl`` writes them."""
    from ._exports import json_line

    count = 0
    for item in items:
        dest.write(json_line(item.to_aws()))
        count += 1
    return count


def write_csv_rows(kind: JobKind, items: Iterable[Any], dest: TextIO) -> int:
    """Stream items as the kind's result class writes CSV (``LabelResult.to_csv``...): its header, one row each."""
    from ._exports import cell_text
    from ._job_results import typed_value

    columns = list(_columns(kind).values())
    writer = csv.writer(dest, lineterminator="\n")
    writer.writerow([column.name for column in columns])
    count = 0
    for item in items:
        aws = item.to_aws()
        writer.writerow([cell_text(typed_value(column.kind, column.get(aws))) for column in columns])
        count += 1
    return count
