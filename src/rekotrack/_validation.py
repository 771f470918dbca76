"""Client-side checks of single inputs, made before any request: videos, JobIds, sizes, timeouts.

The operation-wide checks (every member of a Start or Get request against the
operation's constraint table) are :mod:`rekotrack._core._requests`.
"""

from __future__ import annotations

import math
import re

from . import _constraints as c
from ._errors import RequestValidationError
from ._models import Video

__all__ = [
    "check_chosen",
    "check_count",
    "check_interval",
    "check_job_id",
    "check_page_size",
    "check_region_name",
    "check_timeout",
    "parse_s3_uri",
    "to_video",
]


def _check(name: str, value: object, constraint: c.Constraint) -> None:
    problem = constraint.problem(value)
    if problem is not None:
        raise RequestValidationError(name, problem, value)


def parse_s3_uri(uri: str) -> Video:
    """Parse ``s3://bucket/key`` (optionally ``?versionId=...``) strictly into a :class:`Video`.

    The key and version are taken literally, as the AWS CLI does: no percent-decoding,
    and ``+`` stays ``+``. A key that itself contains ``?`` needs :meth:`Video.from_s3`.
    """
    if not isinstance(uri, str):
        raise RequestValidationError("video", "must be an s3:// URI or a Video", uri)
    if not uri.startswith("s3://"):
        raise RequestValidationError("video", "must start with s3://", uri)
    rest, sep, query = uri[len("s3://") :].partition("?")
    version: str | None = None
    if sep:
        name, equals, version = query.partition("=")
        if name != "versionId" or not equals or "&" in version:
            raise RequestValidationError("video", "accepts only one ?versionId= query parameter", uri)
    bucket, slash, key = rest.partition("/")
    if not slash or not key:
        raise RequestValidationError("video", "must name an object: s3://bucket/key", uri)
    return Video.from_s3(bucket, key, version)


def to_video(video: str | Video) -> Video:
    """Accept an ``s3://`` URI or a :class:`Video`, and check it against the service rules."""
    parsed = video if isinstance(video, Video) else parse_s3_uri(video)
    obj = parsed.s3_object
    if obj is None:
        raise RequestValidationError("Video.S3Object", "is required", video)
    _check("Video.S3Object.Bucket", obj.bucket, c.S3_BUCKET)
    _check("Video.S3Object.Name", obj.name, c.S3_OBJECT_NAME)
    if obj.version is not None:
        _check("Video.S3Object.Version", obj.version, c.S3_OBJECT_VERSION)
    for name, value in (("Video.S3Object.Name", obj.name), ("Video.S3Object.Version", obj.version)):
        if value is not None and "\x00" in value:
            raise RequestValidationError(name, "must not contain a NUL character", value)
    return parsed


def check_job_id(job_id: str) -> None:
    """Check a JobId: 1-64 characters of ``[a-zA-Z0-9-_]``."""
    _check("JobId", job_id, c.JOB_ID)


def check_page_size(name: str, value: int, limit: int = c.MAX_RESULTS_LIMIT) -> None:
    """Check a page size: an int from 1 to ``limit`` (the service would silently cap larger values)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestValidationError(name, "must be an int", value)
    if not 1 <= value <= limit:
        raise RequestValidationError(name, f"must be between 1 and {limit}", value)


def check_chosen(name: str, value: object, choices: str) -> None:
    """Refuse ``None`` for a parameter whose default is a value (``sort_by="TIMESTAMP"``): sending the default
    instead would hide the caller's mistake."""
    if value is None:
        raise RequestValidationError(name, f"must be {choices}, not None (leave it out for the default)", value)


_REGION = re.compile(r"^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$")  # botocore's validate_region_name


def check_region_name(value: object) -> str:
    """Check an AWS region name (``us-west-2``): a host label of letters, digits and inner hyphens, at most 63
    characters (botocore's rule, checked here so that a typo is a usage error before any client is made)."""
    if not isinstance(value, str) or _REGION.match(value) is None:
        raise RequestValidationError(
            "region", "must be a region name such as us-east-1 (letters, digits and inner hyphens)", value)
    return value


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestValidationError(name, "must be a number of seconds", value)
    seconds = float(value)
    if not math.isfinite(seconds):
        raise RequestValidationError(name, "must be a finite number of seconds", value)
    return seconds


def check_timeout(value: object, name: str = "timeout") -> float:
    """Check a deadline: a finite number of seconds >= 0 (0 checks once); the value as a float."""
    seconds = _seconds(name, value)
    if seconds < 0:
        raise RequestValidationError(name, "must be >= 0 seconds", value)
    return seconds


def check_interval(name: str, value: object) -> float:
    """Check a pause between checks: a finite number of seconds > 0; the value as a float."""
    seconds = _seconds(name, value)
    if seconds <= 0:
        raise RequestValidationError(name, "must be > 0 seconds", value)
    return seconds


def check_count(name: str, value: object, least: int = 1) -> int:
    """Check a whole number >= ``least``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestValidationError(name, "must be an int", value)
    if value < least:
        raise RequestValidationError(name, f"must be >= {least}", value)
    return value


