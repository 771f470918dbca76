"""PersonTracker and TrackingJob: start, page, iterate and wait, through one retrying request path."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import ValidationError

from . import _fastpath
from ._errors import JobFailedError, MalformedResponseError, RekotrackError, WaitTimeoutError
from ._models import CompletionNotification, NotificationChannel, PersonTrackingPage, Video
from ._pagination import PERSON_TRACKING, PersonTrackingPager, VideoOperation
from ._retry import RetryPolicy, call_with_retries
from ._validation import build_get_request, build_start_request, check_job_id, check_page_size, check_sort_by

if TYPE_CHECKING:
    import boto3
    from types_boto3_rekognition import RekognitionClient

    from ._completion import CompletionQueue, VideoT
    from ._results import TrackingResult

__all__ = [
    "CompletionSource",
    "PersonTracker",
    "TrackingJob",
    "WaitPlan",
    "check_pager_request",
    "job_id_from_start",
    "new_client_request_token",
    "page_from_response",
    "prepare_start",
    "response_object",
    "unreadable_body",
]

logger = logging.getLogger("rekotrack")

USER_AGENT = "rekotrack/0.1.0"
DEFAULT_WAIT_TIMEOUT = 3600.0


class CompletionSource(Protocol):
    """Anything that can wait for a job's completion notification (a CompletionQueue).

    ``wait_for`` returns the SUCCEEDED notification, raises :class:`JobFailedError` for
    FAILED/ERROR and :class:`WaitTimeoutError` at its deadline; ``discard`` drops a job's
    message that will no longer be waited for.
    """

    def wait_for(self, job_id: str, timeout: float) -> CompletionNotification: ...

    def discard(self, job_id: str) -> None: ...


def new_client_request_token() -> str:
    """A fresh ClientRequestToken (32 hex characters)."""
    return uuid.uuid4().hex


# ---- decisions shared by the synchronous and asynchronous clients (no I/O) -----------

PageT = TypeVar("PageT", bound=PersonTrackingPage)

NO_MESSAGE_WARNING = (
    "job %s finished but no completion message arrived: check the role "
    "(sns:Publish), the topic name prefix (AmazonRekognition), the queue "
    "policy (aws:SourceArn of the topic) and the subscription"
)


def prepare_start(
    video: str | Video,
    *,
    notification: NotificationChannel | None,
    job_tag: str | None,
    client_request_token: str | None,
) -> tuple[str, dict[str, Any]]:
    """The ClientRequestToken for one ``start()`` (generated once, reused by every retry) and its checked parameters."""
    token = client_request_token if client_request_token is not None else new_client_request_token()
    params = build_start_request(video, notification=notification, job_tag=job_tag, client_request_token=token)
    return token, params


@contextlib.contextmanager
def unreadable_body(operation: str) -> Iterator[None]:
    """Around a request: botocore failing on a 200 body of ``null`` or ``[]`` becomes a MalformedResponseError."""
    try:
        yield
    except (AttributeError, TypeError) as exc:
        # botocore 1.44 fails this way on a 200 body of `null` or `[]`.
        raise MalformedResponseError(f"unreadable response body ({exc})", operation=operation) from exc


def response_object(raw: object, operation: str) -> dict[str, Any]:
    """The parsed response, checked to be a JSON object."""
    if not isinstance(raw, dict):
        raise MalformedResponseError("response is not a JSON object", operation=operation)
    return raw


def job_id_from_start(raw: object, operation: str) -> str:
    """The JobId of a Start response; a response without one is a (retried) MalformedResponseError."""
    job_id = response_object(raw, operation).get("JobId")
    if not isinstance(job_id, str) or not job_id:
        # botocore turns a truncated or non-JSON 200 body into {}; the same token makes a retry safe.
        raise MalformedResponseError(f"{operation} answered without a JobId", operation=operation)
    return job_id


def page_from_response(raw: object, operation: VideoOperation[PageT, Any]) -> PageT:
    """The page of a Get response: the fast path's model, or botocore's dict checked and validated."""
    name = operation.get_name
    page_model = operation.page_model
    body = response_object(raw, name)
    fast = body.get(_fastpath.PAGE_KEY)
    if isinstance(fast, page_model):
        return fast
    meta = body.get("ResponseMetadata") or {}
    body = {k: v for k, v in body.items() if k != "ResponseMetadata"}
    if "JobStatus" not in body:
        # botocore turns a truncated or non-JSON 200 body into {} without an error.
        raise MalformedResponseError(
            "page has no JobStatus (empty, truncated or not JSON)",
            operation=name,
            request_id=meta.get("RequestId"),
            http_status=meta.get("HTTPStatusCode"),
        )
    try:
        return page_model.model_validate(body)
    except ValidationError as exc:
        raise MalformedResponseError(
            f"page does not match the service model ({exc.error_count()} errors)", operation=name
        ) from exc


def check_pager_request(job_id: str, sort_by: str, page_size: int) -> None:
    """Check a pager's JobId, SortBy and page size before any request."""
    check_job_id(job_id)
    check_sort_by(sort_by)
    check_page_size("page_size", page_size)


class WaitPlan:
    """The decisions of one ``wait()``, without I/O: when the job is done, how long to pause, when to give up.

    The deadline is fixed when the plan is made. Polls pause from ``poll_interval``
    doubling to ``max_poll_interval``, with jitter from ``random``; a queue wait
    listens in slices of at most ``status_check_interval`` seconds between Get checks.
    """

    def __init__(
        self,
        job_id: str,
        timeout: float,
        *,
        clock: Callable[[], float],
        random: Callable[[], float],
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        status_check_interval: float = 300.0,
    ) -> None:
        check_job_id(job_id)
        if not timeout > 0:
            raise ValueError("timeout must be > 0 seconds")
        self.job_id = job_id
        self.timeout = timeout
        self._clock = clock
        self._random = random
        self.deadline = clock() + timeout
        self._interval = poll_interval
        self._max_interval = max_poll_interval
        self.status_check_interval = status_check_interval

    def done(self, page: PersonTrackingPage) -> PersonTrackingPage | None:
        """The status page if the job SUCCEEDED, None while it runs; raise if it failed."""
        if page.job_status == "SUCCEEDED":
            return page
        if page.job_status == "FAILED":
            raise JobFailedError(self.job_id, "FAILED", page.status_message)
        return None

    def _remaining(self) -> float:
        remaining = self.deadline - self._clock()
        if remaining <= 0:
            raise WaitTimeoutError(self.job_id, self.timeout, "IN_PROGRESS")
        return remaining

    def next_poll(self) -> float:
        """The pause before the next status poll; raises WaitTimeoutError past the deadline."""
        pause = min(self._remaining(), self._interval * (0.5 + 0.5 * self._random()))
        self._interval = min(self._max_interval, self._interval * 2)
        logger.debug("job %s in progress; next poll in %.1f s", self.job_id, pause)
        return pause

    def next_listen(self) -> float:
        """How long to wait on the queue before the next Get check; raises WaitTimeoutError past the deadline."""
        return min(self._remaining(), self.status_check_interval)

    @staticmethod
    def needs_status_message(failure: JobFailedError) -> bool:
        """A FAILED notification carries no reason: Get's StatusMessage has it."""
        return failure.status == "FAILED" and failure.status_message is None


def _make_client(
    session: boto3.Session | None, region_name: str | None, endpoint_url: str | None
) -> RekognitionClient:
    import boto3
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, user_agent_extra=USER_AGENT)
    sess = session or boto3.Session()
    return sess.client("rekognition", region_name=region_name, endpoint_url=endpoint_url, config=config)


class PersonTracker:
    """Start person tracking jobs, wait for them and read their detections.

    ``client`` is a boto3 Rekognition client; without one, a client is made from
    ``session`` (or the default session) with botocore's retries off, so that
    ``retry`` is the only retry layer. With an injected client, botocore's own
    retries (3 attempts in standard mode) run inside each of rekotrack's attempts.
    ``fast_path`` reads pages from the raw response bytes (see ``rekotrack._fastpath``);
    it falls back to botocore's parsing by itself when it cannot be used.
    """

    def __init__(
        self,
        client: RekognitionClient | None = None,
        *,
        session: boto3.Session | None = None,
        region_name: str | None = None,
        retry: RetryPolicy | None = None,
        endpoint_url: str | None = None,
        fast_path: bool = True,
    ) -> None:
        self.client: RekognitionClient = client or _make_client(session, region_name, endpoint_url)
        self.retry = retry or RetryPolicy()
        self._clock: Callable[[], float] = time.monotonic
        self.operation = PERSON_TRACKING
        self.fast_path = fast_path and _fastpath.install(self.client, self.operation.get_name)

    # ---- requests -------------------------------------------------------------

    def start(
        self,
        video: str | Video,
        *,
        notification: NotificationChannel | None = None,
        job_tag: str | None = None,
        client_request_token: str | None = None,
    ) -> TrackingJob:
        """Start tracking people in ``video`` (``s3://bucket/key[?versionId=v]`` or a Video).

        Every input is checked before any request. One ClientRequestToken is used for
        all attempts, so a retried Start never creates a second job.
        """
        token, params = prepare_start(
            video, notification=notification, job_tag=job_tag, client_request_token=client_request_token
        )
        job_id = call_with_retries(self.retry, self.operation.start_name, lambda: self._start(params))
        logger.debug("started job %s (token %s)", job_id, token)
        return TrackingJob(
            self,
            job_id,
            video=Video.model_validate(params["Video"]),
            job_tag=job_tag,
            client_request_token=token,
        )

    def get_page(
        self,
        job_id: str,
        next_token: str | None = None,
        max_results: int = 1000,
        sort_by: str = "TIMESTAMP",
    ) -> PersonTrackingPage:
        """One GetPersonTracking page, retried under the policy and checked for integrity."""
        params = build_get_request(job_id, next_token=next_token, max_results=max_results, sort_by=sort_by)
        return call_with_retries(self.retry, self.operation.get_name, lambda: self._get(params))

    def _start(self, params: dict[str, Any]) -> str:
        name = self.operation.start_name
        with unreadable_body(name):
            raw = self.client.start_person_tracking(**params)
        return job_id_from_start(raw, name)

    def _get(self, params: dict[str, Any]) -> PersonTrackingPage:
        with unreadable_body(self.operation.get_name):
            if self.fast_path:
                with _fastpath.active(self.operation.page_model):
                    raw = self.client.get_person_tracking(**params)
            else:
                raw = self.client.get_person_tracking(**params)
        return page_from_response(raw, self.operation)

    def status(self, job_id: str) -> PersonTrackingPage:
        """The job's status page (one Get with ``MaxResults=1``)."""
        return self.get_page(job_id, max_results=1)

    # ---- iteration ------------------------------------------------------------

    def persons(
        self,
        job_id: str,
        *,
        sort_by: str = "TIMESTAMP",
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
    ) -> PersonTrackingPager:
        """A lazy iterable of every detection of a finished job, one page in memory at a time."""
        check_pager_request(job_id, sort_by, page_size)
        return PersonTrackingPager(
            lambda token, size: self.get_page(job_id, token, size, sort_by),
            job_id=job_id,
            sort_by=sort_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
        )

    def pages(
        self, job_id: str, *, sort_by: str = "TIMESTAMP", page_size: int = 1000
    ) -> Iterator[PersonTrackingPage]:
        """Every page of a finished job, lazily."""
        return self.persons(job_id, sort_by=sort_by, page_size=page_size).pages()

    def collect(self, job_id: str, *, sort_by: str = "TIMESTAMP", page_size: int = 1000) -> TrackingResult:
        """Every detection of a finished job in a compact :class:`TrackingResult`."""
        from ._results import TrackingResult

        pager = self.persons(job_id, sort_by=sort_by, page_size=page_size)
        return TrackingResult.from_pager(pager, job_id=job_id)

    # ---- batches --------------------------------------------------------------

    def track_many(
        self,
        videos: Iterable[VideoT],
        *,
        queue: CompletionQueue,
        max_concurrent: int = 20,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        job_tag: str | None = None,
        status_check_interval: float = 300.0,
    ) -> Iterator[tuple[VideoT, TrackingJob | RekotrackError]]:
        """Start a batch under the concurrent-job limit; yield ``(video, outcome)`` as each ends.

        See :func:`rekotrack._completion.track_many`.
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

    def wait(
        self,
        job_id: str,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        *,
        queue: CompletionSource | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        status_check_interval: float = 300.0,
        on_status: Callable[[PersonTrackingPage], None] | None = None,
    ) -> PersonTrackingPage:
        """Wait until the job ends; return its status page when it SUCCEEDED.

        Without ``queue`` it polls Get (``MaxResults=1``) from ``poll_interval``
        doubling to ``max_poll_interval``, with jitter. With a ``queue`` it waits
        on completion notifications and also checks Get every
        ``status_check_interval`` seconds, so a lost message or a reused token
        (which sends none) cannot hang it. Raises :class:`JobFailedError` or
        :class:`WaitTimeoutError` (``timeout`` is seconds). ``on_status`` is
        called with each status page (e.g. to show progress).
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
            return self._wait_on_queue(plan, queue, on_status)
        while True:
            page = plan.done(self._status_seen(job_id, on_status))
            if page is not None:
                return page
            self.retry.sleep(plan.next_poll())

    def _status_seen(
        self, job_id: str, on_status: Callable[[PersonTrackingPage], None] | None
    ) -> PersonTrackingPage:
        page = self.status(job_id)
        if on_status is not None:
            on_status(page)
        return page

    def _wait_on_queue(
        self,
        plan: WaitPlan,
        queue: CompletionSource,
        on_status: Callable[[PersonTrackingPage], None] | None,
    ) -> PersonTrackingPage:
        job_id = plan.job_id
        page = plan.done(self._status_seen(job_id, on_status))
        if page is not None:
            return page
        while True:
            listen = plan.next_listen()
            try:
                queue.wait_for(job_id, listen)
            except WaitTimeoutError:
                page = plan.done(self._status_seen(job_id, on_status))
                if page is not None:
                    logger.warning(NO_MESSAGE_WARNING, job_id)
                    queue.discard(job_id)  # a late message is deleted, not left circulating
                    return page
                continue
            except JobFailedError as failure:
                if plan.needs_status_message(failure):
                    message = self.status(job_id).status_message
                    raise JobFailedError(job_id, failure.status, message) from failure
                raise
            return self.status(job_id)


class TrackingJob:
    """A started job: its id, and shortcuts to wait for and read it."""

    def __init__(
        self,
        tracker: PersonTracker,
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
        return f"TrackingJob(job_id={self.job_id!r}, video={self.video.uri if self.video else None!r})"

    def status(self) -> str:
        """The job's current JobStatus (IN_PROGRESS, SUCCEEDED or FAILED)."""
        return str(self.tracker.status(self.job_id).job_status)

    def wait(
        self, timeout: float = DEFAULT_WAIT_TIMEOUT, *, queue: CompletionSource | None = None, **kwargs: Any
    ) -> PersonTrackingPage:
        """Wait for the job to end; see :meth:`PersonTracker.wait`."""
        return self.tracker.wait(self.job_id, timeout, queue=queue, **kwargs)

    def persons(
        self,
        *,
        sort_by: str = "TIMESTAMP",
        page_size: int = 1000,
        starting_token: str | None = None,
        max_items: int | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        queue: CompletionSource | None = None,
    ) -> PersonTrackingPager:
        """Wait for the job (up to ``timeout`` s), then iterate its detections lazily."""
        self.wait(timeout, queue=queue)
        return self.tracker.persons(
            self.job_id,
            sort_by=sort_by,
            page_size=page_size,
            starting_token=starting_token,
            max_items=max_items,
        )

    def pages(
        self, *, sort_by: str = "TIMESTAMP", page_size: int = 1000, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> Iterator[PersonTrackingPage]:
        """Wait for the job, then iterate its pages lazily."""
        self.wait(timeout)
        return self.tracker.pages(self.job_id, sort_by=sort_by, page_size=page_size)

    def collect(
        self,
        *,
        sort_by: str = "TIMESTAMP",
        page_size: int = 1000,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        queue: CompletionSource | None = None,
    ) -> TrackingResult:
        """Wait for the job, then gather every detection in a :class:`TrackingResult`."""
        self.wait(timeout, queue=queue)
        return self.tracker.collect(self.job_id, sort_by=sort_by, page_size=page_size)
