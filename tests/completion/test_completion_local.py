"""End to end: the local Rekognition server publishes real completions through moto SNS to a CompletionQueue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from completion_support import ROLE_ARN, fast_retry, queue_depth

from rekotrack import JobFailedError, PersonTracker, TrackingJob
from rekotrack._completion import CompletionQueue, track_many

testing = pytest.importorskip("rekotrack.testing", reason="rekotrack.testing is not available")
LocalRekognition = testing.LocalRekognition
SyntheticScene = testing.SyntheticScene


@pytest.fixture
def server(moto_url: str) -> Iterator[Any]:
    with LocalRekognition(job_seconds=0.2, max_concurrent_jobs=5, sns_endpoint_url=moto_url) as running:
        yield running


def test_full_flow(server: Any, queue: CompletionQueue, sqs: Any) -> None:
    uri = "s3://my-videos/clips/lobby.mp4"
    server.add_video(uri, SyntheticScene(seed=3, people=4, duration_ms=20_000))
    tracker = PersonTracker(client=server.client(), retry=fast_retry())
    job = tracker.start(uri, notification=queue.channel, job_tag="run-7")
    note = queue.wait_for(job.job_id, 10)
    assert (note.job_id, note.status, note.job_tag) == (job.job_id, "SUCCEEDED", "run-7")
    assert note.video is not None
    assert (note.video.s3_bucket, note.video.s3_object_name) == ("my-videos", "clips/lobby.mp4")
    assert note.to_aws() == server.notifications[-1].payload
    detections = list(tracker.persons(job.job_id))
    assert len(detections) == len(list(server.scene_for(uri).ground_truth()))
    assert queue_depth(sqs, queue.queue_url) == 0


def test_fifty_videos_through_track_many_with_the_server_limit_of_five(server: Any, queue: CompletionQueue) -> None:
    failing = "s3://my-videos/clips/broken.mp4"
    erroring = "s3://my-videos/clips/odd.mp4"
    server.add_video(failing, SyntheticScene(final_status="FAILED", status_message="Unsupported codec."))
    server.add_video(erroring, SyntheticScene(final_status="FAILED", notification_status="ERROR"))
    tracker = PersonTracker(client=server.client(), retry=fast_retry())
    videos = [f"s3://my-videos/clips/{i:02d}.mp4" for i in range(48)] + [failing, erroring]
    outcomes = dict(track_many(tracker, videos, queue=queue, max_concurrent=5, timeout=30))
    assert set(outcomes) == set(videos)
    assert server.request_count("StartPersonTracking") == 50  # never refused: the limit was respected
    broken = outcomes.pop(failing)
    assert isinstance(broken, JobFailedError)
    assert (broken.status, broken.status_message) == ("FAILED", "Unsupported codec.")
    odd = outcomes.pop(erroring)
    assert isinstance(odd, JobFailedError)
    assert odd.status == "ERROR"
    assert all(isinstance(o, TrackingJob) for o in outcomes.values())


def test_create_with_a_role_the_server_accepts(server: Any, queue: CompletionQueue) -> None:
    assert queue.channel.role_arn == ROLE_ARN
    tracker = PersonTracker(client=server.client(), retry=fast_retry())
    job = tracker.start("s3://my-videos/clips/x.mp4", notification=queue.channel)
    assert job.wait(10, queue=queue).job_status == "SUCCEEDED"
