"""Peak memory of iterating one job with raw boto3 or rekotrack (run in a fresh process).

Prints ``{"detections", "tracemalloc_peak_mb", "rss_peak_mb"}`` as JSON.
"""

from __future__ import annotations

import json
import resource
import sys
import tracemalloc

import boto3
from botocore.config import Config

from rekotrack import PersonTracker


def main() -> None:
    impl, url, job_id = sys.argv[1:4]
    client = boto3.client(
        "rekognition",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )
    tracemalloc.start()
    count = 0
    if impl == "raw":
        kwargs = {"JobId": job_id, "MaxResults": 1000}
        while True:
            page = client.get_person_tracking(**kwargs)  # type: ignore[arg-type]
            for _person in page["Persons"]:
                count += 1
            if "NextToken" not in page:
                break
            kwargs["NextToken"] = page["NextToken"]
    else:
        for _det in PersonTracker(client).persons(job_id):
            count += 1
    _, peak = tracemalloc.get_traced_memory()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"detections": count, "tracemalloc_peak_mb": peak / 2**20, "rss_peak_mb": rss_kb / 1024}))


if __name__ == "__main__":
    main()
