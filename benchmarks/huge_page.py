"""Peak memory of iterating a job whose server answers one page of 200,000 items (issue 11, point 1).

    python benchmarks/huge_page.py                    # this tree: fast path, botocore parsing, raw floor
    python benchmarks/huge_page.py --before f47eeae   # and the same client code at another commit

A server in its own process answers every GetPersonTracking with one SUCCEEDED page
of ``--items`` detections (each with a person box and a face box), however small the
MaxResults asked for. Each measurement runs the client in a fresh process: it makes a
tracker (retries: 2 attempts), records its resident set, iterates ``persons()`` with
``page_size=1000`` until the MalformedResponseError, and reports the growth of its
peak resident set (``VmHWM`` of ``/proc/self/status``: the process's own, where
``ru_maxrss`` would carry over the parent's high-water mark across fork and exec) over
that baseline. ``--before REV`` runs the same client against the ``src/`` of commit REV
(``git archive``), for a before/after figure. The last row, "raw floor", is a raw boto3
client that receives the body twice and drops it unparsed: what receiving the page costs.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
JOB_ID = "job-0123456789abcdef"
MODES = ("fast path", "botocore parsing", "raw floor")


def page(items: int) -> bytes:
    box = {"Width": 0.25, "Height": 0.5, "Left": 0.125, "Top": 0.0625}
    persons = [
        {
            "Timestamp": t * 40,
            "Person": {"Index": t % 9, "BoundingBox": box, "Face": {"BoundingBox": box, "Confidence": 99.5}},
        }
        for t in range(items)
    ]
    return json.dumps({"JobStatus": "SUCCEEDED", "JobId": JOB_ID, "Persons": persons}).encode()


def serve(port_file: str, items: int) -> None:
    body = page(items)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("x-amzn-RequestId", "huge-page")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError("no VmHWM in /proc/self/status")


def floor(url: str) -> None:
    """The floor: a raw boto3 call whose body is read and dropped unparsed (what receiving the page costs)."""
    import boto3
    from botocore.config import Config

    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    raw = session.client("rekognition", endpoint_url=url, config=Config(retries={"total_max_attempts": 1}))

    def drop(response_dict: dict[str, Any], **_: Any) -> None:
        response_dict["body"] = b"{}"

    raw.meta.events.register("before-parse.rekognition.GetPersonTracking", drop)
    base = _rss_mb()
    started = time.perf_counter()
    for _ in range(2):
        raw.get_person_tracking(JobId=JOB_ID, MaxResults=1000)
    print(json.dumps({"baseline_mb": round(base, 1), "peak_growth_mb": round(_peak_rss_mb() - base, 1),
                      "seconds": round(time.perf_counter() - started, 2), "yielded": 0,
                      "outcome": "2 calls, body dropped unparsed"}))


def client(url: str, fast_path: bool) -> None:
    import boto3

    from rekotrack import MalformedResponseError, PersonTracker, RetryPolicy

    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    tracker = PersonTracker(
        session=session,
        endpoint_url=url,
        fast_path=fast_path,
        retry=RetryPolicy(max_attempts=2, initial_delay=0.01, jitter=False),
    )
    tracker.fast_path = tracker.fast_path and fast_path
    base = _rss_mb()
    started = time.perf_counter()
    outcome = "no error"
    yielded = 0
    try:
        for _ in tracker.persons(JOB_ID, page_size=1000):
            yielded += 1
    except MalformedResponseError as exc:
        outcome = f"MalformedResponseError after {exc.attempts} attempts: {exc}"
    peak = _peak_rss_mb()
    print(json.dumps({"baseline_mb": round(base, 1), "peak_growth_mb": round(peak - base, 1),
                      "seconds": round(time.perf_counter() - started, 2), "yielded": yielded, "outcome": outcome}))


def _measure(url: str, mode: str, src: Path | None) -> dict[str, Any]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    argv = [sys.executable, __file__, "--client", url, "--mode", mode]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, timeout=600)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _export(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=HERE.parent, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--before", metavar="REV", help="also measure the client code of this commit")
    parser.add_argument("--serve", metavar="PORT_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=MODES, default="fast path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.items)
        return
    if args.client:
        if args.mode == "raw floor":
            floor(args.client)
        else:
            client(args.client, args.mode == "fast path")
        return
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file), "--items", str(args.items)])
        try:
            deadline = time.monotonic() + 120
            while not port_file.exists() or not port_file.read_text():
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the huge-page server did not start")
                time.sleep(0.1)
            url = f"http://127.0.0.1:{port_file.read_text()}"
            with socket.create_connection(("127.0.0.1", int(port_file.read_text())), timeout=5):
                pass
            trees: list[tuple[str, Path | None]] = [("this tree", HERE.parent / "src")]
            if args.before:
                trees.insert(0, (f"at {args.before}", _export(args.before, Path(tmp) / "before")))
            print(f"one page of {args.items:,} items ({len(page(args.items)) / 1e6:.1f} MB), page_size=1000")
            for label, src in trees:
                for mode in MODES if src == trees[-1][1] else MODES[:2]:
                    result = _measure(url, mode, src)
                    print(
                        f"{label:>14} | {mode:<16} | peak +{result['peak_growth_mb']:7.1f} MB "
                        f"over {result['baseline_mb']:.0f} MB | {result['seconds']:6.2f} s | {result['outcome'][:110]}"
                    )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
