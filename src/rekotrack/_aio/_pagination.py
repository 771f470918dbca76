"""The asynchronous pager: :class:`rekotrack._pagination.PagerState` plus awaited fetches."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable

from rekotrack._models import PersonDetection, PersonTrackingPage, VideoMetadata
from rekotrack._pagination import PageCursor, PagerState

__all__ = ["AsyncPersonTrackingPager"]


class AsyncPersonTrackingPager(PagerState):
    """An async iterable of :class:`PersonDetection` over every page of one job (``async for``).

    The same state and decisions as :class:`rekotrack.PersonTrackingPager`: at most
    one page held, each iteration starts again from ``starting_token``, a repeated
    NextToken raises :class:`PaginationError`, and after an interruption (an
    exception, a ``break``, a cancellation) :attr:`resume_token` continues exactly
    after the last detection yielded.
    """

    def __init__(
        self,
        fetch: Callable[[str | None, int], Awaitable[PersonTrackingPage]],
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

    async def _next_page(self, cursor: PageCursor) -> PersonTrackingPage:
        page = self._prefetched(cursor)
        if page is None:
            page = await self._fetch(cursor.request_token(), self.page_size)
        return self._seen(page)

    async def pages(self) -> AsyncGenerator[PersonTrackingPage, None]:
        """Each page, with detections before the starting point or past ``max_items`` left out."""
        cursor = self._new_cursor()
        while not cursor.done:
            page = await self._next_page(cursor)
            yield self._trimmed(page, cursor.accept(page, page.persons))

    def __aiter__(self) -> AsyncIterator[PersonDetection]:
        return self._detections()

    async def _detections(self) -> AsyncGenerator[PersonDetection, None]:
        cursor = self._new_cursor(track=True)
        while not cursor.done:
            page = await self._next_page(cursor)
            for item in cursor.accept(page, page.persons):
                cursor.yielded()
                yield item

    @property
    def video_metadata(self) -> VideoMetadata | None:
        """The VideoMetadata of the pages fetched so far (None before any); no request is made."""
        return self._video_metadata

    async def get_video_metadata(self) -> VideoMetadata | None:
        """The job's VideoMetadata, fetching the first page if nothing was fetched yet (kept for the iteration)."""
        if self._needs_first():
            cursor = self._new_cursor()
            self._keep_first(cursor, await self._fetch(cursor.request_token(), self.page_size))
        return self._video_metadata
