"""Nothing in production imports the test server ``rekotrack.testing`` (issue 22 points 5 and 6).

The self-hosted service and the server core run ``rekotrack serve`` and the workers; the synthetic
analyzer they offer (``--analyzer synthetic``, ``rekotrack serve`` without ``--analyzer video``) lives
in production code, and ``rekotrack.testing`` only re-exports it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PRODUCTION = ("rekotrack/selfhosted", "rekotrack/server")


def _testing_imports(source: str, where: str) -> list[str]:
    """Every import of ``rekotrack.testing`` in ``source`` (the file ``where`` under src), at any depth (a
    function's lazy import too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolve against the file's package
                package = list(Path(where).parent.parts)
                module = ".".join(package[: len(package) - node.level + 1] + ([module] if module else []))
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        if any(name == "rekotrack.testing" or name.startswith("rekotrack.testing.") for name in names):
            found.append(f"{where}:{node.lineno}")
    return found


def test_no_production_module_imports_rekotrack_testing_anywhere() -> None:
    files = [path for folder in PRODUCTION for path in sorted((SRC / folder).rglob("*.py"))]
    assert len(files) > 20  # the scan sees the packages
    hits = [hit for path in files
            for hit in _testing_imports(path.read_text(encoding="utf-8"), path.relative_to(SRC).as_posix())]
    assert hits == []


def test_the_scan_sees_every_form_of_the_import() -> None:
    source = ("import rekotrack.testing\n"
              "def f():\n"
              "    from rekotrack.testing import SyntheticScene\n"
              "    from rekotrack import testing\n"
              "    from ... import testing as t\n"
              "    from rekotrack.testing._scene import SyntheticScene as S\n"
              "    from rekotrack.server import ApiError\n")
    assert _testing_imports(source, "rekotrack/selfhosted/service/_x.py") == [
        f"rekotrack/selfhosted/service/_x.py:{line}" for line in (1, 3, 4, 5, 6)]


_FRESH = r"""
import importlib, json, pkgutil, sys, tempfile
from pathlib import Path

import rekotrack.selfhosted, rekotrack.server

names, missing = [], []
for package in (rekotrack.selfhosted, rekotrack.server):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        names.append(info.name)
        try:
            importlib.import_module(info.name)
        except ImportError as exc:  # an optional extra that is not installed
            missing.append(f"{info.name}: {exc}")

# what production runs with the synthetic analyzer: a worker's job of every analysed kind, and
# the server ``rekotrack serve`` starts without --analyzer video
from rekotrack.selfhosted import AnalyzerSettings
from rekotrack.selfhosted.service._jobs import ANALYSED, FileVideo, JobSpec
from rekotrack.selfhosted.service._worker import run_job
from rekotrack.selfhosted.service._cli import synthetic_server

video = {"S3Object": {"Bucket": "bucket", "Name": "a.mp4"}}
results = {}
with tempfile.TemporaryDirectory() as folder:
    for operation in ANALYSED:
        options = {"video": video} if operation != "PersonTracking" else {}
        if operation == "SegmentDetection":
            options["segment_types"] = ("SHOT",)
        spec = JobSpec(operation=operation, source=FileVideo(path="/none", uri="s3://bucket/a.mp4"), **options)
        result = run_job("j", spec, AnalyzerSettings(analyzer="synthetic"), str(Path(folder) / operation))
        results[operation] = result.status
server = synthetic_server(host="127.0.0.1", port=0, job_seconds=0.1, sns_endpoint_url=None, front="stdlib",
                          region_name="us-east-1")
server.start()
server.stop()
print(json.dumps({"names": names, "missing": missing, "results": results,
                  "testing": sorted(m for m in sys.modules if m.split(".")[:2] == ["rekotrack", "testing"])}))
"""


def test_a_fresh_interpreter_runs_the_service_without_loading_rekotrack_testing() -> None:
    done = subprocess.run([sys.executable, "-c", _FRESH], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "rekotrack.selfhosted.service._worker" in report["names"]
    assert "rekotrack.server._core" in report["names"]
    assert report["results"] == dict.fromkeys(
        ("PersonTracking", "FaceDetection", "SegmentDetection", "TextDetection"), "SUCCEEDED")
    assert report["testing"] == [], report["testing"]
