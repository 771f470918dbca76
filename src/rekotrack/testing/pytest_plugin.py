"""pytest fixtures for ``rekotrack.testing`` (registered as the ``rekotrack`` pytest11 plugin).

``local_rekognition`` yields a started :class:`~rekotrack.testing.LocalRekognition`
with jobs that finish on their first poll (``job_seconds=0``) and no faults;
reconfigure it in the test (``server.faults = Faults(...)``,
``server.job_seconds = 1.0``) or override the fixture to change its arguments.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rekotrack.testing._server import LocalRekognition


@pytest.fixture
def local_rekognition() -> Iterator[LocalRekognition]:
    """A started local Rekognition server on an ephemeral 127.0.0.1 port, stopped after the test."""
    with LocalRekognition(job_seconds=0.0) as server:
        yield server
