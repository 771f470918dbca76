"""A local Amazon Rekognition Video service, for tests and demos.

``LocalRekognition`` serves the sixteen Rekognition Video operations (person
tracking, and the Start/Get pairs of labels, faces, face search, celebrities,
moderation, segments and text) on 127.0.0.1 with the AWS JSON 1.1 protocol, so
the real botocore stack runs against it through ``endpoint_url``: job
lifecycle, opaque pagination tokens, AWS validation and error shapes, SortBy and
AggregateBy semantics, deterministic synthetic results (``SyntheticScene`` for
person tracking, ``SyntheticJob`` for the others), seeded fault injection
(``Faults``) and SNS completion publishing. See ``docs/testing.md``.

    from rekotrack.testing import LocalRekognition, SyntheticScene

    scene = SyntheticScene(seed=1, people=12, duration_ms=600_000)
    with LocalRekognition(job_seconds=0.5) as server:
        server.add_video("s3://bucket/walk.mp4", scene)
        rekognition = server.client()
"""

from rekotrack._synthetic._clock import Clock, ManualClock
from rekotrack._synthetic._faults import CORRUPT_KINDS, FAULT_KINDS, CorruptKind, FaultKind, Faults
from rekotrack._synthetic._jobs import JOB_KINDS, SyntheticJob
from rekotrack._synthetic._scene import MAX_DURATION_MS, Detection, SortBy, SyntheticScene
from rekotrack._synthetic._server import ERROR_STATUS, LocalRekognition, Notification

__all__ = [
    "CORRUPT_KINDS",
    "ERROR_STATUS",
    "FAULT_KINDS",
    "JOB_KINDS",
    "MAX_DURATION_MS",
    "Clock",
    "CorruptKind",
    "Detection",
    "FaultKind",
    "Faults",
    "LocalRekognition",
    "ManualClock",
    "Notification",
    "SortBy",
    "SyntheticJob",
    "SyntheticScene",
]
