"""TrackingResult holds detections compactly and gives back exactly what was collected."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from results_support import FULL_HD, hand_built, odd_shapes, scene_detections, synthetic

from rekotrack._models import PersonDetail, PersonDetection, VideoMetadata
from rekotrack._results import TrackingResult


@pytest.mark.parametrize("item", odd_shapes(), ids=lambda item: str(sorted(item))[:40])
def test_every_shape_round_trips_exactly(item: dict[str, Any]) -> None:
    expected = PersonDetection.model_validate(item)
    from_dict = TrackingResult.from_detections([item])
    from_model = TrackingResult.from_detections([expected])
    for result in (from_dict, from_model):
        got = result.detections[0]
        assert got == expected
        assert got.to_aws() == expected.to_aws()
        assert got.model_fields_set == expected.model_fields_set


def test_scene_round_trips_exactly() -> None:
    items, metadata = scene_detections()
    result = TrackingResult.from_detections(items, video_metadata=metadata, job_id="job-1")
    assert len(result) == len(items)
    assert [det.to_aws() for det in result.detections] == items
    assert result.video_metadata == VideoMetadata.model_validate(metadata)
    assert result.job_id == "job-1"


def test_models_built_by_name_round_trip() -> None:
    det = PersonDetection(timestamp=3, person=PersonDetail(index=1))
    assert TrackingResult.from_detections([det]).detections[0].to_aws() == {"Timestamp": 3, "Person": {"Index": 1}}


def test_detections_is_a_read_only_sequence() -> None:
    items = hand_built()
    detections = TrackingResult.from_detections(items).detections
    assert len(detections) == len(items)
    assert detections[-1].to_aws() == items[-1]
    assert [d.to_aws() for d in detections[2:7:2]] == items[2:7:2]
    assert [d.to_aws() for d in reversed(detections)] == items[::-1]
    assert detections.index(PersonDetection.model_validate(items[3])) == 3
    with pytest.raises(IndexError):
        detections[len(items)]


def test_invalid_dict_is_rejected_and_nothing_is_stored() -> None:
    result = TrackingResult.from_detections([{"Timestamp": 1}])
    with pytest.raises(ValueError, match="Timestamp"):
        result._store.add({"Timestamp": "soon"})
    with pytest.raises(TypeError, match="PersonDetection"):
        result._store.add(42)  # type: ignore[arg-type]
    assert len(result) == 1


class FakePager:
    """A pager stand-in: iterable of detections, metadata known after iteration."""

    job_id = "job-pager"

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self._items = items
        self.iterations = 0

    @property
    def video_metadata(self) -> VideoMetadata | None:
        return VideoMetadata.model_validate(FULL_HD) if self.iterations else None

    def __iter__(self) -> Iterator[PersonDetection]:
        self.iterations += 1
        return (PersonDetection.model_validate(item) for item in self._items)


def test_from_pager_takes_metadata_and_job_id_after_one_pass() -> None:
    pager = FakePager(hand_built())
    result = TrackingResult.from_pager(pager)
    assert pager.iterations == 1
    assert result.job_id == "job-pager"
    assert result.video_metadata is not None
    assert result.video_metadata.frame_width == 1920
    assert len(result) == len(hand_built())
    assert TrackingResult.from_pager(FakePager([]), job_id="other").job_id == "other"


def test_fifty_thousand_detections_are_compact() -> None:
    """Columns, not models: under 150 bytes a detection with a face on a third of them (so 1M < 150 MB)."""
    n = 50_000
    models = [PersonDetection.model_validate(item) for item in synthetic(300)]
    gc.collect()
    tracemalloc.start()
    try:
        result = TrackingResult.from_detections(models[k % 300] for k in range(n))
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(result) == n
    assert held / n < 150, f"{held / n:.0f} bytes per detection"
    assert result.nbytes <= held
    assert result.detections[n - 1] == models[(n - 1) % 300]
