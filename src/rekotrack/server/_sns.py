"""Completion messages: built as Rekognition sends them, published to SNS by one background thread."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_boto3_sns import SNSClient

__all__ = ["Notification", "Publisher", "completion_message"]

_log = logging.getLogger("rekotrack.server")


@dataclass(frozen=True)
class Notification:
    """A completion message the server sent (or would have sent) to a job's SNS topic.

    ``message`` is the exact JSON string Rekognition publishes; ``payload`` is it
    decoded. ``published`` is True when SNS accepted it; without
    ``sns_endpoint_url`` nothing is published and ``error`` is ``None``.
    """

    job_id: str
    topic_arn: str
    message: str
    published: bool
    error: str | None = None

    @property
    def payload(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.message)
        return decoded


def completion_message(
    job_id: str, status: str, api: str, job_tag: str | None, ended: float, video: dict[str, Any]
) -> str:
    """The JSON string Rekognition publishes when a job ends (``ended`` in seconds since the epoch)."""
    s3 = video["S3Object"]
    message: dict[str, Any] = {"JobId": job_id, "Status": status, "API": api}
    if job_tag is not None:
        message["JobTag"] = job_tag
    message["Timestamp"] = int(ended * 1000)
    message["Video"] = {"S3ObjectName": s3["Name"], "S3Bucket": s3["Bucket"]}
    return json.dumps(message, separators=(",", ":"))


class Publisher:
    """Sends queued messages in order from one thread and records every one as a :class:`Notification`."""

    def __init__(self, sns_endpoint_url: str | None, region_name: str) -> None:
        self.sns_endpoint_url = sns_endpoint_url
        self.region_name = region_name
        self._outbox: queue.Queue[tuple[str, str, str] | None] = queue.Queue()
        self._sent: list[Notification] = []
        self._changed = threading.Condition()
        self._clients: dict[str, SNSClient] = {}
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="rekotrack-sns", daemon=True)
            self._thread.start()

    def stop(self, timeout: float) -> None:
        """Send what is queued (up to ``timeout`` seconds), then stop."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._outbox.put(None)
            thread.join(timeout)

    def put(self, job_id: str, topic_arn: str, message: str) -> None:
        self._outbox.put((job_id, topic_arn, message))

    @property
    def notifications(self) -> list[Notification]:
        with self._changed:
            return list(self._sent)

    def wait(self, count: int, timeout: float) -> list[Notification]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._sent) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._sent)} of {count} notifications after {timeout}s")
                self._changed.wait(left)
            return list(self._sent)

    def _run(self) -> None:
        while True:
            item = self._outbox.get()
            if item is None:
                return
            job_id, topic, message = item
            published, error = False, None
            if self.sns_endpoint_url is not None:
                try:
                    self._client(topic).publish(TopicArn=topic, Message=message)
                    published = True
                except Exception as exc:  # recorded, never raised into the server
                    error = f"{type(exc).__name__}: {exc}"
                    _log.warning("could not publish to %s: %s", topic, error)
            with self._changed:
                self._sent.append(Notification(job_id, topic, message, published, error))
                self._changed.notify_all()

    def _client(self, topic_arn: str) -> SNSClient:
        parts = topic_arn.split(":")
        region = parts[3] if len(parts) > 3 and parts[3] else self.region_name
        client = self._clients.get(region)
        if client is None:
            import boto3

            client = self._clients[region] = boto3.client(
                "sns",
                endpoint_url=self.sns_endpoint_url,
                region_name=region,
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
        return client
