"""Pydantic models of every StartPersonTracking / GetPersonTracking shape.

Attributes are snake_case with the service's PascalCase names as aliases; a
model is built from either. ``Model.model_validate(boto3_dict)`` reads boto3
output and ``.to_aws()`` gives the same dict back. Every output field may be
absent (``None``), unknown fields are kept, unknown enum values are accepted.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, WrapSerializer
from pydantic.alias_generators import to_pascal

__all__ = [
    "AWSModel",
    "AgeRange",
    "Beard",
    "BoundingBox",
    "CompletionNotification",
    "Emotion",
    "EyeDirection",
    "EyeOpen",
    "Eyeglasses",
    "FaceDetail",
    "FaceOccluded",
    "Gender",
    "ImageQuality",
    "Landmark",
    "MouthOpen",
    "Mustache",
    "NotificationChannel",
    "NotificationVideo",
    "PersonDetail",
    "PersonDetection",
    "PersonTrackingPage",
    "Pose",
    "S3Object",
    "Smile",
    "StartPersonTrackingResponse",
    "Sunglasses",
    "Video",
    "VideoJobPage",
    "VideoMetadata",
]

T = TypeVar("T")


def _as_list(value: tuple[Any, ...], handler: SerializerFunctionWrapHandler) -> list[Any]:
    return list(handler(value))


# Lists are stored as tuples (the models are immutable) and dumped as lists,
# so ``to_aws()`` equals the boto3 dict.
AWSList = Annotated[tuple[T, ...], WrapSerializer(_as_list)]

VideoJobStatus = Literal["IN_PROGRESS", "SUCCEEDED", "FAILED"]
SortBy = Literal["INDEX", "TIMESTAMP"]
ColorRange = Literal["FULL", "LIMITED"]
GenderType = Literal["Male", "Female"]
EmotionName = Literal["HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED", "SURPRISED", "CALM", "UNKNOWN", "FEAR"]
LandmarkType = Literal[
    "eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight",
    "leftEyeBrowLeft", "leftEyeBrowRight", "leftEyeBrowUp",
    "rightEyeBrowLeft", "rightEyeBrowRight", "rightEyeBrowUp",
    "leftEyeLeft", "leftEyeRight", "leftEyeUp", "leftEyeDown",
    "rightEyeLeft", "rightEyeRight", "rightEyeUp", "rightEyeDown",
    "noseLeft", "noseRight", "mouthUp", "mouthDown", "leftPupil", "rightPupil",
    "upperJawlineLeft", "midJawlineLeft", "chinBottom", "midJawlineRight", "upperJawlineRight",
]  # fmt: skip
NotificationStatus = Literal["SUCCEEDED", "FAILED", "ERROR"]


class AWSModel(BaseModel):
    """Base of every rekotrack model: frozen, aliased, forward compatible."""

    model_config = ConfigDict(
        alias_generator=to_pascal,
        populate_by_name=True,
        frozen=True,
        extra="allow",
        use_attribute_docstrings=True,
        protected_namespaces=(),
    )

    def to_aws(self) -> dict[str, Any]:
        """The AWS-shaped dict (PascalCase keys, unknown fields included, unset fields omitted)."""
        return self.model_dump(by_alias=True, exclude_unset=True)


# ---- inputs -----------------------------------------------------------------


class S3Object(AWSModel):
    """An object in S3 that holds the video."""

    bucket: str | None = None
    """Name of the S3 bucket."""
    name: str | None = None
    """S3 object key name."""
    version: str | None = None
    """Object version, if versioning is enabled on the bucket."""


class Video(AWSModel):
    """A video stored in S3 (the only source the service accepts)."""

    s3_object: S3Object | None = Field(default=None, alias="S3Object")
    """The S3 object that holds the video."""

    @classmethod
    def from_s3(cls, bucket: str, name: str, version: str | None = None) -> Video:
        """Build a Video from its bucket, key and optional version."""
        obj = S3Object(bucket=bucket, name=name) if version is None else S3Object(
            bucket=bucket, name=name, version=version
        )
        return cls(s3_object=obj)

    @property
    def uri(self) -> str | None:
        """``s3://bucket/key`` (with ``?versionId=`` when set), or None without an S3 object."""
        obj = self.s3_object
        if obj is None or obj.bucket is None or obj.name is None:
            return None
        suffix = f"?versionId={obj.version}" if obj.version else ""
        return f"s3://{obj.bucket}/{obj.name}{suffix}"


class NotificationChannel(AWSModel):
    """The SNS topic the service publishes completion to, and the role it assumes to do so."""

    sns_topic_arn: str = Field(alias="SNSTopicArn")
    """ARN of the SNS topic (its name must start with AmazonRekognition for the managed policy)."""
    role_arn: str
    """ARN of an IAM role that gives Rekognition publishing permission on the topic."""


class StartPersonTrackingResponse(AWSModel):
    """Answer of StartPersonTracking."""

    job_id: str | None = None
    """Identifier of the job, for GetPersonTracking."""


# ---- output parts ---------------------------------------------------------------


class BoundingBox(AWSModel):
    """A box as ratios of the frame: left/top from the top-left corner, width/height."""

    width: float | None = None
    """Width as a ratio of the frame width."""
    height: float | None = None
    """Height as a ratio of the frame height."""
    left: float | None = None
    """Left coordinate as a ratio of the frame width."""
    top: float | None = None
    """Top coordinate as a ratio of the frame height."""

    @property
    def center(self) -> tuple[float, float] | None:
        """Centre ``(x, y)`` in frame ratios, or None when a coordinate is absent."""
        if self.left is None or self.top is None or self.width is None or self.height is None:
            return None
        return (self.left + self.width / 2, self.top + self.height / 2)


class AgeRange(AWSModel):
    """Estimated age range in years (not returned by GetPersonTracking)."""

    low: int | None = None
    high: int | None = None


class _BooleanAttribute(AWSModel):
    value: bool | None = None
    """Whether the attribute is present."""
    confidence: float | None = None
    """Confidence in the determination, 0-100."""


class Smile(_BooleanAttribute):
    """Whether the face is smiling."""


class Eyeglasses(_BooleanAttribute):
    """Whether the face wears eyeglasses."""


class Sunglasses(_BooleanAttribute):
    """Whether the face wears sunglasses."""


class Beard(_BooleanAttribute):
    """Whether the face has a beard."""


class Mustache(_BooleanAttribute):
    """Whether the face has a mustache."""


class EyeOpen(_BooleanAttribute):
    """Whether the eyes are open."""


class MouthOpen(_BooleanAttribute):
    """Whether the mouth is open."""


class FaceOccluded(_BooleanAttribute):
    """Whether the face is partially occluded."""


class Gender(AWSModel):
    """Predicted gender (not returned by GetPersonTracking)."""

    value: GenderType | str | None = None
    confidence: float | None = None


class Emotion(AWSModel):
    """An emotion and the confidence in it."""

    type: EmotionName | str | None = None
    confidence: float | None = None


class Landmark(AWSModel):
    """A facial landmark at ``(x, y)`` as ratios of the frame."""

    type: LandmarkType | str | None = None
    """Which landmark (eyeLeft, nose, ...)."""
    x: float | None = None
    """x as a ratio of the frame width, from the left."""
    y: float | None = None
    """y as a ratio of the frame height, from the top."""


class Pose(AWSModel):
    """Head pose in degrees, -180 to 180."""

    roll: float | None = None
    """Rotation in the image plane, degrees."""
    yaw: float | None = None
    """Rotation around the vertical axis, degrees."""
    pitch: float | None = None
    """Rotation around the horizontal axis, degrees."""


class ImageQuality(AWSModel):
    """Brightness and sharpness of the face crop, 0-100."""

    brightness: float | None = None
    """Brightness of the face crop; higher is brighter."""
    sharpness: float | None = None
    """Sharpness of the face crop; higher is sharper."""


class EyeDirection(AWSModel):
    """Where the eyes look, in degrees, and the confidence."""

    yaw: float | None = None
    pitch: float | None = None
    confidence: float | None = None


class FaceDetail(AWSModel):
    """A face. GetPersonTracking returns only bounding_box, confidence, landmarks, pose and quality."""

    bounding_box: BoundingBox | None = None
    """Box of the face (default attribute)."""
    age_range: AgeRange | None = None
    smile: Smile | None = None
    eyeglasses: Eyeglasses | None = None
    sunglasses: Sunglasses | None = None
    gender: Gender | None = None
    beard: Beard | None = None
    mustache: Mustache | None = None
    eyes_open: EyeOpen | None = None
    mouth_open: MouthOpen | None = None
    emotions: AWSList[Emotion] | None = None
    landmarks: AWSList[Landmark] | None = None
    """Facial landmarks (default attribute)."""
    pose: Pose | None = None
    """Head pose (default attribute)."""
    quality: ImageQuality | None = None
    """Image quality of the face (default attribute)."""
    confidence: float | None = None
    """Confidence that this is a face, 0-100 (default attribute)."""
    face_occluded: FaceOccluded | None = None
    eye_direction: EyeDirection | None = None


class PersonDetail(AWSModel):
    """A tracked person at one timestamp."""

    index: int | None = None
    """Identifier of the person within this video (not stored by the service)."""
    bounding_box: BoundingBox | None = None
    """Box around the person; absent when only the face was seen."""
    face: FaceDetail | None = None
    """The person's face, when one was seen at this timestamp."""


class PersonDetection(AWSModel):
    """One time a person's path was tracked."""

    timestamp: int | None = None
    """Milliseconds from the start of the video (not frame-exact)."""
    person: PersonDetail = Field(default_factory=lambda: PersonDetail())
    """The person seen at that time. When the service leaves it out this is an empty
    PersonDetail (every field None) and ``to_aws()`` leaves it out too."""


class VideoMetadata(AWSModel):
    """What the service read from the video; repeated on every page."""

    codec: str | None = None
    """Type of compression of the video (e.g. h264)."""
    duration_millis: int | None = None
    """Length of the video in milliseconds."""
    format: str | None = None
    """Container format: MP4, MOV or AVI."""
    frame_rate: float | None = None
    """Frames per second."""
    frame_height: int | None = None
    """Height of a frame in pixels."""
    frame_width: int | None = None
    """Width of a frame in pixels."""
    color_range: ColorRange | str | None = None
    """LIMITED (16-235) or FULL (0-255)."""


class VideoJobPage(AWSModel):
    """The fields every Rekognition Video Get* page shares."""

    job_status: VideoJobStatus | str | None = None
    """IN_PROGRESS, SUCCEEDED or FAILED."""
    status_message: str | None = None
    """Why the job failed, when it did."""
    video_metadata: VideoMetadata | None = None
    """What the service read from the video (on every page of a finished job)."""
    next_token: str | None = None
    """Token for the next page; absent on the last page."""
    job_id: str | None = None
    """The job these results belong to."""
    video: Video | None = None
    """The video the job analysed."""
    job_tag: str | None = None
    """The JobTag given to Start, when one was."""


class PersonTrackingPage(VideoJobPage):
    """One GetPersonTracking response."""

    persons: AWSList[PersonDetection] | None = None
    """The detections on this page."""


# ---- completion -------------------------------------------------------------------


class NotificationVideo(AWSModel):
    """The video named in a completion notification."""

    s3_object_name: str | None = Field(default=None, alias="S3ObjectName")
    s3_bucket: str | None = Field(default=None, alias="S3Bucket")


class CompletionNotification(AWSModel):
    """The message Rekognition publishes to SNS when a video job ends."""

    job_id: str
    status: NotificationStatus | str
    """SUCCEEDED, FAILED or ERROR (ERROR is not a Get status)."""
    api: str | None = Field(default=None, alias="API")
    """The Start operation, e.g. StartPersonTracking."""
    job_tag: str | None = None
    """Absent when the job was started without a tag."""
    timestamp: int | None = None
    """Milliseconds since the Unix epoch."""
    video: NotificationVideo | None = None

    @property
    def time(self) -> datetime | None:
        """``timestamp`` as an aware UTC datetime."""
        if self.timestamp is None:
            return None
        return datetime.fromtimestamp(self.timestamp / 1000, tz=timezone.utc)
