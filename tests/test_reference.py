"""The API reference is whole: the built site has an entry for every public name.

Builds the docs site with mkdocs (as ``.ci/run`` does) into a temporary folder and compares the
anchors mkdocstrings writes (``id="rekotrack.Name"``) with the ``__all__`` of ``rekotrack``,
``rekotrack.testing`` and ``rekotrack.selfhosted``. A public name added without a ``:::`` entry
in ``docs/reference/`` fails here.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_MODULES = ("rekotrack", "rekotrack.testing", "rekotrack.selfhosted")
ANCHOR = re.compile(r'id="(rekotrack[\w.]*)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs", reason="needs the dev extra: pip install -e '.[dev]'")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return out


def _anchors(site: Path) -> set[str]:
    found: set[str] = set()
    for page in (site / "reference").rglob("*.html"):
        found.update(ANCHOR.findall(page.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_has_a_reference_entry(site: Path, module: str) -> None:
    names = [n for n in importlib.import_module(module).__all__ if not n.startswith("__")]
    anchors = _anchors(site)
    missing = sorted(n for n in names if f"{module}.{n}" not in anchors)
    assert not missing, f"{module}: no entry in docs/reference/ for {missing}"


def test_the_reference_documents_no_private_module(site: Path) -> None:
    private = sorted(a for a in _anchors(site) if re.search(r"\._[a-z]", a) and "pytest_plugin" not in a)
    # Members of public classes are fine (rekotrack.X.method); a private *module* path is not.
    assert not [a for a in private if a.split(".")[1].startswith("_")], private
