"""Frames done while a self-hosted job runs: the Get's StatusMessage, and the CLI's progress line.

The whole of vtest.avi (795 frames) is analysed, so the job is IN_PROGRESS for many status checks;
each test stops the server (and its worker process) once it has seen what it checks.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cv2")
pytest.importorskip("av")

from rekotrack.selfhosted.service._service import VideoRekognition

FRAMES = 795  # vtest.avi at 10 fps, every frame sampled
MESSAGE = re.compile(r"analysed (\d+) of (\d+) frames")


@pytest.fixture
def server(tmp_path: Path, vtest: Path) -> Iterator[VideoRekognition]:
    (tmp_path / "videos" / "bucket").mkdir(parents=True)
    shutil.copyfile(vtest, tmp_path / "videos" / "bucket" / "vtest.avi")  # a symlink out of the root is refused
    with VideoRekognition(video_root=tmp_path / "videos", workers=1) as srv:
        yield srv


def _start(client: Any) -> str:
    job_id: str = client.start_person_tracking(Video={"S3Object": {"Bucket": "bucket", "Name": "vtest.avi"}})["JobId"]
    return job_id


def test_get_says_how_many_frames_are_done(server: VideoRekognition) -> None:
    client = server.client()
    job_id = _start(client)
    seen: list[tuple[int, int]] = []
    deadline = time.monotonic() + 120
    while len({done for done, _ in seen}) < 3:  # three different counts: it moves
        page = client.get_person_tracking(JobId=job_id, MaxResults=1)
        assert page["JobStatus"] == "IN_PROGRESS", page
        assert "Persons" not in page
        if "StatusMessage" in page:
            found = MESSAGE.fullmatch(page["StatusMessage"])
            assert found, page["StatusMessage"]
            seen.append((int(found.group(1)), int(found.group(2))))
        assert time.monotonic() < deadline, seen
        time.sleep(0.2)
    done = [d for d, _ in seen]
    assert done == sorted(done)
    assert all(0 < d < total == FRAMES for d, total in seen)
    assert server.store.progress_file(job_id).exists()


def test_cli_wait_shows_the_frames_done(server: VideoRekognition, tmp_path: Path) -> None:
    job_id = _start(server.client())
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1"}
    with open(tmp_path / "stdout.txt", "w") as stdout:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("rekotrack")), "wait", job_id, "--timeout", "300",
                                 "--endpoint-url", server.url], stdout=stdout, stderr=slave, env=env)
    os.close(slave)
    shown = ""
    try:
        deadline = time.monotonic() + 120
        # the frames as a percent (and, from the second report with progress, the time left)
        while not re.search(r"IN_PROGRESS, \d+ status checks?, analysed \d+ of 795 frames, \d+%(, ETA [\d:]+)? \[",
                            shown):
            assert time.monotonic() < deadline, shown
            assert proc.poll() is None, shown
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                shown += os.read(master, 65536).decode(errors="replace")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130  # the documented exit code of an interrupted command
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        os.close(master)
