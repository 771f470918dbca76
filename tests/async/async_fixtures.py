"""Fixtures of the asynchronous client's tests (imported by conftest.py when aiobotocore is installed)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from async_support import FAKE, REGION

from rekotrack.testing import LocalRekognition

__all__ = ["aio_session", "aws_env", "rekognition", "server", "sns", "sqs"]

NO_BOTOCORE_RETRIES = AioConfig(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def server() -> Iterator[LocalRekognition]:
    with LocalRekognition(job_seconds=0.0) as srv:
        yield srv


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region in the environment, for clients rekotrack makes itself."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def aio_session() -> AioSession:
    return get_session()


@pytest_asyncio.fixture
async def rekognition(aio_session: AioSession, server: LocalRekognition) -> AsyncIterator[Any]:
    """An aiobotocore Rekognition client bound to the local server, botocore retries off."""
    async with aio_session.create_client(
        "rekognition", region_name=REGION, endpoint_url=server.url, config=NO_BOTOCORE_RETRIES, **FAKE
    ) as client:
        yield client


@pytest_asyncio.fixture
async def sns(aio_session: AioSession, moto_url: str) -> AsyncIterator[Any]:
    async with aio_session.create_client("sns", region_name=REGION, endpoint_url=moto_url, **FAKE) as client:
        yield client


@pytest_asyncio.fixture
async def sqs(aio_session: AioSession, moto_url: str) -> AsyncIterator[Any]:
    async with aio_session.create_client("sqs", region_name=REGION, endpoint_url=moto_url, **FAKE) as client:
        yield client
