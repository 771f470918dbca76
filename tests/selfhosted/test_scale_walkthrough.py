"""Issue 20, point 5: the "At scale" walkthrough of docs/self-hosted.md runs as written.

The ``sh`` blocks between ``<!-- walkthrough: start -->`` and ``<!-- walkthrough: end -->`` are run in
order by one bash (``set -e``), in an empty folder, exactly as a newcomer pastes them: a real redis-server,
a real ``moto_server`` for S3, the two buckets and the video made with boto3, ``rekotrack serve --broker``,
two ``rekotrack worker`` processes and a job through ``rekotrack start / wait / get``. Only the environment
differs: free ports (the blocks read ``REDIS_PORT``, ``S3_PORT`` and ``API_PORT`` when set) and a short clip
as ``VIDEO``, to keep the run short. Every process the script starts is in its own process group, stopped at
the end whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from test_scale import clips  # noqa: F401 - the short clips of the scale-out tests

pytest.importorskip("cv2")
pytest.importorskip("av")

DOCS = Path(__file__).resolve().parents[2] / "docs" / "self-hosted.md"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def walkthrough() -> list[str]:
    text = DOCS.read_text()
    section = text[text.index("<!-- walkthrough: start -->"):text.index("<!-- walkthrough: end -->")]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def test_the_walkthrough_has_every_step() -> None:
    script = "\n".join(walkthrough())
    for step in ("redis-server ", "moto_server ", "create_bucket", "upload_file", "rekotrack serve ",
                 "rekotrack start ", "rekotrack wait ", "rekotrack get ", "kill "):
        assert step in script, step
    assert script.count("rekotrack worker ") == 2


def test_the_walkthrough_runs_as_written(tmp_path: Path, clips: dict[str, Path]) -> None:  # noqa: F811
    for tool in ("redis-server", "redis-cli", "curl"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not found (apt-get install redis-server curl)")
    venv = Path(sys.executable).parent
    if not (venv / "moto_server").exists():
        pytest.skip("moto_server not found (pip install 'moto[server]')")
    script = "set -e\n" + "\n".join(walkthrough())
    env = {**os.environ, "PATH": f"{venv}{os.pathsep}{os.environ['PATH']}", "VIDEO": str(clips["a.avi"]),
           "REDIS_PORT": str(_free_port()), "S3_PORT": str(_free_port()), "API_PORT": str(_free_port())}
    for name in [k for k in env if k.startswith("AWS_")]:
        del env[name]  # the walkthrough sets what it needs
    proc = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=500)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # anything the script left behind
        proc.wait(10)
    logs = {p.name: p.read_text(errors="replace")[-1500:] for p in tmp_path.glob("*.log")}
    assert proc.returncode == 0, (out[-3000:], logs)
    persons = (tmp_path / "persons.txt").read_text()
    assert len(persons.splitlines()) > 1, persons  # a table of the persons found
    ran = [(tmp_path / f"worker-{n}.log").read_text(errors="replace").count(": attempt 1 of") for n in (1, 2)]
    assert sorted(ran) == [0, 1], ran  # the job ran once, on one of the two workers
