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
into memory. Persons also time ``tracks()``. Each timing is CPU time (the process is
single-threaded), the least of ``--inner`` runs in its process, then the median over the
fresh processes.
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
    from rekotrack.testing import SyntheticJob, SyntheticScene  # public in both checkouts compared

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


def _best(action: Any, times: int) -> float:
    """The least CPU time of ``times`` runs of ``action()``, in seconds.

    CPU time of this (single-threaded) process, not wall time: on a shared machine the
    wall time of the same run varied 4x with the load, its CPU time by about 1 %.
    """
    best = float("inf")
    for _ in range(times):
        start = time.process_time()
        action()
        best = min(best, time.process_time() - start)
    return best


def child(case: str, n: int, inner: int) -> None:
    """In a fresh process: one measurement of one case, printed as JSON (each timing the best of ``inner``)."""
    items, build = _items(case, n)
    gc.collect()
    build_s = _best(lambda: build(items), inner)
    gc.collect()
    tracemalloc.start()
    result = build(items)
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = result.detections if case == "persons" else result.items
    count = len(rows)
    timings = {
        "build": build_s,
        "read": _best(lambda: sum(1 for _ in rows), inner),
        "jsonl": _best(lambda: result.to_jsonl(io.StringIO()), inner),
        "csv": _best(lambda: result.to_csv(io.StringIO()), inner),
    }
    if case == "persons":
        timings["tracks"] = _best(lambda: _fresh_tracks(result), inner)
    out = {"items": count, "held_bytes_per_item": held / count, "nbytes_per_item": result.nbytes / count}
    out.update({f"{name}_us_per_item": seconds / count * 1e6 for name, seconds in timings.items()})
    print(json.dumps(out))


def _fresh_tracks(result: Any) -> None:
    result._tracks = None  # tracks() keeps its grouping: time a fresh one
    result.tracks()


def _run(src: str, case: str, n: int, inner: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, str(HERE.parent)])}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.results_store", "--child", case, str(n), str(inner)],
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
    parser.add_argument("--inner", type=int, default=None, help="timings: the best of this many runs in a process")
    parser.add_argument("--child", nargs=3, metavar=("CASE", "N", "INNER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return 0
    n = args.size or (2_000 if args.quick else 100_000)
    repeats = args.repeats or (1 if args.quick else 3)
    inner = args.inner or (1 if args.quick else 3)
    impls = {"after": str(HERE.parent / "src")}
    if args.before:
        impls = {"before": str(Path(args.before).resolve()), **impls}
    print(f"results stores, {n:,} items a case, median of {repeats} interleaved fresh processes "
          f"(timings: the best of {inner} runs in each), "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    for case in CASES:
        samples: dict[str, list[dict[str, Any]]] = {name: [] for name in impls}
        for rep in range(repeats):
            for name in (list(impls) if rep % 2 == 0 else list(reversed(impls))):
                samples[name].append(_run(impls[name], case, n, inner))
        for name, runs in samples.items():
            keys = [k for k in runs[0] if k != "items"]
            medians = {k: statistics.median(run[k] for run in runs) for k in keys}
            shown = "  ".join(f"{k.replace('_per_item', '')} {v:.2f}" for k, v in medians.items())
            print(f"  {case:<8} {name:<6} N={runs[0]['items']:>7,}  {shown}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
