"""Completion for every job kind: one SNS -> SQS queue (real moto server) shared by all kinds of jobs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from jobs_support import FAKE, KIND_IDS, KINDS, REGION, ROLE_ARN, Kind

from rekotrack import (
    CompletionNotification,
    CompletionQueue,
    FaceSearcher,
    JobFailedError,
    PersonTracker,
    RetryPolicy,
    parse_lambda_event,
    parse_notification,
)
from rekotrack.testing import LocalRekognition, SyntheticScene


@pytest.fixture(scope="module")
def sns_server(moto_url: str) -> Iterator[LocalRekognition]:
    with LocalRekognition(job_seconds=0.3, sns_endpoint_url=moto_url) as srv:
        yield srv


@pytest.fixture
def rekognition(sns_server: LocalRekognition) -> Any:
    return sns_server.client()


@pytest.fixture
def queue(moto_url: str) -> Iterator[CompletionQueue]:
    session = boto3.Session(region_name=REGION, **FAKE)
    with CompletionQueue.create(
        ROLE_ARN,
        sns_client=session.client("sns", endpoint_url=moto_url),
        sqs_client=session.client("sqs", endpoint_url=moto_url),
        retry=RetryPolicy(max_attempts=4, initial_delay=0.01, max_delay=0.05),
    ) as made:
        yield made


def start_every_kind(rekognition: Any, queue: CompletionQueue, prefix: str) -> dict[str, tuple[Kind | None, Any]]:
    """One job of each of the seven kinds plus person tracking, all notifying the one queue; by job id."""
    jobs: dict[str, tuple[Kind | None, Any]] = {}
    for kind in KINDS:
        job = kind.sync_class(rekognition).start(
            f"s3://completion/{prefix}/{kind.name}.mp4", notification=queue.channel, job_tag=kind.name, **kind.inputs
        )
        jobs[job.job_id] = (kind, job)
    person = PersonTracker(rekognition).start(
        f"s3://completion/{prefix}/persons.mp4", notification=queue.channel, job_tag="PersonTracking"
    )
    jobs[person.job_id] = (None, person)
    return jobs


def api_of(kind: Kind | None) -> str:
    return kind.operation.start_name if kind is not None else "StartPersonTracking"


def test_one_queue_hands_each_kind_its_own_notification(rekognition: Any, queue: CompletionQueue) -> None:
    jobs = start_every_kind(rekognition, queue, "each")
    # wait in the reverse order of the notifications: every other job's message must be kept for its waiter
    for job_id, (kind, job) in reversed(list(jobs.items())):
        note = queue.wait_for(job_id, timeout=60)
        assert note.job_id == job_id
        assert note.status == "SUCCEEDED"
        assert note.api == api_of(kind)
        assert note.job_tag == (kind.name if kind else "PersonTracking")
        assert note.video.s3_bucket == "completion"
        assert job.video is not None
        assert job.video.s3_object is not None
        assert note.video.s3_object_name == job.video.s3_object.name


def test_wait_for_all_across_kinds(rekognition: Any, queue: CompletionQueue) -> None:
    jobs = start_every_kind(rekognition, queue, "all")
    notes = queue.wait_for_all(list(jobs), timeout=60)
    assert set(notes) == set(jobs)
    assert {note.api for note in notes.values()} == {api_of(kind) for kind, _ in jobs.values()}
    assert len({note.api for note in notes.values()}) == 8


def test_concurrent_waiters_of_different_kinds_share_the_queue(rekognition: Any, queue: CompletionQueue) -> None:
    jobs = start_every_kind(rekognition, queue, "threads")
    results: dict[str, Any] = {}

    def wait(job_id: str, job: Any) -> None:
        try:
            results[job_id] = job.wait(timeout=60, queue=queue)
        except Exception as exc:  # reported below
            results[job_id] = exc

    threads = [threading.Thread(target=wait, args=(job_id, job)) for job_id, (_, job) in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads)
    assert set(results) == set(jobs)
    for job_id, page in results.items():
        assert not isinstance(page, Exception), page
        assert page.job_status == "SUCCEEDED"
        assert page.job_id == job_id


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_job_wait_on_the_queue_then_read(kind: Kind, rekognition: Any, queue: CompletionQueue) -> None:
    uri = f"s3://completion/read/{kind.name}.mp4"
    job = kind.sync_class(rekognition).start(uri, notification=queue.channel, **kind.inputs)
    items = [i.to_aws() for i in getattr(job, kind.items_method)(queue=queue, timeout=60)]
    assert items == kind.truth(uri)


def test_track_many_with_the_operation_inputs(rekognition: Any, queue: CompletionQueue, sns_server: Any) -> None:
    sns_server.add_video("s3://completion/batch/broken.mp4", SyntheticScene(seed=3, final_status="FAILED",
                                                                          status_message="no video stream"))
    videos = [f"s3://completion/batch/{n}.mp4" for n in range(5)] + ["s3://completion/batch/broken.mp4"]
    searcher = FaceSearcher(rekognition)
    outcomes = dict(searcher.track_many(videos, queue=queue, max_concurrent=2, timeout=60, collection_id="staff"))
    assert set(outcomes) == set(videos)
    broken = outcomes.pop("s3://completion/batch/broken.mp4")
    assert isinstance(broken, JobFailedError)
    assert broken.status_message == "no video stream"
    kind = next(k for k in KINDS if k.name == "FaceSearch")
    for video, job in outcomes.items():
        assert not isinstance(job, Exception), job
        assert [i.to_aws() for i in job.persons()] == kind.truth(video)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_parse_notification_and_lambda_event_name_the_api(kind: Kind) -> None:
    inner = {
        "JobId": "0123456789abcdef",
        "Status": "SUCCEEDED",
        "API": kind.operation.start_name,
        "JobTag": "t1",
        "Timestamp": 1764590000000,
        "Video": {"S3ObjectName": "clips/a.mp4", "S3Bucket": "my-videos"},
    }
    envelope = {"Type": "Notification", "MessageId": "m1", "TopicArn": "arn:aws:sns:us-east-1:1:t",
                "Message": json.dumps(inner)}
    sqs_message = {"MessageId": "q1", "ReceiptHandle": "h", "Body": json.dumps(envelope)}
    forms = [sqs_message, json.dumps(envelope), json.dumps(inner), inner]
    for form in forms:
        note = parse_notification(form)
        assert isinstance(note, CompletionNotification)
        assert note.api == kind.operation.start_name
        assert note.job_id == "0123456789abcdef"
    lambda_sns = {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(inner)}}]}
    lambda_sqs = {"Records": [{"eventSource": "aws:sqs", "body": json.dumps(envelope)}]}
    for event in (lambda_sns, lambda_sqs):
        notes = parse_lambda_event(event)
        assert [n.api for n in notes] == [kind.operation.start_name]
