"""rekotrack: a typed SDK for Amazon Rekognition Video person tracking.

>>> from rekotrack import PersonTracker
>>> tracker = PersonTracker()                                  # doctest: +SKIP
>>> for det in tracker.start("s3://bucket/clip.mp4").persons(): # doctest: +SKIP
...     print(det.timestamp, det.person.index)
"""

from __future__ import annotations

import logging

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
from ._models import (
    AgeRange,
    Beard,
    BoundingBox,
    CompletionNotification,
    Emotion,
    EyeDirection,
    Eyeglasses,
    EyeOpen,
    FaceDetail,
    FaceOccluded,
    Gender,
    ImageQuality,
    Landmark,
    MouthOpen,
    Mustache,
    NotificationChannel,
    NotificationVideo,
    PersonDetail,
    PersonDetection,
    PersonTrackingPage,
    Pose,
    S3Object,
    Smile,
    Sunglasses,
    Video,
    VideoMetadata,
)
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

__version__ = "0.1.0"

logging.getLogger("rekotrack").addHandler(logging.NullHandler())

__all__ = [
    "CSV_COLUMNS",
    "APIError",
    "AccessDeniedError",
    "AgeRange",
    "AsyncCompletionQueue",
    "AsyncCompletionSource",
    "AsyncPersonTracker",
    "AsyncPersonTrackingPager",
    "AsyncTrackingJob",
    "Beard",
    "BoundingBox",
    "CompletionNotification",
    "CompletionQueue",
    "CompletionSource",
    "Emotion",
    "EyeDirection",
    "EyeOpen",
    "Eyeglasses",
    "FaceDetail",
    "FaceOccluded",
    "Gender",
    "IdempotentParameterMismatchError",
    "ImageQuality",
    "InternalServerError",
    "InvalidPaginationTokenError",
    "InvalidParameterError",
    "InvalidS3ObjectError",
    "JobFailedError",
    "JobInProgressError",
    "Landmark",
    "LimitExceededError",
    "MalformedResponseError",
    "MouthOpen",
    "Mustache",
    "NotificationChannel",
    "NotificationParseError",
    "NotificationVideo",
    "PaginationError",
    "PersonDetail",
    "PersonDetection",
    "PersonTrack",
    "PersonTracker",
    "PersonTrackingPage",
    "PersonTrackingPager",
    "Pose",
    "ProvisionedThroughputExceededError",
    "RekotrackError",
    "RequestValidationError",
    "ResourceNotFoundError",
    "RetryPolicy",
    "S3Object",
    "Smile",
    "Sunglasses",
    "ThrottlingError",
    "TrackingJob",
    "TrackingResult",
    "TransportError",
    "Video",
    "VideoMetadata",
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
