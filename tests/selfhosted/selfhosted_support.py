"""Helpers shared by the self-hosted tests."""

from __future__ import annotations

import time
from typing import Any


def wait_done(client: Any, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        page: dict[str, Any] = client.get_person_tracking(JobId=job_id, MaxResults=1)
        if page["JobStatus"] != "IN_PROGRESS":
            return page
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still IN_PROGRESS after {timeout} s")
        time.sleep(0.1)


def read_all(client: Any, job_id: str, sort_by: str = "TIMESTAMP", max_results: int = 1000) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"JobId": job_id, "SortBy": sort_by, "MaxResults": max_results}
    while True:
        page = client.get_person_tracking(**kwargs)
        assert page["JobStatus"] == "SUCCEEDED"
        out.extend(page["Persons"])
        if "NextToken" not in page:
            return out
        kwargs["NextToken"] = page["NextToken"]


def start(client: Any, name: str, bucket: str = "bucket", **kwargs: Any) -> str:
    job_id: str = client.start_person_tracking(Video={"S3Object": {"Bucket": bucket, "Name": name}}, **kwargs)["JobId"]
    return job_id
