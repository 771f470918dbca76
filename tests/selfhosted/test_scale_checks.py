"""Issue 20, point 5: the scale-out mode checks its set-up before it starts, and a failed results upload is
retried as an upload.

With a real redis-server and a real moto server (S3), each ``rekotrack serve --broker`` / ``rekotrack worker``
runs as its own process. Refused: a broker that does not answer, a results bucket that does not exist, an S3
endpoint that does not answer, a process with no S3 credentials (and, in-process, a bucket that refuses
writes); each exits 2 with one line that names the problem and the fix (before the fix they started, or
failed later with a traceback). Then a deployment whose
results bucket disappears after ``serve`` checked it: the worker analyses the video once, uploads its result
again with backoff, and ends the job FAILED with a message naming the bucket and the S3 error (before: three
whole analyses and "3 attempts failed (internal error)").
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from selfhosted_support import start, wait_done
from test_scale import Proc, clips, redis_url  # noqa: F401 - fixtures shared with the scale-out tests

pytest.importorskip("cv2")
pytest.importorskip("av")

REKOTRACK = str(Path(sys.executable).with_name("rekotrack"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(**changes: str | None) -> dict[str, str]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _refused(argv: list[str], env: dict[str, str] | None = None) -> str:
    """Run ``rekotrack ARGV``; it must exit 2 with exactly one line on stderr, which is returned."""
    try:
        done = subprocess.run([REKOTRACK, *argv], capture_output=True, text=True, env=env or _env(), timeout=90)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"rekotrack {' '.join(argv)} started instead of refusing:\n{exc.stderr!r}") from None
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("rekotrack: cannot start: "), done.stderr
    return done.stderr


@pytest.fixture(scope="module")
def buckets(moto_url: str) -> str:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    for bucket in ("checks-videos", "checks-results"):
        s3.create_bucket(Bucket=bucket)
    return moto_url


def _serve(broker: str, results: str, s3_url: str) -> list[str]:
    return ["serve", "--analyzer", "video", "--port", "0", "--broker", broker, "--results", results,
            "--s3-endpoint-url", s3_url]


def test_serve_refuses_a_broker_that_does_not_answer(buckets: str) -> None:
    broker = f"redis://127.0.0.1:{_free_port()}/0"
    line = _refused(_serve(broker, "s3://checks-results/runs", buckets))
    assert f"the broker {broker} cannot be reached" in line
    assert "start redis-server" in line


def test_serve_refuses_a_results_bucket_that_does_not_exist(redis_url: str, buckets: str) -> None:  # noqa: F811
    line = _refused(_serve(f"{redis_url}/0", "s3://missing-bucket/p", buckets))
    assert "the results bucket missing-bucket does not exist" in line
    assert f"aws s3 mb s3://missing-bucket --endpoint-url {buckets}" in line


def test_serve_refuses_an_s3_endpoint_that_does_not_answer(redis_url: str) -> None:  # noqa: F811
    endpoint = f"http://127.0.0.1:{_free_port()}"
    line = _refused(_serve(f"{redis_url}/0", "s3://checks-results/runs", endpoint))
    assert f"the S3 endpoint {endpoint} cannot be reached" in line


def test_serve_and_worker_refuse_to_run_without_s3_credentials(
    redis_url: str, buckets: str, tmp_path: Path  # noqa: F811
) -> None:
    nothing = str(tmp_path / "none")
    env = _env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_SESSION_TOKEN=None, AWS_PROFILE=None,
               AWS_SHARED_CREDENTIALS_FILE=nothing, AWS_CONFIG_FILE=nothing, AWS_EC2_METADATA_DISABLED="true")
    for argv in (_serve(f"{redis_url}/0", "s3://checks-results/runs", buckets),
                 ["worker", "--broker", f"{redis_url}/0", "--s3-endpoint-url", buckets]):
        assert "no S3 credentials: set AWS_ACCESS_KEY_ID" in _refused(argv, env)


def test_worker_refuses_a_broker_that_does_not_answer(buckets: str) -> None:
    broker = f"redis://127.0.0.1:{_free_port()}/0"
    line = _refused(["worker", "--broker", broker, "--s3-endpoint-url", buckets])
    assert f"the broker {broker} cannot be reached" in line


def test_the_start_up_probe_leaves_nothing_in_the_bucket(redis_url: str, buckets: str) -> None:  # noqa: F811
    from rekotrack.selfhosted.service._scale import check_results

    check_results("s3://checks-results/probe-here", buckets)
    s3 = boto3.client("s3", endpoint_url=buckets, region_name="us-east-1")
    assert s3.list_objects_v2(Bucket="checks-results", Prefix="probe-here").get("KeyCount") == 0


@pytest.fixture
def gone_results(redis_url: str, buckets: str, clips: dict[str, Path], tmp_path: Path) -> Iterator[dict[str, Any]]:  # noqa: F811
    """An API process and a worker whose results bucket is deleted after ``serve`` checked it."""
    s3 = boto3.client("s3", endpoint_url=buckets, region_name="us-east-1")
    s3.create_bucket(Bucket="results-gone")
    s3.upload_file(str(clips["a.avi"]), "checks-videos", "a.avi")
    broker = f"{redis_url}/3"
    api = Proc([REKOTRACK, *_serve(broker, "s3://results-gone/runs", buckets)], tmp_path / "api.log", _env())
    worker = Proc([REKOTRACK, "worker", "--broker", broker, "--s3-endpoint-url", buckets, "--upload-attempts", "3",
                   "--lease-seconds", "3", "--data-dir", str(tmp_path / "scratch")], tmp_path / "worker.log", _env())
    try:
        url = api.wait_for(r"listening on (http://\S+)").group(1)
        worker.wait_for(r"ready\.")
        s3.delete_bucket(Bucket="results-gone")  # serve's probe object was deleted: the bucket is empty
        yield {"url": url, "worker": worker}
    finally:
        worker.stop()
        api.stop()


def test_a_failed_upload_is_retried_as_an_upload_and_names_the_bucket(gone_results: dict[str, Any]) -> None:
    client = boto3.client("rekognition", endpoint_url=gone_results["url"], region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    job_id = start(client, "a.avi", bucket="checks-videos")
    page = wait_done(client, job_id, timeout=240)
    assert page["JobStatus"] == "FAILED"
    message = page["StatusMessage"]
    assert "s3://results-gone/runs/" in message
    assert "NoSuchBucket" in message
    assert "after 3 upload attempts" in message
    log = gone_results["worker"].text()
    assert log.count(f"job {job_id[:12]}: attempt ") == 1  # one analysis: the uploads were retried, not the job
    assert log.count(f"job {job_id[:12]}: upload ") == 2  # uploads 1 and 2 failed and were made again


def test_a_lost_task_message_is_sent_again(redis_url: str, buckets: str, clips: dict[str, Path],  # noqa: F811
                                           tmp_path: Path) -> None:
    """Celery's Redis transport can lose a message (taken off the queue, its worker killed before it recorded
    it as unacknowledged); the chaos run met a job that then waited for ever. Here the queued message is
    deleted by hand before any worker runs: the API process's sweeper must send the job's task again."""
    import redis

    s3 = boto3.client("s3", endpoint_url=buckets, region_name="us-east-1")
    s3.upload_file(str(clips["b.avi"]), "checks-videos", "b.avi")
    broker = f"{redis_url}/4"
    api = Proc([REKOTRACK, *_serve(broker, "s3://checks-results/lost", buckets), "--visibility-timeout", "2"],
               tmp_path / "api.log", _env())
    worker = None
    queue = redis.Redis.from_url(broker)
    try:
        url = api.wait_for(r"listening on (http://\S+)").group(1)
        client = boto3.client("rekognition", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
        job_id = start(client, "b.avi", bucket="checks-videos")
        assert queue.llen("rekotrack") == 1
        assert queue.delete("rekotrack") == 1  # the message is lost; the record still says it was sent
        worker = Proc([REKOTRACK, "worker", "--broker", broker, "--s3-endpoint-url", buckets, "--visibility-timeout",
                       "2", "--lease-seconds", "1", "--data-dir", str(tmp_path / "scratch")], tmp_path / "worker.log",
                      _env())
        page = wait_done(client, job_id, timeout=120)
        assert page["JobStatus"] == "SUCCEEDED", page.get("StatusMessage")
        assert f"job {job_id[:12]}: its task message was lost" in api.text()
        assert worker.text().count(f"job {job_id[:12]}: attempt ") == 1
    finally:
        queue.close()
        if worker is not None:
            worker.stop()
        api.stop()


class _ReadOnlyS3(http.server.BaseHTTPRequestHandler):
    """An S3 endpoint whose buckets all exist and refuse every write (AccessDenied), like a read-only policy."""

    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self._answer(200)

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(403, b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
                          b"<Message>Access Denied</Message></Error>")

    def log_message(self, *args: Any) -> None:
        pass


def test_a_results_bucket_that_cannot_be_written_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from rekotrack.selfhosted.service._scale import ScaleOutSetupError, check_results

    for name, value in _env().items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ReadOnlyS3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(ScaleOutSetupError) as refused:
            check_results("s3://read-only/runs", endpoint)
    finally:
        server.shutdown()
        server.server_close()
    line = str(refused.value)
    assert "\n" not in line
    assert "cannot write and delete s3://read-only/runs/.rekotrack-probe-" in line
    assert "AccessDenied: Access Denied" in line
    assert "PutObject and DeleteObject under s3://read-only/runs/" in line
