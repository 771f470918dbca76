"""Does the fast path's collector pause still pay? Validation CPU per page, paused vs not (issue 22, point 4).

One process holding four boto3 clients (as an application would: ~180,000 tracked objects),
validates a 1000-detection page (faces on half, every FaceDetail field filled) 100 times with
``rekotrack._fastpath.validate_page``, keeping the last two pages alive (what the pager holds)
and touching each item, with ``pause_gc`` on and off in alternating rounds. Reports the median
CPU time per page and the cyclic collections per 100 pages. No assertion: a measurement.

    python -m benchmarks.gc_pause [ROUNDS]
"""

from __future__ import annotations

import gc
import importlib
import json
import statistics
import sys
import time
from pathlib import Path

import boto3

from rekotrack import PersonTrackingPage
from rekotrack._fastpath import validate_page

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))
_support = importlib.import_module("unit_support")  # the test suite's detection and full FaceDetail

PAGES = 100


def _page_body() -> bytes:
    persons = []
    for t in range(1000):
        item = _support.detection(t * 40, t % 9)
        if t % 2:
            item["Person"]["Face"] = _support.full_face()
        persons.append(item)
    return json.dumps({"JobStatus": "SUCCEEDED", "JobId": "j", "NextToken": "n", "Persons": persons}).encode()


def _collections() -> int:
    return sum(stats["collections"] for stats in gc.get_stats())


def _run(body: bytes, pause_gc: bool) -> tuple[float, int]:
    held: list[PersonTrackingPage] = []
    cpu0, collected0 = time.process_time(), _collections()
    for _ in range(PAGES):
        page = validate_page(PersonTrackingPage, body, pause_gc)
        assert isinstance(page, PersonTrackingPage)
        held.append(page)
        for item in page.persons or ():
            _ = item.timestamp
        if len(held) > 2:
            held.pop(0)
    return (time.process_time() - cpu0) / PAGES * 1000, _collections() - collected0


def main(argv: list[str] | None = None) -> int:
    rounds = int((argv or sys.argv[1:] or ["4"])[0])
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    clients = [session.client(name) for name in ("rekognition", "s3", "sqs", "sns")]  # noqa: F841  (kept alive)
    body = _page_body()
    print(f"{len(gc.get_objects()):,} tracked objects; page of {len(body):,} bytes; {PAGES} pages a round")
    results: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
    for rnd in range(rounds):
        for pause_gc in (True, False) if rnd % 2 == 0 else (False, True):
            results[pause_gc].append(_run(body, pause_gc))
    for pause_gc, runs in results.items():
        ms = [m for m, _ in runs]
        print(
            f"pause_gc={pause_gc!s:<5}  CPU per page median {statistics.median(ms):6.2f} ms "
            f"(rounds: {', '.join(f'{m:.2f}' for m in ms)}); collections per {PAGES} pages: {[c for _, c in runs]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
