"""Serving that behaves, on both HTTP fronts (stdlib threads and uvicorn): issue 20 points 1 and 3.

- Point 1: a kept-alive request is not held up by Nagle's algorithm waiting for the client's
  delayed ACK (about 40 ms on Linux). The front must set ``TCP_NODELAY`` on every accepted
  connection; asyncio does it only for sockets created with ``proto=IPPROTO_TCP``, and the
  uvicorn front's listening socket had ``proto`` 0. A protocol property, not a benchmark: the
  median of sequential small requests on one connection must be far below the stall.
- Point 3: every error a front produces, the HTTP parser's own included (a malformed
  ``Content-Length``, a malformed chunk size, a request line that is not HTTP), is answered in
  the service's JSON error shape with ``__type`` and ``x-amzn-RequestId``; a 20 MB body refused
  with 413 is answered, not reset, so the client reads the 413.

Every socket read has a timeout, so a server that hangs fails the test instead.
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest

from rekotrack.server import FrontName
from rekotrack.testing import LocalRekognition

GET = "RekognitionService.GetPersonTracking"
VIDEO: dict[str, Any] = {"S3Object": {"Bucket": "bucket", "Name": "video.mp4"}}
FRONTS: list[FrontName] = ["stdlib", "uvicorn"]
DELAYED_ACK_STALL_MS = 40.0  # Linux's minimum delayed-ACK timeout: what a response held by Nagle waits for


@pytest.fixture(params=FRONTS)
def front(request: pytest.FixtureRequest) -> FrontName:
    name: FrontName = request.param
    if name == "uvicorn":
        pytest.importorskip("uvicorn")
    return name


@pytest.fixture
def server(front: FrontName) -> Iterator[LocalRekognition]:
    with LocalRekognition(job_seconds=0.0, front=front) as srv:
        yield srv


def _read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (the socket's timeout bounds every read); a reset raises."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def _parse(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, f"no complete response head in {data[:300]!r}"
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body[: int(headers.get("content-length", len(body)))]


def _exchange(server: LocalRekognition, raw: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Send ``raw`` on a fresh connection, read until the server closes; the status, headers and JSON body."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(raw)
        status, headers, body = _parse(_read_all(sock))
    return status, headers, json.loads(body)


def _assert_service_error(headers: dict[str, str], document: dict[str, Any], code: str) -> None:
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert document["__type"] == document["Code"] == code
    assert document["Message"] == document["message"]
    assert document["Message"]
    assert headers["x-amzn-requestid"] == document["Logref"]
    assert headers.get("connection") == "close"


# ---------------------------------------------------------------------- point 1: TCP_NODELAY
def test_kept_alive_requests_do_not_wait_for_the_delayed_ack(server: LocalRekognition) -> None:
    job_id = server.client().start_person_tracking(Video=VIDEO)["JobId"]
    body = json.dumps({"JobId": job_id, "MaxResults": 1}).encode()
    headers = {"X-Amz-Target": GET, "Content-Type": "application/x-amz-json-1.1"}
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("POST", "/", body=body, headers=headers)  # connects; the first request is not timed
        assert conn.getresponse().read()
        sock = conn.sock
        elapsed: list[float] = []
        for _ in range(30):
            began = time.perf_counter()
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            page = json.loads(response.read())
            elapsed.append((time.perf_counter() - began) * 1000)
            assert response.status == 200
            assert page["JobStatus"] == "SUCCEEDED"
        assert conn.sock is sock  # one kept-alive connection throughout
    finally:
        conn.close()
    median = statistics.median(elapsed)
    assert median < DELAYED_ACK_STALL_MS / 2, f"median {median:.1f} ms per kept-alive request: {elapsed}"


# ---------------------------------------------------------------------- point 3: every error in the service's shape
def test_malformed_content_length_is_a_service_error(server: LocalRekognition) -> None:
    status, headers, document = _exchange(
        server, f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {GET}\r\nContent-Length: abc\r\n\r\n{{}}".encode())
    assert status == 400
    _assert_service_error(headers, document, "SerializationException")
    assert server.request_count() == 0


def test_malformed_chunk_size_is_a_service_error(server: LocalRekognition) -> None:
    status, headers, document = _exchange(
        server, f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {GET}\r\nTransfer-Encoding: chunked\r\n\r\n"
                "zz\r\n{}\r\n0\r\n\r\n".encode())
    assert status == 400
    _assert_service_error(headers, document, "SerializationException")
    assert server.request_count() == 0


def test_a_request_line_that_is_not_http_is_a_service_error(server: LocalRekognition) -> None:
    status, headers, document = _exchange(server, b"GARBAGE\r\n\r\n")
    assert status == 400
    _assert_service_error(headers, document, "SerializationException")


def test_a_20_mb_body_gets_a_413_the_client_can_read(server: LocalRekognition) -> None:
    """The whole body is sent before the response is read (what a simple client does): the front must
    read and discard it (or answer and drain) rather than close with unread data, which resets."""
    body = b"x" * (20 * 1024 * 1024)
    head = f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {GET}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    status, headers, document = _exchange(server, head + body)
    assert status == 413
    _assert_service_error(headers, document, "RequestEntityTooLargeException")
    assert server.request_count() == 0


def test_a_20_mb_body_through_http_client_reads_the_413(server: LocalRekognition) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("POST", "/", body=b"{" + b" " * (20 * 1024 * 1024) + b"}",
                     headers={"X-Amz-Target": GET, "Content-Type": "application/x-amz-json-1.1"})
        response = conn.getresponse()
        document = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 413
    assert document["__type"] == "RequestEntityTooLargeException"
    assert response.getheader("x-amzn-RequestId") == document["Logref"]


def test_a_failing_handler_is_an_internal_server_error(server: LocalRekognition,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(request: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(server.core, "handle", broken)
    body = b'{"JobId": "x"}'
    status, headers, document = _exchange(
        server, f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {GET}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode() + body)
    assert status == 500
    assert document["__type"] == "InternalServerError"
    assert headers["x-amzn-requestid"] == document["Logref"]
