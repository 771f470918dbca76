"""The compact result stores: memory per item and speed of building, reading and exporting, old vs new.

    python -m benchmarks.results_store --before /path/to/other/checkout/src   # two implementations, interleaved
    python -m benchmarks.results_store --quick                                 # this checkout only, small (CI)

Each figure comes from a fresh process per implementation, case and repeat (``PYTHONPATH``
points at the checkout's ``src``), so the two implementations never share a heap;
repeats are interleaved (A/B, then B/A) and the median is reported. A case collects
synthetic items (``rekotrack.testing``: person detections with a face on a third of
them, labels, faces) as AWS dicts into a result (``TrackingResult.from_detections``,
``LabelResult.from_items``, ``FaceResult.from_items``) and measures: the build time,
the memory the result holds (tracemalloc, a second build, after ``gc.collect()``),
``nbytes``, the time to read every item back as a model, and ``to_jsonl`` / ``to_csv``
into memory. Persons also time ``tracks()``.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CASES = ("persons", "labels", "faces")


def _items(case: str, n: int) -> tuple[list[dict[str, Any]], Any]:
    from rekotrack.testing import SyntheticScene
    from rekotrack.testing._jobs import SyntheticJob

    video = {"S3Object": {"Bucket": "bench", "Name": f"{case}.mp4"}}
    if case == "persons":
        from rekotrack import TrackingResult

        scene = SyntheticScene.with_detections(n, seed=1, face_rate=0.33)
        return [dict(d) for d in scene.detections()], TrackingResult.from_detections
    if case == "labels":
        from rekotrack import LabelResult

        scene = SyntheticScene(seed=1, people=12, duration_ms=max(60_000, n * 340))
        return SyntheticJob("LabelDetection", {"Video": video}, scene=scene).items(), LabelResult.from_items
    from rekotrack import FaceResult

    scene = SyntheticScene.with_detections(2 * n, seed=1, face_rate=0.5)
    job = SyntheticJob("FaceDetection", {"Video": video, "FaceAttributes": "ALL"}, scene=scene)
    return job.items(), FaceResult.from_items


def child(case: str, n: int) -> None:
    """In a fresh process: one measurement of one case, printed as JSON."""
    items, build = _items(case, n)
    gc.collect()
    start = time.perf_counter()
    result = build(items)
    build_s = time.perf_counter() - start
    del result
    gc.collect()
    tracemalloc.start()
    result = build(items)
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = result.detections if case == "persons" else result.items
    start = time.perf_counter()
    count = sum(1 for _ in rows)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    result.to_jsonl(io.StringIO())
    jsonl_s = time.perf_counter() - start
    start = time.perf_counter()
    result.to_csv(io.StringIO())
    csv_s = time.perf_counter() - start
    out = {"items": count, "held_bytes_per_item": held / count, "nbytes_per_item": result.nbytes / count,
           "build_us_per_item": build_s / count * 1e6, "read_us_per_item": read_s / count * 1e6,
           "jsonl_us_per_item": jsonl_s / count * 1e6, "csv_us_per_item": csv_s / count * 1e6}
    if case == "persons":
        start = time.perf_counter()
        result.tracks()
        out["tracks_us_per_item"] = (time.perf_counter() - start) / count * 1e6
    print(json.dumps(out))


def _run(src: str, case: str, n: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, str(HERE.parent)])}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.results_store", "--child", case, str(n)],
        capture_output=True, text=True, check=True, env=env, cwd=HERE.parent, timeout=600,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--before", default=None, help="the src folder of another checkout to compare with")
    parser.add_argument("--quick", action="store_true", help="small sizes, 1 repeat (for CI)")
    parser.add_argument("--size", type=int, default=None, help="items per case (default 100000)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--child", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]))
        return 0
    n = args.size or (2_000 if args.quick else 100_000)
    repeats = args.repeats or (1 if args.quick else 3)
    impls = {"after": str(HERE.parent / "src")}
    if args.before:
        impls = {"before": str(Path(args.before).resolve()), **impls}
    print(f"results stores, {n:,} items a case, median of {repeats} interleaved fresh processes, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    for case in CASES:
        samples: dict[str, list[dict[str, Any]]] = {name: [] for name in impls}
        for rep in range(repeats):
            for name in (list(impls) if rep % 2 == 0 else list(reversed(impls))):
                samples[name].append(_run(impls[name], case, n))
        for name, runs in samples.items():
            keys = [k for k in runs[0] if k != "items"]
            medians = {k: statistics.median(run[k] for run in runs) for k in keys}
            shown = "  ".join(f"{k.replace('_per_item', '')} {v:.2f}" for k, v in medians.items())
            print(f"  {case:<8} {name:<6} N={runs[0]['items']:>7,}  {shown}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
