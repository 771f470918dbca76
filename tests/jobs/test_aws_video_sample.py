"""examples/aws_video_sample.py: an AWS-sample-style plain boto3 script runs every flow offline and exits 0."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "aws_video_sample.py"


def test_the_script_uses_boto3_for_every_aws_call() -> None:
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    rekotrack = {name for name in imported if name.startswith("rekotrack")}
    assert rekotrack == {"rekotrack.testing"}  # only to host the local server, never to call the API
    assert "boto3" in imported


def test_the_script_runs_every_flow_offline() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    log = done.stderr
    for api in ("StartLabelDetection", "StartFaceDetection", "StartFaceSearch", "StartCelebrityRecognition",
                "StartContentModeration", "StartPersonTracking"):
        assert re.search(rf"{api} \w+: SUCCEEDED", log), f"no completion message for {api}"
    counts = [int(n) for n in re.findall(r"^(\d+) ", done.stdout, re.M)]
    assert len(counts) == 6
    assert all(n > 0 for n in counts)
