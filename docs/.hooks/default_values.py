"""Griffe extension for the API reference: show a parameter's default as its value, not its name.

``timeout: float = DEFAULT_WAIT_TIMEOUT`` is how the source says it (one constant, used
everywhere); the reference shows ``timeout: float = 3600.0``, the value a reader needs. Only
defaults that are a single module-level ``DEFAULT_*`` name are replaced, by that constant's
literal value as written where it is defined.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_NAME = re.compile(r"^DEFAULT_[A-Z0-9_]+$")


class DefaultValues(griffe.Extension):
    """Replace ``DEFAULT_*`` parameter defaults by their values, once the package is loaded."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        self._walk(pkg, loader, set())

    def _walk(self, obj: griffe.Object, loader: griffe.GriffeLoader, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        for member in list(obj.members.values()):
            if member.is_alias:
                continue
            if isinstance(member, griffe.Function):
                for parameter in member.parameters:
                    value = self._value(parameter.default, loader)
                    if value is not None:
                        parameter.default = value
            if isinstance(member, (griffe.Module, griffe.Class)):
                self._walk(member, loader, seen)

    @staticmethod
    def _value(default: object, loader: griffe.GriffeLoader) -> str | None:
        if not isinstance(default, griffe.ExprName) or not _NAME.match(default.name):
            return None
        try:
            constant = loader.modules_collection[default.canonical_path]
            while constant.is_alias:
                constant = constant.final_target
        except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            return None
        value = getattr(constant, "value", None)
        return str(value) if value is not None else None
