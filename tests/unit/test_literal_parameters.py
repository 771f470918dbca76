"""Enum parameters are Literal types: mypy refuses a value the service does not accept; untyped callers get
RequestValidationError at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from rekotrack import PersonTracker, RequestValidationError

from .unit_support import JOB_ID, make_client

SNIPPET = '''
from rekotrack import AsyncPersonTracker, PersonTracker

def sync(tracker: PersonTracker) -> None:
    tracker.persons("job", sort_by="INDEX")
    tracker.persons("job", sort_by="CONFIDENCE")
    tracker.get_page("job", sort_by="NAME")

async def asynchronous(tracker: AsyncPersonTracker) -> None:
    tracker.persons("job", sort_by="TIMESTAMP")
    tracker.persons("job", sort_by="CONFIDENCE")
'''


def test_mypy_catches_a_sort_by_the_operation_does_not_have(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    path = tmp_path / "snippet.py"
    path.write_text(SNIPPET, encoding="utf-8")
    out, _err, status = api.run(["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(path)])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1
    assert [int(line.split(":")[1]) for line in errors] == [6, 7, 11], out
    assert all("CONFIDENCE" in line or "NAME" in line for line in errors), out


@pytest.mark.parametrize("value", ["CONFIDENCE", "index", 3, b"INDEX"])
def test_untyped_callers_are_checked_at_run_time(value: object) -> None:
    tracker = PersonTracker(client=make_client())
    with pytest.raises(RequestValidationError) as info:
        tracker.persons(JOB_ID, sort_by=value)  # type: ignore[arg-type]
    assert info.value.parameter == "SortBy"
