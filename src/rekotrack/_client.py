"""PersonTracker and TrackingJob (the synchronous client), where ``rekotrack`` finds them.

They are generated from the asynchronous shell (``rekotrack._sync``, see
docs/architecture.md); the decisions are the sans-IO core's (``rekotrack._core``).
"""

from __future__ import annotations

from ._core._constants import DEFAULT_WAIT_TIMEOUT, USER_AGENT
from ._core._wait import WaitPlan
from ._sync._engine import CompletionSource, new_client_request_token
from ._sync._person_tracking import PersonTracker, TrackingJob

__all__ = [
    "DEFAULT_WAIT_TIMEOUT",
    "USER_AGENT",
    "CompletionSource",
    "PersonTracker",
    "TrackingJob",
    "WaitPlan",
    "new_client_request_token",
]
