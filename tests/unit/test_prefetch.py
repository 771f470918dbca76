"""Prefetch: the next page is fetched while the caller's loop works on the current one.

It must not change what is yielded, holds at most two pages, stops cleanly when
the loop breaks or raises (no request and no thread left running), keeps
``resume_token`` exact, and can be turned off.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from rekotrack import PersonTracker, RetryPolicy

from .unit_support import JOB_ID, FakeClock, detection, drain, make_tracker, page


class PagedService:
    """A GetPersonTracking client double serving ``pages`` pages of ``size`` items; counts what is in flight."""

    def __init__(self, pages: int, size: int, gate: threading.Event | None = None) -> None:
        self.pages = pages
        self.size = size
        self.gate = gate
        self.calls: list[int] = []
        self.in_flight = 0
        self.consumer_page = 0  # the page the caller's loop is on (set by the test)
        self.ahead = 0  # how far ahead of the caller a request ever went
        self._lock = threading.Lock()
        self.second_call = threading.Event()

    def get_person_tracking(self, **params: Any) -> dict[str, Any]:
        index = int(params.get("NextToken", "p0")[1:])
        with self._lock:
            self.calls.append(index)
            self.in_flight += 1
            self.ahead = max(self.ahead, index - self.consumer_page)
        if len(self.calls) == 2:
            self.second_call.set()
        try:
            if self.gate is not None and index > 0:
                self.gate.wait(10)
            items = [detection(index * self.size + k) for k in range(self.size)]
            following = f"p{index + 1}" if index + 1 < self.pages else None
            return page(items, following)
        finally:
            with self._lock:
                self.in_flight -= 1


def _tracker(service: PagedService, prefetch: bool = True) -> PersonTracker:
    return make_tracker(service, FakeClock(), prefetch=prefetch)


def _prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("rekotrack-")]


@pytest.mark.parametrize("prefetch", [True, False], ids=["prefetch", "no-prefetch"])
def test_the_same_items_with_and_without_prefetch(prefetch: bool) -> None:
    service = PagedService(pages=5, size=3)
    got = [d.timestamp for d in _tracker(service, prefetch).persons(JOB_ID, page_size=3)]
    assert got == list(range(15))
    assert service.calls == [0, 1, 2, 3, 4]


def test_the_next_page_is_requested_while_the_caller_works_on_this_one() -> None:
    service = PagedService(pages=3, size=2)
    items = iter(_tracker(service).persons(JOB_ID, page_size=2))
    assert next(items).timestamp == 0
    # The caller holds page 0; page 1 is being fetched without the caller asking.
    assert service.second_call.wait(10)
    assert service.calls[:2] == [0, 1]
    assert [d.timestamp for d in items] == [1, 2, 3, 4, 5]


def test_never_more_than_one_page_ahead() -> None:
    service = PagedService(pages=8, size=2)
    for det in _tracker(service).persons(JOB_ID, page_size=2):
        service.consumer_page = det.timestamp // 2
    # Page i is requested only once the caller was handed the last item of page i-2: the pager then
    # holds page i-1 and fetches page i, two pages at most.
    assert service.ahead == 2


def test_prefetch_off_requests_only_what_is_used() -> None:
    service = PagedService(pages=5, size=2)
    for det in _tracker(service, prefetch=False).persons(JOB_ID, page_size=2):
        if det.timestamp == 2:
            break
    assert service.calls == [0, 1]


@pytest.mark.parametrize("how", ["break", "raise"])
def test_leaving_the_loop_leaves_no_request_or_thread_running(how: str) -> None:
    gate = threading.Event()
    service = PagedService(pages=4, size=2, gate=gate)
    pager = _tracker(service).persons(JOB_ID, page_size=2)
    releaser = threading.Timer(0.2, gate.set)  # the prefetched request answers a little later
    releaser.start()
    try:
        for _det in pager:
            assert service.second_call.wait(10)  # page 1 is in flight
            if how == "raise":
                raise KeyError("caller's error")
            break
    except KeyError:
        pass
    releaser.join()
    # Leaving did not wait for the request (a client double has no connection to shut): it ends once answered.
    ends = time.monotonic() + 5
    while (service.in_flight or _prefetch_threads()) and time.monotonic() < ends:
        time.sleep(0.01)
    assert service.in_flight == 0
    assert _prefetch_threads() == []
    assert service.calls == [0, 1]  # nothing was fetched past the prefetched page
    # Exactly after the last detection yielded:
    rest = _tracker(PagedService(pages=4, size=2)).persons(JOB_ID, page_size=2, starting_token=pager.resume_token)
    assert [d.timestamp for d in rest] == list(range(1, 8))


def test_resume_token_is_exact_mid_page_with_prefetch() -> None:
    service = PagedService(pages=4, size=3)
    pager = _tracker(service).persons(JOB_ID, page_size=3)
    seen = []
    for det in pager:
        seen.append(det.timestamp)
        if det.timestamp == 4:
            break
    rest = _tracker(PagedService(pages=4, size=3)).persons(JOB_ID, page_size=3, starting_token=pager.resume_token)
    assert seen + [d.timestamp for d in rest] == list(range(12))


def test_an_error_on_the_prefetched_page_surfaces_when_that_page_is_reached() -> None:
    class Failing(PagedService):
        def get_person_tracking(self, **params: Any) -> dict[str, Any]:
            if params.get("NextToken") == "p1":
                raise RuntimeError("page 1 is gone")
            return super().get_person_tracking(**params)

    pager = make_tracker(Failing(pages=3, size=2), FakeClock(), prefetch=True).persons(JOB_ID, page_size=2)
    got: list[Any] = []
    with pytest.raises(RuntimeError, match="page 1"):
        drain(pager, got)
    got = [d.timestamp for d in got]
    assert got == [0, 1]  # page 0 in full, then the error: nothing lost, nothing out of order


class AsyncPagedService:
    """The async twin: awaits an event before answering a prefetched page."""

    def __init__(self, pages: int, size: int) -> None:
        self.sync = PagedService(pages, size)
        self.release = asyncio.Event()
        self.cancelled = 0

    async def get_person_tracking(self, **params: Any) -> dict[str, Any]:
        if params.get("NextToken"):
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        return self.sync.get_person_tracking(**params)


@pytest.mark.asyncio
async def test_async_break_cancels_the_prefetched_request() -> None:
    from rekotrack import AsyncPersonTracker

    service = AsyncPagedService(pages=4, size=2)
    tracker = AsyncPersonTracker(service, retry=RetryPolicy(max_attempts=1))
    pager = tracker.persons(JOB_ID, page_size=2)
    items = pager.__aiter__()
    first = await items.__anext__()
    assert first.timestamp == 0
    await asyncio.sleep(0)  # let the prefetch start
    await items.aclose()  # type: ignore[attr-defined]
    assert service.cancelled == 1
    assert [t for t in asyncio.all_tasks() if t.get_name() == "rekotrack-prefetch"] == []
    rest = AsyncPersonTracker(AsyncPagedService(4, 2), retry=RetryPolicy(max_attempts=1))
    rest_service = rest.client
    rest_service.release.set()
    resumed = rest.persons(JOB_ID, page_size=2, starting_token=pager.resume_token)
    assert [d.timestamp async for d in resumed] == list(range(1, 8))
