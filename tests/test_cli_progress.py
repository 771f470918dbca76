"""The progress line on a terminal: it moves (elapsed time, frames as a percent with an ETA counting down) and it
stays on its line: erased before a table row or a message on the same terminal, never redrawn after the end."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator

import pytest

from rekotrack._progress import FrameProgress, Progress
from rekotrack.testing import LocalRekognition, SyntheticScene

_CSI = re.compile(r"\x1b\[(\d*)([A-Za-z])")


def screen(shown: str) -> list[str]:
    """What a terminal shows after ``shown``: carriage returns, newlines, erase-line and cursor-up applied."""
    lines: list[list[str]] = [[]]
    row = col = 0
    i = 0
    while i < len(shown):
        char = shown[i]
        match = _CSI.match(shown, i)
        if match:
            count, command = int(match.group(1) or 1), match.group(2)
            if command == "K":
                del lines[row][col:]
            elif command == "A":
                row = max(0, row - count)
            i = match.end()
            continue
        if char == "\r":
            col = 0
        elif char == "\n":
            row += 1
            col = 0
            while len(lines) <= row:
                lines.append([])
        else:
            line = lines[row]
            while len(line) < col:
                line.append(" ")
            if col < len(line):
                line[col] = char
            else:
                line.append(char)
            col += 1
        i += 1
    return ["".join(line).rstrip() for line in lines]


def test_screen_emulation() -> None:
    assert screen("abc\rxy\n") == ["xyc", ""]
    assert screen("progress 1\r          \rrow\n") == ["row", ""]
    assert screen("bar\x1b[K\r\x1b[Khello\n") == ["hello", ""]


# ---- FrameProgress: percent and ETA ----------------------------------------------------------------


def test_frames_percent_and_eta() -> None:
    frames = FrameProgress()
    assert frames.describe(0.0) == ""
    assert not frames.observe("queued", 0.0)
    assert frames.observe("analysed 100 of 800 frames", 10.0)
    assert frames.percent() == 12
    assert frames.seconds_left(10.0) is None  # one report: no rate yet
    assert frames.describe(10.0) == "analysed 100 of 800 frames, 12%"
    assert frames.observe("analysed 300 of 800 frames", 20.0)  # 20 frames/s: 500 left = 25 s
    assert frames.percent() == 37
    assert frames.seconds_left(20.0) == pytest.approx(25.0)
    assert frames.seconds_left(30.0) == pytest.approx(15.0)  # counts down between status checks
    assert frames.seconds_left(60.0) == 0.0
    assert frames.describe(30.0) == "analysed 300 of 800 frames, 37%, ETA 0:15"
    assert frames.observe("analysed 800 of 800 frames", 45.0)
    assert frames.percent() == 100


def test_frames_eta_in_hours_and_a_restarted_job() -> None:
    frames = FrameProgress()
    frames.observe("analysed 10 of 100000 frames", 0.0)
    frames.observe("analysed 20 of 100000 frames", 1.0)  # 10 frames/s: 99,980 left
    assert frames.describe(1.0).endswith("ETA 2:46:38")
    frames.observe("analysed 5 of 100000 frames", 2.0)  # a worker started the job again: measure afresh
    assert frames.seconds_left(2.0) is None


# ---- Progress on a pseudo-terminal ----------------------------------------------------------------


class _Terminal:
    """A pseudo-terminal 160 columns wide: ``stream`` writes to it, :meth:`read` returns what it got."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))
        self.stream = io.TextIOWrapper(os.fdopen(self.slave, "wb", buffering=0), write_through=True)
        self.shown = b""

    def read(self, seconds: float = 0.0) -> str:
        deadline = time.monotonic() + seconds
        while True:
            ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            self.shown += os.read(self.master, 65536)
        return self.shown.decode(errors="replace").replace("\r\n", "\n")

    def close(self) -> None:
        self.stream.close()
        os.close(self.master)


@pytest.fixture
def terminal() -> Iterator[_Terminal]:
    term = _Terminal()
    yield term
    term.close()


def test_eta_counts_down_between_status_checks(terminal: _Terminal) -> None:
    now = [100.0]
    progress = Progress("waiting for job", stream=terminal.stream, clock=lambda: now[0])
    progress.status("IN_PROGRESS, 1 status check", "analysed 100 of 800 frames")
    now[0] = 110.0
    progress.status("IN_PROGRESS, 2 status checks", "analysed 300 of 800 frames")  # 20 frames/s, 25 s left
    terminal.read(0.8)  # the ticker has drawn it
    now[0] = 120.0  # no new status check: the estimate moves on its own
    shown = terminal.read(1.2)
    progress.close()
    assert "IN_PROGRESS, 2 status checks, analysed 300 of 800 frames, 37%, ETA 0:25" in shown
    assert "IN_PROGRESS, 2 status checks, analysed 300 of 800 frames, 37%, ETA 0:15" in shown


def test_a_status_message_without_frames_is_shown_as_it_is(terminal: _Terminal) -> None:
    progress = Progress("waiting", stream=terminal.stream)
    progress.status("IN_PROGRESS, 1 status check", "queued behind 2 jobs")
    shown = terminal.read(0.8)
    progress.close()
    assert "IN_PROGRESS, 1 status check, queued behind 2 jobs" in shown


def test_write_erases_the_line_first_and_close_keeps_the_last_state(terminal: _Terminal) -> None:
    progress = Progress("reading", unit="detections", counting=True, stream=terminal.stream)
    progress.advance(5)
    terminal.read(0.8)
    progress.write("header\n", terminal.stream)
    progress.write("row 1\n", terminal.stream)
    progress.close()
    lines = screen(terminal.read(0.3))
    assert lines[0] == "header"  # not "reading: 5 detections [...]header"
    assert lines[1] == "row 1"
    assert lines[2].startswith("reading: 5 detections")  # the last state, below, on its own line


def test_an_error_erases_the_line(terminal: _Terminal) -> None:
    def interrupted_wait() -> None:
        with Progress("waiting", stream=terminal.stream) as progress:
            progress.status("IN_PROGRESS, 1 status check")
            terminal.read(0.8)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_wait()
    terminal.stream.write("rekotrack: interrupted\n")
    lines = [line for line in screen(terminal.read(0.3)) if line]
    assert lines == ["rekotrack: interrupted"]


# ---- the commands, stdout and stderr on one terminal ------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    return env


def _in_a_terminal(argv: list[str], *, when: Callable[[str], bool] | None = None,
                   then: Callable[[subprocess.Popen[bytes]], object] | None = None,
                   timeout: float = 120) -> tuple[int, str]:
    """Run ``rekotrack ARGV`` with stdout and stderr on one pseudo-terminal; (exit code, what it showed).

    ``then(process)`` runs once, as soon as what was shown satisfies ``when``.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "rekotrack", *argv], stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL, env=_env())
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + timeout
    try:
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
                if when is not None and then is not None and when(shown.decode(errors="replace")):
                    when = None
                    then(proc)
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, shown.decode(errors="replace").replace("\r\n", "\n")


@pytest.fixture(scope="module")
def server() -> Iterator[LocalRekognition]:
    with LocalRekognition(job_seconds=0.0) as srv:
        srv.add_video("s3://progress/ok.mp4", SyntheticScene(seed=4, people=3, duration_ms=10_000))
        yield srv


def test_get_table_starts_on_a_clean_line(server: LocalRekognition) -> None:
    job_id = server.client().start_person_tracking(Video={"S3Object": {"Bucket": "progress", "Name": "ok.mp4"}})[
        "JobId"]
    code, shown = _in_a_terminal(["get", job_id, "--endpoint-url", server.url])
    assert code == 0
    lines = screen(shown)
    assert lines[0].split() == ["timestamp_ms", "person", "left", "top", "width", "height", "face"]
    rows = [line for line in lines[1:] if line and not line.startswith("reading")]
    assert len(rows) == len(server.scene_for("s3://progress/ok.mp4"))
    assert all(re.fullmatch(r"[\d\s.\-yes]+", row) for row in rows), rows  # no progress text inside a row
    assert lines[-2].startswith("reading: ") or lines[-1].startswith("reading: ")  # the summary, last


def test_ctrl_c_line_on_its_own_and_no_bar_after_it() -> None:
    with LocalRekognition(job_seconds=600.0) as slow:
        job_id = slow.client().start_person_tracking(Video={"S3Object": {"Bucket": "progress", "Name": "slow.mp4"}})[
            "JobId"]
        code, shown = _in_a_terminal(
            ["wait", job_id, "--endpoint-url", slow.url],
            when=lambda seen: "IN_PROGRESS, 1 status check [" in seen,
            then=lambda proc: proc.send_signal(signal.SIGINT),
        )
    assert code == 130
    assert "IN_PROGRESS, 1 status check [" in shown  # the progress line was there ...
    lines = [line for line in screen(shown) if line]
    assert lines == ["rekotrack: interrupted"]  # ... and was erased: the message alone, nothing drawn after it


def test_ctrl_c_in_get_on_a_terminal_leaves_the_rows_and_the_hint_alone() -> None:
    uri = "s3://progress/big.mp4"
    with LocalRekognition(job_seconds=0.0) as srv:
        srv.add_video(uri, SyntheticScene(seed=4, people=10, duration_ms=300_000))
        job_id = srv.client().start_person_tracking(Video={"S3Object": {"Bucket": "progress", "Name": "big.mp4"}})[
            "JobId"]
        code, shown = _in_a_terminal(
            ["get", job_id, "--json", "--page-size", "100", "--endpoint-url", srv.url],
            when=lambda seen: seen.count("\n") > 300 and "reading: " in seen,
            then=lambda proc: proc.send_signal(signal.SIGINT),
        )
    assert code == 130
    lines = [line for line in screen(shown) if line]
    assert lines[-1].startswith("rekotrack: interrupted; resume with --starting-token "), lines[-3:]
    rows = lines[:-1]
    assert len(rows) > 300
    assert all(row.startswith('{"Timestamp"') and row.endswith("}") for row in rows)  # no progress text left


def test_progress_of_another_kind_counts_its_items(server: LocalRekognition) -> None:
    job_id = server.client().start_label_detection(Video={"S3Object": {"Bucket": "progress", "Name": "ok.mp4"}})[
        "JobId"]
    code, shown = _in_a_terminal(["get", "--job", "labels", job_id, "--page-size", "10", "--endpoint-url", server.url])
    assert code == 0
    lines = [line for line in screen(shown) if line]
    assert lines[0].split() == ["timestamp_ms", "start_ms", "end_ms", "confidence", "instance_count", "name"]
    rows = len(lines) - 2  # the header and the final progress line
    assert re.fullmatch(rf"reading: {rows} labels, {-(-rows // 10)} pages? \[.*", lines[-1]), lines[-1]
