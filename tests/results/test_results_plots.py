"""The presence timeline and path plots are real pictures: size checked, many colours, not blank."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from results_support import hand_built, scene_detections

from rekotrack._results import TrackingResult

pytest.importorskip("matplotlib")
import numpy as np
from matplotlib.image import imread

from rekotrack._plots import plot_paths, plot_presence


@pytest.fixture(scope="module")
def scene_result() -> TrackingResult:
    items, metadata = scene_detections(people=6, duration_ms=90_000)
    return TrackingResult.from_detections(items, video_metadata=metadata)


def _colours(png: Path) -> tuple[tuple[int, int], int]:
    pixels = imread(png)
    assert pixels.ndim == 3
    flat = (pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    return pixels.shape[:2], len(np.unique(flat, axis=0))


def test_presence_timeline(scene_result: TrackingResult, tmp_path: Path) -> None:
    plot_presence(scene_result, tmp_path / "presence.png")
    (height, width), colours = _colours(tmp_path / "presence.png")
    people = len(scene_result.tracks())
    assert width == 1100
    assert height == round((2.0 + 0.32 * people) * 100)
    assert colours > people + 2  # one colour per person, plus axes and text


def test_paths_in_frame_aspect(scene_result: TrackingResult, tmp_path: Path) -> None:
    plot_paths(scene_result, tmp_path / "paths.png")
    (height, width), colours = _colours(tmp_path / "paths.png")
    assert width == 1220  # 10 in of plot + 2.2 in of legend at 100 dpi
    assert height == round((10 / (1920 / 1080) + 1.2) * 100)
    assert colours > len(scene_result.tracks()) + 2


def test_plots_accept_tracks_and_file_objects(hand_result: TrackingResult) -> None:
    for plot in (plot_presence, plot_paths):
        buffer = io.BytesIO()
        plot(hand_result.tracks(), buffer, title="hand-built")
        assert buffer.getvalue().startswith(b"\x89PNG\r\n\x1a\n")


def test_plots_of_an_empty_result_still_draw(tmp_path: Path) -> None:
    for plot in (plot_presence, plot_paths):
        plot(TrackingResult(), tmp_path / "empty.png")
        (_height, _width), colours = _colours(tmp_path / "empty.png")
        assert colours > 2


def test_missing_matplotlib_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"rekotrack\[plot\]"):
        plot_presence(TrackingResult.from_detections(hand_built()), tmp_path / "x.png")
