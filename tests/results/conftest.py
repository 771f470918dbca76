"""Fixtures for the results tests: hand-built detections, a scene generator and the PETS09-S2L1 data."""

from __future__ import annotations

from pathlib import Path

import pytest
from results_support import PETS_GT, hand_built

from rekotrack._results import TrackingResult


@pytest.fixture
def hand_result() -> TrackingResult:
    return TrackingResult.from_detections(hand_built(), video_metadata=None, job_id="job-hand")


@pytest.fixture
def pets_gt() -> Path:
    if not PETS_GT.is_file():
        pytest.skip(f"evaluation data not found at {PETS_GT}")
    return PETS_GT
