"""A Rekognition Video script in the style of AWS's own Python sample, in plain boto3, offline (needs moto).

AWS's sample (``rekognition_video_detection.py`` in awsdocs/aws-doc-sdk-examples) wraps a
video in a ``RekognitionVideo`` class, makes an SNS topic + SQS queue + IAM role as the
notification channel, starts a job with ``Video`` and ``NotificationChannel``, polls the
queue for the completion message, then pages the Get operation. This script follows the
same flow for label, face, face search, celebrity, content moderation and person
tracking jobs, with nothing but boto3 calls; only the endpoints are local:

* Rekognition: ``rekotrack.testing.LocalRekognition`` (the same API on 127.0.0.1), which
  publishes each job's completion to the job's SNS topic,
* SNS, SQS and IAM: a moto server started here on 127.0.0.1 and stopped at the end.

Against AWS, drop ``local_endpoints()`` and give a real bucket and key. Exit status 0
when every flow read its results.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3

try:
    import moto  # noqa: F401
except ImportError:  # not installed by the README's command 1
    raise SystemExit('aws_video_sample.py needs moto (local SNS/SQS/IAM): pip install -e ".[dev]"') from None

from rekotrack.testing import LocalRekognition

logger = logging.getLogger(__name__)

Extract = Callable[[dict[str, Any]], list[dict[str, Any]]]


class RekognitionVideo:
    """One video in S3 and the Rekognition Video jobs run on it, notified through SNS -> SQS."""

    def __init__(self, video: dict[str, Any], video_name: str, rekognition_client: Any) -> None:
        self.video = video
        self.video_name = video_name
        self.rekognition_client = rekognition_client
        self.topic: Any = None
        self.queue: Any = None
        self.role: Any = None

    @classmethod
    def from_bucket(cls, s3_object: Any, rekognition_client: Any) -> RekognitionVideo:
        """A video from an S3 object resource (``bucket_name`` and ``key``)."""
        video = {"S3Object": {"Bucket": s3_object.bucket_name, "Name": s3_object.key}}
        return cls(video, s3_object.key, rekognition_client)

    # ---- the notification channel -----------------------------------------------------------

    def create_notification_channel(self, resource_name: str, iam: Any, sns: Any, sqs: Any) -> None:
        """An SNS topic, an SQS queue subscribed to it (only the topic may send), a role Rekognition publishes with."""
        self.topic = sns.create_topic(Name=resource_name)
        self.queue = sqs.create_queue(QueueName=resource_name, Attributes={"ReceiveMessageWaitTimeSeconds": "5"})
        queue_arn = self.queue.attributes["QueueArn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "SQS:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": self.topic.arn}},
                }
            ],
        }
        self.queue.set_attributes(Attributes={"Policy": json.dumps(policy)})
        self.topic.subscribe(Protocol="sqs", Endpoint=queue_arn)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "rekognition.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        self.role = iam.create_role(RoleName=resource_name, AssumeRolePolicyDocument=json.dumps(trust))
        publish = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "SNS:Publish", "Resource": self.topic.arn}],
        }
        self.role.Policy("publish-completions").put(PolicyDocument=json.dumps(publish))
        logger.info("notification channel: topic %s, queue %s, role %s", self.topic.arn, self.queue.url, self.role.arn)

    def get_notification_channel(self) -> dict[str, str]:
        return {"SNSTopicArn": self.topic.arn, "RoleArn": self.role.arn}

    def delete_notification_channel(self) -> None:
        self.queue.delete()
        self.topic.delete()
        self.role.Policy("publish-completions").delete()
        self.role.delete()

    # ---- completion ---------------------------------------------------------------------------

    def poll_notification(self, job_id: str, timeout: float = 300) -> str:
        """Wait for the job's completion message on the queue; return its Status. Other jobs' messages stay."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.queue.receive_messages(MaxNumberOfMessages=10, WaitTimeSeconds=5):
                envelope = json.loads(message.body)  # the SNS envelope
                note = json.loads(envelope["Message"])  # Rekognition's message
                if note["JobId"] != job_id:
                    message.change_visibility(VisibilityTimeout=0)  # someone else's: back to the queue
                    continue
                message.delete()
                logger.info("%s %s: %s", note["API"], job_id, note["Status"])
                return str(note["Status"])
        raise TimeoutError(f"no completion message for job {job_id} within {timeout} s")

    # ---- jobs ------------------------------------------------------------------------------------

    def _start_job(self, description: str, start: Callable[..., dict[str, Any]], **extra: Any) -> str:
        response = start(Video=self.video, NotificationChannel=self.get_notification_channel(), **extra)
        job_id = str(response["JobId"])
        logger.info("started %s job %s on %s", description, job_id, self.video_name)
        return job_id

    def _get_results(self, job_id: str, get: Callable[..., dict[str, Any]], extract: Extract, **extra: Any) -> Any:
        """Every item of a finished job, following NextToken page after page."""
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"JobId": job_id, "MaxResults": 100, **extra}
        while True:
            response = get(**params)
            if response["JobStatus"] != "SUCCEEDED":
                raise RuntimeError(f"job {job_id} is {response['JobStatus']}: {response.get('StatusMessage')}")
            items.extend(extract(response))
            if "NextToken" not in response:
                return items
            params["NextToken"] = response["NextToken"]

    def _do(self, description: str, start: Callable[..., dict[str, Any]], get: Callable[..., dict[str, Any]],
            extract: Extract, start_extra: dict[str, Any] | None = None, **get_extra: Any) -> list[dict[str, Any]]:
        job_id = self._start_job(description, start, **(start_extra or {}))
        status = self.poll_notification(job_id)
        if status != "SUCCEEDED":
            raise RuntimeError(f"{description} job {job_id} ended {status}")
        results: list[dict[str, Any]] = self._get_results(job_id, get, extract, **get_extra)
        return results

    def do_label_detection(self) -> list[dict[str, Any]]:
        client = self.rekognition_client
        return self._do("label detection", client.start_label_detection, client.get_label_detection,
                        lambda response: response["Labels"], {"MinConfidence": 60}, SortBy="TIMESTAMP")

    def do_face_detection(self) -> list[dict[str, Any]]:
        client = self.rekognition_client
        return self._do("face detection", client.start_face_detection, client.get_face_detection,
                        lambda response: response["Faces"], {"FaceAttributes": "ALL"})

    def do_face_search(self, collection_id: str) -> list[dict[str, Any]]:
        client = self.rekognition_client
        return self._do("face search", client.start_face_search, client.get_face_search,
                        lambda response: response["Persons"], {"CollectionId": collection_id, "FaceMatchThreshold": 85},
                        SortBy="INDEX")

    def do_celebrity_recognition(self) -> list[dict[str, Any]]:
        client = self.rekognition_client
        return self._do("celebrity recognition", client.start_celebrity_recognition,
                        client.get_celebrity_recognition, lambda response: response["Celebrities"], SortBy="ID")

    def do_content_moderation(self) -> list[dict[str, Any]]:
        client = self.rekognition_client
        return self._do("content moderation", client.start_content_moderation, client.get_content_moderation,
                        lambda response: response["ModerationLabels"], {"MinConfidence": 50})

    def do_person_tracking(self) -> list[dict[str, Any]]:
        client = self.rekognition_client
        return self._do("person tracking", client.start_person_tracking, client.get_person_tracking,
                        lambda response: response["Persons"], SortBy="INDEX")


def run_usage_demo(bucket: str, key: str) -> None:
    """The sample's walk-through: one video, a notification channel, six jobs, a summary of each."""
    rekognition = boto3.client("rekognition")
    video = RekognitionVideo.from_bucket(boto3.resource("s3").Object(bucket, key), rekognition)
    video.create_notification_channel(
        "doc-example-video-rekognition", boto3.resource("iam"), boto3.resource("sns"), boto3.resource("sqs")
    )
    try:
        labels = video.do_label_detection()
        print(f"{len(labels)} labels: {sorted({lab['Label']['Name'] for lab in labels})}")
        faces = video.do_face_detection()
        print(f"{len(faces)} faces, first ages: {[f['Face'].get('AgeRange') for f in faces[:3]]}")
        matches = video.do_face_search("doc-example-collection")
        print(f"{len(matches)} people matching the collection, e.g. "
              f"{[m['FaceMatches'][0]['Face'].get('ExternalImageId') for m in matches[:3] if m.get('FaceMatches')]}")
        celebrities = video.do_celebrity_recognition()
        print(f"{len(celebrities)} celebrity sightings: {sorted({c['Celebrity']['Name'] for c in celebrities})}")
        moderation = video.do_content_moderation()
        print(f"{len(moderation)} moderation labels: {sorted({m['ModerationLabel']['Name'] for m in moderation})}")
        persons = video.do_person_tracking()
        print(f"{len(persons)} person detections of {len({p['Person'].get('Index') for p in persons})} people")
        flows = {"labels": labels, "faces": faces, "face search": matches, "celebrities": celebrities,
                 "moderation labels": moderation, "person tracking": persons}
        for name, found in flows.items():
            if not found:
                raise SystemExit(f"no {name} found")
    finally:
        video.delete_notification_channel()


@contextlib.contextmanager
def local_endpoints() -> Iterator[None]:
    """moto for SNS, SQS, IAM and S3 and the local Rekognition server, on 127.0.0.1, through AWS_ENDPOINT_URL_*."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    saved = dict(os.environ)
    try:
        with LocalRekognition(job_seconds=0.5, sns_endpoint_url=moto_url) as server:
            os.environ.update(
                AWS_ENDPOINT_URL_REKOGNITION=server.url,
                AWS_ENDPOINT_URL_SNS=moto_url,
                AWS_ENDPOINT_URL_SQS=moto_url,
                AWS_ENDPOINT_URL_IAM=moto_url,
                AWS_ENDPOINT_URL_S3=moto_url,
                AWS_DEFAULT_REGION="us-east-1",
                AWS_ACCESS_KEY_ID="test",
                AWS_SECRET_ACCESS_KEY="test",
            )
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        moto.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    with local_endpoints():
        run_usage_demo("doc-example-bucket", "video/mall.mp4")
