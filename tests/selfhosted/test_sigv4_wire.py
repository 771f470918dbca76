"""SigV4 on the self-hosted server (issue 11 point 10) and its limits on both fronts (point 9).

The credential scope must name the server's region, the service ``rekognition`` and the date of
``X-Amz-Date``; ``X-Amz-Target`` and ``Content-Type`` must be signed; a replayed signed Start
without a ClientRequestToken makes one job. Requests are signed here by hand (the same
canonical request as botocore's) so that each rule can be broken alone with a valid signature.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from selfhosted_support import start, wait_done

from rekotrack.selfhosted.service._service import VideoRekognition
from rekotrack.selfhosted.vision._settings import AnalyzerSettings
from rekotrack.server import FrontName

SYNTHETIC = AnalyzerSettings(analyzer="synthetic")
KEYS = {"AKIDALICE": "alice-secret"}
START = "RekognitionService.StartPersonTracking"
GET = "RekognitionService.GetPersonTracking"
FRONTS: list[FrontName] = ["stdlib", "uvicorn"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "videos" / "bucket"
    folder.mkdir(parents=True)
    (folder / "a.mp4").write_bytes(b"not decoded by the synthetic analyzer")
    return tmp_path / "videos"


@pytest.fixture(params=FRONTS)
def server(request: pytest.FixtureRequest, root: Path) -> Iterator[VideoRekognition]:
    front: FrontName = request.param
    if front == "uvicorn":
        pytest.importorskip("uvicorn")
    with VideoRekognition(video_root=root, settings=SYNTHETIC, credentials=KEYS, front=front) as srv:
        yield srv


def _sign(
    server: VideoRekognition,
    target: str,
    body: bytes,
    *,
    region: str = "us-east-1",
    scope_date: str | None = None,
    signed: tuple[str, ...] = ("content-type", "host", "x-amz-date", "x-amz-target"),
    key: str = "AKIDALICE",
    secret: str = "alice-secret",
) -> dict[str, str]:
    amz_date = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    date = scope_date if scope_date is not None else amz_date[:8]
    headers = {"host": f"{server.host}:{server.port}", "x-amz-date": amz_date, "x-amz-target": target,
               "content-type": "application/x-amz-json-1.1"}
    canonical = "\n".join(["POST", "/", "", "".join(f"{h}:{headers[h]}\n" for h in signed), ";".join(signed),
                           hashlib.sha256(body).hexdigest()])
    scope = f"{date}/{region}/rekognition/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (date, region, "rekognition", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={';'.join(signed)}, "
                                f"Signature={signature}")
    return headers


def _send(server: VideoRekognition, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    conn.request("POST", "/", body=body, headers=headers)
    response = conn.getresponse()
    document = json.loads(response.read())
    conn.close()
    return response.status, document


def _start_body() -> bytes:
    return json.dumps({"Video": {"S3Object": {"Bucket": "bucket", "Name": "a.mp4"}}}).encode()


def test_hand_signed_request_is_served(server: VideoRekognition) -> None:
    body = _start_body()
    status, answer = _send(server, _sign(server, START, body), body)
    assert status == 200, answer
    assert "JobId" in answer


def test_scope_of_another_region_is_refused(server: VideoRekognition) -> None:
    body = _start_body()
    status, answer = _send(server, _sign(server, START, body, region="eu-west-1"), body)
    assert (status, answer["__type"]) == (400, "InvalidSignatureException")
    assert "region" in answer["message"]
    # the same through boto3: a client configured for another region is refused
    other = boto3.client("rekognition", endpoint_url=server.url, region_name="eu-west-1",
                         aws_access_key_id="AKIDALICE", aws_secret_access_key="alice-secret",
                         config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as refused:
        start(other, "a.mp4")
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert server.request_count() == 0


def test_scope_date_must_be_the_date_of_x_amz_date(server: VideoRekognition) -> None:
    body = _start_body()
    today = datetime.now(timezone.utc).strftime("%Y%m%d")
    for forged in (today[:7], "20200101"):  # a prefix of the date, and another date: both validly signed
        status, answer = _send(server, _sign(server, START, body, scope_date=forged), body)
        assert (status, answer["__type"]) == (400, "InvalidSignatureException"), forged
    assert server.request_count() == 0


@pytest.mark.parametrize("left_out", ["x-amz-target", "content-type"])
def test_target_and_content_type_must_be_signed(server: VideoRekognition, left_out: str) -> None:
    body = _start_body()
    signed = tuple(h for h in ("content-type", "host", "x-amz-date", "x-amz-target") if h != left_out)
    status, answer = _send(server, _sign(server, START, body, signed=signed), body)
    assert (status, answer["__type"]) == (400, "IncompleteSignatureException")
    assert left_out in answer["message"]
    assert server.request_count() == 0


def test_replayed_signed_start_without_token_makes_one_job(server: VideoRekognition) -> None:
    body = _start_body()
    headers = _sign(server, START, body)
    answers = [_send(server, headers, body) for _ in range(3)]
    assert [status for status, _ in answers] == [200, 200, 200]
    assert len({answer["JobId"] for _, answer in answers}) == 1
    # a freshly signed request is a new Start: another job
    time.sleep(1.1)  # X-Amz-Date has one-second resolution: a new second, a new signature
    status, again = _send(server, _sign(server, START, body), body)
    assert status == 200
    assert again["JobId"] != answers[0][1]["JobId"]


def test_auth_error_body_has_the_modelled_members(server: VideoRekognition) -> None:
    status, answer = _send(server, {"X-Amz-Target": GET, "Content-Type": "application/x-amz-json-1.1"}, b"{}")
    assert status == 403
    assert answer["__type"] == answer["Code"] == "MissingAuthenticationTokenException"
    assert answer["Message"] == answer["message"]
    assert answer["Logref"]


def test_body_over_the_limit_is_refused_before_the_signature_is_checked(server: VideoRekognition) -> None:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {START}\r\n"
                     f"Content-Length: {10**9}\r\n\r\n".encode())  # unsigned, and the body never comes
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
    assert data.startswith(b"HTTP/1.1 413")


def test_signed_boto3_client_still_works_end_to_end(server: VideoRekognition) -> None:
    alice = boto3.client("rekognition", endpoint_url=server.url, region_name="us-east-1",
                         aws_access_key_id="AKIDALICE", aws_secret_access_key="alice-secret",
                         config=Config(retries={"total_max_attempts": 1}))
    job_id = start(alice, "a.mp4")
    assert wait_done(alice, job_id)["JobStatus"] == "SUCCEEDED"
    assert alice.get_person_tracking(JobId=job_id, MaxResults=5)["Persons"]


@pytest.mark.parametrize("front", FRONTS)
def test_idle_and_slow_connections_are_closed_on_the_video_server(root: Path, front: FrontName) -> None:
    if front == "uvicorn":
        pytest.importorskip("uvicorn")
    with VideoRekognition(video_root=root, settings=SYNTHETIC, credentials=KEYS, front=front,
                          idle_timeout=1.0, read_timeout=1.0) as server:
        with socket.create_connection((server.host, server.port), timeout=10) as idle:
            assert idle.recv(1024) == b""  # said nothing: closed
        with socket.create_connection((server.host, server.port), timeout=10) as slow:
            slow.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {START}\r\n"
                         "Content-Length: 50\r\n\r\n{".encode())
            data = b""
            while b"\r\n\r\n" not in data:  # 1 of 50 bytes, then nothing: 408, before any signature check
                chunk = slow.recv(65536)
                assert chunk, data
                data += chunk
        assert data.startswith(b"HTTP/1.1 408")
        assert server.request_count() == 0
