"""The wire protocol: AWS JSON 1.1 as botocore sends it, and AWS-shaped errors."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rekotrack.testing import ERROR_STATUS, LocalRekognition

VIDEO: Any = {"S3Object": {"Bucket": "bucket", "Name": "video.mp4"}}

START_ERRORS = [
    "AccessDeniedException",
    "IdempotentParameterMismatchException",
    "InvalidParameterException",
    "InvalidS3ObjectException",
    "InternalServerError",
    "VideoTooLargeException",
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "ThrottlingException",
]
GET_ERRORS = [
    "AccessDeniedException",
    "InternalServerError",
    "InvalidParameterException",
    "InvalidPaginationTokenException",
    "ProvisionedThroughputExceededException",
    "ResourceNotFoundException",
    "ThrottlingException",
]


def _post(server: LocalRekognition, target: str | None, body: bytes) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target is not None:
        headers["X-Amz-Target"] = target
    conn.request("POST", "/", body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def test_service_model_error_codes_are_all_served() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("rekognition")
    for name in ("StartPersonTracking", "GetPersonTracking"):
        for shape in model.operation_model(name).error_shapes:
            assert shape.name in ERROR_STATUS


@pytest.mark.parametrize("code", START_ERRORS)
def test_every_start_error_parses_in_botocore(server: LocalRekognition, client: Any, code: str) -> None:
    server.inject_error(code, operation="StartPersonTracking", message=f"scripted {code}")
    with pytest.raises(ClientError) as caught:
        client.start_person_tracking(Video=VIDEO)
    error = caught.value.response["Error"]
    assert error["Code"] == code
    assert error["Message"] == f"scripted {code}"
    status = caught.value.response["ResponseMetadata"]["HTTPStatusCode"]
    assert status == (500 if code == "InternalServerError" else 400)
    assert caught.value.response["ResponseMetadata"]["RequestId"]
    # The modeled exception class matches too.
    assert isinstance(caught.value, getattr(client.exceptions, code))


@pytest.mark.parametrize("code", GET_ERRORS)
def test_every_get_error_parses_in_botocore(server: LocalRekognition, client: Any, code: str) -> None:
    server.inject_error(code, operation="GetPersonTracking")
    with pytest.raises(ClientError) as caught:
        client.get_person_tracking(JobId="abc")
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["Error"]["Message"]
    assert isinstance(caught.value, getattr(client.exceptions, code))
    assert server.fault_count("injected", "GetPersonTracking") == 1


def test_success_response_headers_and_body(server: LocalRekognition, start: Callable[..., str]) -> None:
    job_id = start()
    status, headers, body = _post(
        server, "RekognitionService.GetPersonTracking", json.dumps({"JobId": job_id, "MaxResults": 2}).encode()
    )
    assert status == 200
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert headers["x-amzn-requestid"]
    assert int(headers["content-length"]) == len(body)
    page = json.loads(body)
    assert page["JobStatus"] == "SUCCEEDED"
    assert len(page["Persons"]) == 2


def test_error_body_shape(server: LocalRekognition) -> None:
    status, headers, body = _post(server, "RekognitionService.GetPersonTracking", b'{"JobId": "missing"}')
    assert status == 400
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert headers["x-amzn-requestid"]
    error = json.loads(body)
    # What the service sends (issue 11 point 7): the AWS SDK for JavaScript reads Code, Message and Logref.
    assert error == {
        "__type": "ResourceNotFoundException",
        "Code": "ResourceNotFoundException",
        "Message": error["message"],
        "message": error["message"],
        "Logref": headers["x-amzn-requestid"],
    }
    assert "missing" in error["message"]


def test_unknown_operation(server: LocalRekognition) -> None:
    status, _, body = _post(server, "RekognitionService.DetectFaces", b"{}")
    assert status == 400
    assert json.loads(body)["__type"] == "UnknownOperationException"
    status, _, body = _post(server, None, b"{}")
    assert (status, json.loads(body)["__type"]) == (400, "UnknownOperationException")
    assert server.request_count("DetectFaces") == 1


def test_unknown_operation_through_botocore(server: LocalRekognition) -> None:
    # A real client calling an operation this server does not implement.
    with pytest.raises(ClientError) as caught:
        server.client().list_collections()
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"


def test_malformed_request_body(server: LocalRekognition) -> None:
    for body in (b"{not json", b"[1, 2]"):
        status, _, data = _post(server, "RekognitionService.GetPersonTracking", body)
        assert (status, json.loads(data)["__type"]) == (400, "SerializationException")


def test_get_is_not_served(server: LocalRekognition) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 400
    assert json.loads(response.read())["__type"] == "UnknownOperationException"
    conn.close()


def test_keep_alive_connection_is_reused(server: LocalRekognition, start: Callable[..., str]) -> None:
    job_id = start()
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    for _ in range(3):
        conn.request(
            "POST",
            "/",
            body=json.dumps({"JobId": job_id, "MaxResults": 1}),
            headers={"X-Amz-Target": "RekognitionService.GetPersonTracking"},
        )
        response = conn.getresponse()
        assert response.status == 200
        response.read()
    conn.close()


def test_request_counts(server: LocalRekognition, client: Any, start: Callable[..., str]) -> None:
    job_id = start()
    for _ in range(3):
        client.get_person_tracking(JobId=job_id, MaxResults=1)
    assert server.request_count("StartPersonTracking") == 1
    assert server.request_count("GetPersonTracking") == 3
    assert server.request_count() == 4
    server.reset_counts()
    assert server.request_count() == 0


def test_inject_error_rejects_unknown_codes(server: LocalRekognition) -> None:
    with pytest.raises(ValueError, match="unknown error code"):
        server.inject_error("NoSuchThing")
    with pytest.raises(ValueError, match="unknown operation"):
        server.inject_error("ThrottlingException", operation="DetectFaces")


def test_client_defaults(server: LocalRekognition) -> None:
    client = server.client()
    assert client.meta.endpoint_url == server.url
    assert client.meta.region_name == "us-east-1"
    assert client.meta.config.retries["total_max_attempts"] == 1  # type: ignore[attr-defined]
    other = server.client(region_name="eu-west-1")
    assert other.meta.region_name == "eu-west-1"


def test_url_requires_a_started_server() -> None:
    server = LocalRekognition()
    with pytest.raises(RuntimeError):
        _ = server.url
    server.start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.port > 0
        assert server.running
    finally:
        server.stop()
    assert not server.running
    server.stop()  # idempotent


def test_plugin_fixture(local_rekognition: LocalRekognition) -> None:
    client = local_rekognition.client()
    job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
    assert client.get_person_tracking(JobId=job_id)["JobStatus"] == "SUCCEEDED"
