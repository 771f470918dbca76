"""The face model runs on onnxruntime with no ``onnx`` package at run time (issue 25 point 9).

``models/centerface.onnx`` was patched once by ``scripts/patch_centerface.py`` (symbolic input and
output sizes); nothing is rewritten at load, so a process in which ``import onnx`` fails still loads
the model on onnxruntime and finds the faces of a vtest.avi frame.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("cv2")

SCRIPT = r"""
import json, sys
sys.modules["onnx"] = None  # any "import onnx" now raises ImportError
from pathlib import Path
import cv2
from rekotrack.selfhosted.vision._faces import FaceDetector
from rekotrack.selfhosted.vision._video import iter_frames
from rekotrack.selfhosted.vision._face_jobs import faces_in_frame
_, image = next(iter_frames(Path(sys.argv[1])))
detector = FaceDetector(threads=1)
faces = faces_in_frame(detector, image)
print(json.dumps({"onnxruntime": detector._session is not None, "faces": len(faces),
                  "onnx_loaded": sys.modules.get("onnx") is not None}))
"""


def test_faces_are_found_without_the_onnx_package(vtest: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(vtest)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"onnxruntime": True, "faces": result["faces"], "onnx_loaded": False}
    assert result["faces"] >= 1  # a face of vtest's first frame


def test_the_server_extra_does_not_ask_for_onnx() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    root = Path(__file__).resolve().parents[2]
    server = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]["server"]
    assert not [req for req in server if req.split(">")[0].split("=")[0].split("<")[0].strip() == "onnx"]
