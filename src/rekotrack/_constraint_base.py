"""One input constraint of the service model: kind, bounds, pattern, allowed values.

The tables of every operation are generated into
:mod:`rekotrack._generated.constraints`; :mod:`rekotrack._constraints` checks
requests against them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Constraint", "ConstraintKind"]

ConstraintKind = Literal["string", "integer", "float", "boolean", "list"]


@dataclass(frozen=True)
class Constraint:
    """Bounds, pattern and allowed values of one input member.

    ``min``/``max`` bound a string's length, a number's value or a list's
    number of items (the list's items have their own entry at ``path[]``).
    """

    shape: str
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    kind: ConstraintKind = "string"

    def problem(self, value: object) -> str | None:
        """Describe why ``value`` breaks this constraint, or ``None`` if it does not."""
        if self.kind == "list":
            return self._list_problem(value)
        if self.kind == "boolean":
            return None if isinstance(value, bool) else f"must be a boolean, not {type(value).__name__}"
        if self.kind in ("integer", "float"):
            return self._number_problem(value)
        if not isinstance(value, str):
            return f"must be a string, not {type(value).__name__}"
        if self.enum is not None:
            if value not in self.enum:
                return f"must be one of {', '.join(self.enum)}"
            return None
        if self.min is not None and len(value) < self.min:
            return f"length must be >= {self.min:g}"
        if self.max is not None and len(value) > self.max:
            return f"length must be <= {self.max:g}"
        if self.pattern is not None and compiled(self.pattern).search(value) is None:
            return f"must match pattern {self.pattern}"
        return None

    def _number_problem(self, value: object) -> str | None:
        if self.kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"must be an integer, not {type(value).__name__}"
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"must be a number, not {type(value).__name__}"
            if not math.isfinite(value):
                return "must be a finite number"
        if self.min is not None and value < self.min:
            return f"must be >= {self.min:g}"
        if self.max is not None and value > self.max:
            return f"must be <= {self.max:g}"
        return None

    def _list_problem(self, value: object) -> str | None:
        if not isinstance(value, (list, tuple)):
            return f"must be a list, not {type(value).__name__}"
        if self.min is not None and len(value) < self.min:
            return f"must have at least {self.min:g} item{'' if self.min == 1 else 's'}"
        if self.max is not None and len(value) > self.max:
            return f"must have at most {self.max:g} item{'' if self.max == 1 else 's'}"
        return None


_CACHE: dict[str, re.Pattern[str]] = {}


def compiled(pattern: str) -> re.Pattern[str]:
    """The service model's pattern, anchored on the whole value as the service matches it."""
    found = _CACHE.get(pattern)
    if found is None:
        found = _CACHE[pattern] = re.compile(rf"\A(?:{pattern})\Z")
    return found
