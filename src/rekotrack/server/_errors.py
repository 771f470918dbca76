"""The errors the server answers: codes from the SDK's one error table, statuses, messages, bodies.

The codes a Rekognition operation declares come from :data:`rekotrack._errors.ERROR_CLASSES`
(the table the SDK maps to exception classes); the server adds only the protocol-level codes
that no operation declares (a body that is not JSON, an unknown ``X-Amz-Target``, a body too
large, a request too slow) and the SigV4 codes of :mod:`rekotrack.selfhosted.service._sigv4`.
"""

from __future__ import annotations

import json
from typing import Final

from rekotrack._errors import ERROR_CLASSES

__all__ = [
    "DEFAULT_MESSAGES",
    "ERROR_STATUS",
    "PROTOCOL_ERRORS",
    "TRANSPORT_ERRORS",
    "ApiError",
    "error_body",
    "error_status",
]

PROTOCOL_ERRORS: Final[dict[str, int]] = {
    "SerializationException": 400,
    "UnknownOperationException": 400,
}
"""Codes of the JSON 1.1 protocol itself, with their HTTP status (no operation declares them)."""

TRANSPORT_ERRORS: Final[dict[str, int]] = {
    "RequestEntityTooLargeException": 413,
    "RequestTimeoutException": 408,
}
"""Answers of the HTTP front before a request reaches an operation (the body too large or too slow)."""

_FAULTS: Final = frozenset({"InternalServerError"})  # the service model marks these "fault": HTTP 500

ERROR_STATUS: Final[dict[str, int]] = {
    **{code: 500 if code in _FAULTS else 400 for code in sorted(ERROR_CLASSES)},
    **PROTOCOL_ERRORS,
}
"""Every error code an operation may answer (the SDK's table plus the protocol codes), with its HTTP status."""

DEFAULT_MESSAGES: Final[dict[str, str]] = {
    "AccessDeniedException": "You are not authorized to perform the action.",
    "InternalServerError": "Amazon Rekognition experienced a service issue. Try your call again.",
    "ProvisionedThroughputExceededException": "The number of requests exceeded your throughput limit.",
    "ThrottlingException": "Amazon Rekognition is temporarily unable to process the request. Try your call again.",
    "InvalidS3ObjectException": "Unable to get object metadata from S3. Check object key, region and/or access "
    "permissions.",
    "VideoTooLargeException": "The file size or duration of the supplied media is too large. The maximum file "
    "size is 10GB. The maximum duration is 6 hours.",
    "RequestEntityTooLargeException": "The request body is too large.",
    "RequestTimeoutException": "The request was not received in time.",
}


def error_status(code: str) -> int:
    """The HTTP status of ``code`` (400 for a code the tables do not know)."""
    return ERROR_STATUS.get(code) or TRANSPORT_ERRORS.get(code) or 400


class ApiError(Exception):
    """An error answer: ``code`` (``__type``), ``message`` and HTTP ``status``."""

    def __init__(self, code: str, message: str | None = None, *, status: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message if message is not None else DEFAULT_MESSAGES.get(code, code)
        self.status = status if status is not None else error_status(code)


def error_body(code: str, message: str, request_id: str) -> bytes:
    """The body Rekognition sends: ``__type`` and the modelled ``Code``/``Message``/``Logref`` members.

    ``message`` is sent under both spellings: botocore reads ``message``/``Message``, the AWS SDK
    for JavaScript reads ``Message``; ``Logref`` is the request id, as in the service.
    """
    body = {"__type": code, "Code": code, "Message": message, "message": message, "Logref": request_id}
    return json.dumps(body).encode()
