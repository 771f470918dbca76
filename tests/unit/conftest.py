"""Fixtures for the unit tests: a stubbed offline client, a fake clock and a tracker bound to both."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from rekotrack import PersonTracker

from .unit_support import FakeClock, make_client, make_tracker


@pytest.fixture
def client() -> Any:
    return make_client()


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tracker(client: Any, stub: Stubber, clock: FakeClock) -> PersonTracker:
    """A tracker on the stubbed client; retries sleep on the fake clock, jitter fixed at its upper bound."""
    return make_tracker(client, clock, random=1.0)


@pytest.fixture
def sent(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """(operation, params) of every API call made on ``client``, in order, before the Stubber answers."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_kwargs: Any) -> None:
        calls.append((model.name, dict(params)))

    client.meta.events.register("provide-client-params.rekognition", record)
    return calls
