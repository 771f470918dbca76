"""Completion over SNS → SQS (the synchronous :class:`CompletionQueue`) and batches, where ``rekotrack`` finds them.

The queue and ``track_many`` are generated from the asynchronous shell
(``rekotrack._sync._queue``, ``rekotrack._sync._batch``); their decisions are
the core's: :mod:`rekotrack._core._queue` (buffer, per-message rule),
:mod:`rekotrack._core._sqs` (create/close procedures), :mod:`rekotrack._core._batch`.
"""

from __future__ import annotations

from ._core._batch import BatchSlots, JobWatch
from ._core._procedure import Procedure, drive
from ._core._queue import QueueState
from ._core._sqs import SqsCall, create_procedure, queue_policy
from ._sync._batch import track_many
from ._sync._queue import CompletionQueue

__all__ = [
    "BatchSlots",
    "CompletionQueue",
    "JobWatch",
    "Procedure",
    "QueueState",
    "SqsCall",
    "create_procedure",
    "drive",
    "queue_policy",
    "track_many",
]
