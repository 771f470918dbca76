"""rekotrack vs raw boto3, measured in one run on one machine.

    python -m benchmarks            # full: N = 10k, 100k, 1M; 5 interleaved repeats
    python -m benchmarks --quick    # a small run that proves the script works (CI)

The local server runs in a separate process, so wall times are the client's
experience over real HTTP and the CPU times (``time.process_time``: every thread
of the client process, the prefetching one included) are the client's own cost.
Results go to ``benchmarks/results.json`` (``--out``); ``docs/performance.md``
summarises a full run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import boto3
import botocore
import pydantic
from botocore.config import Config

import rekotrack
from rekotrack import PersonTracker, RetryPolicy

HERE = Path(__file__).resolve().parent
RAW_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _client(url: str, config: Config = RAW_CONFIG) -> Any:
    return boto3.client(
        "rekognition",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )


@contextmanager
def server_process(sizes: list[int], **options: Any) -> Iterator[dict[str, Any]]:
    cmd = [sys.executable, "-m", "benchmarks._serve", "--sizes", ",".join(map(str, sizes))]
    for key, value in options.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    try:
        assert proc.stdout is not None
        info: dict[str, Any] = json.loads(proc.stdout.readline())
        yield info
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=30)


def _finished_jobs(url: str, videos: dict[str, int]) -> dict[int, str]:
    tracker = PersonTracker(_client(url))
    jobs = {}
    for uri, size in videos.items():
        job = tracker.start(uri)
        tracker.wait(job.job_id, timeout=120, poll_interval=0.05)
        jobs[size] = job.job_id
    return jobs


def raw_iterate(client: Any, job_id: str) -> int:
    """What a boto3 user writes: page with NextToken, loop over the dicts."""
    count = 0
    kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": 1000}
    while True:
        page = client.get_person_tracking(**kwargs)
        for _person in page["Persons"]:
            count += 1
        if "NextToken" not in page:
            return count
        kwargs["NextToken"] = page["NextToken"]


def rekotrack_iterate(tracker: PersonTracker, job_id: str) -> int:
    count = 0
    for _det in tracker.persons(job_id):
        count += 1
    return count


def _timed(fn: Callable[[], int]) -> tuple[float, float, int]:
    """Wall time and the CPU time of every thread of this process (the server runs in another)."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall0, time.process_time() - cpu0, result


def bench_throughput(url: str, jobs: dict[int, str], repeats: int) -> list[dict[str, Any]]:
    raw_client = _client(url)
    fast = PersonTracker(_client(url))
    serial = PersonTracker(_client(url), prefetch=False)
    plain = PersonTracker(_client(url), fast_path=False)
    impls: dict[str, Callable[[str], int]] = {
        "raw_boto3": lambda job: raw_iterate(raw_client, job),
        "rekotrack": lambda job: rekotrack_iterate(fast, job),
        "rekotrack_no_prefetch": lambda job: rekotrack_iterate(serial, job),
        "rekotrack_plain": lambda job: rekotrack_iterate(plain, job),
    }
    rows = []
    for _size, job_id in sorted(jobs.items()):
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in impls}
        counts = set()
        for rep in range(repeats):
            order = list(impls) if rep % 2 == 0 else list(reversed(impls))  # interleaved A/B
            for name in order:
                run = impls[name]
                wall, cpu, count = _timed(lambda run=run, job_id=job_id: run(job_id))  # type: ignore[misc]
                samples[name].append((wall, cpu))
                counts.add(count)
        assert len(counts) == 1, f"implementations disagree on the detection count: {counts}"
        row: dict[str, Any] = {"detections": counts.pop(), "repeats": repeats}
        for name, values in samples.items():
            row[name] = {
                "wall_s": statistics.median(w for w, _ in values),
                "cpu_s": statistics.median(c for _, c in values),
            }
        n = row["detections"]
        for name in impls:
            row[name]["detections_per_s"] = n / row[name]["wall_s"]
            row[name]["cpu_us_per_detection"] = row[name]["cpu_s"] / n * 1e6
        for name in ("rekotrack", "rekotrack_no_prefetch", "rekotrack_plain"):
            row[name]["wall_ratio_vs_raw"] = row[name]["wall_s"] / row["raw_boto3"]["wall_s"]
            row[name]["cpu_ratio_vs_raw"] = row[name]["cpu_s"] / row["raw_boto3"]["cpu_s"]
        rows.append(row)
        print(
            f"  N={n:>9,}  raw {n / row['raw_boto3']['wall_s']:>9,.0f} det/s  "
            f"rekotrack {n / row['rekotrack']['wall_s']:>9,.0f} det/s  "
            f"wall ratio {row['rekotrack']['wall_ratio_vs_raw']:.2f}  "
            f"cpu ratio {row['rekotrack']['cpu_ratio_vs_raw']:.2f}  "
            f"(no prefetch: wall {row['rekotrack_no_prefetch']['wall_ratio_vs_raw']:.2f}, "
            f"cpu {row['rekotrack_no_prefetch']['cpu_ratio_vs_raw']:.2f}; "
            f"plain path: wall {row['rekotrack_plain']['wall_ratio_vs_raw']:.2f}, "
            f"cpu {row['rekotrack_plain']['cpu_ratio_vs_raw']:.2f})",
            flush=True,
        )
    return rows


def bench_memory(url: str, jobs: dict[int, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for impl in ("raw", "rekotrack"):
        for size, job_id in sorted(jobs.items()):
            proc = subprocess.run(
                [sys.executable, "-m", "benchmarks._memory", impl, url, job_id],
                capture_output=True, text=True, check=True, cwd=HERE.parent,
            )
            result = json.loads(proc.stdout)
            out.setdefault(impl, {})[str(size)] = result
            print(
                f"  {impl:<9} N={result['detections']:>9,}  tracemalloc peak {result['tracemalloc_peak_mb']:7.1f} MB"
                f"  RSS peak {result['rss_peak_mb']:7.1f} MB",
                flush=True,
            )
    sizes = sorted(jobs)
    if len(sizes) >= 2:
        for impl in ("raw", "rekotrack"):
            small, big = out[impl][str(sizes[0])], out[impl][str(sizes[-1])]
            out[impl]["rss_growth_mb"] = big["rss_peak_mb"] - small["rss_peak_mb"]
            out[impl]["tracemalloc_growth_mb"] = big["tracemalloc_peak_mb"] - small["tracemalloc_peak_mb"]
    return out


def _throttled_run(size: int, seed: int) -> dict[str, Any]:
    with server_process([size], throttle_rate=0.3, seed=seed) as info:
        url = info["url"]
        tracker = PersonTracker(_client(url), retry=RetryPolicy(max_attempts=10))
        job = tracker.start(next(iter(info["videos"])))
        tracker.wait(job.job_id, timeout=120, poll_interval=0.05)
        calls = 0

        def count(**_: Any) -> None:
            nonlocal calls
            calls += 1

        tracker.client.meta.events.register("before-send.rekognition.GetPersonTracking", count)
        began = time.perf_counter()
        got = rekotrack_iterate(tracker, job.job_id)
        elapsed = time.perf_counter() - began
    truth = next(iter(info["videos"].values()))
    return {"seed": seed, "ground_truth_detections": truth, "detections_retrieved": got, "get_calls": calls,
            "minimum_calls": -(-truth // 1000), "total_s": elapsed}


def bench_throttling(size: int, seeds: list[int]) -> dict[str, Any]:
    """Every GetPersonTracking is throttled with probability 0.3, independently; the expected cost is 1/0.7 = 1.43x."""
    runs = [_throttled_run(size, seed) for seed in seeds]
    calls = sum(r["get_calls"] for r in runs)
    minimum = sum(r["minimum_calls"] for r in runs)
    result = {
        "throttle_rate": 0.3,
        "runs": runs,
        "ground_truth_detections": sum(r["ground_truth_detections"] for r in runs),
        "detections_retrieved": sum(r["detections_retrieved"] for r in runs),
        "get_calls": calls,
        "minimum_calls": minimum,
        "calls_ratio": calls / minimum,
        "total_s": sum(r["total_s"] for r in runs),
    }
    for r in runs:
        print(f"  seed {r['seed']}: {r['detections_retrieved']:,}/{r['ground_truth_detections']:,} detections, "
              f"{r['get_calls']} Get calls for a minimum of {r['minimum_calls']} "
              f"({r['get_calls'] / r['minimum_calls']:.2f}x), {r['total_s']:.1f} s", flush=True)
    print(f"  all seeds: {calls} calls for a minimum of {minimum} ({calls / minimum:.2f}x; 1/(1-0.3) = 1.43x expected)",
          flush=True)
    return result


def bench_completion(idle_seconds: float) -> dict[str, Any] | None:
    try:
        from moto.server import ThreadedMotoServer

        from rekotrack import CompletionQueue  # type: ignore[attr-defined]
    except ImportError as exc:
        print(f"  skipped: {exc}")
        return None
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        moto_url = f"http://{host}:{port}"
        aws = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}
        sns = boto3.client("sns", endpoint_url=moto_url, **aws)
        sqs = boto3.client("sqs", endpoint_url=moto_url, **aws)
        role = "arn:aws:iam::123456789012:role/RekognitionSNS"
        job_seconds = 2.0
        with server_process([10_000], sns_endpoint_url=moto_url, job_seconds=job_seconds) as info, \
                CompletionQueue.create(role, sns_client=sns, sqs_client=sqs) as queue:
            uri = next(iter(info["videos"]))
            tracker = PersonTracker(_client(info["url"]))
            latencies = []
            for _ in range(3):
                job = tracker.start(uri, notification=queue.channel)
                note = queue.wait_for(job.job_id, timeout=60)
                latencies.append(time.time() - (note.timestamp or 0) / 1000)
            get_latency = []
            for _ in range(2):
                began = time.time()
                job = tracker.start(uri)
                tracker.wait(job.job_id, timeout=120)
                get_latency.append(time.time() - began - job_seconds)
            idle: dict[str, Any] = {"seconds": idle_seconds}
            if idle_seconds > 0:
                before = queue.receive_calls
                with suppress(rekotrack.WaitTimeoutError):
                    queue.wait_for("job-that-never-ends", timeout=idle_seconds)
                idle["sqs_receives"] = queue.receive_calls - before
                polls = 0

                def count(**_: Any) -> None:
                    nonlocal polls
                    polls += 1

                with server_process([1000], job_seconds=3600) as long_info:
                    slow = PersonTracker(_client(long_info["url"]))
                    slow.client.meta.events.register("before-send.rekognition.GetPersonTracking", count)
                    long_job = slow.start(next(iter(long_info["videos"])))
                    with suppress(rekotrack.WaitTimeoutError):
                        slow.wait(long_job.job_id, timeout=idle_seconds)
                idle["get_polls"] = polls
                idle["sqs_receives_per_minute"] = idle["sqs_receives"] * 60 / idle_seconds
                idle["get_polls_per_minute"] = polls * 60 / idle_seconds
    finally:
        moto.stop()
    result = {
        "sqs_latency_s": statistics.median(latencies),
        "sqs_latencies_s": latencies,
        "get_polling_latency_s": statistics.median(get_latency),
        "idle": idle,
    }
    print(
        f"  publish -> wait_for returned: median {result['sqs_latency_s']:.3f} s; "
        f"Get polling: {result['get_polling_latency_s']:.2f} s after the job ended; idle: {idle}",
        flush=True,
    )
    return result


def _targets(results: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    out: list[tuple[str, bool | None, str]] = []
    rows = results["throughput"]
    row = next((r for r in rows if 90_000 <= r["detections"] <= 110_000), rows[-1])
    ratio = row["rekotrack"]["wall_ratio_vs_raw"]
    out.append(("iteration wall time <= 0.5x raw boto3", ratio <= 0.5, f"{ratio:.2f}x at N={row['detections']:,}"))
    cpu = row["rekotrack"]["cpu_ratio_vs_raw"]
    out.append(("client CPU, all threads, <= 0.6x raw boto3", cpu <= 0.6, f"{cpu:.2f}x at N={row['detections']:,}"))
    mem = (results.get("memory") or {}).get("rekotrack", {})
    growth = mem.get("rss_growth_mb")
    out.append(("memory growth 100k -> 1M < 30 MB", None if growth is None else growth < 30,
                "n/a" if growth is None else f"{growth:.1f} MB RSS"))
    comp = results.get("completion")
    if comp:
        idle = comp["idle"].get("sqs_receives_per_minute")
        ok = comp["sqs_latency_s"] < 1.0 and (idle is None or idle <= 3)
        out.append(("completion < 1 s after publish, <= 3 receives per idle minute", ok,
                    f"{comp['sqs_latency_s']:.3f} s, {idle if idle is not None else 'n/a'} receives/min"))
    thr = results.get("throttling")
    if thr:
        ok = thr["detections_retrieved"] == thr["ground_truth_detections"] and thr["calls_ratio"] <= 1.5
        out.append(("30% throttling: all detections, calls <= 1.5x minimum", ok,
                    f"{thr['detections_retrieved']:,}/{thr['ground_truth_detections']:,}, {thr['calls_ratio']:.2f}x"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 repeats (for CI)")
    parser.add_argument("--out", default=None, help="JSON results file (default benchmarks/results.json)")
    parser.add_argument("--sizes", default=None, help="comma-separated detection counts (default 10k,100k,1M)")
    parser.add_argument(
        "--only", default=None, help="comma-separated parts to run: throughput,memory,throttling,completion"
    )
    args = parser.parse_args(argv)
    sizes = [2_000, 20_000] if args.quick else [10_000, 100_000, 1_000_000]
    if args.sizes:
        sizes = [int(size) for size in args.sizes.split(",")]
    parts = set(args.only.split(",")) if args.only else {"throughput", "memory", "throttling", "completion"}
    repeats = 2 if args.quick else 5
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "boto3": boto3.__version__,
            "botocore": botocore.__version__,
            "pydantic": pydantic.VERSION,
            "rekotrack": rekotrack.__version__,
        },
    }
    print(f"machine: {results['machine']}")
    with server_process(sizes) as info:
        jobs = _finished_jobs(info["url"], info["videos"])
        print(f"iteration throughput (median of {repeats}, interleaved):")
        results["throughput"] = bench_throughput(info["url"], jobs, repeats)
        if "memory" in parts:
            print("peak memory while iterating (fresh process each):")
            smallest = sizes[-2] if len(sizes) > 1 else sizes[-1]
            results["memory"] = bench_memory(info["url"], {s: j for s, j in jobs.items() if s >= smallest})
    if "throttling" in parts:
        print("under 30% injected throttling:")
        results["throttling"] = bench_throttling(sizes[-2] if not args.quick else sizes[-1],
                                                 [7] if args.quick else [7, 8, 9, 10, 11])
    if "completion" in parts:
        print("completion:")
        results["completion"] = bench_completion(0.0 if args.quick else 60.0)
    print("targets:")
    results["targets"] = []
    for name, ok, detail in _targets(results):
        verdict = "n/a" if ok is None else ("HOLDS" if ok else "MISSED")
        results["targets"].append({"target": name, "holds": ok, "measured": detail})
        print(f"  [{verdict:>6}] {name}: {detail}")
    out = Path(args.out) if args.out else HERE / ("results-quick.json" if args.quick else "results.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {out}")
    return 0
