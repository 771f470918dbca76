"""The Video operations the server core serves, as data.

Each Start/Get pair is one :class:`ServedOperation`: its names, the key of the item list in a
Get page, and the Get parameters it takes. The core reads nothing else about an operation. The
entries are generated (:mod:`rekotrack._generated.operations`) from the one hand-written
description of the operations, ``scripts/video_operations.py``, so serving another Rekognition
Video job is one more entry there plus an analyzer that produces its items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from rekotrack._generated.operations import SERVED

__all__ = ["OPERATIONS", "PERSON_TRACKING", "VIDEO_OPERATIONS", "ServedOperation", "operation_for"]


@dataclass(frozen=True)
class ServedOperation:
    """One Start/Get job kind: ``StartX``/``GetX`` with the item list under ``list_key``.

    ``sort_by`` are the values Get's ``SortBy`` takes, the default first (empty: the operation
    has no SortBy); ``aggregate_by`` the values of ``AggregateBy``, the default first (empty:
    none). A Get reads only the parameters its operation has.
    """

    name: str
    list_key: str
    sort_by: tuple[str, ...] = ()
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

    @property
    def default_sort(self) -> str | None:
        return self.sort_by[0] if self.sort_by else None

    @property
    def default_aggregate(self) -> str | None:
        return self.aggregate_by[0] if self.aggregate_by else None


VIDEO_OPERATIONS: Final[tuple[ServedOperation, ...]] = tuple(
    ServedOperation(name, list_key, sort_by, aggregate_by) for name, list_key, sort_by, aggregate_by in SERVED
)
"""The sixteen Start/Get operations of Rekognition Video, as eight job kinds (person tracking first).

Generated data (:data:`rekotrack._generated.operations.SERVED`, from ``scripts/video_operations.py``
and botocore's service model)."""

PERSON_TRACKING: Final = VIDEO_OPERATIONS[0]

OPERATIONS: Final[tuple[ServedOperation, ...]] = (PERSON_TRACKING,)
"""What a core serves unless told otherwise (an analyzer that does person tracking only)."""


def operation_for(
    name: str, operations: tuple[ServedOperation, ...] = VIDEO_OPERATIONS
) -> tuple[ServedOperation, bool]:
    """``(spec, is_start)`` for an operation name such as ``GetPersonTracking``; KeyError if not served."""
    for spec in operations:
        if name == spec.start:
            return spec, True
        if name == spec.get:
            return spec, False
    raise KeyError(name)
