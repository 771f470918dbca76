"""PersonTracker with a CompletionQueue, and track_many, on a fake Rekognition client publishing through moto."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from completion_support import FakeRekognition, queue_depth

from rekotrack import (
    JobFailedError,
    LimitExceededError,
    PersonTracker,
    RequestValidationError,
    RetryPolicy,
    TrackingJob,
    Video,
    WaitTimeoutError,
)
from rekotrack._completion import CompletionQueue, track_many


@pytest.fixture
def fake(sns: Any) -> Iterator[FakeRekognition]:
    client = FakeRekognition(sns)
    yield client
    client.close()


def make_tracker(client: FakeRekognition, **retry: Any) -> PersonTracker:
    settings: dict[str, Any] = {
        "initial_delay": 0.01,
        "max_delay": 0.05,
        "limit_initial_delay": 0.02,
        "limit_max_delay": 0.1,
        "limit_max_attempts": 3,
    }
    settings.update(retry)
    return PersonTracker(client=client, retry=RetryPolicy(**settings))  # type: ignore[arg-type]


# ---- PersonTracker.wait(queue=...) --------------------------------------------------------


def test_wait_on_the_queue(fake: FakeRekognition, queue: CompletionQueue) -> None:
    tracker = make_tracker(fake)
    job = tracker.start("s3://my-videos/clips/lobby.mp4", notification=queue.channel, job_tag="run-7")
    page = job.wait(10, queue=queue)
    assert page.job_status == "SUCCEEDED"
    assert queue.receive_calls >= 1
    # Waiting by job id on a message already consumed falls back to Get at once.
    assert tracker.wait(job.job_id, 5, queue=queue).job_status == "SUCCEEDED"


def test_wait_on_the_queue_failed(fake: FakeRekognition, queue: CompletionQueue) -> None:
    tracker = make_tracker(fake)
    job = tracker.start("s3://my-videos/clips/fail.mp4", notification=queue.channel)
    with pytest.raises(JobFailedError) as info:
        job.wait(10, queue=queue)
    assert info.value.status == "FAILED"


def test_lost_message_does_not_hang_the_wait(
    fake: FakeRekognition, queue: CompletionQueue, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = make_tracker(fake)
    job = tracker.start("s3://my-videos/clips/lost.mp4", notification=queue.channel)
    with caplog.at_level(logging.WARNING, logger="rekotrack"):
        page = tracker.wait(job.job_id, 10, queue=queue, status_check_interval=0.5)
    assert page.job_status == "SUCCEEDED"  # found by Get before the 10 s deadline, not a WaitTimeoutError
    assert "no completion message" in caplog.text


def test_reused_token_sends_no_message_and_does_not_hang(fake: FakeRekognition, queue: CompletionQueue) -> None:
    tracker = make_tracker(fake)
    first = tracker.start("s3://my-videos/clips/a.mp4", notification=queue.channel, client_request_token="tok-1")
    assert first.wait(10, queue=queue).job_status == "SUCCEEDED"
    again = tracker.start("s3://my-videos/clips/a.mp4", notification=queue.channel, client_request_token="tok-1")
    assert again.job_id == first.job_id
    assert again.wait(10, queue=queue, status_check_interval=0.5).job_status == "SUCCEEDED"


# ---- track_many ------------------------------------------------------------------------------


def test_track_many_fifty_videos_under_a_limit_of_five(sns: Any, sqs: Any, queue: CompletionQueue) -> None:
    fake = FakeRekognition(sns, job_seconds=0.05, limit=5)
    tracker = make_tracker(fake)
    videos = [f"s3://my-videos/clips/{i:02d}.mp4" for i in range(50)]
    videos[7] = "s3://my-videos/clips/fail-07.mp4"
    videos[21] = "s3://my-videos/clips/error-21.mp4"
    outcomes = list(track_many(tracker, videos, queue=queue, max_concurrent=5, timeout=30, job_tag="batch"))
    fake.close()
    assert sorted(v for v, _ in outcomes) == sorted(videos)
    assert fake.peak <= 5
    assert fake.limit_errors == 0
    by_video = dict(outcomes)
    failed = by_video.pop(videos[7])
    assert isinstance(failed, JobFailedError)
    assert (failed.status, failed.status_message) == ("FAILED", "The video could not be decoded.")
    errored = by_video.pop(videos[21])
    assert isinstance(errored, JobFailedError)
    assert errored.status == "ERROR"
    assert all(isinstance(o, TrackingJob) for o in by_video.values())
    assert all(o.job_tag == "batch" for o in by_video.values() if isinstance(o, TrackingJob))
    assert fake.starts == 50
    assert queue_depth(sqs, queue.queue_url) == 0


def test_track_many_backs_off_when_the_account_limit_is_lower(sns: Any, queue: CompletionQueue) -> None:
    fake = FakeRekognition(sns, job_seconds=0.1, limit=3)
    tracker = make_tracker(fake)
    videos = [f"s3://my-videos/clips/{i:02d}.mp4" for i in range(12)]
    outcomes = list(track_many(tracker, videos, queue=queue, max_concurrent=8, timeout=30))
    fake.close()
    assert len(outcomes) == 12
    assert all(isinstance(o, TrackingJob) for _, o in outcomes)
    assert fake.peak <= 3
    assert fake.limit_errors > 0


def test_track_many_yields_as_each_ends_and_keeps_going(sns: Any, queue: CompletionQueue) -> None:
    fake = FakeRekognition(sns, job_seconds=0.05)
    tracker = make_tracker(fake)
    video = Video.from_s3("my-videos", "clips/typed.mp4")
    videos: list[str | Video] = ["s3://my-videos/clips/a.mp4", "not-a-uri", video, "s3://my-videos/clips/hang.mp4"]
    # the hung job's timeout; the 0.05 s jobs must end within it too, on a loaded machine as well (1.5 s was not enough
    # at load 10-20 on the 2-core CI machine)
    outcomes = dict(track_many(tracker, videos, queue=queue, max_concurrent=2, timeout=6.0))
    fake.close()
    assert isinstance(outcomes["s3://my-videos/clips/a.mp4"], TrackingJob)
    assert isinstance(outcomes["not-a-uri"], RequestValidationError)
    assert isinstance(outcomes[video], TrackingJob)
    hung = outcomes["s3://my-videos/clips/hang.mp4"]
    assert isinstance(hung, WaitTimeoutError)
    assert hung.job_id is not None


def test_track_many_covers_lost_messages_with_get(
    sns: Any, queue: CompletionQueue, sqs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeRekognition(sns, job_seconds=0.05)
    tracker = make_tracker(fake)
    videos = ["s3://my-videos/clips/lost-1.mp4", "s3://my-videos/clips/ok.mp4", "s3://my-videos/clips/lost-2.mp4"]
    with caplog.at_level(logging.WARNING, logger="rekotrack"):
        outcomes = list(track_many(tracker, videos, queue=queue, timeout=30, status_check_interval=0.3))
    fake.close()
    assert sorted(video for video, _ in outcomes) == sorted(videos)
    assert all(isinstance(o, TrackingJob) for _, o in outcomes)
    # The two lost messages were covered by GetPersonTracking, not by waiting out the 30 s deadline.
    lost = [r for r in caplog.records if "no completion message arrived" in r.getMessage()]
    assert len(lost) >= 2


def test_track_many_limit_with_nothing_running_is_an_outcome(sns: Any, queue: CompletionQueue) -> None:
    fake = FakeRekognition(sns, limit=0)
    tracker = make_tracker(fake)
    [(_, outcome)] = list(track_many(tracker, ["s3://my-videos/clips/a.mp4"], queue=queue, timeout=5))
    assert isinstance(outcome, LimitExceededError)
    assert outcome.attempts == 3


def test_track_many_checks_its_arguments_at_once(fake: FakeRekognition, queue: CompletionQueue) -> None:
    tracker = make_tracker(fake)
    with pytest.raises(ValueError, match="max_concurrent"):
        track_many(tracker, [], queue=queue, max_concurrent=0)
    with pytest.raises(ValueError, match="timeout"):
        track_many(tracker, [], queue=queue, timeout=0)
    assert list(track_many(tracker, [], queue=queue)) == []
