"""Peak memory of iterating one job with raw boto3 or rekotrack (run in a fresh process).

Prints ``{"detections", "tracemalloc_peak_mb", "rss_peak_mb"}`` as JSON. The RSS peak is the
process's own ``VmHWM`` where ``/proc`` has it (``ru_maxrss`` keeps the parent's high-water
mark across fork and exec, so a large parent would mask the child's figure).
"""

from __future__ import annotations

import json
import resource
import sys
import tracemalloc

import boto3
from botocore.config import Config

from rekotrack import PersonTracker


def rss_peak_mb() -> float:
    """This process's own peak RSS in MB (``VmHWM``; ``ru_maxrss`` where /proc has none)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    print(json.dumps({"detections": count, "tracemalloc_peak_mb": peak / 2**20, "rss_peak_mb": rss_peak_mb()}))


if __name__ == "__main__":
    main()
