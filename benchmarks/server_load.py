"""The HTTP fronts under load: 1 and 20 concurrent clients paging small and 1000-detection pages.

    python -m benchmarks.server_load                  # both fronts, 1 and 20 clients, 1- and 1000-detection pages
    python -m benchmarks.server_load --clients 20 --page-sizes 1000 --seconds 20   # one configuration
    python -m benchmarks.server_load --quick          # a short run that proves the script works

The server (``LocalRekognition`` with ``front="uvicorn"`` or ``"stdlib"``) runs in its own
process with one finished job of ``--detections`` detections. The clients run in
``--processes`` processes of threads, one client per thread, each paging the job from the first
page to the last (``MaxResults`` of each ``--page-sizes`` entry: 1 is a small Get of about 600 bytes, 1000
a page of about 350 KB) again and again until the time is up, each client on its own keep-alive
connection(s): boto3 clients (the
user's view, where botocore's parsing costs most of the client CPU), and raw ``http.client``
clients that only decode the JSON (closer to what the server itself sustains). Every request's
latency is recorded; errors (any exception, any non-200) are counted, never retried (botocore
retries off). Results: requests per second over all clients, latency p50/p99, errors; written to
``benchmarks/server-load.json`` (``--out``) and summarised in ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
URI = "s3://bench/load.mp4"


def _serve(front: str, detections: int) -> None:
    """The server process: print the URL and the JobId, serve until stdin closes."""
    from rekotrack.testing import LocalRekognition, SyntheticScene

    with LocalRekognition(job_seconds=0.0, front=front) as server:  # type: ignore[arg-type]
        server.add_video(URI, SyntheticScene.with_detections(detections, seed=1, face_rate=0.5))
        job_id = server.client().start_person_tracking(Video={"S3Object": {"Bucket": "bench", "Name": "load.mp4"}})
        print(json.dumps({"url": server.url, "job_id": job_id["JobId"]}), flush=True)
        sys.stdin.read()


class _RawClient:
    """``get_person_tracking`` over one keep-alive ``http.client`` connection, JSON decoded, no botocore:
    a client that costs little CPU, to see what the server itself sustains."""

    def __init__(self, url: str) -> None:
        import http.client
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self._conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)

    def get_person_tracking(self, **params: Any) -> dict[str, Any]:
        self._conn.request("POST", "/", body=json.dumps(params), headers={
            "X-Amz-Target": "RekognitionService.GetPersonTracking", "Content-Type": "application/x-amz-json-1.1"})
        response = self._conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
        page: dict[str, Any] = json.loads(body)
        return page


def _client_process(url: str, job_id: str, threads: int, seconds: float, start_at: float, out: Any,
                    kind: str = "boto3", page_size: int = 1000) -> None:
    """One client process: ``threads`` clients paging until ``start_at + seconds``; sends its samples."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=2,
                    read_timeout=60, connect_timeout=10)
    latencies: list[float] = []
    errors: list[str] = []
    pages = [0]
    lock = threading.Lock()

    def run() -> None:
        client: Any = _RawClient(url) if kind == "raw" else boto3.client(
            "rekognition", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
            aws_secret_access_key="test", config=config)
        mine: list[float] = []
        failed: list[str] = []
        count = 0
        time.sleep(max(0.0, start_at - time.time()))
        end = start_at + seconds
        kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": page_size}
        while time.time() < end:
            began = time.perf_counter()
            try:
                page = client.get_person_tracking(**kwargs)
            except Exception as exc:  # counted: the point is that there are none
                failed.append(f"{type(exc).__name__}: {exc}"[:200])
                kwargs.pop("NextToken", None)
                continue
            mine.append(time.perf_counter() - began)
            count += len(page.get("Persons", []))
            if "NextToken" in page:
                kwargs["NextToken"] = page["NextToken"]
            else:
                kwargs.pop("NextToken", None)
        with lock:
            latencies.extend(mine)
            errors.extend(failed)
            pages[0] += count

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put({"latencies": latencies, "errors": errors, "detections": pages[0]})


def measure(front: str, *, clients: int, processes: int, seconds: float, detections: int,
            kind: str = "boto3", page_size: int = 1000) -> dict[str, Any]:
    server = subprocess.Popen([sys.executable, "-m", "benchmarks.server_load", "--serve", front,
                               "--detections", str(detections)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        start_at = time.time() + 3.0  # every client process has imported boto3 by then
        processes = min(processes, clients)
        per_process = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
        procs = [context.Process(target=_client_process, args=(info["url"], info["job_id"], n, seconds,
                                                                 start_at, queue, kind, page_size))
                 for n in per_process if n]
        for proc in procs:
            proc.start()
        samples = [queue.get(timeout=seconds + 120) for _ in procs]
        for proc in procs:
            proc.join(30)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(30)
    latencies = sorted(x for s in samples for x in s["latencies"])
    errors = [e for s in samples for e in s["errors"]]
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [float("nan")] * 99
    return {
        "front": front,
        "client": kind,
        "clients": clients,
        "page_size": page_size,
        "seconds": seconds,
        "requests": len(latencies),
        "errors": len(errors),
        "error_examples": errors[:5],
        "requests_per_second": len(latencies) / seconds,
        "detections_per_second": sum(s["detections"] for s in samples) / seconds,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", choices=["uvicorn", "stdlib"], help=argparse.SUPPRESS)
    parser.add_argument("--fronts", default="uvicorn,stdlib")
    parser.add_argument("--clients", default="1,20", help="comma-separated client counts (default 1,20)")
    parser.add_argument("--page-sizes", default="1,1000",
                        help="comma-separated MaxResults of every Get (default 1,1000: small and large pages)")
    parser.add_argument("--processes", type=int, default=4, help="client processes the threads are spread over")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--detections", type=int, default=20_000, help="of the job every client pages")
    parser.add_argument("--client", choices=["boto3", "raw", "both"], default="both",
                        help="boto3 clients, raw http.client clients (the server's own capacity), or both")
    parser.add_argument("--quick", action="store_true", help="4 clients, 2 s: proves the script works")
    parser.add_argument("--out", type=Path, default=HERE / "server-load.json")
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.serve, args.detections)
        return 0
    if args.quick:
        args.clients, args.processes, args.seconds, args.detections = "4", 2, 2.0, 3000
    kinds = ["boto3", "raw"] if args.client == "both" else [args.client]
    results = [measure(front, clients=int(clients), processes=args.processes, seconds=args.seconds,
                       detections=args.detections, kind=kind, page_size=int(size))
               for size in args.page_sizes.split(",") for clients in args.clients.split(",")
               for kind in kinds for front in args.fronts.split(",")]
    report = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "platform": platform.platform()}, "results": results}
    if not args.quick:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    for r in results:
        print(f"{r['front']:8} {r['clients']:2} {r['client']:5} clients, MaxResults {r['page_size']:4}: "
              f"{r['requests_per_second']:.1f} req/s "
              f"({r['detections_per_second']:.0f} detections/s), p50 {r['p50_ms']:.1f} ms, "
              f"p99 {r['p99_ms']:.1f} ms, {r['errors']} errors in {r['requests']} requests")
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
