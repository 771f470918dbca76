"""20 jobs' results read with the asynchronous client: concurrently vs one after another.

    python -m benchmarks.async_bench            # 20 jobs x 20,000 detections, 0 and 50 ms per Get
    python -m benchmarks.async_bench --quick    # 20 jobs x 2,000 detections (CI)

The local server runs in its own process (``--serve``) and answers every
GetPersonTracking after ``latency`` seconds (a seeded "slow" fault on every
request), standing in for the round trip and service time to AWS. Wall times
are the client's; peak memory is measured (``tracemalloc``) in a separate pass
and compared with one job read alone, to show that concurrent iteration holds
about one page per job. Results go to ``benchmarks/async-results[-quick].json``;
``docs/performance.md`` has a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
JOBS = 20
PAGE_SIZE = 1000
CREDENTIALS: dict[str, Any] = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}


def serve(jobs: int, detections: int, latency: float) -> None:
    """The server process: ``jobs`` videos of ``detections`` each; prints URL and URIs, serves until stdin closes."""
    from rekotrack.testing import Faults, LocalRekognition, SyntheticScene

    faults = Faults(slow_rate=1.0, slow_seconds=latency, operations=("GetPersonTracking",)) if latency else None
    with LocalRekognition(job_seconds=0.0, faults=faults) as server:
        uris = []
        for i in range(jobs):
            uri = f"s3://bench-async/job-{i:02d}.mp4"
            server.add_video(uri, SyntheticScene.with_detections(detections, seed=100 + i, face_rate=0.5))
            uris.append(uri)
        print(json.dumps({"url": server.url, "uris": uris}), flush=True)
        sys.stdin.read()


@contextmanager
def server_process(jobs: int, detections: int, latency: float) -> Iterator[dict[str, Any]]:
    cmd = [
        sys.executable, "-m", "benchmarks.async_bench", "--serve",
        "--jobs", str(jobs), "--detections", str(detections), "--latency", str(latency),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    try:
        assert proc.stdout is not None
        info: dict[str, Any] = json.loads(proc.stdout.readline())
        yield info
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=30)


def finished_jobs(url: str, uris: list[str]) -> list[str]:
    """Start every job (synchronous client) and wait until all succeeded."""
    import boto3
    from botocore.config import Config

    from rekotrack import PersonTracker

    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    tracker = PersonTracker(boto3.client("rekognition", endpoint_url=url, config=config, **CREDENTIALS))
    job_ids = [tracker.start(uri).job_id for uri in uris]
    for job_id in job_ids:
        tracker.wait(job_id, timeout=120, poll_interval=0.05)
    return job_ids


async def _count(tracker: Any, job_id: str) -> int:
    count = 0
    async for _det in tracker.persons(job_id, page_size=PAGE_SIZE):
        count += 1
    return count


async def _raw_count(client: Any, job_id: str) -> int:
    """What an aiobotocore user writes: page with NextToken, loop over the dicts."""
    count = 0
    kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": PAGE_SIZE}
    while True:
        page = await client.get_person_tracking(**kwargs)
        count += len(page["Persons"])
        if "NextToken" not in page:
            return count
        kwargs["NextToken"] = page["NextToken"]


async def stream(client: Any, job_id: str, repeats: int = 5) -> dict[str, float]:
    """One job read alone, interleaved: raw aiobotocore, the tracker, the tracker without prefetch (median wall s)."""
    from rekotrack._aio import AsyncPersonTracker

    fast, serial = AsyncPersonTracker(client), AsyncPersonTracker(client, prefetch=False)
    runs: dict[str, Callable[[], Awaitable[int]]] = {
        "raw_aiobotocore_s": lambda: _raw_count(client, job_id),
        "prefetch_s": lambda: _count(fast, job_id),
        "no_prefetch_s": lambda: _count(serial, job_id),
    }
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for rep in range(repeats):
        for name in list(runs) if rep % 2 == 0 else list(reversed(runs)):
            start = time.perf_counter()
            await runs[name]()
            samples[name].append(time.perf_counter() - start)
    row = {name: statistics.median(values) for name, values in samples.items()}
    row["prefetch_ratio"] = row["prefetch_s"] / row["raw_aiobotocore_s"]
    row["no_prefetch_ratio"] = row["no_prefetch_s"] / row["raw_aiobotocore_s"]
    return row


async def sequential(tracker: Any, job_ids: list[str]) -> int:
    return sum([await _count(tracker, job_id) for job_id in job_ids])


async def concurrent(tracker: Any, job_ids: list[str]) -> int:
    return sum(await asyncio.gather(*(_count(tracker, job_id) for job_id in job_ids)))


async def measure(url: str, job_ids: list[str]) -> dict[str, Any]:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    from rekotrack._aio import AsyncPersonTracker

    # One connection per concurrent job (aiohttp's default pool is 10 per host).
    config = AioConfig(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=len(job_ids))
    session: Any = get_session()
    async with session.create_client("rekognition", endpoint_url=url, config=config, **CREDENTIALS) as client:
        tracker = AsyncPersonTracker(client)
        await _count(tracker, job_ids[0])  # warm up: connection, models, fast path

        async def timed(run: Callable[[Any, list[str]], Awaitable[int]]) -> tuple[float, int]:
            start = time.perf_counter()
            total = await run(tracker, job_ids)
            return time.perf_counter() - start, total

        seq_s, seq_n = await timed(sequential)
        con_s, con_n = await timed(concurrent)
        assert seq_n == con_n

        async def peak(run: Callable[[], Awaitable[int]]) -> float:
            tracemalloc.start()
            try:
                await run()
                return tracemalloc.get_traced_memory()[1] / 2**20
            finally:
                tracemalloc.stop()

        one_mb = await peak(lambda: _count(tracker, job_ids[0]))
        all_mb = await peak(lambda: concurrent(tracker, job_ids))
        one_stream = await stream(client, job_ids[0])
    return {
        "one_stream": one_stream,
        "detections": seq_n,
        "sequential_s": seq_s,
        "concurrent_s": con_s,
        "speedup": seq_s / con_s,
        "one_job_peak_mb": one_mb,
        "concurrent_peak_mb": all_mb,
        "peak_per_job_mb": all_mb / len(job_ids),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2,000 detections per job (CI)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=JOBS)
    parser.add_argument("--detections", type=int, default=None)
    parser.add_argument("--latency", type=float, default=None, help="seconds per Get (default: 0 and 0.05)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    detections = args.detections or (2_000 if args.quick else 20_000)
    if args.serve:
        serve(args.jobs, detections, args.latency or 0.0)
        return 0
    latencies = [args.latency] if args.latency is not None else [0.0, 0.05]
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "jobs": args.jobs,
        "detections_per_job": detections,
        "page_size": PAGE_SIZE,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "runs": [],
    }
    for latency in latencies:
        with server_process(args.jobs, detections, latency) as info:
            job_ids = finished_jobs(info["url"], info["uris"])
            row = {"latency_s": latency, **asyncio.run(measure(info["url"], job_ids))}
        results["runs"].append(row)
        print(
            f"  {args.jobs} jobs x {detections:,} det, {latency * 1000:.0f} ms/Get: "
            f"sequential {row['sequential_s']:.2f} s, concurrent {row['concurrent_s']:.2f} s "
            f"(x{row['speedup']:.1f}); peak {row['concurrent_peak_mb']:.1f} MB for {args.jobs} jobs "
            f"= {row['peak_per_job_mb']:.2f} MB/job (one job alone: {row['one_job_peak_mb']:.2f} MB)"
        )
        one = row["one_stream"]
        print(
            f"    one job alone (median of 5, interleaved): raw aiobotocore {one['raw_aiobotocore_s']:.2f} s, "
            f"tracker {one['prefetch_s']:.2f} s (x{one['prefetch_ratio']:.2f}), "
            f"prefetch=False {one['no_prefetch_s']:.2f} s (x{one['no_prefetch_ratio']:.2f})"
        )
    out = Path(args.out) if args.out else HERE / ("async-results-quick.json" if args.quick else "async-results.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
