"""Fixtures shared by the test folders."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import Any

import pytest
from moto.server import ThreadedMotoServer


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A real moto server (SNS, SQS, S3 ...) on an ephemeral 127.0.0.1 port, for the whole session."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


# ---- what a skip needs -------------------------------------------------------------------------------------------
# The README's test command installs everything (pip extras dev and server, motmetrics, and the Debian packages
# through scripts/install-test-deps.sh), so it skips nothing. Where something could not be installed, each skip
# names what is missing and the command that brings it.

_PIP_SERVER = "the server extra: .venv/bin/pip install -e '.[dev,server]'"
_PIP_DEV = "the dev extra: .venv/bin/pip install -e '.[dev,server]'"
_APT = "scripts/install-test-deps.sh (as root: apt-get install opencv-doc redis-server)"
_BRINGS = {
    **dict.fromkeys(("cv2", "av", "scipy", "numpy", "scenedetect", "rapidocr", "uvicorn", "celery", "onnxruntime",
                     "onnx"), _PIP_SERVER),
    **dict.fromkeys(("aiobotocore", "pytest_asyncio", "matplotlib", "pandas", "moto", "mkdocs", "mypy", "build",
                     "hatchling", "hatch_fancy_pypi_readme"), _PIP_DEV),
    "motmetrics": ".venv/bin/pip install 'motmetrics>=1.4,<2'",
}
_NEEDS = (
    (("vtest.avi", "opencv-doc", "messi5.jpg"), _APT),
    (("redis-server",), _APT),
    (("PETS09", "evaluation data"),
     "the PETS09-S2L1 ground truth, frames 1-400 (docs/self-hosted.md, Accuracy): ../shared/data/pets09-s2l1/"
     "gt-frames-1-400.txt beside the clone, or REKOTRACK_PETS_GT=FILE"),
)


def _how_to_bring(reason: str) -> str | None:
    """The command that brings what a skip ``reason`` says is missing (None: not a missing dependency)."""
    reason = reason.removeprefix("Skipped: ")  # a module skipped at collection
    if reason.startswith("could not import "):  # pytest.importorskip
        module = reason.split("'")[1] if "'" in reason else ""
        return _BRINGS.get(module.split(".")[0])
    for needles, command in _NEEDS:
        if any(needle in reason for needle in needles):
            return command
    return None


def _name_what_brings_it(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        path, line, reason = report.longrepr
        command = _how_to_bring(str(reason))
        if command is not None and command not in str(reason):
            report.longrepr = (path, line, f"{reason}; to run it: {command}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    _name_what_brings_it(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    outcome = yield  # a module-level importorskip skips the whole module here
    _name_what_brings_it(outcome.get_result())
