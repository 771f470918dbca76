"""Completion publishing to SNS, checked end to end through a moto server (SNS -> SQS)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from rekotrack.testing import LocalRekognition, ManualClock, SyntheticScene

moto_server = pytest.importorskip("moto.server")

VIDEO: Any = {"S3Object": {"Bucket": "media-bucket", "Name": "clips/lobby.mp4"}}
ROLE = "arn:aws:iam::123456789012:role/RekognitionSNS"
REGION = "eu-west-1"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _aws(service: str, url: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service, endpoint_url=url, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )


@pytest.fixture
def topic_and_queue(moto_url: str, request: pytest.FixtureRequest) -> tuple[str, str]:
    sns, sqs = _aws("sns", moto_url), _aws("sqs", moto_url)
    name = f"AmazonRekognition-{request.node.name[:40].replace('[', '-').replace(']', '')}"
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue


def _receive(moto_url: str, queue: str, wait: float = 5.0) -> list[dict[str, Any]]:
    sqs = _aws("sqs", moto_url)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if messages:
            for message in messages:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]
    return []


def test_notification_arrives_without_polling(moto_url: str, topic_and_queue: tuple[str, str]) -> None:
    topic, queue = topic_and_queue
    with LocalRekognition(job_seconds=0.2, sns_endpoint_url=moto_url) as server:
        client = server.client()
        began = time.time()
        job_id = client.start_person_tracking(
            Video=VIDEO, JobTag="nightly-7", NotificationChannel={"SNSTopicArn": topic, "RoleArn": ROLE}
        )["JobId"]
        messages = _receive(moto_url, queue)  # nobody calls GetPersonTracking
    assert len(messages) == 1
    message = messages[0]
    assert list(message) == ["JobId", "Status", "API", "JobTag", "Timestamp", "Video"]
    assert message["JobId"] == job_id
    assert message["Status"] == "SUCCEEDED"
    assert message["API"] == "StartPersonTracking"
    assert message["JobTag"] == "nightly-7"
    assert message["Video"] == {"S3ObjectName": "clips/lobby.mp4", "S3Bucket": "media-bucket"}
    assert isinstance(message["Timestamp"], int)
    assert began * 1000 <= message["Timestamp"] <= time.time() * 1000
    assert server.notifications[0].published
    assert server.notifications[0].error is None


def test_no_job_tag_no_key_and_exact_wire_format(moto_url: str, topic_and_queue: tuple[str, str]) -> None:
    topic, queue = topic_and_queue
    clock = ManualClock(start=1_700_000_000.0)
    with LocalRekognition(job_seconds=5, clock=clock, sns_endpoint_url=moto_url) as server:
        client = server.client()
        job_id = client.start_person_tracking(Video=VIDEO, NotificationChannel={"SNSTopicArn": topic, "RoleArn": ROLE})[
            "JobId"
        ]
        clock.advance(10)  # the background timer notices; the job ended at start + 5 s
        notes = server.wait_notifications(1)
    assert notes[0].message == (
        f'{{"JobId":"{job_id}","Status":"SUCCEEDED","API":"StartPersonTracking","Timestamp":1700000005000,'
        '"Video":{"S3ObjectName":"clips/lobby.mp4","S3Bucket":"media-bucket"}}'
    )
    assert _receive(moto_url, queue) == [json.loads(notes[0].message)]


@pytest.mark.parametrize(
    ("scene", "status"),
    [
        (SyntheticScene(seed=1, final_status="FAILED"), "FAILED"),
        (SyntheticScene(seed=1, final_status="FAILED", notification_status="ERROR"), "ERROR"),
    ],
)
def test_failed_and_error_status(
    moto_url: str, topic_and_queue: tuple[str, str], scene: SyntheticScene, status: str
) -> None:
    topic, queue = topic_and_queue
    with LocalRekognition(job_polls=0, sns_endpoint_url=moto_url) as server:
        server.add_video("s3://media-bucket/clips/lobby.mp4", scene)
        client = server.client()
        job_id = client.start_person_tracking(Video=VIDEO, NotificationChannel={"SNSTopicArn": topic, "RoleArn": ROLE})[
            "JobId"
        ]
        assert client.get_person_tracking(JobId=job_id)["JobStatus"] == "FAILED"  # ERROR is not a Get status
        messages = _receive(moto_url, queue)
    assert [m["Status"] for m in messages] == [status]


def test_idempotent_restart_publishes_nothing_new(moto_url: str, topic_and_queue: tuple[str, str]) -> None:
    topic, queue = topic_and_queue
    channel: Any = {"SNSTopicArn": topic, "RoleArn": ROLE}
    with LocalRekognition(job_seconds=0.1, sns_endpoint_url=moto_url) as server:
        client = server.client()
        job_id = client.start_person_tracking(Video=VIDEO, NotificationChannel=channel, ClientRequestToken="once")[
            "JobId"
        ]
        assert len(_receive(moto_url, queue)) == 1
        again = client.start_person_tracking(Video=VIDEO, NotificationChannel=channel, ClientRequestToken="once")
        assert again["JobId"] == job_id
        assert _receive(moto_url, queue, wait=1.5) == []
        assert len(server.notifications) == 1


def test_publish_failure_is_recorded(moto_url: str) -> None:
    missing = "arn:aws:sns:eu-west-1:123456789012:AmazonRekognitionNoSuchTopic"
    with LocalRekognition(job_seconds=0, sns_endpoint_url=moto_url) as server:
        server.client().start_person_tracking(
            Video=VIDEO, NotificationChannel={"SNSTopicArn": missing, "RoleArn": ROLE}
        )
        note = server.wait_notifications(1)[0]
    assert not note.published
    assert note.error is not None
    assert "NotFound" in note.error
