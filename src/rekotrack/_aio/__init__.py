"""The asynchronous clients (extra ``rekotrack[async]``, on aiobotocore).

:class:`AsyncPersonTracker`, :class:`AsyncTrackingJob`, :class:`AsyncCompletionQueue`
and :class:`AsyncPersonTrackingPager` mirror the synchronous names with ``async def``
and ``async for``. They call the same pure functions and sans-IO state as the
synchronous clients for every decision; only the I/O differs. Importing this
package does not import aiobotocore: a client is made (and aiobotocore needed)
only when none is injected.
"""

from ._client import AsyncCompletionSource, AsyncPersonTracker, AsyncTrackingJob
from ._completion import AsyncCompletionQueue, track_many
from ._pagination import AsyncPersonTrackingPager

__all__ = [
    "AsyncCompletionQueue",
    "AsyncCompletionSource",
    "AsyncPersonTracker",
    "AsyncPersonTrackingPager",
    "AsyncTrackingJob",
    "track_many",
]
