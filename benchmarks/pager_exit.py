"""Seconds to leave a sync pager's loop while its prefetched page takes 8 s (issue 20, point 2).

    python benchmarks/pager_exit.py                    # this tree
    python benchmarks/pager_exit.py --before 93b7ccd   # and the same client code at another commit

Each measurement runs in a fresh process against ``rekotrack.testing.LocalRekognition``
(real botocore HTTP on loopback): a finished job, its first page fetched
(``pager.video_metadata``), then every Get made slow by fault injection
(``Faults(slow_rate=1, slow_seconds=8)``). The loop takes its first item, lets the
prefetched request reach the server (0.3 s), then leaves by ``break``, by an exception
or by ``KeyboardInterrupt``; the figure is the time from leaving to the statement after
the loop, and whether a request thread was still alive 1 s later. A dripping page
(one byte every 0.2 s, ``request_timeout=8``) is measured the same way.
``--before REV`` runs the same client against the ``src/`` of commit REV (``git archive``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from io import BytesIO
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HOWS = ("break", "raise", "ctrl-c")
SLOW = 8.0


def _request_threads() -> int:
    names = ("rekotrack-prefetch", "rekotrack-closer", "rekotrack-Get")
    return sum(1 for t in threading.enumerate() if t.name.startswith(names) and t.is_alive())


def _leave(pager: Any, how: str) -> float:
    left = 0.0
    try:
        for _det in pager:
            time.sleep(0.3)
            left = time.monotonic()
            if how == "break":
                break
            if how == "raise":
                raise LookupError(how)
            raise KeyboardInterrupt
    except (LookupError, KeyboardInterrupt):
        pass
    return time.monotonic() - left


def client(how: str) -> None:
    from botocore.config import Config

    from rekotrack import PersonTracker, RetryPolicy
    from rekotrack.testing import Faults, LocalRekognition, SyntheticScene

    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=30, connect_timeout=5)
    with LocalRekognition(job_seconds=0.0) as server:
        server.add_video("s3://bench/exit.mp4", SyntheticScene(seed=3, people=4, duration_ms=60_000))
        tracker = PersonTracker(server.client(config=config), retry=RetryPolicy(max_attempts=2, initial_delay=0.01))
        job = tracker.start("s3://bench/exit.mp4")
        tracker.wait(job.job_id, timeout=30, poll_interval=0.01)
        pager = tracker.persons(job.job_id, page_size=5)
        assert pager.video_metadata is not None
        server.faults = Faults(slow_rate=1.0, slow_seconds=SLOW, operations=("GetPersonTracking",))
        seconds = _leave(pager, how)
        time.sleep(1.0)
        print(json.dumps({"seconds": round(seconds, 3), "threads_after_1s": _request_threads()}))


def drip_client() -> None:
    sys.path.insert(0, str(HERE.parent / "tests" / "integration"))
    from test_pager_exit import _drip_tracker, _DripServer  # the test's dripping server, reused as it is

    server = _DripServer()
    try:
        pager = _drip_tracker(server, request_timeout=8.0).persons("job-drip", page_size=3)
        seconds = _leave(pager, "break")
        time.sleep(1.0)
        print(json.dumps({"seconds": round(seconds, 3), "threads_after_1s": _request_threads()}))
    finally:
        server.close()


def _measure(how: str, src: Path) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(src))
    out = subprocess.run(
        [sys.executable, __file__, "--client", how], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _export(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=HERE.parent, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", metavar="REV", help="also measure the client code of this commit")
    parser.add_argument("--client", choices=(*HOWS, "drip"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client == "drip":
        drip_client()
        return
    if args.client:
        client(args.client)
        return
    with tempfile.TemporaryDirectory() as tmp:
        trees: list[tuple[str, Path]] = [("this tree", HERE.parent / "src")]
        if args.before:
            trees.insert(0, (f"at {args.before}", _export(args.before, Path(tmp) / "before")))
        print(f"leaving a loop whose prefetched page takes {SLOW:g} s (slow) or drips (request_timeout=8)")
        for label, src in trees:
            for how in (*HOWS, "drip"):
                result = _measure(how, src)
                page = "dripping" if how == "drip" else "slow"
                leave = "break" if how == "drip" else how
                print(
                    f"{label:>14} | {page:<8} | {leave:<6} | {result['seconds']:6.3f} s to leave | "
                    f"request threads 1 s later: {result['threads_after_1s']}"
                )


if __name__ == "__main__":
    main()
