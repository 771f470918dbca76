"""Operations as data: the :class:`VideoOperation` type and the person tracking spec.

The types are in :mod:`rekotrack._core._operation_spec`; every spec (person tracking's
included) is generated from ``scripts/video_operations.py`` into
:mod:`rekotrack._generated.specs`. Adding a Rekognition Video job is a new entry in
that table; docs/architecture.md ("Adding an eighth Video operation") lists the rest.
"""

from __future__ import annotations

from typing import Literal

from rekotrack._core._operation_spec import GetParameter, VideoOperation
from rekotrack._generated.specs import PERSON_TRACKING

__all__ = ["PERSON_TRACKING", "GetParameter", "PersonTrackingSortBy", "VideoOperation"]

PersonTrackingSortBy = Literal["INDEX", "TIMESTAMP"]
"""GetPersonTracking's SortBy values."""
