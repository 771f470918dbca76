"""The public surface: a pinned, sorted __all__, a NullHandler, and an import that talks to nobody."""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import sys
import types
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
import tomllib

import rekotrack

PUBLIC = [
    "CSV_COLUMNS",
    "APIError",
    "AccessDeniedError",
    "AgeRange",
    "AsyncCelebrityRecognitionJob",
    "AsyncCelebrityRecognizer",
    "AsyncCompletionQueue",
    "AsyncCompletionSource",
    "AsyncContentModerationJob",
    "AsyncContentModerator",
    "AsyncFaceDetectionJob",
    "AsyncFaceDetector",
    "AsyncFaceSearchJob",
    "AsyncFaceSearcher",
    "AsyncLabelDetectionJob",
    "AsyncLabelDetector",
    "AsyncPersonTracker",
    "AsyncPersonTrackingPager",
    "AsyncSegmentDetectionJob",
    "AsyncSegmentDetector",
    "AsyncTextDetectionJob",
    "AsyncTextDetector",
    "AsyncTrackingJob",
    "AudioMetadata",
    "Beard",
    "BlackFrame",
    "BoundingBox",
    "CelebrityDetail",
    "CelebrityRecognition",
    "CelebrityRecognitionJob",
    "CelebrityRecognitionPage",
    "CelebrityRecognizer",
    "CelebrityResult",
    "CompletionNotification",
    "CompletionQueue",
    "CompletionSource",
    "ContentModerationDetection",
    "ContentModerationJob",
    "ContentModerationPage",
    "ContentModerator",
    "ContentType",
    "DetectionFilter",
    "DominantColor",
    "Emotion",
    "EyeDirection",
    "EyeOpen",
    "Eyeglasses",
    "Face",
    "FaceDetail",
    "FaceDetection",
    "FaceDetectionJob",
    "FaceDetectionPage",
    "FaceDetector",
    "FaceMatch",
    "FaceOccluded",
    "FaceResult",
    "FaceSearchJob",
    "FaceSearchPage",
    "FaceSearchResult",
    "FaceSearcher",
    "Gender",
    "GeneralLabelsSettings",
    "Geometry",
    "GetContentModerationRequestMetadata",
    "GetLabelDetectionRequestMetadata",
    "IdempotentParameterMismatchError",
    "ImageQuality",
    "Instance",
    "InternalServerError",
    "Interval",
    "InvalidPaginationTokenError",
    "InvalidParameterError",
    "InvalidS3ObjectError",
    "JobFailedError",
    "JobInProgressError",
    "KnownGender",
    "Label",
    "LabelAlias",
    "LabelCategory",
    "LabelDetection",
    "LabelDetectionJob",
    "LabelDetectionPage",
    "LabelDetectionSettings",
    "LabelDetector",
    "LabelResult",
    "Landmark",
    "LimitExceededError",
    "MalformedResponseError",
    "ModerationLabel",
    "ModerationResult",
    "MouthOpen",
    "Mustache",
    "NotificationChannel",
    "NotificationParseError",
    "NotificationVideo",
    "PaginationError",
    "Parent",
    "PersonDetail",
    "PersonDetection",
    "PersonMatch",
    "PersonTrack",
    "PersonTracker",
    "PersonTrackingPage",
    "PersonTrackingPager",
    "Point",
    "Pose",
    "ProvisionedThroughputExceededError",
    "RegionOfInterest",
    "RekotrackError",
    "RequestValidationError",
    "ResourceNotFoundError",
    "ResultFileError",
    "RetryPolicy",
    "S3Object",
    "SegmentDetection",
    "SegmentDetectionJob",
    "SegmentDetectionPage",
    "SegmentDetector",
    "SegmentResult",
    "SegmentTypeInfo",
    "Shot",
    "ShotSegment",
    "Smile",
    "StartCelebrityRecognitionResponse",
    "StartContentModerationResponse",
    "StartFaceDetectionResponse",
    "StartFaceSearchResponse",
    "StartLabelDetectionResponse",
    "StartPersonTrackingResponse",
    "StartSegmentDetectionFilters",
    "StartSegmentDetectionResponse",
    "StartShotDetectionFilter",
    "StartTechnicalCueDetectionFilter",
    "StartTextDetectionFilters",
    "StartTextDetectionResponse",
    "Sunglasses",
    "TechnicalCue",
    "TechnicalCueSegment",
    "TextDetection",
    "TextDetectionJob",
    "TextDetectionPage",
    "TextDetectionResult",
    "TextDetector",
    "TextResult",
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
PACKAGE_DIR = Path(rekotrack.__file__).parent


def test_all_is_pinned() -> None:
    """A public name changes only on purpose (with a deprecation path): update this list then."""
    assert rekotrack.__all__ == PUBLIC


def test_all_is_sorted_and_unique() -> None:
    # Sorted as ruff's RUF022 sorts (isort style): CONSTANTS, then Classes, then functions.
    def key(name: str) -> tuple[int, str]:
        kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
        return (kind, name)

    assert rekotrack.__all__ == sorted(rekotrack.__all__, key=key)
    assert len(set(rekotrack.__all__)) == len(rekotrack.__all__)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_name_is_importable(name: str) -> None:
    namespace: dict[str, Any] = {}
    exec(f"from rekotrack import {name}", namespace)
    assert namespace[name] is getattr(rekotrack, name)
    obj = namespace[name]
    if isinstance(obj, type) or callable(obj):
        assert obj.__module__.startswith("rekotrack"), f"{name} comes from {obj.__module__}"


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, Any] = {}
    exec("from rekotrack import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(PUBLIC)


def test_nothing_public_is_left_out_of_all() -> None:
    public = {
        name
        for name, obj in vars(rekotrack).items()
        if not name.startswith("_")
        and not isinstance(obj, types.ModuleType)
        and getattr(obj, "__module__", "").startswith("rekotrack")
    }
    assert public <= set(rekotrack.__all__)


def test_version_matches_the_project() -> None:
    project = tomllib.loads((PACKAGE_DIR.parents[1] / "pyproject.toml").read_text())["project"]
    assert "version" in project["dynamic"]  # hatch reads it from rekotrack/__init__.py
    assert rekotrack.__version__ == importlib.metadata.version("rekotrack")


def test_package_is_typed() -> None:
    assert (PACKAGE_DIR / "py.typed").is_file()


def test_logger_has_only_a_null_handler() -> None:
    logger = logging.getLogger("rekotrack")
    assert any(isinstance(h, logging.NullHandler) for h in logger.handlers)
    assert all(isinstance(h, logging.NullHandler) for h in logger.handlers)
    assert logger.propagate
    assert logger.level == logging.NOTSET  # the application decides what it sees


def test_import_creates_no_client_and_does_not_load_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("importing rekotrack must not create an AWS client or session")

    monkeypatch.setattr(boto3, "client", forbidden)
    monkeypatch.setattr(boto3, "resource", forbidden)
    monkeypatch.setattr(boto3.Session, "client", forbidden)
    monkeypatch.setattr(boto3.Session, "__init__", forbidden)
    monkeypatch.setattr(botocore.session.Session, "create_client", forbidden)

    saved = {name: mod for name, mod in sys.modules.items() if name == "rekotrack" or name.startswith("rekotrack.")}
    logger = logging.getLogger("rekotrack")
    handlers = list(logger.handlers)
    try:
        for name in saved:
            del sys.modules[name]
        before = set(sys.modules)
        fresh = importlib.import_module("rekotrack")
        assert fresh is not rekotrack
        assert fresh.__all__ == PUBLIC
        loaded = set(sys.modules) - before
        assert not [n for n in loaded if n.startswith(("rekotrack.testing", "moto"))], "SDK imported test tooling"
        importlib.reload(fresh)  # a reload talks to nobody either
    finally:
        for name in [n for n in sys.modules if n == "rekotrack" or n.startswith("rekotrack.")]:
            del sys.modules[name]
        sys.modules.update(saved)
        logger.handlers[:] = handlers
