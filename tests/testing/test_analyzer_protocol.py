"""A third analyzer plugs into the server core through the public ``rekotrack.server`` API alone.

It reports its jobs' ends itself (``core.complete``), the way a worker pool does, and the core
does the rest: validation, idempotency, tokens, lifecycle hooks, error bodies.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rekotrack.server import ApiError, Ended, Job, RekognitionCore, RekognitionServer, ServedOperation

VIDEO: dict[str, Any] = {"S3Object": {"Bucket": "bucket", "Name": "clip.mp4"}}


class ListOutcome:
    """A finished job whose detections are a list (TIMESTAMP order; INDEX sorted by person)."""

    final_status = "SUCCEEDED"
    notification_status = "SUCCEEDED"
    status_message = None

    def __init__(self, persons: list[dict[str, Any]]) -> None:
        self.persons = persons

    @property
    def detection_count(self) -> int:
        return len(self.persons)

    def video_metadata(self) -> dict[str, Any]:
        return {"Codec": "h264", "DurationMillis": 1000, "Format": "mp4", "FrameRate": 10.0}

    def page(self, sort_by: str, start: int, count: int) -> list[dict[str, Any]]:
        rows = self.persons if sort_by == "TIMESTAMP" else sorted(self.persons, key=lambda p: p["Person"]["Index"])
        return rows[start : start + count]


class PushAnalyzer:
    """Accepts only ``bucket``; jobs end when the test calls :meth:`finish`."""

    def __init__(self) -> None:
        self.core: RekognitionCore | None = None
        self.started: list[str] = []
        self.ended: list[tuple[str, str]] = []
        self.expired: list[str] = []

    def accept_video(self, operation: ServedOperation, uri: str, params: Mapping[str, Any]) -> object:
        if not uri.startswith("s3://bucket/"):
            raise ApiError("InvalidS3ObjectException")
        return {"uri": uri}

    def start_job(self, job: Job) -> None:
        self.started.append(job.job_id)

    def job_progress(self, job: Job, now: float, polled: bool) -> Ended | None:
        return None  # this analyzer reports the end itself

    def job_ended(self, job: Job, ended: float) -> None:
        self.ended.append((job.job_id, job.status))

    def job_expired(self, job: Job) -> None:
        self.expired.append(job.job_id)

    def finish(self, job_id: str) -> bool:
        assert self.core is not None
        persons = [{"Timestamp": t * 100, "Person": {"Index": 9 - t}} for t in range(10)]
        return self.core.complete(job_id, ListOutcome(persons))


def test_a_push_style_analyzer_behind_the_core() -> None:
    analyzer = PushAnalyzer()
    core = RekognitionCore(analyzer, clock=time.time)
    analyzer.core = core
    with RekognitionServer(core) as server:
        client = server.client()
        job_id = client.start_person_tracking(Video=VIDEO, ClientRequestToken="t-1")["JobId"]
        assert client.start_person_tracking(Video=VIDEO, ClientRequestToken="t-1")["JobId"] == job_id
        assert analyzer.started == [job_id]  # the retried Start made no second job
        assert client.get_person_tracking(JobId=job_id)["JobStatus"] == "IN_PROGRESS"
        assert analyzer.finish(job_id)
        assert not analyzer.finish(job_id)  # a job ends once
        assert analyzer.ended == [(job_id, "SUCCEEDED")]
        first = client.get_person_tracking(JobId=job_id, MaxResults=4, SortBy="INDEX")
        rest = client.get_person_tracking(JobId=job_id, MaxResults=100, SortBy="INDEX", NextToken=first["NextToken"])
        indexes = [p["Person"]["Index"] for p in first["Persons"] + rest["Persons"]]
        assert indexes == list(range(10))
        with pytest.raises(ClientError) as refused:
            client.start_person_tracking(Video={"S3Object": {"Bucket": "other", "Name": "clip.mp4"}})
        assert refused.value.response["Error"]["Code"] == "InvalidS3ObjectException"
        assert server.request_count("StartPersonTracking") == 3
