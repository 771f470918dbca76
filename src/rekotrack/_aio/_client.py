"""AsyncPersonTracker and AsyncTrackingJob: the synchronous client's decisions, with awaited I/O on aiobotocore.

Validation, the ClientRequestToken, the page integrity checks (fast path
included), pagination, retry decisions and wait decisions are the functions and
sans-IO objects of ``rekotrack._client``, ``_pagination`` and ``_retry``; this
module only awaits the requests and the pauses.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from rekotrack import _fastpath
from rekotrack._client import (
    DEFAULT_WAIT_TIMEOUT,
    NO_MESSAGE_WARNING,
    USER_AGENT,
    WaitPlan,
    check_pager_request,
    job_id_from_start,
    page_from_response,
    prepare_start,
    unreadable_body,
)
from rekotrack._errors import JobFailedError, RekotrackError, WaitTimeoutError
from rekotrack._models import CompletionNotification, NotificationChannel, PersonTrackingPage, Video
from rekotrack._pagination import PERSON_TRACKING
from rekotrack._retry import RetryPolicy, acall_with_retries
from rekotrack._validation import build_get_request

from ._pagination import AsyncPersonTrackingPager

if TYPE_CHECKING:
    from aiobotocore.session import AioSession
    from types_aiobotocore_rekognition import RekognitionClient

    from rekotrack._completion import VideoT
    from rekotrack._results import TrackingResult

    from ._completion import AsyncCompletionQueue

__all__ = ["AsyncCompletionSource", "AsyncPersonTracker", "AsyncTrackingJob"]

logger = logging.getLogger("rekotrack")


class AsyncCompletionSource(Protocol):
    """Anything that can wait for a job's completion notification (an AsyncCompletionQueue).

    ``wait_for`` returns the SUCCEEDED notification, raises :class:`JobFailedError` for
    FAILED/ERROR and :class:`WaitTimeoutError` at its deadline; ``discard`` drops a job's
    message that will no longer be waited for.
    """

    async def wait_for(self, job_id: str, timeout: float) -> CompletionNotification: ...

    async def discard(self, job_id: str) -> None: ...


async def make_client(
    session: AioSession | None,
    region_name: str | None,
    endpoint_url: str | None,
    service: str,
    stack: contextlib.AsyncExitStack,
    **config: Any,
) -> Any:
    """An aiobotocore client with botocore's retries off (rekotrack's policy is the one layer), closed by ``stack``."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    aio_config = AioConfig(retries={"total_max_attempts": 1, "mode": "standard"}, user_agent_extra=USER_AGENT, **config)
    sess: Any = session or get_session()  # create_client is typed per service name literal
    creator = sess.create_client(service, region_name=region_name, endpoint_url=endpoint_url, config=aio_config)
    return await stack.enter_async_context(creator)


class AsyncPersonTracker:
    """Start person tracking jobs, wait for them and read their detections, with asyncio.

    The same API as :class:`rekotrack.PersonTracker` with ``async def`` and ``async for``.
    ``client`` is an aiobotocore Rekognition client; without one, a client is made
    from ``session`` (an ``AioSession``, or a new one) on first use, with botocore's
    retries off, and closed by :meth:`close` (or ``async with``). ``retry`` is the
    same :class:`RetryPolicy`; its ``async_sleep`` does the pauses.
    """

    def __init__(
        self,
        client: RekognitionClient | None = None,
        *,
        session: AioSession | None = None,
        region_name: str | None = None,
        retry: RetryPolicy | None = None,
        endpoint_url: str | None = None,
        fast_path: bool = True,
    ) -> None:
        self._client = client
        self._session = session
        self._region_name = region_name
        self._endpoint_url = endpoint_url
        self._stack = contextlib.AsyncExitStack()
        self.retry = retry or RetryPolicy()
        self._clock: Callable[[], float] = time.monotonic
        self.operation = PERSON_TRACKING
        self._want_fast_path = fast_path
        self.fast_path = False
        if client is not None:
            self._install(client)

    def _install(self, client: RekognitionClient) -> None:
        self.fast_path = self._want_fast_path and _fastpath.install(client, self.operation.get_name)

    @property
    def client(self) -> RekognitionClient:
        """The aiobotocore client (made on first use when none was given)."""
        if self._client is None:
            raise RuntimeError("no client yet: use `async with AsyncPersonTracker(...)` or make a request first")
        return self._client

    async def _get_client(self) -> RekognitionClient:
        if self._client is None:
            client: RekognitionClient = await make_client(
                self._session, self._region_name, self._endpoint_url, "rekognition", self._stack
            )
            if self._client is None:  # another task may have made one meanwhile
                self._client = client
                self._install(client)
        return self._client

    async def __aenter__(self) -> AsyncPersonTracker:
        await self._get_client()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the client this tracker made (an injected client is left to its owner)."""
        await self._stack.aclose()

    # ---- requests -------------------------------------------------------------

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
        token, params = prepare_start(
            video, notification=notification, job_tag=job_tag, client_request_token=client_request_token
        )
        client = await self._get_client()
        name = self.operation.start_name

        async def attempt() -> str:
            with unreadable_body(name):
                raw = await client.start_person_tracking(**params)
            return job_id_from_start(raw, name)

        job_id = await acall_with_retries(self.retry, name, attempt)
        logger.debug("started job %s (token %s)", job_id, token)
        return AsyncTrackingJob(
            self, job_id, video=Video.model_validate(params["Video"]), job_tag=job_tag, client_request_token=token
        )

    async def get_page(
        self,
        job_id: str,
        next_token: str | None = None,
        max_results: int = 1000,
        sort_by: str = "TIMESTAMP",
    ) -> PersonTrackingPage:
        """One GetPersonTracking page, retried under the policy and checked for integrity."""
        params = build_get_request(job_id, next_token=next_token, max_results=max_results, sort_by=sort_by)
        client = await self._get_client()
        name = self.operation.get_name

        async def attempt() -> PersonTrackingPage:
            with unreadable_body(name):
                if self.fast_path:
                    with _fastpath.active(self.operation.page_model):
                        raw = await client.get_person_tracking(**params)
                else:
                    raw = await client.get_person_tracking(**params)
            return page_from_response(raw, self.operation)

        return await acall_with_retries(self.retry, name, attempt)

    async def status(self, job_id: str) -> PersonTrackingPage:
        """The job's status page (one Get with ``MaxResults=1``)."""
        return await self.get_page(job_id, max_results=1)

    # ---- iteration ------------------------------------------------------------

    def persons(
        self,
        job_id: str,
        *,
        sort_by: str = "TIMESTAMP",
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
    ) -> AsyncPersonTrackingPager:
        """An async iterable of every detection of a finished job, one page in memory at a time."""
        check_pager_request(job_id, sort_by, page_size)
        return AsyncPersonTrackingPager(
            lambda token, size: self.get_page(job_id, token, size, sort_by),
            job_id=job_id,
            sort_by=sort_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
        )

    def pages(
        self, job_id: str, *, sort_by: str = "TIMESTAMP", page_size: int = 1000
    ) -> AsyncGenerator[PersonTrackingPage, None]:
        """Every page of a finished job, lazily (``async for``)."""
        return self.persons(job_id, sort_by=sort_by, page_size=page_size).pages()

    async def collect(self, job_id: str, *, sort_by: str = "TIMESTAMP", page_size: int = 1000) -> TrackingResult:
        """Every detection of a finished job in a :class:`TrackingResult`."""
        from rekotrack._results import TrackingResult

        pager = self.persons(job_id, sort_by=sort_by, page_size=page_size)
        detections = [det async for det in pager]
        return TrackingResult.from_detections(detections, video_metadata=pager.video_metadata, job_id=job_id)

    # ---- batches --------------------------------------------------------------

    def track_many(
        self,
        videos: Iterable[VideoT],
        *,
        queue: AsyncCompletionQueue,
        max_concurrent: int = 20,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        job_tag: str | None = None,
        status_check_interval: float = 300.0,
    ) -> AsyncGenerator[tuple[VideoT, AsyncTrackingJob | RekotrackError], None]:
        """Start a batch under the concurrent-job limit, one task per job; yield ``(video, outcome)`` as each ends.

        See :func:`rekotrack._aio._completion.track_many`. Leaving the loop early: close
        the iterator (``contextlib.aclosing``) to cancel the jobs' tasks at once.
        """
        from ._completion import track_many

        return track_many(
            self,
            videos,
            queue=queue,
            max_concurrent=max_concurrent,
            timeout=timeout,
            job_tag=job_tag,
            status_check_interval=status_check_interval,
        )

    # ---- waiting --------------------------------------------------------------

    async def wait(
        self,
        job_id: str,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        *,
        queue: AsyncCompletionSource | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        status_check_interval: float = 300.0,
        on_status: Callable[[PersonTrackingPage], None] | None = None,
    ) -> PersonTrackingPage:
        """Wait until the job ends; return its status page when it SUCCEEDED.

        The same schedule as :meth:`rekotrack.PersonTracker.wait` (a :class:`WaitPlan`).
        Cancelling it (or ``asyncio.timeout`` around it) stops it at once; nothing
        keeps running, and waiting again by job id resumes.
        """
        plan = WaitPlan(
            job_id,
            timeout,
            clock=self._clock,
            random=self.retry.random,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            status_check_interval=status_check_interval,
        )
        if queue is not None:
            return await self._wait_on_queue(plan, queue, on_status)
        while True:
            page = plan.done(await self._status_seen(job_id, on_status))
            if page is not None:
                return page
            await self.retry.async_sleep(plan.next_poll())

    async def _status_seen(
        self, job_id: str, on_status: Callable[[PersonTrackingPage], None] | None
    ) -> PersonTrackingPage:
        page = await self.status(job_id)
        if on_status is not None:
            on_status(page)
        return page

    async def _wait_on_queue(
        self,
        plan: WaitPlan,
        queue: AsyncCompletionSource,
        on_status: Callable[[PersonTrackingPage], None] | None,
    ) -> PersonTrackingPage:
        job_id = plan.job_id
        page = plan.done(await self._status_seen(job_id, on_status))
        if page is not None:
            return page
        while True:
            listen = plan.next_listen()
            try:
                await queue.wait_for(job_id, listen)
            except WaitTimeoutError:
                page = plan.done(await self._status_seen(job_id, on_status))
                if page is not None:
                    logger.warning(NO_MESSAGE_WARNING, job_id)
                    await queue.discard(job_id)  # a late message is deleted, not left circulating
                    return page
                continue
            except JobFailedError as failure:
                if plan.needs_status_message(failure):
                    message = (await self.status(job_id)).status_message
                    raise JobFailedError(job_id, failure.status, message) from failure
                raise
            return await self.status(job_id)


class AsyncTrackingJob:
    """A started job: its id, and shortcuts to wait for and read it (awaitable)."""

    def __init__(
        self,
        tracker: AsyncPersonTracker,
        job_id: str,
        *,
        video: Video | None = None,
        job_tag: str | None = None,
        client_request_token: str | None = None,
    ) -> None:
        self.tracker = tracker
        self.job_id = job_id
        self.video = video
        self.job_tag = job_tag
        self.client_request_token = client_request_token

    def __repr__(self) -> str:
        return f"AsyncTrackingJob(job_id={self.job_id!r}, video={self.video.uri if self.video else None!r})"

    async def status(self) -> str:
        """The job's current JobStatus (IN_PROGRESS, SUCCEEDED or FAILED)."""
        return str((await self.tracker.status(self.job_id)).job_status)

    async def wait(
        self, timeout: float = DEFAULT_WAIT_TIMEOUT, *, queue: AsyncCompletionSource | None = None, **kwargs: Any
    ) -> PersonTrackingPage:
        """Wait for the job to end; see :meth:`AsyncPersonTracker.wait`."""
        return await self.tracker.wait(self.job_id, timeout, queue=queue, **kwargs)

    async def persons(
        self,
        *,
        sort_by: str = "TIMESTAMP",
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        queue: AsyncCompletionSource | None = None,
    ) -> AsyncPersonTrackingPager:
        """Wait for the job (up to ``timeout`` s), then return the async pager over its detections."""
        await self.wait(timeout, queue=queue)
        return self.tracker.persons(
            self.job_id, sort_by=sort_by, page_size=page_size, starting_token=starting_token, max_items=max_items
        )

    async def pages(
        self, *, sort_by: str = "TIMESTAMP", page_size: int = 1000, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> AsyncGenerator[PersonTrackingPage, None]:
        """Wait for the job, then return its pages as an async iterator."""
        await self.wait(timeout)
        return self.tracker.pages(self.job_id, sort_by=sort_by, page_size=page_size)

    async def collect(
        self,
        *,
        sort_by: str = "TIMESTAMP",
        page_size: int = 1000,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        queue: AsyncCompletionSource | None = None,
    ) -> TrackingResult:
        """Wait for the job, then gather every detection in a :class:`TrackingResult`."""
        await self.wait(timeout, queue=queue)
        return await self.tracker.collect(self.job_id, sort_by=sort_by, page_size=page_size)
