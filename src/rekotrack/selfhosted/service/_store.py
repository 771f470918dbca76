"""Job state in SQLite and results as files paginated from disk.

Layout under the data directory::

    jobs.sqlite3                 one row per job (state, request, owner, times)
    token.key                    the pagination-token secret (NextTokens survive a restart)
    results/<JobId>/meta.json    VideoMetadata and counts
    results/<JobId>/TIMESTAMP.jsonl, INDEX.jsonl   one detection per line, in that order
    results/<JobId>/TIMESTAMP.idx,   INDEX.idx     byte offset of every line (int64)

A page is one seek and one read: nothing but the page is held in memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import sqlite3
import struct
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from rekotrack.selfhosted.service._jobs import JobRecord, parse

__all__ = ["FailedOutcome", "JobRecord", "JobStore", "StoredOutcome", "page_bounds", "write_result"]

_SORTS: Final = ("TIMESTAMP", "INDEX")
_OFFSET = struct.Struct("<q")
INTERRUPTED_MESSAGE: Final = "The job was interrupted because the server stopped. Start it again."

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    owner TEXT,
    token TEXT,
    fingerprint TEXT NOT NULL,
    video TEXT NOT NULL,
    job_tag TEXT,
    channel TEXT,
    created REAL NOT NULL,
    status TEXT NOT NULL,
    status_message TEXT,
    ended REAL
)
"""


@dataclass(frozen=True)
class FailedOutcome:
    """A job that ended FAILED with ``status_message``."""

    status_message: str
    notification_status: str = "FAILED"
    final_status: str = "FAILED"
    detection_count: int = 0

    def video_metadata(self) -> dict[str, Any]:
        return {}

    def page(self, sort_by: str, start: int, count: int) -> list[dict[str, Any]]:
        return []


def write_result(folder: Path, video_metadata: dict[str, Any], persons: list[dict[str, Any]]) -> None:
    """Write a SUCCEEDED job's result files (``persons`` in TIMESTAMP order); atomic per folder.

    Items without a ``Person`` (a face detection job's ``Faces``) keep their order in INDEX.jsonl too, and
    items without a ``Timestamp`` (a segment job's ``Segments``) are allowed."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    orders = {
        "TIMESTAMP": persons,
        "INDEX": sorted(persons, key=lambda d: (d.get("Person", {}).get("Index", -1), d.get("Timestamp", 0))),
    }
    for sort_by, rows in orders.items():
        with open(tmp / f"{sort_by}.jsonl", "wb") as data, open(tmp / f"{sort_by}.idx", "wb") as index:
            offset = 0
            for row in rows:
                line = json.dumps(row, separators=(",", ":")).encode() + b"\n"
                index.write(_OFFSET.pack(offset))
                data.write(line)
                offset += len(line)
            index.write(_OFFSET.pack(offset))
    meta = {"VideoMetadata": video_metadata, "DetectionCount": len(persons)}
    (tmp / "meta.json").write_text(json.dumps(meta))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


def page_bounds(sort_by: str, start: int, count: int, total: int) -> tuple[int, int]:
    """The rows ``[start, end)`` of a page of ``count`` rows from ``start``, clamped to ``total``."""
    if sort_by not in _SORTS:
        raise ValueError(f"unknown sort order {sort_by!r}")
    start = max(0, min(start, total))
    return start, min(total, start + max(0, count))


class StoredOutcome:
    """A SUCCEEDED job's result, read a page at a time from its folder."""

    final_status = "SUCCEEDED"
    notification_status = "SUCCEEDED"
    status_message: str | None = None

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        meta = json.loads((folder / "meta.json").read_text())
        self._metadata: dict[str, Any] = meta["VideoMetadata"]
        self.detection_count: int = int(meta["DetectionCount"])

    def video_metadata(self) -> dict[str, Any]:
        return dict(self._metadata)

    def page(self, sort_by: str, start: int, count: int) -> list[dict[str, Any]]:
        start, end = page_bounds(sort_by, start, count, self.detection_count)
        if end <= start:
            return []
        with open(self.folder / f"{sort_by}.idx", "rb") as index:
            index.seek(start * _OFFSET.size)
            first = _OFFSET.unpack(index.read(_OFFSET.size))[0]
            index.seek(end * _OFFSET.size)
            last = _OFFSET.unpack(index.read(_OFFSET.size))[0]
        with open(self.folder / f"{sort_by}.jsonl", "rb") as data:
            data.seek(first)
            chunk = data.read(last - first)
        return [json.loads(line) for line in chunk.splitlines()]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for start in range(0, self.detection_count, 1000):
            yield from self.page("TIMESTAMP", start, 1000)


_COLUMNS: Final = ("job_id, owner, token, fingerprint, video, job_tag, channel, created, status, status_message, "
                   "ended, operation")
_NAMES: Final = tuple(name.strip() for name in _COLUMNS.split(","))


class JobStore:
    """SQLite job table plus result folders under ``root``; safe to share between threads."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "results").mkdir(exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.root / "jobs.sqlite3"), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
        if "operation" not in columns:  # a data directory from before face detection: all person tracking
            self._db.execute("ALTER TABLE jobs ADD COLUMN operation TEXT NOT NULL DEFAULT 'PersonTracking'")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def token_secret(self) -> bytes:
        """The pagination-token secret, made once and kept (owner-only permissions)."""
        path = self.root / "token.key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
        return path.read_bytes()

    def result_dir(self, job_id: str) -> Path:
        return self.root / "results" / job_id

    def progress_file(self, job_id: str) -> Path:
        """Where a running job's worker keeps the frames it has analysed (``_worker.FileProgress``)."""
        return self.root / "results" / f"{job_id}.progress"

    def insert(self, record: JobRecord) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT INTO jobs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.job_id, record.owner, record.token, record.fingerprint, json.dumps(record.video),
                    record.job_tag, json.dumps(record.channel) if record.channel is not None else None,
                    record.created, record.status, record.status_message, record.ended, record.operation,
                ),
            )

    def finish(self, job_id: str, status: str, status_message: str | None, ended: float) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET status = ?, status_message = ?, ended = ? WHERE job_id = ?",
                (status, status_message, ended, job_id),
            )

    def delete(self, job_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
        shutil.rmtree(self.result_dir(job_id), ignore_errors=True)
        self.progress_file(job_id).unlink(missing_ok=True)

    def records(self) -> Iterable[JobRecord]:
        """Every stored job; a row that is not a valid record is a JobDataError naming it."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM jobs ORDER BY created").fetchall()
        for row in rows:
            fields: dict[str, Any] = dict(zip(_NAMES, row, strict=True))
            for name in ("video", "channel"):
                with contextlib.suppress(TypeError, ValueError):  # left as it is: the validation names the column
                    fields[name] = json.loads(fields[name]) if fields[name] is not None else None
            yield parse(JobRecord, fields, f"the stored job {str(row[0])[:64]!r} in {self.root / 'jobs.sqlite3'}")

    def fail_interrupted(self, now: float) -> list[str]:
        """Mark every IN_PROGRESS job FAILED (the server that ran it stopped); returns their ids."""
        with self._lock:
            ids = [r[0] for r in self._db.execute("SELECT job_id FROM jobs WHERE status = 'IN_PROGRESS'")]
            self._db.execute(
                "UPDATE jobs SET status = 'FAILED', status_message = ?, ended = ? WHERE status = 'IN_PROGRESS'",
                (INTERRUPTED_MESSAGE, now),
            )
        return ids

    def outcome(self, record: JobRecord) -> StoredOutcome | FailedOutcome | None:
        """What a stored job answers (``None`` while IN_PROGRESS)."""
        if record.status == "SUCCEEDED":
            try:
                return StoredOutcome(self.result_dir(record.job_id))
            except (OSError, ValueError, KeyError):
                return FailedOutcome("The job's results were lost from the data directory.")
        if record.status == "FAILED":
            return FailedOutcome(record.status_message or "Failed.")
        return None
