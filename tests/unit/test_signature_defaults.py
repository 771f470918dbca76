"""The job classes' typed methods write their defaults as literals (so the reference shows values):
each literal must equal the constant the engine uses."""

from __future__ import annotations

import inspect

import pytest

import rekotrack
from rekotrack._core import _constants

CONSTANT_OF = {
    "timeout": _constants.DEFAULT_WAIT_TIMEOUT,
    "poll_interval": _constants.DEFAULT_POLL_INTERVAL,
    "max_poll_interval": _constants.DEFAULT_MAX_POLL_INTERVAL,
    "status_check_interval": _constants.DEFAULT_STATUS_CHECK_INTERVAL,
}
JOB_CLASSES = [
    name
    for name in rekotrack.__all__
    if name.endswith(("Detector", "Searcher", "Recognizer", "Moderator", "Tracker", "Job"))
    and inspect.isclass(getattr(rekotrack, name))
]


def test_the_job_classes_are_found() -> None:
    assert len(JOB_CLASSES) == 32, JOB_CLASSES  # 8 operations x (analyzer, job) x (sync, async)


@pytest.mark.parametrize("name", JOB_CLASSES)
def test_literal_defaults_equal_the_engine_constants(name: str) -> None:
    cls = getattr(rekotrack, name)
    checked = 0
    for method_name, method in inspect.getmembers(cls, inspect.isfunction):
        if method_name.startswith("_"):
            continue
        for parameter in inspect.signature(method).parameters.values():
            if parameter.name in CONSTANT_OF and parameter.default is not inspect.Parameter.empty:
                assert parameter.default == CONSTANT_OF[parameter.name], (name, method_name, parameter)
                checked += 1
    assert checked >= 2, name  # at least wait's timeout and collect's
