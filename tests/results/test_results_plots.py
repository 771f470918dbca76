"""The presence timeline and path plots are real pictures: size checked, many colours, not blank."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
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


def _ink(png: Path) -> float:
    """Share of the picture that is not the white background."""
    pixels = imread(png)[..., :3]
    return float((pixels.min(axis=2) < 0.95).mean())


def test_both_pngs_have_content(scene_result: TrackingResult, tmp_path: Path) -> None:
    plot_presence(scene_result, tmp_path / "presence.png")
    plot_paths(scene_result, tmp_path / "paths.png")
    for name in ("presence.png", "paths.png"):
        png = tmp_path / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 20_000
        assert _ink(png) > 0.02, name  # bars and lines, not just axes on white
    assert _ink(tmp_path / "presence.png") > _ink_of_empty(tmp_path, plot_presence) * 2


def _ink_of_empty(tmp_path: Path, plot: Callable[..., None]) -> float:
    plot(TrackingResult(), tmp_path / "empty.png")
    return _ink(tmp_path / "empty.png")


def test_path_plot_explains_its_markers_and_axes(scene_result: TrackingResult) -> None:
    from rekotrack._plots import _paths_figure

    fig = _paths_figure(scene_result, video_metadata=None, min_gap_ms=1000, title=None)
    (ax,) = fig.axes
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[:2] == ["start of a track", "end of a track"]
    assert ax.get_xlabel() == "x: pixels from the left edge"
    assert ax.get_ylabel() == "y: pixels from the top edge"
    assert ax.get_ylim() == (1080.0, 0.0)  # y grows downwards, as in the frame
    starts = [line for line in ax.get_lines() if line.get_gid() == "start"]
    ends = [line for line in ax.get_lines() if line.get_gid() == "end"]
    tracks = [track for track in scene_result.tracks().values() if track.path]
    assert len(starts) == len(ends) == len(tracks)
    for track, start, end in zip(tracks, starts, ends, strict=True):
        (_, x0, y0), (_, x1, y1) = track.path[0], track.path[-1]
        assert (float(start.get_xdata()[0]), float(start.get_ydata()[0])) == pytest.approx((x0 * 1920, y0 * 1080))
        assert (float(end.get_xdata()[0]), float(end.get_ydata()[0])) == pytest.approx((x1 * 1920, y1 * 1080))
        assert start.get_marker() != end.get_marker()


def test_path_axes_are_frame_ratios_without_a_frame_size(hand_result: TrackingResult) -> None:
    from rekotrack._plots import _paths_figure

    fig = _paths_figure(hand_result, video_metadata=None, min_gap_ms=1000, title=None)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "x: ratio of the frame width, from the left"
    assert ax.get_ylabel() == "y: ratio of the frame height, from the top"
    assert ax.get_xlim() == (0.0, 1.0)


def test_presence_axes(scene_result: TrackingResult) -> None:
    from rekotrack._plots import _presence_figure

    (ax,) = _presence_figure(scene_result, min_gap_ms=1000, title=None).axes
    assert ax.get_xlabel() == "time from the start of the video (s)"
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"person {i}" for i in scene_result.tracks()]


@pytest.mark.parametrize("people", [12, 24, 45])
def test_paths_of_many_people_are_told_apart(people: int, tmp_path: Path) -> None:
    from matplotlib.colors import to_rgb

    from rekotrack._plots import _paths_figure
    from rekotrack._results import DEFAULT_MIN_GAP_MS

    items, metadata = scene_detections(seed=3, people=people, duration_ms=120_000)
    result = TrackingResult.from_detections(items, video_metadata=metadata)
    tracks = result.tracks()
    assert len(tracks) > people // 2
    ax = _paths_figure(result, video_metadata=None, min_gap_ms=DEFAULT_MIN_GAP_MS, title=None).axes[0]
    paths = {line.get_gid(): line for line in ax.get_lines() if str(line.get_gid()).startswith("path ")}
    assert set(paths) == {f"path {index}" for index in tracks}
    looks = [(to_rgb(line.get_color()), line.get_linestyle()) for line in paths.values()]
    if len(tracks) <= 40:
        assert len(set(looks)) == len(looks)  # no two people drawn alike
    for i, (colour_a, style_a) in enumerate(looks):  # no near twins: same style, nearly the same colour
        for colour_b, style_b in looks[i + 1 :]:
            if style_a == style_b and colour_a != colour_b:
                assert sum((a - b) ** 2 for a, b in zip(colour_a, colour_b, strict=True)) ** 0.5 > 0.25
    labels = {text.get_gid(): text.get_text() for text in ax.texts}
    for index in tracks:  # every path says whose it is
        assert labels[f"label {index}"] == str(index)
    legend = ax.get_legend()
    assert legend is not None
    named = {text.get_text() for text in legend.get_texts()}
    assert {f"person {index}" for index in tracks} <= named  # the legend scales: every person named
    plot_paths(result, tmp_path / "paths.png")
    (_height, width), colours = _colours(tmp_path / "paths.png")
    assert width >= 1220
    assert colours > 12
