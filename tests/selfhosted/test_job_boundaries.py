"""The self-hosted service's typed boundaries: JobSpec, WorkResult and the one JobRecord shape.

What crosses a process (the worker's arguments and answer), Redis (the scale-out record) or SQLite (the
single-machine store) is validated there: a malformed record is a JobDataError naming the job and the
field, never a KeyError inside the service; the Get path answers it as InternalServerError.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

from rekotrack.selfhosted import AnalyzerSettings
from rekotrack.selfhosted.service._jobs import (
    ANALYSED,
    AnalysedOperation,
    FileVideo,
    JobDataError,
    JobRecord,
    JobSpec,
    Progress,
    RedisJobRecord,
    ResultsLocation,
    S3Result,
    S3Video,
    WorkOrder,
    WorkResult,
    parse,
)
from rekotrack.selfhosted.service._store import JobStore
from rekotrack.server import ApiError

VIDEO = {"S3Object": {"Bucket": "bucket", "Name": "clip.mp4"}}


def _order(operation: AnalysedOperation = "PersonTracking") -> WorkOrder:
    options: dict[str, Any] = {"video": VIDEO} if operation != "PersonTracking" else {}
    if operation == "SegmentDetection":
        options["segment_types"] = ("SHOT",)
    spec = JobSpec(operation=operation, source=S3Video(bucket="bucket", key="clip.mp4", uri="s3://bucket/clip.mp4"),
                   **options)
    return WorkOrder(spec=spec, settings=AnalyzerSettings().to_json(), max_attempts=3,
                     results=ResultsLocation(bucket="results", prefix="runs/"), region="us-east-1")


def _record(job_id: str = "a" * 64, **changes: Any) -> RedisJobRecord:
    fields: dict[str, Any] = {"job_id": job_id, "operation": "PersonTracking", "owner": "AKID", "token": "tok",
                              "fingerprint": "{}", "video": VIDEO, "created": 1.5e9, "status": "IN_PROGRESS",
                              "task": _order()}
    fields.update(changes)
    return RedisJobRecord(**fields)


# ---------------------------------------------------------------------- JobSpec and WorkResult
def test_a_start_becomes_a_job_spec_with_its_operations_options() -> None:
    source = FileVideo(path="/videos/bucket/clip.mp4", uri="s3://bucket/clip.mp4")
    spec = JobSpec.of_start("SegmentDetection", source, {"Video": VIDEO, "SegmentTypes": ["SHOT", "TECHNICAL_CUE"],
                                                         "Filters": {"ShotFilter": {"MinSegmentConfidence": 60}}})
    assert spec.segment_types == ("SHOT", "TECHNICAL_CUE")
    assert spec.filters == {"ShotFilter": {"MinSegmentConfidence": 60}}
    assert spec.describe() == "/videos/bucket/clip.mp4"
    faces = JobSpec.of_start("FaceDetection", source, {"Video": VIDEO, "FaceAttributes": "ALL"})
    assert (faces.face_attributes, faces.video) == ("ALL", VIDEO)
    person = JobSpec.of_start("PersonTracking", source, {"Video": VIDEO})
    assert (person.video, person.filters, person.segment_types) == (None, {}, ())


def test_a_job_spec_that_does_not_fit_its_operation_is_refused() -> None:
    source = FileVideo(path="/v", uri="s3://b/k")
    with pytest.raises(JobDataError, match="segment_types"):
        JobSpec.of_start("SegmentDetection", source, {"Video": VIDEO})
    with pytest.raises(JobDataError, match="face_attributes"):
        JobSpec.of_start("FaceDetection", source, {"Video": VIDEO, "FaceAttributes": "SOME"})
    with pytest.raises(JobDataError, match=r"source"):
        parse(JobSpec, {"operation": "PersonTracking", "source": {"kind": "ftp", "uri": "x"}}, "a spec")
    with pytest.raises(JobDataError, match="operation"):
        parse(JobSpec, {"operation": "LabelDetection", "source": source.model_dump()}, "a spec")


def test_a_work_result_says_failed_with_a_message_and_succeeded_without() -> None:
    assert WorkResult.failed("no video").message == "no video"
    assert WorkResult(status="SUCCEEDED", frames=3, items=2).succeeded
    with pytest.raises(JobDataError, match="message"):
        parse(WorkResult, {"status": "FAILED"}, "a worker's result")
    with pytest.raises(JobDataError, match="frames"):
        parse(WorkResult, {"status": "SUCCEEDED", "frames": -1}, "a worker's result")
    with pytest.raises(JobDataError, match="status"):
        parse(WorkResult, {"status": "DONE"}, "a worker's result")


def test_every_analysed_operation_has_an_analysis_and_the_worker_takes_only_typed_jobs(tmp_path: Path) -> None:
    from rekotrack.selfhosted.service._worker import ANALYSES, run_job

    assert set(ANALYSES) == set(ANALYSED) == set(get_args(AnalysedOperation))
    spec = _order().spec
    with pytest.raises(TypeError, match="JobSpec"):
        run_job("j", spec.model_dump(), AnalyzerSettings(), str(tmp_path))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="AnalyzerSettings"):
        run_job("j", spec, AnalyzerSettings().to_json(), str(tmp_path))  # type: ignore[arg-type]


def test_the_synthetic_worker_answers_a_typed_result(tmp_path: Path) -> None:
    from rekotrack.selfhosted.service._worker import run_job

    spec = JobSpec(operation="PersonTracking", source=FileVideo(path="/none", uri="s3://bucket/a.mp4"))
    result = run_job("j", spec, AnalyzerSettings(analyzer="synthetic"), str(tmp_path / "out"))
    assert result.succeeded
    meta = json.loads((tmp_path / "out" / "meta.json").read_text())
    assert result.items == meta["DetectionCount"] > 0


def test_a_work_order_checks_its_settings() -> None:
    order = _order().model_dump(mode="json")
    order["settings"] = {"detector": "ssdlite", "no_such_setting": 1}
    with pytest.raises(JobDataError, match="settings"):
        parse(WorkOrder, order, "a work order")


def test_a_task_stored_before_the_typed_boundaries_still_reads() -> None:
    """Jobs in flight across an upgrade: the flat task the previous version stored in Redis."""
    common = {"settings": AnalyzerSettings().to_json(), "max_attempts": 3, "s3_endpoint_url": None,
              "results": {"bucket": "results", "prefix": "runs/"}, "sns_endpoint_url": None, "region": "us-east-1"}
    segments = {**common, "operation": "SegmentDetection", "source": {
        "kind": "s3", "bucket": "bucket", "key": "clip.mp4", "version": None, "endpoint_url": None,
        "region": "us-east-1", "uri": "s3://bucket/clip.mp4", "operation": "SegmentDetection", "video": VIDEO,
        "filters": {}, "segment_types": ["SHOT"]}}
    order = parse(WorkOrder, segments, "an old task")
    assert (order.spec.operation, order.spec.segment_types, order.spec.video) == ("SegmentDetection", ("SHOT",), VIDEO)
    assert order.spec.source == S3Video(bucket="bucket", key="clip.mp4", region="us-east-1", uri="s3://bucket/clip.mp4")
    person = {**common, "operation": "PersonTracking", "source": {"kind": "file", "path": "/v/a.mp4",
                                                                  "uri": "s3://b/a.mp4"}}
    assert parse(WorkOrder, person, "an old task").spec == JobSpec(
        operation="PersonTracking", source=FileVideo(path="/v/a.mp4", uri="s3://b/a.mp4"))


# ---------------------------------------------------------------------- one record shape
def test_one_record_shape_round_trips_through_the_core_job_and_redis_members() -> None:
    record = _record(result=S3Result(bucket="results", folder="runs/x/1/", count=4, metadata={"Format": "mp4"}),
                     status="SUCCEEDED", ended=1.6e9, progress=Progress(done=3, expected=9))
    members = json.loads(json.dumps(record.members()))  # what Redis keeps, one JSON member per field
    assert parse(RedisJobRecord, members, "the record") == record
    job = record.to_job(None, source=record.task.spec)
    assert JobRecord.of_job(job).job_fields() | {"status": "SUCCEEDED", "ended": 1.6e9} == record.job_fields()
    assert job.source == record.task.spec


def test_a_bad_sqlite_row_is_a_typed_error_naming_the_job(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    good = JobRecord(job_id="g" * 64, fingerprint="{}", video=VIDEO, created=1.0, status="SUCCEEDED")
    store.insert(good)
    assert list(store.records()) == [good]
    store.insert(JobRecord(job_id="b" * 64, fingerprint="{}", video=VIDEO, created=2.0, status="FAILED"))
    store.close()
    with sqlite3.connect(tmp_path / "jobs.sqlite3") as db:
        db.execute("UPDATE jobs SET status = 'HALF_DONE', video = 'not json' WHERE job_id = ?", ("b" * 64,))
    store = JobStore(tmp_path)
    with pytest.raises(JobDataError, match=r"bbbb.*(status|video)") as caught:
        list(store.records())
    assert "status" in str(caught.value)
    assert "video" in str(caught.value)
    store.close()


def test_a_task_message_that_names_no_job_id_is_dropped_before_redis() -> None:
    from rekotrack.selfhosted.service._celery import _analyze

    for argument in (None, 123, "", "x" * 65, {"job_id": "a"}):
        assert _analyze(None, argument) == "malformed"


# ---------------------------------------------------------------------- Redis (a real redis-server)
@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_binary = shutil.which("redis-server")
    if server_binary is None or importlib.util.find_spec("redis") is None:
        reason = "redis-server and the redis package are needed (apt-get install redis-server; rekotrack[server])"
        if os.environ.get("REKOTRACK_REQUIRE_SERVER_EXTRA"):
            pytest.fail(reason)
        pytest.skip(reason)
    import redis

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen([server_binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/3"
    try:
        client = redis.Redis.from_url(url, socket_timeout=2)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_a_record_stored_in_redis_reads_back_typed(redis_url: str) -> None:
    from rekotrack.selfhosted.service._records import RedisJobRecords

    records = RedisJobRecords(redis_url)
    try:
        record = _record(job_id="r" * 64)
        assert records.admit(record, limit=5, retention_seconds=60).verdict == "created"
        assert records.get(record.job_id) == record
        records.set_progress(record.job_id, Progress(done=2, expected=10))
        records.mark_enqueued(record.job_id)
        stored = records.get(record.job_id)
        assert stored is not None
        assert (stored.progress, stored.enqueued) == (Progress(done=2, expected=10), True)
        result = S3Result(bucket="results", folder="runs/r/1/", count=0, metadata={})
        assert records.finish(record.job_id, record.owner, status="SUCCEEDED", ended=2e9, result=result)
        ended = records.get(record.job_id)
        assert ended is not None
        assert (ended.status, ended.result, ended.notify, ended.ended) == ("SUCCEEDED", result, True, 2e9)
    finally:
        records._redis.flushdb()
        records.close()


@pytest.mark.parametrize(
    ("member", "value", "named"),
    [
        ("fingerprint", None, "fingerprint"),  # a member missing
        ("status", '"HALF_DONE"', "status"),  # a status no job has
        ("task", '{"spec": {}}', "task"),  # a work order without its spec
        ("created", "not json", "created"),  # not JSON at all
    ],
)
def test_a_bad_redis_record_is_a_typed_error_and_an_internal_error_on_get(
    redis_url: str, member: str, value: str | None, named: str
) -> None:
    from rekotrack.selfhosted.service._records import RedisJobRecords, RedisJobRegistry

    records = RedisJobRecords(redis_url)
    job_id = "m" * 64
    try:
        assert records.admit(_record(job_id=job_id), limit=5, retention_seconds=60).verdict == "created"
        key = f"rekotrack:job:{job_id}"
        if value is None:
            records._redis.hdel(key, member)
        else:
            records._redis.hset(key, member, value)
        with pytest.raises(JobDataError, match=named) as caught:
            records.get(job_id)
        assert job_id in str(caught.value)
        registry = RedisJobRegistry(records, order=lambda job: _order(), outcome=lambda record: None,
                                    retention_seconds=60)
        with pytest.raises(ApiError) as answered:
            registry.get(job_id)
        assert answered.value.code == "InternalServerError"
        # a worker given such a job ends it FAILED (its status still says IN_PROGRESS) instead of retrying it
        if member != "status":
            assert records.fail_malformed(job_id, "broken", time.time())
            assert records._redis.hget(key, "status") == b'"FAILED"'
    finally:
        records._redis.flushdb()
        records.close()
