"""PNG plots of a result: a presence timeline and box-centre paths (needs the ``plot`` extra, matplotlib).

Figures are drawn with matplotlib's Agg renderer on a private ``Figure`` (no
pyplot, no global state, no display needed).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO

from ._models import VideoMetadata
from ._results import DEFAULT_MIN_GAP_MS, PersonTrack, TrackingResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_paths", "plot_presence"]

_LEGEND_MAX = 120  # people named in the paths legend (in columns of _LEGEND_ROWS); the rest are summarised
_LEGEND_ROWS = 30
_LEGEND_COLUMN_IN = 1.1  # inches per legend column
_DPI = 100
_START, _END = "o", "s"  # markers of a track's first and last box centre
_STYLES = ("-", "--", ":", "-.")  # with more than ten people, each group of ten gets its own line style


def _figure(width_in: float, height_in: float) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "plots need matplotlib: pip install '.[plot]' in a clone ('rekotrack[plot]' once released)"
        ) from exc
    return Figure(figsize=(width_in, height_in), dpi=_DPI, layout="constrained")


def _tracks_of(source: TrackingResult | Mapping[int, PersonTrack]) -> dict[int, PersonTrack]:
    if isinstance(source, TrackingResult):
        return source.tracks()
    return dict(sorted(source.items()))


def _colour(position: int, count: int) -> Any:
    """The colour of the ``position``-th of ``count`` people: tab10's ten distinct colours, in turn.

    tab10's colours are told apart at a glance; tab20's come in light/dark pairs of one
    hue and a continuous map gives neighbours nearly the same colour, so neither is used.
    Beyond ten people the line style (:func:`_style`) tells the groups of ten apart, and
    every path carries its person's index (the presence timeline names each row).
    """
    from matplotlib import colormaps

    return colormaps["tab10"](position % 10)


def _style(position: int, count: int) -> str:
    """The line style of the ``position``-th of ``count`` people: solid up to ten, then one per group of ten."""
    return _STYLES[(position // 10) % len(_STYLES)] if count > 10 else "-"


def _outline() -> Any:
    """A white outline that keeps a label readable over any line."""
    from matplotlib import patheffects

    return patheffects.withStroke(linewidth=2.0, foreground="white")


def _save(fig: Figure, path: str | os.PathLike[str] | BinaryIO) -> None:
    fig.savefig(path, format="png", dpi=_DPI)


def plot_presence(
    source: TrackingResult | Mapping[int, PersonTrack],
    path: str | os.PathLike[str] | BinaryIO,
    *,
    min_gap_ms: int = DEFAULT_MIN_GAP_MS,
    title: str | None = None,
) -> None:
    """Draw a presence timeline to a PNG: one row per person index, a bar for each visit.

    A visit ends where the person was unseen for ``min_gap_ms`` or more (see
    :meth:`PersonTrack.visits`). The x axis is seconds from the start of the video.
    """
    _save(_presence_figure(source, min_gap_ms=min_gap_ms, title=title), path)


def _presence_figure(
    source: TrackingResult | Mapping[int, PersonTrack], *, min_gap_ms: int, title: str | None
) -> Figure:
    tracks = _tracks_of(source)
    rows = max(1, len(tracks))
    height = min(2.0 + 0.32 * rows, 40.0)
    fig = _figure(11.0, height)
    ax = fig.add_subplot()
    end_ms = 0.0
    metadata = source.video_metadata if isinstance(source, TrackingResult) else None
    if metadata is not None and metadata.duration_millis:
        end_ms = float(metadata.duration_millis)
    for track in tracks.values():
        end_ms = max(end_ms, float(track.last_seen_ms))
    span_s = max(end_ms / 1000, 1.0)
    min_bar_s = span_s / 400  # a lone detection still shows as a thin bar
    for position, track in enumerate(tracks.values()):
        bars = [(start / 1000, max((end - start) / 1000, min_bar_s)) for start, end in track.visits(min_gap_ms)]
        ax.broken_barh(bars, (position - 0.35, 0.7), facecolors=_colour(position, len(tracks)))
    ax.set_yticks(range(len(tracks)), [f"person {index}" for index in tracks])
    ax.set_ylim(len(tracks) - 0.5 if tracks else 0.5, -0.5)
    ax.set_xlim(0, span_s)
    ax.set_xlabel("time from the start of the video (s)")
    ax.set_ylabel("person index")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    count = sum(track.detection_count for track in tracks.values())
    ax.set_title(title or f"Presence timeline: {len(tracks)} people, {count:,} detections")
    if not tracks:
        ax.text(0.5, 0.5, "no tracked people", transform=ax.transAxes, ha="center", va="center")
    return fig


def plot_paths(
    source: TrackingResult | Mapping[int, PersonTrack],
    path: str | os.PathLike[str] | BinaryIO,
    *,
    video_metadata: VideoMetadata | None = None,
    min_gap_ms: int = DEFAULT_MIN_GAP_MS,
    title: str | None = None,
) -> None:
    """Draw each person's box-centre trajectory over the frame to a PNG.

    Image coordinates: origin top left, y down, the frame's aspect ratio; axes
    in pixels when the VideoMetadata (the result's, or ``video_metadata``) has
    the frame size, in frame ratios otherwise. A line breaks where the person
    was unseen for ``min_gap_ms`` or more; a filled circle marks where each track
    starts and a square where it ends, as the legend says. Each path carries its person
    index at its end; people beyond the tenth get line styles by group of ten besides
    tab10's colours, and the legend names up to 120 people in columns.
    """
    _save(_paths_figure(source, video_metadata=video_metadata, min_gap_ms=min_gap_ms, title=title), path)


def _paths_figure(
    source: TrackingResult | Mapping[int, PersonTrack],
    *,
    video_metadata: VideoMetadata | None,
    min_gap_ms: int,
    title: str | None,
) -> Figure:
    tracks = _tracks_of(source)
    metadata = video_metadata
    if metadata is None and isinstance(source, TrackingResult):
        metadata = source.video_metadata
    width = float(metadata.frame_width) if metadata is not None and metadata.frame_width else 1.0
    height = float(metadata.frame_height) if metadata is not None and metadata.frame_height else 1.0
    pixels = width != 1.0 or height != 1.0
    aspect = width / height
    plot_w = 10.0
    named = min(len(tracks), _LEGEND_MAX)
    columns = max(1, math.ceil((named + 3) / _LEGEND_ROWS))  # + the two marker entries and "+N more"
    legend_w = (2.2 + _LEGEND_COLUMN_IN * (columns - 1)) if tracks else 0.0
    fig = _figure(plot_w + legend_w, max(3.0, plot_w / aspect + 1.2))
    ax = fig.add_subplot()
    for position, (index, track) in enumerate(tracks.items()):
        xs: list[float] = []
        ys: list[float] = []
        lone_x: list[float] = []  # points with no neighbour within min_gap_ms draw no line
        lone_y: list[float] = []
        points = track.path
        for k, (t_ms, x, y) in enumerate(points):
            joined_before = k > 0 and t_ms - points[k - 1][0] < min_gap_ms
            joined_after = k + 1 < len(points) and points[k + 1][0] - t_ms < min_gap_ms
            if k > 0 and not joined_before:
                xs.append(math.nan)
                ys.append(math.nan)
            xs.append(x * width)
            ys.append(y * height)
            if not joined_before and not joined_after:
                lone_x.append(x * width)
                lone_y.append(y * height)
        if not xs:
            continue
        colour = _colour(position, len(tracks))
        label = f"person {index}" if position < _LEGEND_MAX else None
        ax.plot(xs, ys, color=colour, linestyle=_style(position, len(tracks)), linewidth=1.2, alpha=0.85,
                label=label, gid=f"path {index}")
        ax.plot(lone_x, lone_y, ".", color=colour, markersize=4)
        ax.plot(xs[0], ys[0], _START, color=colour, markersize=6, gid="start")
        ax.plot(xs[-1], ys[-1], _END, color=colour, markersize=6, markeredgecolor="black", markeredgewidth=0.6,
                gid="end")
        # The index beside the end of the path: which person a line is, whatever the colours.
        ax.annotate(str(index), (xs[-1], ys[-1]), xytext=(4, 3), textcoords="offset points", color=colour,
                    fontsize="x-small", fontweight="bold", gid=f"label {index}",
                    path_effects=[_outline()])
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)  # image coordinates: y grows downwards
    ax.set_aspect("equal")
    if pixels:
        ax.set_xlabel("x: pixels from the left edge")
        ax.set_ylabel("y: pixels from the top edge")
    else:
        ax.set_xlabel("x: ratio of the frame width, from the left")
        ax.set_ylabel("y: ratio of the frame height, from the top")
    ax.grid(alpha=0.3)
    size = f" on the {int(width)}x{int(height)} frame" if pixels else ""
    ax.set_title(title or f"Box-centre paths: {len(tracks)} people{size}")
    if tracks:
        handles, labels = ax.get_legend_handles_labels()
        if len(tracks) > _LEGEND_MAX:
            handles.append(ax.plot([], [], " ")[0])
            labels.append(f"+{len(tracks) - _LEGEND_MAX} more")
        # What the markers mean, in grey, above the people.
        start = ax.plot([], [], _START, color="0.35", markersize=6)[0]
        end = ax.plot([], [], _END, color="0.35", markersize=6, markeredgecolor="black", markeredgewidth=0.6)[0]
        handles = [start, end, *handles]
        labels = ["start of a track", "end of a track", *labels]
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False,
                  ncols=columns, handlelength=2.5)
    else:
        ax.text(0.5, 0.5, "no box-centre paths", transform=ax.transAxes, ha="center", va="center")
    return fig
