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
# Docs that sketch rekotrack's own internals (``...`` placeholders): not code a user runs.
INTERNAL_SKETCHES = {"architecture.md"}
DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name not in EXECUTED_ELSEWHERE)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_python_snippets_come_from_examples(doc: Path) -> None:
    regions = set(_regions().values())
    for block in BLOCK.findall(doc.read_text()):
        snippet = textwrap.dedent(block).strip()
        if doc.name in INTERNAL_SKETCHES and "..." in snippet:
            continue
        assert snippet in regions, f"{doc.name}: snippet not taken from examples/:\n{snippet}"


def test_examples_have_regions() -> None:
    assert len(_regions()) >= 3


def test_exempt_docs_really_are_executed() -> None:
    for doc, runner in EXECUTED_ELSEWHERE.items():
        assert doc in (ROOT / runner).read_text()


# ---- the first snippet a reader sees ---------------------------------------------------------

FIRST_SNIPPET_DOCS = [ROOT / "README.md", ROOT / "docs" / "quickstart.md"]


def _first_snippet(doc: Path) -> str:
    return textwrap.dedent(BLOCK.findall(doc.read_text())[0]).strip()


def test_readme_and_quickstart_open_with_the_same_snippet() -> None:
    first = {_first_snippet(doc) for doc in FIRST_SNIPPET_DOCS}
    assert len(first) == 1
    assert "for det in" in first.pop()


def test_first_snippet_type_checks_under_mypy_strict() -> None:
    """As a user's mypy sees it: --strict, no project config; the old promise (``bounding_box.left``) must fail."""
    from mypy import api

    # A fixed folder beside mypy's cache: the cache keys modules by name, so a new path each run would
    # be answered with the errors (and paths) cached for the old one.
    tmp_path = ROOT / ".mypy_cache" / "doc-snippets-src"
    tmp_path.mkdir(parents=True, exist_ok=True)
    good = tmp_path / "first_snippet.py"
    good.write_text(_first_snippet(ROOT / "README.md") + "\n")
    bad = tmp_path / "unchecked_box.py"
    bad.write_text(
        "from rekotrack import PersonTracker\n\n"
        "for det in PersonTracker().start('s3://bucket/clip.mp4').persons():\n"
        "    print(det.person.bounding_box.left)\n"
    )
    sort = tmp_path / "bad_sort.py"  # enum parameters are Literal types: a wrong value is a type error
    sort.write_text(
        "from rekotrack import PersonTracker\n\n"
        "PersonTracker().persons('job', sort_by='CONFIDENCE')\n"
    )
    (tmp_path / "mypy.ini").write_text("[mypy]\n")
    out, err, _ = api.run(["--strict", "--config-file", str(tmp_path / "mypy.ini"),
                           "--cache-dir", str(ROOT / ".mypy_cache" / "doc-snippets"), str(good), str(bad), str(sort)])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert errors, out + err  # the check can fail ...
    failing = {Path(line.split(":", 1)[0]).name for line in errors}
    assert failing == {bad.name, sort.name}, out  # ... and the snippet passes it
    assert any('"None" of "BoundingBox | None" has no attribute "left"' in line for line in errors), out
    assert any(Path(line.split(":", 1)[0]).name == sort.name and "'CONFIDENCE'" in line for line in errors), out


@pytest.mark.parametrize("doc", FIRST_SNIPPET_DOCS, ids=lambda p: p.name)
def test_first_snippet_runs_on_face_only_and_boxless_detections(
    doc: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rekotrack.testing import LocalRekognition, SyntheticScene

    scene = SyntheticScene(seed=5, people=4, duration_ms=30_000, face_rate=0.6, face_only_rate=0.5)
    truth = list(scene.ground_truth())
    boxed = [d for d in truth if "BoundingBox" in d["Person"]]
    assert 0 < len(boxed) < len(truth)  # the scene has detections without a person box
    with LocalRekognition(job_seconds=0.0) as server:
        server.add_video("s3://bucket/clip.mp4", scene)
        for name, value in {"AWS_ENDPOINT_URL_REKOGNITION": server.url, "AWS_DEFAULT_REGION": "us-east-1",
                            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
            monkeypatch.setenv(name, value)
        exec(compile(_first_snippet(doc), str(doc), "exec"), {"__name__": "snippet"})
    printed = capsys.readouterr().out.splitlines()
    expected = []
    for d in boxed:
        box = d["Person"]["BoundingBox"]
        expected.append(f"{d['Timestamp']} {d['Person']['Index']} {box['Left']} {box['Top']} {box['Width']} "
                        f"{box['Height']}")
    assert printed == expected
