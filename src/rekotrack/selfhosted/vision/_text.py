"""Text detection jobs (StartTextDetection/GetTextDetection) with RapidOCR.

RapidOCR (``rapidocr``, Apache-2.0) runs the PP-OCRv6 text detector and recogniser (Apache-2.0,
PaddleOCR; the ONNX files ship inside its wheel, nothing is downloaded) on onnxruntime.

The first frame of every :data:`TEXT_INTERVAL_MS` is read (one a second): text on screen stays for
seconds, and a frame costs about 0.4 s of CPU at 640x480 (decoding one: about 2 ms; docs/self-hosted.md). Text
shown for less than a second can fall between two samples and be missed.

Each recognised line becomes a ``LINE`` item and each of its words a ``WORD`` item, at the
sampled frame's timestamp::

    {"Timestamp": ms, "TextDetection": {"DetectedText", "Type", "Id", "ParentId" (words),
                                        "Confidence", "Geometry": {"BoundingBox", "Polygon"}}}

- ``Id`` counts the frame's items from 0 (a line, then its words); a word's ``ParentId`` is its
  line's ``Id``.
- ``Confidence``: RapidOCR's recognition score x 100 (the line's, or the word's).
- ``Geometry``: the detector's four-point polygon (lines) or RapidOCR's word box, as ratios of
  the frame, and its bounding box.
- ``Filters.WordFilter``: a word is kept when its confidence is at least ``MinConfidence``
  (default 80) and its box at least ``MinBoundingBoxHeight``/``MinBoundingBoxWidth`` of the frame;
  ``Filters.RegionsOfInterest``: and when its centre lies in one of the regions (a box or a
  polygon). A line is reported, as recognised, when at least one of its words is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = ["TEXT_INTERVAL_MS", "TextAnalysis", "TextReader", "WordFilter", "detect_text", "text_model_version"]

TEXT_INTERVAL_MS: Final = 1000
"""One frame a second is read for text."""
DEFAULT_MIN_CONFIDENCE: Final = 80.0


def text_model_version() -> str:
    """``rapidocr-<version>/PP-OCRv6``: the package and the models in its wheel."""
    from importlib.metadata import version

    return f"rapidocr-{version('rapidocr')}/PP-OCRv6"


@dataclass(frozen=True)
class WordFilter:
    """``Filters.WordFilter`` and ``Filters.RegionsOfInterest`` of StartTextDetection."""

    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    min_height: float = 0.0
    min_width: float = 0.0
    regions: tuple[tuple[tuple[float, float], ...], ...] = ()
    """Each region as its polygon's points (a box as its four corners), ratios of the frame."""

    @classmethod
    def from_filters(cls, filters: Mapping[str, Any] | None) -> WordFilter:
        filters = filters or {}
        words = filters.get("WordFilter") or {}
        regions: list[tuple[tuple[float, float], ...]] = []
        for region in filters.get("RegionsOfInterest") or ():
            box = region.get("BoundingBox")
            if box:
                left, top = float(box.get("Left", 0.0)), float(box.get("Top", 0.0))
                right, bottom = left + float(box.get("Width", 1.0)), top + float(box.get("Height", 1.0))
                regions.append(((left, top), (right, top), (right, bottom), (left, bottom)))
            elif region.get("Polygon"):
                regions.append(tuple((float(p.get("X", 0.0)), float(p.get("Y", 0.0))) for p in region["Polygon"]))
        return cls(
            min_confidence=float(words.get("MinConfidence", DEFAULT_MIN_CONFIDENCE)),
            min_height=float(words.get("MinBoundingBoxHeight", 0.0)),
            min_width=float(words.get("MinBoundingBoxWidth", 0.0)),
            regions=tuple(regions),
        )

    def keeps(self, confidence: float, geometry: Mapping[str, Any]) -> bool:
        box = geometry["BoundingBox"]
        if confidence < self.min_confidence or box["Height"] < self.min_height or box["Width"] < self.min_width:
            return False
        if not self.regions:
            return True
        centre = (box["Left"] + box["Width"] / 2, box["Top"] + box["Height"] / 2)
        return any(_inside(centre, region) for region in self.regions)


def _inside(point: tuple[float, float], polygon: Sequence[tuple[float, float]]) -> bool:
    """Whether ``point`` lies inside or on ``polygon`` (ray casting; edges count as inside)."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, [*polygon[1:], polygon[0]], strict=True):
        if min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2):
            cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
            if abs(cross) <= 1e-12:
                return True
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def geometry(points: Sequence[Sequence[float]], width: int, height: int) -> dict[str, Any]:
    """``Geometry`` of a pixel polygon: its points and its bounding box as ratios of the frame."""
    xs = [min(max(float(p[0]) / width, 0.0), 1.0) for p in points]
    ys = [min(max(float(p[1]) / height, 0.0), 1.0) for p in points]
    left, top = min(xs), min(ys)
    return {
        "BoundingBox": {"Width": round(max(xs) - left, 6), "Height": round(max(ys) - top, 6),
                        "Left": round(left, 6), "Top": round(top, 6)},
        "Polygon": [{"X": round(x, 6), "Y": round(y, 6)} for x, y in zip(xs, ys, strict=True)],
    }


@dataclass(frozen=True)
class Line:
    """A recognised line in pixels: text, score 0..1, polygon, and its words (text, score, polygon)."""

    text: str
    score: float
    polygon: tuple[tuple[float, float], ...]
    words: tuple[tuple[str, float, tuple[tuple[float, float], ...]], ...]


class TextReader:
    """RapidOCR on one thread pool; :meth:`read` returns a frame's :class:`Line` s."""

    def __init__(self, threads: int | None = 1) -> None:
        from rapidocr import RapidOCR

        params: dict[str, Any] = {"Global.log_level": "error"}
        if threads:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
            params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
        self._engine = RapidOCR(params=params)

    def read(self, image: Any) -> list[Line]:
        result: Any = self._engine(image, return_word_box=True)
        if result.boxes is None or result.txts is None or result.scores is None:
            return []
        words = result.word_results if result.word_results is not None else ()
        lines: list[Line] = []
        for n, (box, text, score) in enumerate(zip(result.boxes, result.txts, result.scores, strict=True)):
            found = words[n] if n < len(words) else ()
            kept = tuple(
                (str(word), float(word_score), tuple((float(x), float(y)) for x, y in word_box))
                for word, word_score, word_box in found
                if word_box is not None and str(word).strip()
            )
            polygon = tuple((float(x), float(y)) for x, y in box)
            if not kept:  # no word boxes: the line is one word
                kept = ((str(text), float(score), polygon),)
            lines.append(Line(str(text), float(score), polygon, kept))
        return lines


def frame_items(
    lines: Sequence[Line], timestamp: int, width: int, height: int, keep: WordFilter
) -> list[dict[str, Any]]:
    """The ``TextDetections`` of one frame: each line with at least one kept word, then those words."""
    items: list[dict[str, Any]] = []
    next_id = 0
    for line in lines:  # RapidOCR's reading order: top to bottom, left to right along a row
        words = []
        for text, score, polygon in line.words:
            shape = geometry(polygon, width, height)
            confidence = round(score * 100.0, 3)
            if keep.keeps(confidence, shape):
                words.append({"DetectedText": text, "Type": "WORD", "Confidence": confidence, "Geometry": shape})
        if not words:
            continue
        line_id = next_id
        items.append({"Timestamp": timestamp, "TextDetection": {
            "DetectedText": line.text, "Type": "LINE", "Id": line_id, "Confidence": round(line.score * 100.0, 3),
            "Geometry": geometry(line.polygon, width, height)}})
        for offset, word in enumerate(words, start=1):
            items.append({"Timestamp": timestamp, "TextDetection": {
                "DetectedText": word["DetectedText"], "Type": "WORD", "Id": line_id + offset, "ParentId": line_id,
                "Confidence": word["Confidence"], "Geometry": word["Geometry"]}})
        next_id = line_id + 1 + len(words)
    return items


def every_interval(frames: Iterable[tuple[int, Any]], interval_ms: int) -> Iterator[tuple[int, Any]]:
    """The first frame at or after 0, ``interval_ms``, 2 x ``interval_ms`` ... (a frame a second at 1000)."""
    due = 0
    for timestamp, image in frames:
        if timestamp >= due:
            yield timestamp, image
            due = (timestamp // interval_ms + 1) * interval_ms


@dataclass
class TextAnalysis:
    """A finished text analysis: the page members besides the list, and the ``TextDetections``."""

    page_fields: dict[str, Any]
    detections: list[dict[str, Any]]
    frames: int
    seconds: float
    cpu_seconds: float


def detect_text(
    path: Path,
    filters: Mapping[str, Any] | None = None,
    *,
    threads: int | None = 1,
    interval_ms: int = TEXT_INTERVAL_MS,
    progress: Callable[[int, int], None] | None = None,
) -> TextAnalysis:
    """The text in the sampled frames of the video at ``path`` (raises ``VideoError`` if it cannot be read)."""
    from rekotrack.selfhosted.vision._video import iter_frames, probe

    started, cpu_started = time.perf_counter(), time.process_time()
    info = probe(path)
    keep = WordFilter.from_filters(filters)
    reader = TextReader(threads=threads)
    items: list[dict[str, Any]] = []
    frames = 0
    expected = 0
    for timestamp, image in every_interval(iter_frames(path), interval_ms):
        height, width = image.shape[:2]
        items.extend(frame_items(reader.read(image), timestamp, width, height, keep))
        frames += 1
        if frames == 1 and info.duration_ms:
            expected = max(1, -(-(info.duration_ms - timestamp) // interval_ms))
        if progress is not None:
            progress(frames, max(expected, frames))
    page_fields = {"VideoMetadata": info.video_metadata(), "TextModelVersion": text_model_version()}
    return TextAnalysis(page_fields=page_fields, detections=items, frames=frames,
                        seconds=time.perf_counter() - started, cpu_seconds=time.process_time() - cpu_started)
