"""The pager: exact call sequences, resume without loss or duplicates, status errors, a property test."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st

from rekotrack import (
    AccessDeniedError,
    JobFailedError,
    JobInProgressError,
    PaginationError,
    PersonDetection,
    PersonTracker,
    PersonTrackingPage,
    PersonTrackingPager,
    RequestValidationError,
    VideoMetadata,
)

from .unit_support import JOB_ID, VIDEO_METADATA, FakeClock, detection, drain, get_params, make_tracker, page

Sent = list[tuple[str, dict[str, Any]]]


def ts(items: Any) -> list[int | None]:
    return [d.timestamp for d in items]


def expect(stub: Stubber, response: dict[str, Any], next_token: str | None = None, size: int = 2, **kw: Any) -> None:
    stub.add_response("get_person_tracking", response, get_params(next_token, size, **kw))


def dets(*timestamps: int) -> list[dict[str, Any]]:
    return [detection(t, index=t % 3) for t in timestamps]


# ---- several pages, laziness ------------------------------------------------------------


def test_several_pages_with_an_empty_middle_page(tracker: PersonTracker, stub: Stubber, sent: Sent) -> None:
    expect(stub, page(dets(0, 1), "t1"))
    expect(stub, page([], "t2"), "t1")
    expect(stub, page(None, "t3"), "t2")  # no Persons key at all, but a NextToken
    expect(stub, page(dets(2), "t4"), "t3")
    expect(stub, page(dets(3, 4)), "t4")

    pager = tracker.persons(JOB_ID, page_size=2)
    assert isinstance(pager, PersonTrackingPager)
    assert sent == []  # lazy: nothing is fetched before iteration

    it = iter(pager)
    first = next(it)
    assert isinstance(first, PersonDetection)
    assert first.timestamp == 0
    assert first.person.index == 0
    assert len(sent) == 1
    assert ts(it) == [1, 2, 3, 4]

    assert [params.get("NextToken") for _, params in sent] == [None, "t1", "t2", "t3", "t4"]
    stub.assert_no_pending_responses()
    assert pager.resume_token is None


def test_sort_by_and_page_size_are_sent(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(0), "t1"), size=7, sort_by="INDEX")
    expect(stub, page(dets(1)), "t1", size=7, sort_by="INDEX")
    assert ts(tracker.persons(JOB_ID, sort_by="INDEX", page_size=7)) == [0, 1]
    stub.assert_no_pending_responses()


def test_succeeded_page_with_empty_next_token_ends(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(0, 1), ""))
    pager = tracker.persons(JOB_ID, page_size=2)
    assert ts(pager) == [0, 1]
    stub.assert_no_pending_responses()
    assert pager.resume_token is None


def test_a_job_without_detections(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(None))
    pager = tracker.persons(JOB_ID, page_size=2)
    assert list(pager) == []
    assert pager.video_metadata == VideoMetadata.model_validate(VIDEO_METADATA)
    stub.assert_no_pending_responses()


# ---- resume --------------------------------------------------------------------------------


def test_resume_after_break_mid_page(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(0, 1, 2), "t1"), size=3)
    pager = tracker.persons(JOB_ID, page_size=3)
    first = []
    for det in pager:
        first.append(det)
        if len(first) == 2:
            break
    token = pager.resume_token
    assert isinstance(token, str)
    stub.assert_no_pending_responses()

    # The page in hand is fetched again and its first two detections skipped.
    expect(stub, page(dets(0, 1, 2), "t1"), size=3)
    expect(stub, page(dets(3, 4)), "t1", size=3)
    rest = list(tracker.persons(JOB_ID, page_size=3, starting_token=token))
    assert ts(first) + ts(rest) == [0, 1, 2, 3, 4]
    stub.assert_no_pending_responses()


def test_resume_after_break_at_page_boundary(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(0, 1, 2), "t1"), size=3)
    pager = tracker.persons(JOB_ID, page_size=3)
    first = list(itertools.islice(pager, 3))
    token = pager.resume_token
    stub.assert_no_pending_responses()  # the next page was not fetched yet

    expect(stub, page(dets(3, 4)), "t1", size=3)  # no refetch of the finished page
    rest = list(tracker.persons(JOB_ID, page_size=3, starting_token=token))
    assert ts(first) + ts(rest) == [0, 1, 2, 3, 4]
    stub.assert_no_pending_responses()


def test_resume_after_an_error_mid_iteration(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(0, 1), "t1"))
    expect(stub, page(dets(2, 3), "t2"), "t1")
    stub.add_client_error(
        "get_person_tracking", "AccessDeniedException", "denied", 400, expected_params=get_params("t2", 2)
    )
    pager = tracker.persons(JOB_ID, page_size=2)
    first: list[PersonDetection] = []
    with pytest.raises(AccessDeniedError):
        drain(pager, first)
    token = pager.resume_token
    stub.assert_no_pending_responses()  # not retried

    expect(stub, page(dets(4, 5)), "t2")
    rest = list(tracker.persons(JOB_ID, page_size=2, starting_token=token))
    assert ts(first) + ts(rest) == [0, 1, 2, 3, 4, 5]
    stub.assert_no_pending_responses()


def test_resume_after_an_error_on_the_first_page_keeps_the_starting_point(
    tracker: PersonTracker, stub: Stubber
) -> None:
    expect(stub, page(dets(0, 1, 2)), size=3)
    pager = tracker.persons(JOB_ID, page_size=3)
    first = list(itertools.islice(pager, 1))
    token = pager.resume_token

    stub.add_client_error("get_person_tracking", "ResourceNotFoundException", "gone", 400)
    resumed = tracker.persons(JOB_ID, page_size=3, starting_token=token)
    with pytest.raises(Exception, match="gone"):
        list(resumed)
    again = resumed.resume_token

    expect(stub, page(dets(0, 1, 2)), size=3)
    rest = list(tracker.persons(JOB_ID, page_size=3, starting_token=again))
    assert ts(first) + ts(rest) == [0, 1, 2]
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("max_items", "first_run", "resume_requests"),
    [
        (3, [None, "t1"], ["t1", "t2"]),  # stops mid-page: that page is fetched again on resume
        (2, [None], ["t1", "t2"]),  # stops at a page boundary: the next page is not fetched
        (5, [None, "t1", "t2"], []),  # everything
    ],
)
def test_max_items_then_resume(
    tracker: PersonTracker,
    stub: Stubber,
    sent: Sent,
    max_items: int,
    first_run: list[str | None],
    resume_requests: list[str],
) -> None:
    pages = {None: page(dets(0, 1), "t1"), "t1": page(dets(2, 3), "t2"), "t2": page(dets(4))}
    for token in first_run:
        expect(stub, pages[token], token)
    pager = tracker.persons(JOB_ID, page_size=2, max_items=max_items)
    first = list(pager)
    assert ts(first) == list(range(max_items))
    stub.assert_no_pending_responses()
    assert [p.get("NextToken") for _, p in sent] == first_run

    token = pager.resume_token
    if not resume_requests:
        assert token is None
        return
    for next_token in resume_requests:
        expect(stub, pages[next_token], next_token)
    rest = list(tracker.persons(JOB_ID, page_size=2, starting_token=token))
    assert ts(first) + ts(rest) == [0, 1, 2, 3, 4]
    stub.assert_no_pending_responses()


def test_max_items_zero_fetches_nothing(tracker: PersonTracker, sent: Sent) -> None:
    assert list(tracker.persons(JOB_ID, max_items=0)) == []
    assert sent == []


def test_plain_service_next_token_as_starting_token(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(7, 8)), "service-token")
    assert ts(tracker.persons(JOB_ID, page_size=2, starting_token="service-token")) == [7, 8]
    stub.assert_no_pending_responses()


def test_resume_token_before_iteration_is_the_starting_token(tracker: PersonTracker) -> None:
    assert tracker.persons(JOB_ID).resume_token is None
    pager = tracker.persons(JOB_ID, starting_token="service-token")
    again = tracker.persons(JOB_ID, starting_token=pager.resume_token)
    assert again.resume_token == pager.resume_token


@pytest.mark.parametrize(("job_id", "sort_by"), [("other-job", "TIMESTAMP"), (JOB_ID, "INDEX")])
def test_resume_token_belongs_to_its_job_and_sort(
    tracker: PersonTracker, stub: Stubber, sent: Sent, job_id: str, sort_by: str
) -> None:
    expect(stub, page(dets(0, 1, 2), "t1"), size=3)
    pager = tracker.persons(JOB_ID, page_size=3)
    list(itertools.islice(pager, 1))
    token = pager.resume_token
    sent.clear()
    with pytest.raises(RequestValidationError) as info:
        tracker.persons(job_id, sort_by=sort_by, page_size=3, starting_token=token)
    assert info.value.parameter == "starting_token"
    assert sent == []


# ---- repeated tokens, job status -----------------------------------------------------------


def test_repeated_next_token_raises(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(0), "t1"))
    expect(stub, page(dets(1), "t2"), "t1")
    expect(stub, page(dets(2), "t1"), "t2")
    got: list[PersonDetection] = []
    with pytest.raises(PaginationError, match="t1"):
        drain(tracker.persons(JOB_ID, page_size=2), got)
    assert ts(got) == [0, 1]  # the looping page's detections are not yielded
    stub.assert_no_pending_responses()


def test_next_token_equal_to_the_starting_token_raises(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(0), "same"), "same")
    with pytest.raises(PaginationError):
        list(tracker.persons(JOB_ID, page_size=2, starting_token="same"))
    stub.assert_no_pending_responses()


def test_in_progress_raises_job_in_progress(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(None, status="IN_PROGRESS"))
    with pytest.raises(JobInProgressError) as info:
        list(tracker.persons(JOB_ID, page_size=2))
    assert info.value.job_id == JOB_ID
    stub.assert_no_pending_responses()


@pytest.mark.parametrize("message", ["Video is corrupt", None])
def test_failed_raises_job_failed_with_message(tracker: PersonTracker, stub: Stubber, message: str | None) -> None:
    extra = {"StatusMessage": message} if message else {}
    expect(stub, page(None, status="FAILED", **extra))
    with pytest.raises(JobFailedError) as info:
        list(tracker.persons(JOB_ID, page_size=2))
    assert info.value.job_id == JOB_ID
    assert info.value.status == "FAILED"
    assert info.value.status_message == message
    stub.assert_no_pending_responses()


def test_failed_on_a_later_page_after_detections(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(0), "t1"))
    expect(stub, page(None, status="FAILED", StatusMessage="expired"), "t1")
    got: list[PersonDetection] = []
    with pytest.raises(JobFailedError, match="expired"):
        drain(tracker.persons(JOB_ID, page_size=2), got)
    assert ts(got) == [0]


# ---- video_metadata, re-iteration, pages() ------------------------------------------------


def test_video_metadata_before_iteration_fetches_the_first_page_once(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(0, 1), "t1"))
    expect(stub, page(dets(2)), "t1")
    pager = tracker.persons(JOB_ID, page_size=2)
    meta = pager.video_metadata
    assert meta == VideoMetadata.model_validate(VIDEO_METADATA)
    assert meta is not None
    assert meta.frame_width == 1280
    assert meta.duration_millis == 60_000
    assert ts(pager) == [0, 1, 2]  # the first page is not fetched a second time
    stub.assert_no_pending_responses()
    assert pager.video_metadata == meta


def test_video_metadata_after_iteration_needs_no_request(tracker: PersonTracker, stub: Stubber, sent: Sent) -> None:
    expect(stub, page(dets(0)))
    pager = tracker.persons(JOB_ID, page_size=2)
    list(pager)
    assert pager.video_metadata == VideoMetadata.model_validate(VIDEO_METADATA)
    assert len(sent) == 1


def test_video_metadata_of_an_unfinished_job_raises(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(None, status="IN_PROGRESS"))
    with pytest.raises(JobInProgressError):
        _ = tracker.persons(JOB_ID, page_size=2).video_metadata


def test_pager_works_once_the_job_finishes_after_video_metadata_raised(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(None, status="IN_PROGRESS"))
    pager = tracker.persons(JOB_ID, page_size=2)
    with pytest.raises(JobInProgressError):
        _ = pager.video_metadata
    expect(stub, page(dets(0, 1)))
    assert ts(pager) == [0, 1]


def test_re_iterating_restarts(tracker: PersonTracker, stub: Stubber) -> None:
    for _ in range(2):
        expect(stub, page(dets(0, 1), "t1"))
        expect(stub, page(dets(2)), "t1")
    pager = tracker.persons(JOB_ID, page_size=2)
    assert ts(pager) == [0, 1, 2]
    assert ts(pager) == [0, 1, 2]
    stub.assert_no_pending_responses()


def test_re_iterating_a_resumed_pager_restarts_from_its_starting_token(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(0, 1, 2)), size=3)
    first = tracker.persons(JOB_ID, page_size=3)
    list(itertools.islice(first, 2))
    resumed = tracker.persons(JOB_ID, page_size=3, starting_token=first.resume_token)
    for _ in range(2):
        expect(stub, page(dets(0, 1, 2)), size=3)
    assert ts(resumed) == [2]
    assert ts(resumed) == [2]
    stub.assert_no_pending_responses()


def test_tracker_pages(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(0, 1), "t1"))
    expect(stub, page([], "t2"), "t1")
    expect(stub, page(dets(2)), "t2")
    pages = list(tracker.pages(JOB_ID, page_size=2))
    assert all(isinstance(p, PersonTrackingPage) for p in pages)
    assert [ts(p.persons or ()) for p in pages] == [[0, 1], [], [2]]
    assert [p.next_token for p in pages] == ["t1", "t2", None]
    stub.assert_no_pending_responses()


def test_pager_pages_honour_the_starting_point_and_max_items(tracker: PersonTracker, stub: Stubber) -> None:
    expect(stub, page(dets(0, 1, 2)), size=3)
    first = tracker.persons(JOB_ID, page_size=3)
    list(itertools.islice(first, 1))
    expect(stub, page(dets(0, 1, 2), "t1"), size=3)
    pager = tracker.persons(JOB_ID, page_size=3, starting_token=first.resume_token, max_items=1)
    pages = list(pager.pages())
    assert [ts(p.persons or ()) for p in pages] == [[1]]
    stub.assert_no_pending_responses()


# ---- property: any layout, any interruptions -----------------------------------------------


class FakeService:
    """A GetPersonTracking that serves fixed pages, with NextTokens ``tok-<n>``, and fails on chosen calls."""

    def __init__(self, layout: list[int], page_size: int, fail_on: set[int]) -> None:
        self.pages: list[list[dict[str, Any]]] = []
        counter = itertools.count()
        for size in layout:
            self.pages.append([detection(next(counter)) for _ in range(size)])
        self.total = sum(layout)
        self.page_size = page_size
        self.fail_on = fail_on
        self.calls = 0

    def get_person_tracking(self, **params: Any) -> dict[str, Any]:
        self.calls += 1
        assert params["JobId"] == JOB_ID
        assert params["MaxResults"] == self.page_size
        assert params["SortBy"] == "TIMESTAMP"
        if self.calls in self.fail_on:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "flaky"}, "ResponseMetadata": {}},
                "GetPersonTracking",
            )
        token = params.get("NextToken")
        index = 0 if token is None else int(token.removeprefix("tok-"))
        following = f"tok-{index + 1}" if index + 1 < len(self.pages) else None
        return page(self.pages[index], following)


interruption = st.one_of(
    st.tuples(st.just("break"), st.integers(min_value=0, max_value=12)),
    st.tuples(st.just("max_items"), st.integers(min_value=0, max_value=12)),
    st.tuples(st.just("fail"), st.integers(min_value=1, max_value=4)),
)


@settings(max_examples=200, deadline=None)
@given(
    layout=st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=6),
    page_size=st.integers(min_value=4, max_value=1000),  # a page never holds more than MaxResults asked for
    interruptions=st.lists(interruption, max_size=5),
)
def test_interrupted_runs_concatenate_to_all_items(
    layout: list[int], page_size: int, interruptions: list[tuple[str, int]]
) -> None:
    service = FakeService(layout, page_size, set())
    tracker = make_tracker(service, FakeClock())
    expected = list(range(service.total))

    collected: list[int | None] = []
    token: str | None = None
    for kind, n in interruptions:
        if kind == "max_items":
            pager = tracker.persons(JOB_ID, page_size=page_size, starting_token=token, max_items=n)
            got = ts(pager)
            assert len(got) == min(n, service.total - len(collected))
            collected += got
        else:
            pager = tracker.persons(JOB_ID, page_size=page_size, starting_token=token)
            if kind == "break":
                collected += ts(itertools.islice(pager, n))
            else:
                service.fail_on = {service.calls + n}
                try:
                    for det in pager:
                        collected.append(det.timestamp)
                except AccessDeniedError:
                    pass
                service.fail_on = set()
        token = pager.resume_token
        assert collected == expected[: len(collected)], "no loss, no duplicates, in order"
        if token is None and collected:  # None after delivering something: everything was delivered
            assert collected == expected
            return
    collected += ts(tracker.persons(JOB_ID, page_size=page_size, starting_token=token))
    assert collected == expected
