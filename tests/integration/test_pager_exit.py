"""Issue 20, point 2: leaving a sync pager's loop lets go of the prefetched request at once.

Against the real botocore HTTP stack: ``LocalRekognition`` with its page requests
made slow by fault injection (``Faults(slow_rate=1, slow_seconds=8)``) once the
first page is in hand, and a scripted server whose second page drips one byte
every 0.2 s. Leaving the loop (``break``, an exception, ``KeyboardInterrupt``)
must return long before the slow page would have been answered (before the fix it
waited for it: 5.7 s with a 6 s page), and no request thread may be left reading:
the prefetched request's connection is shut, so its thread ends too. A kept
iterator (``it = iter(pager)``) holds one request in flight at most, stopped when
the iterator is closed or collected. The bounds below (2 s to return, 3 s for the
threads to end) are far under the 8 s page and the 60 s drip: the property is
"does not wait for the server", not a timing (``benchmarks/pager_exit.py`` measures).
"""

from __future__ import annotations

import gc
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from rekotrack import FaceDetector, LabelDetector, PersonTracker, RetryPolicy
from rekotrack.testing import Faults, LocalRekognition, SyntheticScene

SLOW = 8.0
RETURN_BOUND = 2.0  # leaving the loop; the page takes SLOW s
THREADS_BOUND = 3.0  # the request threads end; the page takes SLOW s
FAKE = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=30, connect_timeout=5)


def _request_threads() -> list[threading.Thread]:
    """The SDK's request threads (the local server's own threads are named ``rekotrack-http`` and so on)."""
    names = ("rekotrack-prefetch", "rekotrack-closer", "rekotrack-Get")
    return [t for t in threading.enumerate() if t.name.startswith(names) and t.is_alive()]


def _threads_end() -> bool:
    ends = time.monotonic() + THREADS_BOUND
    while _request_threads() and time.monotonic() < ends:
        time.sleep(0.02)
    return not _request_threads()


@pytest.fixture(scope="module")
def server() -> Iterator[LocalRekognition]:
    with LocalRekognition(job_seconds=0.0) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _no_faults(server: LocalRekognition) -> Iterator[None]:
    server.faults = None
    yield
    server.faults = None
    assert _threads_end()


def _slow_pages(server: LocalRekognition) -> None:
    server.faults = Faults(slow_rate=1.0, slow_seconds=SLOW, operations=("GetPersonTracking",))


def _finished_job(server: LocalRekognition, name: str) -> tuple[PersonTracker, str]:
    scene = SyntheticScene(seed=3, people=4, duration_ms=60_000)
    server.add_video(f"s3://exit/{name}.mp4", scene)
    tracker = PersonTracker(server.client(config=CONFIG), retry=RetryPolicy(max_attempts=2, initial_delay=0.01))
    job = tracker.start(f"s3://exit/{name}.mp4")
    tracker.wait(job.job_id, timeout=30, poll_interval=0.01)
    return tracker, job.job_id


def _leave(pager: Any, how: str) -> float:
    """Seconds from the moment the loop is left to the statement after it.

    The loop body first lets the prefetched request reach the server (0.3 s), so that
    leaving finds it on the wire, waiting for its answer.
    """
    left = 0.0
    try:
        for _det in pager:
            time.sleep(0.3)
            left = time.monotonic()
            if how == "break":
                break
            if how == "raise":
                raise LookupError("the caller's error")
            raise KeyboardInterrupt
    except (LookupError, KeyboardInterrupt):
        pass
    return time.monotonic() - left


@pytest.mark.parametrize("how", ["break", "raise", "ctrl-c"])
def test_leaving_the_loop_does_not_wait_for_a_slow_page(server: LocalRekognition, how: str) -> None:
    tracker, job_id = _finished_job(server, f"slow-{how}")
    pager = tracker.persons(job_id, page_size=5)
    assert pager.video_metadata is not None  # the first page, fetched now and kept for the loop
    gets = server.request_count("GetPersonTracking")
    _slow_pages(server)  # every request from now on answers after SLOW s: the prefetch of page 2 too
    assert _leave(pager, how) < RETURN_BOUND
    assert _threads_end()  # the prefetch's connection was shut: its thread is not reading the slow page
    assert server.request_count("GetPersonTracking") == gets + 1  # page 2's request, and nothing after it
    server.faults = None
    rest = tracker.persons(job_id, page_size=5, starting_token=pager.resume_token)
    everything = [d.to_aws() for d in tracker.persons(job_id, page_size=5)]
    assert [d.to_aws() for d in rest] == everything[1:]


def test_a_kept_iterator_holds_one_request_stopped_when_closed(server: LocalRekognition) -> None:
    tracker, job_id = _finished_job(server, "kept-close")
    pager = tracker.persons(job_id, page_size=5)
    assert pager.video_metadata is not None
    gets = server.request_count("GetPersonTracking")
    _slow_pages(server)
    it = iter(pager)
    next(it)  # the loop is left with the iterator kept: page 2's request is in flight
    time.sleep(0.3)
    assert len(_request_threads()) == 1
    assert server.request_count("GetPersonTracking") == gets + 1
    began = time.monotonic()
    it.close()  # type: ignore[attr-defined]
    assert time.monotonic() - began < RETURN_BOUND
    assert _threads_end()
    assert server.request_count("GetPersonTracking") == gets + 1


def test_a_kept_iterator_is_stopped_when_collected(server: LocalRekognition) -> None:
    tracker, job_id = _finished_job(server, "kept-gc")
    pager = tracker.persons(job_id, page_size=5)
    assert pager.video_metadata is not None
    _slow_pages(server)
    it = iter(pager)
    next(it)
    began = time.monotonic()
    del it
    gc.collect()
    assert time.monotonic() - began < RETURN_BOUND
    assert _threads_end()


def test_other_job_classes_let_go_too(server: LocalRekognition) -> None:
    client = server.client(config=CONFIG)
    policy = RetryPolicy(max_attempts=2, initial_delay=0.01)
    labels, faces = LabelDetector(client, retry=policy), FaceDetector(client, retry=policy)
    label_job, face_job = labels.start("s3://exit/labels.mp4"), faces.start("s3://exit/faces.mp4")
    label_job.wait(timeout=30, poll_interval=0.01)
    face_job.wait(timeout=30, poll_interval=0.01)
    for pager, operation in (
        (labels.labels(label_job.job_id, page_size=1), "GetLabelDetection"),
        (faces.faces(face_job.job_id, page_size=1), "GetFaceDetection"),
    ):
        assert pager.video_metadata is not None
        server.faults = Faults(slow_rate=1.0, slow_seconds=SLOW, operations=(operation,))
        assert _leave(pager, "break") < RETURN_BOUND
        assert _threads_end()
        server.faults = None


class _DripServer:
    """Page 1 at once (with a NextToken); page 2's answer one byte every 0.2 s (well over a minute)."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.requests = 0
        self.closed_by_client = threading.Event()
        self._stop = threading.Event()
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    @staticmethod
    def _page(token: str | None) -> bytes:
        persons = ",".join(f'{{"Timestamp":{k},"Person":{{"Index":{k}}}}}' for k in range(3))
        more = ',"NextToken":"page-2"' if token is None else ""
        body = f'{{"JobStatus":"SUCCEEDED","JobId":"job-drip"{more},"Persons":[{persons}]}}'.encode()
        if token is not None:
            body += b" " * 400  # JSON whitespace: the drip of this page lasts far past any bound
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {len(body)}\r\n\r\n"
        return head.encode() + body

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            buffer = b""
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                fields = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:])
                length = int({k.lower(): v for k, v in fields.items()}[b"content-length"])
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                self.requests += 1
                token = None if b"NextToken" not in body else "page-2"
                answer = self._page(token)
                if token is None:
                    conn.sendall(answer)
                    continue
                try:
                    for byte in answer:
                        if self._stop.wait(0.2):
                            return
                        conn.sendall(bytes([byte]))
                except OSError:
                    self.closed_by_client.set()
                    return

    def close(self) -> None:
        self._stop.set()
        self._sock.close()


@pytest.fixture
def drip() -> Iterator[_DripServer]:
    server = _DripServer()
    yield server
    server.close()


def _drip_tracker(drip: _DripServer, **kwargs: Any) -> PersonTracker:
    session = boto3.Session(region_name="us-east-1", **FAKE)
    client = session.client("rekognition", endpoint_url=drip.url, config=CONFIG)
    return PersonTracker(client, retry=RetryPolicy(max_attempts=2, initial_delay=0.01), **kwargs)


@pytest.mark.parametrize("how", ["break", "ctrl-c"])
def test_leaving_the_loop_does_not_wait_for_a_dripping_page(drip: _DripServer, how: str) -> None:
    pager = _drip_tracker(drip, request_timeout=8.0).persons("job-drip", page_size=3)
    assert _leave(pager, how) < RETURN_BOUND
    assert _threads_end()
    assert drip.closed_by_client.wait(THREADS_BOUND)  # the dripping connection was shut by the client


def test_the_drip_outlasts_every_bound() -> None:
    assert len(_DripServer._page("page-2")) * 0.2 > 60


def test_ctrl_c_while_the_loop_waits_for_a_slow_page(server: LocalRekognition) -> None:
    tracker, job_id = _finished_job(server, "wait-ctrl-c")
    pager = tracker.persons(job_id, page_size=5)
    assert pager.video_metadata is not None
    _slow_pages(server)
    main = threading.main_thread().ident
    assert main == threading.get_ident()
    sent: list[float] = []

    def interrupt() -> None:
        sent.append(time.monotonic())
        signal.pthread_kill(main, signal.SIGINT)  # Ctrl-C, delivered to the thread that waits

    timer = threading.Timer(1.0, interrupt)
    seen = 0

    def read() -> None:
        nonlocal seen
        for _det in pager:  # page 1's five items at once, then a wait for page 2 (SLOW s)
            seen += 1
            if seen == 5:
                timer.start()

    with pytest.raises(KeyboardInterrupt):
        read()
    assert seen == 5
    assert time.monotonic() - sent[0] < RETURN_BOUND
    assert _threads_end()
