"""AWS Signature Version 4 verification for the self-hosted server (stdlib only).

The server recomputes the signature of every request from the secret of the access key id it
names, as the service does, and refuses a request before any work is done:

=================================== =====================================================
MissingAuthenticationTokenException no ``Authorization`` header
IncompleteSignatureException        a malformed header, a missing ``X-Amz-Date``, or
                                    ``host`` / ``x-amz-date`` / ``x-amz-target`` /
                                    ``content-type`` not among the signed headers
UnrecognizedClientException         an access key id the server was not given
InvalidSignatureException           a wrong signature, a request signed more than
                                    15 minutes away from the server's clock, or a
                                    credential scope whose date is not the date of
                                    ``X-Amz-Date``, whose region is not one of the
                                    server's (the message names them) or whose service
                                    is not ``rekognition``
=================================== =====================================================

:class:`SigV4Authenticator` is the server core's authenticator: it also returns the signature,
which the core uses as the idempotency token of a Start sent without one, so that a replayed
request (same signature, within the skew window) starts no second job.

Secrets are never logged or put in an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, quote, urlsplit

from rekotrack.server import ApiError, Clock, HttpRequest, Identity

__all__ = [
    "AUTH_ERROR_STATUS",
    "MAX_SKEW_SECONDS",
    "REQUIRED_SIGNED_HEADERS",
    "AuthError",
    "SigV4Authenticator",
    "accepted_regions",
    "load_credentials",
    "verify_request",
]

MAX_SKEW_SECONDS: Final = 15 * 60
ALGORITHM: Final = "AWS4-HMAC-SHA256"
AUTH_ERROR_STATUS: Final[dict[str, int]] = {
    "MissingAuthenticationTokenException": 403,
    "IncompleteSignatureException": 400,
    "UnrecognizedClientException": 400,
    "InvalidSignatureException": 400,
}
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-f]{64})\s*$"
)
_SPACES = re.compile(r"\s+")
REQUIRED_SIGNED_HEADERS: Final = ("host", "x-amz-date", "x-amz-target", "content-type")
"""Headers every request must sign: what it is, where and when it goes (botocore signs all four)."""


class AuthError(Exception):
    """A refused request: ``code`` is the service's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return AUTH_ERROR_STATUS[self.code]


def load_credentials(path: Path | None = None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Access key id → secret, from a file and/or ``REKOTRACK_CREDENTIALS``.

    One ``ACCESS_KEY_ID SECRET`` pair a line (``:`` or ``=`` also separate them; ``#`` starts a
    comment); in the environment variable pairs may also be separated by commas.
    """
    text = ""
    if path is not None:
        text += Path(path).read_text() + "\n"
    env = os.environ if environ is None else environ
    text += env.get("REKOTRACK_CREDENTIALS", "").replace(",", "\n")
    credentials: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = re.split(r"\s*[:=\s]\s*", line, maxsplit=1)
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise ValueError(f"credentials line {number}: expected 'ACCESS_KEY_ID SECRET'")
        credentials[parts[0]] = parts[1]
    return credentials


def accepted_regions(region: str | Iterable[str]) -> tuple[str, ...]:
    """The regions a server accepts in credential scopes, from one name or several, in order, without
    repeats; ``ValueError`` for none or a name that is not a region name."""
    from rekotrack._validation import check_region_name

    names = [region] if isinstance(region, str) else list(region)
    regions: list[str] = []
    for name in names:
        try:
            checked = check_region_name(name)
        except ValueError as exc:
            raise ValueError(f"region: {exc}") from None
        if checked not in regions:
            regions.append(checked)
    if not regions:
        raise ValueError("region: give at least one region name")
    return tuple(regions)


def _wrong_region(scope_region: str, regions: Sequence[str]) -> AuthError:
    shown = ", ".join(f"'{name}'" for name in regions)
    accepted = f"one of {shown}" if len(regions) > 1 else shown
    return AuthError(
        "InvalidSignatureException",
        f"Credential should be scoped to a valid region: '{scope_region}' is not accepted here; this server "
        f"accepts {accepted} (rekotrack serve --region).",
    )


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _canonical_query(query: str) -> str:
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{k}={v}" for k, v in pairs)


def _header(headers: Any, name: str) -> str | None:
    values = headers.get_all(name) if hasattr(headers, "get_all") else None
    if values:
        return ",".join(_SPACES.sub(" ", v.strip()) for v in values)
    value = headers.get(name)
    return None if value is None else _SPACES.sub(" ", str(value).strip())


def verify_request(
    method: str,
    path: str,
    headers: Any,
    body: bytes,
    credentials: Mapping[str, str],
    now: float,
    *,
    service: str = "rekognition",
    region: str | Iterable[str] | None = None,
) -> str:
    """The access key id that signed the request; raises :class:`AuthError` if it must be refused.

    ``headers`` has ``get`` (and maybe ``get_all``): an ``email.message.Message``, a mapping or
    :class:`rekotrack.server.Headers`. With ``region`` (a name or several), the credential scope must
    name it (one of them).
    """
    regions = None if region is None else accepted_regions(region)
    return _verify(method, path, headers, body, credentials, now, service=service, regions=regions)[0]


def _verify(
    method: str,
    path: str,
    headers: Any,
    body: bytes,
    credentials: Mapping[str, str],
    now: float,
    *,
    service: str,
    regions: Sequence[str] | None,
) -> tuple[str, str]:
    authorization = _header(headers, "Authorization")
    if not authorization:
        raise AuthError("MissingAuthenticationTokenException", "Missing Authentication Token")
    match = _AUTH.match(authorization)
    if match is None:
        raise AuthError(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.",
        )
    scope_parts = match["credential"].split("/")
    if len(scope_parts) != 5 or scope_parts[4] != "aws4_request":
        raise AuthError("IncompleteSignatureException", "Credential should be scoped to a valid region.")
    key_id, date, scope_region, scope_service, _ = scope_parts
    signed = match["signed"].split(";")
    if "host" not in signed:
        raise AuthError("IncompleteSignatureException", "'Host' must be a signed header.")
    amz_date = _header(headers, "X-Amz-Date")
    if amz_date is None or "x-amz-date" not in signed:
        raise AuthError("IncompleteSignatureException", "'X-Amz-Date' must be present and signed.")
    for name in REQUIRED_SIGNED_HEADERS[2:]:
        if name not in signed or _header(headers, name) is None:
            raise AuthError("IncompleteSignatureException", f"'{name}' must be present and signed.")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise AuthError("IncompleteSignatureException", "X-Amz-Date is not in ISO 8601 basic format.") from None
    if amz_date[:8] != date:
        raise AuthError("InvalidSignatureException", "Date in Credential scope does not match X-Amz-Date.")
    secret = credentials.get(key_id)
    if secret is None:
        raise AuthError("UnrecognizedClientException", "The security token included in the request is invalid.")
    if abs(now - signed_at.timestamp()) > MAX_SKEW_SECONDS:
        server_time = datetime.fromtimestamp(now, timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        raise AuthError(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is now earlier or later than {server_time} "
            "(more than 15 min of clock skew).",
        )
    if scope_service != service:
        raise AuthError("InvalidSignatureException", f"Credential should be scoped to correct service: '{service}'.")
    if regions is not None and scope_region not in regions:
        raise _wrong_region(scope_region, regions)

    url = urlsplit(path)
    canonical_headers = ""
    for name in signed:
        value = _header(headers, name)
        if value is None:
            raise AuthError("InvalidSignatureException", f"Signed header '{name}' is missing from the request.")
        canonical_headers += f"{name}:{value}\n"
    payload_hash = hashlib.sha256(body).hexdigest()  # the body received, whatever a header claims
    canonical_request = "\n".join(
        [
            method.upper(),
            quote(url.path or "/", safe="/-_.~"),
            _canonical_query(url.query),
            canonical_headers,
            match["signed"],
            payload_hash,
        ]
    )
    scope = f"{date}/{scope_region}/{scope_service}/aws4_request"
    string_to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), date), scope_region), scope_service), "aws4_request")
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match["signature"]):
        raise AuthError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
    return key_id, match["signature"]


class SigV4Authenticator:
    """The server core's authenticator: verifies every request against ``credentials`` (key id → secret).

    The credential scope must name ``region`` (or one of several: ``region=("us-east-1", "us-west-2")``)
    and the service ``rekognition``; ``clock`` is the server's time for the skew check.
    """

    def __init__(self, credentials: Mapping[str, str], *, region: str | Iterable[str], clock: Clock) -> None:
        if not credentials:
            raise ValueError("SigV4 verification needs at least one access key id and secret")
        self._credentials = dict(credentials)
        self.regions = accepted_regions(region)
        self.region = self.regions[0]
        self.clock = clock

    def __call__(self, request: HttpRequest) -> Identity:
        try:
            key_id, signature = _verify(
                request.method, request.path, request.headers, request.body, self._credentials, self.clock(),
                service="rekognition", regions=self.regions,
            )
        except AuthError as error:
            raise ApiError(error.code, error.message, status=error.status) from None
        return Identity(key_id, signature)
