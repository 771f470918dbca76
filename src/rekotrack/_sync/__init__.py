"""The synchronous shell: generated from ``rekotrack._aio`` by ``scripts/unasync.py`` (except ``_io.py``)."""

from ._batch import track_many
from ._engine import AnalysisJob, CompletionSource, VideoAnalyzer
from ._pager import Pager
from ._person_tracking import PersonTracker, PersonTrackingPager, TrackingJob
from ._queue import CompletionQueue

__all__ = [
    "AnalysisJob",
    "CompletionQueue",
    "CompletionSource",
    "Pager",
    "PersonTracker",
    "PersonTrackingPager",
    "TrackingJob",
    "VideoAnalyzer",
    "track_many",
]
