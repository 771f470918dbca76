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

The prefetch pipeline (``rekotrack._core._prefetch``) hears from the same hooks, through
the :class:`Reporter` of the call (``active(..., reporter=...)``): ``sending()`` at
``before-send`` (False: the request was stopped and is not sent, :class:`RequestStopped`,
never retried) and ``received(body)`` with a 200 page's raw bytes, before the page is
validated. The hook only reports; the pipeline's state machine decides.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, NamedTuple, Protocol

from pydantic import BaseModel, ValidationError

from ._core._pages import FAST_PAGE_KEY, OVERSIZED_KEY, oversized_count
from ._core._prefetch import RequestStopped

__all__ = ["PAGE_KEY", "Reporter", "RequestStopped", "active", "install", "validate_page"]

logger = logging.getLogger("rekotrack")

PAGE_KEY = FAST_PAGE_KEY


class Reporter(Protocol):
    """Hears what the hooks see of one call's requests (the prefetch pipeline's lane of a request)."""

    def sending(self) -> bool:
        """A request is about to be sent; False: it was stopped and must not be."""
        ...

    def received(self, body: bytes) -> None:
        """A 200 page's raw bytes, before they are validated."""
        ...


class _Call(NamedTuple):
    model: type[BaseModel] | None
    list_key: str | None
    max_results: int | None
    reporter: Reporter | None
    pause_gc: bool


_ACTIVE: ContextVar[_Call | None] = ContextVar("rekotrack_fast_path", default=None)


@contextlib.contextmanager
def active(
    model: type[BaseModel] | None,
    list_key: str | None = None,
    max_results: int | None = None,
    reporter: Reporter | None = None,
    pause_gc: bool = True,
) -> Iterator[None]:
    """Let the handler act on the calls made inside this block.

    ``model``: parse responses into it (None: botocore parses). ``list_key`` and
    ``max_results``: refuse, unparsed, a body whose ``list_key`` holds more items.
    ``reporter``: hears the requests' sending and their pages' bytes. ``pause_gc``:
    see :func:`validate_page`.
    """
    token = _ACTIVE.set(_Call(model, list_key, max_results, reporter, pause_gc))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def validate_page(model: type[BaseModel], body: bytes, pause_gc: bool = True) -> BaseModel:
    """Validate a page's raw bytes; with ``pause_gc``, with the cyclic GC paused meanwhile.

    A page builds tens of thousands of small objects that all stay alive until the
    page is built; with the collector running, they trigger over a hundred
    collections per page and get promoted to the oldest generation, whose full
    collections then scan every object in the process (boto3 holds hundreds of
    thousands). Pausing it for the few milliseconds of validation lets them die
    young; nothing cyclic is created. The pause is process-wide (the application's
    other threads allocate without collections meanwhile), hence the analyzers'
    public ``pause_gc=False``, which leaves the collector alone (figures in
    ``docs/performance.md``). A collector the application disabled stays disabled.
    """
    if not pause_gc or not gc.isenabled():
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
    raw = bytes(body)
    if call.list_key is not None and call.max_results is not None:
        count = oversized_count(raw, call.list_key, call.max_results)
        if count is not None:
            customized_response_dict[OVERSIZED_KEY] = count
            response_dict["body"] = b"{}"
            return
    if call.reporter is not None:
        call.reporter.received(raw)
    model = call.model
    if model is None:
        return
    try:
        page = validate_page(model, raw, call.pause_gc)
    except ValidationError:
        return  # truncated or invalid: botocore parses it and the integrity check decides
    if getattr(page, "job_status", None) is None:
        return
    customized_response_dict[PAGE_KEY] = page
    response_dict["body"] = b"{}"


def _before_send(event_name: str = "", **_: Any) -> None:
    call = _ACTIVE.get()
    if call is not None and call.reporter is not None and not call.reporter.sending():
        raise RequestStopped(f"{event_name.rpartition('.')[2]} was stopped before it was sent")


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
