"""Labels and faces: rekotrack's job classes vs raw boto3, iteration speed and memory, in one run on one machine.

    python -m benchmarks.jobs_bench            # full: ~10k and ~50k items per kind; 5 interleaved repeats
    python -m benchmarks.jobs_bench --quick    # a small run that proves the script works (CI)

The same method as ``benchmarks/run.py`` for persons: the local server runs in its
own process (``--serve``), every implementation reads the same finished job over
real HTTP, repeats are interleaved (A/B, then B/A) and the median is reported;
CPU is ``time.process_time`` of the client process (every thread). Memory is
measured in a fresh process per implementation and size (``--memory``): the peak
while iterating every item, and the peak while keeping them all (raw: a list of
the page dicts; rekotrack: ``collect()``, the compact result). Results go to
``benchmarks/jobs-results.json`` (``--out``); ``docs/performance.md`` summarises a
full run.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks._memory import rss_peak_mb
from benchmarks.run import _client
from rekotrack import FaceDetector, LabelDetector

HERE = Path(__file__).resolve().parent
MAX_DURATION_MS = 6 * 3600 * 1000 - 1000  # StartLabelDetection refuses longer videos (VideoTooLargeException)
KINDS: dict[str, tuple[type[Any], str, str, str]] = {
    # kind: (rekotrack class, items method, boto3 Get method, list key)
    "labels": (LabelDetector, "labels", "get_label_detection", "Labels"),
    "faces": (FaceDetector, "faces", "get_face_detection", "Faces"),
}


# ---- the server process ------------------------------------------------------------------------


def serve(sizes: list[int]) -> None:
    """Add a video per kind and size whose job returns about ``size`` items; print their URIs; serve until EOF."""
    from rekotrack.testing import LocalRekognition, SyntheticScene

    with LocalRekognition(job_seconds=0.0) as server:
        videos: dict[str, dict[str, str]] = {"labels": {}, "faces": {}}
        for size in sizes:
            # about 3 labels per second of a 12-person scene (videos are at most 6 hours: ~60k labels);
            # about one face per two person detections
            labels = SyntheticScene(seed=1, people=12, duration_ms=min(MAX_DURATION_MS, max(60_000, size * 340)))
            faces = SyntheticScene.with_detections(2 * size, seed=1, face_rate=0.5)
            for kind, scene in (("labels", labels), ("faces", faces)):
                uri = f"s3://bench/{kind}-{size}.mp4"
                server.add_video(uri, scene)
                videos[kind][str(size)] = uri
        print(json.dumps({"url": server.url, "videos": videos}), flush=True)
        sys.stdin.read()


@contextmanager
def server_process(sizes: list[int]) -> Iterator[dict[str, Any]]:
    cmd = [sys.executable, "-m", "benchmarks.jobs_bench", "--serve", "--sizes", ",".join(map(str, sizes))]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    try:
        assert proc.stdout is not None
        info: dict[str, Any] = json.loads(proc.stdout.readline())
        yield info
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=60)


# ---- what is measured ----------------------------------------------------------------------------


def raw_pages(client: Any, kind: str, job_id: str) -> Iterator[list[dict[str, Any]]]:
    """What a boto3 user writes: Get with NextToken until there is none."""
    get = getattr(client, KINDS[kind][2])
    list_key = KINDS[kind][3]
    kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": 1000}
    while True:
        page = get(**kwargs)
        yield page[list_key]
        if "NextToken" not in page:
            return
        kwargs["NextToken"] = page["NextToken"]


def raw_iterate(client: Any, kind: str, job_id: str) -> int:
    count = 0
    for items in raw_pages(client, kind, job_id):
        for _item in items:
            count += 1
    return count


def rekotrack_iterate(detector: Any, kind: str, job_id: str) -> int:
    count = 0
    for _item in getattr(detector, KINDS[kind][1])(job_id):
        count += 1
    return count


def _timed(fn: Callable[[], int]) -> tuple[float, float, int]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall0, time.process_time() - cpu0, result


def finished_jobs(url: str, videos: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Start and finish every job, then read each once untimed (the server builds its result on first read)."""
    client = _client(url)
    jobs: dict[str, dict[str, str]] = {}
    for kind, by_size in videos.items():
        detector = KINDS[kind][0](client)
        for size, uri in by_size.items():
            job = detector.start(uri)
            job.wait(timeout=600, poll_interval=0.05)
            raw_iterate(client, kind, job.job_id)
            jobs.setdefault(kind, {})[size] = job.job_id
    return jobs


def _implementations(url: str, kind: str) -> dict[str, Callable[[str], int]]:
    """Raw boto3 and three rekotrack set-ups (default, no prefetch, no fast path), each with its own client."""
    cls = KINDS[kind][0]
    raw_client = _client(url)
    detectors = {
        "rekotrack": cls(_client(url)),
        "rekotrack_no_prefetch": cls(_client(url), prefetch=False),
        "rekotrack_plain": cls(_client(url), fast_path=False),
    }
    impls: dict[str, Callable[[str], int]] = {"raw_boto3": lambda job: raw_iterate(raw_client, kind, job)}
    for name, detector in detectors.items():
        impls[name] = lambda job, d=detector: rekotrack_iterate(d, kind, job)  # type: ignore[misc]
    return impls


def bench_throughput(url: str, jobs: dict[str, dict[str, str]], repeats: int) -> list[dict[str, Any]]:
    rows = []
    for kind, by_size in jobs.items():
        impls = _implementations(url, kind)
        for _size, job_id in sorted(by_size.items(), key=lambda item: int(item[0])):
            samples: dict[str, list[tuple[float, float]]] = {name: [] for name in impls}
            counts = set()
            for rep in range(repeats):
                order = list(impls) if rep % 2 == 0 else list(reversed(impls))
                for name in order:
                    wall, cpu, count = _timed(lambda run=impls[name], job_id=job_id: run(job_id))  # type: ignore[misc]
                    samples[name].append((wall, cpu))
                    counts.add(count)
            assert len(counts) == 1, f"implementations disagree on the item count: {counts}"
            n = counts.pop()
            row: dict[str, Any] = {"kind": kind, "items": n, "repeats": repeats}
            for name, values in samples.items():
                wall = statistics.median(w for w, _ in values)
                cpu = statistics.median(c for _, c in values)
                row[name] = {"wall_s": wall, "cpu_s": cpu, "items_per_s": n / wall, "cpu_us_per_item": cpu / n * 1e6}
            for name in ("rekotrack", "rekotrack_no_prefetch", "rekotrack_plain"):
                row[name]["wall_ratio_vs_raw"] = row[name]["wall_s"] / row["raw_boto3"]["wall_s"]
                row[name]["cpu_ratio_vs_raw"] = row[name]["cpu_s"] / row["raw_boto3"]["cpu_s"]
            rows.append(row)
            print(
                f"  {kind:<6} N={n:>8,}  raw {row['raw_boto3']['items_per_s']:>9,.0f}/s  "
                f"rekotrack {row['rekotrack']['items_per_s']:>9,.0f}/s  "
                f"wall {row['rekotrack']['wall_ratio_vs_raw']:.2f}  cpu {row['rekotrack']['cpu_ratio_vs_raw']:.2f}  "
                f"(no prefetch: wall {row['rekotrack_no_prefetch']['wall_ratio_vs_raw']:.2f}; "
                f"plain path: wall {row['rekotrack_plain']['wall_ratio_vs_raw']:.2f})",
                flush=True,
            )
    return rows


def memory_child(impl: str, mode: str, kind: str, url: str, job_id: str) -> None:
    """In a fresh process: the peak memory of iterating (``iterate``) or keeping (``keep``) every item."""
    client = _client(url)
    tracemalloc.start()
    count = 0
    nbytes = None
    if impl == "raw" and mode == "iterate":
        count = raw_iterate(client, kind, job_id)
    elif impl == "raw":
        kept = [item for items in raw_pages(client, kind, job_id) for item in items]
        count = len(kept)
    elif mode == "iterate":
        count = rekotrack_iterate(KINDS[kind][0](client), kind, job_id)
    else:
        result = KINDS[kind][0](client).collect(job_id)
        count, nbytes = len(result), result.nbytes
    _, peak = tracemalloc.get_traced_memory()
    print(json.dumps({"items": count, "tracemalloc_peak_mb": peak / 2**20, "rss_peak_mb": rss_peak_mb(),
                      "result_nbytes": nbytes}))


def bench_memory(url: str, jobs: dict[str, dict[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, by_size in jobs.items():
        for mode in ("iterate", "keep"):
            for impl in ("raw", "rekotrack"):
                for size, job_id in sorted(by_size.items(), key=lambda item: int(item[0])):
                    proc = subprocess.run(
                        [sys.executable, "-m", "benchmarks.jobs_bench", "--memory", impl, mode, kind, url, job_id],
                        capture_output=True, text=True, check=True, cwd=HERE.parent,
                    )
                    result = json.loads(proc.stdout)
                    out.setdefault(kind, {}).setdefault(mode, {}).setdefault(impl, {})[size] = result
                    print(
                        f"  {kind:<6} {mode:<7} {impl:<9} N={result['items']:>8,}  "
                        f"tracemalloc peak {result['tracemalloc_peak_mb']:7.1f} MB  "
                        f"RSS peak {result['rss_peak_mb']:7.1f} MB",
                        flush=True,
                    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 repeats (for CI)")
    parser.add_argument("--sizes", default=None, help="comma-separated item counts (default 10000,50000)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--out", default=None, help="JSON results file (default benchmarks/jobs-results.json)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory", nargs=5, metavar=("IMPL", "MODE", "KIND", "URL", "JOB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    default_sizes = "2000" if args.quick else "10000,50000"
    sizes = [int(s) for s in (args.sizes or default_sizes).split(",") if s]
    if args.serve:
        serve(sizes)
        return 0
    if args.memory:
        memory_child(*args.memory)
        return 0
    repeats = args.repeats or (2 if args.quick else 5)
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": _cpus()},
        "sizes": sizes,
    }
    with server_process(sizes) as info:
        jobs = finished_jobs(info["url"], info["videos"])
        print("throughput (median of", repeats, "interleaved runs):", flush=True)
        results["throughput"] = bench_throughput(info["url"], jobs, repeats)
        print("memory (fresh process each):", flush=True)
        results["memory"] = bench_memory(info["url"], jobs)
    if args.quick and not args.out:
        return 0  # a quick run proves the script works; it does not replace the full run's figures
    out = Path(args.out) if args.out else HERE / "jobs-results.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("wrote", out)
    return 0


def _cpus() -> int | None:
    import os

    return os.cpu_count()


if __name__ == "__main__":
    sys.exit(main())
