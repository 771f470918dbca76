"""Specs of the seven other Rekognition Video jobs: labels, faces, face search, celebrities, moderation, segments, text.

Each is one :class:`~rekotrack._core._operation.VideoOperation`, generated from the
one hand-written description of the operations (``scripts/video_operations.py``)
and botocore's service model into :mod:`rekotrack._generated.specs`: the page and
item models, the Start and Get constraint tables, the required Start members, the
Start inputs by keyword, the error codes both operations declare, and the Get
parameters the operation has (``SortBy`` and ``AggregateBy`` exactly where its Get
input has them, with the service's default). This module names them for the engine.
"""

from __future__ import annotations

from rekotrack._generated.specs import (
    CELEBRITY_RECOGNITION,
    CONTENT_MODERATION,
    FACE_DETECTION,
    FACE_SEARCH,
    LABEL_DETECTION,
    SEGMENT_DETECTION,
    TEXT_DETECTION,
    VIDEO_JOBS,
)

__all__ = [
    "CELEBRITY_RECOGNITION",
    "CONTENT_MODERATION",
    "FACE_DETECTION",
    "FACE_SEARCH",
    "LABEL_DETECTION",
    "SEGMENT_DETECTION",
    "TEXT_DETECTION",
    "VIDEO_JOBS",
]
