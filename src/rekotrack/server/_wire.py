"""The Rekognition wire format (AWS JSON 1.1) independent of any HTTP server.

A front (the stdlib server in :mod:`rekotrack.server._http`, the ASGI application in
:mod:`rekotrack.server._asgi`) turns what it received into an :class:`HttpRequest`, gives it to
the core and writes back the :class:`Reply`. Limits that every front enforces live here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from rekotrack.server._errors import ApiError, error_body

__all__ = [
    "CONTENT_TYPE",
    "IDLE_TIMEOUT_SECONDS",
    "LISTEN_BACKLOG",
    "MAX_BODY_BYTES",
    "READ_TIMEOUT_SECONDS",
    "TARGET_PREFIX",
    "Headers",
    "HttpRequest",
    "Reply",
    "decode_params",
    "error_reply",
    "http_error_reply",
    "json_reply",
    "new_request_id",
]

TARGET_PREFIX: Final = "RekognitionService."
CONTENT_TYPE: Final = "application/x-amz-json-1.1"

MAX_BODY_BYTES: Final = 1024 * 1024
"""Bodies over 1 MiB are refused with 413 before they are read (the largest valid Video request is under 8 KiB)."""

IDLE_TIMEOUT_SECONDS: Final = 20.0
"""A connection that does not start a request within this many seconds is closed."""

READ_TIMEOUT_SECONDS: Final = 30.0
"""A request (head and body) that is not fully received this many seconds after it began is refused (408)."""

LISTEN_BACKLOG: Final = 1024
"""Pending connections the listening socket holds (the stdlib default of 5 refuses bursts)."""


class Headers:
    """Request headers, case-insensitive, repeated names kept in order."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: dict[str, list[str]] = {}
        for name, value in items:
            self._items.setdefault(name.lower(), []).append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._items.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        return list(self._items.get(name.lower(), ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items


@dataclass(frozen=True)
class HttpRequest:
    """One request as received: method, path (with query), headers and the whole body."""

    method: str
    path: str
    headers: Headers
    body: bytes

    @property
    def target(self) -> str | None:
        return self.headers.get("X-Amz-Target")


@dataclass(frozen=True)
class Reply:
    """What to answer. ``drop`` closes the connection unanswered; ``truncate`` sends half the body
    under the full ``Content-Length`` and closes; ``close`` ends the connection after the reply."""

    status: int = 200
    body: bytes = b""
    request_id: str = field(default_factory=lambda: new_request_id())
    drop: bool = False
    truncate: bool = False
    close: bool = False


def new_request_id() -> str:
    return str(uuid.uuid4())


def json_reply(document: Any) -> Reply:
    return Reply(body=json.dumps(document, separators=(",", ":")).encode())


def error_reply(error: ApiError, *, close: bool = False) -> Reply:
    request_id = new_request_id()
    return Reply(status=error.status, body=error_body(error.code, error.message, request_id),
                 request_id=request_id, close=close)


def http_error_reply(status: int, detail: str) -> Reply:
    """A front's own refusal (a request that is not valid HTTP/1.1, a head too large, an unknown method)
    in the service's error shape, ``__type`` and ``x-amzn-RequestId`` included; the connection closes after it."""
    if status in (413, 431):
        code = "RequestEntityTooLargeException"
    elif status == 408:
        code = "RequestTimeoutException"
    elif status in (404, 405, 501):
        code = "UnknownOperationException"
    else:
        code = "SerializationException"
    return error_reply(ApiError(code, detail, status=status), close=True)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def decode_params(body: bytes) -> dict[str, Any]:
    """The request's members; a JSON ``null`` member is absent (the awsJson1_1 rule), an empty body is ``{}``."""
    try:
        params = _without_nulls(json.loads(body or b"{}"))
    except (ValueError, RecursionError):
        raise ApiError("SerializationException", "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise ApiError("SerializationException", "The request body must be a JSON object.")
    return params
