"""The Video operations the server core serves, as data.

Each Start/Get pair is one :class:`ServedOperation`: its names, the key of the item list in a
Get page, and the Get parameters it takes. The core reads nothing else about an operation, so
serving another Rekognition Video job is one more entry here plus an analyzer that produces
its items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["OPERATIONS", "ServedOperation", "operation_for"]


@dataclass(frozen=True)
class ServedOperation:
    """One Start/Get job kind: ``StartX``/``GetX`` with the item list under ``list_key``.

    ``sort_by`` are the values Get's ``SortBy`` takes (empty: the operation has no SortBy) and
    ``default_sort`` the order used when it is not sent (or the only order, without SortBy).
    ``aggregate_by``: the values of ``AggregateBy``, empty when the operation has none.
    """

    name: str
    list_key: str
    sort_by: tuple[str, ...] = ()
    default_sort: str = "TIMESTAMP"
    aggregate_by: tuple[str, ...] = ()

    @property
    def start(self) -> str:
        return f"Start{self.name}"

    @property
    def get(self) -> str:
        return f"Get{self.name}"

    @property
    def api(self) -> str:
        """The ``API`` field of the SNS completion message (the Start operation's name)."""
        return self.start


PERSON_TRACKING: Final = ServedOperation("PersonTracking", "Persons", sort_by=("INDEX", "TIMESTAMP"))

OPERATIONS: Final[tuple[ServedOperation, ...]] = (PERSON_TRACKING,)
"""Every operation the core serves."""

_BY_NAME: Final[dict[str, tuple[ServedOperation, bool]]] = {
    name: (spec, is_start) for spec in OPERATIONS for name, is_start in ((spec.start, True), (spec.get, False))
}


def operation_for(name: str, operations: tuple[ServedOperation, ...] = OPERATIONS) -> tuple[ServedOperation, bool]:
    """``(spec, is_start)`` for an operation name such as ``GetPersonTracking``; KeyError if not served."""
    if operations is OPERATIONS:
        return _BY_NAME[name]
    for spec in operations:
        if name in (spec.start, spec.get):
            return spec, name == spec.start
    raise KeyError(name)
