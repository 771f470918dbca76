"""A graceful SIGTERM of ``rekotrack serve --analyzer video`` under 20 clients loses no request (issue 20).

Every request a client has sent is answered; a request refused at connect (the server no longer
listens) was never sent, so the client may send it elsewhere. Before the drain in
``UvicornFront.stop``, uvicorn's shutdown closed idle keep-alive connections at once and cut a
request a client had just written on one (the chaos run saw 0-4 of ~2,500 cut per SIGTERM).
Each client uses one kept-alive connection (``http.client``), so the race is exercised on every
request, and the SIGTERM is repeated over several server processes.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

CLIENTS = 20
ROUNDS = 3
BODY = b'{"JobId": "' + b"0" * 64 + b'", "MaxResults": 1}'
HEADERS = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "RekognitionService.GetPersonTracking"}


def _serve(root: Path) -> tuple[subprocess.Popen[str], int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rekotrack", "serve", "--analyzer", "video", "--video-root", str(root), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    assert "listening on " in banner, banner
    port = int(banner.split("listening on ")[1].strip().rsplit(":", 1)[1].split("/")[0])
    return proc, port


def _hammer(port: int, stop: threading.Event, counts: Counter[str], lock: threading.Lock) -> None:
    connection: http.client.HTTPConnection | None = None
    while not stop.is_set():
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                connection.connect()
            except OSError:
                outcome = "refused before sending"
                connection = None
                time.sleep(0.02)
                with lock:
                    counts[outcome] += 1
                continue
        try:
            connection.request("POST", "/", body=BODY, headers=HEADERS)
            response = connection.getresponse()
            response.read()
            outcome = "answered" if response.status < 500 else f"lost ({response.status})"
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = None
        except (http.client.HTTPException, OSError) as exc:
            outcome = f"lost ({type(exc).__name__})"
            connection.close()
            connection = None
        with lock:
            counts[outcome] += 1
    if connection is not None:
        connection.close()


def test_a_graceful_sigterm_under_20_clients_loses_no_request(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    pytest.importorskip("cv2")
    totals: Counter[str] = Counter()
    for _ in range(ROUNDS):
        proc, port = _serve(tmp_path)
        counts: Counter[str] = Counter()
        lock = threading.Lock()
        stop = threading.Event()
        threads = [threading.Thread(target=_hammer, args=(port, stop, counts, lock), daemon=True)
                   for _ in range(CLIENTS)]
        try:
            for thread in threads:
                thread.start()
            time.sleep(1.5)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) is not None
            time.sleep(0.3)
        finally:
            stop.set()
            for thread in threads:
                thread.join(40)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        totals.update(counts)
    assert totals["answered"] > 0, totals
    assert not [outcome for outcome in totals if outcome.startswith("lost")], totals
