"""Completion over SNS → SQS: a CompletionQueue, one job, a batch, a Lambda handler (needs moto: the dev extra).

Offline: it starts a moto server (SNS and SQS) and the local Rekognition server, and
points boto3 at them through the standard ``AWS_ENDPOINT_URL_*`` variables, so the
code in the marked regions is exactly the code that runs against AWS.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

try:
    from moto.server import ThreadedMotoServer
except ImportError:  # not installed by the README's command 1
    raise SystemExit('completion_queue.py needs moto (local SNS/SQS): pip install -e ".[dev]"') from None

from rekotrack import CompletionQueue, JobFailedError, PersonTracker, parse_lambda_event
from rekotrack.testing import LocalRekognition, SyntheticScene

ROLE_ARN = "arn:aws:iam::123456789012:role/RekognitionSnsPublish"


def one_job(role_arn: str, uri: str) -> None:
    # --8<-- [start:queue]
    tracker = PersonTracker()
    with CompletionQueue.create(role_arn) as queue:  # topic, queue, policy, subscription; deleted on exit
        job = tracker.start(uri, notification=queue.channel)
        note = queue.wait_for(job.job_id, timeout=3600)  # CompletionNotification; raises on FAILED/ERROR
        print(note.status, note.video.s3_object_name if note.video else None, note.time)
    # --8<-- [end:queue]


def wait_then_read(role_arn: str, uri: str) -> None:
    tracker = PersonTracker()
    with CompletionQueue.create(role_arn) as queue:
        # --8<-- [start:wait]
        job = tracker.start(uri, notification=queue.channel, job_tag="run-7")
        job.wait(timeout=3600, queue=queue)  # the queue, plus a Get status check now and then
        people = {det.person.index for det in job.persons() if det.person is not None}
        print(job.job_id, len(people), "people")
        # --8<-- [end:wait]


def batch(role_arn: str, videos: list[str]) -> None:
    tracker = PersonTracker()
    # --8<-- [start:batch]
    with CompletionQueue.create(role_arn) as queue:
        for video, outcome in tracker.track_many(videos, queue=queue, max_concurrent=5, timeout=3600):
            if isinstance(outcome, JobFailedError):
                print(video, outcome.status, outcome.status_message)
            elif isinstance(outcome, Exception):
                print(video, "not tracked:", outcome)
            else:
                print(video, "done:", outcome.job_id)
    # --8<-- [end:batch]


# --8<-- [start:lambda]
def handler(event: dict[str, Any], context: object) -> None:
    """A Lambda function subscribed to the topic (SNS event) or fed by the queue (SQS event)."""
    for note in parse_lambda_event(event):
        if note.status == "SUCCEEDED":
            print("ready:", note.job_id, note.job_tag)
        else:
            print("failed:", note.job_id, note.status)  # FAILED or ERROR


# --8<-- [end:lambda]


def attach(queue_url: str, topic_arn: str, role_arn: str, job_id: str) -> None:
    # --8<-- [start:attach]
    queue = CompletionQueue.attach(queue_url, topic_arn, role_arn)  # existing ones, never deleted
    note = queue.wait_for(job_id, timeout=600)
    # --8<-- [end:attach]
    print(note.status)


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    try:
        with LocalRekognition(job_seconds=0.5, max_concurrent_jobs=3, sns_endpoint_url=moto_url) as server:
            os.environ.update(
                AWS_ENDPOINT_URL_REKOGNITION=server.url,
                AWS_ENDPOINT_URL_SNS=moto_url,
                AWS_ENDPOINT_URL_SQS=moto_url,
                AWS_DEFAULT_REGION="us-east-1",
                AWS_ACCESS_KEY_ID="test",
                AWS_SECRET_ACCESS_KEY="test",
            )
            server.add_video("s3://bucket/broken.mp4", SyntheticScene(final_status="FAILED"))
            one_job(ROLE_ARN, "s3://bucket/lobby.mp4")
            wait_then_read(ROLE_ARN, "s3://bucket/hall.mp4")
            batch(ROLE_ARN, [f"s3://bucket/cam{i}.mp4" for i in range(6)] + ["s3://bucket/broken.mp4"])

            # What a Lambda function subscribed to the topic receives, built from a real message.
            sent = server.notifications[-1]
            envelope = {"Type": "Notification", "MessageId": "1", "TopicArn": sent.topic_arn, "Message": sent.message}
            handler({"Records": [{"EventSource": "aws:sns", "Sns": envelope}]}, None)
            handler({"Records": [{"eventSource": "aws:sqs", "body": json.dumps(envelope)}]}, None)

            with CompletionQueue.create(ROLE_ARN, keep=True) as kept:
                job = PersonTracker().start("s3://bucket/lobby.mp4", notification=kept.channel)
            attach(kept.queue_url, kept.topic_arn, ROLE_ARN, job.job_id)
            kept.keep = False
            kept.close()
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
