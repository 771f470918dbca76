"""A plain boto3 People Pathing script, unchanged except for ``endpoint_url``.

Run it against ``rekotrack serve`` (set REKOTRACK_ENDPOINT_URL to the URL it prints);
without that variable it starts the same server in-process so that it runs offline.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

import boto3


@contextlib.contextmanager
def endpoint() -> Iterator[str]:
    url = os.environ.get("REKOTRACK_ENDPOINT_URL")
    if url:
        yield url
        return
    from rekotrack.testing import LocalRekognition

    with LocalRekognition(job_seconds=0.5) as server:
        yield server.url


def main(endpoint_url: str) -> None:
    # ---- an ordinary People Pathing script from here on ----
    rekognition = boto3.client(
        "rekognition",
        region_name="us-east-1",
        endpoint_url=endpoint_url,  # the only line added
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    start = rekognition.start_person_tracking(
        Video={"S3Object": {"Bucket": "my-bucket", "Name": "lobby.mp4"}}
    )
    job_id = start["JobId"]
    while True:
        response = rekognition.get_person_tracking(JobId=job_id, MaxResults=1)
        if response["JobStatus"] != "IN_PROGRESS":
            break
        time.sleep(0.5)
    print("status:", response["JobStatus"])

    persons = []
    kwargs: dict[str, Any] = {"JobId": job_id, "SortBy": "TIMESTAMP", "MaxResults": 1000}
    while True:
        response = rekognition.get_person_tracking(**kwargs)
        persons.extend(response["Persons"])
        if "NextToken" not in response:
            break
        kwargs["NextToken"] = response["NextToken"]
    indexes = {p["Person"]["Index"] for p in persons if "Index" in p["Person"]}
    print(f"{len(persons)} detections of {len(indexes)} people")


if __name__ == "__main__":
    with endpoint() as url:
        main(url)
