"""Issue 22, point 3: the prefetch pipeline's sans-IO state machine (``rekotrack._core._prefetch``).

Each transition of a :class:`Lane` in isolation (no I/O, no thread): the request
started early only while the caller waits, never from a stopped or delivered lane,
never with ``max_items``; a stopped lane's request is never sent; what is handed
back to start or stop. The pipeline's behaviour through real HTTP is pinned in
``tests/integration/test_prefetch_pipeline.py``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import pytest

from rekotrack._core._prefetch import Lane, Phase, keeps

PAGE = b'{"JobStatus":"SUCCEEDED","NextToken":"t2","Persons":[]}'
LAST = b'{"JobStatus":"SUCCEEDED","Persons":[]}'


def _lane(early: bool = True) -> tuple[Lane[str], list[str]]:
    started: list[str] = []
    return Lane("t1", early=early, guard=contextlib.nullcontext()), started


def _phase(lane: Lane[str]) -> Phase:
    return lane.phase


def _start(started: list[str]) -> Callable[[str], str]:
    def start(token: str) -> str:
        started.append(token)
        return f"request-{token}"

    return start


def test_a_page_received_while_the_caller_waits_starts_the_next_request() -> None:
    lane, started = _lane()
    assert _phase(lane) is Phase.REQUESTED
    lane.awaited()
    assert _phase(lane) is Phase.AWAITED
    assert lane.received(PAGE, _start(started)) == "request-t2"
    assert started == ["t2"]
    assert _phase(lane) is Phase.HINTED
    assert lane.received(PAGE, _start(started)) is None  # a retry's page: one early request at most
    assert started == ["t2"]
    assert lane.delivered() == "request-t2"  # handed over once
    assert _phase(lane) is Phase.DELIVERED
    assert lane.stop() is None
    assert _phase(lane) is Phase.DELIVERED  # a delivered lane stays delivered


@pytest.mark.parametrize("body", [LAST, b"", b"not json"])
def test_no_hint_starts_nothing(body: bytes) -> None:
    lane, started = _lane()
    lane.awaited()
    assert lane.received(body, _start(started)) is None
    assert started == []
    assert _phase(lane) is Phase.AWAITED
    assert lane.delivered() is None


def test_a_page_received_before_the_caller_waits_starts_nothing() -> None:
    lane, started = _lane()
    assert lane.received(PAGE, _start(started)) is None
    assert started == []
    assert _phase(lane) is Phase.REQUESTED


def test_with_max_items_nothing_starts_early() -> None:
    lane, started = _lane(early=False)
    lane.awaited()
    assert lane.received(PAGE, _start(started)) is None
    assert started == []


def test_a_stopped_lane_is_not_sent_and_starts_nothing() -> None:
    lane, started = _lane()
    assert lane.sending() is True
    assert lane.sent
    lane.awaited()
    lane.received(PAGE, _start(started))
    assert lane.stop() == "request-t2"  # the early request is stopped with it
    assert _phase(lane) is Phase.STOPPED
    assert lane.sending() is False  # a retry, or a request not yet sent: never sent
    lane.awaited()
    assert lane.received(PAGE, _start(started)) is None
    assert lane.delivered() is None
    assert _phase(lane) is Phase.STOPPED
    assert started == ["t2"]


def test_stopping_while_the_request_thread_starts_the_next_one_stops_that_one_too() -> None:
    """The start runs under the guard: a stop from the caller's thread waits for it, then gets the request."""
    guard = threading.Lock()
    lane: Lane[str] = Lane("t1", early=True, guard=guard)
    lane.awaited()
    inside, release = threading.Event(), threading.Event()
    stopped: list[str | None] = []

    def start(token: str) -> str:
        inside.set()
        release.wait(5)
        return f"request-{token}"

    thread = threading.Thread(target=lane.received, args=(PAGE, start))
    thread.start()
    assert inside.wait(5)
    stopper = threading.Thread(target=lambda: stopped.append(lane.stop()))
    stopper.start()
    stopper.join(0.1)
    assert stopper.is_alive()  # waits for the start under way
    release.set()
    thread.join(5)
    stopper.join(5)
    assert stopped == ["request-t2"]
    assert _phase(lane) is Phase.STOPPED


@pytest.mark.parametrize(
    ("token", "wanted", "next_token", "kept"),
    [
        ("t2", True, "t2", True),
        ("decoy", True, "t2", False),  # a wrong hint: dropped
        ("t2", False, "t2", False),  # the walk ends or does not prefetch
        ("t2", True, None, False),
    ],
)
def test_the_early_request_is_kept_only_for_the_validated_token(
    token: str, wanted: bool, next_token: str | None, kept: bool
) -> None:
    assert keeps(token, wanted=wanted, next_token=next_token) is kept

