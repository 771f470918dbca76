"""``rekotrack demo``: the whole flow against an in-process local server, no AWS account needed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from rekotrack import PersonDetection, PersonTracker, PersonTrackingPage, TrackingResult

from ._progress import Progress

__all__ = ["run_demo"]


def run_demo(
    *, out_dir: Path | None = None, people: int = 8, duration_s: float = 120.0, seed: int = 7, quiet: bool = False
) -> int:
    """Start a job on a synthetic scene, wait, iterate, summarise, export; returns the exit code."""
    from .testing import LocalRekognition, SyntheticScene

    out = out_dir or Path(f"rekotrack-demo-{datetime.now():%Y%m%d-%H%M%S}")
    out.mkdir(parents=True, exist_ok=True)  # an unusable folder fails now, before any work
    uri = "s3://rekotrack-demo/walkway.mp4"
    scene = SyntheticScene(seed=seed, people=people, duration_ms=int(duration_s * 1000), face_rate=0.3)
    began = time.monotonic()
    with LocalRekognition(job_seconds=1.5) as server:
        server.add_video(uri, scene)
        tracker = PersonTracker(server.client())
        print(f"local Rekognition server: {server.url} (People Pathing API, offline, no AWS account)")
        job = tracker.start(uri, job_tag="rekotrack-demo")
        print(f"started job {job.job_id[:16]}... on {uri}")
        checks = 0
        with Progress("waiting", enabled=not quiet) as progress:

            def on_status(page: PersonTrackingPage) -> None:
                nonlocal checks
                checks += 1
                progress.status(f"{page.job_status}, {checks} status checks")

            job.wait(timeout=60, poll_interval=0.25, max_poll_interval=1.0, on_status=on_status)
        print(f"job SUCCEEDED after {checks} status checks")

        pager = job.persons(sort_by="TIMESTAMP")  # lazily, one page at a time
        count = 0
        with Progress("reading", unit="detections", counting=True, enabled=not quiet) as progress:

            def each_detection() -> Iterator[PersonDetection]:
                nonlocal count
                for det in pager:  # the for-loop over typed detections
                    count += 1
                    progress.advance()
                    yield det

            # One pass: the loop above feeds the result (VideoMetadata comes with the first page).
            result = TrackingResult.from_detections(
                each_detection(), video_metadata=pager.video_metadata, job_id=job.job_id
            )
        requests = server.request_count("GetPersonTracking")

    meta = result.video_metadata
    if meta is not None:
        print(
            f"video: {meta.frame_width}x{meta.frame_height} @ {meta.frame_rate} fps, "
            f"{(meta.duration_millis or 0) / 1000:.1f} s, codec {meta.codec}"
        )
    tracks = result.tracks()
    print(f"{count} detections of {len(tracks)} people ({requests} GetPersonTracking requests)")
    columns = ("person", "first seen", "last seen", "span", "detections", "re-entries")
    print("  ".join(f"{name:>{max(6, len(name))}}" for name in columns))
    for index, track in tracks.items():
        print(
            f"{index:>6}  {track.first_seen_ms / 1000:>9.1f}s  {track.last_seen_ms / 1000:>8.1f}s  "
            f"{track.duration_ms / 1000:>5.1f}s  {track.detection_count:>10}  {len(track.gaps()):>10}"
        )

    written = [out / "detections.jsonl", out / "detections.csv", out / "detections.mot.txt", out / "result.jsonl"]
    result.to_jsonl(written[0])
    result.to_csv(written[1])
    result.to_mot(written[2])
    result.save(written[3])
    try:
        from ._plots import plot_paths, plot_presence

        plot_presence(result, out / "presence.png", title="Who is visible when (synthetic walkway)")
        plot_paths(result, out / "paths.png", title="Box-centre paths (synthetic walkway)")
        written += [out / "presence.png", out / "paths.png"]
    except ImportError:
        print("plots skipped: matplotlib is not installed (pip install '.[plot]' in a clone)")
    print(f"wrote {', '.join(p.name for p in written)} to {out}/")
    print(f"done in {time.monotonic() - began:.1f} s")
    return 0
