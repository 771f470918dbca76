"""Fault injection at the server core's gate: the :class:`~rekotrack.testing.Faults` drawn per request."""

from __future__ import annotations

import json
import time
from typing import Final

from rekotrack._synthetic._faults import FaultInjector
from rekotrack.server import ApiError, Reply, error_reply

__all__ = ["FaultGate"]

# A plausible response to cut in half for the "truncated" corrupt body.
_TRUNCATED_SOURCE: Final = json.dumps(
    {
        "JobStatus": "SUCCEEDED",
        "VideoMetadata": {"Codec": "h264", "DurationMillis": 60000, "Format": "mp4", "FrameRate": 30.0},
        "Persons": [{"Timestamp": 0, "Person": {"Index": 0, "BoundingBox": {"Width": 0.1, "Height": 0.4}}}],
    }
).encode()
_CORRUPT_BODIES: Final[dict[str, bytes]] = {
    "corrupt_not_json": b"<html><body>502 Bad Gateway: upstream sent garbage</body></html>",
    "corrupt_null": b"null",
    "corrupt_array": b"[]",
    "corrupt_empty_object": b"{}",
}
_ERRORS: Final = ("ThrottlingException", "ProvisionedThroughputExceededException", "InternalServerError")


class FaultGate:
    """The :class:`~rekotrack.server.RequestGate` of ``LocalRekognition``: seeded faults, then scripted errors."""

    def __init__(self, injector: FaultInjector) -> None:
        self.injector = injector

    def before(self, operation: str) -> Reply | None:
        decision = self.injector.decide(operation)
        if decision.slow:
            time.sleep(self.injector.faults.slow_seconds)
        kind = decision.kind
        if kind == "drop":
            return Reply(drop=True)
        if kind in _ERRORS:
            return error_reply(ApiError(kind))
        if kind == "corrupt_truncated":
            return Reply(body=_TRUNCATED_SOURCE, truncate=True)
        if kind is not None:
            return Reply(body=_CORRUPT_BODIES[kind])
        scripted = self.injector.scripted(operation)
        if scripted is not None:
            return error_reply(ApiError(*scripted))
        return None

    def token_fault(self, operation: str) -> bool:
        return self.injector.take_token_fault(operation)
