"""Fixtures of the job tests: one local server per module, a boto3 client bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from jobs_support import FAKE, REGION

from rekotrack.testing import LocalRekognition


@pytest.fixture(scope="module")
def server() -> Iterator[LocalRekognition]:
    with LocalRekognition(job_seconds=0.0) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _clean_server(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "server" in request.fixturenames:
        server = request.getfixturevalue("server")
        server.faults = None
        server.job_seconds = 0.0


@pytest.fixture
def client(server: LocalRekognition) -> Any:
    """A plain boto3 Rekognition client bound to the local server (botocore retries off)."""
    config = boto3.session.Config(retries={"total_max_attempts": 1, "mode": "standard"})
    return boto3.client("rekognition", region_name=REGION, endpoint_url=server.url, config=config, **FAKE)
