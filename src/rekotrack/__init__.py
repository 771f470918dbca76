"""rekotrack: a typed SDK for Amazon Rekognition Video person tracking.

>>> from rekotrack import PersonTracker
>>> tracker = PersonTracker()                                  # doctest: +SKIP
>>> for det in tracker.start("s3://bucket/clip.mp4").persons(): # doctest: +SKIP
...     print(det.timestamp, det.person.index)

Importing ``rekotrack`` is cheap: each public name is imported from its module on
first use (``__getattr__`` below), so ``import rekotrack`` loads neither pydantic,
boto3 nor asyncio/aiobotocore, and the async client only when an ``Async…`` name is used.

Adding a public name: import it under ``TYPE_CHECKING`` (what type checkers and IDEs
read), list it under its module in ``_LAZY`` (what runs) and in the sorted ``__all__``;
``tests/test_packaging.py`` checks that the three agree. The names of the generated
models (every structure of the sixteen Video operations: pages, items, Start inputs...), the
Video job facades and their results are not written here: they are ONE generated list,
(from ``scripts/video_operations.py``): :mod:`rekotrack._generated.public`, star-imported for
type checkers and the API reference, and the same names as data,
``rekotrack._generated.operations.PUBLIC_NAMES``, merged into ``_LAZY`` and ``__all__`` below.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from ._generated import operations as _operations

__version__ = "0.1.0"

if TYPE_CHECKING:
    from ._aio import (
        AsyncCompletionQueue,
        AsyncCompletionSource,
        AsyncPersonTracker,
        AsyncPersonTrackingPager,
        AsyncTrackingJob,
    )
    from ._client import CompletionSource, PersonTracker, TrackingJob
    from ._completion import CompletionQueue
    from ._errors import (
        AccessDeniedError,
        APIError,
        IdempotentParameterMismatchError,
        InternalServerError,
        InvalidPaginationTokenError,
        InvalidParameterError,
        InvalidS3ObjectError,
        JobFailedError,
        JobInProgressError,
        LimitExceededError,
        MalformedResponseError,
        NotificationParseError,
        PaginationError,
        ProvisionedThroughputExceededError,
        RekotrackError,
        RequestValidationError,
        ResourceNotFoundError,
        ThrottlingError,
        VideoTooLargeError,
        WaitTimeoutError,
    )
    from ._exports import ResultFileError
    from ._generated.public import *  # noqa: F403 (the generated public names)
    from ._job_results import (
        Interval,
        Shot,
        TechnicalCue,
    )
    from ._models import CompletionNotification, NotificationVideo
    from ._notifications import parse_lambda_event, parse_notification
    from ._pagination import PersonTrackingPager
    from ._plots import plot_paths, plot_presence
    from ._results import (
        CSV_COLUMNS,
        PersonTrack,
        TrackingResult,
        mot_frame,
        read_jsonl,
        write_csv,
        write_jsonl,
        write_mot,
    )
    from ._retry import RetryPolicy, TransportError
    from ._validation import parse_s3_uri

# Where each public name lives: the module is imported when the name is first used.
_LAZY: dict[str, tuple[str, ...]] = {
    "._aio": (
        "AsyncCompletionQueue", "AsyncCompletionSource", "AsyncPersonTracker", "AsyncPersonTrackingPager",
        "AsyncTrackingJob",
    ),
    "._client": ("CompletionSource", "PersonTracker", "TrackingJob"),
    "._completion": ("CompletionQueue",),
    "._errors": (
        "AccessDeniedError", "APIError", "IdempotentParameterMismatchError", "InternalServerError",
        "InvalidPaginationTokenError", "InvalidParameterError", "InvalidS3ObjectError", "JobFailedError",
        "JobInProgressError", "LimitExceededError", "MalformedResponseError", "NotificationParseError",
        "PaginationError", "ProvisionedThroughputExceededError", "RekotrackError", "RequestValidationError",
        "ResourceNotFoundError", "ThrottlingError", "VideoTooLargeError", "WaitTimeoutError",
    ),
    "._exports": ("ResultFileError",),
    "._job_results": ("Interval", "Shot", "TechnicalCue"),
    "._models": ("CompletionNotification", "NotificationVideo"),
    "._notifications": ("parse_lambda_event", "parse_notification"),
    "._pagination": ("PersonTrackingPager",),
    "._plots": ("plot_paths", "plot_presence"),
    "._results": (
        "CSV_COLUMNS", "PersonTrack", "TrackingResult", "mot_frame", "read_jsonl", "write_csv", "write_jsonl",
        "write_mot",
    ),
    "._retry": ("RetryPolicy", "TransportError"),
    "._validation": ("parse_s3_uri",),
}
for _module, _names in _operations.PUBLIC_NAMES.items():  # the generated names (one list, generated)
    _LAZY[_module] = _LAZY.get(_module, ()) + _names
_MODULE_OF = {name: module for module, names in _LAZY.items() for name in names}

logging.getLogger("rekotrack").addHandler(logging.NullHandler())

if not TYPE_CHECKING:  # hidden from type checkers, so that a misspelt name is still an error there

    def __getattr__(name: str) -> Any:
        module = _MODULE_OF.get(name)
        if module is None:
            raise AttributeError(f"module 'rekotrack' has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value  # the next lookup does not come here
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "CSV_COLUMNS",
    "APIError",
    "AccessDeniedError",
    "AsyncCompletionQueue",
    "AsyncCompletionSource",
    "AsyncPersonTracker",
    "AsyncPersonTrackingPager",
    "AsyncTrackingJob",
    "CompletionNotification",
    "CompletionQueue",
    "CompletionSource",
    "IdempotentParameterMismatchError",
    "InternalServerError",
    "Interval",
    "InvalidPaginationTokenError",
    "InvalidParameterError",
    "InvalidS3ObjectError",
    "JobFailedError",
    "JobInProgressError",
    "LimitExceededError",
    "MalformedResponseError",
    "NotificationParseError",
    "NotificationVideo",
    "PaginationError",
    "PersonTrack",
    "PersonTracker",
    "PersonTrackingPager",
    "ProvisionedThroughputExceededError",
    "RekotrackError",
    "RequestValidationError",
    "ResourceNotFoundError",
    "ResultFileError",
    "RetryPolicy",
    "Shot",
    "TechnicalCue",
    "ThrottlingError",
    "TrackingJob",
    "TrackingResult",
    "TransportError",
    "VideoTooLargeError",
    "WaitTimeoutError",
    "__version__",
    "mot_frame",
    "parse_lambda_event",
    "parse_notification",
    "parse_s3_uri",
    "plot_paths",
    "plot_presence",
    "read_jsonl",
    "write_csv",
    "write_jsonl",
    "write_mot",
]
__all__ += [name for names in _operations.PUBLIC_NAMES.values() for name in names]
__all__.sort(key=lambda name: (0 if name.isupper() else 1 if name[:1].isupper() else 2, name))  # as ruff sorts
