"""Pagination tokens: the server core's codec (:mod:`rekotrack.server._tokens`), under its old home."""

from rekotrack.server._tokens import TokenCodec, TokenError

__all__ = ["TokenCodec", "TokenError"]
