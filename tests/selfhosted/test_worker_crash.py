"""Single-machine mode: jobs survive their worker, limits per access key, names resolved before use.

Issue 11, point 11. The worker tests kill a real spawned worker process (found through /proc,
not through the server's own bookkeeping) in the middle of a real analysis.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from selfhosted_support import start, wait_done

from rekotrack.selfhosted.service._service import VideoRekognition
from rekotrack.selfhosted.vision._settings import AnalyzerSettings

SYNTHETIC = AnalyzerSettings(analyzer="synthetic")
KEYS = {"AKIDALICE": "alice-secret", "AKIDBOB": "bob-secret"}


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _worker_processes() -> list[int]:
    """Spawned multiprocessing workers of this process (not its resource tracker)."""
    pids = []
    for pid in _children(os.getpid()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            pids.append(pid)
    return pids


def _client(server: VideoRekognition, key: str, secret: str) -> Any:
    return boto3.client(
        "rekognition", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id=key,
        aws_secret_access_key=secret, config=Config(retries={"total_max_attempts": 1}),
    )


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(what)


# ---------------------------------------------------------------------- a worker killed mid-job
def test_a_killed_worker_fails_its_job_only_and_the_queue_runs_on(video_root: Path) -> None:
    pytest.importorskip("cv2")
    with VideoRekognition(video_root=video_root, workers=1) as server:
        client = server.client()
        victim = start(client, "clip.avi")
        queued = [start(client, "clip.avi", JobTag="queued-1"), start(client, "clip.mp4", JobTag="queued-2")]
        pids = _wait_for(_worker_processes, 60, "no worker process was started")
        assert len(pids) == 1
        time.sleep(1.0)  # inside the first job (a 60-frame clip takes seconds)
        assert client.get_person_tracking(JobId=victim)["JobStatus"] == "IN_PROGRESS"
        os.kill(pids[0], signal.SIGKILL)
        failed = wait_done(client, victim)
        assert failed["JobStatus"] == "FAILED"
        assert "service issue" in failed["StatusMessage"]
        for job_id in queued:
            page = wait_done(client, job_id, timeout=240)
            assert page["JobStatus"] == "SUCCEEDED", page.get("StatusMessage")
            assert page["Persons"]
        # a fresh process took over
        now = _worker_processes()
        assert now
        assert pids[0] not in now


# ---------------------------------------------------------------------- limits per access key
def test_the_concurrent_job_limit_is_per_access_key(video_root: Path) -> None:
    pytest.importorskip("cv2")
    with VideoRekognition(video_root=video_root, workers=1, credentials=KEYS, max_concurrent_jobs=1) as server:
        alice = _client(server, "AKIDALICE", "alice-secret")
        bob = _client(server, "AKIDBOB", "bob-secret")
        first = start(alice, "clip.avi")
        with pytest.raises(ClientError) as refused:
            start(alice, "clip.mp4")
        assert _code(refused) == "LimitExceededException"
        second = start(bob, "clip.mp4")  # Bob's jobs do not count against Alice's limit
        for client, job_id in ((alice, first), (bob, second)):
            assert wait_done(client, job_id, timeout=240)["JobStatus"] == "SUCCEEDED"
        assert wait_done(alice, start(alice, "clip.avi"), timeout=240)["JobStatus"] == "SUCCEEDED"


# ---------------------------------------------------------------------- names resolved before use
@pytest.fixture
def buckets(tmp_path: Path) -> Path:
    root = tmp_path / "videos"
    for bucket in ("bucket", "other"):
        (root / bucket).mkdir(parents=True)
    (root / "bucket" / "clip.avi").write_bytes(b"bucket's own file")
    (root / "bucket" / "loop").symlink_to(root / "bucket" / "loop")
    (root / "bucket" / "a").symlink_to(root / "bucket" / "b")
    (root / "bucket" / "b").symlink_to(root / "bucket" / "a")
    (root / "outside.avi").write_bytes(b"not in any bucket")
    return root


@pytest.mark.parametrize(
    ("bucket", "name"),
    [
        ("other", "../bucket/clip.avi"),  # another bucket's file, through its neighbour
        ("other", "x/../../bucket/clip.avi"),
        ("bucket", "../outside.avi"),
        ("bucket", "clip.avi\0.txt"),  # NUL byte
        ("bucket", "\0"),
        ("bucket", "loop"),  # symlink loops
        ("bucket", "loop/clip.avi"),
        ("bucket", "a"),
        ("bucket", "a" * 300),  # a name longer than any file name
        ("bucket", "/".join(["b" * 250] * 4)),
    ],
)
def test_names_are_resolved_inside_their_bucket_and_bad_ones_are_invalid_objects(
    buckets: Path, bucket: str, name: str
) -> None:
    with VideoRekognition(video_root=buckets, settings=SYNTHETIC) as server:
        with pytest.raises(ClientError) as refused:
            start(server.client(), name, bucket=bucket)
        assert _code(refused) in ("InvalidS3ObjectException", "InvalidParameterException")
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_bucket_own_file_is_still_served(buckets: Path) -> None:
    with VideoRekognition(video_root=buckets, settings=SYNTHETIC) as server:
        client = server.client()
        assert wait_done(client, start(client, "clip.avi"))["JobStatus"] == "SUCCEEDED"
