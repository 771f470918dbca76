"""The synchronous pager, where ``rekotrack`` finds it.

:class:`PersonTrackingPager` is generated from the asynchronous shell
(``rekotrack._sync._person_tracking``); the state and decisions are
:mod:`rekotrack._core._cursor`.
"""

from __future__ import annotations

from ._core._cursor import PageCursor, PagerState, ResumePoint
from ._core._operation import PERSON_TRACKING, VideoOperation
from ._sync._person_tracking import PersonTrackingPager

__all__ = ["PERSON_TRACKING", "PageCursor", "PagerState", "PersonTrackingPager", "ResumePoint", "VideoOperation"]
