"""The command line for every Video job (``--job KIND``), through the real local server and botocore."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rekotrack
from rekotrack import _job_results
from rekotrack._cli import main
from rekotrack._cli_jobs import KINDS, START_FLAGS, ItemTable
from rekotrack._synthetic._jobs import SyntheticJob
from rekotrack.testing import LocalRekognition, SyntheticScene

OK = "s3://cli-jobs/ok.mp4"
BAD = "s3://cli-jobs/bad.mp4"
SCENES = {
    OK: SyntheticScene(seed=5, people=4, duration_ms=20_000),
    BAD: SyntheticScene(seed=5, final_status="FAILED", status_message="cannot decode"),
}

# The start flags each kind gets in these tests, and the AWS-shaped Start inputs they become.
FLAGS: dict[str, tuple[list[str], dict[str, Any]]] = {
    "labels": (["--min-confidence", "55"], {"MinConfidence": 55.0}),
    "faces": (["--face-attributes", "ALL"], {"FaceAttributes": "ALL"}),
    "face-search": (["--collection-id", "staff"], {"CollectionId": "staff"}),
    "celebrities": ([], {}),
    "moderation": (["--min-confidence", "60"], {"MinConfidence": 60.0}),
    "segments": (["--segment-types", "TECHNICAL_CUE,SHOT"], {"SegmentTypes": ["TECHNICAL_CUE", "SHOT"]}),
    "text": ([], {}),
}
OTHER_KINDS = sorted(FLAGS)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalRekognition]:
    with LocalRekognition(job_seconds=0.0) as srv:
        for uri, scene in SCENES.items():
            srv.add_video(uri, scene)
        yield srv


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse refused the arguments
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _base(server: LocalRekognition) -> list[str]:
    return ["--endpoint-url", server.url, "--region", "us-east-1"]


def _truth(kind: str, uri: str, sort_by: str | None = None, aggregate_by: str | None = None) -> list[dict[str, Any]]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    params = {"Video": {"S3Object": {"Bucket": bucket, "Name": key}}, **FLAGS[kind][1]}
    return SyntheticJob(KINDS[kind].operation, params, scene=SCENES[uri]).items(sort_by, aggregate_by)


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def _start(capsys: pytest.CaptureFixture[str], server: LocalRekognition, kind: str, uri: str = OK) -> str:
    code, out, err = _run(capsys, "start", "--job", kind, uri, *FLAGS[kind][0], *_base(server))
    assert code == 0, err
    (job_id,) = out.split()
    return job_id


# ---- the table of kinds agrees with the SDK ---------------------------------------------------


@pytest.mark.parametrize("name", list(KINDS))
def test_kind_table_matches_the_sdk(name: str) -> None:
    kind = KINDS[name]
    analyzer_class = getattr(rekotrack, kind.class_name)
    spec = analyzer_class._operation
    assert spec.name == kind.operation
    assert callable(getattr(analyzer_class, kind.items_method))
    assert set(kind.sort_by) == set(spec.sort_by.values if spec.sort_by else ())
    assert set(kind.aggregate_by) == set(spec.aggregate_by.values if spec.aggregate_by else ())
    if kind.sort_by:
        assert kind.sort_by[0] == "TIMESTAMP"  # the service's default order comes first
    for dest in kind.start_flags:
        assert dest in START_FLAGS
        assert dest in spec.start_inputs  # a keyword of the class's start()
    if name != "persons":
        result_class = getattr(_job_results, kind.result_class)
        assert result_class.kind == kind.operation
        assert set(kind.table) <= set(result_class().csv_columns)


def test_every_start_input_of_every_kind_has_a_flag_or_is_left_out_on_purpose() -> None:
    # Start inputs the command line does not take (each reachable through the SDK's start()).
    not_flags = {"features", "settings", "filters", "notification_channel", "job_tag", "client_request_token",
                 "video"}
    for kind in KINDS.values():
        spec = getattr(rekotrack, kind.class_name)._operation
        missing = set(spec.start_inputs) - set(kind.start_flags) - not_flags
        assert not missing, (kind.name, missing)


# ---- start, wait, get, export for each kind -----------------------------------------------------


@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_start_wait_get_json(server: LocalRekognition, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    code, out, err = _run(capsys, "start", "--job", kind, OK, *FLAGS[kind][0], "--wait", "--json", *_base(server))
    assert code == 0, err
    started, ended = (json.loads(line) for line in out.splitlines())
    assert ended["JobId"] == started["JobId"]
    assert ended["JobStatus"] == "SUCCEEDED"
    job_id = started["JobId"]
    code, out, _ = _run(capsys, "wait", "--job", kind, job_id, *_base(server))
    assert (code, out.strip()) == (0, "SUCCEEDED")
    code, out, err = _run(capsys, "get", "--job", kind, job_id, "--json", "--page-size", "7", *_base(server))
    assert code == 0, err
    items = [json.loads(line) for line in out.splitlines()]
    assert items == _truth(kind, OK)
    assert items  # the synthetic result is not empty: the comparison means something
    assert err == ""


@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_get_table(server: LocalRekognition, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    job_id = _start(capsys, server, kind)
    code, out, _ = _run(capsys, "get", "--job", kind, job_id, *_base(server))
    assert code == 0
    header, *rows = out.splitlines()
    table = ItemTable(KINDS[kind])
    assert header == table.header
    assert header.split() == list(KINDS[kind].table)
    truth = _truth(kind, OK)
    assert rows == [table.row(item) for item in truth]
    first = rows[0].split()
    columns = KINDS[kind].table
    if "timestamp_ms" in columns:
        assert first[columns.index("timestamp_ms")] == str(truth[0]["Timestamp"])


def test_get_orders_of_labels(server: LocalRekognition, capsys: pytest.CaptureFixture[str]) -> None:
    job_id = _start(capsys, server, "labels")
    for sort_by, aggregate_by in (("NAME", None), ("TIMESTAMP", "SEGMENTS"), ("NAME", "SEGMENTS")):
        argv = ["get", "--job", "labels", job_id, "--json", "--sort-by", sort_by]
        if aggregate_by:
            argv += ["--aggregate-by", aggregate_by]
        code, out, _ = _run(capsys, *argv, *_base(server))
        assert code == 0
        assert [json.loads(line) for line in out.splitlines()] == _truth("labels", OK, sort_by, aggregate_by)


def test_get_max_items_for_celebrities(server: LocalRekognition, capsys: pytest.CaptureFixture[str]) -> None:
    job_id = _start(capsys, server, "celebrities")
    truth = _truth("celebrities", OK, "ID")
    code, out, _ = _run(capsys, "get", "--job", "celebrities", job_id, "--json", "--sort-by", "ID",
                        "--max-items", "3", *_base(server))
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == truth[:3]


@pytest.mark.parametrize("kind", OTHER_KINDS)
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export(server: LocalRekognition, capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str,
                fmt: str) -> None:
    job_id = _start(capsys, server, kind)
    target = tmp_path / f"out.{fmt}"
    code, out, err = _run(capsys, "export", "--job", kind, job_id, "--format", fmt, "-o", str(target),
                          "--quiet", *_base(server))
    assert (code, out, err) == (0, "", "")
    truth = _truth(kind, OK)
    result = getattr(_job_results, KINDS[kind].result_class).from_items(truth)
    expected = io.StringIO()
    if fmt == "jsonl":
        result.to_jsonl(expected)
    else:
        result.to_csv(expected)
    assert target.read_text() == expected.getvalue()  # what the result class writes, streamed
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(target.read_text())))
        assert len(rows) == len(truth) + 1


@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_failed_job_exits_1(server: LocalRekognition, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    job_id = _start(capsys, server, kind, BAD)
    code, out, err = _run(capsys, "wait", "--job", kind, job_id, "--json", *_base(server))
    assert code == 1
    assert json.loads(out) == {"JobId": job_id, "JobStatus": "FAILED", "StatusMessage": "cannot decode"}
    assert "cannot decode" in _one_line(err)
    code, out, err = _run(capsys, "get", "--job", kind, job_id, *_base(server))
    assert code == 1
    assert out == ""  # no table header before the error
    line = _one_line(err)
    assert "cannot decode" in line
    assert "--starting-token" not in line  # nothing to resume


def test_timeout_exits_3_for_a_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with LocalRekognition(job_seconds=60.0) as slow:
        code, out, _ = _run(capsys, "start", "--job", "text", "s3://cli-jobs/slow.mp4", *_base(slow))
        job_id = out.strip()
        code, _, err = _run(capsys, "wait", "--job", "text", job_id, "--timeout", "0.3", *_base(slow))
    assert code == 3
    assert f"rekotrack wait {job_id}" in _one_line(err)


def test_a_job_read_as_another_kind_is_not_found(server: LocalRekognition, capsys: pytest.CaptureFixture[str]) -> None:
    job_id = _start(capsys, server, "labels")
    code, out, err = _run(capsys, "get", "--job", "faces", job_id, *_base(server))
    assert code == 4
    assert out == ""
    line = _one_line(err)
    assert "ResourceNotFoundException" in line
    assert "--starting-token" not in line


# ---- bad input: one line, exit 2, nothing sent ---------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["start", "--job", "faces", OK, "--min-confidence", "50"], "--min-confidence is an input of --job labels"),
        (["start", OK, "--collection-id", "staff"], "--collection-id is an input of --job face-search"),
        (["start", "--job", "face-search", OK], "needs --collection-id"),
        (["start", "--job", "labels", OK, "--min-confidence", "nan"], "--min-confidence"),
        (["start", "--job", "labels", OK, "--min-confidence", "150"], "MinConfidence"),
        (["start", "--job", "segments", OK, "--segment-types", "SCENE"], "SegmentTypes"),
        (["start", "--job", "bogus", OK], "--job"),
        (["get", "--job", "labels", "job1", "--sort-by", "INDEX"], "--sort-by INDEX is not an order of --job labels"),
        (["get", "--job", "faces", "job1", "--sort-by", "TIMESTAMP"], "--job faces has no --sort-by"),
        (["get", "job1", "--aggregate-by", "SEGMENTS"], "--job persons has no --aggregate-by"),
        (["export", "--job", "labels", "job1", "--format", "mot"], "--format mot is for --job persons"),
        (["export", "--job", "text", "job1", "--plot", "plots"], "--plot is for --job persons"),
        (["wait", "--job", "celebrities", "bad job id"], "JobId"),
    ],
)
def test_bad_input_is_one_line_exit_2(server: LocalRekognition, argv: list[str], needle: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    before = server.request_count()
    code, out, err = _run(capsys, *argv, *_base(server))
    assert code == 2
    assert out == ""
    assert needle in _one_line(err)
    assert server.request_count() == before  # nothing sent


# ---- help ----------------------------------------------------------------------------------------


def _entry_point() -> list[str]:
    return [sys.executable, "-m", "rekotrack"]


@pytest.mark.parametrize("command", ["start", "wait", "get", "export"])
def test_help_names_every_kind(command: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.run([*_entry_point(), command, "--help"], capture_output=True, text=True, timeout=60,
                          env=env, check=False)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())  # argparse wraps the help
    assert "--job KIND" in text
    for name in KINDS:
        assert name in text, name
    assert "--job" in proc.stdout.split("example", 1)[1]  # an example with a kind


def test_every_kind_through_rekotrack_serve_and_the_console_script(tmp_path: Path) -> None:
    """The commands as a user runs them: ``rekotrack serve`` in one process, ``rekotrack start/get`` in others."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    serve = subprocess.Popen([*_entry_point(), "serve", "--job-seconds", "0"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert serve.stdout is not None
        url = serve.stdout.readline().split("listening on ")[1].strip()
        uri = "s3://cli-jobs/served.mp4"
        for kind in OTHER_KINDS:
            start = subprocess.run([*_entry_point(), "start", "--job", kind, uri, *FLAGS[kind][0], "--wait",
                                    "--endpoint-url", url], capture_output=True, text=True, timeout=120, env=env,
                                   check=False)
            assert start.returncode == 0, (kind, start.stderr)
            get = subprocess.run([*_entry_point(), "get", "--job", kind, start.stdout.strip(), "--json",
                                  "--endpoint-url", url], capture_output=True, text=True, timeout=120, env=env,
                                 check=False)
            assert get.returncode == 0, (kind, get.stderr)
            bucket, _, key = uri.removeprefix("s3://").partition("/")
            params = {"Video": {"S3Object": {"Bucket": bucket, "Name": key}}, **FLAGS[kind][1]}
            truth = SyntheticJob(KINDS[kind].operation, params).items()  # the scene seeded from the URI
            assert [json.loads(line) for line in get.stdout.splitlines()] == truth, kind
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(timeout=30)
        finally:
            if serve.poll() is None:
                serve.kill()
                serve.wait()
