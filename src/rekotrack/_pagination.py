"""Lazy pagination over a Rekognition Video Get* operation.

The state (tokens, repeat guard, items to skip, max_items, resume token) lives
in :class:`PageCursor`, which does no I/O, so a synchronous and an asynchronous
pager share every decision; :class:`PagerState` adds the rest of a pager's
state (starting point, early first page, VideoMetadata, resume token), also
without I/O. :class:`PersonTrackingPager` is the synchronous iterable users get
from ``tracker.persons(...)``; ``rekotrack._aio`` has the asynchronous one.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ._errors import JobFailedError, JobInProgressError, PaginationError, RequestValidationError
from ._models import PersonDetection, PersonTrackingPage, VideoJobPage, VideoMetadata

__all__ = ["PERSON_TRACKING", "PageCursor", "PagerState", "PersonTrackingPager", "ResumePoint", "VideoOperation"]

PageT = TypeVar("PageT", bound=VideoJobPage)
ItemT = TypeVar("ItemT")

_RESUME_PREFIX = "rkt1:"


@dataclass(frozen=True)
class VideoOperation(Generic[PageT, ItemT]):
    """What the pager, wait and retries need to know about one Start/Get video analysis."""

    start_name: str
    get_name: str
    start_method: str
    get_method: str
    list_key: str
    page_model: type[PageT]
    items: Callable[[PageT], Sequence[ItemT] | None]


PERSON_TRACKING: VideoOperation[PersonTrackingPage, PersonDetection] = VideoOperation(
    start_name="StartPersonTracking",
    get_name="GetPersonTracking",
    start_method="start_person_tracking",
    get_method="get_person_tracking",
    list_key="Persons",
    page_model=PersonTrackingPage,
    items=lambda page: page.persons,
)


@dataclass(frozen=True)
class ResumePoint:
    """Where an interrupted iteration continues: the token of the page in hand and how many of its items were used."""

    job_id: str
    sort_by: str
    next_token: str | None
    skip: int

    def encode(self) -> str:
        raw = json.dumps([self.job_id, self.sort_by, self.next_token, self.skip], separators=(",", ":"))
        return _RESUME_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, job_id: str, sort_by: str) -> ResumePoint:
        """Read a resume token, or take a plain service NextToken as the start of a page."""
        if not token.startswith(_RESUME_PREFIX):
            return cls(job_id, sort_by, token, 0)
        body = token[len(_RESUME_PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            got_job, got_sort, next_token, skip = json.loads(raw)
        except (ValueError, TypeError) as exc:
            raise RequestValidationError("starting_token", "is not a rekotrack resume token", token) from exc
        if got_job != job_id or got_sort != sort_by:
            raise RequestValidationError(
                "starting_token", f"belongs to job {got_job} sorted by {got_sort}", token
            )
        if not isinstance(skip, int) or skip < 0 or not (next_token is None or isinstance(next_token, str)):
            raise RequestValidationError("starting_token", "is not a rekotrack resume token", token)
        return cls(job_id, sort_by, next_token, skip)


class PageCursor:
    """Sans-IO pagination state for one walk through a job's results.

    Call :meth:`request_token` for the NextToken of the next request (None for
    the first page), hand each page to :meth:`accept`, and take the items it
    returns; :attr:`done` says when to stop.
    """

    def __init__(self, job_id: str, sort_by: str, start: ResumePoint | None, max_items: int | None) -> None:
        self.job_id = job_id
        self.sort_by = sort_by
        self._token = start.next_token if start else None
        self._skip = start.skip if start else 0
        self._seen: set[str] = set()
        if self._token is not None:
            self._seen.add(self._token)
        self._remaining = max_items
        self._page_token = self._token  # the token that fetched the page in hand
        self._page_len = 0  # items on the page in hand
        self._used = 0  # items of the page in hand already used (skipped or yielded)
        self.done = max_items == 0
        self.pages_fetched = 0

    def request_token(self) -> str | None:
        return self._token

    def accept(self, page: VideoJobPage, items: Sequence[ItemT] | None) -> Sequence[ItemT]:
        """Check a page, advance the state, and return the items to yield from it."""
        status = page.job_status
        if status == "IN_PROGRESS":
            raise JobInProgressError(self.job_id)
        if status != "SUCCEEDED":
            raise JobFailedError(self.job_id, str(status), page.status_message)
        self.pages_fetched += 1
        self._page_token = self._token
        got = list(items or ())
        start = min(self._skip, len(got))
        self._skip -= start
        self._used = start
        self._page_len = len(got)
        chosen: Sequence[ItemT] = got[start:]
        if self._remaining is not None and len(chosen) > self._remaining:
            chosen = chosen[: self._remaining]
        if self._remaining is not None:
            self._remaining -= len(chosen)
        following = page.next_token or None  # an empty NextToken ends pagination
        if following is not None and following in self._seen:
            raise PaginationError(
                f"GetPersonTracking for job {self.job_id} repeated NextToken {following[:40]!r}; stopping"
            )
        self._token = following
        if following is not None:
            self._seen.add(following)
        if following is None or self._remaining == 0:
            self.done = True
        return chosen

    def yielded(self, count: int = 1) -> None:
        """Record that ``count`` more items of the page in hand reached the caller."""
        self._used += count

    def resume_point(self) -> ResumePoint | None:
        """Where to continue from; None when everything was delivered."""
        if self._used < self._page_len:
            return ResumePoint(self.job_id, self.sort_by, self._page_token, self._used)
        if self._token is None and self.pages_fetched:
            return None
        return ResumePoint(self.job_id, self.sort_by, self._token, self._skip)


class PagerState:
    """Everything a person-tracking pager knows and decides, without I/O.

    Holds the starting point, ``max_items``, the cursor of the latest iteration,
    the page fetched early for :attr:`video_metadata` (handed to the next
    iteration instead of being fetched again) and the VideoMetadata seen. The
    synchronous :class:`PersonTrackingPager` and the asynchronous pager add only
    the fetching.
    """

    def __init__(
        self,
        *,
        job_id: str,
        sort_by: str,
        page_size: int,
        starting_token: str | None,
        max_items: int | None,
    ) -> None:
        self.job_id = job_id
        self.sort_by = sort_by
        self.page_size = page_size
        self._start = ResumePoint.decode(starting_token, job_id, sort_by) if starting_token else None
        if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0):
            raise RequestValidationError("max_items", "must be an int >= 0", max_items)
        self.max_items = max_items
        self._cursor: PageCursor | None = None
        self._first: PersonTrackingPage | None = None
        self._video_metadata: VideoMetadata | None = None

    def _new_cursor(self, *, track: bool = False) -> PageCursor:
        """A cursor for one walk; ``track`` makes it the one :attr:`resume_token` reports on."""
        cursor = PageCursor(self.job_id, self.sort_by, self._start, self.max_items)
        if track:
            self._cursor = cursor
        return cursor

    def _prefetched(self, cursor: PageCursor) -> PersonTrackingPage | None:
        """The page fetched early for ``video_metadata``, if it is the one ``cursor`` needs now."""
        if self._first is not None and cursor.pages_fetched == 0:
            page, self._first = self._first, None
            return page
        return None

    def _seen(self, page: PersonTrackingPage) -> PersonTrackingPage:
        if page.video_metadata is not None:
            self._video_metadata = page.video_metadata
        return page

    @staticmethod
    def _trimmed(page: PersonTrackingPage, chosen: Sequence[PersonDetection]) -> PersonTrackingPage:
        """``page`` with only the detections the cursor chose (before the start or past max_items left out)."""
        if page.persons is not None and len(chosen) != len(page.persons):
            return page.model_copy(update={"persons": tuple(chosen)})
        return page

    def _needs_first(self) -> bool:
        """Whether reading ``video_metadata`` must fetch the first page now."""
        return self._video_metadata is None and self._cursor is None and self._first is None

    def _keep_first(self, cursor: PageCursor, first: PersonTrackingPage) -> None:
        """Keep the early first page for the next iteration (raising the status error of an unfinished job)."""
        if first.job_status != "SUCCEEDED":
            cursor.accept(first, None)  # raises the status error; nothing is kept
        self._first = first
        self._video_metadata = first.video_metadata

    @property
    def exhausted(self) -> bool:
        """True once an iteration delivered everything (``resume_token`` is then None)."""
        return self._cursor is not None and self._cursor.resume_point() is None

    @property
    def resume_token(self) -> str | None:
        """Token for ``starting_token=`` that continues after the last detection yielded.

        Before any iteration it is the starting token (None: from the beginning).
        After a complete iteration it is None and :attr:`exhausted` is True.
        """
        if self._cursor is None:
            return self._start.encode() if self._start else None
        point = self._cursor.resume_point()
        return point.encode() if point else None


class PersonTrackingPager(PagerState):
    """A lazy iterable of :class:`PersonDetection` over every page of one job.

    Holds at most one page. Each ``iter()`` starts again from ``starting_token``.
    After an interruption (an exception, a ``break``), :attr:`resume_token`
    continues exactly after the last detection yielded.
    """

    def __init__(
        self,
        fetch: Callable[[str | None, int], PersonTrackingPage],
        *,
        job_id: str,
        sort_by: str,
        page_size: int,
        starting_token: str | None,
        max_items: int | None,
    ) -> None:
        super().__init__(
            job_id=job_id, sort_by=sort_by, page_size=page_size, starting_token=starting_token, max_items=max_items
        )
        self._fetch = fetch

    def _next_page(self, cursor: PageCursor) -> PersonTrackingPage:
        page = self._prefetched(cursor)
        if page is None:
            page = self._fetch(cursor.request_token(), self.page_size)
        return self._seen(page)

    def pages(self) -> Iterator[PersonTrackingPage]:
        """Each page, with detections before the starting point or past ``max_items`` left out."""
        cursor = self._new_cursor()
        while not cursor.done:
            page = self._next_page(cursor)
            yield self._trimmed(page, cursor.accept(page, page.persons))

    def __iter__(self) -> Iterator[PersonDetection]:
        cursor = self._new_cursor(track=True)
        while not cursor.done:
            page = self._next_page(cursor)
            for item in cursor.accept(page, page.persons):
                cursor.yielded()
                yield item

    @property
    def video_metadata(self) -> VideoMetadata | None:
        """The job's VideoMetadata (fetches the first page if nothing was fetched yet)."""
        if self._needs_first():
            cursor = self._new_cursor()
            self._keep_first(cursor, self._fetch(cursor.request_token(), self.page_size))
        return self._video_metadata
