"""The server core's public seams for a shared job store: a :class:`JobRegistry`, and the optional
analyzer members ``publishes_completions`` and ``progress_message`` (what the scale-out mode uses
instead of subclassing the core; its Redis registry is tested in ``tests/selfhosted/test_scale.py``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rekotrack.server import (
    Admitted,
    ApiError,
    Ended,
    Job,
    JobRegistry,
    MemoryJobRegistry,
    RekognitionCore,
    RekognitionServer,
    ServedOperation,
)

VIDEO: dict[str, Any] = {"S3Object": {"Bucket": "bucket", "Name": "clip.mp4"}}
TOPIC = {"SNSTopicArn": "arn:aws:sns:us-east-1:123456789012:done", "RoleArn": "arn:aws:iam::123456789012:role/r"}


class Finished:
    final_status = "SUCCEEDED"
    notification_status = "SUCCEEDED"
    status_message = None
    detection_count = 0

    def video_metadata(self) -> dict[str, Any]:
        return {"Codec": "h264", "DurationMillis": 1000, "Format": "mp4", "FrameRate": 10.0}

    def page(self, sort_by: str, start: int, count: int) -> list[dict[str, Any]]:
        return []


class Analyzer:
    """Jobs end when the test says so; the optional members are set per test."""

    def __init__(self, *, fail_start: bool = False) -> None:
        self.fail_start = fail_start
        self.done: set[str] = set()
        self.started: list[str] = []

    def accept_video(self, operation: ServedOperation, uri: str, params: Mapping[str, Any]) -> object:
        return uri

    def start_job(self, job: Job) -> None:
        if self.fail_start:
            raise ApiError("InternalServerError")
        self.started.append(job.job_id)

    def job_progress(self, job: Job, now: float, polled: bool) -> Ended | None:
        return Ended(Finished(), now) if job.job_id in self.done else None

    def job_ended(self, job: Job, ended: float) -> None:
        pass

    def job_expired(self, job: Job) -> None:
        pass


class Publishing(Analyzer):
    publishes_completions = True

    def progress_message(self, job: Job) -> str | None:
        return f"analysed 3 of 9 frames of {job.job_id[:6]}"


class CountingRegistry(MemoryJobRegistry):
    """The default registry, counting what the core asks of it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def admit(self, job: Job, key: str | None, limit: int) -> Admitted:
        self.calls.append("admit")
        return super().admit(job, key, limit)

    def withdraw(self, job: Job, key: str | None) -> None:
        self.calls.append("withdraw")
        super().withdraw(job, key)


def test_two_cores_over_one_registry_answer_for_each_others_jobs() -> None:
    shared: JobRegistry = MemoryJobRegistry()
    analyzer = Analyzer()
    first = RekognitionCore(analyzer, clock=time.time, registry=shared, max_concurrent_jobs=2)
    second = RekognitionCore(analyzer, clock=time.time, registry=shared, max_concurrent_jobs=2)
    with RekognitionServer(first) as one, RekognitionServer(second) as two:
        a, b = one.client(), two.client()
        job_id = a.start_person_tracking(Video=VIDEO, ClientRequestToken="tok")["JobId"]
        assert b.start_person_tracking(Video=VIDEO, ClientRequestToken="tok")["JobId"] == job_id
        with pytest.raises(ClientError) as mismatch:
            b.start_person_tracking(Video=VIDEO, ClientRequestToken="tok", JobTag="other")
        assert mismatch.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
        assert b.get_person_tracking(JobId=job_id)["JobStatus"] == "IN_PROGRESS"
        b.start_person_tracking(Video=VIDEO)
        with pytest.raises(ClientError) as limit:  # the limit counts the jobs started through both
            a.start_person_tracking(Video=VIDEO)
        assert limit.value.response["Error"]["Code"] == "LimitExceededException"
        analyzer.done.add(job_id)
        assert b.get_person_tracking(JobId=job_id)["JobStatus"] == "SUCCEEDED"
        assert a.get_person_tracking(JobId=job_id)["JobStatus"] == "SUCCEEDED"
        assert analyzer.started[0] == job_id
        assert len(analyzer.started) == 2


def test_a_failed_start_is_withdrawn_from_the_registry() -> None:
    registry = CountingRegistry()
    core = RekognitionCore(Analyzer(fail_start=True), clock=time.time, registry=registry)
    with RekognitionServer(core) as server:
        client = server.client()
        with pytest.raises(ClientError) as failed:
            client.start_person_tracking(Video=VIDEO, ClientRequestToken="tok")
        assert failed.value.response["Error"]["Code"] == "InternalServerError"
        assert registry.calls == ["admit", "withdraw"]
        assert registry.held() == []
        assert core.jobs() == []


def test_the_core_publishes_unless_the_analyzer_does() -> None:
    for analyzer, published in ((Analyzer(), 1), (Publishing(), 0)):
        core = RekognitionCore(analyzer, clock=time.time)
        with RekognitionServer(core) as server:
            client = server.client()
            job_id = client.start_person_tracking(Video=VIDEO, NotificationChannel=TOPIC)["JobId"]
            analyzer.done.add(job_id)
            assert client.get_person_tracking(JobId=job_id)["JobStatus"] == "SUCCEEDED"
            core.stop()  # sends what is queued
            assert [n.job_id for n in core.notifications] == [job_id] * published


def test_progress_message_is_the_status_message_while_in_progress() -> None:
    analyzer, plain = Publishing(), Analyzer()
    for each, expected in ((analyzer, True), (plain, False)):
        core = RekognitionCore(each, clock=time.time)
        with RekognitionServer(core) as server:
            client = server.client()
            job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
            page = client.get_person_tracking(JobId=job_id)
            assert page.get("StatusMessage") == (f"analysed 3 of 9 frames of {job_id[:6]}" if expected else None)
            each.done.add(job_id)
            assert "StatusMessage" not in client.get_person_tracking(JobId=job_id)
