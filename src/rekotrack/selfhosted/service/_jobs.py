"""What crosses a process boundary in the self-hosted service, typed and validated where it crosses.

- :class:`JobSpec`: what one job needs (the operation, where its video is, the Start's options). The API
  process makes it from the Start; the single-machine runner hands it to a worker process (pickled), the
  scale-out mode stores it in the job's Redis record inside a :class:`WorkOrder`.
- :class:`WorkResult`: what a worker hands back (SUCCEEDED with frame and item counts, or FAILED with the
  message a Get shows).
- :class:`JobRecord`: the one shape of a stored job. The SQLite store keeps it as a row, the scale-out
  mode as a Redis hash (:class:`RedisJobRecord`: the same fields plus its work order, attempts and
  result), and the Get path turns either into the core's :class:`~rekotrack.server.Job` with
  :meth:`JobRecord.to_job`.

Anything read back (a Redis hash, a SQLite row, a worker's answer) is validated: a malformed one is a
:class:`JobDataError` naming the job and what is wrong, never a ``KeyError`` deep inside the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rekotrack.server import Job, JobOutcome

__all__ = [
    "ANALYSED",
    "AnalysedOperation",
    "FileVideo",
    "JobDataError",
    "JobRecord",
    "JobSpec",
    "JobStatus",
    "Progress",
    "RedisJobRecord",
    "ResultsLocation",
    "S3Result",
    "S3Video",
    "VideoSource",
    "WorkOrder",
    "WorkResult",
    "parse",
]

AnalysedOperation = Literal["PersonTracking", "FaceDetection", "SegmentDetection", "TextDetection"]
"""The Video job kinds the self-hosted service analyses (every other kind is served but refused)."""
ANALYSED: Final[tuple[AnalysedOperation, ...]] = get_args(AnalysedOperation)

JobStatus = Literal["IN_PROGRESS", "SUCCEEDED", "FAILED"]


class JobDataError(ValueError):
    """A job's spec, record or a worker's result is malformed (a corrupt or foreign Redis hash or SQLite row,
    a worker that answered nonsense). The message names what was read and every field that is wrong."""


_M = TypeVar("_M", bound=BaseModel)


def parse(model: type[_M], data: object, what: str) -> _M:
    """``data`` validated as ``model``; :class:`JobDataError` naming ``what`` and each bad field otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(the whole value)'}: {error['msg']}"
            for error in exc.errors()[:5]
        )
        raise JobDataError(f"{what} is malformed ({problems})") from None


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------------- what a worker runs
class FileVideo(_Model):
    """A video read from the server's own disk (``video_root/bucket/key``)."""

    kind: Literal["file"] = "file"
    path: str
    uri: str
    """The Start's ``s3://bucket/key`` (for the logs)."""


class S3Video(_Model):
    """A video downloaded through the S3 API by the worker."""

    kind: Literal["s3"] = "s3"
    bucket: str
    key: str
    version: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    uri: str


VideoSource = Annotated[FileVideo | S3Video, Field(discriminator="kind")]


class JobSpec(_Model):
    """What one job needs besides the analyzer settings: its operation, its video, the Start's options."""

    operation: AnalysedOperation
    source: VideoSource
    video: dict[str, Any] | None = None
    """The Start's ``Video`` (the synthetic analyzer's faces, segments and text are made from it)."""
    face_attributes: Literal["DEFAULT", "ALL"] = "DEFAULT"
    """FaceDetection: the Start's ``FaceAttributes``."""
    filters: dict[str, Any] = Field(default_factory=dict)
    """SegmentDetection and TextDetection: the Start's ``Filters``."""
    segment_types: tuple[Literal["TECHNICAL_CUE", "SHOT"], ...] = ()
    """SegmentDetection: the Start's ``SegmentTypes``."""

    @model_validator(mode="after")
    def _options_fit_the_operation(self) -> JobSpec:
        if self.operation == "SegmentDetection" and not self.segment_types:
            raise ValueError("a SegmentDetection job needs segment_types")
        if self.operation != "SegmentDetection" and self.segment_types:
            raise ValueError(f"a {self.operation} job takes no segment_types")
        if self.operation != "PersonTracking" and self.video is None:
            raise ValueError(f"a {self.operation} job needs the Start's Video")
        return self

    def describe(self) -> str:
        """Where the video is, for the logs (a path or ``s3://bucket/key``)."""
        if isinstance(self.source, FileVideo):
            return self.source.path
        return f"s3://{self.source.bucket}/{self.source.key}"

    @classmethod
    def of_start(cls, operation: AnalysedOperation, source: FileVideo | S3Video,
                 params: Mapping[str, Any]) -> JobSpec:
        """The spec of a validated Start of ``operation`` (its ``Video``, ``FaceAttributes``, ``Filters``,
        ``SegmentTypes``); :class:`JobDataError` if the Start's options do not fit."""
        options: dict[str, Any] = {"operation": operation, "source": source}
        if operation != "PersonTracking":
            options["video"] = params.get("Video")
        if operation == "FaceDetection":
            options["face_attributes"] = params.get("FaceAttributes", "DEFAULT")
        if operation in ("SegmentDetection", "TextDetection"):
            options["filters"] = dict(params.get("Filters") or {})
        if operation == "SegmentDetection":
            options["segment_types"] = tuple(params.get("SegmentTypes") or ())
        return parse(cls, options, f"the {operation} Start's options")


class WorkResult(_Model):
    """What a worker hands back for one job."""

    status: Literal["SUCCEEDED", "FAILED"]
    message: str | None = None
    """FAILED: the StatusMessage a Get shows."""
    frames: int = Field(default=0, ge=0)
    """Frames analysed."""
    items: int = Field(default=0, ge=0)
    """Items written (person detections, faces, segments, text detections)."""
    seconds: float = Field(default=0.0, ge=0.0)

    @model_validator(mode="after")
    def _failed_has_a_message(self) -> WorkResult:
        if (self.status == "FAILED") != (self.message is not None):
            raise ValueError("a FAILED result has a message, a SUCCEEDED one none")
        return self

    @classmethod
    def failed(cls, message: str) -> WorkResult:
        return cls(status="FAILED", message=message)

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"


class ResultsLocation(_Model):
    """``s3://bucket/prefix`` where the scale-out workers write results."""

    bucket: str
    prefix: str


class WorkOrder(_Model):
    """What a scale-out worker runs for a job (the ``task`` member of its Redis record)."""

    spec: JobSpec
    settings: dict[str, Any]
    """:meth:`AnalyzerSettings.to_json <rekotrack.selfhosted.AnalyzerSettings.to_json>` of the API process."""
    max_attempts: int = Field(ge=1)
    results: ResultsLocation
    s3_endpoint_url: str | None = None
    sns_endpoint_url: str | None = None
    region: str

    @model_validator(mode="before")
    @classmethod
    def _from_the_flat_task(cls, data: Any) -> Any:
        """A task stored before the typed boundaries (one flat ``source`` dict holding the video and the
        Start's options, ``operation`` beside it) reads as a work order, so jobs in flight survive an upgrade."""
        if not isinstance(data, Mapping) or "spec" in data or not isinstance(data.get("source"), Mapping):
            return data
        order = dict(data)
        source = dict(order.pop("source"))
        order.pop("operation", None)
        spec: dict[str, Any] = {"operation": source.pop("operation", "PersonTracking")}
        for name in ("video", "face_attributes", "filters", "segment_types"):
            if name in source:
                spec[name] = source.pop(name)
        if source.get("kind") == "file":
            source = {name: source[name] for name in ("kind", "path", "uri") if name in source}
        spec["source"] = source
        order["spec"] = spec
        return order

    @field_validator("settings")
    @classmethod
    def _settings_load(cls, value: dict[str, Any]) -> dict[str, Any]:
        from rekotrack.selfhosted.vision._settings import AnalyzerSettings

        try:
            AnalyzerSettings.from_json(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not analyzer settings: {exc}") from None
        return value


# ---------------------------------------------------------------------- the stored job
class JobRecord(_Model):
    """A stored job: what the SQLite store keeps in a row and the Redis store in a hash (:class:`RedisJobRecord`)."""

    job_id: str = Field(min_length=1)
    operation: str = "PersonTracking"
    """The ServedOperation name (``PersonTracking``, ``FaceDetection`` ...)."""
    owner: str | None = None
    token: str | None = None
    fingerprint: str
    video: dict[str, Any]
    job_tag: str | None = None
    channel: dict[str, Any] | None = None
    created: float
    status: JobStatus
    status_message: str | None = None
    ended: float | None = None

    @classmethod
    def of_job(cls, job: Job) -> JobRecord:
        """The record of a job the core just admitted."""
        return cls(job_id=job.job_id, operation=job.operation, owner=job.owner, token=job.token,
                   fingerprint=job.fingerprint, video=job.video, job_tag=job.job_tag, channel=job.channel,
                   created=job.created, status="IN_PROGRESS")

    def job_fields(self) -> dict[str, Any]:
        """The fields of :class:`JobRecord` alone (without a subclass's additions)."""
        return {name: getattr(self, name) for name in JobRecord.model_fields}

    def to_job(self, result: JobOutcome | None, source: object = None) -> Job:
        """The core's job for this record, with its ``result`` (``None`` while IN_PROGRESS)."""
        return Job(job_id=self.job_id, operation=self.operation, video=self.video, job_tag=self.job_tag,
                   channel=self.channel, token=self.token, fingerprint=self.fingerprint, created=self.created,
                   status=self.status, owner=self.owner, result=result, source=source)


class S3Result(_Model):
    """Where a SUCCEEDED scale-out job's result lies (the winning attempt's folder) and what it holds."""

    bucket: str
    folder: str
    count: int = Field(ge=0)
    metadata: dict[str, Any]


class Progress(_Model):
    """Frames a running job's worker has analysed so far."""

    done: int = Field(ge=0)
    expected: int = Field(ge=0)


class RedisJobRecord(JobRecord):
    """A job's record in the scale-out mode's Redis: the :class:`JobRecord` fields plus what the workers need.

    Stored as a Redis hash with one JSON member per field (the Lua scripts of ``_records`` read
    ``status`` and ``attempts`` there)."""

    attempts: int = Field(default=0, ge=0)
    enqueued: bool = False
    """Whether its Celery task was sent (an API process that stopped in between leaves it False)."""
    task: WorkOrder
    result: S3Result | None = None
    notify: bool = False
    """Whether its SNS completion is still owed."""
    progress: Progress | None = None

    def members(self) -> dict[str, Any]:
        """The hash members, as JSON-ready values."""
        return self.model_dump(mode="json")
