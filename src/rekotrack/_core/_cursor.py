"""Pagination state without I/O: the cursor of one walk, resume tokens, and a pager's state.

:class:`PageCursor` holds the tokens, the repeat guard, the items to skip,
``max_items`` and what a resume token needs; :class:`PagerState` adds the rest
of a pager (its starting point, the page fetched early for ``video_metadata``,
the VideoMetadata seen). The pagers of both shells add only the fetching.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rekotrack._errors import JobFailedError, JobInProgressError, PaginationError, RequestValidationError
from rekotrack._models import VideoJobPage, VideoMetadata

from ._operation import VideoOperation
from ._requests import checked_next_token

__all__ = ["PageCursor", "PagerState", "ResumePoint", "page_request"]

PageT = TypeVar("PageT", bound=VideoJobPage)
ItemT = TypeVar("ItemT")

_RESUME_PREFIX = "rkt1:"


@dataclass(frozen=True)
class ResumePoint:
    """Where an interrupted iteration continues: the token of the page in hand and how many of its items were used."""

    job_id: str
    sort_by: str | None
    next_token: str | None
    skip: int

    def encode(self) -> str:
        raw = json.dumps([self.job_id, self.sort_by, self.next_token, self.skip], separators=(",", ":"))
        return _RESUME_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, job_id: str, sort_by: str | None) -> ResumePoint:
        """Read a resume token, or take a plain service NextToken as the start of a page."""
        if not isinstance(token, str):
            raise RequestValidationError("starting_token", "must be a string", token)
        if not token.startswith(_RESUME_PREFIX):
            return cls(job_id, sort_by, token, 0)
        body = token[len(_RESUME_PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            got_job, got_sort, next_token, skip = json.loads(raw)
        except (ValueError, TypeError, RecursionError) as exc:
            raise RequestValidationError("starting_token", "is not a rekotrack resume token", token) from exc
        if got_job != job_id or got_sort != sort_by:
            raise RequestValidationError(
                "starting_token", f"belongs to job {got_job} sorted by {got_sort}", token
            )
        if not isinstance(skip, int) or skip < 0 or not (next_token is None or isinstance(next_token, str)):
            raise RequestValidationError("starting_token", "is not a rekotrack resume token", token)
        return cls(job_id, sort_by, next_token, skip)


def page_request(
    base: Mapping[str, Any], next_token: str | None, operation: VideoOperation[Any, Any]
) -> dict[str, Any]:
    """The Get parameters of one page: a pager's ``base`` with ``next_token`` (checked).

    ``base`` is ``get_request(operation, job_id, next_token=None, ...)``, made (and its
    job id, page size and choices checked) once per pager; only the token changes from
    page to page, and it is checked here as ``get_request`` checks it.
    """
    params = dict(base)
    if next_token is not None:
        params["NextToken"] = checked_next_token(operation, next_token)
    return params


class PageCursor:
    """Sans-IO pagination state for one walk through a job's results.

    Call :meth:`request_token` for the NextToken of the next request (None for
    the first page), hand each page to :meth:`accept`, and take the items it
    returns; :attr:`done` says when to stop. ``operation_name`` (the Get's name,
    from the operation's spec) names the operation in its errors.
    """

    def __init__(
        self,
        job_id: str,
        sort_by: str | None,
        start: ResumePoint | None,
        max_items: int | None,
        operation_name: str,
    ) -> None:
        self.job_id = job_id
        self.sort_by = sort_by
        self.operation_name = operation_name
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
        got = items if isinstance(items, list) else list(items or ())
        start = min(self._skip, len(got))
        self._skip -= start
        self._used = start
        self._page_len = len(got)
        chosen: Sequence[ItemT] = got[start:] if start else got
        if self._remaining is not None and len(chosen) > self._remaining:
            chosen = chosen[: self._remaining]
        if self._remaining is not None:
            self._remaining -= len(chosen)
        following = page.next_token or None  # an empty NextToken ends pagination
        if following is not None and following in self._seen:
            raise PaginationError(
                f"{self.operation_name} for job {self.job_id} repeated NextToken {following[:40]!r}; stopping"
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


class PagerState(Generic[PageT, ItemT]):
    """Everything a pager knows and decides, without I/O.

    Holds the operation, the starting point, ``max_items``, the cursor of the latest
    iteration, the page fetched early for ``video_metadata`` (handed to the next
    iteration instead of being fetched again) and the VideoMetadata seen.
    """

    def __init__(
        self,
        *,
        job_id: str,
        sort_by: str | None,
        page_size: int,
        starting_token: str | None,
        max_items: int | None,
        operation: VideoOperation[PageT, ItemT],
        order: str | None = None,
    ) -> None:
        self.job_id = job_id
        self.sort_by = sort_by
        self.page_size = page_size
        self.operation = operation
        self._order = order if order is not None else sort_by
        self._start = ResumePoint.decode(starting_token, job_id, self._order) if starting_token else None
        if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0):
            raise RequestValidationError("max_items", "must be an int >= 0", max_items)
        self.max_items = max_items
        self._cursor: PageCursor | None = None
        self._first: PageT | None = None
        self._video_metadata: VideoMetadata | None = None

    def _new_cursor(self, *, track: bool = False) -> PageCursor:
        """A cursor for one walk; ``track`` makes it the one :attr:`resume_token` reports on."""
        name = self.operation.get_name
        cursor = PageCursor(self.job_id, self._order, self._start, self.max_items, operation_name=name)
        if track:
            self._cursor = cursor
        return cursor

    def _prefetched(self, cursor: PageCursor) -> PageT | None:
        """The page fetched early for ``video_metadata``, if it is the one ``cursor`` needs now."""
        if self._first is not None and cursor.pages_fetched == 0:
            page, self._first = self._first, None
            return page
        return None

    def _seen(self, page: PageT) -> PageT:
        metadata: Any = getattr(page, "video_metadata", None)  # a list on GetSegmentDetection pages
        if metadata is not None:
            self._video_metadata = metadata
        return page

    def _accept(self, cursor: PageCursor, page: PageT) -> Sequence[ItemT]:
        return cursor.accept(page, self.operation.items(page))

    def _trimmed(self, page: PageT, chosen: Sequence[ItemT]) -> PageT:
        """``page`` with only the items the cursor chose (before the start or past max_items left out)."""
        items = self.operation.items(page)
        if items is not None and len(chosen) != len(items):
            return self.operation.with_items(page, chosen)
        return page

    def _needs_first(self) -> bool:
        """Whether reading ``video_metadata`` must fetch the first page now."""
        return self._video_metadata is None and self._cursor is None and self._first is None

    def _keep_first(self, cursor: PageCursor, first: PageT) -> None:
        """Keep the early first page for the next iteration (raising the status error of an unfinished job)."""
        if first.job_status != "SUCCEEDED":
            cursor.accept(first, None)  # raises the status error; nothing is kept
        self._first = first
        self._seen(first)

    @property
    def exhausted(self) -> bool:
        """True once an iteration delivered everything (``resume_token`` is then None)."""
        return self._cursor is not None and self._cursor.resume_point() is None

    @property
    def resume_token(self) -> str | None:
        """Token for ``starting_token=`` that continues after the last item yielded.

        Before any iteration it is the starting token (None: from the beginning).
        After a complete iteration it is None and :attr:`exhausted` is True.
        """
        if self._cursor is None:
            return self._start.encode() if self._start else None
        point = self._cursor.resume_point()
        return point.encode() if point else None
