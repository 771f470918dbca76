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


# The class-level type variables of the shared layers (rekotrack._aio._video_jobs, _engine, _pager,
# _job_results): a reference page that shows one of them shows a generic signature, not the class's own.
TYPE_VARIABLE = re.compile(r"\b(PageT|PageT_co|ItemT|ResultT|JobT|SortT|AggregateT)\b")


def test_no_reference_page_shows_an_unresolved_type_variable(site: Path) -> None:
    shown = {
        page.parent.name: sorted(set(TYPE_VARIABLE.findall(page.read_text(encoding="utf-8"))))
        for page in (site / "reference").rglob("*.html")
    }
    assert not {name: found for name, found in shown.items() if found}, shown


def test_defaults_are_shown_as_values_not_constant_names(site: Path) -> None:
    # docs/.hooks/default_values.py replaces a DEFAULT_* default by its value (timeout: float = 3600.0).
    shown = {
        page.parent.name: sorted(set(re.findall(r"\bDEFAULT_[A-Z0-9_]+", page.read_text(encoding="utf-8"))))
        for page in (site / "reference").rglob("*.html")
    }
    assert not {name: found for name, found in shown.items() if found}, shown
    assert "3600.0" in _signature(site, "rekotrack.PersonTracker.wait")


@pytest.mark.parametrize("cls", ["PersonTracker", "AsyncPersonTracker", "LabelDetector", "AsyncTextDetector"])
def test_client_is_typed_as_the_rekognition_client(site: Path, cls: str) -> None:
    # types-boto3-rekognition / types-aiobotocore-rekognition, imported only under TYPE_CHECKING.
    assert "client: RekognitionClient | None = None" in _signature(site, f"rekotrack.{cls}")


ITEMS_METHODS = {  # class -> (its items method, the item model its signature names)
    "LabelDetector": ("labels", "LabelDetection"),
    "LabelDetectionJob": ("labels", "LabelDetection"),
    "FaceDetector": ("faces", "FaceDetection"),
    "FaceDetectionJob": ("faces", "FaceDetection"),
    "FaceSearcher": ("persons", "PersonMatch"),
    "FaceSearchJob": ("persons", "PersonMatch"),
    "CelebrityRecognizer": ("celebrities", "CelebrityRecognition"),
    "CelebrityRecognitionJob": ("celebrities", "CelebrityRecognition"),
    "ContentModerator": ("moderation_labels", "ContentModerationDetection"),
    "ContentModerationJob": ("moderation_labels", "ContentModerationDetection"),
    "SegmentDetector": ("segments", "SegmentDetection"),
    "SegmentDetectionJob": ("segments", "SegmentDetection"),
    "TextDetector": ("text_detections", "TextDetectionResult"),
    "TextDetectionJob": ("text_detections", "TextDetectionResult"),
    "PersonTracker": ("persons", "PersonTrackingPager"),
    "TrackingJob": ("persons", "PersonTrackingPager"),
}
SIGNATURE = re.compile(r'<div class="doc-signature highlight"><pre>(.*?)</pre>', re.S)


def _signature(site: Path, anchor: str) -> str:
    """The text of the signature block that follows ``id="anchor"`` on its reference page."""
    for page in (site / "reference").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        at = text.find(f'id="{anchor}"')
        if at >= 0:
            found = SIGNATURE.search(text, at)
            assert found is not None, anchor
            return re.sub(r"<[^>]+>", "", found.group(1))
    raise AssertionError(f"no reference entry {anchor}")


@pytest.mark.parametrize("prefix", ["", "Async"])
def test_each_job_class_shows_its_own_items_method_and_item_type(site: Path, prefix: str) -> None:
    for cls, (method, item) in ITEMS_METHODS.items():
        shown = _signature(site, f"rekotrack.{prefix}{cls}.{method}")
        assert f"{method}(" in shown, (cls, shown)
        assert item in shown, (cls, shown)
