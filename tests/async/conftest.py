"""The asynchronous client's tests: they need the rekotrack[async] extra (aiobotocore) and pytest-asyncio."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

if importlib.util.find_spec("aiobotocore") is None or importlib.util.find_spec("pytest_asyncio") is None:
    collect_ignore_glob = ["test_*.py"]
else:
    from async_fixtures import aio_session, aws_env, rekognition, server, sns, sqs

    __all__ = ["aio_session", "aws_env", "rekognition", "server", "sns", "sqs"]


@pytest.fixture(autouse=True)
def _no_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "server" in request.fixturenames:
        request.getfixturevalue("server").faults = None
