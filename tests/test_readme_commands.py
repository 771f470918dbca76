"""The README's commands: CI runs its test command exactly as written; skips say what brings them."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    first_block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert first_block is not None
    return [line for line in first_block.group(1).splitlines() if line.startswith("python3 -m venv")]


def test_ci_runs_the_readme_test_command_exactly() -> None:
    demo, tests = _readme_commands()
    assert "rekotrack demo" in demo
    assert tests.endswith("-m pytest -q")
    assert ".[dev,server]" in tests  # the whole suite: the self-hosted tests need the server extra
    assert "scripts/install-test-deps.sh" in tests  # and the Debian packages
    assert tests in (ROOT / ".ci" / "run").read_text().splitlines()


def test_install_test_deps_is_executable_and_does_nothing_when_all_is_there() -> None:
    script = ROOT / "scripts" / "install-test-deps.sh"
    assert os.access(script, os.X_OK)
    # Only where both are installed: the script must then do nothing (a test never runs apt-get).
    if not Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi").is_file():
        pytest.skip("vtest.avi not found (Debian opencv-doc)")
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not found (Debian redis-server)")
    done = subprocess.run([str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (0, "")


def _conftest() -> object:
    spec = importlib.util.spec_from_file_location("tests_conftest_copy", ROOT / "tests" / "conftest.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("reason", "needle"),
    [
        ("could not import 'cv2': No module named 'cv2'", "pip install -e '.[dev,server]'"),
        ("Skipped: could not import 'av': No module named 'av'", "pip install -e '.[dev,server]'"),
        ("could not import 'motmetrics': No module named 'motmetrics'", "pip install 'motmetrics"),
        ("could not import 'aiobotocore': No module named 'aiobotocore'", "pip install -e"),
        ("vtest.avi not found (apt-get install opencv-doc)", "scripts/install-test-deps.sh"),
        ("redis-server not found (apt-get install redis-server)", "scripts/install-test-deps.sh"),
        ("needs opencv-doc's messi5.jpg", "scripts/install-test-deps.sh"),
        ("the PETS09-S2L1 ground truth is not found", "gt-frames-1-400.txt"),
    ],
)
def test_a_skip_for_something_missing_names_the_command(reason: str, needle: str) -> None:
    how: str | None = _conftest()._how_to_bring(reason)  # type: ignore[attr-defined]
    assert how is not None
    assert needle in how


_RELEASED_FORM = re.compile(r"""pip install (?:-\S+ )*["']?rekotrack(?:\[|["'\s]|$)""")


def test_every_install_line_works_from_a_clone_or_says_once_released() -> None:
    """Nothing is on a package index yet: ``pip install "rekotrack[...]"`` fails; say so wherever it is written."""
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "src").rglob("*.py")),
             *sorted((ROOT / "examples").glob("*.py"))]
    offending = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _RELEASED_FORM.search(line) and "once released" not in line:
                offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offending, "\n".join(offending)
