"""Every model of rekotrack: the ones generated from the service model, and the completion notification.

Attributes are snake_case with the service's PascalCase names as aliases; a
model is built from either. ``Model.model_validate(boto3_dict)`` reads boto3
output and ``.to_aws()`` gives the same dict back. Every output field may be
absent (``None``), unknown fields are kept, unknown enum values are accepted.

The models of the sixteen Start*/Get* operations are generated into
:mod:`rekotrack._generated.models` by ``scripts/generate_models.py`` (with the
hand-written helpers of :mod:`rekotrack._model_base`) and re-exported here by a
star import, their names not written again. The completion notification is not
in the service model, so it is written here by hand.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import Field

from ._generated import models as _generated_models
from ._generated.models import *  # noqa: F403 (every generated model, enum and table: see __all__)
from ._model_base import AWSList, AWSModel

__all__ = ["AWSList", "AWSModel", "CompletionNotification", "NotificationVideo"]
__all__ += _generated_models.__all__  # the generated names, written once (in rekotrack._generated.models)

NotificationStatus = Literal["SUCCEEDED", "FAILED", "ERROR"]


class NotificationVideo(AWSModel):
    """The video named in a completion notification."""

    s3_object_name: str | None = Field(default=None, alias="S3ObjectName")
    """Key of the video in its bucket."""
    s3_bucket: str | None = Field(default=None, alias="S3Bucket")
    """Bucket of the video."""


class CompletionNotification(AWSModel):
    """The message Rekognition publishes to SNS when a video job ends."""

    job_id: str
    """The job that ended."""
    status: NotificationStatus | str
    """SUCCEEDED, FAILED or ERROR (ERROR is not a Get status)."""
    api: str | None = Field(default=None, alias="API")
    """The Start operation, e.g. StartPersonTracking."""
    job_tag: str | None = None
    """Absent when the job was started without a tag."""
    timestamp: int | None = None
    """Milliseconds since the Unix epoch."""
    video: NotificationVideo | None = None
    """The video the job analysed."""

    @property
    def time(self) -> datetime | None:
        """``timestamp`` as an aware UTC datetime."""
        if self.timestamp is None:
            return None
        return datetime.fromtimestamp(self.timestamp / 1000, tz=timezone.utc)
