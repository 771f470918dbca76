"""Measure paging a 1,000,000-detection scene from LocalRekognition in-process.

    python -m benchmarks.local_server [--detections N] [--raw]

Prints the time to read every page through boto3 (or, with ``--raw``, through
``http.client`` with the JSON decoded by ``json.loads``) and checks the count.
"""

from __future__ import annotations

import argparse
import http.client
import json
import time
from typing import Any

from rekotrack.testing import LocalRekognition, SyntheticScene


def _boto3_pages(server: LocalRekognition, job_id: str, sort_by: str) -> tuple[int, int]:
    client = server.client()
    kwargs: dict[str, Any] = {"JobId": job_id, "SortBy": sort_by}
    pages = count = 0
    while True:
        page = client.get_person_tracking(**kwargs)
        pages += 1
        count += len(page["Persons"])
        if "NextToken" not in page:
            return pages, count
        kwargs["NextToken"] = page["NextToken"]


def _raw_pages(server: LocalRekognition, job_id: str, sort_by: str) -> tuple[int, int]:
    conn = http.client.HTTPConnection(server.host, server.port)
    body: dict[str, Any] = {"JobId": job_id, "SortBy": sort_by}
    pages = count = 0
    headers = {"X-Amz-Target": "RekognitionService.GetPersonTracking", "Content-Type": "application/x-amz-json-1.1"}
    while True:
        conn.request("POST", "/", json.dumps(body), headers)
        page = json.loads(conn.getresponse().read())
        pages += 1
        count += len(page["Persons"])
        if "NextToken" not in page:
            conn.close()
            return pages, count
        body["NextToken"] = page["NextToken"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--detections", type=int, default=1_000_000)
    parser.add_argument("--raw", action="store_true", help="http.client + json instead of boto3")
    parser.add_argument("--sort-by", default="TIMESTAMP", choices=["TIMESTAMP", "INDEX"])
    args = parser.parse_args()
    began = time.perf_counter()
    scene = SyntheticScene.with_detections(args.detections, seed=1)
    print(f"scene: {len(scene):,} detections, {scene.people} people, built in {time.perf_counter() - began:.2f}s")
    with LocalRekognition(job_seconds=0) as server:
        server.add_video("s3://bench/video.mp4", scene)
        job_id = server.client().start_person_tracking(Video={"S3Object": {"Bucket": "bench", "Name": "video.mp4"}})[
            "JobId"
        ]
        began = time.perf_counter()
        pages, count = (_raw_pages if args.raw else _boto3_pages)(server, job_id, args.sort_by)
        elapsed = time.perf_counter() - began
    assert count == len(scene), (count, len(scene))
    how = "http.client+json" if args.raw else "boto3"
    per_page = elapsed / pages * 1000
    print(f"{how} {args.sort_by}: {pages} pages, {count:,} detections in {elapsed:.1f}s ({per_page:.1f} ms/page)")


if __name__ == "__main__":
    main()
