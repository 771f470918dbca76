"""``rekotrack serve`` on uvicorn (issue 15 point 1): the ASGI front serves boto3, stops gracefully, and a
base install without uvicorn still serves the synthetic analyzer on the stdlib front."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Any

import boto3
import pytest
from botocore.config import Config

from rekotrack.testing import Faults, LocalRekognition

VIDEO: dict[str, Any] = {"S3Object": {"Bucket": "bucket", "Name": "video.mp4"}}

pytest.importorskip("uvicorn")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    return env


def _serve(*prelude: str) -> subprocess.Popen[str]:
    """``rekotrack serve --port 0`` in its own process; ``prelude`` runs first (e.g. hiding uvicorn)."""
    code = "; ".join([*prelude, "import sys", "from rekotrack._cli import main",
                      "sys.exit(main(['serve', '--port', '0', '--job-seconds', '0']))"])
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_env())


def _client(url: str) -> Any:
    return boto3.client("rekognition", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"total_max_attempts": 1}))


def _banner(proc: subprocess.Popen[str]) -> tuple[str, str]:
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert "listening on " in first, first
    return first, first.split("listening on ")[1].strip()


def _stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


def test_serve_runs_on_uvicorn_and_stops_on_sigterm() -> None:
    proc = _serve()
    try:
        banner, url = _banner(proc)
        assert "uvicorn" in banner
        client = _client(url)
        job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
        page = client.get_person_tracking(JobId=job_id, MaxResults=10)
        assert page["JobStatus"] == "SUCCEEDED"
        assert len(page["Persons"]) == 10
    finally:
        code, err = _stop(proc, signal.SIGTERM)
    assert "Traceback" not in err
    assert code in (0, 130, 143), err


def test_serve_without_uvicorn_uses_the_stdlib_front() -> None:
    proc = _serve("import sys", "sys.modules['uvicorn'] = None")  # what a base install looks like
    try:
        banner, url = _banner(proc)
        assert "stdlib" in banner
        client = _client(url)
        job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
        assert client.get_person_tracking(JobId=job_id, MaxResults=1)["JobStatus"] == "SUCCEEDED"
    finally:
        _, err = _stop(proc, signal.SIGTERM)
    assert "Traceback" not in err


def test_uvicorn_stop_lets_a_running_request_finish() -> None:
    server = LocalRekognition(job_seconds=0.0, front="uvicorn").start()
    try:
        client = server.client()
        job_id = client.start_person_tracking(Video=VIDEO)["JobId"]
        server.faults = Faults(slow_rate=1.0, slow_seconds=1.5, operations=("GetPersonTracking",))
        answers: list[Any] = []
        running = threading.Thread(target=lambda: answers.append(client.get_person_tracking(JobId=job_id)))
        running.start()
        while server.request_count("GetPersonTracking") == 0:  # the request is in the server, sleeping
            running.join(0.01)
    finally:
        server.stop(timeout=10)  # graceful: stop accepting, let the running request finish
    running.join(10)
    assert len(answers) == 1
    assert answers[0]["JobStatus"] == "SUCCEEDED"
    with pytest.raises(Exception, match=r"(?i)connect"):  # nothing listens any more
        _client(f"http://127.0.0.1:{server.port}").get_person_tracking(JobId=job_id)
