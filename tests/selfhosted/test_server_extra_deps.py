"""The server extra installs one OpenCV (headless) and a consistent environment: PySceneDetect and RapidOCR
are the builds that ask for opencv-python-headless, never opencv-python beside it (two packages writing the
same ``cv2`` folder), and ``pip check`` is clean."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

OPENCVS = ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless")


def _installed(name: str) -> bool:
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def test_one_opencv_and_the_headless_builds_of_what_needs_it() -> None:
    for name in ("scenedetect-headless", "rapidocr", "opencv-python-headless"):
        if not _installed(name):
            pytest.skip(f"{name} is not installed (pip install '.[server]')")
    assert [name for name in OPENCVS if _installed(name)] == ["opencv-python-headless"]
    for name in ("scenedetect-headless", "rapidocr"):
        wants = [req.split(";")[0].replace(" ", "") for req in importlib.metadata.requires(name) or []]
        opencv = [req for req in wants if req.startswith("opencv")]
        assert opencv, name
        assert all(req.startswith("opencv-python-headless") for req in opencv), (name, opencv)


def test_pip_check_is_clean() -> None:
    if not _installed("pip"):
        pytest.skip("this environment has no pip")
    done = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
