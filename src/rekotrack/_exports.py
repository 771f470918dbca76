"""Streaming exports and reading back: JSON Lines (with the ``save()`` header), CSV and MOTChallenge.

The ``write_*`` functions stream any iterable of detections (a pager, for
instance) in constant memory; :func:`read_jsonl` reads lazily. A file that cannot
be read raises :class:`ResultFileError`.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO, TypeAlias

from ._errors import RekotrackError
from ._models import PersonDetection, VideoMetadata

__all__ = [
    "CSV_COLUMNS",
    "FORMAT_VERSION",
    "HEADER_KEY",
    "Destination",
    "ResultFileError",
    "cell_text",
    "flat_values",
    "json_line",
    "json_lines",
    "mot_frame",
    "read_header",
    "read_jsonl",
    "text_out",
    "video_metadata_of",
    "write_csv",
    "write_csv_rows",
    "write_jsonl",
    "write_jsonl_rows",
    "write_mot",
    "write_mot_rows",
]

Destination: TypeAlias = "str | os.PathLike[str] | TextIO"
"""Where an export goes: a file path (created or truncated, UTF-8) or an open text file."""

CSV_COLUMNS: tuple[str, ...] = (
    "timestamp_ms",
    "person_index",
    "box_left",
    "box_top",
    "box_width",
    "box_height",
    "has_face",
    "face_confidence",
    "face_left",
    "face_top",
    "face_width",
    "face_height",
    "face_roll",
    "face_yaw",
    "face_pitch",
    "face_brightness",
    "face_sharpness",
)
"""Header of :func:`write_csv` (names, units and meaning in docs/results.md)."""

HEADER_KEY = "RekotrackResult"
FORMAT_VERSION = 1


class ResultFileError(RekotrackError, ValueError):
    """A saved result or JSON Lines file cannot be read: not JSON, too deeply nested, a bad header or detection."""

def video_metadata_of(value: VideoMetadata | Mapping[str, Any] | None) -> VideoMetadata | None:
    if value is None or isinstance(value, VideoMetadata):
        return value
    return VideoMetadata.model_validate(value)



# ---- streaming exports -----------------------------------------------------------------


@contextmanager
def text_out(dest: Destination) -> Iterator[TextIO]:
    if isinstance(dest, (str, os.PathLike)):
        with open(dest, "w", encoding="utf-8", newline="") as out:
            yield out
    else:
        yield dest


_ENCODER = json.JSONEncoder(separators=(",", ":"))


def json_line(item: Mapping[str, Any]) -> str:
    """``item`` as one compact JSON line, newline included."""
    return _ENCODER.encode(item) + "\n"


def write_jsonl_rows(rows: Iterable[Mapping[str, Any]], dest: Destination) -> int:
    count = 0
    with text_out(dest) as out:
        write = out.write
        for item in rows:
            write(json_line(item))
            count += 1
    return count


def write_jsonl(detections: Iterable[PersonDetection], dest: Destination) -> int:
    """Stream detections as JSON Lines, one ``det.to_aws()`` object per line; returns the line count.

    Constant memory: ``write_jsonl(tracker.persons(job_id), "out.jsonl")``
    never holds more than the pager's page. :func:`read_jsonl` reads it back.
    """
    return write_jsonl_rows((det.to_aws() for det in detections), dest)


def _no_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a number JSON allows")


def json_lines(src: TextIO, name: object) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each JSON object line with its number; a header line anywhere but first is refused."""
    for number, line in enumerate(src, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line, parse_constant=_no_constant)
        except RecursionError as exc:
            raise ResultFileError(f"{name}: line {number} is nested too deeply") from exc
        except ValueError as exc:
            raise ResultFileError(f"{name}: line {number} is not JSON: {exc}") from exc
        if not isinstance(item, dict):
            raise ResultFileError(f"{name}: line {number} is not a JSON object")
        if HEADER_KEY in item and number != 1:
            raise ResultFileError(f"{name}: line {number} is a header; a header must be the first line")
        yield number, item


def read_header(item: Mapping[str, Any], name: object) -> int | None:
    """Check a ``save()`` header; its DetectionCount."""
    version = item[HEADER_KEY]
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise ResultFileError(f"{name}: unsupported result format version {version!r}")
    count = item.get("DetectionCount")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise ResultFileError(f"{name}: DetectionCount must be a whole number >= 0, not {count!r}")
    return count


def _detection(item: Mapping[str, Any], name: object, number: int) -> PersonDetection:
    try:
        return PersonDetection.model_validate(item)
    except (ValueError, TypeError, RecursionError) as exc:
        raise ResultFileError(f"{name}: line {number} is not a detection: {exc}") from exc


def read_jsonl(src: str | os.PathLike[str] | TextIO) -> Iterator[PersonDetection]:
    """Read detections from JSON Lines written by :func:`write_jsonl` or :meth:`TrackingResult.save`.

    Lazy: one line at a time. A ``save()`` header line is checked (format version and
    ``DetectionCount``) and not yielded; when a header gives a count, a file with more lines
    raises :class:`ResultFileError` as soon as the extra line is reached, one with fewer at
    the end of the stream.
    """
    if isinstance(src, (str, os.PathLike)):
        with open(src, encoding="utf-8") as handle:
            yield from read_jsonl(handle)
        return
    name = getattr(src, "name", "<stream>")
    expected: int | None = None
    seen = 0
    for number, item in json_lines(src, name):
        if number == 1 and HEADER_KEY in item:
            expected = read_header(item, name)
            continue
        seen += 1
        if expected is not None and seen > expected:
            raise ResultFileError(f"{name}: more detections than the header's DetectionCount {expected}")
        yield _detection(item, name, number)
    if expected is not None and seen != expected:
        raise ResultFileError(f"{name}: {seen} detections, but the header's DetectionCount says {expected}")


def _number(value: Any) -> float | int | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def _part(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def flat_values(item: Mapping[str, Any]) -> tuple[float | int | bool | None, ...]:
    """The :data:`CSV_COLUMNS` values of an AWS dict (None where absent, has_face a bool)."""
    person = item.get("Person")
    box = _part(person, "BoundingBox")
    face = _part(person, "Face")
    face_box = _part(face, "BoundingBox")
    pose = _part(face, "Pose")
    quality = _part(face, "Quality")
    return (
        _number(item.get("Timestamp")),
        _number(_part(person, "Index")),
        _number(_part(box, "Left")),
        _number(_part(box, "Top")),
        _number(_part(box, "Width")),
        _number(_part(box, "Height")),
        isinstance(face, dict),
        _number(_part(face, "Confidence")),
        _number(_part(face_box, "Left")),
        _number(_part(face_box, "Top")),
        _number(_part(face_box, "Width")),
        _number(_part(face_box, "Height")),
        _number(_part(pose, "Roll")),
        _number(_part(pose, "Yaw")),
        _number(_part(pose, "Pitch")),
        _number(_part(quality, "Brightness")),
        _number(_part(quality, "Sharpness")),
    )


def cell_text(value: float | int | str | bool | None) -> str:
    """A CSV cell: empty when absent, ``1``/``0`` for flags, numbers exactly (``repr``), text as it is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv_rows(rows: Iterable[Mapping[str, Any]], dest: Destination) -> int:
    count = 0
    with text_out(dest) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for item in rows:
            writer.writerow([cell_text(value) for value in flat_values(item)])
            count += 1
    return count


def write_csv(detections: Iterable[PersonDetection], dest: Destination) -> int:
    """Stream detections as CSV: a :data:`CSV_COLUMNS` header, then one row per detection; returns the row count.

    Boxes are ratios of the frame, times are ms, confidences 0-100, angles in
    degrees; an absent value is an empty cell. Floats are written exactly.
    """
    return write_csv_rows((det.to_aws() for det in detections), dest)


def mot_frame(timestamp_ms: int, frame_rate: float) -> int:
    """The 1-based MOTChallenge frame of a timestamp: ``floor(timestamp_ms * frame_rate / 1000 + 0.5) + 1``."""
    return math.floor(timestamp_ms * frame_rate / 1000 + 0.5) + 1


def _mot_geometry(video_metadata: VideoMetadata | Mapping[str, Any] | None) -> tuple[int, int, float]:
    meta = video_metadata_of(video_metadata)
    width = meta.frame_width if meta else None
    height = meta.frame_height if meta else None
    rate = meta.frame_rate if meta else None
    if not width or not height or not rate or width <= 0 or height <= 0 or rate <= 0:
        raise ValueError("MOTChallenge export needs VideoMetadata with FrameWidth, FrameHeight and FrameRate above 0")
    return width, height, rate


def _mot_line(item: Mapping[str, Any], width: int, height: int, rate: float) -> str | None:
    timestamp = item.get("Timestamp")
    person = item.get("Person")
    index = _part(person, "Index")
    box = _part(person, "BoundingBox")
    if type(timestamp) is not int or type(index) is not int or not isinstance(box, dict):
        return None
    left, top, box_width, box_height = (_number(box.get(key)) for key in ("Left", "Top", "Width", "Height"))
    if left is None or top is None or box_width is None or box_height is None:
        return None
    confidence = _number(_part(_part(person, "Face"), "Confidence"))
    conf = 1.0 if confidence is None else confidence / 100
    return (
        f"{mot_frame(timestamp, rate)},{index + 1},{left * width:.2f},{top * height:.2f},"
        f"{box_width * width:.2f},{box_height * height:.2f},{conf:.4g},-1,-1,-1\n"
    )


def write_mot_rows(
    rows: Iterable[Mapping[str, Any]], dest: Destination, video_metadata: VideoMetadata | Mapping[str, Any] | None
) -> int:
    width, height, rate = _mot_geometry(video_metadata)
    count = 0
    with text_out(dest) as out:
        for item in rows:
            line = _mot_line(item, width, height, rate)
            if line is not None:
                out.write(line)
                count += 1
    return count


def write_mot(
    detections: Iterable[PersonDetection],
    dest: Destination,
    video_metadata: VideoMetadata | Mapping[str, Any] | None,
) -> int:
    """Stream detections as MOTChallenge lines; returns the number of lines written.

    ``frame,id,bb_left,bb_top,bb_width,bb_height,conf,-1,-1,-1`` with the box in
    pixels of ``FrameWidth`` x ``FrameHeight``, ``frame`` from :func:`mot_frame`,
    ``id = Index + 1`` (MOTChallenge ids start at 1) and ``conf`` the face
    confidence / 100, or 1 without a face. Detections without a Timestamp, an
    Index or a complete person box are skipped. Lines keep the input order
    (use ``sort_by="TIMESTAMP"`` for frame order). Raises ``ValueError`` before
    writing anything when the metadata lacks the frame size or rate.
    """
    return write_mot_rows((det.to_aws() for det in detections), dest, video_metadata)

