"""rekotrack._net: the one answer to "is this host this machine?" (CLI endpoint URLs, self-hosted bind hosts)."""

from __future__ import annotations

import pytest

from rekotrack._net import is_loopback, is_loopback_url


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.9.10", "::1"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["", "0.0.0.0", "::", "10.0.0.1", "192.168.1.1", "example.com", "localhost.example"])
def test_other_hosts(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize(
    "url", ["http://localhost:5000", "http://127.0.0.1", "http://LOCALHOST:1/x", "http://[::1]:8080/"]
)
def test_loopback_urls(url: str) -> None:
    assert is_loopback_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://rekognition.us-east-1.amazonaws.com",
        "http://0.0.0.0:5000",
        "http://10.1.2.3",
        "http://[::1",  # malformed: urlsplit raises ValueError
        "127.0.0.1:5000",  # no scheme: no host
        "",
    ],
)
def test_other_urls(url: str) -> None:
    assert not is_loopback_url(url)
