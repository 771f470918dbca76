"""The asynchronous shell (extra ``rekotrack[async]``, on aiobotocore); the source of ``rekotrack._sync``.

:class:`AsyncPersonTracker`, :class:`AsyncTrackingJob`, :class:`AsyncCompletionQueue`
and :class:`AsyncPersonTrackingPager` mirror the synchronous names with ``async def``
and ``async for``. Both shells run the same sans-IO core (``rekotrack._core``);
the synchronous modules are generated from these by ``scripts/unasync.py``.
Importing this package does not import aiobotocore: a client is made (and
aiobotocore needed) only when none is injected.
"""

from ._batch import track_many
from ._engine import AsyncAnalysisJob, AsyncCompletionSource, AsyncVideoAnalyzer
from ._pager import AsyncPager
from ._person_tracking import AsyncPersonTracker, AsyncPersonTrackingPager, AsyncTrackingJob
from ._queue import AsyncCompletionQueue

__all__ = [
    "AsyncAnalysisJob",
    "AsyncCompletionQueue",
    "AsyncCompletionSource",
    "AsyncPager",
    "AsyncPersonTracker",
    "AsyncPersonTrackingPager",
    "AsyncTrackingJob",
    "AsyncVideoAnalyzer",
    "track_many",
]
