"""The asynchronous pager: :class:`rekotrack._core._cursor.PagerState` plus awaited fetches, with one page prefetched.

Source of the generated synchronous pager (``rekotrack._sync._pager``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from rekotrack._core._cursor import PageCursor, PagerState
from rekotrack._core._operation import VideoOperation
from rekotrack._models import VideoJobPage, VideoMetadata

from . import _io as io

__all__ = ["AsyncPager"]

PageT = TypeVar("PageT", bound=VideoJobPage)
ItemT = TypeVar("ItemT")


class AsyncPager(io.Ready, PagerState[PageT, ItemT], Generic[PageT, ItemT]):
    """A lazy iterable of a finished job's items, across pages.

    Each iteration starts again from ``starting_token``. A repeated NextToken raises
    :class:`PaginationError`. After an interruption (an exception, a ``break``, a
    cancellation) :attr:`resume_token` continues exactly after the last item yielded.
    With ``prefetch`` the next page is fetched while the caller works on the current
    one: at most two pages are held, and leaving the loop cancels (or waits out) that
    request before the iteration ends. ``before`` runs before the first request (a
    job's pager waits for the job there). ``operation`` defaults to the class's own.
    """

    _default_operation: ClassVar[VideoOperation[Any, Any]]

    def __init__(
        self,
        fetch: Callable[[str | None, int], Awaitable[PageT]],
        *,
        job_id: str,
        sort_by: str | None,
        page_size: int,
        starting_token: str | None,
        max_items: int | None,
        operation: VideoOperation[PageT, ItemT] | None = None,
        order: str | None = None,
        before: io.Before | None = None,
        prefetch: bool = True,
    ) -> None:
        super().__init__(
            job_id=job_id,
            sort_by=sort_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            operation=operation or self._default_operation,
            order=order,
        )
        self._fetch = fetch
        self._before = before
        self.prefetch = prefetch

    async def _ready(self) -> None:
        """Run ``before`` once (the job's wait)."""
        before, self._before = self._before, None
        if before is not None:
            await before()

    async def _walk(self, cursor: PageCursor) -> AsyncGenerator[tuple[PageT, Sequence[ItemT]], None]:
        """Each page of one walk with the items the cursor chose from it; the next page prefetched meanwhile."""
        await self._ready()
        pending: io.Prefetch[PageT] | None = None
        try:
            while not cursor.done:
                page: PageT | None = None
                if pending is not None:
                    page = await pending.result()
                    pending = None
                else:
                    page = self._prefetched(cursor)
                if page is None:
                    page = await self._fetch(cursor.request_token(), self.page_size)
                chosen = self._accept(cursor, self._seen(page))
                if self.prefetch and not cursor.done:
                    pending = io.Prefetch(self._fetcher(cursor.request_token()))
                yield page, chosen
        finally:
            if pending is not None:
                await pending.cancel()

    def _fetcher(self, token: str | None) -> Callable[[], Awaitable[PageT]]:
        async def fetch() -> PageT:
            return await self._fetch(token, self.page_size)

        return fetch

    async def pages(self) -> AsyncIterator[PageT]:
        """Each page, with items before the starting point or past ``max_items`` left out."""
        cursor = self._new_cursor()
        walk = self._walk(cursor)
        try:
            async for page, chosen in walk:
                yield self._trimmed(page, chosen)
        finally:
            await walk.aclose()

    def __aiter__(self) -> AsyncIterator[ItemT]:
        return self._items()

    async def _items(self) -> AsyncIterator[ItemT]:
        cursor = self._new_cursor(track=True)
        walk = self._walk(cursor)
        try:
            async for _page, chosen in walk:
                for item in chosen:
                    cursor.yielded()
                    yield item
        finally:
            await walk.aclose()

    @property
    def seen_video_metadata(self) -> VideoMetadata | None:
        """The VideoMetadata of the pages fetched so far (None before any); no request is made."""
        return self._video_metadata

    @property
    def video_metadata(self) -> VideoMetadata | None:
        """The job's VideoMetadata.

        Synchronous pager: fetches the first page if nothing was fetched yet (kept for
        the next iteration). Asynchronous pager: a property cannot await, so it is what
        was seen so far; ``await pager.get_video_metadata()`` fetches.
        """
        return io.metadata_now(self)

    async def get_video_metadata(self) -> VideoMetadata | None:
        """The job's VideoMetadata, fetching the first page if nothing was fetched yet (kept for the iteration)."""
        await self._ready()
        if self._needs_first():
            cursor = self._new_cursor()
            self._keep_first(cursor, await self._fetch(cursor.request_token(), self.page_size))
        return self._video_metadata
