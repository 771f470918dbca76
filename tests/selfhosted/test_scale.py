"""The scale-out mode with real components: redis-server, a moto server for S3 and SNS, the API
server (``rekotrack serve --broker``) and two ``rekotrack worker`` processes, each its own process.

Cases: several short clips across the two workers (one SNS message each); the same result as
the single-machine mode; the API server killed and started again mid-flight; a long job that
outlives the visibility timeout stays with its live worker, then that worker is SIGKILLed and the
job succeeds elsewhere with exactly one result; an undecodable video ends FAILED at once; the
per-access-key limit and ClientRequestTokens hold across two API processes. Every process started
here is stopped by its PID.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from selfhosted_support import read_all, start, wait_done

pytest.importorskip("cv2")
pytest.importorskip("av")

VISIBILITY = 5.0  # seconds: short, so that a lost worker's job comes back within the test (default 300)
LEASE = 1.5  # the running job's lease (default 30), renewed every 0.5 s
REDIS = shutil.which("redis-server")
RESULTS = "s3://results/runs"


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("REKOTRACK_REQUIRE_SERVER_EXTRA"):
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _until(predicate: Any, timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} (after {timeout} s)")
        time.sleep(interval)


class Proc:
    """A process started by the tests, with its output in a file; stopped by its PID."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str]) -> None:
        self.log = log
        self._out = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(argv, stdout=self._out, stderr=subprocess.STDOUT, env=env,
                                      start_new_session=True)  # its own group: its pool children die with it
        self.pid = self.popen.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        def found() -> re.Match[str] | None:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.log.name} exited {self.popen.returncode}:\n{self.text()[-3000:]}")
            return re.search(pattern, self.text())

        match: re.Match[str] = _until(found, timeout, f"{pattern!r} not in {self.log.name}")
        return match

    def kill(self) -> None:
        """SIGKILL the process and its children (the group it leads)."""
        if self.popen.poll() is None:
            os.killpg(self.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen.poll() is None:
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(10)
        self._out.close()


def _cut(source: Path, dest: Path, first: int, frames: int) -> None:
    """Frames ``first`` .. ``first + frames`` of ``source`` as an MPEG-4 AVI."""
    import av

    with av.open(str(source)) as src, av.open(str(dest), mode="w") as out:
        stream_in = src.streams.video[0]
        stream = out.add_stream("mpeg4", rate=stream_in.average_rate or 10)
        stream.width, stream.height = stream_in.codec_context.width, stream_in.codec_context.height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 4_000_000
        for n, frame in enumerate(src.decode(stream_in)):
            if n >= first + frames:
                break
            if n >= first:
                for packet in stream.encode(frame.reformat(format="yuv420p")):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


# ---------------------------------------------------------------------- the deployment
@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require(REDIS is not None, "redis-server not found (apt-get install redis-server)")
    for module in ("celery", "redis"):
        _require(importlib.util.find_spec(module) is not None, f"{module} is not installed (rekotrack[server])")
    import redis

    assert REDIS is not None
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = Proc([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", str(folder)], folder / "redis.log", dict(os.environ))
    url = f"redis://127.0.0.1:{port}"
    try:
        client = redis.Redis.from_url(url, socket_timeout=2)

        def ping() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        _until(ping, 20, "redis-server did not answer")
        yield url
    finally:
        server.stop()


class Deployment:
    def __init__(self, redis_url: str, moto_url: str, root: Path) -> None:
        self.broker = f"{redis_url}/0"
        self.moto_url = moto_url
        self.root = root
        self.env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1"}
        self.rekotrack = str(Path(sys.executable).with_name("rekotrack"))
        self.api: Proc | None = None
        self.url = ""
        self.workers: list[Proc] = []
        self._started = 0

    def start_api(self) -> None:
        self._started += 1
        self.api = Proc([self.rekotrack, "serve", "--analyzer", "video", "--broker", self.broker,
                         "--results", RESULTS, "--s3-endpoint-url", self.moto_url,
                         "--sns-endpoint-url", self.moto_url, "--visibility-timeout", str(VISIBILITY)],
                        self.root / f"api-{self._started}.log", self.env)
        self.url = self.api.wait_for(r"listening on (http://\S+)").group(1)

    def start_worker(self) -> Proc:
        n = len(self.workers) + 1
        worker = Proc([self.rekotrack, "worker", "--broker", self.broker, "--s3-endpoint-url", self.moto_url,
                       "--concurrency", "1", "--visibility-timeout", str(VISIBILITY), "--lease-seconds", str(LEASE),
                       "--data-dir", str(self.root / f"scratch-{n}")], self.root / f"worker-{n}.log", self.env)
        self.workers.append(worker)
        worker.wait_for(r"ready\.")
        return worker

    def client(self) -> Any:
        return boto3.client("rekognition", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(retries={"total_max_attempts": 1}))

    def redis(self) -> Any:
        import redis

        return redis.Redis.from_url(self.broker)

    def record(self, job_id: str) -> dict[str, Any]:
        raw = self.redis().hgetall(f"rekotrack:job:{job_id}")
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    def stop(self) -> None:
        for proc in [*self.workers, *([self.api] if self.api else [])]:
            proc.stop()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory, video_root: Path, vtest: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    made = {"clip.avi": video_root / "bucket" / "clip.avi", "garbage.mp4": video_root / "bucket" / "garbage.mp4"}
    for name, first, frames in (("a.avi", 100, 30), ("b.avi", 200, 30), ("c.avi", 300, 30), ("long.avi", 0, 300)):
        _cut(vtest, folder / name, first, frames)
        made[name] = folder / name
    return made


@pytest.fixture(scope="module")
def deployment(redis_url: str, moto_url: str, clips: dict[str, Path],
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    for bucket in ("videos", "results"):
        s3.create_bucket(Bucket=bucket)
    for name, path in clips.items():
        s3.upload_file(str(path), "videos", name)
    deployed = Deployment(redis_url, moto_url, tmp_path_factory.mktemp("deployment"))
    try:
        deployed.start_api()
        deployed.start_worker()
        deployed.start_worker()
        yield deployed
    finally:
        deployed.stop()


def _objects(moto_url: str, prefix: str) -> list[str]:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    return [o["Key"] for o in s3.list_objects_v2(Bucket="results", Prefix=prefix).get("Contents", [])]


# ---------------------------------------------------------------------- cases
def test_short_clips_run_across_both_workers_and_notify_once(deployment: Deployment, moto_url: str) -> None:
    sns = boto3.client("sns", endpoint_url=moto_url, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    topic = sns.create_topic(Name="scale-done")["TopicArn"]
    queue = sqs.create_queue(QueueName="scale-done")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    client = deployment.client()
    channel = {"SNSTopicArn": topic, "RoleArn": "arn:aws:iam::123456789012:role/rekognition"}
    jobs = {start(client, name, bucket="videos", NotificationChannel=channel, JobTag=name.split(".")[0]): name
            for name in ("a.avi", "b.avi", "c.avi", "clip.avi")}
    for job_id in jobs:
        page = wait_done(client, job_id, timeout=240)
        assert page["JobStatus"] == "SUCCEEDED", page.get("StatusMessage")
        persons = read_all(client, job_id, max_results=25)
        assert persons
        assert len({(p["Timestamp"], p["Person"]["Index"]) for p in persons}) == len(persons)
        assert read_all(client, job_id, "INDEX") == sorted(persons, key=lambda p: (p["Person"]["Index"],
                                                                                  p["Timestamp"]))
    ran = [sum(1 for job_id in jobs if f"job {job_id[:12]}: attempt 1" in w.text()) for w in deployment.workers]
    assert sum(ran) == len(jobs)
    assert all(n >= 1 for n in ran), f"jobs per worker: {ran}"  # both workers took jobs
    messages: list[dict[str, Any]] = []

    def received() -> bool:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            messages.append(json.loads(json.loads(message["Body"])["Message"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return len(messages) >= len(jobs)

    _until(received, 30, "completion messages")
    time.sleep(1.0)
    received()
    assert sorted(m["JobId"] for m in messages) == sorted(jobs)  # one each, none twice
    for message in messages:
        assert message["Status"] == "SUCCEEDED"
        assert message["API"] == "StartPersonTracking"
        assert message["Video"] == {"S3ObjectName": jobs[message["JobId"]], "S3Bucket": "videos"}
        assert message["JobTag"] == jobs[message["JobId"]].split(".")[0]


def test_results_equal_the_single_machine_mode(deployment: Deployment, video_root: Path) -> None:
    from rekotrack.selfhosted.service._service import VideoRekognition

    client = deployment.client()
    job_id = start(client, "clip.avi", bucket="videos")
    scaled = wait_done(client, job_id, timeout=240)
    assert scaled["JobStatus"] == "SUCCEEDED"
    with VideoRekognition(video_root=video_root, workers=1) as single:
        local = single.client()
        local_id = start(local, "clip.avi")
        alone = wait_done(local, local_id, timeout=240)
        assert alone["VideoMetadata"] == scaled["VideoMetadata"]
        for sort_by in ("TIMESTAMP", "INDEX"):
            assert read_all(client, job_id, sort_by, max_results=40) == read_all(local, local_id, sort_by)


def test_the_api_server_restarted_mid_flight_loses_nothing(deployment: Deployment) -> None:
    client = deployment.client()
    jobs = [start(client, name, bucket="videos", ClientRequestToken=f"restart-{name[0]}")
            for name in ("a.avi", "b.avi", "c.avi")]
    done = wait_done(client, start(client, "clip.avi", bucket="videos"), timeout=240)
    first_page = client.get_person_tracking(JobId=done["JobId"], MaxResults=10)
    # a job the killed process stored but never handed to the broker (as if it died in between)
    from rekotrack.selfhosted.service._jobs import RedisJobRecord
    from rekotrack.selfhosted.service._records import RedisJobRecords

    unsent = {k: v for k, v in deployment.record(done["JobId"]).items()
              if k not in ("result", "ended", "status_message", "notify", "progress")}
    unsent.update(job_id="e" * 64, token=None, status="IN_PROGRESS", attempts=0, enqueued=False)
    records = RedisJobRecords(deployment.broker)
    assert records.admit(RedisJobRecord.model_validate(unsent), limit=20, retention_seconds=3600).verdict == "created"
    assert deployment.api is not None
    deployment.api.kill()  # no chance to save anything
    deployment.start_api()
    client = deployment.client()
    assert wait_done(client, "e" * 64, timeout=240)["JobStatus"] == "SUCCEEDED"  # sent by the new process
    assert read_all(client, "e" * 64) == read_all(client, done["JobId"])
    for job_id, name in zip(jobs, ("a.avi", "b.avi", "c.avi"), strict=True):
        assert start(client, name, bucket="videos", ClientRequestToken=f"restart-{name[0]}") == job_id
        assert wait_done(client, job_id, timeout=240)["JobStatus"] == "SUCCEEDED"
        assert read_all(client, job_id)
    # a NextToken of the killed process still works here: the token secret is shared through Redis
    again = client.get_person_tracking(JobId=done["JobId"], MaxResults=10, NextToken=first_page["NextToken"])
    assert again["Persons"] == read_all(client, done["JobId"])[10:20]


def test_unanalysable_video_fails_with_the_decoders_reason_once(deployment: Deployment) -> None:
    client = deployment.client()
    job_id = start(client, "garbage.mp4", bucket="videos")
    page = wait_done(client, job_id, timeout=120)
    assert page["JobStatus"] == "FAILED"
    assert "could not be decoded" in page["StatusMessage"]
    assert deployment.record(job_id)["attempts"] == 1  # not retried: it would fail the same way


def test_a_long_job_stays_with_its_live_worker_and_survives_its_sigkill(
    deployment: Deployment, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    client = deployment.client()
    job_id = start(client, "long.avi", bucket="videos")
    owner, other, _ = _running_on(deployment, job_id)
    # Past the visibility timeout (+ the transport's restore sweep) the broker hands the message out
    # again; the lease is held and renewed, so the copy is put off, not run.
    _until(lambda: f"job {job_id[:12]}: running on a live worker" in other.text(), VISIBILITY + 30,
           "the broker did not re-deliver the long job", interval=0.5)
    assert deployment.record(job_id)["status"] == "IN_PROGRESS"
    assert deployment.record(job_id)["attempts"] == 1
    assert f"job {job_id[:12]}: attempt 2" not in other.text()
    taken_over, recovered = _kill_and_recover(deployment, moto_url, job_id, owner, other)
    persons = read_all(client, job_id)
    assert len(persons) == deployment.record(job_id)["result"]["count"]
    assert len({(p["Timestamp"], p["Person"]["Index"]) for p in persons}) == len(persons)  # no duplicates
    with capsys.disabled():
        print(f"\n[scale] SIGKILL of a worker whose long job outlived the visibility timeout: re-run started "
              f"after {taken_over:.1f} s, SUCCEEDED {recovered:.1f} s after the kill (lease {LEASE} s)")


def test_a_worker_sigkilled_mid_job_hands_it_to_the_other_with_one_result(
    deployment: Deployment, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    client = deployment.client()
    job_id = start(client, "clip.avi", bucket="videos")
    owner, other, _ = _running_on(deployment, job_id)
    taken_over, recovered = _kill_and_recover(deployment, moto_url, job_id, owner, other)
    clean = start(client, "clip.avi", bucket="videos")  # the same clip, run once without accident
    assert wait_done(client, clean, timeout=240)["JobStatus"] == "SUCCEEDED"
    for sort_by in ("TIMESTAMP", "INDEX"):
        assert read_all(client, job_id, sort_by, max_results=30) == read_all(client, clean, sort_by)
    with capsys.disabled():
        print(f"\n[scale] SIGKILL of a worker mid-job: re-run started on the other after {taken_over:.1f} s, "
              f"SUCCEEDED {recovered:.1f} s after the kill (visibility timeout {VISIBILITY:.0f} s)")


def test_a_pool_process_killed_mid_job_is_put_back_at_once(deployment: Deployment,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Only the process running the analysis dies (as under the OOM killer); its worker lives on,
    rejects the message (reject_on_worker_lost) and the job runs again once the dead run's lease expires."""
    client = deployment.client()
    job_id = start(client, "clip.avi", bucket="videos")
    _, _, pool_process = _running_on(deployment, job_id)
    killed = time.monotonic()
    os.kill(pool_process, signal.SIGKILL)
    page = wait_done(client, job_id, timeout=240)
    recovered = time.monotonic() - killed
    assert page["JobStatus"] == "SUCCEEDED", page.get("StatusMessage")
    assert deployment.record(job_id)["attempts"] == 2
    assert all(w.popen.poll() is None for w in deployment.workers)  # both workers still serve
    with capsys.disabled():
        print(f"\n[scale] SIGKILL of a worker's pool process mid-job: SUCCEEDED {recovered:.1f} s after the kill "
              f"(lease {LEASE} s)")


def _running_on(deployment: Deployment, job_id: str) -> tuple[Proc, Proc, int]:
    """(the worker running ``job_id``, the other one, the pid of the pool process), from the job's lease."""
    holder = _until(lambda: deployment.redis().get(f"rekotrack:lease:{job_id}"), 60, "no worker took the job")
    pool_process = int(holder.decode().split(":")[1])
    owner = next(w for w in deployment.workers if _parent(pool_process) == w.pid)
    return owner, next(w for w in deployment.workers if w is not owner), pool_process


def _kill_and_recover(deployment: Deployment, moto_url: str, job_id: str, owner: Proc,
                      other: Proc) -> tuple[float, float]:
    """SIGKILL ``owner``; the job must run again on ``other`` and succeed with one result folder."""
    killed = time.monotonic()
    owner.kill()  # the whole worker: its main process and the pool process running the job
    other.wait_for(rf"job {job_id[:12]}: attempt 2 of 3", timeout=VISIBILITY + 60)
    taken_over = time.monotonic() - killed
    page = wait_done(deployment.client(), job_id, timeout=300)
    recovered = time.monotonic() - killed
    assert page["JobStatus"] == "SUCCEEDED", page.get("StatusMessage")
    record = deployment.record(job_id)
    assert record["attempts"] == 2
    folders = {key.rsplit("/", 1)[0] for key in _objects(moto_url, f"runs/{job_id}/")}
    assert folders == {record["result"]["folder"].rstrip("/")}  # one result, the winner's
    deployment.workers.remove(owner)
    owner.stop()
    deployment.start_worker()
    return taken_over, recovered


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


# ---------------------------------------------------------------------- the records' scripts
def test_record_scripts_admit_lease_and_end_a_job_once(redis_url: str) -> None:
    from rekotrack.selfhosted import AnalyzerSettings
    from rekotrack.selfhosted.service._jobs import (
        JobSpec,
        RedisJobRecord,
        ResultsLocation,
        S3Result,
        S3Video,
        WorkOrder,
    )
    from rekotrack.selfhosted.service._records import RedisJobRecords

    records = RedisJobRecords(f"{redis_url}/2")
    records._redis.flushdb()
    order = WorkOrder(spec=JobSpec(operation="PersonTracking", source=S3Video(bucket="b", key="k", uri="s3://b/k")),
                      settings=AnalyzerSettings().to_json(), max_attempts=3,
                      results=ResultsLocation(bucket="r", prefix=""), region="us-east-1")

    def job(job_id: str, owner: str, token: str | None = None, fingerprint: str = "{}") -> RedisJobRecord:
        return RedisJobRecord(job_id=job_id, owner=owner, token=token, fingerprint=fingerprint, video={},
                              status="IN_PROGRESS", created=time.time(), attempts=0, enqueued=False, task=order)

    def result(folder: str) -> S3Result:
        return S3Result(bucket="r", folder=folder, count=0, metadata={})

    def admit(*args: Any, **kwargs: Any) -> tuple[str, str]:
        decided = records.admit(job(*args, **kwargs), limit=2, retention_seconds=60)
        return decided.verdict, decided.job_id

    assert admit("j1", "alice", "tok") == ("created", "j1")
    assert admit("j2", "alice", "tok") == ("existing", "j1")  # same token, same request
    assert admit("j2", "alice", "tok", fingerprint='{"x":1}') == ("mismatch", "j1")
    assert admit("j2", "bob", "tok") == ("created", "j2")  # tokens are per access key
    assert admit("j3", "alice") == ("created", "j3")
    assert admit("j4", "alice")[0] == "limit"  # two of Alice's run
    assert set(records.not_enqueued()) == {"j1", "j2", "j3"}
    records.mark_enqueued("j1")
    assert set(records.not_enqueued()) == {"j2", "j3"}
    # the lease: one runner at a time; a lost lease passes the job to the next one, as attempt 2
    assert records.begin("j1", "w1", 0.5) == ("run", 1)
    assert records.begin("j1", "w2", 0.5) == ("busy", 0)
    assert records.renew("j1", "w1", 0.5)
    assert not records.renew("j1", "w2", 0.5)
    time.sleep(0.7)
    assert not records.renew("j1", "w1", 0.5)  # expired
    assert records.begin("j1", "w2", 30) == ("run", 2)
    # the end happens once: the late first runner loses, and the slot is free again
    assert records.finish("j1", "alice", status="SUCCEEDED", ended=time.time(), result=result("w2/"))
    assert not records.finish("j1", "alice", status="SUCCEEDED", ended=time.time(), result=result("w1/"))
    stored = records.get("j1")
    assert stored is not None
    assert stored.result == result("w2/")
    assert records.begin("j1", "w3", 30) == ("done", 0)
    assert admit("j4", "alice") == ("created", "j4")
    assert records.begin("nope", "w1", 30) == ("gone", 0)
    records._redis.flushdb()
    records.close()


# ---------------------------------------------------------------------- across API processes
def test_limits_and_tokens_hold_across_api_processes(redis_url: str, moto_url: str, clips: dict[str, Path]) -> None:
    """Two API processes on one Redis database with no workers: jobs stay IN_PROGRESS."""
    from rekotrack.selfhosted.service._scale import ScaledVideoRekognition

    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket="limits")
    s3.upload_file(str(clips["a.avi"]), "limits", "a.avi")
    keys = {"AKIDALICE": "alice-secret", "AKIDBOB": "bob-secret"}
    options: dict[str, Any] = {"broker": f"{redis_url}/1", "results": "s3://results/limits",
                               "s3_endpoint_url": moto_url, "credentials": keys, "max_concurrent_jobs": 2}
    with ScaledVideoRekognition(**options) as one, ScaledVideoRekognition(**options) as two:
        def as_(server: Any, key: str) -> Any:
            return boto3.client("rekognition", endpoint_url=server.url, region_name="us-east-1",
                                aws_access_key_id=key, aws_secret_access_key=keys[key],
                                config=Config(retries={"total_max_attempts": 1}))

        alice_1, alice_2, bob_2 = as_(one, "AKIDALICE"), as_(two, "AKIDALICE"), as_(two, "AKIDBOB")
        first = start(alice_1, "a.avi", bucket="limits", ClientRequestToken="same")
        assert start(alice_2, "a.avi", bucket="limits", ClientRequestToken="same") == first  # one job
        with pytest.raises(ClientError) as mismatch:
            start(alice_2, "a.avi", bucket="limits", ClientRequestToken="same", JobTag="other")
        assert mismatch.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
        second = start(alice_2, "a.avi", bucket="limits")
        assert alice_1.get_person_tracking(JobId=second)["JobStatus"] == "IN_PROGRESS"  # seen by the other
        with pytest.raises(ClientError) as limited:
            start(alice_1, "a.avi", bucket="limits")
        assert limited.value.response["Error"]["Code"] == "LimitExceededException"
        start(bob_2, "a.avi", bucket="limits")  # Bob has his own limit
        with pytest.raises(ClientError) as other_operation:  # as on one machine: only people are analysed
            bob_2.start_label_detection(Video={"S3Object": {"Bucket": "limits", "Name": "a.avi"}})
        assert other_operation.value.response["Error"]["Code"] == "AccessDeniedException"
        with pytest.raises(ClientError) as hidden:
            bob_2.get_person_tracking(JobId=first)
        assert hidden.value.response["Error"]["Code"] == "ResourceNotFoundException"
