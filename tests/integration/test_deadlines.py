"""Issue 11, point 2: deadlines are wall-clock bounds on the whole call, against a server that drips its answer.

The server below answers every request one byte every 0.5 s (status line,
headers and body), so botocore's read timeout (per socket read) never fires:
before the fix a ``wait(timeout=3)`` against it took the whole drip (over a
minute). Each call must return or raise within its timeout plus one request's
connect/read timeout; the bound asserted is that, with a few seconds of slack
for a loaded machine. The drip takes far longer than any bound.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from rekotrack import CompletionQueue, PersonTracker, RekotrackError, RetryPolicy, TransportError, WaitTimeoutError

FAKE = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"
JOB_ID = "job-dripping"
READ_TIMEOUT = 2.0
SLACK = 6.0  # a loaded CI machine; the drip below lasts over a minute


def _response(body: dict[str, Any], content_type: str) -> bytes:
    data = json.dumps(body).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(data)}\r\n\r\n"
    return head.encode() + data


class DrippingServer:
    """An HTTP server on 127.0.0.1 that reads each request, then sends its answer one byte every ``interval`` s."""

    def __init__(self, answer: bytes, interval: float = 0.5) -> None:
        self.answer = answer
        self.interval = interval
        self.requests = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, name="dripping-accept", daemon=True)
        self._accept.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._drip, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, rest = data.partition(b"\r\n\r\n")
                lines = [line.lower() for line in head.split(b"\r\n")]
                lengths = [int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length")]
                length = lengths[0] if lengths else 0
                while len(rest) < length:
                    rest += conn.recv(65536)
                self.requests += 1
                for byte in self.answer:
                    if self._stop.wait(self.interval):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return  # the client gave up on us: exactly what is wanted

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._accept.join(5)
        for thread in self._threads:
            thread.join(5)


@pytest.fixture
def rekognition_drip() -> Iterator[DrippingServer]:
    server = DrippingServer(_response({"JobStatus": "IN_PROGRESS", "JobId": JOB_ID}, "application/x-amz-json-1.1"))
    yield server
    server.close()


def _config() -> Config:
    return Config(
        retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=READ_TIMEOUT, connect_timeout=READ_TIMEOUT
    )


def _tracker(server: DrippingServer, **kwargs: Any) -> PersonTracker:
    client = boto3.Session(region_name=REGION, **FAKE).client("rekognition", endpoint_url=server.url, config=_config())
    return PersonTracker(client, retry=RetryPolicy(max_attempts=3, initial_delay=0.01), **kwargs)


def test_the_server_drips_for_longer_than_any_bound(rekognition_drip: DrippingServer) -> None:
    assert len(rekognition_drip.answer) * rekognition_drip.interval > 60


def test_wait_is_bounded_by_its_timeout(rekognition_drip: DrippingServer) -> None:
    tracker = _tracker(rekognition_drip)
    started = time.monotonic()
    with pytest.raises(WaitTimeoutError) as info:
        tracker.wait(JOB_ID, timeout=3, poll_interval=0.1)
    assert time.monotonic() - started < 3 + READ_TIMEOUT + SLACK
    assert isinstance(info.value.__cause__, TransportError)
    assert rekognition_drip.requests >= 1


def test_one_get_is_bounded_by_the_request_timeout(rekognition_drip: DrippingServer) -> None:
    tracker = _tracker(rekognition_drip, request_timeout=2.0)
    started = time.monotonic()
    with pytest.raises(TransportError, match="no complete answer"):
        tracker.get_page(JOB_ID)
    assert time.monotonic() - started < 2.0 + SLACK


def test_iteration_is_bounded_by_the_request_timeout(rekognition_drip: DrippingServer) -> None:
    tracker = _tracker(rekognition_drip, request_timeout=2.0)
    started = time.monotonic()
    with pytest.raises(RekotrackError):
        list(tracker.persons(JOB_ID))
    assert time.monotonic() - started < 2.0 + SLACK


def test_a_queue_wait_is_bounded(rekognition_drip: DrippingServer) -> None:
    sqs_drip = DrippingServer(_response({"Messages": []}, "application/x-amz-json-1.0"))
    try:
        session = boto3.Session(region_name=REGION, **FAKE)
        queue = CompletionQueue(
            queue_url=f"{sqs_drip.url}/123456789012/AmazonRekognition-drip",
            queue_arn="arn:aws:sqs:us-east-1:123456789012:AmazonRekognition-drip",
            topic_arn="arn:aws:sns:us-east-1:123456789012:AmazonRekognition-drip",
            role_arn="arn:aws:iam::123456789012:role/rekognition",
            sns_client=session.client("sns", endpoint_url=sqs_drip.url, config=_config()),
            sqs_client=session.client("sqs", endpoint_url=sqs_drip.url, config=_config()),
            retry=RetryPolicy(max_attempts=3, initial_delay=0.01),
        )
        started = time.monotonic()
        with pytest.raises(RekotrackError):
            queue.wait_for(JOB_ID, 2)
        # a receive may long-poll for what is left of the wait, plus its grace
        assert time.monotonic() - started < 2 + 5 + READ_TIMEOUT + SLACK
    finally:
        sqs_drip.close()


def test_async_wait_is_bounded_by_its_timeout(rekognition_drip: DrippingServer) -> None:
    pytest.importorskip("aiobotocore")
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    from rekotrack import AsyncPersonTracker

    async def main() -> float:
        config = AioConfig(
            retries={"total_max_attempts": 1, "mode": "standard"},
            read_timeout=READ_TIMEOUT,
            connect_timeout=READ_TIMEOUT,
        )
        async with get_session().create_client(
            "rekognition", region_name=REGION, endpoint_url=rekognition_drip.url, config=config, **FAKE
        ) as client:
            tracker = AsyncPersonTracker(client, retry=RetryPolicy(max_attempts=3, initial_delay=0.01))
            started = time.monotonic()
            with pytest.raises(WaitTimeoutError):
                await tracker.wait(JOB_ID, timeout=3, poll_interval=0.1)
            return time.monotonic() - started

    assert asyncio.run(main()) < 3 + READ_TIMEOUT + SLACK
