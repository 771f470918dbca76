"""Fixtures for the rekotrack.testing tests: a local server and boto3 clients bound to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rekotrack.pytest_plugin import local_rekognition  # noqa: F401 - the plugin's fixture, under test
from rekotrack.testing import LocalRekognition

VIDEO: dict[str, Any] = {"S3Object": {"Bucket": "bucket", "Name": "video.mp4"}}
CHANNEL: dict[str, str] = {
    "SNSTopicArn": "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionDone",
    "RoleArn": "arn:aws:iam::123456789012:role/RekognitionSNS",
}


@pytest.fixture
def server() -> Iterator[LocalRekognition]:
    """A server whose jobs end at once (``job_seconds=0``)."""
    with LocalRekognition(job_seconds=0.0) as srv:
        yield srv


@pytest.fixture
def client(server: LocalRekognition) -> Any:
    return server.client()


@pytest.fixture
def raw_client(server: LocalRekognition) -> Any:
    """A client with botocore's own parameter validation off, to reach the server's."""
    from botocore.config import Config

    return server.client(config=Config(parameter_validation=False))


def _read_all(client: Any, job_id: str, sort_by: str = "TIMESTAMP", max_results: int = 1000) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"JobId": job_id, "SortBy": sort_by, "MaxResults": max_results}
    while True:
        page = client.get_person_tracking(**kwargs)
        assert page["JobStatus"] == "SUCCEEDED"
        out.extend(page["Persons"])
        if "NextToken" not in page:
            return out
        kwargs["NextToken"] = page["NextToken"]


@pytest.fixture
def read_all() -> Callable[..., list[dict[str, Any]]]:
    """``read_all(client, job_id, sort_by="TIMESTAMP", max_results=1000)``: every detection, through boto3."""
    return _read_all


@pytest.fixture
def start(client: Any) -> Callable[..., str]:
    """Start a job on ``VIDEO`` (or ``Video=``) and return its JobId."""

    def _start(**kwargs: Any) -> str:
        kwargs.setdefault("Video", VIDEO)
        job_id: str = client.start_person_tracking(**kwargs)["JobId"]
        return job_id

    return _start
