"""Fault injection: every kind observed through botocore, counted, seeded, and stateless."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from rekotrack.testing import FAULT_KINDS, Faults, LocalRekognition, SyntheticScene

VIDEO: Any = {"S3Object": {"Bucket": "bucket", "Name": "video.mp4"}}
GET = "GetPersonTracking"
START = "StartPersonTracking"


@pytest.fixture
def job_id(server: LocalRekognition, client: Any) -> str:
    server.add_video("s3://bucket/video.mp4", SyntheticScene(seed=2, people=4, duration_ms=60_000))
    job: str = client.start_person_tracking(Video=VIDEO)["JobId"]
    return job


def _outcome(call: Any, **kwargs: Any) -> str:
    """What botocore made of one request: ``ok``, an error code, or an exception name."""
    try:
        response = call(**kwargs)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    except Exception as error:
        return type(error).__name__
    return "ok" if "JobStatus" in response or "JobId" in response else "empty"


def test_throttling_mixes_both_codes(server: LocalRekognition, client: Any, job_id: str) -> None:
    server.faults = Faults(throttle_rate=1.0, seed=3)
    seen = [_outcome(client.get_person_tracking, JobId=job_id) for _ in range(20)]
    assert set(seen) == {"ThrottlingException", "ProvisionedThroughputExceededException"}
    assert server.fault_count("ThrottlingException", GET) == seen.count("ThrottlingException")
    assert server.fault_count("ProvisionedThroughputExceededException") == seen.count(
        "ProvisionedThroughputExceededException"
    )
    assert server.request_count(GET) == 20


def test_throttling_status_code(server: LocalRekognition, client: Any, job_id: str) -> None:
    server.faults = Faults(throttle_rate=1.0)
    with pytest.raises(ClientError) as caught:
        client.get_person_tracking(JobId=job_id)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_server_error(server: LocalRekognition, client: Any, job_id: str) -> None:
    server.faults = Faults(server_error_rate=1.0)
    with pytest.raises(ClientError) as caught:
        client.get_person_tracking(JobId=job_id)
    assert caught.value.response["Error"]["Code"] == "InternalServerError"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert server.fault_count("InternalServerError") == 1


def test_dropped_connection(server: LocalRekognition, client: Any, job_id: str) -> None:
    server.faults = Faults(drop_rate=1.0)
    with pytest.raises(ConnectionClosedError):
        client.get_person_tracking(JobId=job_id)
    assert server.fault_count("drop", GET) == 1
    server.faults = None
    assert client.get_person_tracking(JobId=job_id)["JobStatus"] == "SUCCEEDED"  # the client reconnects


def test_slow_reply(server: LocalRekognition, job_id: str) -> None:
    server.faults = Faults(slow_rate=1.0, slow_seconds=0.4)
    impatient = server.client(config=Config(read_timeout=0.1, connect_timeout=1))
    with pytest.raises(ReadTimeoutError):
        impatient.get_person_tracking(JobId=job_id)
    patient = server.client()
    began = time.monotonic()
    assert patient.get_person_tracking(JobId=job_id)["JobStatus"] == "SUCCEEDED"
    assert time.monotonic() - began >= 0.4
    assert server.fault_count("slow") == 2


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        # botocore 1.44 parses a truncated or non-JSON 200 body as {} without raising...
        ("truncated", "empty"),
        ("not_json", "empty"),
        ("empty_object", "empty"),
        # ...and fails inside its parser on a JSON document that is not an object.
        ("null", "AttributeError"),
        ("array", "AttributeError"),
    ],
)
def test_corrupt_bodies(server: LocalRekognition, client: Any, job_id: str, kind: str, expected: str) -> None:
    server.faults = Faults(corrupt_rate=1.0, corrupt_kinds=(kind,))  # type: ignore[arg-type]
    assert _outcome(client.get_person_tracking, JobId=job_id) == expected
    assert server.fault_count(f"corrupt_{kind}", GET) == 1  # type: ignore[arg-type]


def test_truncated_body_announces_more_than_it_sends(server: LocalRekognition, job_id: str) -> None:
    import http.client

    server.faults = Faults(corrupt_rate=1.0, corrupt_kinds=("truncated",))
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    conn.request("POST", "/", f'{{"JobId": "{job_id}"}}', {"X-Amz-Target": "RekognitionService.GetPersonTracking"})
    response = conn.getresponse()
    assert response.status == 200
    announced = int(response.getheader("Content-Length") or 0)
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert 0 < len(caught.value.partial) < announced
    conn.close()


def test_corrupt_kinds_are_mixed(server: LocalRekognition, client: Any, job_id: str) -> None:
    server.faults = Faults(corrupt_rate=1.0, seed=5)
    for _ in range(40):
        _outcome(client.get_person_tracking, JobId=job_id)
    counts = server.fault_counts()[GET]
    assert {k for k in counts if k.startswith("corrupt_")} == {
        "corrupt_truncated",
        "corrupt_not_json",
        "corrupt_null",
        "corrupt_array",
        "corrupt_empty_object",
    }
    assert sum(counts.values()) == 40


def test_invalid_token_once(server: LocalRekognition, client: Any, job_id: str) -> None:
    server.faults = Faults(invalid_token_once=True)
    first = client.get_person_tracking(JobId=job_id, MaxResults=5)  # no token: not affected
    token = first["NextToken"]
    assert _outcome(client.get_person_tracking, JobId=job_id, NextToken=token) == "InvalidPaginationTokenException"
    second = client.get_person_tracking(JobId=job_id, NextToken=token, MaxResults=5)
    assert second["Persons"]
    assert server.fault_count("invalid_token") == 1


def test_operations_filter(server: LocalRekognition, client: Any) -> None:
    server.faults = Faults(throttle_rate=1.0, operations=(GET,))
    job_id = client.start_person_tracking(Video=VIDEO)["JobId"]  # Start is not faulted
    assert _outcome(client.get_person_tracking, JobId=job_id).endswith("Exception")
    assert server.fault_count(operation=START) == 0
    assert server.fault_count(operation=GET) == 1


def test_faulted_start_creates_no_job(server: LocalRekognition, client: Any) -> None:
    server.faults = Faults(throttle_rate=0.5, server_error_rate=0.25, drop_rate=0.25, seed=1)
    for _ in range(10):
        _outcome(client.start_person_tracking, Video=VIDEO, ClientRequestToken="same")
    assert server.fault_count(operation=START) == 10
    assert server.finish_jobs() == []


def test_faults_do_not_advance_state() -> None:
    faults = Faults(throttle_rate=0.3, server_error_rate=0.1, drop_rate=0.1, corrupt_rate=0.2, seed=9)
    with LocalRekognition(job_polls=4, faults=faults) as server:
        client = server.client()
        job_id = ""
        while not job_id:  # retry Start until it lands; the token makes it one job
            try:
                job_id = client.start_person_tracking(Video=VIDEO, ClientRequestToken="t")["JobId"]
            except Exception:
                continue
        statuses: list[str] = []
        while not statuses or statuses[-1] != "SUCCEEDED":
            outcome = None
            try:
                outcome = client.get_person_tracking(JobId=job_id, MaxResults=1).get("JobStatus")
            except Exception:
                continue
            if outcome is not None:
                statuses.append(outcome)
        assert statuses == ["IN_PROGRESS"] * 4 + ["SUCCEEDED"]
        assert server.fault_count() > 0
        assert server.request_count() == server.fault_count() + len(statuses) + 1


def test_retrying_client_reads_exact_ground_truth() -> None:
    scene = SyntheticScene(seed=8, people=5, duration_ms=90_000)
    faults = Faults(
        throttle_rate=0.15, server_error_rate=0.1, drop_rate=0.1, corrupt_rate=0.15, slow_rate=0.1, slow_seconds=0.01
    )
    with LocalRekognition(job_seconds=0, faults=faults) as server:
        server.add_video("s3://bucket/video.mp4", scene)
        client = server.client()

        def call(**kwargs: Any) -> Any:
            for _ in range(100):  # a minimal retry loop: anything but a well-formed page is retried
                try:
                    response: Any = client.get_person_tracking(**kwargs)
                except Exception:
                    continue
                if "JobStatus" in response:
                    return response
            raise AssertionError("never succeeded")

        server.faults = Faults()
        job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
        server.faults = faults
        got: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": 100}
        while True:
            page = call(**kwargs)
            got.extend(page["Persons"])
            if "NextToken" not in page:
                break
            kwargs["NextToken"] = page["NextToken"]
        assert got == list(scene.ground_truth())
        assert server.fault_count() > 5


def test_botocore_standard_retries_absorb_throttling() -> None:
    with LocalRekognition(job_seconds=0, faults=Faults(throttle_rate=0.5, seed=4, operations=(GET,))) as server:
        client = server.client(config=Config(retries={"total_max_attempts": 10, "mode": "standard"}))
        job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
        response = client.get_person_tracking(JobId=job_id, MaxResults=1)
        assert response["JobStatus"] == "SUCCEEDED"
        assert response["ResponseMetadata"]["RetryAttempts"] == server.fault_count(operation=GET)
        assert server.request_count(GET) == server.fault_count(operation=GET) + 1


def _sequence(seed: int) -> list[str]:
    faults = Faults(throttle_rate=0.2, server_error_rate=0.2, drop_rate=0.1, corrupt_rate=0.2, seed=seed)
    with LocalRekognition(job_seconds=0, faults=faults) as server:
        client = server.client()
        return [_outcome(client.get_person_tracking, JobId="x" * 10) for _ in range(40)]


def test_faults_are_deterministic_given_the_seed() -> None:
    first, again, other = _sequence(1), _sequence(1), _sequence(2)
    assert first == again
    assert first != other
    assert "ResourceNotFoundException" in first  # the unfaulted requests reach the job store


def test_reassigning_faults_reseeds_and_keeps_counts(server: LocalRekognition, client: Any, job_id: str) -> None:
    server.faults = Faults(throttle_rate=0.5, seed=7)
    first = [_outcome(client.get_person_tracking, JobId=job_id) for _ in range(10)]
    server.faults = Faults(throttle_rate=0.5, seed=7)
    again = [_outcome(client.get_person_tracking, JobId=job_id) for _ in range(10)]
    assert first == again
    assert server.fault_count() == 2 * sum(o != "ok" for o in first)


def test_fault_counts_shape(server: LocalRekognition, client: Any, job_id: str) -> None:
    server.faults = Faults(server_error_rate=1.0)
    _outcome(client.get_person_tracking, JobId=job_id)
    _outcome(client.start_person_tracking, Video=VIDEO)
    assert server.fault_counts() == {GET: {"InternalServerError": 1}, START: {"InternalServerError": 1}}
    assert set(FAULT_KINDS) >= {"InternalServerError", "drop", "slow", "invalid_token", "injected"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"throttle_rate": 1.5},
        {"throttle_rate": 0.6, "drop_rate": 0.6},
        {"slow_seconds": -1},
        {"corrupt_kinds": ()},
        {"corrupt_kinds": ("gzip",)},
    ],
)
def test_faults_validation(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        Faults(**kwargs)


def test_operations_may_be_a_single_name() -> None:
    assert Faults(operations=GET).operations == (GET,)  # type: ignore[arg-type]
