"""A moto server on 127.0.0.1 for SNS and SQS, real boto3 clients bound to it, and helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from completion_support import FAKE, REGION, ROLE_ARN, fast_retry, rekognition_message

from rekotrack._completion import CompletionQueue


@pytest.fixture(scope="session")
def session() -> boto3.Session:
    return boto3.Session(region_name=REGION, **FAKE)


@pytest.fixture
def sns(session: boto3.Session, moto_url: str) -> Any:
    return session.client("sns", endpoint_url=moto_url)


@pytest.fixture
def sqs(session: boto3.Session, moto_url: str) -> Any:
    return session.client("sqs", endpoint_url=moto_url)


@pytest.fixture
def make_queue(sns: Any, sqs: Any) -> Iterator[Callable[..., CompletionQueue]]:
    made: list[CompletionQueue] = []

    def make(**kwargs: Any) -> CompletionQueue:
        kwargs.setdefault("sns_client", sns)
        kwargs.setdefault("sqs_client", sqs)
        kwargs.setdefault("retry", fast_retry())
        queue = CompletionQueue.create(ROLE_ARN, **kwargs)
        made.append(queue)
        return queue

    yield make
    for queue in made:
        queue.close()


@pytest.fixture
def queue(make_queue: Callable[..., CompletionQueue]) -> CompletionQueue:
    return make_queue()


@pytest.fixture
def publish(sns: Any) -> Callable[..., str]:
    """Publish a Rekognition completion for ``job_id`` to the queue's topic, as the service does."""

    def publish(queue: CompletionQueue, job_id: str, status: str = "SUCCEEDED", **kwargs: Any) -> str:
        sns.publish(TopicArn=queue.topic_arn, Message=rekognition_message(job_id, status, **kwargs))
        return job_id

    return publish
