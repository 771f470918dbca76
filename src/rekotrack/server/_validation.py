"""Request validation as the service answers it, from the SDK's constraint table.

Member types are checked first (the service's SerializationException-free wording for a wrong
type), then :func:`rekotrack._constraints.check_request`: the same table the SDK checks before
it sends anything. Problems are reported in the service's words::

    1 validation error detected: Value 'x' at 'SortBy' failed to satisfy constraint: Member must ...
"""

from __future__ import annotations

from typing import Any, Final

from rekotrack._constraints import check_request
from rekotrack._members import member_at
from rekotrack.server._errors import ApiError

__all__ = ["EXPECTED_TYPES", "validate"]

EXPECTED_TYPES: Final[dict[str, dict[str, type]]] = {
    "StartPersonTracking": {
        "Video": dict,
        "Video.S3Object": dict,
        "Video.S3Object.Bucket": str,
        "Video.S3Object.Name": str,
        "Video.S3Object.Version": str,
        "ClientRequestToken": str,
        "JobTag": str,
        "NotificationChannel": dict,
        "NotificationChannel.SNSTopicArn": str,
        "NotificationChannel.RoleArn": str,
    },
    "GetPersonTracking": {"JobId": str, "MaxResults": int, "NextToken": str, "SortBy": str},
}
"""Member path → JSON type, per operation (what botocore's serializer would have sent)."""

_TYPE_NAMES: Final[dict[type, str]] = {dict: "structure", str: "string", int: "integer"}


def _show(value: object) -> str:
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def validate(operation: str, params: dict[str, Any]) -> None:
    """Raise InvalidParameterException listing every problem of ``params`` for ``operation``."""
    problems: list[str] = []
    for path, expected in EXPECTED_TYPES.get(operation, {}).items():
        present, value = member_at(params, path)
        if present and (not isinstance(value, expected) or isinstance(value, bool)):
            problems.append(
                f"Value {_show(value)} at '{path}' failed to satisfy constraint: "
                f"Member must be of type {_TYPE_NAMES[expected]}"
            )
    if not problems:
        for path, value, problem in check_request(operation, params):
            member = "Member must not be null" if problem == "is required" else f"Member {problem}"
            problems.append(f"Value {_show(value)} at '{path}' failed to satisfy constraint: {member}")
    if problems:
        noun = "error" if len(problems) == 1 else "errors"
        raise ApiError(
            "InvalidParameterException", f"{len(problems)} validation {noun} detected: " + "; ".join(problems)
        )
