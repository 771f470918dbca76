"""A bounded chaos run of the scale-out mode (issue 20, point 5).

    python benchmarks/chaos.py            # 20 jobs, 30 s S3 outage, at most 15 minutes
    python benchmarks/chaos.py --quick    # 6 jobs, 10 s S3 outage, a few minutes

Real parts, each its own process: a redis-server (AOF on, as the docs advise), a moto server for S3 and
SNS/SQS, two ``rekotrack serve --analyzer video --broker`` API processes and three ``rekotrack worker``
processes (concurrency 1), all on 127.0.0.1. S3 is reached through a TCP proxy in this process, so an S3
outage is the proxy refusing and cutting every connection while moto keeps its data. Videos are short clips
cut from OpenCV's vtest.avi (``--frames`` each, four different ones), so a run is affordable on 2 cores.

While the jobs run: a random worker is SIGKILLed (and started again) every ``--kill-every`` seconds, API
process B is SIGKILLed and started again twice, Redis is restarted once (SHUTDOWN, then started on the same
AOF), and S3 is cut off once for ``--outage`` seconds. The client starts the N jobs spread over the first part
of the run, each with an SNS completion channel, and polls them through API A or B (whichever answers).

Figures: jobs SUCCEEDED / FAILED (with their messages) / stuck (not ended at the deadline), completion
messages per job (duplicates), results that differ from the single-machine mode (``VideoRekognition`` on
the same clips, every page of both sort orders compared), and answers with an HTTP 5xx status. Then a
graceful SIGTERM of API A under 20 client threads: requests answered, refused before being sent (connection
refused: none lost) and lost (sent and never answered: connection cut, or a 5xx).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
VISIBILITY = 5.0
LEASE = 1.5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _until(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


class Proc:
    """A process of the run, in its own process group, its output in a log file; stopped by its PID."""

    def __init__(self, name: str, argv: list[str], folder: Path, env: dict[str, str]) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.log = folder / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        out = open(self.log, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.popen = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                          start_new_session=True)
        finally:
            out.close()

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        if self.alive():
            assert self.popen is not None
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        if not self.alive():
            return
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


class Proxy:
    """A TCP proxy to ``target``; :meth:`cut` refuses new connections and cuts the open ones until :meth:`mend`."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = _free_port()
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.mend()

    def mend(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            doomed, self._open = self._open, []
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                sock.close()  # a reset, as a dead endpoint gives

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            source.settimeout(None)
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._open = [s for s in self._open if s not in (source, sink)]


def cut_clips(folder: Path, frames: int) -> list[Path]:
    """Four different clips of ``frames`` frames from vtest.avi (MPEG-4 AVI)."""
    import av

    made = []
    for n, first in enumerate((0, 200, 400, 600)):
        dest = folder / f"clip-{n}.avi"
        with av.open(str(VTEST)) as src, av.open(str(dest), mode="w") as out:
            stream_in = src.streams.video[0]
            stream = out.add_stream("mpeg4", rate=stream_in.average_rate or 10)
            stream.width, stream.height = stream_in.codec_context.width, stream_in.codec_context.height
            stream.pix_fmt, stream.bit_rate = "yuv420p", 4_000_000
            for i, frame in enumerate(src.decode(stream_in)):
                if i >= first + frames:
                    break
                if i >= first:
                    for packet in stream.encode(frame.reformat(format="yuv420p")):
                        out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        made.append(dest)
    return made


@dataclass
class Figures:
    jobs: int = 0
    succeeded: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    stuck: list[str] = field(default_factory=list)
    messages: Counter[str] = field(default_factory=Counter)
    different: list[str] = field(default_factory=list)
    http_5xx: int = 0
    http_5xx_answers: dict[str, int] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sigterm: dict[str, int] = field(default_factory=dict)
    reruns: int = 0
    stuck_records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        duplicates = {job: n for job, n in self.messages.items() if n > 1}
        missing = self.jobs - len(self.messages)
        return {"jobs": self.jobs, "succeeded": self.succeeded, "failed": len(self.failed),
                "failed_reasons": dict(Counter(self.failed.values())), "stuck": len(self.stuck),
                "completion_messages": sum(self.messages.values()), "duplicate_messages": sum(duplicates.values())
                - len(duplicates), "jobs_without_message": missing, "results_different": len(self.different),
                "http_5xx": self.http_5xx,
                "http_5xx_answers": self.http_5xx_answers, "analyses_run_again": self.reruns,
                "seconds": round(self.seconds, 1),
                "events": self.events,
                "sigterm_under_20_clients": self.sigterm, "stuck_records": self.stuck_records}


class Deployment:
    def __init__(self, folder: Path, moto_url: str, moto_port: int) -> None:
        self.folder = folder
        self.rekotrack = str(Path(sys.executable).with_name("rekotrack"))
        self.env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1"}
        self.moto_url = moto_url
        self.proxy = Proxy(moto_port)
        self.s3_url = f"http://127.0.0.1:{self.proxy.port}"
        self.redis_port = _free_port()
        self.broker = f"redis://127.0.0.1:{self.redis_port}/0"
        redis_server = shutil.which("redis-server")
        assert redis_server is not None, "redis-server not found"
        (folder / "redis").mkdir()
        self.redis = Proc("redis", [redis_server, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "yes", "--appendfsync", "always", "--dir", str(folder / "redis")],
                          folder, self.env)
        _until(self.redis_answers, 20, "redis-server did not answer")
        self.api_ports = [_free_port(), _free_port()]
        self.apis = [self._api(n) for n in range(2)]
        self.workers = [self._worker(n) for n in range(3)]
        for api in self.apis:
            _until(lambda api=api: "listening on" in api.text() or not api.alive(), 120, f"{api.name} start")
            assert api.alive(), api.text()[-2000:]
        for worker in self.workers:
            _until(lambda worker=worker: " ready." in worker.text() or not worker.alive(), 120, f"{worker.name}")
            assert worker.alive(), worker.text()[-2000:]

    def record(self, job_id: str) -> dict[str, Any]:
        """A job's Redis record, without its task (what went wrong with a stuck job), and its lease."""
        import redis

        client = redis.Redis.from_url(self.broker, socket_timeout=5)
        try:
            raw = client.hgetall(f"rekotrack:job:{job_id}")
            found = {k.decode(): v.decode(errors="replace")[:200] for k, v in raw.items() if k != b"task"}
            found["lease"] = str(client.get(f"rekotrack:lease:{job_id}"))
            found["queued"] = str(client.llen("rekotrack"))
            return found
        finally:
            client.close()

    def redis_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def _api(self, n: int) -> Proc:
        return Proc(f"api-{'AB'[n]}", [self.rekotrack, "serve", "--analyzer", "video", "--port",
                                       str(self.api_ports[n]), "--broker", self.broker, "--results",
                                       "s3://chaos-results/runs", "--s3-endpoint-url", self.s3_url,
                                       "--sns-endpoint-url", self.moto_url, "--visibility-timeout", str(VISIBILITY)],
                    self.folder, self.env)

    def _worker(self, n: int) -> Proc:
        return Proc(f"worker-{n + 1}", [self.rekotrack, "worker", "--broker", self.broker, "--s3-endpoint-url",
                                        self.s3_url, "--sns-endpoint-url", self.moto_url, "--visibility-timeout",
                                        str(VISIBILITY), "--lease-seconds", str(LEASE), "--concurrency", "1",
                                        "--data-dir", str(self.folder / f"scratch-{n + 1}")], self.folder, self.env)

    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.api_ports]

    def restart_redis(self) -> None:
        with socket.create_connection(("127.0.0.1", self.redis_port), timeout=5) as conn:
            conn.sendall(b"SHUTDOWN\r\n")  # AOF fsynced at every write: nothing is lost
            with contextlib.suppress(OSError):
                conn.recv(16)
        assert self.redis.popen is not None
        self.redis.popen.wait(20)
        self.redis.start()
        _until(self.redis_answers, 30, "redis-server did not come back")

    def stop(self) -> None:
        for proc in [*self.workers, *self.apis, self.redis]:
            proc.stop()
        self.proxy.cut()


class Client:
    """boto3 against API A or B, whichever answers; counts 5xx answers."""

    def __init__(self, urls: list[str]) -> None:
        import boto3
        from botocore.config import Config

        config = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=30)
        self.clients = [boto3.client("rekognition", endpoint_url=url, region_name="us-east-1",
                                     aws_access_key_id="test", aws_secret_access_key="test", config=config)
                        for url in urls]
        self.http_5xx = 0
        self.http_5xx_answers: Counter[str] = Counter()  # "method: error code" of each 5xx
        self._lock = threading.Lock()

    def call(self, method: str, deadline: float, **params: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        while True:
            for client in random.sample(self.clients, len(self.clients)):
                try:
                    answer: dict[str, Any] = getattr(client, method)(**params)
                    return answer
                except ClientError as exc:
                    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                    if status < 500:
                        raise
                    with self._lock:
                        self.http_5xx += 1
                        self.http_5xx_answers[f"{method}: {exc.response.get('Error', {}).get('Code', '?')}"] += 1
                except BotoCoreError:
                    pass  # this API process is down: the other one
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method}: no API process answered")
            time.sleep(0.5)


def _read_all(client: Client, job_id: str, sort_by: str, deadline: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"JobId": job_id, "SortBy": sort_by, "MaxResults": 40}
    while True:
        page = client.call("get_person_tracking", deadline, **params)
        out.extend(page["Persons"])
        if "NextToken" not in page:
            return out
        params["NextToken"] = page["NextToken"]


def reference(clips: list[Path], folder: Path) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Each clip's detections from the single-machine mode, in both orders."""
    from rekotrack.selfhosted import VideoRekognition

    root = folder / "single"
    (root / "videos").mkdir(parents=True)
    for clip in clips:
        shutil.copy(clip, root / "videos" / clip.name)
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    with VideoRekognition(video_root=root, workers=1) as single:
        client = single.client()
        for clip in clips:
            job_id = client.start_person_tracking(Video={"S3Object": {"Bucket": "videos", "Name": clip.name}})["JobId"]
            _until(lambda job_id=job_id: client.get_person_tracking(JobId=job_id, MaxResults=1)["JobStatus"]
                   != "IN_PROGRESS", 600, "single-machine job")
            found[clip.name] = {}
            for sort_by in ("TIMESTAMP", "INDEX"):
                rows: list[dict[str, Any]] = []
                params: dict[str, Any] = {"JobId": job_id, "SortBy": sort_by}
                while True:
                    page = client.get_person_tracking(**params)
                    rows += page["Persons"]
                    if "NextToken" not in page:
                        break
                    params["NextToken"] = page["NextToken"]
                found[clip.name][sort_by] = rows
    return found


def sigterm_under_load(deployment: Deployment, clients: int = 20) -> dict[str, int]:
    """SIGTERM API A while ``clients`` threads send Gets to it; count answered, refused and lost requests."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError, EndpointConnectionError

    url = deployment.urls()[0]
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=30)
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def hammer() -> None:
        client = boto3.client("rekognition", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                              aws_secret_access_key="test", config=config)
        while not stop.is_set():
            try:
                client.get_person_tracking(JobId="0" * 64, MaxResults=1)
                outcome = "answered"
            except ClientError as exc:
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                outcome = "lost (5xx)" if status >= 500 else "answered"
            except EndpointConnectionError:
                outcome = "refused before sending"  # nothing was sent: the client may send it elsewhere
                time.sleep(0.05)
            except Exception as exc:
                outcome = f"lost ({type(exc).__name__})"
            with lock:
                counts[outcome] += 1

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(3.0)
    api = deployment.apis[0]
    assert api.popen is not None
    api.popen.send_signal(signal.SIGTERM)
    api.popen.wait(60)
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join(40)
    return dict(counts)


def run(jobs: int = 20, outage: float = 30.0, frames: int = 30, kill_every: float = 10.0, budget: float = 780.0,
        seed: int = 1, log: Any = print, keep: Path | None = None) -> dict[str, Any]:
    """The chaos run; returns its figures (see the module docstring)."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log
    rng = random.Random(seed)
    figures = Figures(jobs=jobs)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(name, value)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    with tempfile.TemporaryDirectory(prefix="rekotrack-chaos-") as tmp:
        folder = Path(tmp) if keep is None else keep
        folder.mkdir(parents=True, exist_ok=True)
        clips = cut_clips(folder, frames)
        log(f"reference: {len(clips)} clips of {frames} frames in the single-machine mode")
        expected = reference(clips, folder)
        s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
        for bucket in ("chaos-videos", "chaos-results"):
            s3.create_bucket(Bucket=bucket)
        for clip in clips:
            s3.upload_file(str(clip), "chaos-videos", clip.name)
        sns = boto3.client("sns", endpoint_url=moto_url, region_name="us-east-1")
        sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
        topic = sns.create_topic(Name="chaos-done")["TopicArn"]
        queue = sqs.create_queue(QueueName="chaos-done")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        deployment = Deployment(folder, moto_url, port)
        client = Client(deployment.urls())
        channel = {"SNSTopicArn": topic, "RoleArn": "arn:aws:iam::123456789012:role/rekognition"}
        started: dict[str, str] = {}  # JobId -> clip
        ended: dict[str, dict[str, Any]] = {}
        t0 = time.monotonic()
        deadline = t0 + budget  # the chaos phase's bound, whatever the set-up cost on a loaded machine
        chaos_for = max(60.0, outage + 40.0)
        plan = sorted([(rng.uniform(5, chaos_for * 0.4), "kill api-B"), (rng.uniform(chaos_for * 0.6, chaos_for),
                                                                          "kill api-B"),
                       (rng.uniform(chaos_for * 0.3, chaos_for * 0.5), "restart redis"),
                       (rng.uniform(10, chaos_for * 0.2), "S3 outage")])
        kill_at = t0 + rng.uniform(3, kill_every)
        submit_every = chaos_for * 0.6 / max(1, jobs)
        next_submit = t0

        def note(event: str) -> None:
            figures.events.append(f"{time.monotonic() - t0:6.1f} s {event}")
            log(figures.events[-1])

        try:
            while time.monotonic() < deadline:
                now = time.monotonic()
                if len(started) < jobs and now >= next_submit:
                    clip = clips[len(started) % len(clips)].name
                    token = f"chaos-{len(started)}"
                    answer = client.call("start_person_tracking", deadline, ClientRequestToken=token,
                                         Video={"S3Object": {"Bucket": "chaos-videos", "Name": clip}},
                                         NotificationChannel=channel, JobTag=token)
                    started[answer["JobId"]] = clip
                    next_submit = now + submit_every
                if plan and now - t0 >= plan[0][0]:
                    _, event = plan.pop(0)
                    if event == "kill api-B":
                        deployment.apis[1].kill()
                        note("SIGKILL api-B")
                        time.sleep(2.0)
                        deployment.apis[1].start()
                        note("api-B started again")
                    elif event == "restart redis":
                        deployment.restart_redis()
                        note("Redis restarted (SHUTDOWN, AOF kept)")
                    else:
                        deployment.proxy.cut()
                        note(f"S3 outage begins ({outage:g} s)")
                        threading.Timer(outage, lambda: (deployment.proxy.mend(), note("S3 outage ends"))).start()
                if now >= kill_at and now - t0 < chaos_for:
                    victim = rng.choice(deployment.workers)
                    victim.kill()
                    note(f"SIGKILL {victim.name}")
                    victim.start()
                    kill_at = now + rng.uniform(kill_every / 2, kill_every * 1.5)
                for job_id in [j for j in started if j not in ended]:
                    page = client.call("get_person_tracking", deadline, JobId=job_id, MaxResults=1)
                    if page["JobStatus"] != "IN_PROGRESS":
                        ended[job_id] = page
                if len(ended) == jobs and not plan and now - t0 >= chaos_for:
                    break
                time.sleep(0.5)
            for job_id, page in ended.items():
                if page["JobStatus"] == "SUCCEEDED":
                    figures.succeeded += 1
                    for sort_by in ("TIMESTAMP", "INDEX"):
                        if _read_all(client, job_id, sort_by, deadline + 60) != expected[started[job_id]][sort_by]:
                            figures.different.append(job_id)
                            break
                else:
                    figures.failed[job_id] = str(page.get("StatusMessage"))
            figures.stuck = [j for j in started if j not in ended] + [f"never started #{n}"
                                                                       for n in range(len(started), jobs)]
            for job_id in figures.stuck:
                figures.stuck_records[job_id] = deployment.record(job_id)
            time.sleep(5.0)  # completion messages still on their way
            while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                               WaitTimeSeconds=1).get("Messages", []):
                for message in batch:
                    figures.messages[json.loads(json.loads(message["Body"])["Message"])["JobId"]] += 1
                    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            figures.http_5xx = client.http_5xx
            figures.http_5xx_answers = dict(client.http_5xx_answers)
            figures.reruns = sum(len(re.findall(r": attempt [2-9]\d* of", w.text())) for w in deployment.workers)
            figures.seconds = time.monotonic() - t0
            log("SIGTERM of api-A under 20 clients")
            figures.sigterm = sigterm_under_load(deployment)
        finally:
            deployment.stop()
            moto.stop()
    return figures.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="6 jobs, a 10 s S3 outage")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--outage", type=float)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--kill-every", type=float, default=10.0, help="seconds between worker SIGKILLs, on average")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep every process's log in DIR")
    args = parser.parse_args()
    jobs = args.jobs or (6 if args.quick else 20)
    outage = args.outage if args.outage is not None else (10.0 if args.quick else 30.0)
    figures = run(jobs=jobs, outage=outage, frames=args.frames, kill_every=args.kill_every, seed=args.seed,
                  budget=240.0 if args.quick else 780.0, keep=args.keep)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
