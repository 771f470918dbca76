"""Detections for the results tests: a hand-built case, odd shapes, and a fast large-scene generator."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rekotrack._models import PersonTrackingPage
from rekotrack._pagination import PersonTrackingPager

ROOT = Path(__file__).resolve().parents[2]
PETS_GT = ROOT.parent / "shared" / "data" / "pets09-s2l1" / "gt-frames-1-400.txt"

FULL_HD = {"FrameWidth": 1920, "FrameHeight": 1080, "FrameRate": 25.0, "DurationMillis": 10_000, "Codec": "h264"}


def box(left: float, top: float, width: float, height: float) -> dict[str, float]:
    return {"Width": width, "Height": height, "Left": left, "Top": top}


def face(confidence: float = 99.5, **extra: Any) -> dict[str, Any]:
    return {
        "BoundingBox": box(0.3, 0.2, 0.05, 0.06),
        "Landmarks": [{"Type": "eyeLeft", "X": 0.31, "Y": 0.22}, {"Type": "nose", "X": 0.325, "Y": 0.235}],
        "Pose": {"Roll": -1.5, "Yaw": 12.25, "Pitch": 3.0},
        "Quality": {"Brightness": 71.2, "Sharpness": 53.3},
        "Confidence": confidence,
        **extra,
    }


def det(ts: int | None, index: int | None, bbox: dict[str, float] | None = None, **person: Any) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if index is not None:
        body["Index"] = index
    if bbox is not None:
        body["BoundingBox"] = bbox
    body.update(person)
    out: dict[str, Any] = {"Person": body}
    if ts is not None:
        out["Timestamp"] = ts
    return out


def hand_built() -> list[dict[str, Any]]:
    """Person 0 leaves for 1.6 s; person 1 has a face-only detection; person 2 arrives out of order."""
    return [
        det(0, 0, box(0.1, 0.2, 0.2, 0.4)),
        det(100, 1, box(0.6, 0.1, 0.1, 0.3), Face=face(90.0)),
        det(200, 0, box(0.12, 0.2, 0.2, 0.4)),
        det(300, 1, None, Face=face(80.0)),  # face only: no person box
        det(400, 0, box(0.14, 0.2, 0.2, 0.4)),
        det(50, None, box(0.5, 0.5, 0.1, 0.1)),  # no index: in no track
        det(None, 0, box(0.5, 0.5, 0.1, 0.1)),  # no timestamp: in no track
        det(5000, 2, box(0.7, 0.6, 0.1, 0.2)),
        det(2000, 0, box(0.3, 0.2, 0.2, 0.4)),
        det(1000, 2, box(0.8, 0.6, 0.1, 0.2)),
        det(2200, 0, box(0.32, 0.2, 0.2, 0.4)),
    ]


def odd_shapes() -> list[dict[str, Any]]:
    """Detections that stress the exact round trip: absent parts, unknown fields, unusual values."""
    return [
        {},
        {"Timestamp": 5},
        {"Person": {}},
        {"Timestamp": None, "Person": {"Index": None, "BoundingBox": None, "Face": None}},
        {"Timestamp": 7, "Person": {"BoundingBox": {"Left": 0.1}}},  # partial box
        {"Timestamp": 8, "Person": {"Index": 3, "BoundingBox": {"Left": 0, "Top": 1, "Width": 0.5, "Height": 0.5}}},
        {"Timestamp": 2**70, "Person": {"Index": -(2**64)}},  # beyond 64 bits
        {
            "Timestamp": 9,
            "NewTopLevel": {"a": [1, 2.5, "x", True, None, 2**60, -0.0, 1e-300], "b": {}},
            "Person": {
                "Index": 2,
                "Extra": "y",
                "BoundingBox": {"Left": 0.1, "Top": 0.2, "Width": 0.3, "Height": 0.4, "Rotation": 5.0},
                "Face": face(99.0, FutureAttribute={"Value": True, "Confidence": 88.5}, Emotions=[]),
            },
        },
        {"Timestamp": 10, "Person": {"Index": 4, "BoundingBox": box(0.1 + 0.2, 1 / 3, 2**-40, 0.0)}},
        {"Person": {"Index": 5, "Face": face()}},
    ]


def synthetic_item(k: int, *, people: int = 20, face_every: int = 3, interval_ms: int = 200) -> dict[str, Any]:
    """Detection ``k`` of a cheap synthetic scene in TIMESTAMP order (a face on every ``face_every``-th)."""
    person = k % people
    t = (k // people) * interval_ms
    phase = t / 4000 + person
    left = round(0.4 + 0.3 * math.sin(phase), 6)
    top = round(0.3 + 0.1 * math.cos(phase), 6)
    item: dict[str, Any] = {"Timestamp": t, "Person": {"Index": person, "BoundingBox": box(left, top, 0.1, 0.35)}}
    if k % face_every == 0:
        item["Person"]["Face"] = face(90.0 + (k % 97) / 10)
    return item


def synthetic(n: int, *, people: int = 20, face_every: int = 3, interval_ms: int = 200) -> Iterator[dict[str, Any]]:
    """``n`` AWS-shaped detections of :func:`synthetic_item`."""
    for k in range(n):
        yield synthetic_item(k, people=people, face_every=face_every, interval_ms=interval_ms)


def synthetic_pager(n: int, page_size: int = 1000) -> PersonTrackingPager:
    """A real PersonTrackingPager over ``n`` synthetic detections, pages built when fetched."""

    def fetch(token: str | None, size: int) -> PersonTrackingPage:
        start = int(token or 0)
        end = min(n, start + size)
        page: dict[str, Any] = {
            "JobStatus": "SUCCEEDED",
            "VideoMetadata": FULL_HD,
            "Persons": [synthetic_item(k) for k in range(start, end)],
        }
        if end < n:
            page["NextToken"] = str(end)
        return PersonTrackingPage.model_validate(page)

    return PersonTrackingPager(
        fetch, job_id="job-stream", sort_by="TIMESTAMP", page_size=page_size, starting_token=None, max_items=None
    )


def scene_detections(
    seed: int = 1, people: int = 5, duration_ms: int = 60_000
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Ground truth and VideoMetadata of a SyntheticScene when rekotrack.testing has one, else of :func:`synthetic`."""
    try:
        from rekotrack.testing import SyntheticScene
    except ImportError:
        return list(synthetic(people * duration_ms // 200, people=people)), FULL_HD
    scene = SyntheticScene(seed=seed, people=people, duration_ms=duration_ms)
    return list(scene.ground_truth()), dict(scene.video_metadata())
