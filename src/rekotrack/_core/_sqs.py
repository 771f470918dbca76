"""SNS and SQS calls as data, and the procedures that create and close a completion queue.

The procedures yield :class:`SqsCall` requests; the queue shells make each call
(retried under the policy) and send back its response or throw in its error, so
both queues create, undo and close in exactly the same order.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rekotrack import _constraints as c
from rekotrack._errors import RequestValidationError

from ._constants import DEFAULT_PREFIX
from ._procedure import Procedure

__all__ = [
    "Made",
    "SqsCall",
    "attach_call",
    "check_attach",
    "check_create",
    "close_procedure",
    "create_procedure",
    "queue_policy",
]

logger = logging.getLogger("rekotrack")

_PREFIX_RE = re.compile(r"\A[A-Za-z0-9_-]{1,60}\Z")


def _check(name: str, value: str, constraint: c.Constraint) -> None:
    problem = constraint.problem(value)
    if problem is not None:
        raise RequestValidationError(name, problem, value)


def queue_policy(queue_arn: str, topic_arn: str) -> dict[str, Any]:
    """The queue access policy: ``sqs:SendMessage`` from SNS for this one topic, nothing else."""
    return {
        "Version": "2012-10-17",
        "Id": f"{queue_arn}/rekotrack",
        "Statement": [
            {
                "Sid": "AllowRekognitionTopic",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }


def check_create(role_arn: str, name_prefix: str, queue_attributes: Mapping[str, str] | None) -> dict[str, str]:
    """Check :meth:`CompletionQueue.create`'s inputs before any call; the extra queue attributes to set."""
    _check("role_arn", role_arn, c.ROLE_ARN)
    if not isinstance(name_prefix, str) or not _PREFIX_RE.match(name_prefix):
        raise RequestValidationError("name_prefix", "must be 1-60 characters of A-Z a-z 0-9 _ -", name_prefix)
    if not name_prefix.startswith(DEFAULT_PREFIX):
        logger.warning(
            "topic prefix %r does not start with %s: the managed AmazonRekognitionServiceRole "
            "policy cannot publish to it; give the role sns:Publish on the topic yourself",
            name_prefix,
            DEFAULT_PREFIX,
        )
    if queue_attributes is not None and not isinstance(queue_attributes, Mapping):
        raise RequestValidationError("queue_attributes", "must be a mapping", queue_attributes)
    extra = dict(queue_attributes or {})
    for key, value in extra.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise RequestValidationError("queue_attributes", "must map attribute names to strings", extra)
    if "Policy" in extra:
        raise RequestValidationError("queue_attributes", "must not set Policy (rekotrack sets it)", extra)
    return extra


def check_attach(topic_arn: str, role_arn: str) -> None:
    """Check :meth:`CompletionQueue.attach`'s inputs before any call."""
    _check("topic_arn", topic_arn, c.SNS_TOPIC_ARN)
    _check("role_arn", role_arn, c.ROLE_ARN)


@dataclass(frozen=True)
class SqsCall:
    """One SNS or SQS request a procedure asks its driver to make (and retry under the policy)."""

    operation: str
    service: Literal["sns", "sqs"]
    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Made:
    """What :func:`create_procedure` made."""

    topic_arn: str
    queue_url: str
    queue_arn: str
    subscription_arn: str


def create_procedure(name: str, extra: Mapping[str, str], raw_message_delivery: bool) -> Procedure[Made]:
    """Topic, queue, its ARN, its policy, then the subscription; on a failure, delete what was made, newest first."""
    undo: list[tuple[str, SqsCall]] = []
    try:
        topic_arn = (yield SqsCall("CreateTopic", "sns", "create_topic", {"Name": name}))["TopicArn"]
        undo.append((topic_arn, SqsCall("DeleteTopic", "sns", "delete_topic", {"TopicArn": topic_arn})))
        queue_url = (
            yield SqsCall("CreateQueue", "sqs", "create_queue", {"QueueName": name, "Attributes": dict(extra)})
        )["QueueUrl"]
        undo.append((queue_url, SqsCall("DeleteQueue", "sqs", "delete_queue", {"QueueUrl": queue_url})))
        attributes = yield SqsCall(
            "GetQueueAttributes",
            "sqs",
            "get_queue_attributes",
            {"QueueUrl": queue_url, "AttributeNames": ["QueueArn"]},
        )
        queue_arn = attributes["Attributes"]["QueueArn"]
        document = json.dumps(queue_policy(queue_arn, topic_arn))
        yield SqsCall(
            "SetQueueAttributes",
            "sqs",
            "set_queue_attributes",
            {"QueueUrl": queue_url, "Attributes": {"Policy": document}},
        )
        sub_attributes = {"RawMessageDelivery": "true"} if raw_message_delivery else {}
        subscription = yield SqsCall(
            "Subscribe",
            "sns",
            "subscribe",
            {
                "TopicArn": topic_arn,
                "Protocol": "sqs",
                "Endpoint": queue_arn,
                "Attributes": sub_attributes,
                "ReturnSubscriptionArn": True,
            },
        )
        subscription_arn = subscription["SubscriptionArn"]
    except GeneratorExit:
        raise
    except BaseException:
        for what, call in reversed(undo):
            try:
                yield call
            except Exception as exc:
                logger.warning("could not delete %s after a failed create (%s): delete it yourself", what, exc)
        raise
    logger.debug("created topic %s, queue %s, subscription %s", topic_arn, queue_url, subscription_arn)
    return Made(topic_arn, queue_url, queue_arn, subscription_arn)


def attach_call(queue_url: str) -> SqsCall:
    """The one call :meth:`CompletionQueue.attach` makes: the queue's ARN."""
    params = {"QueueUrl": queue_url, "AttributeNames": ["QueueArn"]}
    return SqsCall("GetQueueAttributes", "sqs", "get_queue_attributes", params)


def close_procedure(subscription_arn: str | None, queue_url: str, topic_arn: str, name: str) -> Procedure[None]:
    """Unsubscribe, delete the queue, delete the topic: every step tried; the first failure raised after all."""
    steps: list[SqsCall] = []
    if subscription_arn:
        steps.append(SqsCall("Unsubscribe", "sns", "unsubscribe", {"SubscriptionArn": subscription_arn}))
    steps.append(SqsCall("DeleteQueue", "sqs", "delete_queue", {"QueueUrl": queue_url}))
    steps.append(SqsCall("DeleteTopic", "sns", "delete_topic", {"TopicArn": topic_arn}))
    first: Exception | None = None
    for call in steps:
        try:
            yield call
        except Exception as exc:
            logger.warning("%s failed while closing %s: %s", call.operation, name, exc)
            first = first or exc
    if first is not None:
        raise first
