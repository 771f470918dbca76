"""The one hand-written base of the seven other Rekognition Video jobs over the asynchronous engine.

``AsyncLabelDetector``, ``AsyncFaceDetector``, ``AsyncFaceSearcher``,
``AsyncCelebrityRecognizer``, ``AsyncContentModerator``, ``AsyncSegmentDetector``
and ``AsyncTextDetector`` (and their jobs) are generated from the one description of
the operations (``scripts/video_operations.py``) into
``rekotrack._generated.aio.video_jobs``: flat classes that write out each public
method with the operation's own types and call the private, generic plumbing here
(``_start_with``, ``_items``, ``_collect_result``, ``_get_page``, ``_track_many``,
``_job_items``, ``_job_collect``) with explicit keywords. What is not generated is
here too: the segments pager (GetSegmentDetection's VideoMetadata is a list). Source
of ``rekotrack._sync._video_jobs``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from rekotrack._core._video_jobs import SEGMENT_DETECTION
from rekotrack._errors import RequestValidationError
from rekotrack._generated.models import SegmentDetection, SegmentDetectionPage
from rekotrack._model_base import AWSModel
from rekotrack._models import NotificationChannel, Video, VideoJobPage, VideoMetadata

from . import _io as io
from ._batch import track_many
from ._engine import AsyncAnalysisJob, AsyncCompletionSource, AsyncVideoAnalyzer
from ._pager import AsyncPager

__all__ = ["AsyncSegmentDetectionPager", "AsyncVideoJob", "AsyncVideoJobAnalyzer"]

PageT = TypeVar("PageT", bound=VideoJobPage)
ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
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


class AsyncVideoJobAnalyzer(AsyncVideoAnalyzer[PageT, ItemT]):
    """Start, wait for and read the jobs of one Rekognition Video analysis: the generated facades' base.

    See :class:`AsyncVideoAnalyzer` for ``client``, ``retry``, ``fast_path``,
    ``prefetch`` and ``request_timeout``. Everything here is private plumbing that
    the generated classes call with explicit keywords.
    """

    _result_class: ClassVar[type[Any]]
    _job_class: ClassVar[type[Any]]

    def _refuse(self, unexpected: Mapping[str, object]) -> None:
        """Refuse a keyword passed past the signature (dynamically) before any request.

        A Get option this operation does not have (``sort_by`` on GetFaceDetection...) is a
        :class:`RequestValidationError`; any other unknown name a ``TypeError``.
        """
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

    def _items(self, job_id: str, **options: Any) -> AsyncPager[PageT, ItemT]:
        """The engine's pager (``_pager``'s keywords); an order not given is the operation's default (so resume
        tokens agree)."""
        operation = self.operation
        if options.get("sort_by") is None and operation.sort_by is not None:
            options["sort_by"] = operation.sort_by.default
        if options.get("aggregate_by") is None and operation.aggregate_by is not None:
            options["aggregate_by"] = operation.aggregate_by.default
        pager: AsyncPager[PageT, ItemT] = self._pager(job_id, **options)
        return pager

    async def _collect_result(self, pager: AsyncPager[PageT, ItemT], job_id: str) -> Any:
        """Every item of ``pager`` in the kind's compact result (``rekotrack._job_results``)."""
        result = self._result_class(job_id=job_id)
        async for page in pager.pages():
            result._add_page(page)
        return result

    def _track_many(
        self, videos: Iterable[VideoT], *, inputs: Mapping[str, Any], **batch: Any
    ) -> AsyncIterator[tuple[VideoT, Any]]:
        """A batch under the concurrent-job limit (``batch``: the keywords of
        :func:`rekotrack._aio._batch.track_many`).

        ``inputs`` are the operation's Start inputs, as for ``start``: a name the
        operation does not have is a :class:`RequestValidationError` now.
        """
        for name, value in inputs.items():
            if name not in self.operation.start_inputs:
                raise RequestValidationError(name, f"is not an input of {self.operation.start_name}", value)
        found: AsyncIterator[tuple[VideoT, Any]] = track_many(self, videos, start_inputs=inputs, **batch)
        return found


class AsyncVideoJob(AsyncAnalysisJob[PageT], Generic[PageT, ItemT, ResultT]):
    """A started job: its id, and the plumbing of its shortcuts (its items wait for the job first).

    The synchronous job waits when its items are asked for; the asynchronous one on the
    first ``__anext__`` (or when the pager is awaited).
    """

    tracker: AsyncVideoJobAnalyzer[PageT, ItemT]

    def _job_items(
        self, timeout: float, queue: AsyncCompletionSource | None, **options: Any
    ) -> AsyncPager[PageT, ItemT]:
        return self.tracker._items(self.job_id, before=io.job_waiter(self._waiter(timeout, queue)), **options)

    async def _job_collect(self, timeout: float, queue: AsyncCompletionSource | None, **options: Any) -> Any:
        await self.wait(timeout, queue=queue)
        return await self.tracker._collect_result(self.tracker._items(self.job_id, **options), self.job_id)


# ---- hand-written conveniences -------------------------------------------------------------------


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
