"""Segment detection jobs (StartSegmentDetection/GetSegmentDetection): shots and black frames.

Every decoded frame is used (no sampling: a cut is placed on a frame):

- **SHOT**: PySceneDetect's ``ContentDetector`` (``scenedetect-headless``, BSD-3-Clause) with its
  default threshold (27 on the HSV content change between consecutive frames) and its command
  line's shortest shot (0.6 s, in frames at the video's rate), fed frames shrunk to 256 pixels wide
  as its ``SceneManager`` does. Shots
  partition the video: each runs from one cut to the frame before the next. A cut's confidence is
  how far its content change exceeds the threshold: ``50 + 50 (score - 27) / 27``, capped at 100
  (50 at the threshold, 100 at twice it); a shot's ``Confidence`` is the lower of its two
  boundaries' (the start and the end of the video count as 100).
- **TECHNICAL_CUE** ``BlackFrames``: a frame is black when at least ``MinCoveragePercentage``
  (default 99) percent of its pixels have a BT.709 luminance at or below
  ``MaxPixelThreshold`` x 255 (default 0.2, i.e. 51), measured on the decoded RGB (full range: a
  limited-range video is expanded by the decoder, so the threshold is the same fraction of the
  video's own range, as the service defines it). A run of consecutive black frames is one
  segment; its ``Confidence`` is the mean share of black pixels over the run, in percent.
  No other cue (ColorBars, credits, slates, studio logos, Content) is detected: colour bars have
  no single reliable definition to test a frame against, and the rest need trained models.

``Filters.ShotFilter.MinSegmentConfidence`` and ``TechnicalCueFilter.MinSegmentConfidence``
(default 50) drop the segments below them (a dropped shot keeps its ``Index`` gap).

Timestamps come from the decoder: a segment starts at its first frame's presentation time and
ends where its last frame ends (the next frame's time, or that time plus one frame period at the
end). Frame numbers count decoded frames from 0; SMPTE timecodes are the frame numbers at the
nominal rate (drop-frame, with ``;``, at 29.97 and 59.94 frames a second).
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = [
    "CUE_MODEL_VERSION",
    "SHOT_MODEL_VERSION",
    "SHOT_THRESHOLD",
    "BlackFrameTest",
    "SegmentAnalysis",
    "detect_segments",
    "smpte",
]

SHOT_THRESHOLD: Final = 27.0
"""PySceneDetect ContentDetector's default threshold (HSV content change between frames)."""
SHOT_MIN_SECONDS: Final = 0.6
"""The shortest shot (PySceneDetect's command-line default), turned into frames at the video's rate."""
DETECT_WIDTH: Final = 256
"""Frames are shrunk to this width for the shot detector (PySceneDetect's automatic downscale)."""
SHOT_MODEL_VERSION: Final = "scenedetect-content-1"
CUE_MODEL_VERSION: Final = "luminance-bt709-1"
DEFAULT_MIN_CONFIDENCE: Final = 50.0


@dataclass(frozen=True)
class BlackFrameTest:
    """The BlackFrame filter: luminance at most ``max_pixel_threshold`` x 255 on ``min_coverage`` % of the pixels."""

    max_pixel_threshold: float = 0.2
    min_coverage: float = 99.0

    @classmethod
    def from_filters(cls, filters: Mapping[str, Any] | None) -> BlackFrameTest:
        black = ((filters or {}).get("TechnicalCueFilter") or {}).get("BlackFrame") or {}
        return cls(float(black.get("MaxPixelThreshold", 0.2)), float(black.get("MinCoveragePercentage", 99.0)))

    def coverage(self, image: Any) -> float:
        """Percent of the BGR ``image``'s pixels whose BT.709 luminance is at or below the threshold."""
        import cv2
        import numpy as np

        luma = cv2.transform(image, np.array([[0.0722, 0.7152, 0.2126]], dtype=np.float32))
        return 100.0 * float(np.count_nonzero(luma <= self.max_pixel_threshold * 255.0)) / luma.size


@dataclass
class SegmentAnalysis:
    """A finished segment analysis: every page member besides the list, and the ``Segments``."""

    page_fields: dict[str, Any]
    segments: list[dict[str, Any]]
    frames: int
    seconds: float
    cpu_seconds: float
    stages: dict[str, float] = field(default_factory=dict)


def smpte(frame: int, frame_rate: float) -> str:
    """The SMPTE timecode ``HH:MM:SS:FF`` of frame number ``frame`` (``HH:MM:SS;FF`` drop-frame at 29.97/59.94)."""
    nominal = max(1, round(frame_rate))
    drop = nominal in (30, 60) and abs(frame_rate - nominal * 1000 / 1001) < 0.01
    if drop:  # skip frame labels 0 and 1 (2 and 3 at 60) of every minute but each tenth
        skipped = nominal // 15
        per_ten_minutes = nominal * 600 - skipped * 9
        per_minute = nominal * 60 - skipped
        tens, rest = divmod(frame, per_ten_minutes)
        frame += skipped * 9 * tens + (skipped * ((rest - skipped) // per_minute) if rest > skipped else 0)
    seconds, frames = divmod(frame, nominal)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours:02d}:{minute:02d}:{second:02d}{';' if drop else ':'}{frames:02d}"


def _score_keeper() -> Any:
    """A PySceneDetect ``StatsManager`` that keeps only each frame's ``content_val``, in an array (the
    library's keeps a dict of five metrics per frame: hundreds of MB for hours of video)."""
    from scenedetect import StatsManager

    class ScoreKeeper(StatsManager):  # type: ignore[misc]  # scenedetect is untyped
        def __init__(self) -> None:
            super().__init__()
            self.scores = array("d")

        def set_metrics(self, timecode: Any, metric_kv_dict: dict[str, Any]) -> None:
            number = int(getattr(timecode, "frame_num", timecode))
            while len(self.scores) <= number:
                self.scores.append(0.0)
            self.scores[number] = float(metric_kv_dict.get("content_val") or 0.0)

        def score(self, number: int) -> float:
            return self.scores[number] if number < len(self.scores) else SHOT_THRESHOLD

    return ScoreKeeper()


def _segment(kind: str, first: int, last: int, times: Sequence[int], end_ms: int, frame_rate: float) -> dict[str, Any]:
    start_ms = times[first]
    stop_ms = times[last + 1] if last + 1 < len(times) else end_ms
    return {
        "Type": kind,
        "StartTimestampMillis": start_ms,
        "EndTimestampMillis": stop_ms,
        "DurationMillis": stop_ms - start_ms,
        "StartTimecodeSMPTE": smpte(first, frame_rate),
        "EndTimecodeSMPTE": smpte(last + 1, frame_rate),
        "DurationSMPTE": smpte(last + 1 - first, frame_rate),
        "StartFrameNumber": first,
        "EndFrameNumber": last,
        "DurationFrames": last + 1 - first,
    }


def cut_confidence(score: float) -> float:
    """A cut's confidence from its content score: 50 at :data:`SHOT_THRESHOLD`, 100 at twice it or more."""
    return round(min(100.0, max(50.0, 50.0 + 50.0 * (score - SHOT_THRESHOLD) / SHOT_THRESHOLD)), 3)


def _min_confidence(filters: Mapping[str, Any] | None, which: str) -> float:
    found = ((filters or {}).get(which) or {}).get("MinSegmentConfidence")
    return DEFAULT_MIN_CONFIDENCE if found is None else float(found)


def audio_metadata(path: Path) -> list[dict[str, Any]]:
    """One ``AudioMetadata`` per audio stream of the container (empty without audio)."""
    import av

    found: list[dict[str, Any]] = []
    try:
        with av.open(str(path)) as container:
            for stream in container.streams.audio:
                ctx = stream.codec_context
                entry: dict[str, Any] = {"Codec": ctx.name or "unknown"}
                if stream.duration is not None and stream.time_base is not None:
                    entry["DurationMillis"] = round(float(stream.duration * stream.time_base) * 1000)
                elif container.duration is not None:
                    entry["DurationMillis"] = round(container.duration / 1000)
                if ctx.sample_rate:
                    entry["SampleRate"] = int(ctx.sample_rate)
                if ctx.channels:
                    entry["NumberOfChannels"] = int(ctx.channels)
                found.append(entry)
    except Exception:  # the video was decoded already; an unreadable audio header means no audio to report
        return []
    return found


def detect_segments(
    path: Path,
    segment_types: list[str],
    filters: Mapping[str, Any] | None = None,
    *,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SegmentAnalysis:
    """The shots and black-frame runs of the video at ``path`` (raises ``VideoError`` if it cannot be read)."""
    import cv2
    from scenedetect import ContentDetector, FrameTimecode

    from rekotrack.selfhosted.vision._video import iter_frames, probe

    started, cpu_started = time.perf_counter(), time.process_time()
    if threads:
        cv2.setNumThreads(threads)
    info = probe(path)
    rate = info.frame_rate if info.frame_rate > 0 else 25.0
    want_shots = "SHOT" in segment_types
    want_cues = "TECHNICAL_CUE" in segment_types
    black = BlackFrameTest.from_filters(filters)
    detector = ContentDetector(threshold=SHOT_THRESHOLD, min_scene_len=max(1, round(SHOT_MIN_SECONDS * rate)))
    scores = _score_keeper()
    detector.stats_manager = scores  # each frame's content score: a cut's confidence
    times = array("q")  # a frame's timestamp and black share: 16 bytes a frame, even for hours of video
    coverage = array("d")
    cuts: list[int] = []
    expected = max(1, round(info.duration_ms * rate / 1000)) if info.duration_ms else 0
    stages = {"decode": 0.0, "shots": 0.0, "black": 0.0}
    frames = iter_frames(path)
    clock = time.perf_counter()
    for number, (timestamp, image) in enumerate(frames):
        now = time.perf_counter()
        stages["decode"] += now - clock
        times.append(timestamp)
        if want_shots:
            height, width = image.shape[:2]
            small: Any = image
            if width > DETECT_WIDTH:
                small = cv2.resize(image, (DETECT_WIDTH, max(1, round(height * DETECT_WIDTH / width))),
                                   interpolation=cv2.INTER_AREA)
            code = FrameTimecode(number, rate)
            cuts.extend(c.frame_num for c in detector.process_frame(code, small))
            clock, now = now, time.perf_counter()
            stages["shots"] += now - clock
        if want_cues:
            coverage.append(black.coverage(image))
            clock, now = now, time.perf_counter()
            stages["black"] += now - clock
        if progress is not None:
            progress(number + 1, max(expected, number + 1))
        clock = time.perf_counter()
    count = len(times)
    if want_shots and count:
        cuts.extend(c.frame_num for c in detector.post_process(FrameTimecode(count - 1, rate)))
    period = round(1000 / rate)
    end_ms = max(times[-1] + period, info.duration_ms) if times else info.duration_ms
    segments: list[dict[str, Any]] = []
    for kind in dict.fromkeys(t for t in segment_types if t in ("SHOT", "TECHNICAL_CUE")):
        if kind == "SHOT" and count:
            bounds = sorted({c for c in cuts if 0 < c < count})
            starts, confidence = [0, *bounds], {0: 100.0, count: 100.0}
            confidence.update({c: cut_confidence(scores.score(c)) for c in bounds})
            cut = _min_confidence(filters, "ShotFilter")
            for index, first in enumerate(starts):
                last = (starts[index + 1] if index + 1 < len(starts) else count) - 1
                value = min(confidence[first], confidence[last + 1])
                if value >= cut:
                    shot = _segment("SHOT", first, last, times, end_ms, rate)
                    shot["ShotSegment"] = {"Index": index, "Confidence": value}
                    segments.append(shot)
        elif kind == "TECHNICAL_CUE":
            cut = _min_confidence(filters, "TechnicalCueFilter")
            first = None
            for number in range(count + 1):
                is_black = number < count and coverage[number] >= black.min_coverage
                if is_black and first is None:
                    first = number
                elif not is_black and first is not None:
                    value = round(sum(coverage[first:number]) / (number - first), 3)
                    if value >= cut:
                        cue = _segment("TECHNICAL_CUE", first, number - 1, times, end_ms, rate)
                        cue["TechnicalCueSegment"] = {"Type": "BlackFrames", "Confidence": value}
                        segments.append(cue)
                    first = None
    versions = {"SHOT": SHOT_MODEL_VERSION, "TECHNICAL_CUE": CUE_MODEL_VERSION}
    page_fields = {
        "VideoMetadata": [info.video_metadata()],
        "AudioMetadata": audio_metadata(path),
        "SelectedSegmentTypes": [{"Type": t, "ModelVersion": versions[t]}
                                 for t in dict.fromkeys(segment_types) if t in versions],
    }
    return SegmentAnalysis(page_fields=page_fields, segments=segments, frames=count,
                           seconds=time.perf_counter() - started, cpu_seconds=time.process_time() - cpu_started,
                           stages=stages)
