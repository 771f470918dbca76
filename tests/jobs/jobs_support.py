"""The seven job kinds as test data: classes, Start inputs, the items method, the Get orders; ground truth."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rekotrack import (
    AsyncCelebrityRecognizer,
    AsyncContentModerator,
    AsyncFaceDetector,
    AsyncFaceSearcher,
    AsyncLabelDetector,
    AsyncSegmentDetector,
    AsyncTextDetector,
    CelebrityRecognizer,
    ContentModerator,
    FaceDetector,
    FaceSearcher,
    LabelDetector,
    RetryPolicy,
    SegmentDetector,
    TextDetector,
)
from rekotrack._core._operation import VideoOperation
from rekotrack._synthetic._jobs import CHOICES, SyntheticJob

REGION = "us-east-1"
FAKE = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
ROLE_ARN = "arn:aws:iam::123456789012:role/RekognitionSnsPublish"


@dataclass(frozen=True)
class Kind:
    """One job kind: its classes, the start() inputs a test uses (keyword and AWS-shaped), the items method."""

    name: str
    sync_class: type[Any]
    async_class: type[Any]
    items_method: str
    inputs: dict[str, Any] = field(default_factory=dict)
    start_params: dict[str, Any] = field(default_factory=dict)

    @property
    def operation(self) -> VideoOperation[Any, Any]:
        spec: VideoOperation[Any, Any] = self.sync_class._operation
        return spec

    @property
    def orders(self) -> list[tuple[str | None, str | None]]:
        choices = CHOICES[self.name]
        return [(s, a) for s in (choices.sort_by or (None,)) for a in (choices.aggregate_by or (None,))]

    def truth(self, uri: str, sort_by: str | None = None, aggregate_by: str | None = None) -> list[dict[str, Any]]:
        """The exact items a job of this kind on ``uri`` returns (the synthetic server's ground truth)."""
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        params = {"Video": {"S3Object": {"Bucket": bucket, "Name": key}}, **self.start_params}
        return SyntheticJob(self.name, params).items(sort_by, aggregate_by)


KINDS = [
    Kind("LabelDetection", LabelDetector, AsyncLabelDetector, "labels", {"min_confidence": 55}, {"MinConfidence": 55}),
    Kind("FaceDetection", FaceDetector, AsyncFaceDetector, "faces", {"face_attributes": "ALL"},
         {"FaceAttributes": "ALL"}),
    Kind("FaceSearch", FaceSearcher, AsyncFaceSearcher, "persons", {"collection_id": "staff"},
         {"CollectionId": "staff"}),
    Kind("CelebrityRecognition", CelebrityRecognizer, AsyncCelebrityRecognizer, "celebrities"),
    Kind("ContentModeration", ContentModerator, AsyncContentModerator, "moderation_labels"),
    Kind("SegmentDetection", SegmentDetector, AsyncSegmentDetector, "segments",
         {"segment_types": ["TECHNICAL_CUE", "SHOT"]}, {"SegmentTypes": ["TECHNICAL_CUE", "SHOT"]}),
    Kind("TextDetection", TextDetector, AsyncTextDetector, "text_detections"),
]
KIND_IDS = [kind.name for kind in KINDS]
BY_NAME = {kind.name: kind for kind in KINDS}


def order_cases() -> list[tuple[Kind, str | None, str | None]]:
    return [(kind, s, a) for kind in KINDS for s, a in kind.orders]


def order_id(case: tuple[Kind, str | None, str | None]) -> str:
    kind, sort_by, aggregate_by = case
    return "-".join(p for p in (kind.name, sort_by, aggregate_by) if p)


def order_kwargs(sort_by: str | None, aggregate_by: str | None) -> dict[str, str]:
    out = {}
    if sort_by is not None:
        out["sort_by"] = sort_by
    if aggregate_by is not None:
        out["aggregate_by"] = aggregate_by
    return out


def no_sleep_policy(max_attempts: int = 12) -> RetryPolicy:
    return RetryPolicy(max_attempts=max_attempts, sleep=lambda _s: None, random=lambda: 0.5)


def recorder(into: list[tuple[str, dict[str, Any]]]) -> Callable[..., None]:
    """A botocore ``before-call`` handler that records (operation, request body)."""

    def before_call(model: Any, params: dict[str, Any], **_: Any) -> None:
        into.append((model.name, json.loads(params.get("body") or b"{}")))

    return before_call
