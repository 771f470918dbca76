"""Results in S3 for the scale-out mode: any API process pages any job's result.

A worker writes the same five files as the single-machine store (``_store``: two JSON Lines
files with their int64 offset indexes, and meta.json) under a folder of its own attempt::

    s3://BUCKET/PREFIX<JobId>/<attempt>/TIMESTAMP.jsonl, TIMESTAMP.idx, INDEX.jsonl, INDEX.idx, meta.json

The job's Redis record names the one attempt folder that won the IN_PROGRESS → SUCCEEDED
transition, so a re-run (a worker that died after uploading, a duplicate delivery) can never mix
its files into the result or duplicate a detection; the losers' folders are deleted. A page is
two ranged GETs: the page's slice of the offset index, then the slice of the JSON Lines.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, Final

__all__ = ["S3Outcome", "delete_prefix", "parse_results_uri", "s3_error", "s3_unavailable", "upload_result"]

_OFFSET = struct.Struct("<q")
_FILES: Final = ("TIMESTAMP.jsonl", "TIMESTAMP.idx", "INDEX.jsonl", "INDEX.idx", "meta.json")


def parse_results_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket[/prefix]`` → (bucket, prefix ending in ``/`` or empty)."""
    if not uri.startswith("s3://") or len(uri) <= len("s3://"):
        raise ValueError(f"expected s3://bucket[/prefix], got {uri!r}")
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"expected s3://bucket[/prefix], got {uri!r}")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def upload_result(client: Any, bucket: str, folder_key: str, folder: Path) -> None:
    """Upload a result folder written by ``_store.write_result``; meta.json last."""
    for name in _FILES:
        client.put_object(Bucket=bucket, Key=f"{folder_key}{name}", Body=(folder / name).read_bytes())


def delete_prefix(client: Any, bucket: str, prefix: str, keep: str | None = None) -> int:
    """Delete every object under ``prefix`` except those under ``keep``; returns how many."""
    deleted = 0
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        doomed = [{"Key": o["Key"]} for o in page.get("Contents", []) if keep is None or not o["Key"].startswith(keep)]
        for start in range(0, len(doomed), 1000):
            client.delete_objects(Bucket=bucket, Delete={"Objects": doomed[start:start + 1000], "Quiet": True})
            deleted += len(doomed[start:start + 1000])
    return deleted


class S3Outcome:
    """A SUCCEEDED job's result, read a page at a time from its S3 folder (the JobOutcome protocol)."""

    final_status = "SUCCEEDED"
    notification_status = "SUCCEEDED"
    status_message: str | None = None

    def __init__(self, client: Any, bucket: str, folder_key: str, detection_count: int,
                 video_metadata: dict[str, Any]) -> None:
        self._client = client
        self.bucket = bucket
        self.folder_key = folder_key
        self.detection_count = detection_count
        self._metadata = video_metadata

    def video_metadata(self) -> dict[str, Any]:
        return dict(self._metadata)

    def _range(self, name: str, first: int, last: int) -> bytes:
        response = self._client.get_object(Bucket=self.bucket, Key=f"{self.folder_key}{name}",
                                           Range=f"bytes={first}-{last}")
        body: bytes = response["Body"].read()
        return body

    def page(self, sort_by: str, start: int, count: int) -> list[dict[str, Any]]:
        import json

        from rekotrack.selfhosted.service._store import page_bounds

        start, end = page_bounds(sort_by, start, count, self.detection_count)
        if end <= start:
            return []
        index = self._range(f"{sort_by}.idx", start * _OFFSET.size, (end + 1) * _OFFSET.size - 1)
        first = _OFFSET.unpack_from(index, 0)[0]
        last = _OFFSET.unpack_from(index, (end - start) * _OFFSET.size)[0]
        chunk = self._range(f"{sort_by}.jsonl", first, last - 1)
        rows = [json.loads(line) for line in chunk.splitlines()]
        if len(rows) != end - start:
            raise ValueError(f"s3://{self.bucket}/{self.folder_key}{sort_by}.jsonl does not match its index")
        return rows


def s3_unavailable(exc: Exception) -> bool:
    """Whether an S3 error is S3 being away or failing (no connection, a timeout, a 5xx, throttling), not an
    answer about the object: a Start then answers InternalServerError (retried by SDKs), not InvalidS3Object."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError, ReadTimeoutError
    from s3transfer.exceptions import RetriesExceededError  # boto3's download_file, a body cut off each time

    if isinstance(exc, (ConnectionError, HTTPClientError, ReadTimeoutError, RetriesExceededError)):
        return True
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return status >= 500 or code in ("SlowDown", "Throttling", "RequestTimeout")
    return False


def s3_error(exc: Exception) -> str:
    """An S3 error in a few words: ``NoSuchBucket: The specified bucket does not exist``."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{code}: {error.get('Message') or 'no message'}"
    return f"{type(exc).__name__}: {exc}"
