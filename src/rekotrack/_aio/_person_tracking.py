"""Person tracking: the spec (``PERSON_TRACKING``) plus its named methods, over the asynchronous engine.

Source of the generated synchronous facade (``rekotrack._sync._person_tracking``).
Every other Rekognition Video job is the same few lines over its own spec.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from rekotrack._core._constants import DEFAULT_STATUS_CHECK_INTERVAL, DEFAULT_WAIT_TIMEOUT
from rekotrack._core._operation import PERSON_TRACKING, PersonTrackingSortBy, VideoOperation
from rekotrack._errors import RekotrackError
from rekotrack._models import NotificationChannel, PersonDetection, PersonTrackingPage, Video
from rekotrack._results import TrackingResult

from . import _io as io
from ._batch import track_many
from ._engine import AsyncAnalysisJob, AsyncCompletionSource, AsyncVideoAnalyzer
from ._pager import AsyncPager

if TYPE_CHECKING:
    from ._queue import AsyncCompletionQueue

__all__ = ["AsyncPersonTracker", "AsyncPersonTrackingPager", "AsyncTrackingJob"]

VideoT = TypeVar("VideoT", bound="str | Video")


class AsyncPersonTrackingPager(AsyncPager[PersonTrackingPage, PersonDetection]):
    """A lazy iterable of :class:`PersonDetection` over every page of one job (``tracker.persons(...)``)."""

    _default_operation = PERSON_TRACKING


class AsyncPersonTracker(AsyncVideoAnalyzer[PersonTrackingPage, PersonDetection]):
    """Start person tracking jobs, wait for them and read their detections.

    See :class:`AsyncVideoAnalyzer` for ``client``, ``retry``, ``fast_path``,
    ``prefetch`` and ``request_timeout``.
    """

    _operation: ClassVar[VideoOperation[Any, Any]] = PERSON_TRACKING
    _pager_class = AsyncPersonTrackingPager

    async def start(
        self,
        video: str | Video,
        *,
        notification: NotificationChannel | None = None,
        job_tag: str | None = None,
        client_request_token: str | None = None,
    ) -> AsyncTrackingJob:
        """Start tracking people in ``video`` (``s3://bucket/key[?versionId=v]`` or a Video).

        Every input is checked before any request. One ClientRequestToken is used for
        all attempts, so a retried Start never creates a second job.
        """
        job_id, token, checked = await self._start_job(
            video, notification=notification, job_tag=job_tag, client_request_token=client_request_token
        )
        return AsyncTrackingJob(self, job_id, video=checked, job_tag=job_tag, client_request_token=token)

    async def get_page(
        self,
        job_id: str,
        next_token: str | None = None,
        max_results: int = 1000,
        sort_by: PersonTrackingSortBy = "TIMESTAMP",
    ) -> PersonTrackingPage:
        """One GetPersonTracking page, retried under the policy and checked for integrity."""
        return await self._get_page(job_id, next_token, max_results, sort_by)

    def persons(
        self,
        job_id: str,
        *,
        sort_by: PersonTrackingSortBy = "TIMESTAMP",
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
    ) -> AsyncPersonTrackingPager:
        """A lazy iterable of every detection of a finished job, at most two pages in memory at a time."""
        pager: AsyncPersonTrackingPager = self._pager(
            job_id, sort_by=sort_by, page_size=page_size, starting_token=starting_token, max_items=max_items
        )
        return pager

    def pages(
        self, job_id: str, *, sort_by: PersonTrackingSortBy = "TIMESTAMP", page_size: int = 1000
    ) -> AsyncIterator[PersonTrackingPage]:
        """Every page of a finished job, lazily."""
        return self.persons(job_id, sort_by=sort_by, page_size=page_size).pages()

    async def collect(
        self, job_id: str, *, sort_by: PersonTrackingSortBy = "TIMESTAMP", page_size: int = 1000
    ) -> TrackingResult:
        """Every detection of a finished job in a compact :class:`TrackingResult`."""
        return await self._collect(self.persons(job_id, sort_by=sort_by, page_size=page_size), job_id)

    def track_many(
        self,
        videos: Iterable[VideoT],
        *,
        queue: AsyncCompletionQueue,
        max_concurrent: int = 20,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        job_tag: str | None = None,
        status_check_interval: float = DEFAULT_STATUS_CHECK_INTERVAL,
    ) -> AsyncIterator[tuple[VideoT, AsyncTrackingJob | RekotrackError]]:
        """Start a batch under the concurrent-job limit; yield ``(video, outcome)`` as each ends.

        See :func:`rekotrack._aio._batch.track_many`.
        """
        return track_many(
            self,
            videos,
            queue=queue,
            max_concurrent=max_concurrent,
            timeout=timeout,
            job_tag=job_tag,
            status_check_interval=status_check_interval,
        )


class AsyncTrackingJob(AsyncAnalysisJob[PersonTrackingPage]):
    """A started person tracking job: its id, and shortcuts to wait for and read it."""

    tracker: AsyncPersonTracker

    def persons(
        self,
        *,
        sort_by: PersonTrackingSortBy = "TIMESTAMP",
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        queue: AsyncCompletionSource | None = None,
    ) -> AsyncPersonTrackingPager:
        """The job's detections, lazily, after waiting for the job (up to ``timeout`` s).

        The synchronous job waits now; the asynchronous one on the first ``__anext__``
        (or when the pager is awaited).
        """
        pager: AsyncPersonTrackingPager = self.tracker._pager(
            self.job_id,
            sort_by=sort_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            before=io.job_waiter(self._waiter(timeout, queue)),
        )
        return pager

    def pages(
        self,
        *,
        sort_by: PersonTrackingSortBy = "TIMESTAMP",
        page_size: int = 1000,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
    ) -> AsyncIterator[PersonTrackingPage]:
        """The job's pages, lazily, after waiting for the job."""
        return self.persons(sort_by=sort_by, page_size=page_size, timeout=timeout).pages()

    async def collect(
        self,
        *,
        sort_by: PersonTrackingSortBy = "TIMESTAMP",
        page_size: int = 1000,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        queue: AsyncCompletionSource | None = None,
    ) -> TrackingResult:
        """Wait for the job, then gather every detection in a :class:`TrackingResult`."""
        await self.wait(timeout, queue=queue)
        return await self.tracker.collect(self.job_id, sort_by=sort_by, page_size=page_size)
