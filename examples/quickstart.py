"""Quickstart: start a job, wait, and loop over typed detections.

Offline by default: it starts the local server and points boto3 at it through the
standard ``AWS_ENDPOINT_URL_REKOGNITION`` variable, so the code below is exactly the
code that runs against AWS.
"""

from __future__ import annotations

import os

from rekotrack import RetryPolicy
from rekotrack.testing import LocalRekognition, SyntheticScene


def run() -> None:
    # --8<-- [start:aws]
    from rekotrack import PersonTracker

    tracker = PersonTracker()  # boto3.client("rekognition"), botocore retries off
    for det in tracker.start("s3://bucket/clip.mp4").persons():
        box = det.person.bounding_box  # None when only the face was seen
        if box is not None:
            print(det.timestamp, det.person.index, box.left, box.top, box.width, box.height)
    # --8<-- [end:aws]

    # --8<-- [start:job]
    tracker = PersonTracker(retry=RetryPolicy(max_attempts=8))
    job = tracker.start("s3://bucket/clip.mp4", job_tag="run-7")
    job.wait(timeout=3600)  # polls Get (MaxResults=1) with capped backoff and jitter
    pager = job.persons(sort_by="INDEX")  # PersonTrackingPager
    for det in pager:
        if det.person.bounding_box is not None:
            print(det.timestamp, det.person.index, det.person.bounding_box.left)
    print(pager.video_metadata)  # VideoMetadata (on every page)
    # --8<-- [end:job]


def main() -> None:
    with LocalRekognition(job_seconds=0.5) as server:
        server.add_video("s3://bucket/clip.mp4", SyntheticScene(seed=3, people=4, duration_ms=20_000))
        os.environ.update(
            AWS_ENDPOINT_URL_REKOGNITION=server.url,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
        )
        run()


if __name__ == "__main__":
    main()
