"""Which errors are retried, and how: pure decisions shared by every client and every driver."""

from __future__ import annotations

from typing import Literal

from rekotrack._errors import (
    APIError,
    InternalServerError,
    LimitExceededError,
    MalformedResponseError,
    ProvisionedThroughputExceededError,
    ThrottlingError,
    TransportError,
)

__all__ = ["RetryKind", "is_throttling_code", "retry_kind"]

RetryKind = Literal["transient", "limit"]

_TRANSIENT: tuple[type[APIError], ...] = (
    ThrottlingError,
    ProvisionedThroughputExceededError,
    InternalServerError,
    MalformedResponseError,
    TransportError,
)

# Throttling codes SNS and SQS answer with (query-compatible SQS codes may carry a
# "AWS.SimpleQueueService." prefix). They become ThrottlingError, which the policy retries.
_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "Throttled",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "KMSThrottlingException",
        "KMSThrottling",
    }
)


def retry_kind(error: APIError, operation: str) -> RetryKind | None:
    """Whether (and how) ``error`` from ``operation`` is retried; None means never."""
    if isinstance(error, _TRANSIENT):
        return "transient"
    if isinstance(error, LimitExceededError):
        return "limit" if operation.startswith("Start") else None
    if type(error) is APIError and error.http_status is not None and error.http_status >= 500:
        return "transient"
    return None


def is_throttling_code(code: str) -> bool:
    """True for an SNS/SQS error code that means throttling (with or without a query-protocol prefix)."""
    return code.rsplit(".", 1)[-1] in _THROTTLING_CODES
