"""Issue 12, point 7: while a page the caller waits for is validated, the request for the page after it is started.

Through real botocore (and aiobotocore) HTTP against a scripted GetPersonTracking
server on 127.0.0.1 whose pages take ``delay`` seconds to answer, so the caller's
empty loop always waits for the next page. The NextToken read in a page's bytes
starts the next request before the page is validated; it is used only when the
validated page gives the same token. Checked: the early start happens, nothing is
requested twice, a wrong hint costs one dropped request and changes nothing, leaving
the loop stops the early request too (no thread, task or request left), ``max_items``
never starts one, and ``resume_token`` stays exact. (That the early request reaches
the server while the page is validated is a timing: ``benchmarks/`` measures it.)
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from rekotrack import PersonTracker, PersonTrackingPage, RetryPolicy

JOB_ID = "job-pipeline"
REGION = "us-east-1"
FAKE = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=10, connect_timeout=5)


def _token(index: int) -> str:
    return f"page-{index}"


class PageServer:
    """``pages`` pages of ``size`` detections, page k's NextToken ``page-{k+1}``; each answer waits ``delay`` s.

    With ``decoy``, every detection carries an extra member ``"NextToken": "decoy"``
    written after the page's own NextToken, so the hint read in the bytes is wrong.
    Records the NextToken of every request (None for the first page) and counts
    the requests being answered.
    """

    def __init__(self, pages: int, size: int, delay: float, decoy: bool = False) -> None:
        self.pages, self.size, self.delay, self.decoy = pages, size, delay, decoy
        self.tokens: list[str | None] = []
        self.in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                raw = self.rfile.read(length)
                if len(raw) < length:  # the client shut the connection while sending (a request it stopped)
                    self.close_connection = True
                    return
                params = json.loads(raw or b"{}")
                status, body = server.answer(params)
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, name="page-server", daemon=True)
        self._thread.start()

    def answer(self, params: dict[str, Any]) -> tuple[int, bytes]:
        token = params.get("NextToken")
        with self._lock:
            self.tokens.append(token)
            self.in_flight += 1
        try:
            self._stop.wait(self.delay)
            index = 0 if token is None else int(token.split("-")[1]) if token.startswith("page-") else -1
            if not 0 <= index < self.pages:
                error = {"__type": "InvalidPaginationTokenException", "Message": f"no page {token!r}"}
                return 400, json.dumps(error).encode()
            return 200, self.page(index)
        finally:
            with self._lock:
                self.in_flight -= 1

    def page(self, index: int) -> bytes:
        # Written by hand so that the page's own NextToken comes before the detections (and any decoy).
        head = f'{{"JobStatus":"SUCCEEDED","JobId":"{JOB_ID}"'
        if index + 1 < self.pages:
            head += f',"NextToken":"{_token(index + 1)}"'
        decoy = ',"NextToken":"decoy"' if self.decoy else ""
        persons = ",".join(
            f'{{"Timestamp":{index * self.size + k},"Person":{{"Index":{k}}}{decoy}}}' for k in range(self.size)
        )
        return f'{head},"Persons":[{persons}]}}'.encode()

    def close(self) -> None:
        self._stop.set()
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(5)


@pytest.fixture
def serve() -> Iterator[Callable[..., PageServer]]:
    servers: list[PageServer] = []

    def make(pages: int = 6, size: int = 4, delay: float = 0.15, decoy: bool = False) -> PageServer:
        servers.append(PageServer(pages, size, delay, decoy))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def _tracker(server: PageServer, **kwargs: Any) -> PersonTracker:
    session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    client = session.client("rekognition", endpoint_url=server.url, config=CONFIG)
    return PersonTracker(client, retry=RetryPolicy(max_attempts=2, initial_delay=0.01), **kwargs)


def _request_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("rekotrack-")]


def _threads_end() -> bool:
    """No request thread left (one that was stopped ends within moments: its connection was shut)."""
    ends = time.monotonic() + 3.0
    while _request_threads() and time.monotonic() < ends:
        time.sleep(0.02)
    return _request_threads() == []


def _settles(server: PageServer) -> bool:
    """The server's handlers of stopped requests end after their own ``delay`` (answering a closed connection)."""
    ends = time.monotonic() + server.delay + 2.0
    while server.in_flight and time.monotonic() < ends:
        time.sleep(0.02)
    return server.in_flight == 0


def _reaches(server: PageServer, token: str) -> bool:
    """The request for ``token`` reaches the server (within a bound far over the time it takes)."""
    ends = time.monotonic() + 5.0
    while token not in server.tokens and time.monotonic() < ends:
        time.sleep(0.005)
    return token in server.tokens


def _early_starts(tracker: PersonTracker) -> list[int]:
    """For each page parsed, how many other page requests were running once its bytes had been read."""
    seen: list[int] = []

    def after_hint(**_: Any) -> None:  # registered last: the fast path has read the hint (and acted on it)
        me = threading.current_thread()
        seen.append(sum(1 for t in _request_threads() if t is not me and t.name == "rekotrack-prefetch"))

    tracker.client.meta.events.register_last("before-parse.rekognition.GetPersonTracking", after_hint)
    return seen


def test_the_next_request_starts_before_the_page_the_caller_waits_for_is_validated(
    serve: Callable[..., PageServer],
) -> None:
    server = serve(pages=6, size=4)
    tracker = _tracker(server)
    seen = _early_starts(tracker)
    got = [det.timestamp for det in tracker.persons(JOB_ID, page_size=4)]
    assert got == list(range(24))
    # Page 0 is fetched by the caller and page 5 has no NextToken; pages 1-4 arrive while the
    # caller waits for them, and their bytes start the request for the page after.
    assert seen == [0, 1, 1, 1, 1, 0]
    assert server.tokens == [None, *(_token(k) for k in range(1, 6))]  # each page requested once


def _pages_alive() -> int:
    return sum(1 for obj in gc.get_objects() if isinstance(obj, PersonTrackingPage))


def test_never_more_than_two_pages_are_held(serve: Callable[..., PageServer]) -> None:
    server = serve(pages=6, size=4, delay=0.05)
    tracker = _tracker(server)
    counts: list[int] = []
    tracker.client.meta.events.register_last(  # the page just validated, on the request's thread
        "before-parse.rekognition.GetPersonTracking", lambda **_: counts.append(_pages_alive())
    )
    for _det in tracker.persons(JOB_ID, page_size=4):
        counts.append(_pages_alive())
    assert len(counts) == 6 + 24
    assert max(counts) <= 2


def test_without_prefetch_nothing_starts_early(serve: Callable[..., PageServer]) -> None:
    server = serve(pages=4, size=2)
    tracker = _tracker(server, prefetch=False)
    seen = _early_starts(tracker)
    assert [det.timestamp for det in tracker.persons(JOB_ID, page_size=2)] == list(range(8))
    assert seen == [0, 0, 0, 0]
    assert server.tokens == [None, *(_token(k) for k in range(1, 4))]


def test_a_wrong_hint_costs_one_dropped_request_and_changes_nothing(serve: Callable[..., PageServer]) -> None:
    server = serve(pages=5, size=3, decoy=True)
    tracker = _tracker(server)
    got = [det.timestamp for det in tracker.persons(JOB_ID, page_size=3)]
    assert got == list(range(15))
    real = [t for t in server.tokens if t != "decoy"]
    assert real == [None, *(_token(k) for k in range(1, 5))]
    # Pages 1-3 arrived while the caller waited and carry a decoy after their NextToken (page 4 too, but it is the
    # last: its hint starts a request all the same, dropped with it).
    assert 1 <= server.tokens.count("decoy") <= 4
    assert _threads_end()  # the dropped request's connection was shut: no thread reads it
    assert _settles(server)


@pytest.mark.parametrize("how", ["break", "raise"])
def test_leaving_the_loop_stops_the_request_started_early(serve: Callable[..., PageServer], how: str) -> None:
    server = serve(pages=6, size=3, delay=0.3)
    tracker = _tracker(server)
    pager = tracker.persons(JOB_ID, page_size=3)
    try:
        for det in pager:
            if det.timestamp == 3:  # the first item of page 1: page 2's request was started early
                # ... and is on its way: wait until the server has it (on a loaded machine the caller can get here
                # before the request is written; stopped then, it is never sent, and the tokens below would miss it).
                assert _reaches(server, _token(2))
                if how == "raise":
                    raise KeyError("caller's error")
                break
    except KeyError:
        pass
    assert _threads_end()  # the early request was stopped (its connection shut) when the loop was left
    assert _settles(server)
    assert server.tokens == [None, _token(1), _token(2)]  # and nothing after it
    rest = _tracker(serve(pages=6, size=3, delay=0)).persons(JOB_ID, page_size=3, starting_token=pager.resume_token)
    assert [det.timestamp for det in rest] == list(range(4, 18))


def test_max_items_never_starts_a_request_early(serve: Callable[..., PageServer]) -> None:
    server = serve(pages=6, size=3)
    tracker = _tracker(server)
    seen = _early_starts(tracker)
    assert [det.timestamp for det in tracker.persons(JOB_ID, page_size=3, max_items=7)] == list(range(7))
    assert server.tokens == [None, _token(1), _token(2)]
    assert seen == [0, 0, 0]


def test_pages_are_the_same_with_the_pipeline(serve: Callable[..., PageServer]) -> None:
    server = serve(pages=4, size=2)
    pages = list(_tracker(server).pages(JOB_ID, page_size=2))
    assert [p.next_token for p in pages] == [_token(1), _token(2), _token(3), None]
    assert [[d.timestamp for d in p.persons or []] for p in pages] == [[0, 1], [2, 3], [4, 5], [6, 7]]


def test_async_pipeline_yields_the_same_and_leaves_no_task(serve: Callable[..., PageServer]) -> None:
    aiobotocore = pytest.importorskip("aiobotocore.session", reason="the async client needs aiobotocore")
    from rekotrack import AsyncPersonTracker

    server = serve(pages=5, size=3, decoy=True)

    async def run() -> tuple[list[int | None], list[int | None]]:
        session = aiobotocore.AioSession()
        async with session.create_client(
            "rekognition", region_name=REGION, endpoint_url=server.url, config=CONFIG, **FAKE
        ) as client:
            tracker = AsyncPersonTracker(client, retry=RetryPolicy(max_attempts=2, initial_delay=0.01))
            gc.collect()
            gc.disable()  # pages must be freed by reference counting alone: no cycle may hold them
            try:
                every = [det.timestamp async for det in tracker.persons(JOB_ID, page_size=3)]
                assert _pages_alive() == 0
            finally:
                gc.enable()
            some = []
            async with contextlib.aclosing(aiter(tracker.persons(JOB_ID, page_size=3))) as items:  # type: ignore[type-var]
                async for det in items:
                    some.append(det.timestamp)
                    if det.timestamp == 4:  # page 2's request was started early (and page 1's decoy dropped)
                        break
            current = asyncio.current_task()
            assert [t for t in asyncio.all_tasks() if t is not current and not t.done()] == []
            return every, some

    every, some = asyncio.run(run())
    assert every == list(range(15))
    assert some == [0, 1, 2, 3, 4]
    # Cancelled, not waited out: the server may still be answering the last request, but nothing follows it.
    # Page 2's early request was cancelled: it reached the server, or was cut while being sent (not counted).
    second = [t for t in server.tokens[server.tokens.index(None, 1) :] if t != "decoy"]
    assert second in ([None, _token(1), _token(2)], [None, _token(1)])
    assert [t for t in server.tokens if t != "decoy"] == [None, *(_token(k) for k in range(1, 5)), *second]
