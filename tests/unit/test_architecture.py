"""The layering holds: no import circle inside rekotrack, and the SDK loads no server module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "rekotrack"

SERVER_MODULES = ("rekotrack._synthetic", "rekotrack.testing", "rekotrack.selfhosted", "rekotrack.server")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST) -> list[tuple[str, int, list[str]]]:
    """(module, level, names) of every import, at any depth, except under ``if TYPE_CHECKING:``."""
    found: list[tuple[str, int, list[str]]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                stack.extend(child.orelse)  # type: ignore[attr-defined]
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, 0, []) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                found.append((child.module or "", child.level, [a.name for a in child.names]))
            stack.append(child)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for module, level, names in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if level:
                base = package.split(".")
                base = base[: len(base) - (level - 1)]
                module = ".".join([*base, module] if module else base)
            if not module.startswith("rekotrack"):
                continue
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in modules] or [module]
            for target in targets:
                while target not in modules and "." in target:
                    target = target.rpartition(".")[0]
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_imports() -> None:
    graph = import_graph()
    assert "rekotrack._core._operation" in graph["rekotrack._aio._engine"]
    assert "rekotrack._aio._io" in graph["rekotrack._aio._engine"]  # `from . import _io as io`
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_no_import_circle_in_the_sdk() -> None:
    servers = ("rekotrack.testing", "rekotrack.selfhosted", "rekotrack.server")
    sdk = {
        name: {d for d in deps if not d.startswith(servers)}
        for name, deps in import_graph().items()
        if not name.startswith(servers)
    }
    assert cycles(sdk) == []


def test_no_import_circle_anywhere_in_the_package() -> None:
    assert cycles(import_graph()) == []


def test_the_sync_shell_never_imports_asyncio_code() -> None:
    graph = import_graph()
    for name, deps in graph.items():
        if name.startswith("rekotrack._sync"):
            assert not [d for d in deps if d.startswith("rekotrack._aio")], name
        if name.startswith("rekotrack._core"):
            assert not [d for d in deps if d.startswith(("rekotrack._aio", "rekotrack._sync"))], name


def test_the_core_imports_no_boto_asyncio_or_threads() -> None:
    for path in (PACKAGE / "_core").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        roots = {module.split(".")[0] for module, level, _ in _imports(tree) if not level}
        assert not roots & {"boto3", "botocore", "aiobotocore", "asyncio", "threading", "tenacity"}, path.name


def test_import_rekotrack_and_its_clients_load_no_server_module() -> None:
    code = (
        "import sys, rekotrack\n"
        "rekotrack.PersonTracker, rekotrack.AsyncPersonTracker, rekotrack.CompletionQueue, rekotrack.TrackingResult\n"
        f"bad = [m for m in sys.modules if m.startswith({SERVER_MODULES!r})]\n"
        "print(bad)\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
