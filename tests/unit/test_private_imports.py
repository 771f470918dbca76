"""No private name is imported from another module of rekotrack (issue 22 point 6).

``from rekotrack._exports import _json_line`` couples a module to another's internals; a name that
another module needs is public in its (private) module instead. Importing a private *module*
(``from . import _io``) is fine.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

def _is_module(module: str, name: str) -> bool:
    base = SRC.joinpath(*module.split("."), name)
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = list(path.relative_to(SRC).parent.parts)
    package = package[: len(package) - node.level + 1]
    return ".".join(package + ([node.module] if node.module else []))


def private_imports() -> set[tuple[str, str, str]]:
    """(file under src, module, name) of every ``from module import _name`` where ``_name`` is not a module."""
    found: set[tuple[str, str, str]] = set()
    for path in sorted((SRC / "rekotrack").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = _absolute(path, node)
            for alias in node.names:
                name = alias.name
                if name.startswith("_") and not name.startswith("__") and not _is_module(module, name):
                    found.add((path.relative_to(SRC).as_posix(), module, name))
    return found


def test_the_scan_sees_a_private_import() -> None:
    tree = ast.parse("from rekotrack._exports import _json_line, Destination\nfrom . import _io\n")
    node = tree.body[0]
    assert isinstance(node, ast.ImportFrom)
    assert _absolute(SRC / "rekotrack" / "_x.py", node) == "rekotrack._exports"
    assert not _is_module("rekotrack._exports", "_json_line")
    assert _is_module("rekotrack", "_core")


def test_no_new_private_name_imported_across_modules() -> None:
    new = sorted(private_imports())
    assert not new, "make these public in their module: " + ", ".join(f"{f}: from {m} import {n}" for f, m, n in new)
