"""Client-side validation: every input rule of the service model, checked before any request.

botocore checks types and ``min`` only; the patterns, maximum lengths,
``MaxResults <= 1000`` and ``SortBy`` values are checked here, from the shared
constraint table in :mod:`rekotrack._constraints`.
"""

from __future__ import annotations

from typing import Any

from . import _constraints as c
from ._errors import RequestValidationError
from ._models import NotificationChannel, Video

__all__ = ["build_get_request", "build_start_request", "parse_s3_uri", "to_video"]


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
    return parsed


def build_start_request(
    video: str | Video,
    *,
    notification: NotificationChannel | None,
    job_tag: str | None,
    client_request_token: str,
) -> dict[str, Any]:
    """The StartPersonTracking parameters, validated."""
    params: dict[str, Any] = {"Video": to_video(video).to_aws(), "ClientRequestToken": client_request_token}
    _check("ClientRequestToken", client_request_token, c.CLIENT_REQUEST_TOKEN)
    if notification is not None:
        if not isinstance(notification, NotificationChannel):
            raise RequestValidationError("NotificationChannel", "must be a NotificationChannel", notification)
        _check("NotificationChannel.SNSTopicArn", notification.sns_topic_arn, c.SNS_TOPIC_ARN)
        _check("NotificationChannel.RoleArn", notification.role_arn, c.ROLE_ARN)
        params["NotificationChannel"] = notification.to_aws()
    if job_tag is not None:
        _check("JobTag", job_tag, c.JOB_TAG)
        params["JobTag"] = job_tag
    return params


def check_job_id(job_id: str) -> None:
    """Check a JobId: 1-64 characters of ``[a-zA-Z0-9-_]``."""
    _check("JobId", job_id, c.JOB_ID)


def check_page_size(name: str, value: int) -> None:
    """Check a page size: an int from 1 to 1000 (the service would silently cap larger values)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestValidationError(name, "must be an int", value)
    if not 1 <= value <= c.MAX_RESULTS_LIMIT:
        raise RequestValidationError(name, f"must be between 1 and {c.MAX_RESULTS_LIMIT}", value)


def check_sort_by(sort_by: str) -> None:
    """Check SortBy: INDEX or TIMESTAMP."""
    _check("SortBy", sort_by, c.SORT_BY)


def build_get_request(
    job_id: str, *, next_token: str | None, max_results: int, sort_by: str
) -> dict[str, Any]:
    """The GetPersonTracking parameters, validated."""
    check_job_id(job_id)
    check_page_size("MaxResults", max_results)
    check_sort_by(sort_by)
    params: dict[str, Any] = {"JobId": job_id, "MaxResults": max_results, "SortBy": sort_by}
    if next_token is not None:
        _check("NextToken", next_token, c.PAGINATION_TOKEN)
        if next_token == "":
            raise RequestValidationError("NextToken", "must not be empty", next_token)
        params["NextToken"] = next_token
    return params
