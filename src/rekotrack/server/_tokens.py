"""Opaque, authenticated pagination tokens.

A token carries the sort order and the position of the next item. Its MAC covers the job id
as well, so a token is valid only for the job (and the server instance, whose secret is random
unless one is given) that issued it: a forged, altered, stale or other-job token is refused
with InvalidPaginationTokenException.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from typing import Final

__all__ = ["TokenCodec", "TokenError"]

_VERSION: Final = 1
# Every SortBy value of the Video Get operations (codes are part of the token format: append only).
_SORTS: Final[dict[str, int]] = {"TIMESTAMP": 0, "INDEX": 1, "NAME": 2, "ID": 3}
# AggregateBy values (high nibble of the sort byte; the default, and no aggregation, is 0).
_AGGREGATIONS: Final[dict[str | None, int]] = {None: 0, "TIMESTAMPS": 0, "SEGMENTS": 1}
_MAC_BYTES: Final = 16
_BODY: Final = struct.Struct(">BBQ")  # version, sort | aggregation << 4, position


class TokenError(ValueError):
    """The token was not issued by this server for this job and sort order."""


class TokenCodec:
    """Issue and check pagination tokens with a per-instance HMAC secret."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)

    def _mac(self, job_id: str, body: bytes) -> bytes:
        return hmac.new(self._secret, job_id.encode() + b"\0" + body, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, job_id: str, sort_by: str | None, position: int, aggregate_by: str | None = None) -> str:
        """A token (35 characters) for resuming ``job_id`` at ``position`` in that order and aggregation.

        ``sort_by`` ``None`` (an operation without SortBy) is encoded like ``TIMESTAMP``.
        """
        body = _BODY.pack(_VERSION, _code(sort_by, aggregate_by), position)
        return _b64(body + self._mac(job_id, body))

    def decode(self, job_id: str, sort_by: str | None, token: str, aggregate_by: str | None = None) -> int:
        """The position ``token`` stands for; raises :class:`TokenError` if it is not valid here."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError) as exc:
            raise TokenError("malformed token") from exc
        if len(raw) != _BODY.size + _MAC_BYTES or _b64(raw) != token:
            raise TokenError("malformed token")
        body, mac = raw[: _BODY.size], raw[_BODY.size :]
        if not hmac.compare_digest(mac, self._mac(job_id, body)):
            raise TokenError("token was not issued for this job")
        version, code, position = _BODY.unpack(body)
        if version != _VERSION:
            raise TokenError("unsupported token version")
        if code != _code(sort_by, aggregate_by):
            raise TokenError("token was issued for another sort order or aggregation")
        return int(position)


def _code(sort_by: str | None, aggregate_by: str | None) -> int:
    return _SORTS[sort_by or "TIMESTAMP"] | _AGGREGATIONS[aggregate_by] << 4


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
