"""Griffe extension for the API reference: inherited members shown with the subclass's type arguments.

``class LabelResult(JobResult[LabelDetection])`` inherits ``items -> Sequence[ItemT]``
and ``__init__(items: Iterable[ItemT | Mapping[str, Any]])``; the reference of
``LabelResult`` should say ``Sequence[LabelDetection]``, as mypy does. For a class
whose base is a subscripted class of this package that declares ``Generic[...]``,
every member inherited from that base whose signature names one of its type
variables is copied into the subclass with the type arguments put in their place.
Nothing else changes, and the source needs no per-class override written only for
the docs.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import griffe


class TypeArguments(griffe.Extension):
    """Put a generic base's type arguments into the members a subclass inherits from it."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        self._walk(pkg, loader, set())

    def _walk(self, obj: griffe.Object, loader: griffe.GriffeLoader, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        for member in list(obj.members.values()):
            if member.is_alias:
                continue
            if isinstance(member, griffe.Class):
                for base in member.bases:
                    self._specialise(member, base, loader)
            if isinstance(member, (griffe.Module, griffe.Class)):
                self._walk(member, loader, seen)

    def _specialise(self, cls: griffe.Class, base: object, loader: griffe.GriffeLoader) -> None:
        if not isinstance(base, griffe.ExprSubscript) or not isinstance(base.left, griffe.ExprName):
            return
        try:
            generic = loader.modules_collection[base.left.canonical_path]
            while generic.is_alias:
                generic = generic.final_target
        except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            return
        if not isinstance(generic, griffe.Class):
            return
        params = _type_parameters(generic)
        args = _elements(base.slice)
        if not params or len(params) != len(args):
            return
        mapping = dict(zip(params, args, strict=True))
        for name, member in list(generic.all_members.items()):
            if name in cls.members or member.is_alias:
                continue
            if not any(param in _signature_text(member) for param in params):
                continue
            cls.set_member(name, _substituted(member, mapping, cls))


def _type_parameters(cls: griffe.Class) -> list[str]:
    for base in cls.bases:
        if isinstance(base, griffe.ExprSubscript) and str(base.left) == "Generic":
            return [str(element) for element in _elements(base.slice)]
    return []


def _elements(expr: object) -> list[Any]:
    return list(expr.elements) if isinstance(expr, griffe.ExprTuple) else [expr]


def _signature_text(member: griffe.Object) -> str:
    if isinstance(member, griffe.Function):
        return " ".join(str(part) for part in (member.returns, *(p.annotation for p in member.parameters)))
    if isinstance(member, griffe.Attribute):
        return str(member.annotation)
    return ""


def _substitute(expr: Any, mapping: dict[str, Any]) -> Any:
    if isinstance(expr, griffe.ExprName) and expr.name in mapping:
        return mapping[expr.name]
    if not isinstance(expr, griffe.Expr) or not dataclasses.is_dataclass(expr):
        return expr
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(expr):
        if not field.init:
            continue
        value = getattr(expr, field.name)
        if isinstance(value, griffe.Expr):
            new = _substitute(value, mapping)
        elif isinstance(value, list):
            new = [_substitute(element, mapping) for element in value]
        else:
            continue
        if new is not value:
            changes[field.name] = new
    return dataclasses.replace(expr, **changes) if changes else expr


def _substituted(member: griffe.Object, mapping: dict[str, Any], cls: griffe.Class) -> griffe.Object:
    new = copy.copy(member)
    new.parent = cls
    if isinstance(new, griffe.Function) and isinstance(member, griffe.Function):
        new.parameters = griffe.Parameters(
            *(
                griffe.Parameter(
                    p.name,
                    annotation=_substitute(p.annotation, mapping),
                    kind=p.kind,
                    default=p.default,
                    docstring=p.docstring,
                )
                for p in member.parameters
            )
        )
        new.returns = _substitute(member.returns, mapping)
    elif isinstance(new, griffe.Attribute) and isinstance(member, griffe.Attribute):
        new.annotation = _substitute(member.annotation, mapping)
    return new
