"""The command line through its entry point: exit codes, stderr messages, output."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rekotrack._cli import main
from rekotrack.testing import LocalRekognition, SyntheticScene


@pytest.fixture(scope="module")
def server() -> Iterator[LocalRekognition]:
    with LocalRekognition(job_seconds=0.0) as srv:
        srv.add_video("s3://cli-bucket/ok.mp4", SyntheticScene(seed=4, people=3, duration_ms=10_000))
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


def test_start_wait_get(server: LocalRekognition, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--endpoint-url", server.url, "--region", "us-east-1"]
    code, out, _ = _run(capsys, "start", "s3://cli-bucket/ok.mp4", "--job-tag", "cli", "--wait", *base)
    assert code == 0
    job_id = out.strip()
    code, out, _ = _run(capsys, "wait", job_id, *base)
    assert (code, out.strip()) == (0, "SUCCEEDED")
    code, out, err = _run(capsys, "get", job_id, "--sort-by", "INDEX", *base)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines == list(server.scene_for("s3://cli-bucket/ok.mp4").ground_truth("INDEX"))
    assert err == ""  # stderr is not a terminal: no progress display


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["start", "http://not-s3/key"], "video must start with s3://"),
        (["start", "s3://ab/key"], "Video.S3Object.Bucket"),
        (["start", "s3://cli-bucket/k", "--job-tag", "bad tag!"], "JobTag"),
        (["start", "s3://cli-bucket/k", "--sns-topic-arn", "arn:aws:sns:us-east-1:123456789012:t"], "--role-arn"),
        (["get", "bad job id"], "JobId"),
        (["get", "job1", "--page-size", "5000"], "page_size"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    server: LocalRekognition, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    before = server.request_count()
    code, out, err = _run(capsys, *argv, "--endpoint-url", server.url, "--region", "us-east-1")
    assert code == 2
    assert out == ""
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert server.request_count() == before  # nothing sent


def test_failed_job_exit_1(server: LocalRekognition, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "start", "s3://cli-bucket/bad.mp4", "--wait", "--endpoint-url", server.url,
                        "--region", "us-east-1")
    assert code == 1
    assert "cannot decode" in err


def test_timeout_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    with LocalRekognition(job_seconds=60.0) as slow:
        base = ["--endpoint-url", slow.url, "--region", "us-east-1"]
        code, out, _ = _run(capsys, "start", "s3://cli-bucket/slow.mp4", *base)
        job_id = out.strip()
        code, _, err = _run(capsys, "wait", job_id, "--timeout", "0.3", *base)
    assert code == 3
    assert f"rekotrack wait {job_id}" in err


def test_api_error_exit_4(server: LocalRekognition, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "get", "no-such-job", "--endpoint-url", server.url, "--region", "us-east-1")
    assert code == 4
    assert "ResourceNotFoundException" in err
    assert "Traceback" not in err


def test_console_script_demo(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rekotrack", "demo", "--out", str(tmp_path / "demo"), "--duration", "20"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "SUCCEEDED" in proc.stdout
    assert "first seen" in proc.stdout
    out = tmp_path / "demo"
    saved = out / "result.jsonl"
    assert saved.exists()
    from rekotrack import TrackingResult

    result = TrackingResult.load(saved)
    assert len(result) > 0
    assert len((out / "detections.jsonl").read_text().splitlines()) == len(result)
    if importlib.util.find_spec("matplotlib") is not None:
        for name in ("presence.png", "paths.png"):
            assert (out / name).stat().st_size > 10_000


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "mot"])
def test_export_formats(server: LocalRekognition, capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str) -> None:
    base = ["--endpoint-url", server.url, "--region", "us-east-1"]
    code, out, _ = _run(capsys, "start", "s3://cli-bucket/ok.mp4", "--wait", *base)
    job_id = out.strip()
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
    _, out, _ = _run(capsys, "start", "s3://cli-bucket/ok.mp4", "--wait", *base)
    code, out, _ = _run(capsys, "export", out.strip(), "--plot", str(tmp_path / "plots"), *base)
    assert code == 0
    assert len(out.splitlines()) == len(server.scene_for("s3://cli-bucket/ok.mp4"))
    for name in ("presence.png", "paths.png"):
        assert (tmp_path / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
