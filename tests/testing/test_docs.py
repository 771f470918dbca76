"""Every Python snippet of docs/testing.md runs as written (offline: moto runs on loopback)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from rekotrack.testing import LocalRekognition

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"


def test_docs_snippets_run() -> None:
    if not DOC.exists():
        pytest.skip("docs/testing.md not found")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) >= 8
    namespace: dict[str, Any] = {}
    for number, block in enumerate(blocks):
        exec(compile(block, f"{DOC.name} snippet {number}", "exec"), namespace)
    with LocalRekognition(job_seconds=0) as server:
        namespace["test_counts_people"](server)
