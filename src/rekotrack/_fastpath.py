"""Fast path: read a Get* page straight from the response bytes with pydantic-core.

botocore parses a 1000-detection page into dicts (about 20 ms) before rekotrack
validates those dicts into models (about 6 ms). At botocore's documented
``before-parse.<service>.<Operation>`` event this handler validates the raw JSON
with ``model_validate_json`` instead, hands the model over in
``customized_response_dict`` and gives botocore an empty object to parse.

It acts only for rekotrack's own calls (a context variable is set around them), only
on HTTP 200, and only when the body is a JSON object with a ``JobStatus``: anything
else (errors, truncated or non-JSON bodies, ``null``) goes through botocore's normal
parsing and rekotrack's integrity checks untouched.

The same handler guards botocore's parsing too (with the fast path off): a body far
longer than ``MaxResults`` items can be has its list items counted first
(:func:`rekotrack._core._pages.oversized_count`, each item decoded alone and
dropped), and a page holding more items than asked for is refused before anything
is parsed: the handler leaves the count under ``OVERSIZED_KEY`` and gives botocore
an empty object, and the integrity check raises the (retried) MalformedResponseError. Signing, endpoint resolution,
error parsing and the other operations of an injected client are not affected.

Two more switches serve the pager's prefetch (``rekotrack._aio._pager``): inside
:func:`announcing`, the handler passes the NextToken it reads in a page's bytes
(:func:`rekotrack._core._pages.next_token_hint`) to a callback *before* the page is
validated, so the next request can be on the wire while this one is validated; inside
:func:`sending`, a callback hears when a request is about to be sent
(``before-send``). Inside :func:`stoppable`, a request whose ``stopped()`` is true at
``before-send`` is not sent (:class:`RequestStopped`, never retried): a prefetch
stopped before it reached the wire never does.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from ._core._pages import FAST_PAGE_KEY, OVERSIZED_KEY, next_token_hint, oversized_count

__all__ = ["PAGE_KEY", "RequestStopped", "active", "announcing", "install", "sending", "stoppable"]

logger = logging.getLogger("rekotrack")

PAGE_KEY = FAST_PAGE_KEY


class RequestStopped(Exception):
    """A request stopped by its owner before it was sent (its answer was no longer wanted); never retried."""


class _Call(NamedTuple):
    model: type[BaseModel] | None
    list_key: str | None
    max_results: int | None


_ACTIVE: ContextVar[_Call | None] = ContextVar("rekotrack_fast_path", default=None)
_ANNOUNCE: ContextVar[Callable[[str], None] | None] = ContextVar("rekotrack_announce", default=None)
_SENDING: ContextVar[Callable[[], None] | None] = ContextVar("rekotrack_sending", default=None)
_STOPPED: ContextVar[Callable[[], bool] | None] = ContextVar("rekotrack_stopped", default=None)


@contextlib.contextmanager
def _switch(var: ContextVar[Any], value: Any) -> Iterator[None]:
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def announcing(callback: Callable[[str], None]) -> contextlib.AbstractContextManager[None]:
    """Inside this block, ``callback(token)`` hears the NextToken read in each 200 page's bytes, before validation.

    It runs on the thread (or in the task) that made the request. The token is a hint
    (:func:`~rekotrack._core._pages.next_token_hint`): the page is still validated and
    checked as before, and a page that then fails its checks is retried or refused.
    """
    return _switch(_ANNOUNCE, callback)


def sending(callback: Callable[[], None]) -> contextlib.AbstractContextManager[None]:
    """Inside this block, ``callback()`` runs as each request is about to go on the wire (at ``before-send``)."""
    return _switch(_SENDING, callback)


def stoppable(stopped: Callable[[], bool]) -> contextlib.AbstractContextManager[None]:
    """Inside this block, a request is not sent when ``stopped()`` is true at ``before-send`` (RequestStopped)."""
    return _switch(_STOPPED, stopped)


def active(
    model: type[BaseModel] | None, list_key: str | None = None, max_results: int | None = None
) -> contextlib.AbstractContextManager[None]:
    """Let the handler act on the calls made inside this block.

    ``model``: parse responses into it (None: botocore parses). ``list_key`` and
    ``max_results``: refuse, unparsed, a body whose ``list_key`` holds more items.
    """
    return _switch(_ACTIVE, _Call(model, list_key, max_results))


def _validate_without_gc(model: type[BaseModel], body: bytes) -> BaseModel:
    """Validate with the cyclic GC paused.

    A page builds tens of thousands of small objects that all stay alive until the
    page is built; with the collector running, they trigger several collections per
    page and get promoted to the oldest generation, whose full collections then scan
    every object in the process (boto3 holds hundreds of thousands). Pausing it for
    the few milliseconds of validation lets them die young. Nothing cyclic is created.
    """
    if not gc.isenabled():
        return model.model_validate_json(body)
    gc.disable()
    try:
        return model.model_validate_json(body)
    finally:
        gc.enable()


def _before_parse(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    call = _ACTIVE.get()
    if call is None or response_dict.get("status_code") != 200:
        return
    body = response_dict.get("body")
    if not isinstance(body, (bytes, bytearray)) or not body.lstrip().startswith(b"{"):
        return
    if call.list_key is not None and call.max_results is not None:
        count = oversized_count(bytes(body), call.list_key, call.max_results)
        if count is not None:
            customized_response_dict[OVERSIZED_KEY] = count
            response_dict["body"] = b"{}"
            return
    announce = _ANNOUNCE.get()
    if announce is not None:
        token = next_token_hint(bytes(body))
        if token is not None:
            announce(token)
    model = call.model
    if model is None:
        return
    try:
        page = _validate_without_gc(model, bytes(body))
    except ValidationError:
        return  # truncated or invalid: botocore parses it and the integrity check decides
    if getattr(page, "job_status", None) is None:
        return
    customized_response_dict[PAGE_KEY] = page
    response_dict["body"] = b"{}"


def _before_send(event_name: str = "", **_: Any) -> None:
    stopped = _STOPPED.get()
    if stopped is not None and stopped():
        raise RequestStopped(f"{event_name.rpartition('.')[2]} was stopped before it was sent")
    callback = _SENDING.get()
    if callback is not None:
        callback()


def install(client: Any, operation_name: str) -> bool:
    """Register the handler on ``client`` for one operation; False if the client has no event hooks."""
    try:
        service_id = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(
            f"before-parse.{service_id}.{operation_name}",
            _before_parse,
            unique_id=f"rekotrack-fast-path-{operation_name}",
        )
        client.meta.events.register(
            f"before-send.{service_id}.{operation_name}", _before_send, unique_id=f"rekotrack-sending-{operation_name}"
        )
    except (AttributeError, TypeError, ValueError) as exc:
        logger.debug("fast path unavailable (%s); using botocore parsing", exc)
        return False
    return True
