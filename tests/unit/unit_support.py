"""Helpers shared by rekotrack's unit tests: offline clients, a fake clock, canned pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from hypothesis import strategies as st

from rekotrack import PersonTracker, RetryPolicy

ACCESS_KEY = "AKIDUNITTEST0000KEY"
SECRET_KEY = "unit-test-secret-do-not-log"
REGION = "us-east-1"
JOB_ID = "job-0123456789abcdef"
JSON_HEADERS = {"x-amzn-RequestId": "req-1234", "Content-Type": "application/x-amz-json-1.1"}


@functools.cache
def make_session() -> boto3.Session:
    """One offline session for the whole run, so the service model is loaded once."""
    return boto3.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION)


def make_client() -> Any:
    """A rekognition client with botocore's own retries switched off (one attempt per call)."""
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    return make_session().client("rekognition", config=config)


class FakeClock:
    """A monotonic clock that only moves when ``sleep`` is called."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def make_tracker(
    client: Any, clock: FakeClock, *, random: float = 1.0, prefetch: bool = False, **policy: Any
) -> PersonTracker:
    """A tracker whose retries and waits sleep on ``clock`` and whose jitter is ``random``.

    Prefetch is off by default here: these tests pin exact request sequences (the
    prefetching pager has tests of its own).
    """
    retry = RetryPolicy(sleep=clock.sleep, random=lambda: random, **policy)
    tracker = PersonTracker(client=client, retry=retry, prefetch=prefetch)
    tracker._clock = clock
    return tracker


def drain(items: Any, into: list[Any]) -> None:
    """Append every item of ``items`` to ``into``: what was received survives an exception mid-iteration."""
    for item in items:
        into.append(item)


def detection(timestamp: int, index: int = 0) -> dict[str, Any]:
    return {
        "Timestamp": timestamp,
        "Person": {
            "Index": index,
            "BoundingBox": {"Width": 0.25, "Height": 0.5, "Left": 0.125, "Top": 0.0625},
        },
    }


VIDEO_METADATA = {
    "Codec": "h264",
    "DurationMillis": 60_000,
    "Format": "QuickTime / MOV",
    "FrameRate": 29.97,
    "FrameHeight": 720,
    "FrameWidth": 1280,
    "ColorRange": "LIMITED",
}


def page(
    persons: list[dict[str, Any]] | None = None,
    next_token: str | None = None,
    status: str = "SUCCEEDED",
    **extra: Any,
) -> dict[str, Any]:
    """A GetPersonTracking response as boto3 returns it (without ResponseMetadata).

    A SUCCEEDED page always carries its ``Persons`` list (empty when there are none), as
    the service sends it; a SUCCEEDED page without one is malformed.
    """
    body: dict[str, Any] = {"JobStatus": status, "VideoMetadata": dict(VIDEO_METADATA)}
    if persons is None and status == "SUCCEEDED":
        persons = []
    if persons is not None:
        body["Persons"] = persons
    if next_token is not None:
        body["NextToken"] = next_token
    body.update(extra)
    return body


def get_params(
    next_token: str | None = None, max_results: int = 1000, sort_by: str = "TIMESTAMP", job_id: str = JOB_ID
) -> dict[str, Any]:
    """The exact GetPersonTracking parameters rekotrack sends."""
    params: dict[str, Any] = {"JobId": job_id, "MaxResults": max_results, "SortBy": sort_by}
    if next_token is not None:
        params["NextToken"] = next_token
    return params


class RawBody:
    """The ``raw`` of an AWSResponse: botocore reads the body through ``stream()``."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_kwargs: Any) -> Any:
        yield self._body


def raw_response(request: Any, status: int, body: bytes) -> AWSResponse:
    return AWSResponse(request.url, status, dict(JSON_HEADERS), RawBody(body))


def count_sends(client: Any, operation: str, answer: Callable[[Any], Any]) -> list[Any]:
    """Answer every HTTP send of ``operation`` with ``answer(request)``; return the list of requests sent."""
    sent: list[Any] = []

    def hook(request: Any, **_kwargs: Any) -> Any:
        sent.append(request)
        return answer(request)

    client.meta.events.register(f"before-send.rekognition.{operation}", hook)
    return sent


# ---- AWS-shaped GetPersonTracking responses ---------------------------------------------------

SERVICE = botocore.session.get_session().get_service_model("rekognition")
GET_OUTPUT = SERVICE.operation_model("GetPersonTracking").output_shape
LANDMARK_TYPES = SERVICE.shape_for("LandmarkType").enum
EMOTION_TYPES = SERVICE.shape_for("EmotionName").enum


def _bool_attr(value: bool, confidence: float) -> dict[str, Any]:
    return {"Value": value, "Confidence": confidence}


def full_face() -> dict[str, Any]:
    """Every FaceDetail field of the reference response syntax, filled."""
    return {
        "BoundingBox": {"Width": 0.1, "Height": 0.2, "Left": 0.3, "Top": 0.4},
        "AgeRange": {"Low": 25, "High": 35},
        "Smile": _bool_attr(True, 91.5),
        "Eyeglasses": _bool_attr(False, 88.25),
        "Sunglasses": _bool_attr(False, 99.0),
        "Gender": {"Value": "Female", "Confidence": 97.5},
        "Beard": _bool_attr(False, 80.0),
        "Mustache": _bool_attr(True, 70.5),
        "EyesOpen": _bool_attr(True, 95.125),
        "MouthOpen": _bool_attr(False, 60.0),
        "Emotions": [{"Type": t, "Confidence": float(i)} for i, t in enumerate(EMOTION_TYPES)],
        "Landmarks": [{"Type": t, "X": i / 100, "Y": 1 - i / 100} for i, t in enumerate(LANDMARK_TYPES)],
        "Pose": {"Roll": -10.5, "Yaw": 20.25, "Pitch": -179.5},
        "Quality": {"Brightness": 55.5, "Sharpness": 99.9},
        "Confidence": 99.99,
        "FaceOccluded": _bool_attr(True, 66.6),
        "EyeDirection": {"Yaw": 3.5, "Pitch": -4.5, "Confidence": 77.7},
    }


def full_response() -> dict[str, Any]:
    """The complete response syntax of get_person_tracking.boto3-doc.txt, every field filled."""
    return {
        "JobStatus": "SUCCEEDED",
        "StatusMessage": "done",
        "VideoMetadata": {
            "Codec": "h264",
            "DurationMillis": 123_456,
            "Format": "QuickTime / MOV",
            "FrameRate": 29.97,
            "FrameHeight": 1080,
            "FrameWidth": 1920,
            "ColorRange": "FULL",
        },
        "NextToken": "token-abc/def+==",
        "Persons": [
            {
                "Timestamp": 0,
                "Person": {
                    "Index": 0,
                    "BoundingBox": {"Width": 0.5, "Height": 0.75, "Left": 0.125, "Top": 0.0625},
                    "Face": full_face(),
                },
            },
            {
                "Timestamp": 40,
                "Person": {
                    "Index": 1,
                    "BoundingBox": {"Width": 0.2, "Height": 0.6, "Left": 0.7, "Top": 0.1},
                    "Face": {**full_face(), "Gender": {"Value": "Male", "Confidence": 51.0}},
                },
            },
            {"Timestamp": 80, "Person": {"Index": 2}},
        ],
        "JobId": "f2b1c0e5d4a3b2c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7",
        "Video": {"S3Object": {"Bucket": "my-bucket", "Name": "videos/clip.mp4", "Version": "v1"}},
        "JobTag": "run-7",
    }


# Hypothesis: responses built by walking the service model (any subset of fields, open enums).
_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {}


def _strategy(shape: Any) -> st.SearchStrategy[Any]:
    if shape.name in _STRATEGIES:
        return _STRATEGIES[shape.name]
    kind = shape.type_name
    if kind == "structure":
        strategy: st.SearchStrategy[Any] = st.fixed_dictionaries(
            {}, optional={name: _strategy(member) for name, member in shape.members.items()}
        )
    elif kind == "list":
        strategy = st.lists(_strategy(shape.member), max_size=3)
    elif kind == "string" and shape.enum:
        strategy = st.one_of(st.sampled_from(shape.enum), st.text(max_size=12))
    elif kind == "string":
        strategy = st.text(max_size=20)
    elif kind in ("integer", "long"):
        strategy = st.integers(min_value=-(2**63), max_value=2**63 - 1)
    elif kind in ("float", "double"):
        strategy = st.floats(allow_nan=False, allow_infinity=False)
    elif kind == "boolean":
        strategy = st.booleans()
    else:  # pragma: no cover - the response has no other kinds
        raise AssertionError(f"unexpected shape kind {kind}")
    _STRATEGIES[shape.name] = strategy
    return strategy


responses = _strategy(GET_OUTPUT)
