"""The engine's I/O shell: one Start/Get video analysis, driven by its :class:`VideoOperation`.

Every decision is the sans-IO core's (``rekotrack._core``): request building
and validation, response integrity, pagination, the wait plan and procedures,
retry decisions. This shell only makes the requests and the pauses. It is
written once, asynchronously, in ``_aio/``; the synchronous copy in ``_sync/``
is generated from it by ``scripts/unasync.py``.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from rekotrack import _fastpath
from rekotrack._core._constants import (
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_STATUS_CHECK_INTERVAL,
    DEFAULT_WAIT_TIMEOUT,
)
from rekotrack._core._cursor import page_request
from rekotrack._core._operation import VideoOperation
from rekotrack._core._pages import job_id_from_start, page_from_response, unreadable_body
from rekotrack._core._procedure import adrive
from rekotrack._core._requests import check_get_choices, get_request, start_request
from rekotrack._core._wait import Listen, Sleep, Status, WaitPlan, poll_procedure, queue_procedure
from rekotrack._fastpath import Reporter
from rekotrack._models import CompletionNotification, NotificationChannel, Video, VideoJobPage
from rekotrack._results import ResultBuilder, TrackingResult
from rekotrack._retry import AsyncStarted, RetryPolicy, acall_with_retries
from rekotrack._validation import check_interval, check_job_id, check_page_size, check_region_name

from . import _io as io
from ._pager import AsyncPager, AsyncRequest

if TYPE_CHECKING:
    from types_aiobotocore_rekognition import RekognitionClient

    from ._io import Session

__all__ = ["AsyncAnalysisJob", "AsyncCompletionSource", "AsyncVideoAnalyzer", "new_client_request_token"]

logger = logging.getLogger("rekotrack")

PageT = TypeVar("PageT", bound=VideoJobPage)
ItemT = TypeVar("ItemT")


class AsyncCompletionSource(Protocol):
    """Anything that can wait for a job's completion notification (a completion queue).

    ``wait_for`` returns the SUCCEEDED notification, raises :class:`JobFailedError` for
    FAILED/ERROR and :class:`WaitTimeoutError` at its deadline; ``discard`` drops a job's
    message that will no longer be waited for.
    """

    async def wait_for(self, job_id: str, timeout: float) -> CompletionNotification: ...

    async def discard(self, job_id: str) -> None: ...


def new_client_request_token() -> str:
    """A fresh ClientRequestToken (32 hex characters)."""
    return uuid.uuid4().hex


class AsyncVideoAnalyzer(Generic[PageT, ItemT]):
    """Start, wait for and read the jobs of one Rekognition Video analysis (``operation``).

    ``client`` is a Rekognition client; without one, a client is made from
    ``session`` with botocore's retries off, so that ``retry`` is the only retry
    layer. ``fast_path`` reads pages from the raw response bytes (see
    ``rekotrack._fastpath``). ``prefetch`` fetches the next page while the caller's
    loop works on the current one (at most two pages held). ``request_timeout``
    is the wall-clock budget of one request, slow or dripping bodies included.
    ``pause_gc``: the fast path pauses the process's cyclic garbage collector while
    it validates a page (a few milliseconds; ``docs/performance.md`` has the
    figures); ``False`` leaves the collector alone, at a cost in CPU per page.
    """

    _operation: ClassVar[VideoOperation[Any, Any]]

    @property
    def operation(self) -> VideoOperation[Any, Any]:
        """The analysis this class runs (its Start/Get names, models, tables)."""
        return self._operation

    def __init__(
        self,
        client: RekognitionClient | None = None,
        *,
        session: Session | None = None,
        region_name: str | None = None,
        retry: RetryPolicy | None = None,
        endpoint_url: str | None = None,
        fast_path: bool = True,
        prefetch: bool = True,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
        pause_gc: bool = True,
    ) -> None:
        self._session = session
        # A malformed region is a usage error here, not botocore's InvalidRegionError from inside the client.
        self._region_name = None if region_name is None else check_region_name(region_name)
        self._endpoint_url = endpoint_url
        self._stack = contextlib.AsyncExitStack()
        self.retry = retry or RetryPolicy()
        self.prefetch = prefetch
        self.pause_gc = pause_gc
        self.request_timeout = None if request_timeout is None else check_interval("request_timeout", request_timeout)
        self._clock: Callable[[], float] = time.monotonic
        self._want_fast_path = fast_path
        self.fast_path = False
        self._hooked = False  # the client reports its Gets' sending and page bytes (rekotrack._fastpath hooks)
        self._client: Any = None
        made = client if client is not None else io.client_now(session, region_name, endpoint_url)
        if made is not None:
            self._use(made)

    def _use(self, client: Any) -> None:
        self._client = client
        # Installed either way: with the fast path off, the handler still refuses oversized pages unparsed.
        self._hooked = _fastpath.install(client, self.operation.get_name)
        self.fast_path = self._want_fast_path and self._hooked

    @property
    def client(self) -> RekognitionClient:
        """The Rekognition client (an asynchronous tracker makes its own on first use)."""
        if self._client is None:
            raise RuntimeError("no client yet: use `async with` on the tracker or make a request first")
        client: RekognitionClient = self._client
        return client

    async def _get_client(self) -> Any:
        if self._client is None:
            client = await io.make_client(
                self._session, self._region_name, self._endpoint_url, "rekognition", self._stack
            )
            if self._client is None:  # another task may have made one meanwhile
                self._use(client)
        return self._client

    async def __aenter__(self) -> Any:
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

    def _budget(self, budget: float | None) -> float | None:
        if budget is None or self.request_timeout is None:
            return budget if budget is not None else self.request_timeout
        return min(budget, self.request_timeout)

    async def _start_job(
        self,
        video: str | Video,
        *,
        notification: NotificationChannel | None,
        job_tag: str | None,
        client_request_token: str | None,
        inputs: Mapping[str, Any] | None = None,
    ) -> tuple[str, str, Video]:
        """Start a job: its JobId, the ClientRequestToken all attempts used, and the video."""
        operation = self.operation
        token = client_request_token if client_request_token is not None else new_client_request_token()
        params = start_request(
            operation,
            video,
            notification=notification,
            job_tag=job_tag,
            client_request_token=token,
            inputs=inputs,
        )
        client = await self._get_client()
        call = getattr(client, operation.start_method)
        name = operation.start_name

        async def attempt() -> str:
            with unreadable_body(name):
                raw = await call(**params)
            return job_id_from_start(raw, name)

        job_id = await acall_with_retries(
            self.retry, name, attempt, budget=self.request_timeout, errors=operation.errors
        )
        logger.debug("started job %s (token %s)", job_id, token)
        return job_id, token, Video.model_validate(params["Video"])

    def _attempt(
        self, client: Any, params: dict[str, Any], reporter: Reporter | None = None
    ) -> Callable[[], Awaitable[PageT]]:
        """One Get attempt, its page checked for integrity; ``reporter`` hears its sending and its page's bytes."""
        operation = self.operation
        call = getattr(client, operation.get_method)
        name = operation.get_name
        job_id, max_results = params["JobId"], params["MaxResults"]
        model = operation.page_model if self.fast_path else None
        pause_gc = self.pause_gc

        async def attempt() -> PageT:
            with unreadable_body(name), _fastpath.active(model, operation.list_key, max_results, reporter, pause_gc):
                raw = await call(**params)
            page: PageT = page_from_response(raw, operation, job_id=job_id, max_results=max_results)
            return page

        return attempt

    async def _get(
        self,
        params: dict[str, Any],
        budget: float | None = None,
        first: AsyncStarted[PageT] | None = None,
        reporter: Reporter | None = None,
    ) -> PageT:
        """One Get, retried under the policy within the budget; ``first``: its first attempt, started earlier."""
        operation = self.operation
        attempt = self._attempt(await self._get_client(), params, reporter)
        return await acall_with_retries(
            self.retry, operation.get_name, attempt, budget=self._budget(budget), errors=operation.errors, first=first
        )

    def _page_params(
        self,
        job_id: str,
        next_token: str | None,
        max_results: int,
        sort_by: str | None = None,
        aggregate_by: str | None = None,
    ) -> dict[str, Any]:
        return get_request(
            self.operation,
            job_id,
            next_token=next_token,
            max_results=max_results,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
        )

    async def _get_page(
        self,
        job_id: str,
        next_token: str | None,
        max_results: int,
        sort_by: str | None = None,
        aggregate_by: str | None = None,
    ) -> PageT:
        return await self._get(self._page_params(job_id, next_token, max_results, sort_by, aggregate_by))

    async def _status(self, job_id: str, budget: float | None = None) -> PageT:
        params = get_request(self.operation, job_id, next_token=None, max_results=1)
        return await self._get(params, budget)

    async def status(self, job_id: str) -> PageT:
        """The job's status page (one Get with ``MaxResults=1``)."""
        return await self._status(job_id)

    # ---- iteration ------------------------------------------------------------

    def _pager_args(
        self, job_id: str, sort_by: str | None, aggregate_by: str | None, page_size: int
    ) -> tuple[Callable[[str | None, int], Any], Callable[[str | None, int, Reporter], Any]]:
        """Check a pager's inputs once, before any request; its fetch function and its early start.

        The job id, page size and choices are checked here, with the pager's base
        parameters; each page adds only its NextToken (``page_request``).
        """
        check_job_id(job_id)
        check_get_choices(self.operation, sort_by, aggregate_by)
        check_page_size("page_size", page_size, self.operation.max_results_limit)
        base = self._page_params(job_id, None, page_size, sort_by, aggregate_by)

        def params(token: str | None, size: int) -> dict[str, Any]:
            if size != page_size:
                return self._page_params(job_id, token, size, sort_by, aggregate_by)
            return page_request(base, token, self.operation)

        async def fetch(token: str | None, size: int) -> PageT:
            return await self._get(params(token, size))

        def begin(token: str | None, size: int, reporter: Reporter) -> AsyncRequest[PageT]:
            return _EarlyGet(self, params(token, size), reporter)

        return fetch, begin

    def _pager(
        self,
        job_id: str,
        *,
        sort_by: str | None = None,
        aggregate_by: str | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        before: io.Before | None = None,
    ) -> Any:
        """The pager over a finished job's items (``_pager_class``), one or two pages in memory at a time."""
        fetch, begin = self._pager_args(job_id, sort_by, aggregate_by, page_size)
        return self._pager_class(
            fetch,
            begin=begin,
            job_id=job_id,
            sort_by=sort_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            operation=self.operation,
            order=self.operation.order_key(sort_by, aggregate_by),
            before=before,
            prefetch=self.prefetch,
        )

    _pager_class: ClassVar[type[AsyncPager[Any, Any]]] = AsyncPager

    async def _collect(self, pager: AsyncPager[PageT, ItemT], job_id: str) -> TrackingResult:
        """Every item of ``pager`` in the compact result store."""
        builder = ResultBuilder()
        async for page in pager.pages():
            builder.add_all(self.operation.items(page) or ())
        return builder.build(video_metadata=pager.seen_video_metadata, job_id=job_id)

    # ---- waiting --------------------------------------------------------------

    async def wait(
        self,
        job_id: str,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        *,
        queue: AsyncCompletionSource | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        status_check_interval: float = DEFAULT_STATUS_CHECK_INTERVAL,
        on_status: Callable[[PageT], None] | None = None,
    ) -> PageT:
        """Wait until the job ends; return its status page when it SUCCEEDED.

        Without ``queue`` it polls Get (``MaxResults=1``) from ``poll_interval``
        doubling to ``max_poll_interval``, with jitter. With a ``queue`` it waits
        on completion notifications and also checks Get every
        ``status_check_interval`` seconds, so a lost message or a reused token
        (which sends none) cannot hang it. Raises :class:`JobFailedError` or
        :class:`WaitTimeoutError` (``timeout`` is seconds, a wall-clock bound on
        the whole call; ``0`` checks once). ``on_status`` is called with each
        status page (e.g. to show progress). Every input is checked first.
        """
        plan: WaitPlan[PageT] = WaitPlan(
            job_id,
            timeout,
            clock=self._clock,
            random=self.retry.random,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            status_check_interval=status_check_interval,
        )

        async def answer(request: object) -> Any:
            if isinstance(request, Status):
                page = await self._status(job_id, request.budget)
                if on_status is not None and request.report:
                    on_status(page)
                return page
            if isinstance(request, Sleep):
                return await self.retry.async_sleep(request.seconds)
            assert queue is not None
            if isinstance(request, Listen):
                return await queue.wait_for(job_id, request.seconds)
            return await queue.discard(job_id)

        procedure = poll_procedure(plan) if queue is None else queue_procedure(plan)
        return await adrive(procedure, answer)


class _EarlyGet(Generic[PageT]):
    """A pager's Get whose first attempt starts now (a prefetch); collecting it runs the retries, if any.

    Its attempts report to ``reporter`` (the pipeline's lane, through the fast path's
    hooks). The first attempt keeps the wall-clock budget it was started with;
    stopping it cancels its task, or shuts its thread's connection (``Started.stop``):
    either way at once, whatever the server does.
    """

    def __init__(self, analyzer: AsyncVideoAnalyzer[PageT, Any], params: dict[str, Any], reporter: Reporter) -> None:
        self._analyzer = analyzer
        self._params = params
        self._reporter = reporter
        self.announces = analyzer._hooked
        attempt = analyzer._attempt(analyzer.client, params, reporter)
        budget = analyzer._budget(None)
        self._first = AsyncStarted(attempt, analyzer.operation.get_name, budget, name="rekotrack-prefetch")

    async def result(self) -> PageT:
        return await self._analyzer._get(self._params, first=self._first, reporter=self._reporter)

    async def cancel(self) -> None:
        await self._first.stop()


class AsyncAnalysisJob(Generic[PageT]):
    """A started job: its id, and shortcuts to wait for and read it."""

    def __init__(
        self,
        tracker: Any,
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
        return f"{type(self).__name__}(job_id={self.job_id!r}, video={self.video.uri if self.video else None!r})"

    async def status(self) -> str:
        """The job's current JobStatus (IN_PROGRESS, SUCCEEDED or FAILED)."""
        page = await self.tracker.status(self.job_id)
        return str(page.job_status)

    def _waiter(self, timeout: float, queue: AsyncCompletionSource | None) -> Callable[[], Any]:
        async def wait() -> None:
            await self.wait(timeout, queue=queue)

        return wait

    async def wait(
        self, timeout: float = DEFAULT_WAIT_TIMEOUT, *, queue: AsyncCompletionSource | None = None, **kwargs: Any
    ) -> PageT:
        """Wait for the job to end; see the tracker's ``wait``."""
        page: PageT = await self.tracker.wait(self.job_id, timeout, queue=queue, **kwargs)
        return page
