"""Operations as data: the types of everything the engine needs to know about one Start/Get video analysis.

The engine (requests, integrity, pagination, waits, completion, batches, fast
path) reads only a :class:`VideoOperation`. The specs themselves (one per kind) are
generated from ``scripts/video_operations.py`` into :mod:`rekotrack._generated.specs`;
:mod:`rekotrack._core._operation` re-exports them with these types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rekotrack import _constraints as c
from rekotrack._errors import ERROR_CLASSES, APIError, errors_for
from rekotrack._models import VideoJobPage

__all__ = ["GetParameter", "VideoOperation"]

PageT = TypeVar("PageT", bound=VideoJobPage)
ItemT = TypeVar("ItemT")

@dataclass(frozen=True)
class GetParameter:
    """An optional Get input that orders or groups the results (SortBy, AggregateBy).

    ``default`` is sent when the caller gives none; None means the member is sent
    only when given.
    """

    member: str
    constraint: c.Constraint
    default: str | None = None

    @property
    def values(self) -> tuple[str, ...]:
        return self.constraint.enum or ()


@dataclass(frozen=True)
class VideoOperation(Generic[PageT, ItemT]):
    """One Start/Get video analysis, as data.

    ``start_constraints`` / ``get_constraints`` map an input member path
    (``Video.S3Object.Bucket``) to its :class:`~rekotrack._constraints.Constraint`;
    ``start_required`` lists the required Start members (a nested one only when its
    parent is given); ``start_inputs`` maps the facade's extra snake_case keyword
    arguments of ``start`` to their Start members; ``errors`` maps each error code
    the two operations declare to its class (by default the generated per-operation
    tables, :func:`rekotrack._errors.errors_for` of Start and Get): the engine reads a
    failed request's code in it, so a code the operation does not declare is a plain
    :class:`~rekotrack.APIError`.
    """

    name: str
    """The analysis, e.g. ``PersonTracking``; the operations are ``Start{name}`` and ``Get{name}``."""
    list_key: str
    """The Get response member that holds the items, e.g. ``Persons``."""
    page_model: type[PageT]
    item_model: type[ItemT]
    start_constraints: Mapping[str, c.Constraint]
    get_constraints: Mapping[str, c.Constraint]
    start_required: tuple[str, ...] = ("Video",)
    start_inputs: Mapping[str, str] = field(default_factory=dict)
    sort_by: GetParameter | None = None
    aggregate_by: GetParameter | None = None
    errors: Mapping[str, type[APIError]] = field(default_factory=dict)
    max_results_limit: int = c.MAX_RESULTS_LIMIT
    items_field: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields = self.page_model.model_fields
        name = next((n for n, f in fields.items() if (f.alias or n) == self.list_key), None)
        if name is None:
            raise TypeError(f"{self.page_model.__name__} has no field for {self.list_key}")
        object.__setattr__(self, "items_field", name)
        if not self.errors:
            object.__setattr__(self, "errors", _declared_errors(self.start_name, self.get_name))

    @property
    def start_name(self) -> str:
        return f"Start{self.name}"

    @property
    def get_name(self) -> str:
        return f"Get{self.name}"

    @property
    def start_method(self) -> str:
        """The boto3 client method of Start, e.g. ``start_person_tracking``."""
        return _snake(self.start_name)

    @property
    def get_method(self) -> str:
        return _snake(self.get_name)

    def items(self, page: PageT) -> Sequence[ItemT] | None:
        """The items of a page (None when the member is absent or null)."""
        found: Sequence[ItemT] | None = getattr(page, self.items_field)
        return found

    def with_items(self, page: PageT, items: Sequence[ItemT]) -> PageT:
        """``page`` holding only ``items``."""
        return page.model_copy(update={self.items_field: tuple(items)})

    def order_key(self, sort_by: str | None, aggregate_by: str | None) -> str | None:
        """What a resume token records of the order (a token is valid only for the same order)."""
        if aggregate_by is None:
            return sort_by
        return f"{sort_by}/{aggregate_by}"


def _declared_errors(*operations: str) -> dict[str, type[APIError]]:
    """The codes the operations declare (the generated tables); every code for an operation they do not know."""
    table: dict[str, type[APIError]] = {}
    for operation in operations:
        try:
            table.update(errors_for(operation))
        except ValueError:
            return dict(ERROR_CLASSES)
    return table


def _snake(name: str) -> str:
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name).lstrip("_")

