"""``rekotrack demo``: the whole flow against an in-process local server, no AWS account needed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ._client import PersonTracker
from ._retry import RetryPolicy

__all__ = ["run_demo"]


def run_demo(
    *, out_dir: Path | None = None, people: int = 8, duration_s: float = 120.0, seed: int = 7, quiet: bool = False
) -> int:
    """Start a job on a synthetic scene, wait, iterate, summarise per person; returns the exit code."""
    from ._cli import Progress
    from .testing import LocalRekognition, SyntheticScene

    progress = Progress(sys.stderr, not quiet)
    uri = "s3://rekotrack-demo/walkway.mp4"
    scene = SyntheticScene(seed=seed, people=people, duration_ms=int(duration_s * 1000))
    began = time.monotonic()
    with LocalRekognition(job_seconds=1.5) as server:
        server.add_video(uri, scene)
        tracker = PersonTracker(server.client(), retry=RetryPolicy())
        print(f"local Rekognition server: {server.url} (People Pathing API, offline)")
        job = tracker.start(uri, job_tag="rekotrack-demo")
        print(f"started {job.job_id} on {uri}")
        checks = 0

        def on_status(page: object) -> None:
            nonlocal checks
            checks += 1
            progress.update(f"waiting for {job.job_id}: status check {checks}", force=True)

        job.wait(timeout=60, poll_interval=0.25, max_poll_interval=1.0, on_status=on_status)
        progress.done()
        print(f"job SUCCEEDED after {checks} status checks")

        summary: dict[int, list[int]] = {}  # index -> [first ms, last ms, detections]
        pager = job.persons(sort_by="TIMESTAMP")
        count = 0
        for det in pager:
            count += 1
            if count % 2000 == 0:
                progress.update(f"{count} detections")
            person, ts = det.person, det.timestamp
            if person is None or person.index is None or ts is None:
                continue
            row = summary.setdefault(person.index, [ts, ts, 0])
            row[1] = max(row[1], ts)
            row[2] += 1
        progress.done()
        meta = pager.video_metadata
        if meta is not None:
            print(
                f"video: {meta.frame_width}x{meta.frame_height} @ {meta.frame_rate} fps, "
                f"{(meta.duration_millis or 0) / 1000:.1f} s, codec {meta.codec}"
            )
        print(f"{count} detections of {len(summary)} people "
              f"({server.request_count('GetPersonTracking')} GetPersonTracking requests)")
        print(f"{'person':>6}  {'first seen':>10}  {'last seen':>10}  {'detections':>10}")
        for index in sorted(summary):
            first, last, n = summary[index]
            print(f"{index:>6}  {first / 1000:>9.1f}s  {last / 1000:>9.1f}s  {n:>10}")
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    print(f"done in {time.monotonic() - began:.1f} s")
    return 0
