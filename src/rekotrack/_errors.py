"""rekotrack's exceptions, and the one table from AWS error code to class.

Every error code that any of the sixteen Rekognition Video Start*/Get*
operations declares in botocore's service model (generated into
:mod:`rekotrack._generated.errors`) has its own class here, written out by hand
(``tests/unit/test_errors.py`` proves the table and the model agree); an unknown
code becomes a plain :class:`APIError`. The botocore exception is kept as
``__cause__``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._generated.errors import OPERATION_ERRORS

__all__ = [
    "ERROR_CLASSES",
    "APIError",
    "AccessDeniedError",
    "IdempotentParameterMismatchError",
    "InternalServerError",
    "InvalidPaginationTokenError",
    "InvalidParameterError",
    "InvalidS3ObjectError",
    "JobFailedError",
    "JobInProgressError",
    "LimitExceededError",
    "MalformedResponseError",
    "NotificationParseError",
    "PaginationError",
    "ProvisionedThroughputExceededError",
    "RekotrackError",
    "RequestValidationError",
    "ResourceNotFoundError",
    "ThrottlingError",
    "TransportError",
    "VideoTooLargeError",
    "WaitTimeoutError",
    "api_error_from_response",
    "errors_for",
]


class RekotrackError(Exception):
    """Base of every error rekotrack raises."""


class RequestValidationError(RekotrackError, ValueError):
    """A request parameter breaks the service's rules; raised before any request is sent."""

    def __init__(self, parameter: str, rule: str, value: object) -> None:
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"{parameter} {rule} (got {shown})")
        self.parameter = parameter
        self.rule = rule
        self.value = value


class APIError(RekotrackError):
    """The service (or the HTTP layer under it) answered with an error.

    ``attempts`` is how many times rekotrack sent the request before giving up.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        operation: str | None = None,
        request_id: str | None = None,
        http_status: int | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.operation = operation
        self.request_id = request_id
        self.http_status = http_status
        self.attempts = attempts

    def __str__(self) -> str:
        where = f" in {self.operation}" if self.operation else ""
        code = f"{self.code}: " if self.code else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{code}{self.message}{where}{tries}"


class AccessDeniedError(APIError):
    """AccessDeniedException: the caller may not perform the action."""


class IdempotentParameterMismatchError(APIError):
    """IdempotentParameterMismatchException: a ClientRequestToken was reused with other parameters."""


class InternalServerError(APIError):
    """InternalServerError: the service failed; retried."""


class InvalidParameterError(APIError):
    """InvalidParameterException: the service rejected an input parameter."""


class InvalidS3ObjectError(APIError):
    """InvalidS3ObjectException: the S3 object does not exist or cannot be read."""


class InvalidPaginationTokenError(APIError):
    """InvalidPaginationTokenException: the NextToken is invalid or expired."""


class LimitExceededError(APIError):
    """LimitExceededException: too many concurrent jobs (about 20 per account)."""


class ProvisionedThroughputExceededError(APIError):
    """ProvisionedThroughputExceededException: the request rate is too high; retried."""


class ResourceNotFoundError(APIError):
    """ResourceNotFoundException: unknown job, or results older than 7 days."""


class ThrottlingError(APIError):
    """ThrottlingException: the request rate is too high; retried."""


class VideoTooLargeError(APIError):
    """VideoTooLargeException: the video is longer or bigger than the service allows."""


class TransportError(APIError):
    """The request got no usable HTTP answer: connection refused or dropped, or a timeout; retried."""


class MalformedResponseError(APIError):
    """A 200 response that is not a usable page (no JobStatus, not a JSON object, truncated)."""


# The one table: AWS error code -> rekotrack class.
ERROR_CLASSES: dict[str, type[APIError]] = {
    "AccessDeniedException": AccessDeniedError,
    "IdempotentParameterMismatchException": IdempotentParameterMismatchError,
    "InternalServerError": InternalServerError,
    "InvalidParameterException": InvalidParameterError,
    "InvalidPaginationTokenException": InvalidPaginationTokenError,
    "InvalidS3ObjectException": InvalidS3ObjectError,
    "LimitExceededException": LimitExceededError,
    "ProvisionedThroughputExceededException": ProvisionedThroughputExceededError,
    "ResourceNotFoundException": ResourceNotFoundError,
    "ThrottlingException": ThrottlingError,
    "VideoTooLargeException": VideoTooLargeError,
}


def errors_for(operation: str) -> dict[str, type[APIError]]:
    """The error codes ``operation`` declares (one of the sixteen Start*/Get*) -> their classes."""
    codes = OPERATION_ERRORS.get(operation)
    if codes is None:
        raise ValueError(f"unknown operation {operation!r}")
    return {code: ERROR_CLASSES[code] for code in codes}


def api_error_from_response(
    response: dict[str, Any], operation: str, attempts: int = 1, classes: Mapping[str, type[APIError]] | None = None
) -> APIError:
    """Build the typed error for a botocore error response (``ClientError.response``).

    ``classes`` is the table to read the code in (an operation's, :func:`errors_for`);
    by default the one table of every code.
    """
    error = response.get("Error") or {}
    meta = response.get("ResponseMetadata") or {}
    code = str(error.get("Code") or "") or None
    cls = (ERROR_CLASSES if classes is None else classes).get(code or "", APIError)
    return cls(
        str(error.get("Message") or code or "unknown error"),
        code=code,
        operation=operation,
        request_id=meta.get("RequestId"),
        http_status=meta.get("HTTPStatusCode"),
        attempts=attempts,
    )


class JobFailedError(RekotrackError):
    """The job ended FAILED (or its notification said ERROR)."""

    def __init__(self, job_id: str, status: str, status_message: str | None) -> None:
        super().__init__(f"job {job_id} ended {status}: {status_message or 'no message'}")
        self.job_id = job_id
        self.status = status
        self.status_message = status_message


class JobInProgressError(RekotrackError):
    """Results were asked of a job that is still IN_PROGRESS."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id} is still IN_PROGRESS; wait() for it first")
        self.job_id = job_id


class WaitTimeoutError(RekotrackError, TimeoutError):
    """A wait reached its deadline. ``job_id`` lets the caller wait again later."""

    def __init__(self, job_id: str | None, timeout: float, last_status: str | None = None) -> None:
        what = f"job {job_id}" if job_id else "the wait"
        seen = f" (last status {last_status})" if last_status else ""
        super().__init__(f"{what} did not end within {timeout:g} s{seen}")
        self.job_id = job_id
        self.timeout = timeout
        self.last_status = last_status


class PaginationError(RekotrackError):
    """The service repeated a NextToken; following it would loop forever."""


class NotificationParseError(RekotrackError, ValueError):
    """A completion message could not be read. ``layer`` says which envelope failed."""

    def __init__(self, layer: str, reason: str) -> None:
        super().__init__(f"cannot parse notification ({layer}): {reason}")
        self.layer = layer
        self.reason = reason
