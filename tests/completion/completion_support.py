"""Helpers shared by the completion tests."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from rekotrack import RetryPolicy

FIXTURES = Path(__file__).parent / "fixtures"
REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/RekognitionSnsPublish"
FAKE = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def rekognition_message(
    job_id: str, status: str = "SUCCEEDED", *, job_tag: str | None = None, key: str = "clips/a.mp4"
) -> str:
    """The JSON Rekognition publishes to the topic (JobTag omitted when unset, as AWS does)."""
    body: dict[str, Any] = {"JobId": job_id, "Status": status, "API": "StartPersonTracking"}
    if job_tag is not None:
        body["JobTag"] = job_tag
    body["Timestamp"] = int(time.time() * 1000)
    body["Video"] = {"S3ObjectName": key, "S3Bucket": "my-videos"}
    return json.dumps(body, separators=(",", ":"))


def fast_retry() -> RetryPolicy:
    return RetryPolicy(max_attempts=4, initial_delay=0.01, max_delay=0.05, limit_initial_delay=0.01)


def new_job_id() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


def queue_depth(sqs: Any, queue_url: str) -> int:
    """Messages in the queue, visible or in flight."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


class FakeRekognition:
    """Just enough of a boto3 Rekognition client for PersonTracker: jobs end after ``job_seconds``.

    A job's end is published to its NotificationChannel topic through ``sns`` (a moto
    client), as Rekognition does. The video key decides how it ends: ``fail`` →
    FAILED, ``error`` → notification ERROR (Get says FAILED), ``lost`` → no message,
    ``hang`` → never ends. At most ``limit`` jobs run at once (LimitExceededException);
    a reused ClientRequestToken returns the same JobId and sends nothing.
    """

    def __init__(self, sns: Any, *, job_seconds: float = 0.05, limit: int | None = None) -> None:
        self.sns = sns
        self.job_seconds = job_seconds
        self.limit = limit
        self.jobs: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}
        self.running = 0
        self.peak = 0
        self.limit_errors = 0
        self.starts = 0
        self.gets = 0
        self._lock = threading.Lock()
        self._timers: list[threading.Timer] = []

    def start_person_tracking(self, **params: Any) -> dict[str, Any]:
        with self._lock:
            self.starts += 1
            token = params.get("ClientRequestToken")
            if token in self.tokens:
                return {"JobId": self.tokens[token], "ResponseMetadata": {"HTTPStatusCode": 200}}
            if self.limit is not None and self.running >= self.limit:
                self.limit_errors += 1
                raise ClientError(
                    {
                        "Error": {"Code": "LimitExceededException", "Message": "too many jobs"},
                        "ResponseMetadata": {"HTTPStatusCode": 400},
                    },
                    "StartPersonTracking",
                )
            job_id = uuid.uuid4().hex
            self.jobs[job_id] = {"params": params, "status": "IN_PROGRESS"}
            if token:
                self.tokens[token] = job_id
            self.running += 1
            self.peak = max(self.peak, self.running)
        if "hang" not in params["Video"]["S3Object"]["Name"]:
            timer = threading.Timer(self.job_seconds, self._finish, (job_id,))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
        return {"JobId": job_id, "ResponseMetadata": {"HTTPStatusCode": 200}}

    def _finish(self, job_id: str) -> None:
        job = self.jobs[job_id]
        params = job["params"]
        name = params["Video"]["S3Object"]["Name"]
        status = "FAILED" if ("fail" in name or "error" in name) else "SUCCEEDED"
        with self._lock:
            job["status"] = status
            self.running -= 1
        channel = params.get("NotificationChannel")
        if channel and "lost" not in name:
            note = "ERROR" if "error" in name else status
            self.sns.publish(
                TopicArn=channel["SNSTopicArn"],
                Message=rekognition_message(job_id, note, job_tag=params.get("JobTag"), key=name),
            )

    def get_person_tracking(self, **params: Any) -> dict[str, Any]:
        with self._lock:
            self.gets += 1
            job = self.jobs.get(params["JobId"])
        if job is None:
            raise ClientError(
                {
                    "Error": {"Code": "ResourceNotFoundException", "Message": "no such job"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "GetPersonTracking",
            )
        response: dict[str, Any] = {"JobStatus": job["status"], "ResponseMetadata": {"HTTPStatusCode": 200}}
        if job["status"] == "FAILED":
            response["StatusMessage"] = "The video could not be decoded."
        if job["status"] == "SUCCEEDED":
            response["VideoMetadata"] = {"Codec": "h264", "DurationMillis": 1000, "Format": "QuickTime / MOV"}
            response["Persons"] = []
        return response

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
