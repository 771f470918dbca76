"""The wire as AWS speaks it, and bounded input, on both HTTP fronts (stdlib threads and uvicorn).

Issue 11 points 7-9: error bodies with ``__type``/``Code``/``Message``/``message``/``Logref``;
a JSON ``null`` member is absent; a chunked body is read; a body over the limit is refused
with 413 before it is read; idle and slow connections are closed; a burst of connects is
answered. Every socket read here has a timeout, so a server that would hang fails instead.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rekotrack.server import MAX_BODY_BYTES, FrontName
from rekotrack.testing import LocalRekognition

GET = "RekognitionService.GetPersonTracking"
START = "RekognitionService.StartPersonTracking"
VIDEO: dict[str, Any] = {"S3Object": {"Bucket": "bucket", "Name": "video.mp4"}}
FRONTS: list[FrontName] = ["stdlib", "uvicorn"]


@pytest.fixture(params=FRONTS)
def front(request: pytest.FixtureRequest) -> FrontName:
    name: FrontName = request.param
    if name == "uvicorn":
        pytest.importorskip("uvicorn")
    return name


@pytest.fixture
def server(front: FrontName) -> Iterator[LocalRekognition]:
    with LocalRekognition(job_seconds=0.0, front=front, idle_timeout=1.0, read_timeout=1.0,
                          max_body_bytes=4096) as srv:
        yield srv


def _connect(server: LocalRekognition, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=timeout)


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response from ``sock`` (the socket's timeout bounds every read)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:length]


def _closed(sock: socket.socket) -> bool:
    """True when the server closed the connection (a read returns EOF or a reset) within the socket timeout."""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _post(server: LocalRekognition, target: str, body: bytes | Any, **headers: str) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    conn.request("POST", "/", body=body, headers={"X-Amz-Target": target,
                                                   "Content-Type": "application/x-amz-json-1.1", **headers})
    response = conn.getresponse()
    document = json.loads(response.read())
    conn.close()
    return response.status, document


def _job(server: LocalRekognition) -> str:
    job_id: str = server.client().start_person_tracking(Video=VIDEO)["JobId"]
    return job_id


# ---------------------------------------------------------------------- point 7: error bodies
def test_error_body_has_the_modelled_members(server: LocalRekognition) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    conn.request("POST", "/", body=b'{"JobId": "nope"}', headers={"X-Amz-Target": GET})
    response = conn.getresponse()
    error = json.loads(response.read())
    request_id = response.getheader("x-amzn-RequestId")
    conn.close()
    assert response.status == 400
    assert error["__type"] == error["Code"] == "ResourceNotFoundException"
    assert error["Message"] == error["message"]
    assert "nope" in error["Message"]
    assert error["Logref"] == request_id


def test_botocore_still_reads_code_and_message(server: LocalRekognition) -> None:
    with pytest.raises(ClientError) as caught:
        server.client().get_person_tracking(JobId="nope")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "nope" in caught.value.response["Error"]["Message"]


# ---------------------------------------------------------------------- point 8: null members, chunked bodies
def test_null_members_are_absent(server: LocalRekognition) -> None:
    status, started = _post(server, START, json.dumps(
        {"Video": VIDEO, "ClientRequestToken": None, "JobTag": None, "NotificationChannel": None}).encode())
    assert status == 200, started
    status, page = _post(server, GET, json.dumps(
        {"JobId": started["JobId"], "MaxResults": None, "NextToken": None, "SortBy": None}).encode())
    assert status == 200, page
    assert page["JobStatus"] == "SUCCEEDED"
    assert page["Persons"] == list(server.scene_for("s3://bucket/video.mp4").ground_truth())[:1000]


def test_null_required_member_is_missing(server: LocalRekognition) -> None:
    status, error = _post(server, GET, b'{"JobId": null}')
    assert (status, error["__type"]) == (400, "InvalidParameterException")
    assert "JobId" in error["message"]
    assert "must not be null" in error["message"]


def test_chunked_body_is_read(server: LocalRekognition) -> None:
    job_id = _job(server)
    body = json.dumps({"JobId": job_id, "MaxResults": 3, "SortBy": "INDEX"}).encode()
    parts = iter([body[:5], body[5:17], body[17:]])  # an iterable body: http.client sends it chunked
    status, page = _post(server, GET, parts)
    assert status == 200, page
    assert page["Persons"] == list(server.scene_for("s3://bucket/video.mp4").ground_truth("INDEX"))[:3]


# ---------------------------------------------------------------------- point 9: bounded input
def test_content_length_over_the_limit_is_refused_before_reading(server: LocalRekognition) -> None:
    with _connect(server) as sock:
        # announces 1 GB and sends none of it: the answer must come without reading (or allocating) it
        sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {GET}\r\n"
                     f"Content-Length: {10**9}\r\n\r\n".encode())
        status, headers, body = _read_response(sock)
    assert status == 413
    assert json.loads(body)["__type"] == "RequestEntityTooLargeException"
    assert headers.get("connection") == "close"
    assert server.request_count() == 0  # it never reached an operation


def test_expect_continue_over_the_limit_is_refused_without_100(server: LocalRekognition) -> None:
    with _connect(server) as sock:
        sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {GET}\r\nExpect: 100-continue\r\n"
                     f"Content-Length: {10**9}\r\n\r\n".encode())
        status, _, body = _read_response(sock)
    assert status == 413  # not "100 Continue": the client is never asked for the body
    assert json.loads(body)["__type"] == "RequestEntityTooLargeException"


def test_default_limit_is_far_above_the_largest_valid_request() -> None:
    largest = {"Video": {"S3Object": {"Bucket": "b" * 255, "Name": "n" * 1024, "Version": "v" * 1024}},
               "ClientRequestToken": "t" * 64, "JobTag": "j" * 1024,
               "NotificationChannel": {"SNSTopicArn": "arn:aws:sns:us-east-1:123456789012:" + "t" * 256,
                                       "RoleArn": "arn:aws:iam::123456789012:role/" + "r" * 64}}
    assert 100 * len(json.dumps(largest)) <= MAX_BODY_BYTES


def test_chunked_body_over_the_limit_is_refused(server: LocalRekognition) -> None:
    chunk = b"x" * 1000
    with _connect(server) as sock:
        sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {GET}\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        for _ in range(5):  # 5000 bytes > the fixture's 4096
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, _, body = _read_response(sock)
    assert status == 413
    assert json.loads(body)["__type"] == "RequestEntityTooLargeException"


def test_malformed_content_length_is_refused(server: LocalRekognition) -> None:
    with _connect(server) as sock:
        sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {GET}\r\nContent-Length: -5\r\n\r\n".encode())
        status, _, _ = _read_response(sock)
    assert status == 400


def test_idle_connection_is_closed(server: LocalRekognition) -> None:
    with _connect(server) as sock:  # connects and says nothing
        assert _closed(sock)


def test_idle_keep_alive_connection_is_closed_after_a_request(server: LocalRekognition) -> None:
    with _connect(server) as sock:
        sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {GET}\r\nContent-Length: 2\r\n\r\n{{}}".encode())
        status, _, _ = _read_response(sock)
        assert status == 400  # JobId missing: served, and the connection is kept alive ...
        assert _closed(sock)  # ... until it has been idle too long


def test_dripping_request_head_is_cut_off(server: LocalRekognition) -> None:
    head = f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {GET}\r\nX-Padding: {'p' * 400}\r\n".encode()
    sent = 0
    with _connect(server) as sock:
        sock.settimeout(0.05)
        deadline = time.monotonic() + 30  # a byte every 50 ms: the whole head would take over 20 s
        cut_off = False
        while sent < len(head) and time.monotonic() < deadline:
            try:
                sock.send(head[sent : sent + 1])
                sent += 1
                if sock.recv(65536) == b"":
                    cut_off = True
                    break
            except TimeoutError:
                continue
            except OSError:  # reset or broken pipe: cut off too
                cut_off = True
                break
            else:  # the server answered something (400) and will close
                cut_off = True
                break
    assert cut_off
    assert sent < len(head)


def test_slow_body_is_answered_408(server: LocalRekognition) -> None:
    with _connect(server) as sock:
        sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {GET}\r\nContent-Length: 100\r\n\r\n{{".encode())
        status, headers, body = _read_response(sock)  # 1 of 100 bytes sent, then nothing
    assert status == 408
    assert json.loads(body)["__type"] == "RequestTimeoutException"
    assert headers.get("connection") == "close"


def test_a_burst_of_connects_is_answered(front: FrontName) -> None:
    with LocalRekognition(job_seconds=0.0, front=front) as server:
        job_id = _job(server)
        body = json.dumps({"JobId": job_id, "MaxResults": 1}).encode()
        barrier = threading.Barrier(20)
        errors: list[BaseException] = []
        answered: list[int] = []

        def client() -> None:
            try:
                barrier.wait(10)
                for _ in range(10):  # a new connection each time: 200 connects, 20 at once
                    conn = http.client.HTTPConnection(server.host, server.port, timeout=20)
                    conn.request("POST", "/", body=body, headers={"X-Amz-Target": GET, "Connection": "close"})
                    response = conn.getresponse()
                    response.read()
                    answered.append(response.status)
                    conn.close()
            except BaseException as exc:  # collected: the assertion below names them
                errors.append(exc)

        threads = [threading.Thread(target=client) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert answered == [200] * 200
