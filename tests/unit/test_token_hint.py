"""The NextToken read in a page's raw bytes (a hint for the prefetch), and the fast path's collector switch.

The hint is never trusted: the pager uses a request started with it only when the
validated page gives the same token. These tests pin what it reads, that anything
unexpected gives None rather than an error, and that the fast path leaves the
process's garbage collector as it found it.
"""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rekotrack import PersonTrackingPage
from rekotrack._core._pages import next_token_hint
from rekotrack._fastpath import validate_page


@pytest.mark.parametrize(
    ("body", "token"),
    [
        (b'{"JobStatus":"SUCCEEDED","NextToken":"abc"}', "abc"),
        (b'{"NextToken" :\n "abc" , "Persons": []}', "abc"),
        (b'{"NextToken":"caf\\u00e9\\n\\"x\\""}', 'café\n"x"'),
        ('{"NextToken":"żółw"}'.encode(), "żółw"),
        # the member name inside another string is text, not a member: skipped for the real one before it
        (b'{"NextToken":"real","Persons":[{"Note":"\\"NextToken\\":\\"fake\\""}]}', "real"),
    ],
)
def test_the_hint_reads_the_last_next_token_member(body: bytes, token: str) -> None:
    assert next_token_hint(body) == token


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{}",
        b'{"JobStatus":"SUCCEEDED","Persons":[]}',
        b'{"NextToken":null}',
        b'{"NextToken":""}',
        b'{"NextToken":42}',
        b'{"NextToken":"never closed',
        b'{"NextToken" "no colon"}',
        b'"NextToken"',  # at the very start: no object around it
        b'{"NextToken":"\xff\xfe"}',  # not UTF-8
        b'{"NextToken":"bad \\x escape"}',
    ],
)
def test_anything_unexpected_gives_no_hint(body: bytes) -> None:
    assert next_token_hint(body) is None


def test_a_token_cut_by_the_window_gives_no_hint() -> None:
    assert next_token_hint(b'{"NextToken":"' + b"a" * 20_000 + b'"}') is None


_TEXT = st.text(max_size=40)


@given(token=st.text(min_size=1, max_size=300), notes=st.lists(_TEXT, max_size=5), decoy=_TEXT)
def test_the_hint_of_any_serialized_page_is_its_token(token: str, notes: list[str], decoy: str) -> None:
    # Free text anywhere before the member, including text that spells a NextToken member.
    persons = [{"Timestamp": i, "Note": note + f'"NextToken":"{decoy}"'} for i, note in enumerate(notes)]
    for ensure_ascii in (True, False):
        body = json.dumps({"JobStatus": "SUCCEEDED", "Persons": persons, "NextToken": token}, ensure_ascii=ensure_ascii)
        assert next_token_hint(body.encode()) == token


def _page_body(n: int) -> bytes:
    box = {"Width": 0.1, "Height": 0.2, "Left": 0.3, "Top": 0.4}
    persons: list[dict[str, Any]] = [{"Timestamp": i, "Person": {"Index": i % 7, "BoundingBox": box}} for i in range(n)]
    return json.dumps({"JobStatus": "SUCCEEDED", "Persons": persons, "NextToken": "t"}).encode()


LONG = _page_body(2000)


@pytest.mark.parametrize("body", [LONG, _page_body(3)], ids=["long", "short"])
def test_validation_leaves_the_collector_on(body: bytes) -> None:
    assert gc.isenabled()
    page = validate_page(PersonTrackingPage, body)
    assert gc.isenabled()
    assert isinstance(page, PersonTrackingPage)


def test_validation_leaves_a_disabled_collector_off() -> None:
    gc.disable()
    try:
        validate_page(PersonTrackingPage, LONG)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_validation_with_pause_gc_off_never_touches_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    touched: list[str] = []
    monkeypatch.setattr(gc, "disable", lambda: touched.append("disable"))
    monkeypatch.setattr(gc, "enable", lambda: touched.append("enable"))
    page = validate_page(PersonTrackingPage, LONG, False)
    assert isinstance(page, PersonTrackingPage)
    assert touched == []


@pytest.mark.parametrize("pause_gc", [True, False])
def test_the_trackers_pause_gc_switch_reaches_the_fast_path(pause_gc: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the real botocore stack (a send-level answer): each page's validation pauses the collector, or not."""
    from rekotrack import PersonTracker, RetryPolicy

    from .unit_support import JOB_ID, count_sends, detection, make_client, raw_response

    bodies = iter(
        json.dumps({"JobStatus": "SUCCEEDED", "Persons": [detection(2 * k + i) for i in range(2)], **more}).encode()
        for k, more in enumerate([{"NextToken": "t1"}, {"NextToken": "t2"}, {}])
    )
    client = make_client()
    count_sends(client, "GetPersonTracking", lambda request: raw_response(request, 200, next(bodies)))
    tracker = PersonTracker(client, retry=RetryPolicy(max_attempts=1), pause_gc=pause_gc)
    assert tracker.fast_path
    pauses: list[bool] = []
    real_disable = gc.disable

    def disable() -> None:
        pauses.append(True)
        real_disable()

    monkeypatch.setattr(gc, "disable", disable)
    assert [d.timestamp for d in tracker.persons(JOB_ID, page_size=2)] == list(range(6))
    assert gc.isenabled()
    assert len(pauses) == (3 if pause_gc else 0)
