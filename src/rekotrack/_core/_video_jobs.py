"""Specs of the seven other Rekognition Video jobs: labels, faces, face search, celebrities, moderation, segments, text.

Each entry is one :class:`VideoOperation` built from the generated tables of
botocore's service model: the page and item models, the Start and Get constraint
tables, the required Start members, the Start inputs by keyword, the error codes
both operations declare, and the Get parameters the operation has (``SortBy`` and
``AggregateBy`` exactly where its Get input has them, with the service's default).
"""

from __future__ import annotations

from typing import Any

from rekotrack import _constraints as c
from rekotrack._generated.models import (
    CelebrityRecognition,
    CelebrityRecognitionPage,
    ContentModerationDetection,
    ContentModerationPage,
    FaceDetection,
    FaceDetectionPage,
    FaceSearchPage,
    LabelDetection,
    LabelDetectionPage,
    PersonMatch,
    SegmentDetection,
    SegmentDetectionPage,
    TextDetectionPage,
    TextDetectionResult,
)
from rekotrack._models import VideoJobPage

from ._operation import GetParameter, VideoOperation

__all__ = [
    "CELEBRITY_RECOGNITION",
    "CONTENT_MODERATION",
    "FACE_DETECTION",
    "FACE_SEARCH",
    "LABEL_DETECTION",
    "SEGMENT_DETECTION",
    "TEXT_DETECTION",
    "VIDEO_JOBS",
    "video_operation",
]

_DEFAULTS = {"SortBy": "TIMESTAMP", "AggregateBy": "TIMESTAMPS"}
"""The service's default order and grouping (what a Get without the member returns)."""


def _get_parameter(table: dict[str, c.Constraint] | Any, member: str) -> GetParameter | None:
    constraint = table.get(member)
    return None if constraint is None else GetParameter(member, constraint, default=_DEFAULTS[member])


def video_operation(
    name: str, list_key: str, page_model: type[VideoJobPage], item_model: type[Any]
) -> VideoOperation[Any, Any]:
    """The spec of ``Start{name}`` / ``Get{name}``, everything read from the generated tables."""
    start, get = f"Start{name}", f"Get{name}"
    get_table = c.table(get)
    return VideoOperation(
        name=name,
        list_key=list_key,
        page_model=page_model,
        item_model=item_model,
        start_constraints=c.table(start),
        get_constraints=get_table,
        start_required=c.required(start),
        start_inputs=c.START_INPUTS[start],
        sort_by=_get_parameter(get_table, "SortBy"),
        aggregate_by=_get_parameter(get_table, "AggregateBy"),
    )


LABEL_DETECTION: VideoOperation[LabelDetectionPage, LabelDetection] = video_operation(
    "LabelDetection", "Labels", LabelDetectionPage, LabelDetection
)
FACE_DETECTION: VideoOperation[FaceDetectionPage, FaceDetection] = video_operation(
    "FaceDetection", "Faces", FaceDetectionPage, FaceDetection
)
FACE_SEARCH: VideoOperation[FaceSearchPage, PersonMatch] = video_operation(
    "FaceSearch", "Persons", FaceSearchPage, PersonMatch
)
CELEBRITY_RECOGNITION: VideoOperation[CelebrityRecognitionPage, CelebrityRecognition] = video_operation(
    "CelebrityRecognition", "Celebrities", CelebrityRecognitionPage, CelebrityRecognition
)
CONTENT_MODERATION: VideoOperation[ContentModerationPage, ContentModerationDetection] = video_operation(
    "ContentModeration", "ModerationLabels", ContentModerationPage, ContentModerationDetection
)
SEGMENT_DETECTION: VideoOperation[SegmentDetectionPage, SegmentDetection] = video_operation(
    "SegmentDetection", "Segments", SegmentDetectionPage, SegmentDetection
)
TEXT_DETECTION: VideoOperation[TextDetectionPage, TextDetectionResult] = video_operation(
    "TextDetection", "TextDetections", TextDetectionPage, TextDetectionResult
)

VIDEO_JOBS: dict[str, VideoOperation[Any, Any]] = {
    spec.name: spec
    for spec in (
        LABEL_DETECTION,
        FACE_DETECTION,
        FACE_SEARCH,
        CELEBRITY_RECOGNITION,
        CONTENT_MODERATION,
        SEGMENT_DETECTION,
        TEXT_DETECTION,
    )
}
"""Analysis name (``LabelDetection``) -> its spec."""
