"""Defaults and fixed values, in one place."""

from __future__ import annotations

from typing import Any

__all__ = [
    "DEFAULT_MAX_POLL_INTERVAL",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_PREFIX",
    "DEFAULT_REQUEST_TIMEOUT",
    "DEFAULT_STATUS_CHECK_INTERVAL",
    "DEFAULT_WAIT_TIMEOUT",
    "HEAD_START",
    "LONG_POLL_SECONDS",
    "MIN_REQUEST_BUDGET",
    "QUEUE_READ_TIMEOUT",
    "RECEIVE_GRACE",
    "RETRIES_OFF",
    "USER_AGENT",
    "WRITE_TIME",
    "client_config",
]

USER_AGENT = "rekotrack/0.1.0"
DEFAULT_WAIT_TIMEOUT = 3600.0
"""Seconds a wait lasts unless told otherwise."""
DEFAULT_POLL_INTERVAL = 5.0
DEFAULT_MAX_POLL_INTERVAL = 60.0
DEFAULT_STATUS_CHECK_INTERVAL = 10.0
"""A queue wait also checks Get this often, so a job whose message never comes (a reused token) ends the wait."""
DEFAULT_REQUEST_TIMEOUT = 120.0
"""Wall-clock budget of one request, body included (botocore's read timeout is per socket read)."""
MIN_REQUEST_BUDGET = 1.0
"""The least budget a request inside a wait gets, however close the wait's deadline is."""
LONG_POLL_SECONDS = 20
"""SQS's maximum WaitTimeSeconds."""
QUEUE_READ_TIMEOUT = 60
"""The SNS/SQS clients' read timeout (it outlasts a 20 s long poll), and the budget of one SNS/SQS call."""
RECEIVE_GRACE = 5.0
"""A ReceiveMessage may take its WaitTimeSeconds plus this long."""
HEAD_START = 0.05
"""The longest the prefetch waits for a request it just started to reach ``before-send``."""
WRITE_TIME = 0.0005
"""How long it then lets that request run alone, to write it (0.2-0.3 ms measured)."""
DEFAULT_PREFIX = "AmazonRekognition"
"""The topic name prefix the managed AmazonRekognitionServiceRole may publish to."""


RETRIES_OFF: dict[str, Any] = {"total_max_attempts": 1, "mode": "standard"}
"""botocore's ``retries`` setting with its retries off (it reads ``max_attempts`` as retries, so the total is set)."""


def client_config(**extra: Any) -> dict[str, Any]:
    """Keyword arguments of the botocore ``Config`` (or aiobotocore ``AioConfig``) of every client rekotrack makes.

    botocore's own retries are off (``total_max_attempts=1``), so that rekotrack's
    :class:`~rekotrack.RetryPolicy` is the one retry layer.
    """
    return {"retries": dict(RETRIES_OFF), "user_agent_extra": USER_AGENT, **extra}
