"""Job records in Redis for the scale-out mode: every API process and every worker reads the same ones.

Keys (``rekotrack:`` prefix, in the broker's Redis database)::

    rekotrack:job:<JobId>          hash: the request, owner, status, attempts, the result's location
    rekotrack:token:<owner>\\0<tok>  "<JobId>\\n<fingerprint>" (ClientRequestTokens, per access key)
    rekotrack:running:<owner>      set of that access key's IN_PROGRESS JobIds (the concurrent-job limit)
    rekotrack:lease:<JobId>        the worker running the job; expires unless its heartbeat renews it
    rekotrack:token-key            the pagination-token secret shared by every API process

Hash members are JSON (a status is stored as ``"IN_PROGRESS"``, quotes included). Every change
that must not race is one Lua script, so Redis runs it atomically: admitting a job
(token lookup + limit + insert), taking a job's lease, and ending a job (IN_PROGRESS → final status
happens once; whoever loses that race knows its result is not the job's).

:class:`RedisJobRegistry` is the server core's :class:`~rekotrack.server.JobRegistry` over these
records: the core admits a job through the admission script, and finds there a job that another
API process started (or this one before a restart).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from rekotrack.selfhosted.service._jobs import (
    JobDataError,
    JobRecord,
    JobStatus,
    Progress,
    RedisJobRecord,
    S3Result,
    WorkOrder,
    parse,
)
from rekotrack.server import Admitted, ApiError, Job, JobOutcome, MemoryJobRegistry, token_key

__all__ = ["PREFIX", "Admission", "RedisJobRecords", "RedisJobRegistry"]

_log = logging.getLogger("rekotrack.selfhosted")

PREFIX: Final = "rekotrack:"

_ADMIT = """
if KEYS[2] ~= '' then
  local existing = redis.call('GET', KEYS[2])
  if existing then
    local sep = string.find(existing, '\\n', 1, true)
    local id = string.sub(existing, 1, sep - 1)
    if redis.call('EXISTS', ARGV[5] .. id) == 1 then
      if string.sub(existing, sep + 1) ~= ARGV[2] then return {'mismatch', id} end
      return {'existing', id}
    end
  end
end
local count = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if redis.call('HGET', ARGV[5] .. id, 'status') == '"IN_PROGRESS"' then
    count = count + 1
  else
    redis.call('SREM', KEYS[3], id)
  end
end
if count >= tonumber(ARGV[3]) then return {'limit', ''} end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('EXPIRE', KEYS[1], ARGV[4])
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], ARGV[1] .. '\\n' .. ARGV[2], 'EX', ARGV[4]) end
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return {'created', ARGV[1]}
"""

_BEGIN = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'gone', 0} end
if status ~= '"IN_PROGRESS"' then return {'done', 0} end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {'busy', 0} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {'run', redis.call('HINCRBY', KEYS[1], 'attempts', 1)}
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_FINISH = """
if redis.call('HGET', KEYS[1], 'status') ~= '"IN_PROGRESS"' then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('SREM', KEYS[3], ARGV[1])
return 1
"""


@dataclass(frozen=True)
class Admission:
    """What :meth:`RedisJobRecords.admit` decided: ``created``, ``existing``, ``mismatch`` or ``limit``."""

    verdict: str
    job_id: str


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisJobRecords:
    """The job records of one deployment, in the Redis database at ``url``."""

    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        self._redis: Any = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10,
                                                 health_check_interval=30)
        self._admit = self._redis.register_script(_ADMIT)
        self._begin = self._redis.register_script(_BEGIN)
        self._renew = self._redis.register_script(_RENEW)
        self._release = self._redis.register_script(_RELEASE)
        self._finish = self._redis.register_script(_FINISH)

    def close(self) -> None:
        self._redis.close()

    @staticmethod
    def _job(job_id: str) -> str:
        return f"{PREFIX}job:{job_id}"

    @staticmethod
    def _running(owner: str | None) -> str:
        return f"{PREFIX}running:{owner or ''}"

    @staticmethod
    def _token(owner: str | None, token: str | None) -> str:
        return "" if token is None else f"{PREFIX}token:{owner or ''}\0{token}"

    @staticmethod
    def _lease(job_id: str) -> str:
        return f"{PREFIX}lease:{job_id}"

    def token_secret(self) -> bytes:
        """The pagination-token secret: made by the first API process, read by every other."""
        key = f"{PREFIX}token-key"
        self._redis.set(key, secrets.token_bytes(32), nx=True)
        secret: bytes = self._redis.get(key)
        return secret

    def admit(self, record: RedisJobRecord, *, limit: int, retention_seconds: float) -> Admission:
        """Store a new job unless its token already names one or its owner has ``limit`` running."""
        flat: list[Any] = []
        for name, value in record.members().items():
            flat += [name, _encode(value)]
        answer = self._admit(
            keys=[self._job(record.job_id), self._token(record.owner, record.token), self._running(record.owner)],
            args=[record.job_id, record.fingerprint, limit, max(1, int(retention_seconds)), f"{PREFIX}job:", *flat],
        )
        return Admission(_text(answer[0]), _text(answer[1]))

    def existing(self, owner: str | None, token: str) -> str | None:
        """The JobId a ClientRequestToken already names (while that job is kept)."""
        value = self._redis.get(self._token(owner, token))
        if value is None:
            return None
        job_id = _text(value).split("\n", 1)[0]
        return job_id if self._redis.exists(self._job(job_id)) else None

    def get(self, job_id: str) -> RedisJobRecord | None:
        """The job's record, or ``None``; :class:`JobDataError` when the hash is not a valid record."""
        raw = self._redis.hgetall(self._job(job_id))
        if not raw:
            return None
        what = f"the Redis record {PREFIX}job:{job_id[:64]}"
        members: dict[str, Any] = {}
        for name, value in raw.items():
            try:
                members[_text(name)] = json.loads(_text(value))
            except ValueError:
                raise JobDataError(f"{what} is malformed ({_text(name)[:64]}: not JSON)") from None
        return parse(RedisJobRecord, members, what)

    def mark_enqueued(self, job_id: str) -> None:
        """Its Celery task was sent."""
        self._set(job_id, enqueued=True)

    def set_progress(self, job_id: str, progress: Progress) -> None:
        """The frames its worker has analysed so far."""
        self._set(job_id, progress=progress.model_dump())

    def mark_notified(self, job_id: str) -> None:
        """Its SNS completion was published (or it has no topic)."""
        self._set(job_id, notify=False)

    def _set(self, job_id: str, **members: Any) -> None:
        if self._redis.exists(self._job(job_id)):
            self._redis.hset(self._job(job_id), mapping={k: _encode(v) for k, v in members.items()})

    def delete(self, job_id: str, owner: str | None, token: str | None) -> None:
        """Forget a job that was never handed to the broker."""
        pipe = self._redis.pipeline()
        pipe.delete(self._job(job_id))
        pipe.srem(self._running(owner), job_id)
        if token is not None:
            pipe.delete(self._token(owner, token))
        pipe.execute()

    def not_enqueued(self) -> list[str]:
        """JobIds whose task was never confirmed sent (an API process stopped between store and send)."""
        found = []
        for key in self._redis.scan_iter(match=f"{PREFIX}job:*", count=500):
            enqueued, status = self._redis.hmget(key, "enqueued", "status")
            # compared as stored (JSON text): a malformed member is simply not a match
            if enqueued is not None and _text(enqueued) == "false" and status is not None \
                    and _text(status) == '"IN_PROGRESS"':
                found.append(_text(key)[len(f"{PREFIX}job:"):])
        return found

    # ------------------------------------------------------------------ the worker's side
    def begin(self, job_id: str, worker: str, lease_seconds: float) -> tuple[str, int]:
        """Take the job's lease: ``("run", attempt)``, ``("busy", 0)`` (another live worker has it),
        ``("done", 0)`` (it already ended) or ``("gone", 0)`` (expired or never stored)."""
        answer = self._begin(keys=[self._job(job_id), self._lease(job_id)],
                             args=[worker, int(lease_seconds * 1000)])
        return _text(answer[0]), int(answer[1])

    def renew(self, job_id: str, worker: str, lease_seconds: float) -> bool:
        """Extend the lease; False when it was lost (expired and taken by another worker)."""
        return bool(self._renew(keys=[self._lease(job_id)], args=[worker, int(lease_seconds * 1000)]))

    def release(self, job_id: str, worker: str) -> None:
        """Give the lease up (the job is handed back, or ended and its completion published)."""
        self._release(keys=[self._lease(job_id)], args=[worker])

    def leased(self, job_id: str) -> bool:
        """Whether a worker holds the job's lease (is running it, or publishing its completion)."""
        return bool(self._redis.exists(self._lease(job_id)))

    def finish(self, job_id: str, owner: str | None, *, status: JobStatus, status_message: str | None = None,
               ended: float, result: S3Result | None = None) -> bool:
        """End the job (its completion then owed: ``notify``) if it is still IN_PROGRESS; True for the one
        caller that did. The lease stays until :meth:`release`."""
        members: dict[str, Any] = {"status": status, "status_message": status_message, "ended": ended,
                                   "notify": True}
        if result is not None:
            members["result"] = result.model_dump(mode="json")
        flat: list[Any] = []
        for name, value in members.items():
            flat += [name, _encode(value)]
        return bool(self._finish(keys=[self._job(job_id), self._lease(job_id), self._running(owner)],
                                 args=[job_id, *flat]))

    def fail_malformed(self, job_id: str, message: str, ended: float) -> bool:
        """End a job whose record cannot be read (:class:`JobDataError`) FAILED with ``message``, if its
        status still says IN_PROGRESS; its owner is read as stored, when it is a string."""
        try:
            raw = self._redis.hget(self._job(job_id), "owner")
            owner = json.loads(_text(raw)) if raw is not None else None
        except ValueError:
            owner = None
        return self.finish(job_id, owner if isinstance(owner, str) else None, status="FAILED",
                           status_message=message, ended=ended)


def _encode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class RedisJobRegistry:
    """The jobs of every API process, in ``records``; the jobs this process holds are a cache of them.

    :meth:`admit` stores the job's record (its fields, and ``order(job)`` as ``task``: what a worker
    runs) atomically with the ClientRequestToken lookup and the per-access-key limit, so both hold
    across API processes. :meth:`get` loads a job this process does not hold (its result through
    ``outcome(record)``); an IN_PROGRESS job is brought up to date by the analyzer's ``job_progress``.
    """

    def __init__(self, records: RedisJobRecords, *, order: Callable[[Job], WorkOrder],
                 outcome: Callable[[RedisJobRecord], JobOutcome | None], retention_seconds: float) -> None:
        self.records = records
        self.order = order
        self.outcome = outcome
        self.retention_seconds = retention_seconds
        self._held = MemoryJobRegistry()

    def job(self, record: RedisJobRecord) -> Job:
        """The job a record describes."""
        return record.to_job(self.outcome(record), source=record.task.spec)

    def get(self, job_id: str) -> Job | None:
        job = self._held.get(job_id)
        if job is not None:
            return job
        try:
            record = self.records.get(job_id)
            if record is None:
                return None
            job = self.job(record)
        except JobDataError as exc:  # answered as the service's fault, logged with what is wrong
            _log.error("job %s: %s", job_id[:12], exc)
            raise ApiError("InternalServerError") from None
        self._held.add(job, token_key(job.owner, job.token))
        return job

    def admit(self, job: Job, key: str | None, limit: int) -> Admitted:
        record = RedisJobRecord(**JobRecord.of_job(job).job_fields(), task=self.order(job))
        for _ in range(2):
            try:
                admission = self.records.admit(record, limit=limit, retention_seconds=self.retention_seconds)
            except Exception:
                _log.exception("job %s: Redis refused the record", job.job_id[:12])
                raise ApiError("InternalServerError") from None
            if admission.verdict == "created":
                self._held.add(job, key)
                return Admitted("created")
            if admission.verdict == "limit":
                return Admitted("limit")
            existing = self.get(admission.job_id)  # the token's job, perhaps from another API process
            if existing is not None:
                return Admitted("existing", existing)
            # it expired between the admission and the lookup: admit again
        raise ApiError("InternalServerError")

    def withdraw(self, job: Job, key: str | None) -> None:
        self._held.forget(job, key)
        self.records.delete(job.job_id, job.owner, job.token)

    def add(self, job: Job, key: str | None) -> None:
        self._held.add(job, key)

    def forget(self, job: Job, key: str | None) -> None:
        """Only this process's copy: Redis expires the record itself."""
        self._held.forget(job, key)

    def held(self) -> list[Job]:
        return self._held.held()
