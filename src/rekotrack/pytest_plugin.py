"""pytest fixtures for ``rekotrack.testing`` (registered as the ``rekotrack`` pytest11 plugin).

``local_rekognition`` yields a started :class:`~rekotrack.testing.LocalRekognition`
with jobs that finish on their first poll (``job_seconds=0``) and no faults;
reconfigure it in the test (``server.faults = Faults(...)``,
``server.job_seconds = 1.0``) or override the fixture to change its arguments.

Loading the plugin costs nothing noticeable: this module imports only pytest, and
the server (with boto3 and pydantic) is imported when a test first asks for the
fixture. ``-p no:rekotrack`` switches the plugin off; ``pytest_plugins =
["rekotrack.pytest_plugin"]`` in a ``conftest.py`` switches it on where plugin
autoloading is disabled.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from rekotrack.testing import LocalRekognition

__all__ = ["local_rekognition"]


@pytest.fixture
def local_rekognition() -> Iterator[LocalRekognition]:
    """A started local Rekognition server on an ephemeral 127.0.0.1 port, stopped after the test."""
    from rekotrack.testing import LocalRekognition

    with LocalRekognition(job_seconds=0.0) as server:
        yield server
