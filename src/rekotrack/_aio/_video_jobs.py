"""The seven other Rekognition Video jobs over the asynchronous engine: a spec and a thin facade each.

``AsyncLabelDetector``, ``AsyncFaceDetector``, ``AsyncFaceSearcher``,
``AsyncCelebrityRecognizer``, ``AsyncContentModerator``, ``AsyncSegmentDetector``
and ``AsyncTextDetector`` are each their spec (``rekotrack._core._video_jobs``),
a ``start`` with that operation's own inputs, and the name of their items method.
The engine is one of three shared layers, by the Get parameters the operation
has: none (faces, segments, text), ``SortBy`` (face search, celebrities), or
``SortBy`` and ``AggregateBy`` (labels, moderation). Each facade also writes out
its public methods with their exact types (items method, ``items``, ``pages``,
``collect``, ``get_page``, ``wait``, ``status``, ``track_many``), delegating to the
layer, so mypy and the API reference see the operation's own signature and no type
variable. Source of the generated synchronous facades (``rekotrack._sync._video_jobs``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from rekotrack._core._constants import DEFAULT_STATUS_CHECK_INTERVAL, DEFAULT_WAIT_TIMEOUT
from rekotrack._core._operation import VideoOperation
from rekotrack._core._video_jobs import (
    CELEBRITY_RECOGNITION,
    CONTENT_MODERATION,
    FACE_DETECTION,
    FACE_SEARCH,
    LABEL_DETECTION,
    SEGMENT_DETECTION,
    TEXT_DETECTION,
)
from rekotrack._errors import RekotrackError, RequestValidationError
from rekotrack._generated.models import (
    CelebrityRecognition,
    CelebrityRecognitionPage,
    CelebrityRecognitionSortBy,
    ContentModerationAggregateBy,
    ContentModerationDetection,
    ContentModerationPage,
    ContentModerationSortBy,
    FaceAttributes,
    FaceDetection,
    FaceDetectionPage,
    FaceSearchPage,
    FaceSearchSortBy,
    LabelDetection,
    LabelDetectionAggregateBy,
    LabelDetectionFeatureName,
    LabelDetectionPage,
    LabelDetectionSettings,
    LabelDetectionSortBy,
    PersonMatch,
    SegmentDetection,
    SegmentDetectionPage,
    SegmentType,
    StartSegmentDetectionFilters,
    StartTextDetectionFilters,
    TextDetectionPage,
    TextDetectionResult,
)
from rekotrack._job_results import (
    CelebrityResult,
    FaceResult,
    FaceSearchResult,
    LabelResult,
    ModerationResult,
    SegmentResult,
    TextResult,
)
from rekotrack._model_base import AWSModel
from rekotrack._models import NotificationChannel, Video, VideoJobPage, VideoMetadata

from . import _io as io
from ._batch import track_many
from ._engine import AsyncAnalysisJob, AsyncCompletionSource, AsyncVideoAnalyzer
from ._pager import AsyncPager

if TYPE_CHECKING:
    from typing_extensions import Never

    from ._queue import AsyncCompletionQueue

__all__ = [
    "AsyncCelebrityRecognitionJob",
    "AsyncCelebrityRecognizer",
    "AsyncContentModerationJob",
    "AsyncContentModerator",
    "AsyncFaceDetectionJob",
    "AsyncFaceDetector",
    "AsyncFaceSearchJob",
    "AsyncFaceSearcher",
    "AsyncLabelDetectionJob",
    "AsyncLabelDetector",
    "AsyncSegmentDetectionJob",
    "AsyncSegmentDetectionPager",
    "AsyncSegmentDetector",
    "AsyncTextDetectionJob",
    "AsyncTextDetector",
    "AsyncVideoJob",
    "AsyncVideoJobAnalyzer",
]

PageT = TypeVar("PageT", bound=VideoJobPage)
ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
JobT = TypeVar("JobT")
SortT = TypeVar("SortT", bound=str)
AggregateT = TypeVar("AggregateT", bound=str)
VideoT = TypeVar("VideoT", bound="str | Video")


_GET_OPTIONS = {"sort_by": "SortBy", "aggregate_by": "AggregateBy"}
"""The Get options of the facades, by keyword -> Get member."""


def _aws(value: Any) -> Any:
    """A Start input as the request carries it: models AWS-shaped, tuples as lists."""
    if isinstance(value, AWSModel):
        return value.to_aws()
    if isinstance(value, Mapping):
        return {key: _aws(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_aws(item) for item in value]
    return value


# ---- the shared layers: analyzers ------------------------------------------------------------


class AsyncVideoJobAnalyzer(AsyncVideoAnalyzer[PageT, ItemT], Generic[PageT, ItemT, ResultT, JobT]):
    """Start, wait for and read the jobs of one Rekognition Video analysis whose Get has no SortBy.

    See :class:`AsyncVideoAnalyzer` for ``client``, ``retry``, ``fast_path``,
    ``prefetch`` and ``request_timeout``.
    """

    _result_class: ClassVar[type[Any]]
    _job_class: ClassVar[type[Any]]

    def _refuse(self, unexpected: Mapping[str, object]) -> None:
        """Refuse a Get option this operation does not have (SortBy on GetFaceDetection...) before any request."""
        for name, value in unexpected.items():
            member = _GET_OPTIONS.get(name)
            if member is None:
                raise TypeError(f"unexpected keyword argument {name!r}")
            raise RequestValidationError(member, f"is not an input of {self.operation.get_name}", value)

    async def _start_with(
        self,
        video: str | Video,
        notification: NotificationChannel | None,
        job_tag: str | None,
        client_request_token: str | None,
        inputs: Mapping[str, Any],
    ) -> Any:
        job_id, token, checked = await self._start_job(
            video,
            notification=notification,
            job_tag=job_tag,
            client_request_token=client_request_token,
            inputs={name: _aws(value) for name, value in inputs.items()},
        )
        return self._job_class(self, job_id, video=checked, job_tag=job_tag, client_request_token=token)

    def _items(
        self,
        job_id: str,
        *,
        sort_by: str | None = None,
        aggregate_by: str | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        before: io.Before | None = None,
    ) -> AsyncPager[PageT, ItemT]:
        """The pager; an order not given is the operation's default (so resume tokens agree)."""
        operation = self.operation
        if sort_by is None and operation.sort_by is not None:
            sort_by = operation.sort_by.default
        if aggregate_by is None and operation.aggregate_by is not None:
            aggregate_by = operation.aggregate_by.default
        pager: AsyncPager[PageT, ItemT] = self._pager(
            job_id,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            before=before,
        )
        return pager

    async def _collect_result(self, pager: AsyncPager[PageT, ItemT], job_id: str) -> Any:
        """Every item of ``pager`` in the kind's compact result (``rekotrack._job_results``)."""
        result = self._result_class(job_id=job_id)
        async for page in pager.pages():
            result._add_page(page)
        return result

    async def get_page(
        self, job_id: str, next_token: str | None = None, max_results: int = 1000, **unexpected: Never
    ) -> PageT:
        """One Get page, retried under the policy and checked for integrity."""
        self._refuse(unexpected)
        return await self._get_page(job_id, next_token, max_results)

    def items(
        self, job_id: str, *, page_size: int = 1000, starting_token: str | None = None, max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[PageT, ItemT]:
        """A lazy iterable of every item of a finished job, at most two pages in memory at a time.

        ``resume_token`` continues after an interruption, ``max_items`` stops early,
        ``video_metadata`` is the job's VideoMetadata (segments: the first of the list).
        """
        self._refuse(unexpected)
        return self._items(job_id, page_size=page_size, starting_token=starting_token, max_items=max_items)

    def pages(self, job_id: str, *, page_size: int = 1000, **unexpected: Never) -> AsyncIterator[PageT]:
        """Every page of a finished job, lazily."""
        self._refuse(unexpected)
        return self.items(job_id, page_size=page_size).pages()

    async def collect(self, job_id: str, *, page_size: int = 1000, **unexpected: Never) -> ResultT:
        """Every item of a finished job in the kind's compact result (``LabelResult``...)."""
        self._refuse(unexpected)
        result: ResultT = await self._collect_result(self.items(job_id, page_size=page_size), job_id)
        return result

    def track_many(
        self,
        videos: Iterable[VideoT],
        *,
        queue: AsyncCompletionQueue,
        max_concurrent: int = 20,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        job_tag: str | None = None,
        status_check_interval: float = DEFAULT_STATUS_CHECK_INTERVAL,
        **inputs: Any,
    ) -> AsyncIterator[tuple[VideoT, JobT | RekotrackError]]:
        """Start a batch under the concurrent-job limit; yield ``(video, outcome)`` as each ends.

        ``inputs`` are the operation's Start inputs, as for :meth:`start` (a name the
        operation does not have is a :class:`RequestValidationError` now). See
        :func:`rekotrack._aio._batch.track_many`.
        """
        for name, value in inputs.items():
            if name not in self.operation.start_inputs:
                raise RequestValidationError(name, f"is not an input of {self.operation.start_name}", value)
        return track_many(
            self,
            videos,
            queue=queue,
            max_concurrent=max_concurrent,
            timeout=timeout,
            job_tag=job_tag,
            status_check_interval=status_check_interval,
            start_inputs=inputs,
        )


class AsyncSortedJobAnalyzer(
    AsyncVideoJobAnalyzer[PageT, ItemT, ResultT, JobT], Generic[PageT, ItemT, ResultT, JobT, SortT]
):
    """An analysis whose Get has ``SortBy`` (``sort_by=None`` is the service's default, TIMESTAMP)."""

    async def get_page(
        self, job_id: str, next_token: str | None = None, max_results: int = 1000, sort_by: SortT | None = None,
        **unexpected: Never,
    ) -> PageT:
        """One Get page, retried under the policy and checked for integrity."""
        self._refuse(unexpected)
        return await self._get_page(job_id, next_token, max_results, sort_by)

    def items(
        self,
        job_id: str,
        *,
        sort_by: SortT | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[PageT, ItemT]:
        """A lazy iterable of every item of a finished job in ``sort_by`` order (see the base ``items``)."""
        self._refuse(unexpected)
        return self._items(
            job_id, sort_by=sort_by, page_size=page_size, starting_token=starting_token, max_items=max_items
        )

    def pages(
        self, job_id: str, *, sort_by: SortT | None = None, page_size: int = 1000, **unexpected: Never
    ) -> AsyncIterator[PageT]:
        """Every page of a finished job, lazily."""
        self._refuse(unexpected)
        return self.items(job_id, sort_by=sort_by, page_size=page_size).pages()

    async def collect(
        self, job_id: str, *, sort_by: SortT | None = None, page_size: int = 1000, **unexpected: Never
    ) -> ResultT:
        """Every item of a finished job in the kind's compact result."""
        self._refuse(unexpected)
        result: ResultT = await self._collect_result(self.items(job_id, sort_by=sort_by, page_size=page_size), job_id)
        return result


class AsyncAggregatedJobAnalyzer(
    AsyncSortedJobAnalyzer[PageT, ItemT, ResultT, JobT, SortT], Generic[PageT, ItemT, ResultT, JobT, SortT, AggregateT]
):
    """An analysis whose Get has ``SortBy`` and ``AggregateBy`` (None: TIMESTAMP, TIMESTAMPS)."""

    async def get_page(
        self,
        job_id: str,
        next_token: str | None = None,
        max_results: int = 1000,
        sort_by: SortT | None = None,
        aggregate_by: AggregateT | None = None,
        **unexpected: Never,
    ) -> PageT:
        """One Get page, retried under the policy and checked for integrity."""
        self._refuse(unexpected)
        return await self._get_page(job_id, next_token, max_results, sort_by, aggregate_by)

    def items(
        self,
        job_id: str,
        *,
        sort_by: SortT | None = None,
        aggregate_by: AggregateT | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[PageT, ItemT]:
        """A lazy iterable of every item of a finished job, ordered and grouped as asked (see the base ``items``)."""
        self._refuse(unexpected)
        return self._items(
            job_id,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
        )

    def pages(
        self,
        job_id: str,
        *,
        sort_by: SortT | None = None,
        aggregate_by: AggregateT | None = None,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> AsyncIterator[PageT]:
        """Every page of a finished job, lazily."""
        self._refuse(unexpected)
        return self.items(job_id, sort_by=sort_by, aggregate_by=aggregate_by, page_size=page_size).pages()

    async def collect(
        self,
        job_id: str,
        *,
        sort_by: SortT | None = None,
        aggregate_by: AggregateT | None = None,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> ResultT:
        """Every item of a finished job in the kind's compact result."""
        self._refuse(unexpected)
        pager = self.items(job_id, sort_by=sort_by, aggregate_by=aggregate_by, page_size=page_size)
        result: ResultT = await self._collect_result(pager, job_id)
        return result


# ---- the shared layers: jobs -------------------------------------------------------------------


class AsyncVideoJob(AsyncAnalysisJob[PageT], Generic[PageT, ItemT, ResultT]):
    """A started job: its id, and shortcuts to wait for and read it (its items wait for the job first)."""

    def _job_items(
        self, timeout: float, queue: AsyncCompletionSource | None, **options: Any
    ) -> AsyncPager[PageT, ItemT]:
        pager: AsyncPager[PageT, ItemT] = self.tracker._items(
            self.job_id, before=io.job_waiter(self._waiter(timeout, queue)), **options
        )
        return pager

    async def _job_collect(self, timeout: float, queue: AsyncCompletionSource | None, **options: Any) -> Any:
        await self.wait(timeout, queue=queue)
        return await self.tracker._collect_result(self.tracker._items(self.job_id, **options), self.job_id)

    def items(
        self,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[PageT, ItemT]:
        """The job's items, lazily, after waiting for the job (up to ``timeout`` s).

        The synchronous job waits now; the asynchronous one on the first ``__anext__``
        (or when the pager is awaited).
        """
        self.tracker._refuse(unexpected)
        return self._job_items(timeout, queue, page_size=page_size, starting_token=starting_token, max_items=max_items)

    def pages(
        self, *, page_size: int = 1000, timeout: float = DEFAULT_WAIT_TIMEOUT, **unexpected: Never
    ) -> AsyncIterator[PageT]:
        """The job's pages, lazily, after waiting for the job."""
        self.tracker._refuse(unexpected)
        return self.items(page_size=page_size, timeout=timeout).pages()

    async def collect(
        self,
        *,
        page_size: int = 1000,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> ResultT:
        """Wait for the job, then gather every item in the kind's compact result."""
        self.tracker._refuse(unexpected)
        result: ResultT = await self._job_collect(timeout, queue, page_size=page_size)
        return result


class AsyncSortedVideoJob(AsyncVideoJob[PageT, ItemT, ResultT], Generic[PageT, ItemT, ResultT, SortT]):
    """A started job whose Get has ``SortBy``."""

    def items(
        self,
        *,
        sort_by: SortT | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[PageT, ItemT]:
        """The job's items in ``sort_by`` order, lazily, after waiting for the job."""
        self.tracker._refuse(unexpected)
        return self._job_items(
            timeout, queue, sort_by=sort_by, page_size=page_size, starting_token=starting_token, max_items=max_items
        )

    def pages(
        self, *, sort_by: SortT | None = None, page_size: int = 1000, timeout: float = DEFAULT_WAIT_TIMEOUT,
        **unexpected: Never,
    ) -> AsyncIterator[PageT]:
        """The job's pages, lazily, after waiting for the job."""
        self.tracker._refuse(unexpected)
        return self.items(sort_by=sort_by, page_size=page_size, timeout=timeout).pages()

    async def collect(
        self,
        *,
        sort_by: SortT | None = None,
        page_size: int = 1000,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> ResultT:
        """Wait for the job, then gather every item in the kind's compact result."""
        self.tracker._refuse(unexpected)
        result: ResultT = await self._job_collect(timeout, queue, sort_by=sort_by, page_size=page_size)
        return result


class AsyncAggregatedVideoJob(
    AsyncSortedVideoJob[PageT, ItemT, ResultT, SortT], Generic[PageT, ItemT, ResultT, SortT, AggregateT]
):
    """A started job whose Get has ``SortBy`` and ``AggregateBy``."""

    def items(
        self,
        *,
        sort_by: SortT | None = None,
        aggregate_by: AggregateT | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[PageT, ItemT]:
        """The job's items, ordered and grouped as asked, lazily, after waiting for the job."""
        self.tracker._refuse(unexpected)
        return self._job_items(
            timeout,
            queue,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
        )

    def pages(
        self,
        *,
        sort_by: SortT | None = None,
        aggregate_by: AggregateT | None = None,
        page_size: int = 1000,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        **unexpected: Never,
    ) -> AsyncIterator[PageT]:
        """The job's pages, lazily, after waiting for the job."""
        self.tracker._refuse(unexpected)
        return self.items(sort_by=sort_by, aggregate_by=aggregate_by, page_size=page_size, timeout=timeout).pages()

    async def collect(
        self,
        *,
        sort_by: SortT | None = None,
        aggregate_by: AggregateT | None = None,
        page_size: int = 1000,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> ResultT:
        """Wait for the job, then gather every item in the kind's compact result."""
        self.tracker._refuse(unexpected)
        options = {"sort_by": sort_by, "aggregate_by": aggregate_by, "page_size": page_size}
        result: ResultT = await self._job_collect(timeout, queue, **options)
        return result


# ---- the seven facades: a spec, start() with the operation's inputs, the items method's name -----------


class AsyncLabelDetectionJob(
    AsyncAggregatedVideoJob[
        LabelDetectionPage, LabelDetection, LabelResult, LabelDetectionSortBy, LabelDetectionAggregateBy
    ]
):
    """A started label detection job; ``labels()`` is its items."""

    tracker: AsyncLabelDetector

    async def wait(
        self, timeout: float = 3600.0, *, queue: AsyncCompletionSource | None = None, **kwargs: Any
    ) -> LabelDetectionPage:
        """Wait for the job to end; see the tracker's ``wait``."""
        return await super().wait(timeout, queue=queue, **kwargs)

    def labels(
        self,
        *,
        sort_by: LabelDetectionSortBy | None = None,
        aggregate_by: LabelDetectionAggregateBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[LabelDetectionPage, LabelDetection]:
        """Every :class:`LabelDetection` of the job, lazily, after waiting for it (up to ``timeout`` s).

        Same as ``items()``.
        """
        return self.items(
            sort_by=sort_by, aggregate_by=aggregate_by, page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def items(
        self,
        *,
        sort_by: LabelDetectionSortBy | None = None,
        aggregate_by: LabelDetectionAggregateBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[LabelDetectionPage, LabelDetection]:
        """The generic name of ``labels()``."""
        return super().items(
            sort_by=sort_by, aggregate_by=aggregate_by, page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def pages(
        self,
        *,
        sort_by: LabelDetectionSortBy | None = None,
        aggregate_by: LabelDetectionAggregateBy | None = None,
        page_size: int = 1000,
        timeout: float = 3600.0,
        **unexpected: Never,
    ) -> AsyncIterator[LabelDetectionPage]:
        """The job's pages, lazily, after waiting for the job."""
        return super().pages(
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            timeout=timeout,
            **unexpected,
        )

    async def collect(
        self,
        *,
        sort_by: LabelDetectionSortBy | None = None,
        aggregate_by: LabelDetectionAggregateBy | None = None,
        page_size: int = 1000,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> LabelResult:
        """Wait for the job, then gather every item in a compact :class:`LabelResult`."""
        return await super().collect(
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )


class AsyncLabelDetector(
    AsyncAggregatedJobAnalyzer[
        LabelDetectionPage,
        LabelDetection,
        LabelResult,
        AsyncLabelDetectionJob,
        LabelDetectionSortBy,
        LabelDetectionAggregateBy,
    ]
):
    """StartLabelDetection / GetLabelDetection: labels over time (``labels()`` → :class:`LabelDetection`)."""

    _operation: ClassVar[VideoOperation[Any, Any]] = LABEL_DETECTION
    _result_class = LabelResult
    _job_class = AsyncLabelDetectionJob

    async def start(
        self,
        video: str | Video,
        *,
        notification: NotificationChannel | None = None,
        job_tag: str | None = None,
        client_request_token: str | None = None,
        min_confidence: float | None = None,
        features: Sequence[LabelDetectionFeatureName] | None = None,
        settings: LabelDetectionSettings | Mapping[str, Any] | None = None,
    ) -> AsyncLabelDetectionJob:
        """Start label detection in ``video``; every input is checked before any request."""
        inputs = {"min_confidence": min_confidence, "features": features, "settings": settings}
        job: AsyncLabelDetectionJob = await self._start_with(video, notification, job_tag, client_request_token, inputs)
        return job

    async def status(self, job_id: str) -> LabelDetectionPage:
        """The job's status: the first Get page (``MaxResults=1``), checked for integrity."""
        return await super().status(job_id)

    async def wait(
        self,
        job_id: str,
        timeout: float = 3600.0,
        *,
        queue: AsyncCompletionSource | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        status_check_interval: float = 10.0,
        on_status: Callable[[LabelDetectionPage], None] | None = None,
    ) -> LabelDetectionPage:
        """Wait until the job ends; return its status page when it SUCCEEDED (as the person tracker does)."""
        return await super().wait(
            job_id,
            timeout,
            queue=queue,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            status_check_interval=status_check_interval,
            on_status=on_status,
        )

    async def get_page(
        self,
        job_id: str,
        next_token: str | None = None,
        max_results: int = 1000,
        sort_by: LabelDetectionSortBy | None = None,
        aggregate_by: LabelDetectionAggregateBy | None = None,
        **unexpected: Never,
    ) -> LabelDetectionPage:
        """One Get page, retried under the policy and checked for integrity."""
        return await super().get_page(
            job_id,
            next_token,
            max_results,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            **unexpected,
        )

    def labels(
        self,
        job_id: str,
        *,
        sort_by: LabelDetectionSortBy | None = None,
        aggregate_by: LabelDetectionAggregateBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[LabelDetectionPage, LabelDetection]:
        """Every :class:`LabelDetection` of a finished job, lazily, at most two pages in memory at a time.

        ``starting_token`` continues after an interruption (the pager's ``resume_token``),
        ``max_items`` stops early. Same as ``items()``.
        """
        return self.items(
            job_id,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            **unexpected,
        )

    def items(
        self,
        job_id: str,
        *,
        sort_by: LabelDetectionSortBy | None = None,
        aggregate_by: LabelDetectionAggregateBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[LabelDetectionPage, LabelDetection]:
        """The generic name of ``labels()``."""
        return super().items(
            job_id,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            **unexpected,
        )

    def pages(
        self,
        job_id: str,
        *,
        sort_by: LabelDetectionSortBy | None = None,
        aggregate_by: LabelDetectionAggregateBy | None = None,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> AsyncIterator[LabelDetectionPage]:
        """Every ``LabelDetectionPage`` of a finished job, lazily."""
        return super().pages(job_id, sort_by=sort_by, aggregate_by=aggregate_by, page_size=page_size, **unexpected)

    async def collect(
        self,
        job_id: str,
        *,
        sort_by: LabelDetectionSortBy | None = None,
        aggregate_by: LabelDetectionAggregateBy | None = None,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> LabelResult:
        """Every item of a finished job in a compact :class:`LabelResult`."""
        return await super().collect(
            job_id,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            **unexpected,
        )

    def track_many(
        self,
        videos: Iterable[VideoT],
        *,
        queue: AsyncCompletionQueue,
        max_concurrent: int = 20,
        timeout: float = 3600.0,
        job_tag: str | None = None,
        status_check_interval: float = 10.0,
        **inputs: Any,
    ) -> AsyncIterator[tuple[VideoT, AsyncLabelDetectionJob | RekotrackError]]:
        """Start a batch under the concurrent-job limit; yield ``(video, job or error)`` as each ends.

        ``inputs`` are the Start inputs of ``start()`` (a name the operation does not
        have is a :class:`RequestValidationError` now).
        """
        return super().track_many(
            videos,
            queue=queue,
            max_concurrent=max_concurrent,
            timeout=timeout,
            job_tag=job_tag,
            status_check_interval=status_check_interval,
            **inputs,
        )


class AsyncFaceDetectionJob(AsyncVideoJob[FaceDetectionPage, FaceDetection, FaceResult]):
    """A started face detection job; ``faces()`` is its items."""

    tracker: AsyncFaceDetector

    async def wait(
        self, timeout: float = 3600.0, *, queue: AsyncCompletionSource | None = None, **kwargs: Any
    ) -> FaceDetectionPage:
        """Wait for the job to end; see the tracker's ``wait``."""
        return await super().wait(timeout, queue=queue, **kwargs)

    def faces(
        self,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[FaceDetectionPage, FaceDetection]:
        """Every :class:`FaceDetection` of the job, lazily, after waiting for it (up to ``timeout`` s).

        Same as ``items()``.
        """
        return self.items(
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def items(
        self,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[FaceDetectionPage, FaceDetection]:
        """The generic name of ``faces()``."""
        return super().items(
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def pages(
        self,
        *,
        page_size: int = 1000,
        timeout: float = 3600.0,
        **unexpected: Never,
    ) -> AsyncIterator[FaceDetectionPage]:
        """The job's pages, lazily, after waiting for the job."""
        return super().pages(page_size=page_size, timeout=timeout, **unexpected)

    async def collect(
        self,
        *,
        page_size: int = 1000,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> FaceResult:
        """Wait for the job, then gather every item in a compact :class:`FaceResult`."""
        return await super().collect(page_size=page_size, timeout=timeout, queue=queue, **unexpected)


class AsyncFaceDetector(
    AsyncVideoJobAnalyzer[FaceDetectionPage, FaceDetection, FaceResult, AsyncFaceDetectionJob]
):
    """StartFaceDetection / GetFaceDetection: faces over time (``faces()`` → :class:`FaceDetection`)."""

    _operation: ClassVar[VideoOperation[Any, Any]] = FACE_DETECTION
    _result_class = FaceResult
    _job_class = AsyncFaceDetectionJob

    async def start(
        self,
        video: str | Video,
        *,
        notification: NotificationChannel | None = None,
        job_tag: str | None = None,
        client_request_token: str | None = None,
        face_attributes: FaceAttributes | None = None,
    ) -> AsyncFaceDetectionJob:
        """Start face detection in ``video``; every input is checked before any request."""
        inputs = {"face_attributes": face_attributes}
        job: AsyncFaceDetectionJob = await self._start_with(video, notification, job_tag, client_request_token, inputs)
        return job

    async def status(self, job_id: str) -> FaceDetectionPage:
        """The job's status: the first Get page (``MaxResults=1``), checked for integrity."""
        return await super().status(job_id)

    async def wait(
        self,
        job_id: str,
        timeout: float = 3600.0,
        *,
        queue: AsyncCompletionSource | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        status_check_interval: float = 10.0,
        on_status: Callable[[FaceDetectionPage], None] | None = None,
    ) -> FaceDetectionPage:
        """Wait until the job ends; return its status page when it SUCCEEDED (as the person tracker does)."""
        return await super().wait(
            job_id,
            timeout,
            queue=queue,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            status_check_interval=status_check_interval,
            on_status=on_status,
        )

    async def get_page(
        self,
        job_id: str,
        next_token: str | None = None,
        max_results: int = 1000,
        **unexpected: Never,
    ) -> FaceDetectionPage:
        """One Get page, retried under the policy and checked for integrity."""
        return await super().get_page(job_id, next_token, max_results, **unexpected)

    def faces(
        self,
        job_id: str,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[FaceDetectionPage, FaceDetection]:
        """Every :class:`FaceDetection` of a finished job, lazily, at most two pages in memory at a time.

        ``starting_token`` continues after an interruption (the pager's ``resume_token``),
        ``max_items`` stops early. Same as ``items()``.
        """
        return self.items(
            job_id, page_size=page_size, starting_token=starting_token, max_items=max_items, **unexpected
        )

    def items(
        self,
        job_id: str,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[FaceDetectionPage, FaceDetection]:
        """The generic name of ``faces()``."""
        return super().items(
            job_id, page_size=page_size, starting_token=starting_token, max_items=max_items, **unexpected
        )

    def pages(
        self,
        job_id: str,
        *,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> AsyncIterator[FaceDetectionPage]:
        """Every ``FaceDetectionPage`` of a finished job, lazily."""
        return super().pages(job_id, page_size=page_size, **unexpected)

    async def collect(
        self,
        job_id: str,
        *,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> FaceResult:
        """Every item of a finished job in a compact :class:`FaceResult`."""
        return await super().collect(job_id, page_size=page_size, **unexpected)

    def track_many(
        self,
        videos: Iterable[VideoT],
        *,
        queue: AsyncCompletionQueue,
        max_concurrent: int = 20,
        timeout: float = 3600.0,
        job_tag: str | None = None,
        status_check_interval: float = 10.0,
        **inputs: Any,
    ) -> AsyncIterator[tuple[VideoT, AsyncFaceDetectionJob | RekotrackError]]:
        """Start a batch under the concurrent-job limit; yield ``(video, job or error)`` as each ends.

        ``inputs`` are the Start inputs of ``start()`` (a name the operation does not
        have is a :class:`RequestValidationError` now).
        """
        return super().track_many(
            videos,
            queue=queue,
            max_concurrent=max_concurrent,
            timeout=timeout,
            job_tag=job_tag,
            status_check_interval=status_check_interval,
            **inputs,
        )


class AsyncFaceSearchJob(AsyncSortedVideoJob[FaceSearchPage, PersonMatch, FaceSearchResult, FaceSearchSortBy]):
    """A started face search job; ``persons()`` is its items."""

    tracker: AsyncFaceSearcher

    async def wait(
        self, timeout: float = 3600.0, *, queue: AsyncCompletionSource | None = None, **kwargs: Any
    ) -> FaceSearchPage:
        """Wait for the job to end; see the tracker's ``wait``."""
        return await super().wait(timeout, queue=queue, **kwargs)

    def persons(
        self,
        *,
        sort_by: FaceSearchSortBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[FaceSearchPage, PersonMatch]:
        """Every :class:`PersonMatch` of the job, lazily, after waiting for it (up to ``timeout`` s).

        Same as ``items()``.
        """
        return self.items(
            sort_by=sort_by, page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def items(
        self,
        *,
        sort_by: FaceSearchSortBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[FaceSearchPage, PersonMatch]:
        """The generic name of ``persons()``."""
        return super().items(
            sort_by=sort_by, page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def pages(
        self,
        *,
        sort_by: FaceSearchSortBy | None = None,
        page_size: int = 1000,
        timeout: float = 3600.0,
        **unexpected: Never,
    ) -> AsyncIterator[FaceSearchPage]:
        """The job's pages, lazily, after waiting for the job."""
        return super().pages(sort_by=sort_by, page_size=page_size, timeout=timeout, **unexpected)

    async def collect(
        self,
        *,
        sort_by: FaceSearchSortBy | None = None,
        page_size: int = 1000,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> FaceSearchResult:
        """Wait for the job, then gather every item in a compact :class:`FaceSearchResult`."""
        return await super().collect(sort_by=sort_by, page_size=page_size, timeout=timeout, queue=queue, **unexpected)


class AsyncFaceSearcher(
    AsyncSortedJobAnalyzer[FaceSearchPage, PersonMatch, FaceSearchResult, AsyncFaceSearchJob, FaceSearchSortBy]
):
    """StartFaceSearch / GetFaceSearch: people matching a collection (``persons()`` → :class:`PersonMatch`)."""

    _operation: ClassVar[VideoOperation[Any, Any]] = FACE_SEARCH
    _result_class = FaceSearchResult
    _job_class = AsyncFaceSearchJob

    async def start(
        self,
        video: str | Video,
        *,
        collection_id: str,
        notification: NotificationChannel | None = None,
        job_tag: str | None = None,
        client_request_token: str | None = None,
        face_match_threshold: float | None = None,
    ) -> AsyncFaceSearchJob:
        """Search ``video`` for the faces of collection ``collection_id``; every input is checked first."""
        inputs = {"collection_id": collection_id, "face_match_threshold": face_match_threshold}
        job: AsyncFaceSearchJob = await self._start_with(video, notification, job_tag, client_request_token, inputs)
        return job

    async def status(self, job_id: str) -> FaceSearchPage:
        """The job's status: the first Get page (``MaxResults=1``), checked for integrity."""
        return await super().status(job_id)

    async def wait(
        self,
        job_id: str,
        timeout: float = 3600.0,
        *,
        queue: AsyncCompletionSource | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        status_check_interval: float = 10.0,
        on_status: Callable[[FaceSearchPage], None] | None = None,
    ) -> FaceSearchPage:
        """Wait until the job ends; return its status page when it SUCCEEDED (as the person tracker does)."""
        return await super().wait(
            job_id,
            timeout,
            queue=queue,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            status_check_interval=status_check_interval,
            on_status=on_status,
        )

    async def get_page(
        self,
        job_id: str,
        next_token: str | None = None,
        max_results: int = 1000,
        sort_by: FaceSearchSortBy | None = None,
        **unexpected: Never,
    ) -> FaceSearchPage:
        """One Get page, retried under the policy and checked for integrity."""
        return await super().get_page(job_id, next_token, max_results, sort_by=sort_by, **unexpected)

    def persons(
        self,
        job_id: str,
        *,
        sort_by: FaceSearchSortBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[FaceSearchPage, PersonMatch]:
        """Every :class:`PersonMatch` of a finished job, lazily, at most two pages in memory at a time.

        ``starting_token`` continues after an interruption (the pager's ``resume_token``),
        ``max_items`` stops early. Same as ``items()``.
        """
        return self.items(
            job_id,
            sort_by=sort_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            **unexpected,
        )

    def items(
        self,
        job_id: str,
        *,
        sort_by: FaceSearchSortBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[FaceSearchPage, PersonMatch]:
        """The generic name of ``persons()``."""
        return super().items(
            job_id,
            sort_by=sort_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            **unexpected,
        )

    def pages(
        self,
        job_id: str,
        *,
        sort_by: FaceSearchSortBy | None = None,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> AsyncIterator[FaceSearchPage]:
        """Every ``FaceSearchPage`` of a finished job, lazily."""
        return super().pages(job_id, sort_by=sort_by, page_size=page_size, **unexpected)

    async def collect(
        self,
        job_id: str,
        *,
        sort_by: FaceSearchSortBy | None = None,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> FaceSearchResult:
        """Every item of a finished job in a compact :class:`FaceSearchResult`."""
        return await super().collect(job_id, sort_by=sort_by, page_size=page_size, **unexpected)

    def track_many(
        self,
        videos: Iterable[VideoT],
        *,
        queue: AsyncCompletionQueue,
        max_concurrent: int = 20,
        timeout: float = 3600.0,
        job_tag: str | None = None,
        status_check_interval: float = 10.0,
        **inputs: Any,
    ) -> AsyncIterator[tuple[VideoT, AsyncFaceSearchJob | RekotrackError]]:
        """Start a batch under the concurrent-job limit; yield ``(video, job or error)`` as each ends.

        ``inputs`` are the Start inputs of ``start()`` (a name the operation does not
        have is a :class:`RequestValidationError` now).
        """
        return super().track_many(
            videos,
            queue=queue,
            max_concurrent=max_concurrent,
            timeout=timeout,
            job_tag=job_tag,
            status_check_interval=status_check_interval,
            **inputs,
        )


class AsyncCelebrityRecognitionJob(
    AsyncSortedVideoJob[
        CelebrityRecognitionPage, CelebrityRecognition, CelebrityResult, CelebrityRecognitionSortBy
    ]
):
    """A started celebrity recognition job; ``celebrities()`` is its items."""

    tracker: AsyncCelebrityRecognizer

    async def wait(
        self, timeout: float = 3600.0, *, queue: AsyncCompletionSource | None = None, **kwargs: Any
    ) -> CelebrityRecognitionPage:
        """Wait for the job to end; see the tracker's ``wait``."""
        return await super().wait(timeout, queue=queue, **kwargs)

    def celebrities(
        self,
        *,
        sort_by: CelebrityRecognitionSortBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[CelebrityRecognitionPage, CelebrityRecognition]:
        """Every :class:`CelebrityRecognition` of the job, lazily, after waiting for it (up to ``timeout`` s).

        Same as ``items()``.
        """
        return self.items(
            sort_by=sort_by, page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def items(
        self,
        *,
        sort_by: CelebrityRecognitionSortBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[CelebrityRecognitionPage, CelebrityRecognition]:
        """The generic name of ``celebrities()``."""
        return super().items(
            sort_by=sort_by, page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def pages(
        self,
        *,
        sort_by: CelebrityRecognitionSortBy | None = None,
        page_size: int = 1000,
        timeout: float = 3600.0,
        **unexpected: Never,
    ) -> AsyncIterator[CelebrityRecognitionPage]:
        """The job's pages, lazily, after waiting for the job."""
        return super().pages(sort_by=sort_by, page_size=page_size, timeout=timeout, **unexpected)

    async def collect(
        self,
        *,
        sort_by: CelebrityRecognitionSortBy | None = None,
        page_size: int = 1000,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> CelebrityResult:
        """Wait for the job, then gather every item in a compact :class:`CelebrityResult`."""
        return await super().collect(sort_by=sort_by, page_size=page_size, timeout=timeout, queue=queue, **unexpected)


class AsyncCelebrityRecognizer(
    AsyncSortedJobAnalyzer[
        CelebrityRecognitionPage,
        CelebrityRecognition,
        CelebrityResult,
        AsyncCelebrityRecognitionJob,
        CelebrityRecognitionSortBy,
    ]
):
    """StartCelebrityRecognition / GetCelebrityRecognition (``celebrities()`` → :class:`CelebrityRecognition`)."""

    _operation: ClassVar[VideoOperation[Any, Any]] = CELEBRITY_RECOGNITION
    _result_class = CelebrityResult
    _job_class = AsyncCelebrityRecognitionJob

    async def start(
        self,
        video: str | Video,
        *,
        notification: NotificationChannel | None = None,
        job_tag: str | None = None,
        client_request_token: str | None = None,
    ) -> AsyncCelebrityRecognitionJob:
        """Start celebrity recognition in ``video``; every input is checked before any request."""
        job: AsyncCelebrityRecognitionJob = await self._start_with(
            video, notification, job_tag, client_request_token, {}
        )
        return job

    async def status(self, job_id: str) -> CelebrityRecognitionPage:
        """The job's status: the first Get page (``MaxResults=1``), checked for integrity."""
        return await super().status(job_id)

    async def wait(
        self,
        job_id: str,
        timeout: float = 3600.0,
        *,
        queue: AsyncCompletionSource | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        status_check_interval: float = 10.0,
        on_status: Callable[[CelebrityRecognitionPage], None] | None = None,
    ) -> CelebrityRecognitionPage:
        """Wait until the job ends; return its status page when it SUCCEEDED (as the person tracker does)."""
        return await super().wait(
            job_id,
            timeout,
            queue=queue,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            status_check_interval=status_check_interval,
            on_status=on_status,
        )

    async def get_page(
        self,
        job_id: str,
        next_token: str | None = None,
        max_results: int = 1000,
        sort_by: CelebrityRecognitionSortBy | None = None,
        **unexpected: Never,
    ) -> CelebrityRecognitionPage:
        """One Get page, retried under the policy and checked for integrity."""
        return await super().get_page(job_id, next_token, max_results, sort_by=sort_by, **unexpected)

    def celebrities(
        self,
        job_id: str,
        *,
        sort_by: CelebrityRecognitionSortBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[CelebrityRecognitionPage, CelebrityRecognition]:
        """Every :class:`CelebrityRecognition` of a finished job, lazily, at most two pages in memory at a time.

        ``starting_token`` continues after an interruption (the pager's ``resume_token``),
        ``max_items`` stops early. Same as ``items()``.
        """
        return self.items(
            job_id,
            sort_by=sort_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            **unexpected,
        )

    def items(
        self,
        job_id: str,
        *,
        sort_by: CelebrityRecognitionSortBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[CelebrityRecognitionPage, CelebrityRecognition]:
        """The generic name of ``celebrities()``."""
        return super().items(
            job_id,
            sort_by=sort_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            **unexpected,
        )

    def pages(
        self,
        job_id: str,
        *,
        sort_by: CelebrityRecognitionSortBy | None = None,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> AsyncIterator[CelebrityRecognitionPage]:
        """Every ``CelebrityRecognitionPage`` of a finished job, lazily."""
        return super().pages(job_id, sort_by=sort_by, page_size=page_size, **unexpected)

    async def collect(
        self,
        job_id: str,
        *,
        sort_by: CelebrityRecognitionSortBy | None = None,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> CelebrityResult:
        """Every item of a finished job in a compact :class:`CelebrityResult`."""
        return await super().collect(job_id, sort_by=sort_by, page_size=page_size, **unexpected)

    def track_many(
        self,
        videos: Iterable[VideoT],
        *,
        queue: AsyncCompletionQueue,
        max_concurrent: int = 20,
        timeout: float = 3600.0,
        job_tag: str | None = None,
        status_check_interval: float = 10.0,
        **inputs: Any,
    ) -> AsyncIterator[tuple[VideoT, AsyncCelebrityRecognitionJob | RekotrackError]]:
        """Start a batch under the concurrent-job limit; yield ``(video, job or error)`` as each ends.

        ``inputs`` are the Start inputs of ``start()`` (a name the operation does not
        have is a :class:`RequestValidationError` now).
        """
        return super().track_many(
            videos,
            queue=queue,
            max_concurrent=max_concurrent,
            timeout=timeout,
            job_tag=job_tag,
            status_check_interval=status_check_interval,
            **inputs,
        )


class AsyncContentModerationJob(
    AsyncAggregatedVideoJob[
        ContentModerationPage,
        ContentModerationDetection,
        ModerationResult,
        ContentModerationSortBy,
        ContentModerationAggregateBy,
    ]
):
    """A started content moderation job; ``moderation_labels()`` is its items."""

    tracker: AsyncContentModerator

    async def wait(
        self, timeout: float = 3600.0, *, queue: AsyncCompletionSource | None = None, **kwargs: Any
    ) -> ContentModerationPage:
        """Wait for the job to end; see the tracker's ``wait``."""
        return await super().wait(timeout, queue=queue, **kwargs)

    def moderation_labels(
        self,
        *,
        sort_by: ContentModerationSortBy | None = None,
        aggregate_by: ContentModerationAggregateBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[ContentModerationPage, ContentModerationDetection]:
        """Every :class:`ContentModerationDetection` of the job, lazily, after waiting for it (up to ``timeout`` s).

        Same as ``items()``.
        """
        return self.items(
            sort_by=sort_by, aggregate_by=aggregate_by, page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def items(
        self,
        *,
        sort_by: ContentModerationSortBy | None = None,
        aggregate_by: ContentModerationAggregateBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[ContentModerationPage, ContentModerationDetection]:
        """The generic name of ``moderation_labels()``."""
        return super().items(
            sort_by=sort_by, aggregate_by=aggregate_by, page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def pages(
        self,
        *,
        sort_by: ContentModerationSortBy | None = None,
        aggregate_by: ContentModerationAggregateBy | None = None,
        page_size: int = 1000,
        timeout: float = 3600.0,
        **unexpected: Never,
    ) -> AsyncIterator[ContentModerationPage]:
        """The job's pages, lazily, after waiting for the job."""
        return super().pages(
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            timeout=timeout,
            **unexpected,
        )

    async def collect(
        self,
        *,
        sort_by: ContentModerationSortBy | None = None,
        aggregate_by: ContentModerationAggregateBy | None = None,
        page_size: int = 1000,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> ModerationResult:
        """Wait for the job, then gather every item in a compact :class:`ModerationResult`."""
        return await super().collect(
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )


class AsyncContentModerator(
    AsyncAggregatedJobAnalyzer[
        ContentModerationPage,
        ContentModerationDetection,
        ModerationResult,
        AsyncContentModerationJob,
        ContentModerationSortBy,
        ContentModerationAggregateBy,
    ]
):
    """StartContentModeration / GetContentModeration (``moderation_labels()`` → ContentModerationDetection)."""

    _operation: ClassVar[VideoOperation[Any, Any]] = CONTENT_MODERATION
    _result_class = ModerationResult
    _job_class = AsyncContentModerationJob

    async def start(
        self,
        video: str | Video,
        *,
        notification: NotificationChannel | None = None,
        job_tag: str | None = None,
        client_request_token: str | None = None,
        min_confidence: float | None = None,
    ) -> AsyncContentModerationJob:
        """Start content moderation of ``video``; every input is checked before any request."""
        inputs = {"min_confidence": min_confidence}
        job: AsyncContentModerationJob = await self._start_with(
            video, notification, job_tag, client_request_token, inputs
        )
        return job

    async def status(self, job_id: str) -> ContentModerationPage:
        """The job's status: the first Get page (``MaxResults=1``), checked for integrity."""
        return await super().status(job_id)

    async def wait(
        self,
        job_id: str,
        timeout: float = 3600.0,
        *,
        queue: AsyncCompletionSource | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        status_check_interval: float = 10.0,
        on_status: Callable[[ContentModerationPage], None] | None = None,
    ) -> ContentModerationPage:
        """Wait until the job ends; return its status page when it SUCCEEDED (as the person tracker does)."""
        return await super().wait(
            job_id,
            timeout,
            queue=queue,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            status_check_interval=status_check_interval,
            on_status=on_status,
        )

    async def get_page(
        self,
        job_id: str,
        next_token: str | None = None,
        max_results: int = 1000,
        sort_by: ContentModerationSortBy | None = None,
        aggregate_by: ContentModerationAggregateBy | None = None,
        **unexpected: Never,
    ) -> ContentModerationPage:
        """One Get page, retried under the policy and checked for integrity."""
        return await super().get_page(
            job_id,
            next_token,
            max_results,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            **unexpected,
        )

    def moderation_labels(
        self,
        job_id: str,
        *,
        sort_by: ContentModerationSortBy | None = None,
        aggregate_by: ContentModerationAggregateBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[ContentModerationPage, ContentModerationDetection]:
        """Every :class:`ContentModerationDetection` of a finished job, lazily, at most two pages in memory at a time.

        ``starting_token`` continues after an interruption (the pager's ``resume_token``),
        ``max_items`` stops early. Same as ``items()``.
        """
        return self.items(
            job_id,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            **unexpected,
        )

    def items(
        self,
        job_id: str,
        *,
        sort_by: ContentModerationSortBy | None = None,
        aggregate_by: ContentModerationAggregateBy | None = None,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[ContentModerationPage, ContentModerationDetection]:
        """The generic name of ``moderation_labels()``."""
        return super().items(
            job_id,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            **unexpected,
        )

    def pages(
        self,
        job_id: str,
        *,
        sort_by: ContentModerationSortBy | None = None,
        aggregate_by: ContentModerationAggregateBy | None = None,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> AsyncIterator[ContentModerationPage]:
        """Every ``ContentModerationPage`` of a finished job, lazily."""
        return super().pages(job_id, sort_by=sort_by, aggregate_by=aggregate_by, page_size=page_size, **unexpected)

    async def collect(
        self,
        job_id: str,
        *,
        sort_by: ContentModerationSortBy | None = None,
        aggregate_by: ContentModerationAggregateBy | None = None,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> ModerationResult:
        """Every item of a finished job in a compact :class:`ModerationResult`."""
        return await super().collect(
            job_id,
            sort_by=sort_by,
            aggregate_by=aggregate_by,
            page_size=page_size,
            **unexpected,
        )

    def track_many(
        self,
        videos: Iterable[VideoT],
        *,
        queue: AsyncCompletionQueue,
        max_concurrent: int = 20,
        timeout: float = 3600.0,
        job_tag: str | None = None,
        status_check_interval: float = 10.0,
        **inputs: Any,
    ) -> AsyncIterator[tuple[VideoT, AsyncContentModerationJob | RekotrackError]]:
        """Start a batch under the concurrent-job limit; yield ``(video, job or error)`` as each ends.

        ``inputs`` are the Start inputs of ``start()`` (a name the operation does not
        have is a :class:`RequestValidationError` now).
        """
        return super().track_many(
            videos,
            queue=queue,
            max_concurrent=max_concurrent,
            timeout=timeout,
            job_tag=job_tag,
            status_check_interval=status_check_interval,
            **inputs,
        )


def _first(metadata: Any) -> VideoMetadata | None:
    """GetSegmentDetection's VideoMetadata list -> its first element (the service returns one)."""
    if isinstance(metadata, (list, tuple)):
        return metadata[0] if metadata else None
    found: VideoMetadata | None = metadata
    return found


class AsyncSegmentDetectionPager(AsyncPager[SegmentDetectionPage, SegmentDetection]):
    """The segments pager: GetSegmentDetection returns ``VideoMetadata`` as a list.

    ``video_metadata`` is its first element (typed as every pager's), ``video_metadata_list``
    the whole list seen so far.
    """

    _default_operation = SEGMENT_DETECTION

    @property
    def seen_video_metadata(self) -> VideoMetadata | None:
        return _first(self._video_metadata)

    async def get_video_metadata(self) -> VideoMetadata | None:
        return _first(await super().get_video_metadata())

    @property
    def video_metadata_list(self) -> tuple[VideoMetadata, ...]:
        """Every element of the pages' VideoMetadata list (empty before the first page is read)."""
        found: Any = self._video_metadata
        return tuple(found) if isinstance(found, (list, tuple)) else ()


class AsyncSegmentDetectionJob(AsyncVideoJob[SegmentDetectionPage, SegmentDetection, SegmentResult]):
    """A started segment detection job; ``segments()`` is its items."""

    tracker: AsyncSegmentDetector

    async def wait(
        self, timeout: float = 3600.0, *, queue: AsyncCompletionSource | None = None, **kwargs: Any
    ) -> SegmentDetectionPage:
        """Wait for the job to end; see the tracker's ``wait``."""
        return await super().wait(timeout, queue=queue, **kwargs)

    def segments(
        self,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[SegmentDetectionPage, SegmentDetection]:
        """Every :class:`SegmentDetection` of the job, lazily, after waiting for it (up to ``timeout`` s).

        Same as ``items()``.
        """
        return self.items(
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def items(
        self,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[SegmentDetectionPage, SegmentDetection]:
        """The generic name of ``segments()``."""
        return super().items(
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def pages(
        self,
        *,
        page_size: int = 1000,
        timeout: float = 3600.0,
        **unexpected: Never,
    ) -> AsyncIterator[SegmentDetectionPage]:
        """The job's pages, lazily, after waiting for the job."""
        return super().pages(page_size=page_size, timeout=timeout, **unexpected)

    async def collect(
        self,
        *,
        page_size: int = 1000,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> SegmentResult:
        """Wait for the job, then gather every item in a compact :class:`SegmentResult`."""
        return await super().collect(page_size=page_size, timeout=timeout, queue=queue, **unexpected)


class AsyncSegmentDetector(
    AsyncVideoJobAnalyzer[SegmentDetectionPage, SegmentDetection, SegmentResult, AsyncSegmentDetectionJob]
):
    """StartSegmentDetection / GetSegmentDetection: shots, cues (``segments()`` → :class:`SegmentDetection`)."""

    _operation: ClassVar[VideoOperation[Any, Any]] = SEGMENT_DETECTION
    _pager_class = AsyncSegmentDetectionPager
    _result_class = SegmentResult
    _job_class = AsyncSegmentDetectionJob

    async def start(
        self,
        video: str | Video,
        *,
        segment_types: Sequence[SegmentType],
        notification: NotificationChannel | None = None,
        job_tag: str | None = None,
        client_request_token: str | None = None,
        filters: StartSegmentDetectionFilters | Mapping[str, Any] | None = None,
    ) -> AsyncSegmentDetectionJob:
        """Start segment detection (``segment_types``: SHOT, TECHNICAL_CUE) in ``video``; inputs checked first."""
        inputs = {"segment_types": segment_types, "filters": filters}
        job: AsyncSegmentDetectionJob = await self._start_with(
            video, notification, job_tag, client_request_token, inputs
        )
        return job

    async def status(self, job_id: str) -> SegmentDetectionPage:
        """The job's status: the first Get page (``MaxResults=1``), checked for integrity."""
        return await super().status(job_id)

    async def wait(
        self,
        job_id: str,
        timeout: float = 3600.0,
        *,
        queue: AsyncCompletionSource | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        status_check_interval: float = 10.0,
        on_status: Callable[[SegmentDetectionPage], None] | None = None,
    ) -> SegmentDetectionPage:
        """Wait until the job ends; return its status page when it SUCCEEDED (as the person tracker does)."""
        return await super().wait(
            job_id,
            timeout,
            queue=queue,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            status_check_interval=status_check_interval,
            on_status=on_status,
        )

    async def get_page(
        self,
        job_id: str,
        next_token: str | None = None,
        max_results: int = 1000,
        **unexpected: Never,
    ) -> SegmentDetectionPage:
        """One Get page, retried under the policy and checked for integrity."""
        return await super().get_page(job_id, next_token, max_results, **unexpected)

    def segments(
        self,
        job_id: str,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[SegmentDetectionPage, SegmentDetection]:
        """Every :class:`SegmentDetection` of a finished job, lazily, at most two pages in memory at a time.

        ``starting_token`` continues after an interruption (the pager's ``resume_token``),
        ``max_items`` stops early. Same as ``items()``.
        """
        return self.items(
            job_id, page_size=page_size, starting_token=starting_token, max_items=max_items, **unexpected
        )

    def items(
        self,
        job_id: str,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[SegmentDetectionPage, SegmentDetection]:
        """The generic name of ``segments()``."""
        return super().items(
            job_id, page_size=page_size, starting_token=starting_token, max_items=max_items, **unexpected
        )

    def pages(
        self,
        job_id: str,
        *,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> AsyncIterator[SegmentDetectionPage]:
        """Every ``SegmentDetectionPage`` of a finished job, lazily."""
        return super().pages(job_id, page_size=page_size, **unexpected)

    async def collect(
        self,
        job_id: str,
        *,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> SegmentResult:
        """Every item of a finished job in a compact :class:`SegmentResult`."""
        return await super().collect(job_id, page_size=page_size, **unexpected)

    def track_many(
        self,
        videos: Iterable[VideoT],
        *,
        queue: AsyncCompletionQueue,
        max_concurrent: int = 20,
        timeout: float = 3600.0,
        job_tag: str | None = None,
        status_check_interval: float = 10.0,
        **inputs: Any,
    ) -> AsyncIterator[tuple[VideoT, AsyncSegmentDetectionJob | RekotrackError]]:
        """Start a batch under the concurrent-job limit; yield ``(video, job or error)`` as each ends.

        ``inputs`` are the Start inputs of ``start()`` (a name the operation does not
        have is a :class:`RequestValidationError` now).
        """
        return super().track_many(
            videos,
            queue=queue,
            max_concurrent=max_concurrent,
            timeout=timeout,
            job_tag=job_tag,
            status_check_interval=status_check_interval,
            **inputs,
        )


class AsyncTextDetectionJob(AsyncVideoJob[TextDetectionPage, TextDetectionResult, TextResult]):
    """A started text detection job; ``text_detections()`` is its items."""

    tracker: AsyncTextDetector

    async def wait(
        self, timeout: float = 3600.0, *, queue: AsyncCompletionSource | None = None, **kwargs: Any
    ) -> TextDetectionPage:
        """Wait for the job to end; see the tracker's ``wait``."""
        return await super().wait(timeout, queue=queue, **kwargs)

    def text_detections(
        self,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[TextDetectionPage, TextDetectionResult]:
        """Every :class:`TextDetectionResult` of the job, lazily, after waiting for it (up to ``timeout`` s).

        Same as ``items()``.
        """
        return self.items(
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def items(
        self,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> AsyncPager[TextDetectionPage, TextDetectionResult]:
        """The generic name of ``text_detections()``."""
        return super().items(
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
            timeout=timeout,
            queue=queue,
            **unexpected,
        )

    def pages(
        self,
        *,
        page_size: int = 1000,
        timeout: float = 3600.0,
        **unexpected: Never,
    ) -> AsyncIterator[TextDetectionPage]:
        """The job's pages, lazily, after waiting for the job."""
        return super().pages(page_size=page_size, timeout=timeout, **unexpected)

    async def collect(
        self,
        *,
        page_size: int = 1000,
        timeout: float = 3600.0,
        queue: AsyncCompletionSource | None = None,
        **unexpected: Never,
    ) -> TextResult:
        """Wait for the job, then gather every item in a compact :class:`TextResult`."""
        return await super().collect(page_size=page_size, timeout=timeout, queue=queue, **unexpected)


class AsyncTextDetector(
    AsyncVideoJobAnalyzer[TextDetectionPage, TextDetectionResult, TextResult, AsyncTextDetectionJob]
):
    """StartTextDetection / GetTextDetection: text (``text_detections()`` → :class:`TextDetectionResult`)."""

    _operation: ClassVar[VideoOperation[Any, Any]] = TEXT_DETECTION
    _result_class = TextResult
    _job_class = AsyncTextDetectionJob

    async def start(
        self,
        video: str | Video,
        *,
        notification: NotificationChannel | None = None,
        job_tag: str | None = None,
        client_request_token: str | None = None,
        filters: StartTextDetectionFilters | Mapping[str, Any] | None = None,
    ) -> AsyncTextDetectionJob:
        """Start text detection in ``video``; every input is checked before any request."""
        inputs = {"filters": filters}
        job: AsyncTextDetectionJob = await self._start_with(video, notification, job_tag, client_request_token, inputs)
        return job

    async def status(self, job_id: str) -> TextDetectionPage:
        """The job's status: the first Get page (``MaxResults=1``), checked for integrity."""
        return await super().status(job_id)

    async def wait(
        self,
        job_id: str,
        timeout: float = 3600.0,
        *,
        queue: AsyncCompletionSource | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        status_check_interval: float = 10.0,
        on_status: Callable[[TextDetectionPage], None] | None = None,
    ) -> TextDetectionPage:
        """Wait until the job ends; return its status page when it SUCCEEDED (as the person tracker does)."""
        return await super().wait(
            job_id,
            timeout,
            queue=queue,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            status_check_interval=status_check_interval,
            on_status=on_status,
        )

    async def get_page(
        self,
        job_id: str,
        next_token: str | None = None,
        max_results: int = 1000,
        **unexpected: Never,
    ) -> TextDetectionPage:
        """One Get page, retried under the policy and checked for integrity."""
        return await super().get_page(job_id, next_token, max_results, **unexpected)

    def text_detections(
        self,
        job_id: str,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[TextDetectionPage, TextDetectionResult]:
        """Every :class:`TextDetectionResult` of a finished job, lazily, at most two pages in memory at a time.

        ``starting_token`` continues after an interruption (the pager's ``resume_token``),
        ``max_items`` stops early. Same as ``items()``.
        """
        return self.items(
            job_id, page_size=page_size, starting_token=starting_token, max_items=max_items, **unexpected
        )

    def items(
        self,
        job_id: str,
        *,
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        **unexpected: Never,
    ) -> AsyncPager[TextDetectionPage, TextDetectionResult]:
        """The generic name of ``text_detections()``."""
        return super().items(
            job_id, page_size=page_size, starting_token=starting_token, max_items=max_items, **unexpected
        )

    def pages(
        self,
        job_id: str,
        *,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> AsyncIterator[TextDetectionPage]:
        """Every ``TextDetectionPage`` of a finished job, lazily."""
        return super().pages(job_id, page_size=page_size, **unexpected)

    async def collect(
        self,
        job_id: str,
        *,
        page_size: int = 1000,
        **unexpected: Never,
    ) -> TextResult:
        """Every item of a finished job in a compact :class:`TextResult`."""
        return await super().collect(job_id, page_size=page_size, **unexpected)

    def track_many(
        self,
        videos: Iterable[VideoT],
        *,
        queue: AsyncCompletionQueue,
        max_concurrent: int = 20,
        timeout: float = 3600.0,
        job_tag: str | None = None,
        status_check_interval: float = 10.0,
        **inputs: Any,
    ) -> AsyncIterator[tuple[VideoT, AsyncTextDetectionJob | RekotrackError]]:
        """Start a batch under the concurrent-job limit; yield ``(video, job or error)`` as each ends.

        ``inputs`` are the Start inputs of ``start()`` (a name the operation does not
        have is a :class:`RequestValidationError` now).
        """
        return super().track_many(
            videos,
            queue=queue,
            max_concurrent=max_concurrent,
            timeout=timeout,
            job_tag=job_tag,
            status_check_interval=status_check_interval,
            **inputs,
        )
