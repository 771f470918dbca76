"""Reading Rekognition completion notifications, and what to do with a received message.

A completion reaches an SQS queue doubly encoded: the SQS ``Body`` is the SNS
envelope, whose ``Message`` is a JSON *string* holding Rekognition's
notification (``JobId``, ``Status``, ``API``, ``JobTag``, ``Timestamp``,
``Video``). With raw message delivery the body is that inner JSON directly.
A Lambda function subscribed to the topic gets ``Records[].Sns.Message``; one
fed by the queue gets ``Records[].body``.

Everything here is pure (no I/O), so the synchronous and asynchronous queues
share the parsing and the per-message decision (:func:`decide_message`).
"""

from __future__ import annotations

import json
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from ._constraints import JOB_ID
from ._errors import NotificationParseError
from ._models import CompletionNotification

__all__ = [
    "FAILURE_STATUSES",
    "MessageAction",
    "MessageDecision",
    "decide_message",
    "foreign_visibility_timeout",
    "is_failure",
    "parse_lambda_event",
    "parse_notification",
]

FAILURE_STATUSES = frozenset({"FAILED", "ERROR"})
"""Notification statuses that mean the job did not succeed (ERROR is not a Get status)."""

_MAX_HOLD_SECONDS = 20


def is_failure(note: CompletionNotification) -> bool:
    """Whether the notification says FAILED or ERROR."""
    return note.status in FAILURE_STATUSES


# ---- parsing ----------------------------------------------------------------


def _loads(text: str | bytes | bytearray, layer: str, what: str) -> object:
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise NotificationParseError(layer, f"{what} is nested too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotificationParseError(layer, f"{what} is not JSON ({exc})") from exc


def _keys(value: Mapping[str, Any]) -> str:
    shown = sorted(str(k) for k in value)
    return ", ".join(shown[:8]) + (", ..." if len(shown) > 8 else "")


def _is_envelope(value: Mapping[str, Any]) -> bool:
    return "Type" in value or ("TopicArn" in value and "Message" in value)


def _from_message(value: object) -> CompletionNotification:
    """Layer ``message``: Rekognition's own JSON object."""
    if not isinstance(value, Mapping):
        raise NotificationParseError("message", f"expected a JSON object, got {type(value).__name__}")
    if not isinstance(value.get("JobId"), str) or not value["JobId"]:
        raise NotificationParseError("message", f"no JobId (keys: {_keys(value)})")
    problem = JOB_ID.problem(value["JobId"])  # the service model's pattern: never a path like ../../x
    if problem is not None:
        shown = repr(value["JobId"])
        raise NotificationParseError("message", f"JobId {problem} (got {shown[:80]}{'...' if len(shown) > 80 else ''})")
    if not isinstance(value.get("Status"), str):
        raise NotificationParseError("message", f"no Status string for job {value['JobId']}")
    try:
        return CompletionNotification.model_validate(dict(value))
    except RecursionError as exc:
        raise NotificationParseError("message", "nested too deeply") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise NotificationParseError("message", problems) from exc


def _from_envelope(value: Mapping[str, Any]) -> CompletionNotification:
    """Layer ``sns-envelope``: the SNS envelope whose ``Message`` is a JSON string."""
    kind = value.get("Type", "Notification")
    if kind != "Notification":
        raise NotificationParseError("sns-envelope", f"Type is {kind!r}, not 'Notification'")
    message = value.get("Message")
    if isinstance(message, Mapping):
        # Already decoded by someone upstream; accept it as is.
        return _from_message(message)
    if not isinstance(message, str):
        raise NotificationParseError("sns-envelope", "Message is missing or not a string")
    return _from_message(_loads(message, "message", "the SNS Message"))


def _from_json_object(value: object, layer: str) -> CompletionNotification:
    """A decoded body or dict: an SNS envelope or Rekognition's JSON (raw delivery)."""
    if not isinstance(value, Mapping):
        raise NotificationParseError(layer, f"expected a JSON object, got {type(value).__name__}")
    if _is_envelope(value):
        return _from_envelope(value)
    if "JobId" in value:
        return _from_message(value)
    raise NotificationParseError(
        "message", f"neither an SNS envelope nor a Rekognition notification (keys: {_keys(value)})"
    )


def _from_body(body: object) -> CompletionNotification:
    """Layer ``sqs``: an SQS message body (the SNS envelope, or the inner JSON with raw delivery)."""
    if isinstance(body, (bytes, bytearray)):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotificationParseError("sqs", f"body is not UTF-8 ({exc})") from exc
    if not isinstance(body, str):
        raise NotificationParseError("sqs", f"Body must be a string, got {type(body).__name__}")
    return _from_json_object(_loads(body, "sqs", "the body"), "sqs")


def parse_notification(value: object) -> CompletionNotification:
    """Read a completion notification from any of the shapes it comes in.

    Accepts an SQS message dict (as ``receive_message`` returns it, with
    ``Body``), an SQS body string holding the SNS envelope, a raw-delivery body
    (Rekognition's JSON as a string), an SNS envelope dict, or Rekognition's
    JSON as a dict. Raises :class:`NotificationParseError` whose ``layer`` is
    ``"sqs"``, ``"sns-envelope"`` or ``"message"``.
    """
    if isinstance(value, (str, bytes, bytearray)):
        return _from_body(value)
    if isinstance(value, Mapping):
        if "Body" in value:
            return _from_body(value["Body"])
        return _from_json_object(value, "message")
    raise NotificationParseError("sqs", f"cannot read a notification from {type(value).__name__}")


def _lambda_record(record: object, index: int) -> CompletionNotification:
    if not isinstance(record, Mapping):
        raise NotificationParseError("lambda-event", f"Records[{index}] is not an object")
    sns = record.get("Sns")
    if isinstance(sns, Mapping):
        return _from_envelope(sns)
    if "body" in record:
        return _from_body(record["body"])
    source = record.get("EventSource") or record.get("eventSource")
    raise NotificationParseError(
        "lambda-event", f"Records[{index}] is neither an SNS nor an SQS record (source {source!r})"
    )


def parse_lambda_event(event: object) -> list[CompletionNotification]:
    """The notifications in a Lambda event from SNS (``Records[].Sns.Message``) or SQS (``Records[].body``).

    One notification per record, in order. Raises :class:`NotificationParseError`
    (layer ``"lambda-event"`` for the event itself, otherwise the failing inner layer)
    on the first record that cannot be read, and for an event with no records: Lambda
    never invokes a function with an empty SNS or SQS batch, so ``{"Records": []}`` is
    not a completion event (a test event or the wrong trigger) and is not read as "none".
    """
    if not isinstance(event, Mapping):
        raise NotificationParseError("lambda-event", f"event must be an object, got {type(event).__name__}")
    records = event.get("Records")
    if not isinstance(records, list):
        raise NotificationParseError("lambda-event", "event has no Records list")
    if not records:
        raise NotificationParseError("lambda-event", "event has an empty Records list (SNS and SQS events carry "
                                     "at least one record)")
    return [_lambda_record(record, i) for i, record in enumerate(records)]


# ---- what to do with a received message ----------------------------------------

MessageAction = Literal["deliver", "release", "delete", "skip"]


@dataclass(frozen=True)
class MessageDecision:
    """What a queue consumer does with one received SQS message.

    - ``deliver``: a waiter in this process wants the job; keep the message hidden
      and delete it once the notification is handed over.
    - ``release``: another job's message; keep a copy in the in-process buffer and
      set its visibility to ``visibility_timeout`` so other consumers can get it.
    - ``delete``: a duplicate or late message of a job already handed over or discarded.
    - ``skip``: malformed; leave it alone (visibility unchanged) for the redrive policy.
    """

    action: MessageAction
    notification: CompletionNotification | None = None
    error: NotificationParseError | None = None
    visibility_timeout: int | None = None


def foreign_visibility_timeout(sightings: int) -> int:
    """Visibility to give another job's message that this consumer has received ``sightings`` times.

    The first time it goes back at once (0 s), so other consumers can take it;
    when the same message keeps coming back to this consumer it is held a little
    longer each time (1, 2, 4 ... 20 s) so that it does not crowd out the
    messages this consumer is waiting for.
    """
    if sightings <= 1:
        return 0
    return int(min(_MAX_HOLD_SECONDS, 2 ** (sightings - 2)))


def decide_message(
    message: Mapping[str, Any],
    *,
    wanted: Container[str],
    finished: Container[str],
    sightings: int = 1,
) -> MessageDecision:
    """Decide what to do with one SQS message.

    ``wanted`` holds the job ids a waiter in this process is waiting for,
    ``finished`` those whose notification was already handed over (or discarded),
    ``sightings`` how many times this consumer has received this MessageId.
    """
    try:
        note = parse_notification(message)
    except NotificationParseError as exc:
        return MessageDecision("skip", error=exc)
    if note.job_id in wanted:
        return MessageDecision("deliver", note)
    if note.job_id in finished:
        return MessageDecision("delete", note)
    return MessageDecision("release", note, visibility_timeout=foreign_visibility_timeout(sightings))
