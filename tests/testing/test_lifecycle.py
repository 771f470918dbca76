"""Job lifecycle, idempotency, the concurrent-job limit, retention and page shapes."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rekotrack.testing import LocalRekognition, ManualClock, SyntheticScene

VIDEO: Any = {"S3Object": {"Bucket": "bucket", "Name": "video.mp4"}}
CHANNEL: Any = {
    "SNSTopicArn": "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionDone",
    "RoleArn": "arn:aws:iam::123456789012:role/RekognitionSNS",
}
DAY = 24 * 3600.0


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    code: str = caught.value.response["Error"]["Code"]
    return code


def _fields(page: Any) -> set[str]:
    return set(page) - {"ResponseMetadata"}


def test_in_progress_then_succeeded_by_clock() -> None:
    clock = ManualClock()
    with LocalRekognition(job_seconds=30, clock=clock) as server:
        client = server.client()
        job_id = client.start_person_tracking(Video=VIDEO, JobTag="run-7")["JobId"]
        page = client.get_person_tracking(JobId=job_id)
        assert _fields(page) == {"JobStatus", "JobId", "Video", "JobTag"}
        assert page["JobStatus"] == "IN_PROGRESS"
        assert page["Video"] == VIDEO
        assert page["JobTag"] == "run-7"
        clock.advance(29.9)
        assert client.get_person_tracking(JobId=job_id)["JobStatus"] == "IN_PROGRESS"
        clock.advance(0.1)
        page = client.get_person_tracking(JobId=job_id, MaxResults=10)
        assert page["JobStatus"] == "SUCCEEDED"
        assert _fields(page) == {"JobStatus", "VideoMetadata", "NextToken", "Persons", "JobId", "Video", "JobTag"}


def test_in_progress_by_wall_time() -> None:
    with LocalRekognition(job_seconds=0.3) as server:
        client = server.client()
        job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
        assert client.get_person_tracking(JobId=job_id)["JobStatus"] == "IN_PROGRESS"
        time.sleep(0.35)
        page = client.get_person_tracking(JobId=job_id)
        assert page["JobStatus"] == "SUCCEEDED"
        assert "JobTag" not in page


def test_job_polls_lifecycle() -> None:
    with LocalRekognition(job_polls=3) as server:
        client = server.client()
        job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
        statuses = [client.get_person_tracking(JobId=job_id)["JobStatus"] for _ in range(5)]
        assert statuses == ["IN_PROGRESS"] * 3 + ["SUCCEEDED"] * 2


def test_failed_job_page() -> None:
    scene = SyntheticScene(seed=3, final_status="FAILED", status_message="Unsupported codec.")
    with LocalRekognition(job_polls=0) as server:
        server.add_video("s3://bucket/broken.mp4", scene)
        client = server.client()
        video: Any = {"S3Object": {"Bucket": "bucket", "Name": "broken.mp4"}}
        job_id = client.start_person_tracking(Video=video, JobTag="t")["JobId"]
        page = client.get_person_tracking(JobId=job_id)
        assert _fields(page) == {"JobStatus", "StatusMessage", "JobId", "Video", "JobTag"}
        assert (page["JobStatus"], page["StatusMessage"]) == ("FAILED", "Unsupported codec.")


def test_succeeded_page_shape(server: LocalRekognition, client: Any) -> None:
    scene = SyntheticScene(seed=5, people=3, duration_ms=20_000, frame_rate=25.0, width=1280, height=720)
    server.add_video("s3://bucket/video.mp4", scene)
    job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
    page = client.get_person_tracking(JobId=job_id)
    assert page["VideoMetadata"] == {
        "Codec": "h264",
        "DurationMillis": 20_000,
        "Format": "mp4",
        "FrameRate": 25.0,
        "FrameHeight": 720,
        "FrameWidth": 1280,
        "ColorRange": "FULL",
    }
    assert page["JobId"] == job_id
    assert "NextToken" not in page  # everything fits in one page
    assert page["Persons"] == list(scene.ground_truth())


def test_empty_scene(server: LocalRekognition, client: Any) -> None:
    server.add_video("s3://bucket/video.mp4", SyntheticScene(people=0))
    job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
    page = client.get_person_tracking(JobId=job_id)
    assert page["JobStatus"] == "SUCCEEDED"
    assert page["Persons"] == []
    assert "NextToken" not in page


def test_idempotent_start_returns_same_job(server: LocalRekognition, client: Any) -> None:
    first = client.start_person_tracking(Video=VIDEO, ClientRequestToken="tok-1", JobTag="a")["JobId"]
    again = client.start_person_tracking(Video=VIDEO, ClientRequestToken="tok-1", JobTag="a")["JobId"]
    other = client.start_person_tracking(Video=VIDEO, ClientRequestToken="tok-2", JobTag="a")["JobId"]
    untokened = [client.start_person_tracking(Video=VIDEO)["JobId"] for _ in range(2)]
    assert first == again
    assert len({first, other, *untokened}) == 4


def test_idempotent_parameter_mismatch(client: Any) -> None:
    client.start_person_tracking(Video=VIDEO, ClientRequestToken="tok-1", JobTag="a")
    assert (
        _code(client.start_person_tracking, Video=VIDEO, ClientRequestToken="tok-1", JobTag="b")
        == "IdempotentParameterMismatchException"
    )
    other_video = {"S3Object": {"Bucket": "bucket", "Name": "other.mp4"}}
    assert (
        _code(client.start_person_tracking, Video=other_video, ClientRequestToken="tok-1", JobTag="a")
        == "IdempotentParameterMismatchException"
    )


def test_idempotent_restart_sends_no_new_notification() -> None:
    with LocalRekognition(job_polls=0) as server:
        client = server.client()
        job_id = client.start_person_tracking(Video=VIDEO, NotificationChannel=CHANNEL, ClientRequestToken="t1")[
            "JobId"
        ]
        client.get_person_tracking(JobId=job_id)
        server.wait_notifications(1)
        again = client.start_person_tracking(Video=VIDEO, NotificationChannel=CHANNEL, ClientRequestToken="t1")
        assert again["JobId"] == job_id
        client.get_person_tracking(JobId=job_id)
        time.sleep(0.2)
        assert len(server.notifications) == 1
        note = server.notifications[0]
        assert note.job_id == job_id
        assert note.topic_arn == CHANNEL["SNSTopicArn"]
        assert not note.published  # no sns_endpoint_url
        assert note.payload["Status"] == "SUCCEEDED"


def test_limit_exceeded() -> None:
    clock = ManualClock()
    with LocalRekognition(job_seconds=60, max_concurrent_jobs=3, clock=clock) as server:
        client = server.client()
        jobs = [client.start_person_tracking(Video=VIDEO, ClientRequestToken=f"t{i}")["JobId"] for i in range(3)]
        assert _code(client.start_person_tracking, Video=VIDEO) == "LimitExceededException"
        # A retried start of a running job is not a new job: it still answers.
        assert client.start_person_tracking(Video=VIDEO, ClientRequestToken="t0")["JobId"] == jobs[0]
        clock.advance(60)
        client.start_person_tracking(Video=VIDEO)  # the first three have ended


def test_default_limit_is_20() -> None:
    with LocalRekognition(job_seconds=3600) as server:
        client = server.client()
        for _ in range(20):
            client.start_person_tracking(Video=VIDEO)
        assert _code(client.start_person_tracking, Video=VIDEO) == "LimitExceededException"
        assert len(server.finish_jobs()) == 20
        client.start_person_tracking(Video=VIDEO)


def test_unknown_job(client: Any) -> None:
    assert _code(client.get_person_tracking, JobId="0" * 64) == "ResourceNotFoundException"


def test_expired_job_is_gone() -> None:
    clock = ManualClock()
    with LocalRekognition(job_seconds=0, clock=clock) as server:
        client = server.client()
        job_id = client.start_person_tracking(Video=VIDEO, ClientRequestToken="t1")["JobId"]
        clock.advance(7 * DAY)
        assert client.get_person_tracking(JobId=job_id)["JobStatus"] == "SUCCEEDED"
        clock.advance(1)
        assert _code(client.get_person_tracking, JobId=job_id) == "ResourceNotFoundException"
        assert server.job_status(job_id) is None
        # Its token is forgotten too: the same token starts a new job.
        assert client.start_person_tracking(Video=VIDEO, ClientRequestToken="t1")["JobId"] != job_id


def test_custom_retention() -> None:
    clock = ManualClock()
    with LocalRekognition(job_seconds=0, retention_seconds=60, clock=clock) as server:
        client = server.client()
        job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
        clock.advance(61)
        assert _code(client.get_person_tracking, JobId=job_id) == "ResourceNotFoundException"


def test_unknown_video_gets_a_deterministic_default_scene() -> None:
    video: Any = {"S3Object": {"Bucket": "any-bucket", "Name": "clips/unseen.mp4"}}
    results = []
    for _ in range(2):
        with LocalRekognition(job_seconds=0) as server:
            client = server.client()
            job_id = client.start_person_tracking(Video=video)["JobId"]
            results.append(client.get_person_tracking(JobId=job_id)["Persons"])
    assert results[0] == results[1]
    assert results[0] == list(SyntheticScene.for_uri("s3://any-bucket/clips/unseen.mp4").ground_truth())[:1000]
    assert results[0]


def test_versioned_video(server: LocalRekognition, client: Any) -> None:
    v1, v2 = SyntheticScene(seed=1, people=2), SyntheticScene(seed=2, people=2)
    server.add_video("s3://bucket/video.mp4?versionId=v1", v1)
    server.add_video("s3://bucket/video.mp4", v2)
    versioned = {"S3Object": {"Bucket": "bucket", "Name": "video.mp4", "Version": "v1"}}
    job_1 = client.start_person_tracking(Video=versioned)["JobId"]
    job_2 = client.start_person_tracking(Video=VIDEO)["JobId"]
    other = {"S3Object": {"Bucket": "bucket", "Name": "video.mp4", "Version": "v9"}}
    job_3 = client.start_person_tracking(Video=other)["JobId"]  # unknown version: the unversioned scene
    assert client.get_person_tracking(JobId=job_1)["Persons"] == list(v1.ground_truth())
    assert client.get_person_tracking(JobId=job_2)["Persons"] == list(v2.ground_truth())
    assert client.get_person_tracking(JobId=job_3)["Persons"] == list(v2.ground_truth())
    with pytest.raises(ValueError, match="s3://"):
        server.add_video("bucket/video.mp4", v1)


def test_strict_videos() -> None:
    with LocalRekognition(job_seconds=0, strict_videos=True) as server:
        client = server.client()
        assert _code(client.start_person_tracking, Video=VIDEO) == "InvalidS3ObjectException"
        server.add_video("s3://bucket/video.mp4", SyntheticScene(seed=1))
        client.start_person_tracking(Video=VIDEO)


def test_video_too_large(server: LocalRekognition, client: Any) -> None:
    server.add_video("s3://bucket/video.mp4", SyntheticScene(people=1, duration_ms=6 * 3600 * 1000 + 1))
    assert _code(client.start_person_tracking, Video=VIDEO) == "VideoTooLargeException"


def test_job_status_and_finish_jobs() -> None:
    with LocalRekognition(job_seconds=3600) as server:
        client = server.client()
        job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
        assert server.job_status(job_id) == "IN_PROGRESS"
        assert server.finish_jobs() == [job_id]
        assert server.job_status(job_id) == "SUCCEEDED"
        assert server.job_status("nope") is None


def test_manual_clock() -> None:
    clock = ManualClock(start=100.0)
    assert clock() == 100.0
    assert clock.advance(5) == 105.0
    clock.set(200.0)
    assert clock() == 200.0
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(10.0)
    assert "200" in repr(clock)


def test_constructor_checks() -> None:
    with pytest.raises(ValueError, match="job_seconds"):
        LocalRekognition(job_seconds=-1)
    with pytest.raises(ValueError, match="max_concurrent_jobs"):
        LocalRekognition(max_concurrent_jobs=0)


def test_serve_forever_stops_from_another_thread() -> None:
    import threading

    server = LocalRekognition(job_seconds=0)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.running and time.monotonic() < deadline:
        time.sleep(0.01)
    job_id = server.client().start_person_tracking(Video=VIDEO)["JobId"]
    assert server.job_status(job_id) == "SUCCEEDED"
    server.stop()
    thread.join(5)
    assert not thread.is_alive()
