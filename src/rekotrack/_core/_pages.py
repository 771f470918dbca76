"""Integrity of Start and Get responses: what a usable answer is, and the typed error when it is not.

A Get page is malformed (retried under the policy, then
:class:`~rekotrack.MalformedResponseError`) when it is not a JSON object, has no
JobStatus, does not match the page model, belongs to another job, holds more
items than ``MaxResults`` asked for, or is a SUCCEEDED page whose list member
(``Persons``) is null, missing or not a list: read as empty, such a page would
silently lose detections.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import ValidationError

from rekotrack import _constraints as c
from rekotrack._errors import MalformedResponseError
from rekotrack._models import VideoJobPage

from ._operation import VideoOperation

__all__ = [
    "FAST_PAGE_KEY",
    "OVERSIZED_KEY",
    "PRECOUNT_BYTES_PER_ITEM",
    "count_items_beyond",
    "job_id_from_start",
    "next_token_hint",
    "oversized_count",
    "page_from_response",
    "response_object",
    "unreadable_body",
]

PageT = TypeVar("PageT", bound=VideoJobPage)

FAST_PAGE_KEY = "__rekotrack_page__"
"""Where the fast path (``rekotrack._fastpath``) leaves the page it built from the raw bytes."""

OVERSIZED_KEY = "__rekotrack_oversized__"
"""Where the before-parse guard leaves the item count of a page it refused unparsed (more than MaxResults)."""

PRECOUNT_BYTES_PER_ITEM = 4096
"""A body longer than this many bytes per item asked for has its list items counted before any parsing.

A shorter body cannot cost much to parse, and the count after parsing still refuses it
when it holds too many items; a longer one (a legitimate item is well under 4 KiB) is
counted first, so that a hostile page of 200,000 items is refused before its models
(hundreds of MB) are built.
"""

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _skip_ws(text: str, i: int) -> int:
    match = _WS.match(text, i)
    return i if match is None else match.end()


def _count_array(text: str, i: int, limit: int) -> tuple[int, int]:
    """Items of the array starting at ``text[i] == "["``, decoded one at a time; stops past ``limit``."""
    i = _skip_ws(text, i + 1)
    if text[i] == "]":
        return 0, i + 1
    count = 0
    while True:
        _, i = _DECODER.raw_decode(text, i)  # one item, dropped at once
        count += 1
        if count > limit:
            return count, i
        i = _skip_ws(text, i)
        if text[i] == "]":
            return count, i + 1
        if text[i] != ",":
            raise ValueError("not a JSON array")
        i = _skip_ws(text, i + 1)


def count_items_beyond(body: bytes, list_key: str, limit: int) -> int | None:
    """How many items the top-level ``list_key`` array of ``body`` holds, counting stopped at ``limit + 1``.

    Only the top-level members are walked; each item is decoded on its own and
    dropped, so at most ``limit + 1`` small items are ever decoded and nothing is kept.
    None when the body is not a JSON object with that array (the parser then decides).
    """
    try:
        text = body.decode("utf-8")
        i = _skip_ws(text, 0)
        if text[i] != "{":
            return None
        i = _skip_ws(text, i + 1)
        found: int | None = None
        if text[i] == "}":
            return None
        while True:
            if text[i] != '"':
                return None
            key, i = _DECODER.raw_decode(text, i)
            i = _skip_ws(text, i)
            if text[i] != ":":
                return None
            i = _skip_ws(text, i + 1)
            if key == list_key and text[i] == "[":
                found, i = _count_array(text, i, limit)
                if found > limit:
                    return found
            else:
                _, i = _DECODER.raw_decode(text, i)
            i = _skip_ws(text, i)
            if text[i] == "}":
                return found
            if text[i] != ",":
                return None
            i = _skip_ws(text, i + 1)
    except (ValueError, IndexError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None


def oversized_count(body: bytes, list_key: str, max_results: int) -> int | None:
    """The count (past ``max_results``) of a body that holds too many items, known before parsing; else None."""
    if len(body) <= max_results * PRECOUNT_BYTES_PER_ITEM:
        return None
    count = count_items_beyond(body, list_key, max_results)
    return count if count is not None and count > max_results else None


_TOKEN_MEMBER = b'"NextToken"'
_HINT_WINDOW = 8192
"""How far after the member name a hinted token may end (a real one is a few hundred bytes)."""


def next_token_hint(body: bytes) -> str | None:
    """The NextToken a page's raw bytes appear to carry, read without parsing the page (about 20 µs for 350 KB).

    A hint, never a decision: the pager may put the next request on the wire with it
    while the page is validated, and uses that request only when the validated page's
    NextToken is the same string. The last ``"NextToken"`` member name not inside a
    string (not preceded by a backslash) is read; anything unexpected gives None.
    """
    end = len(body)
    while True:
        at = body.rfind(_TOKEN_MEMBER, 0, end)
        if at <= 0:
            return None
        if body[at - 1] != 0x5C:  # a backslash: the name is text inside another string
            break
        end = at
    start = at + len(_TOKEN_MEMBER)
    try:
        text = body[start : start + _HINT_WINDOW].decode("utf-8")
    except UnicodeDecodeError as exc:  # the window may cut a character after the token: keep what decodes
        text = body[start : start + exc.start].decode("utf-8")
    i = _skip_ws(text, 0)
    if text[i : i + 1] != ":":
        return None
    i = _skip_ws(text, i + 1)
    if text[i : i + 1] != '"':
        return None
    try:
        token, _ = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
    except ValueError:
        return None
    return token or None


@contextmanager
def unreadable_body(operation: str) -> Iterator[None]:
    """Around a request: botocore failing on a 200 body of ``null`` or ``[]`` becomes a MalformedResponseError."""
    try:
        yield
    except (AttributeError, TypeError) as exc:
        # botocore 1.44 fails this way on a 200 body of `null` or `[]`.
        raise MalformedResponseError(f"unreadable response body ({exc})", operation=operation) from exc


def response_object(raw: object, operation: str) -> dict[str, Any]:
    """The parsed response, checked to be a JSON object."""
    if not isinstance(raw, dict):
        raise MalformedResponseError("response is not a JSON object", operation=operation)
    return raw


def job_id_from_start(raw: object, operation: str) -> str:
    """The JobId of a Start response; a missing or invalid one is a (retried) MalformedResponseError."""
    job_id = response_object(raw, operation).get("JobId")
    if not isinstance(job_id, str) or not job_id:
        # botocore turns a truncated or non-JSON 200 body into {}; the same token makes a retry safe.
        raise MalformedResponseError(f"{operation} answered without a JobId", operation=operation)
    if c.JOB_ID.problem(job_id) is not None:
        raise MalformedResponseError(f"{operation} answered an invalid JobId {job_id[:80]!r}", operation=operation)
    return job_id


def _malformed(reason: str, operation: str, meta: Mapping[str, Any]) -> MalformedResponseError:
    return MalformedResponseError(
        reason, operation=operation, request_id=meta.get("RequestId"), http_status=meta.get("HTTPStatusCode")
    )


def page_from_response(
    raw: object, operation: VideoOperation[PageT, Any], *, job_id: str, max_results: int
) -> PageT:
    """The page of a Get response (the fast path's model, or botocore's dict validated), checked for integrity."""
    name = operation.get_name
    body = response_object(raw, name)
    meta: Mapping[str, Any] = body.get("ResponseMetadata") or {}
    oversized = body.get(OVERSIZED_KEY)
    if isinstance(oversized, int):
        raise _malformed(f"page holds more than MaxResults={max_results} items (refused before parsing)", name, meta)
    page = body.get(FAST_PAGE_KEY)
    if not isinstance(page, operation.page_model):
        body = {k: v for k, v in body.items() if k != "ResponseMetadata"}
        if "JobStatus" not in body:
            # botocore turns a truncated or non-JSON 200 body into {} without an error.
            raise _malformed("page has no JobStatus (empty, truncated or not JSON)", name, meta)
        listed = body.get(operation.list_key)
        if isinstance(listed, list) and len(listed) > max_results:  # refused before building its models
            raise _malformed(f"page holds {len(listed)} items, more than MaxResults={max_results}", name, meta)
        try:
            page = operation.page_model.model_validate(body)
        except ValidationError as exc:
            raise _malformed(f"page does not match the service model ({exc.error_count()} errors)", name, meta) from exc
    return checked_page(page, operation, job_id=job_id, max_results=max_results, meta=meta)


def checked_page(
    page: PageT,
    operation: VideoOperation[PageT, Any],
    *,
    job_id: str,
    max_results: int,
    meta: Mapping[str, Any] | None = None,
) -> PageT:
    """``page`` if it is a usable answer to Get(``job_id``, ``max_results``); else the MalformedResponseError."""
    name = operation.get_name
    meta = meta or {}
    if page.job_id is not None and page.job_id != job_id:
        raise _malformed(f"page is for job {page.job_id[:80]!r}, not {job_id!r}", name, meta)
    items = operation.items(page)
    if page.job_status == "SUCCEEDED" and items is None:
        raise _malformed(f"SUCCEEDED page without a {operation.list_key} list", name, meta)
    if items is not None and len(items) > max_results:
        raise _malformed(f"page holds {len(items)} items, more than MaxResults={max_results}", name, meta)
    return page
