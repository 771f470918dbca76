"""Docs cannot drift: every ```python block in README.md and docs/ is a marked region of a script in examples/."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)
REGION = re.compile(r"# --8<-- \[start:(\w+)\]\n(.*?)\n\s*# --8<-- \[end:\1\]", re.S)


def _regions() -> dict[str, str]:
    found: dict[str, str] = {}
    for script in sorted((ROOT / "examples").glob("*.py")):
        for name, body in REGION.findall(script.read_text()):
            found[f"{script.name}:{name}"] = textwrap.dedent(body).strip()
    return found


# Docs whose snippets are executed by a test of their own instead.
EXECUTED_ELSEWHERE = {"testing.md": "tests/testing/test_docs.py"}
DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name not in EXECUTED_ELSEWHERE)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_python_snippets_come_from_examples(doc: Path) -> None:
    regions = set(_regions().values())
    for block in BLOCK.findall(doc.read_text()):
        snippet = textwrap.dedent(block).strip()
        assert snippet in regions, f"{doc.name}: snippet not taken from examples/:\n{snippet}"


def test_examples_have_regions() -> None:
    assert len(_regions()) >= 3


def test_exempt_docs_really_are_executed() -> None:
    for doc, runner in EXECUTED_ELSEWHERE.items():
        assert doc in (ROOT / runner).read_text()
