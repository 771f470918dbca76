"""Helpers shared by the asynchronous client's tests."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from rekotrack import RetryPolicy

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/RekognitionSnsPublish"
FAKE = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


async def no_sleep(_seconds: float) -> None:
    """An async sleep that only yields to the loop."""
    await asyncio.sleep(0)


def no_sleep_policy(**kwargs: Any) -> RetryPolicy:
    """Retries without waiting (sync and async alike) and a fixed jitter."""
    kwargs.setdefault("max_attempts", 15)
    return RetryPolicy(sleep=lambda _s: None, async_sleep=no_sleep, random=lambda: 0.5, **kwargs)


def fast_retry() -> RetryPolicy:
    return RetryPolicy(max_attempts=4, initial_delay=0.01, max_delay=0.05, limit_initial_delay=0.01)


def rekognition_message(job_id: str, status: str = "SUCCEEDED", *, job_tag: str | None = None) -> str:
    """The JSON Rekognition publishes to the topic."""
    body: dict[str, Any] = {"JobId": job_id, "Status": status, "API": "StartPersonTracking"}
    if job_tag is not None:
        body["JobTag"] = job_tag
    body["Timestamp"] = int(time.time() * 1000)
    body["Video"] = {"S3ObjectName": "clips/a.mp4", "S3Bucket": "my-videos"}
    return json.dumps(body, separators=(",", ":"))


def other_tasks() -> set[asyncio.Task[Any]]:
    """Tasks of the running loop other than the current one."""
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()}
