"""The Rekognition Video server core, shared by ``rekotrack.testing`` and ``rekotrack.selfhosted``.

An :class:`Analyzer` does the work (accept a video, start a job, report its progress, produce
pages); a :class:`JobRegistry` keeps the jobs (:class:`MemoryJobRegistry` by default);
:class:`RekognitionCore` does everything else the service does (the JSON 1.1 wire,
validation from the SDK's constraint table, error codes from the SDK's error table, job
lifecycle and idempotency, retention, pagination tokens, SNS completion messages, optional
SigV4 through an authenticator); :class:`RekognitionServer` puts a core behind an HTTP front
(stdlib threads, or the ASGI application :class:`RekognitionASGI` on uvicorn).

The SDK (``import rekotrack``) never imports this package; ``rekotrack serve`` loads it lazily.

    core = RekognitionCore(my_analyzer, clock=time.time)
    with RekognitionServer(core, front="uvicorn") as server:
        rekognition = server.client()
"""

from rekotrack.server._asgi import RekognitionASGI, UvicornFront
from rekotrack.server._core import RekognitionCore, token_key
from rekotrack.server._errors import ERROR_STATUS, PROTOCOL_ERRORS, TRANSPORT_ERRORS, ApiError, error_status
from rekotrack.server._host import FrontName, RekognitionServer, uvicorn_available
from rekotrack.server._operations import OPERATIONS, PERSON_TRACKING, VIDEO_OPERATIONS, ServedOperation, operation_for
from rekotrack.server._protocol import (
    Admitted,
    Analyzer,
    Authenticator,
    Clock,
    Ended,
    Identity,
    Job,
    JobOutcome,
    JobRegistry,
    ListingOutcome,
    MemoryJobRegistry,
    RequestGate,
)
from rekotrack.server._sns import Notification
from rekotrack.server._tokens import TokenCodec, TokenError
from rekotrack.server._wire import (
    IDLE_TIMEOUT_SECONDS,
    LISTEN_BACKLOG,
    MAX_BODY_BYTES,
    READ_TIMEOUT_SECONDS,
    Headers,
    HttpRequest,
    Reply,
    error_reply,
)

__all__ = [
    "ERROR_STATUS",
    "IDLE_TIMEOUT_SECONDS",
    "LISTEN_BACKLOG",
    "MAX_BODY_BYTES",
    "OPERATIONS",
    "PERSON_TRACKING",
    "PROTOCOL_ERRORS",
    "READ_TIMEOUT_SECONDS",
    "TRANSPORT_ERRORS",
    "VIDEO_OPERATIONS",
    "Admitted",
    "Analyzer",
    "ApiError",
    "Authenticator",
    "Clock",
    "Ended",
    "FrontName",
    "Headers",
    "HttpRequest",
    "Identity",
    "Job",
    "JobOutcome",
    "JobRegistry",
    "ListingOutcome",
    "MemoryJobRegistry",
    "Notification",
    "RekognitionASGI",
    "RekognitionCore",
    "RekognitionServer",
    "Reply",
    "RequestGate",
    "ServedOperation",
    "TokenCodec",
    "TokenError",
    "UvicornFront",
    "error_reply",
    "error_status",
    "operation_for",
    "token_key",
    "uvicorn_available",
]
