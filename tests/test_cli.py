"""The command line through its entry point: exit codes, one-line errors, output formats, pipes, Ctrl-C, progress."""

from __future__ import annotations

import fcntl
import importlib.util
import io
import json
import os
import pty
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rekotrack import TrackingResult, __version__
from rekotrack._cli import main
from rekotrack.testing import Faults, LocalRekognition, SyntheticScene

BIG = "s3://cli-bucket/big.mp4"  # output of several MB: more than a pipe holds


@pytest.fixture(scope="module")
def server() -> Iterator[LocalRekognition]:
    with LocalRekognition(job_seconds=0.0) as srv:
        srv.add_video("s3://cli-bucket/ok.mp4", SyntheticScene(seed=4, people=3, duration_ms=10_000))
        srv.add_video(BIG, SyntheticScene(seed=4, people=10, duration_ms=300_000))
        srv.add_video(
            "s3://cli-bucket/bad.mp4", SyntheticScene(seed=4, final_status="FAILED", status_message="cannot decode")
        )
        yield srv


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _entry_point() -> list[str]:
    """The installed console script (what a user runs), else ``python -m rekotrack``."""
    script = shutil.which("rekotrack", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "rekotrack"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    env.update(extra)
    return env


def _cli(*argv: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_entry_point(), *argv], capture_output=True, text=True, timeout=timeout,
                          env=env or _env(), check=False)


def _popen(*argv: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen([*_entry_point(), *argv], text=True, env=_env(), **kwargs)  # type: ignore[call-overload]


def _finished_job(server: LocalRekognition, uri: str) -> str:
    return str(server.client().start_person_tracking(Video={"S3Object": _s3(uri)})["JobId"])


def _s3(uri: str) -> dict[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return {"Bucket": bucket, "Name": key}


def _one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    _no_doubled_phrase(lines[0])
    return lines[0]


def _no_doubled_phrase(line: str, words: int = 4) -> None:
    """A message says each thing once ("needs the server extra: ... needs the server extra" is a defect)."""
    split = line.split()
    seen = set()
    for i in range(len(split) - words + 1):
        phrase = tuple(split[i : i + words])
        assert phrase not in seen, f"{' '.join(phrase)!r} twice in {line!r}"
        seen.add(phrase)


# ---- output formats -----------------------------------------------------------------------


def test_start_wait_get(server: LocalRekognition, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--endpoint-url", server.url, "--region", "us-east-1"]
    code, out, _ = _run(capsys, "start", "s3://cli-bucket/ok.mp4", "--job-tag", "cli", "--wait", *base)
    assert code == 0
    (job_id,) = out.split()  # only the JobId, so that JOB=$(rekotrack start ... --wait) works
    code, out, _ = _run(capsys, "wait", job_id, *base)
    assert (code, out.strip()) == (0, "SUCCEEDED")
    code, out, err = _run(capsys, "get", job_id, "--sort-by", "INDEX", "--json", *base)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines == list(server.scene_for("s3://cli-bucket/ok.mp4").ground_truth("INDEX"))
    assert err == ""  # stderr is not a terminal: no progress display


def test_get_table_is_one_row_per_detection(server: LocalRekognition, capsys: pytest.CaptureFixture[str]) -> None:
    job_id = _finished_job(server, "s3://cli-bucket/ok.mp4")
    code, out, _ = _run(capsys, "get", job_id, "--endpoint-url", server.url, "--region", "us-east-1")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["timestamp_ms", "person", "left", "top", "width", "height", "face"]
    truth = list(server.scene_for("s3://cli-bucket/ok.mp4").ground_truth())
    assert len(rows) == len(truth)
    for row, det in zip(rows, truth, strict=True):
        cells = row.split()
        assert int(cells[0]) == det["Timestamp"]
        assert int(cells[1]) == det["Person"]["Index"]
        box = det["Person"].get("BoundingBox")
        if box is None:
            assert cells[2:6] == ["-"] * 4
        else:
            assert float(cells[2]) == pytest.approx(box["Left"], abs=1e-4)
        assert cells[6] == ("yes" if "Face" in det["Person"] else "-")


def test_json_lines_of_start_and_wait(server: LocalRekognition, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--endpoint-url", server.url, "--region", "us-east-1", "--json"]
    code, out, _ = _run(capsys, "start", "s3://cli-bucket/ok.mp4", "--wait", *base)
    assert code == 0
    started, ended = (json.loads(line) for line in out.splitlines())
    assert set(started) == {"JobId"}
    assert ended["JobId"] == started["JobId"]
    assert ended["JobStatus"] == "SUCCEEDED"
    assert ended["VideoMetadata"]["FrameWidth"] > 0
    code, out, _ = _run(capsys, "wait", started["JobId"], *base)
    assert (code, json.loads(out)) == (0, ended)


def test_json_wait_of_a_failed_job_still_prints_its_status(
    server: LocalRekognition, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--endpoint-url", server.url, "--region", "us-east-1", "--json"]
    code, out, err = _run(capsys, "start", "s3://cli-bucket/bad.mp4", "--wait", *base)
    assert code == 1
    started, ended = (json.loads(line) for line in out.splitlines())
    assert ended == {"JobId": started["JobId"], "JobStatus": "FAILED", "StatusMessage": "cannot decode"}
    assert "cannot decode" in _one_line_error(err)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "mot"])
def test_export_formats(server: LocalRekognition, capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str) -> None:
    base = ["--endpoint-url", server.url, "--region", "us-east-1"]
    job_id = _finished_job(server, "s3://cli-bucket/ok.mp4")
    target = tmp_path / f"out.{fmt}"
    code, out, err = _run(capsys, "export", job_id, "--format", fmt, "-o", str(target), *base)
    assert code == 0
    assert out == ""
    truth = list(server.scene_for("s3://cli-bucket/ok.mp4").ground_truth())
    lines = target.read_text().splitlines()
    if fmt == "jsonl":
        assert [json.loads(line) for line in lines] == truth
    elif fmt == "csv":
        assert lines[0].startswith("timestamp_ms,person_index")
        assert len(lines) == len(truth) + 1
    else:
        boxed = [d for d in truth if "BoundingBox" in d["Person"]]
        assert len(lines) == len(boxed)
        assert all(len(line.split(",")) == 10 for line in lines)
    assert f"exported {len(lines) - (fmt == 'csv')} rows" in err


def test_export_plots(server: LocalRekognition, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    base = ["--endpoint-url", server.url, "--region", "us-east-1", "--quiet"]
    job_id = _finished_job(server, "s3://cli-bucket/ok.mp4")
    code, out, _ = _run(capsys, "export", job_id, "--plot", str(tmp_path / "plots"), *base)
    assert code == 0
    assert len(out.splitlines()) == len(server.scene_for("s3://cli-bucket/ok.mp4"))
    for name in ("presence.png", "paths.png"):
        assert (tmp_path / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---- exit codes, through the entry point ------------------------------------------------


def test_version() -> None:
    proc = _cli("--version")
    assert (proc.returncode, proc.stdout.strip()) == (0, f"rekotrack {__version__}")


def test_exit_0_1_3_4(server: LocalRekognition) -> None:
    base = ["--endpoint-url", server.url]
    ok = _cli("get", _finished_job(server, "s3://cli-bucket/ok.mp4"), "--json", *base)
    assert ok.returncode == 0, ok.stderr
    assert len(ok.stdout.splitlines()) == len(server.scene_for("s3://cli-bucket/ok.mp4"))
    failed = _cli("wait", _finished_job(server, "s3://cli-bucket/bad.mp4"), *base)
    assert failed.returncode == 1
    assert "cannot decode" in _one_line_error(failed.stderr)
    missing = _cli("get", "no-such-job", *base)
    assert missing.returncode == 4
    assert "ResourceNotFoundException" in _one_line_error(missing.stderr)
    with LocalRekognition(job_seconds=60.0) as slow:
        job_id = _finished_job(slow, "s3://cli-bucket/slow.mp4")
        late = _cli("wait", job_id, "--timeout", "0.3", "--endpoint-url", slow.url)
    assert late.returncode == 3
    assert f"rekotrack wait {job_id}" in _one_line_error(late.stderr)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["start", "http://not-s3/key"], "video must start with s3://"),
        (["start", "s3://ab/key"], "Video.S3Object.Bucket"),
        (["start", "s3://cli-bucket/k", "--job-tag", "bad tag!"], "JobTag"),
        (["start", "s3://cli-bucket/k", "--sns-topic-arn", "arn:aws:sns:us-east-1:123456789012:t"], "--role-arn"),
        (["get", "bad job id"], "JobId"),
        (["get", "job1", "--page-size", "5000"], "page_size"),
        (["wait", "job1", "--timeout", "inf"], "--timeout"),
        (["wait", "job1", "--timeout", "-1"], "--timeout"),
        (["wait", "job1", "--timeout", "nan"], "--timeout"),
        (["wait", "job1", "--timeout", "1e999"], "--timeout"),  # a finite-looking number that is inf
        (["wait", "job1", "--timeout", "-inf"], "--timeout"),
        (["wait", "job1", "--timeout", "soon"], "--timeout"),
        (["start", "s3://cli-bucket/k", "--wait", "--timeout", "Infinity"], "--timeout"),
        (["start", "s3://cli-bucket/k", "--wait", "--timeout", "NaN"], "--timeout"),
        (["get", "job1", "--no-such-flag"], "--no-such-flag"),
    ],
)
def test_bad_input_is_one_line_exit_2(server: LocalRekognition, argv: list[str], needle: str) -> None:
    before = server.request_count()
    proc = _cli(*argv, "--endpoint-url", server.url)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert needle in _one_line_error(proc.stderr)
    assert server.request_count() == before  # nothing sent


def test_unwritable_output_is_one_line_exit_2(server: LocalRekognition, tmp_path: Path) -> None:
    job_id = _finished_job(server, "s3://cli-bucket/ok.mp4")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    before = server.request_count()
    for argv in (
        ["export", job_id, "-o", str(blocker / "out.csv"), "--format", "csv", "--endpoint-url", server.url],
        ["export", job_id, "--plot", str(blocker / "plots"), "--endpoint-url", server.url],
        ["demo", "--out", str(blocker / "demo")],
    ):
        if "--plot" in argv and importlib.util.find_spec("matplotlib") is None:
            continue
        proc = _cli(*argv)
        assert proc.returncode == 2, (argv, proc.stderr)
        line = _one_line_error(proc.stderr)
        assert str(blocker) in line
        assert "Not a directory" in line
    assert server.request_count() == before  # refused before any request


def test_impossible_port_is_one_line_exit_2() -> None:
    proc = _cli("serve", "--port", "70000", timeout=30)
    assert proc.returncode == 2
    assert "--port" in _one_line_error(proc.stderr)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _cli("serve", "--port", str(port), timeout=30)
    assert proc.returncode == 2, proc.stderr
    line = _one_line_error(proc.stderr)
    assert "in use" in line
    assert f"127.0.0.1 port {port}" in line  # which address could not be used


@pytest.mark.parametrize("argv", [["get", "no-such-job"], ["get", "no-such-job", "--json"]])
def test_get_error_before_any_row_has_no_header_and_no_resume_hint(
    server: LocalRekognition, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = _run(capsys, *argv, "--endpoint-url", server.url, "--region", "us-east-1")
    assert code == 4
    assert out == ""  # no table header before the error
    line = _one_line_error(err)
    assert "ResourceNotFoundException" in line
    assert "resume" not in line  # nothing was read: nothing to resume


def test_get_that_fails_part_way_says_where_to_resume(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalRekognition(job_seconds=0.0) as srv:
        srv.add_video(BIG, SyntheticScene(seed=4, people=10, duration_ms=60_000))
        job_id = _finished_job(srv, BIG)
        truth = list(srv.scene_for(BIG).ground_truth())

        class BreaksTheServer(io.StringIO):
            """stdout that makes every later request fail with a 5xx once 120 lines are written."""

            def write(self, text: str) -> int:
                if self.getvalue().count("\n") >= 120:
                    srv.faults = Faults(server_error_rate=1.0)
                return super().write(text)

        out = BreaksTheServer()
        monkeypatch.setattr(sys, "stdout", out)
        code = main(["get", job_id, "--json", "--page-size", "50", "--endpoint-url", srv.url, "--region", "us-east-1"])
        monkeypatch.undo()
        err = capsys.readouterr().err
        assert code == 4
        line = _one_line_error(err)
        assert "InternalServerError" in line or "500" in line, line
        assert "; resume with --starting-token " in line
        token = line.rsplit(" ", 1)[1]
        printed = [json.loads(row) for row in out.getvalue().splitlines()]
        assert 120 <= len(printed) < len(truth)
        srv.faults = None
        code, rest, _ = _run(capsys, "get", job_id, "--json", "--starting-token", token, "--endpoint-url", srv.url,
                             "--region", "us-east-1")
    assert code == 0
    assert printed + [json.loads(row) for row in rest.splitlines()] == truth  # nothing lost or repeated


def test_get_of_a_failed_job_has_no_resume_hint(server: LocalRekognition, capsys: pytest.CaptureFixture[str]) -> None:
    job_id = _finished_job(server, "s3://cli-bucket/bad.mp4")
    code, out, err = _run(capsys, "get", job_id, "--endpoint-url", server.url, "--region", "us-east-1")
    assert code == 1
    assert out == ""
    line = _one_line_error(err)
    assert "cannot decode" in line
    assert "resume" not in line


def test_get_of_an_empty_result_prints_the_header(capsys: pytest.CaptureFixture[str]) -> None:
    with LocalRekognition(job_seconds=0.0) as srv:
        srv.add_video("s3://cli-bucket/empty.mp4", SyntheticScene(seed=4, people=0, duration_ms=1_000))
        job_id = _finished_job(srv, "s3://cli-bucket/empty.mp4")
        code, out, _ = _run(capsys, "get", job_id, "--endpoint-url", srv.url, "--region", "us-east-1")
    assert code == 0
    assert out.split() == ["timestamp_ms", "person", "left", "top", "width", "height", "face"]


def test_missing_server_extra_is_said_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # import av raises ImportError: the extra is missing
    (tmp_path / "v.avi").write_bytes(b"")
    (tmp_path / "r.jsonl").write_text("")
    for argv in (["render", str(tmp_path / "v.avi"), str(tmp_path / "r.jsonl"), "-o", str(tmp_path / "o.mp4")],
                 ["serve", "--analyzer", "video", "--video-root", str(tmp_path)]):
        code, out, err = _run(capsys, *argv)
        assert (code, out) == (2, ""), argv
        line = _one_line_error(err)
        assert line.count("needs the server extra") == 1, line
        assert "pip install '.[server]'" in line  # what works from a clone today


# ---- pipes --------------------------------------------------------------------------------


def _head_1(argv: list[str]) -> tuple[str, int, str]:
    """``rekotrack ARGV | head -1``: read one line, close the pipe, return (line, exit code, stderr)."""
    proc = _popen(*argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stderr is not None
    line = proc.stdout.readline()
    proc.stdout.close()
    code = proc.wait(timeout=120)
    return line, code, proc.stderr.read()


@pytest.mark.parametrize(
    "argv",
    [
        ["get"],
        ["get", "--json"],
        ["export", "--format", "jsonl"],
        ["export", "--format", "csv"],
        ["export", "--format", "mot"],
    ],
    ids=["get", "get-json", "export-jsonl", "export-csv", "export-mot"],
)
def test_closed_pipe_exits_quietly(server: LocalRekognition, argv: list[str]) -> None:
    job_id = _finished_job(server, BIG)
    line, code, err = _head_1([argv[0], job_id, *argv[1:], "--endpoint-url", server.url, "--quiet"])
    assert line.strip()
    assert code == 141  # the output is MBs: the pipe did break, and quietly
    assert err == ""


# ---- Ctrl-C -------------------------------------------------------------------------------


def _wait_for(condition: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _interrupt(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def test_ctrl_c_in_wait() -> None:
    with LocalRekognition(job_seconds=600.0) as slow:
        job_id = _finished_job(slow, "s3://cli-bucket/slow.mp4")
        before = slow.request_count("GetPersonTracking")
        proc = _popen("wait", job_id, "--endpoint-url", slow.url, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _wait_for(lambda: slow.request_count("GetPersonTracking") > before, "the first status check")
        code, err = _interrupt(proc)
    assert code == 130
    assert _one_line_error(err) == "rekotrack: interrupted"


def test_ctrl_c_in_get_says_where_to_resume(server: LocalRekognition) -> None:
    job_id = _finished_job(server, BIG)
    # Nobody reads stdout: once the pipe is full, get blocks in a write, half-way through the pages.
    proc = _popen("get", job_id, "--json", "--page-size", "100", "--endpoint-url", server.url,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    before = server.request_count("GetPersonTracking")
    _wait_for(lambda: server.request_count("GetPersonTracking") >= before + 2, "a few pages")
    time.sleep(0.5)
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.send_signal(signal.SIGINT)
    out = proc.stdout.read()
    code = proc.wait(timeout=60)
    line = _one_line_error(proc.stderr.read())
    assert code == 130
    assert line.startswith("rekotrack: interrupted; resume with --starting-token ")
    token = line.rsplit(" ", 1)[1]
    seen = [json.loads(row) for row in out.splitlines() if row.endswith("}")]
    rest = _cli("get", job_id, "--json", "--starting-token", token, "--endpoint-url", server.url)
    assert rest.returncode == 0
    resumed = [json.loads(row) for row in rest.stdout.splitlines()]
    truth = list(server.scene_for(BIG).ground_truth())
    assert 0 < len(resumed) < len(truth)
    assert resumed == truth[len(truth) - len(resumed):]  # the rest, exactly
    assert seen == truth[: len(seen)]
    assert len(seen) + len(resumed) == len(truth)  # what was printed, then the rest: nothing lost or repeated


def test_ctrl_c_in_demo(tmp_path: Path) -> None:
    proc = _popen("demo", "--out", str(tmp_path / "demo"), "--duration", "20",
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("started job"):
            break
    code, err = _interrupt(proc)
    assert code == 130
    assert _one_line_error(err) == "rekotrack: interrupted"


def _children(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.add(int(status.parent.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` exists and has not ended (a zombie has ended; only its exit status is left)."""
    try:
        state = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State:"))
    except (OSError, StopIteration):
        return False
    return "zombie" not in state


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


def _serve_and_interrupt(
    argv: list[str], uri: str, ready: Callable[[dict[int, str]], bool] | None = None
) -> tuple[int, str, dict[int, str]]:
    """Serve, start a job on ``uri`` and let it run, Ctrl-C; returns (exit code, stderr, child pids seen).

    With ``ready``, Ctrl-C comes once ``ready(children)`` holds for serve's children ({pid: command line}).
    """
    import boto3

    proc = _popen("serve", *argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = first.split("listening on ")[1].strip()
        client = boto3.client("rekognition", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
        job_id = client.start_person_tracking(Video={"S3Object": _s3(uri)})["JobId"]
        assert client.get_person_tracking(JobId=job_id, MaxResults=1)["JobStatus"] == "IN_PROGRESS"
        time.sleep(1.0)  # the job is running
        children = {pid: _command_line(pid) for pid in _children(proc.pid)}
        if ready is not None:
            deadline = time.monotonic() + 60
            while not ready(children):
                assert time.monotonic() < deadline, f"serve's children never got ready: {children}"
                time.sleep(0.1)
                children = {pid: _command_line(pid) for pid in _children(proc.pid)}
            assert client.get_person_tracking(JobId=job_id, MaxResults=1)["JobStatus"] == "IN_PROGRESS"
        code, err = _interrupt(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return code, err, children


def test_ctrl_c_in_serve_with_a_running_job() -> None:
    code, err, _ = _serve_and_interrupt(["--job-seconds", "600"], "s3://cli-bucket/running.mp4")
    assert code == 130
    assert _one_line_error(err) == "rekotrack: interrupted"


VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


def _needs_the_video_side(*modules: str, check_video: bool = True) -> None:
    """Skip, naming what is missing (the conftest adds the command that brings it), without the server extra
    or opencv-doc's vtest.avi."""
    for module in ("cv2", "av", *modules):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"could not import {module!r} (the server extra)")
    if check_video and not VTEST.is_file():
        pytest.skip("vtest.avi not found (Debian opencv-doc)")


def test_ctrl_c_in_video_serve_stops_its_workers_first(tmp_path: Path) -> None:
    _needs_the_video_side()
    (tmp_path / "videos" / "lobby").mkdir(parents=True)
    shutil.copyfile(VTEST, tmp_path / "videos" / "lobby" / "vtest.avi")
    code, err, children = _serve_and_interrupt(
        ["--analyzer", "video", "--video-root", str(tmp_path / "videos")], "s3://lobby/vtest.avi",
        ready=lambda seen: any(_is_worker(command) for command in seen.values()),  # the analysis runs in one
    )
    assert code == 130
    assert "Traceback" not in err
    lines = err.strip().splitlines()  # job progress is logged on stderr, then the one line
    assert lines[-1] == "rekotrack: interrupted"
    assert lines.count("rekotrack: interrupted") == 1
    workers = {pid: command for pid, command in children.items() if _is_worker(command)}
    trackers = {pid: command for pid, command in children.items() if "multiprocessing.resource_tracker" in command}
    assert workers
    assert set(children) == set(workers) | set(trackers), children  # nothing else was started
    alive = {pid: command for pid, command in workers.items() if _running(pid)}
    assert not alive  # every worker ended before serve did
    # multiprocessing's resource tracker ends a moment after serve (when the pipe it reads is closed):
    # bounded wait, then it must be gone too
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in trackers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not {pid: command for pid, command in trackers.items() if _running(pid)}


def _is_worker(command: str) -> bool:
    """A process that multiprocessing spawned to run analyses (serve's ProcessPoolExecutor)."""
    return "multiprocessing.spawn" in command and "--multiprocessing-fork" in command


def test_ctrl_c_in_export(server: LocalRekognition, tmp_path: Path) -> None:
    job_id = _finished_job(server, BIG)
    before = server.request_count("GetPersonTracking")
    proc = _popen("export", job_id, "--format", "csv", "-o", str(tmp_path / "d.csv"), "--endpoint-url", server.url,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(lambda: server.request_count("GetPersonTracking") >= before + 2 or proc.poll() is not None, "a few pages")
    code, err = _interrupt(proc)
    assert code == 130
    assert _one_line_error(err) == "rekotrack: interrupted"


def test_ctrl_c_that_a_library_wraps_still_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C landing inside a pydantic serializer reaches the command as PydanticSerializationError
    (a ValueError), not KeyboardInterrupt; a CI run of test_ctrl_c_in_export saw exit 2 ("bad input") from it."""
    import argparse

    from pydantic import BaseModel, field_serializer
    from pydantic_core import PydanticSerializationError

    import rekotrack._cli as cli

    class Row(BaseModel):
        value: int

        @field_serializer("value")
        def _ctrl_c_here(self, value: int) -> int:
            signal.raise_signal(signal.SIGINT)  # the handler main() installed raises KeyboardInterrupt here
            return value

    seen: list[BaseException] = []

    def export(args: argparse.Namespace) -> int:
        try:
            Row(value=1).model_dump()
        except PydanticSerializationError as exc:  # what pydantic makes of the KeyboardInterrupt
            seen.append(exc)
            raise
        return 0

    monkeypatch.setattr(cli, "cmd_export", export)
    assert main(["export", "job-1"]) == 130
    assert len(seen) == 1
    assert _one_line_error(capsys.readouterr().err) == "rekotrack: interrupted"


def _short_clip(folder: Path, frames: int) -> tuple[Path, Path]:
    """The first ``frames`` frames of vtest.avi, and a JSON Lines result with one box per frame."""
    import cv2

    capture = cv2.VideoCapture(str(VTEST))
    fps = capture.get(cv2.CAP_PROP_FPS)
    size = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    clip = folder / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    for _ in range(frames):
        ok, frame = capture.read()
        assert ok
        writer.write(frame)
    writer.release()
    capture.release()
    result = folder / "clip.jsonl"
    box = {"Left": 0.1, "Top": 0.1, "Width": 0.2, "Height": 0.5}
    result.write_text("".join(json.dumps({"Timestamp": int(n * 1000 / fps), "Person": {"Index": 0,
                                          "BoundingBox": box}}) + "\n" for n in range(frames)))
    return clip, result


def test_ctrl_c_in_render(tmp_path: Path) -> None:
    _needs_the_video_side()
    clip, result = _short_clip(tmp_path, 300)
    out = tmp_path / "frames"
    proc = _popen("render", str(clip), str(result), "-o", str(out), "--frames",
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(lambda: any(out.glob("*.png")) or proc.poll() is not None, "the first rendered frame")
    assert proc.poll() is None  # still rendering
    code, err = _interrupt(proc)
    assert code == 130
    assert _one_line_error(err) == "rekotrack: interrupted"
    assert 0 < len(list(out.glob("*.png"))) < 300


def test_ctrl_c_in_worker(tmp_path: Path, moto_url: str) -> None:
    _needs_the_video_side("celery", check_video=False)
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("redis-server not found (Debian redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    redis_proc = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", str(tmp_path)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    return conn.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        _wait_for(answers, "redis-server")
        log = tmp_path / "worker.log"
        with log.open("w") as err_file:
            proc = _popen("worker", "--broker", f"redis://127.0.0.1:{port}/0", "--data-dir", str(tmp_path / "w"),
                          "--s3-endpoint-url", moto_url,  # the worker checks its S3 credentials there at start
                          stdout=subprocess.DEVNULL, stderr=err_file)
            try:
                _wait_for(lambda: " ready." in log.read_text() or proc.poll() is not None, "the worker", 120)
                assert proc.poll() is None, log.read_text()
                pool = {pid: _command_line(pid) for pid in _children(proc.pid)}
                proc.send_signal(signal.SIGINT)
                code = proc.wait(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        err = log.read_text()
    finally:
        redis_proc.terminate()
        redis_proc.wait(timeout=30)
    assert code == 130
    assert "Traceback" not in err
    lines = err.strip().splitlines()  # Celery's log on stderr, then the one line
    assert lines[-1] == "rekotrack: interrupted"
    assert lines.count("rekotrack: interrupted") == 1
    assert pool  # the prefork pool ...
    assert not [pid for pid in pool if _running(pid)]  # ... ended with the worker


# ---- local endpoints ----------------------------------------------------------------------


def test_local_endpoint_needs_no_region_or_credentials(server: LocalRekognition, tmp_path: Path) -> None:
    job_id = _finished_job(server, "s3://cli-bucket/ok.mp4")
    bare = {k: v for k, v in _env().items() if k not in {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                         "AWS_DEFAULT_REGION"}}
    bare["HOME"] = str(tmp_path)  # no ~/.aws either
    proc = _cli("get", job_id, "--json", "--endpoint-url", server.url, env=bare)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == len(server.scene_for("s3://cli-bucket/ok.mp4"))
    note = _one_line_error(proc.stderr)
    assert note.startswith("rekotrack: note: local endpoint")
    assert "us-east-1" in note
    assert "placeholder credentials" in note
    quiet = _cli("get", job_id, "--json", "--quiet", "--endpoint-url", server.url.replace("127.0.0.1", "localhost"),
                 env=bare)
    assert (quiet.returncode, quiet.stderr) == (0, "")
    assert quiet.stdout == proc.stdout


# ---- help and progress ---------------------------------------------------------------------

COMMANDS = ["start", "wait", "get", "export", "demo", "serve", "render", "worker"]
AWS_COMMANDS = {"start", "wait", "get", "export"}


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_plain_text_with_an_example(command: str) -> None:
    proc = _cli(command, "--help")
    assert proc.returncode == 0
    text = proc.stdout
    assert "example" in text
    assert f"rekotrack {command}" in text.split("example", 1)[1]
    for markup in ("``", ":class:", ":meth:", "\n.. ", "`"):
        assert markup not in text, markup
    has_aws = all(flag in text for flag in ("--region", "--profile", "--endpoint-url"))
    assert has_aws == (command in AWS_COMMANDS)
    assert ("  --json " in text) == (command in {"start", "wait", "get"})


def test_top_level_help_has_the_exit_codes() -> None:
    text = _cli("--help").stdout
    for code in ("0", "1", "2", "3", "4", "130"):
        assert any(line.split()[:1] == [code] for line in text.splitlines()), code


def _on_a_terminal(
    argv: list[str], tmp_path: Path, *, when: Callable[[str], bool] | None = None, then: Callable[[], object] = str,
    timeout: float = 120,
) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal; returns (exit code, stdout, what the terminal showed).

    ``then()`` is called once, as soon as what the terminal showed satisfies ``when``.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))  # a terminal 160 columns wide
    stdout = (tmp_path / "stdout.txt").open("w+")
    proc = _popen(*argv, stdout=stdout, stderr=slave)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if when is not None and when(shown.decode(errors="replace")):
                when = None
                then()
        elif proc.poll() is not None:
            break
    os.close(master)
    code = proc.wait(timeout=30)
    stdout.seek(0)
    out = stdout.read()
    stdout.close()
    return code, out, shown.decode(errors="replace")


def test_progress_on_a_terminal_shows_detections_and_pages(server: LocalRekognition, tmp_path: Path) -> None:
    job_id = _finished_job(server, BIG)
    code, out, shown = _on_a_terminal(
        ["get", job_id, "--json", "--page-size", "500", "--endpoint-url", server.url], tmp_path
    )
    assert code == 0
    total = len(server.scene_for(BIG))
    assert len(out.splitlines()) == total
    assert f"reading: {total} detections, {-(-total // 500)} pages [" in shown


def _elapsed_after_first_check(shown: str) -> set[str]:
    frames = [frame for frame in shown.split("\r") if "IN_PROGRESS, 1 status check [" in frame]
    return {frame.rsplit("[", 1)[1].split("]")[0] for frame in frames}


def test_progress_while_waiting_ticks_between_status_checks(tmp_path: Path) -> None:
    with LocalRekognition(job_seconds=600.0) as slow:
        job_id = _finished_job(slow, "s3://cli-bucket/slow.mp4")
        # The job ends only once the display has ticked at least twice after the first status check.
        code, out, shown = _on_a_terminal(["wait", job_id, "--endpoint-url", slow.url], tmp_path,
                                          when=lambda seen: len(_elapsed_after_first_check(seen)) >= 2,
                                          then=slow.finish_jobs)
    assert (code, out.strip()) == (0, "SUCCEEDED")
    assert len(_elapsed_after_first_check(shown)) >= 2, shown  # the clock moved while nothing new arrived
    assert "SUCCEEDED, 2 status checks [" in shown


def test_no_progress_when_quiet_or_not_a_terminal(server: LocalRekognition, tmp_path: Path) -> None:
    job_id = _finished_job(server, "s3://cli-bucket/ok.mp4")
    code, _, shown = _on_a_terminal(["get", job_id, "--quiet", "--endpoint-url", server.url], tmp_path)
    assert (code, shown) == (0, "")
    proc = _cli("get", job_id, "--endpoint-url", server.url)
    assert (proc.returncode, proc.stderr) == (0, "")


def test_console_script_demo(tmp_path: Path) -> None:
    proc = _cli("demo", "--out", str(tmp_path / "demo"), "--duration", "20")
    assert proc.returncode == 0, proc.stderr
    assert "SUCCEEDED" in proc.stdout
    assert "first seen" in proc.stdout
    out = tmp_path / "demo"
    saved = out / "result.jsonl"
    assert saved.exists()
    result = TrackingResult.load(saved)
    assert len(result) > 0
    assert len((out / "detections.jsonl").read_text().splitlines()) == len(result)
    if importlib.util.find_spec("matplotlib") is not None:
        for name in ("presence.png", "paths.png"):
            assert (out / name).stat().st_size > 10_000


# ---- what the SDK commands load ------------------------------------------------------------

_SERVER_SIDE = ("rekotrack.server", "rekotrack.testing", "rekotrack.selfhosted", "rekotrack._demo")

_LOADED = """
import json, sys
from rekotrack._cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exc:  # --help
    code = exc.code
with open(sys.argv[1], "w") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""


def _modules_loaded_by(tmp_path: Path, *argv: str) -> tuple[object, list[str]]:
    """Run the CLI in a fresh interpreter; returns (exit code, the modules it had loaded at the end)."""
    report = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", _LOADED, str(report), *argv], capture_output=True, text=True,
                          timeout=120, env=_env(), check=False)
    assert report.is_file(), done.stderr
    loaded = json.loads(report.read_text())
    return loaded["code"], loaded["modules"]


def _server_side(modules: list[str]) -> list[str]:
    return [m for m in modules if m == "rekotrack.selfhosted" or m.startswith(tuple(p + "." for p in _SERVER_SIDE))
            or m in _SERVER_SIDE]


@pytest.mark.parametrize("command", ["start", "wait", "get", "export", "serve", "render", "worker", "demo"])
def test_help_loads_no_server_module(tmp_path: Path, command: str) -> None:
    code, modules = _modules_loaded_by(tmp_path, command, "--help")
    assert code == 0
    assert "rekotrack._cli_server_options" in modules  # the parser knows every command's flags ...
    assert _server_side(modules) == []  # ... without the server side


def test_sdk_commands_load_no_server_module(server: LocalRekognition, tmp_path: Path) -> None:
    job_id = _finished_job(server, "s3://cli-bucket/ok.mp4")
    endpoint = ["--endpoint-url", server.url, "--quiet"]
    for argv in (["start", "s3://cli-bucket/ok.mp4", *endpoint], ["wait", job_id, *endpoint],
                 ["get", job_id, "--json", *endpoint], ["export", job_id, "-o", str(tmp_path / "d.csv"),
                                                         "--format", "csv", *endpoint]):
        code, modules = _modules_loaded_by(tmp_path, *argv)
        assert code == 0, argv
        assert "rekotrack._sync._person_tracking" in modules or "rekotrack._client" in modules  # it ran the SDK
        assert _server_side(modules) == [], argv


def test_serve_loads_its_server_when_it_runs(tmp_path: Path) -> None:
    code, modules = _modules_loaded_by(tmp_path, "serve", "--port", "99999")  # refused after parsing: exit 2
    assert code == 2
    assert "rekotrack.selfhosted.service._cli" not in modules  # a bad port is refused by the parser, before loading
    code, modules = _modules_loaded_by(tmp_path, "serve", "--analyzer", "video", "--video-root",
                                       str(tmp_path / "missing"))
    assert code == 2  # not a folder: refused by serve itself, which was loaded for it
    assert "rekotrack.selfhosted.service._cli" in modules


def test_a_broken_internal_import_is_not_reported_as_a_missing_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for module in ("av", "cv2", "celery", "redis"):
        if importlib.util.find_spec(module) is None:
            pytest.skip("needs the server extra")
    monkeypatch.setitem(sys.modules, "rekotrack.selfhosted.service._scale", None)  # its import raises ImportError
    code, _, err = _run(capsys, "serve", "--analyzer", "video", "--broker", "redis://127.0.0.1:1/0",
                        "--results", "s3://results/runs")
    assert code == 2
    line = _one_line_error(err)
    assert "rekotrack.selfhosted.service._scale" in line
    assert "pip install" not in line  # celery and redis are installed: not what is wrong
