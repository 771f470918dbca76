"""Plain boto3 for the Rekognition Video jobs, offline, as AWS's guide does them (needs moto: the dev extra).

Labels, faces, face search, celebrities, moderation and person tracking, each the way AWS's
Rekognition Video guide does it.

The flow of the guide's Python example (written here, not copied): an SNS topic and an SQS queue
subscribed to it, one Start with the topic as NotificationChannel, wait on the queue for the
message naming the JobId, then page the Get with NextToken. Only the endpoints differ from a run
against AWS: a moto server stands in for SNS and SQS and ``rekotrack.testing.LocalRekognition``
for Rekognition, reached through the standard ``AWS_ENDPOINT_URL_*`` variables, so nothing in
``VideoDetect`` mentions rekotrack.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import boto3

try:
    from moto.server import ThreadedMotoServer
except ImportError:  # not installed by the README's command 1
    raise SystemExit('video_jobs_boto3.py needs moto (local SNS/SQS): pip install -e ".[dev]"') from None

from rekotrack.testing import LocalRekognition

ROLE_ARN = "arn:aws:iam::123456789012:role/RekognitionSnsPublish"


class VideoDetect:
    """Start a Video job, wait for its completion message on SQS, print what Get returns."""

    def __init__(self, role_arn: str, bucket: str, video: str) -> None:
        self.rek = boto3.client("rekognition")
        self.sns = boto3.client("sns")
        self.sqs = boto3.client("sqs")
        self.role_arn = role_arn
        self.bucket = bucket
        self.video = video
        self.topic_arn = ""
        self.queue_url = ""

    def create_topic_and_queue(self) -> None:
        suffix = str(int(time.time() * 1000))
        self.topic_arn = self.sns.create_topic(Name=f"AmazonRekognitionExample{suffix}")["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName=f"AmazonRekognitionQueue{suffix}")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)
        policy = {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "SQS:SendMessage",
                "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": self.topic_arn}},
            }],
        }  # fmt: skip
        self.sqs.set_queue_attributes(QueueUrl=self.queue_url, Attributes={"Policy": json.dumps(policy)})

    def delete_topic_and_queue(self) -> None:
        self.sqs.delete_queue(QueueUrl=self.queue_url)
        self.sns.delete_topic(TopicArn=self.topic_arn)

    def wait_for(self, job_id: str, timeout: float = 60.0) -> str:
        """The Status of the job's completion message (messages of other jobs are deleted, as in the guide)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in received.get("Messages", []):
                note = json.loads(json.loads(message["Body"])["Message"])
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                if note["JobId"] == job_id:
                    print(f"  {note['API']} {note['Status']}")
                    return str(note["Status"])
        raise TimeoutError(f"no completion message for {job_id} in {timeout} s")

    def run(self, start: Callable[..., Any], get: Callable[..., Any], items: str, **inputs: Any) -> int:
        """Start, wait, then page every result; returns how many items the job had."""
        job_id = start(Video={"S3Object": {"Bucket": self.bucket, "Name": self.video}},
                       NotificationChannel={"RoleArn": self.role_arn, "SNSTopicArn": self.topic_arn},
                       **inputs)["JobId"]
        if self.wait_for(job_id) != "SUCCEEDED":
            return 0
        count, kwargs = 0, {"JobId": job_id, "MaxResults": 10}
        while True:
            page = get(**kwargs)
            count += len(page[items])
            if "NextToken" not in page:
                return count
            kwargs["NextToken"] = page["NextToken"]

    def all_jobs(self) -> dict[str, int]:
        rek = self.rek
        return {
            "labels": self.run(rek.start_label_detection, rek.get_label_detection, "Labels", MinConfidence=70),
            "faces": self.run(rek.start_face_detection, rek.get_face_detection, "Faces", FaceAttributes="ALL"),
            "face matches": self.run(rek.start_face_search, rek.get_face_search, "Persons", CollectionId="staff"),
            "celebrities": self.run(rek.start_celebrity_recognition, rek.get_celebrity_recognition, "Celebrities"),
            "moderation labels": self.run(rek.start_content_moderation, rek.get_content_moderation,
                                          "ModerationLabels"),
            "person detections": self.run(rek.start_person_tracking, rek.get_person_tracking, "Persons"),
        }


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    try:
        with LocalRekognition(job_seconds=0.2, sns_endpoint_url=moto_url) as server:
            os.environ.update(
                AWS_ENDPOINT_URL_REKOGNITION=server.url,
                AWS_ENDPOINT_URL_SNS=moto_url,
                AWS_ENDPOINT_URL_SQS=moto_url,
                AWS_DEFAULT_REGION="us-east-1",
                AWS_ACCESS_KEY_ID="test",
                AWS_SECRET_ACCESS_KEY="test",
            )
            detect = VideoDetect(ROLE_ARN, "my-bucket", "lobby.mp4")
            detect.create_topic_and_queue()
            try:
                counts = detect.all_jobs()
            finally:
                detect.delete_topic_and_queue()
        for what, count in counts.items():
            print(f"{count:6d} {what}")
        assert all(counts.values()), counts
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
