"""Draw tracks on a video's frames: ``rekotrack render VIDEO RESULT -o OUT``.

RESULT is what rekotrack writes: JSON Lines of detections (``rekotrack get``,
``TrackingResult.save`` / ``to_jsonl``; a header line without ``Timestamp`` is skipped) or a
JSON document (a GetPersonTracking page with ``Persons``, or a list of detections). On a
terminal a tqdm bar on stderr shows the frames drawn.
"""

from __future__ import annotations

import bisect
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

__all__ = ["color_for", "load_detections", "render"]

HOLD_MS = 250
"""A frame shows the last sampled detections up to this long before it."""


def load_detections(path: Path) -> list[dict[str, Any]]:
    """The AWS-shaped detections in ``path`` (JSON Lines or a JSON document)."""
    text = Path(path).read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("[") or (stripped.startswith("{") and "\n{" not in stripped.rstrip()):
        document = json.loads(text)
        items = document.get("Persons", []) if isinstance(document, dict) else document
    else:
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [d for d in items if isinstance(d, dict) and "Timestamp" in d and isinstance(d.get("Person"), dict)]


def color_for(index: int) -> tuple[int, int, int]:
    """A stable, well-separated BGR colour for a person index."""
    hue = (index * 0.618033988749895) % 1.0
    h6 = hue * 6.0
    sector, fraction = int(h6), h6 - int(h6)
    v, p, q, t = 255, 40, int(255 * (1 - 0.85 * fraction)), int(255 * (1 - 0.85 * (1 - fraction)))
    rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][sector % 6]
    return (rgb[2], rgb[1], rgb[0])


def _rect(box: dict[str, Any], width: int, height: int) -> tuple[int, int, int, int] | None:
    try:
        left, top = float(box["Left"]) * width, float(box["Top"]) * height
        right, bottom = left + float(box["Width"]) * width, top + float(box["Height"]) * height
    except (KeyError, TypeError, ValueError):
        return None
    return round(left), round(top), round(right), round(bottom)


def _frames_with_detections(
    video: Path, detections: list[dict[str, Any]]
) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    from rekotrack.selfhosted.vision._video import iter_frames

    by_time: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for det in detections:
        by_time[int(det["Timestamp"])].append(det["Person"])
    times = sorted(by_time)
    for timestamp, image in iter_frames(video):
        k = bisect.bisect_right(times, timestamp) - 1
        shown = by_time[times[k]] if k >= 0 and timestamp - times[k] <= HOLD_MS else []
        yield image, shown


def draw(image: Any, persons: list[dict[str, Any]]) -> None:
    """Draw each person's box and index (and face box) on ``image`` in place."""
    import cv2

    height, width = image.shape[:2]
    for person in persons:
        index = int(person.get("Index", -1))
        color = color_for(index)
        rect = _rect(person.get("BoundingBox") or {}, width, height)
        if rect is not None:
            cv2.rectangle(image, rect[:2], rect[2:], color, 2)
            label = f"#{index}"
            (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
            y = max(rect[1], th + 4)
            cv2.rectangle(image, (rect[0], y - th - 4), (rect[0] + tw + 4, y), color, -1)
            cv2.putText(image, label, (rect[0] + 2, y - 3), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        face = person.get("Face") or {}
        face_rect = _rect(face.get("BoundingBox") or {}, width, height)
        if face_rect is not None:
            cv2.rectangle(image, face_rect[:2], face_rect[2:], (255, 255, 255), 1)


def _progress(
    frames: Iterator[tuple[Any, list[dict[str, Any]]]], expected: int, show: bool | None, stream: TextIO | None
) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """``frames`` with a tqdm bar on ``stream`` (stderr) when ``show``, or (None) when it is a terminal."""
    stream = stream if stream is not None else sys.stderr
    if show is False or (show is None and not stream.isatty()):
        yield from frames
        return
    from tqdm import tqdm

    with tqdm(frames, total=expected or None, desc="rendering", unit="frame", file=stream,
              dynamic_ncols=True, mininterval=0.2) as bar:
        yield from bar


def render(
    video: Path, result: Path, out: Path, *, frames: bool = False, progress: bool | None = None,
    stream: TextIO | None = None,
) -> int:
    """Write ``out`` (an MP4, or a folder of PNG frames with ``frames``); returns the frame count.

    ``progress``: a tqdm progress bar on ``stream`` (default stderr); None shows it only when that
    is a terminal.
    """
    from fractions import Fraction

    import cv2

    from rekotrack.selfhosted.vision._video import probe

    detections = load_detections(result)
    info = probe(video)
    expected = round(info.duration_ms * info.frame_rate / 1000) if info.frame_rate > 0 else 0
    shown = _progress(_frames_with_detections(video, detections), expected, progress, stream)
    count = 0
    if frames:
        out.mkdir(parents=True, exist_ok=True)
        for image, persons in shown:
            draw(image, persons)
            cv2.imwrite(str(out / f"frame-{count:06d}.png"), image)
            count += 1
        return count

    import av

    rate = Fraction(info.frame_rate).limit_denominator(1001) if info.frame_rate > 0 else Fraction(25)
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out), mode="w") as container:
        stream_out = container.add_stream("libx264", rate=rate)
        stream_out.width = info.width - info.width % 2
        stream_out.height = info.height - info.height % 2
        stream_out.pix_fmt = "yuv420p"
        for image, persons in shown:
            draw(image, persons)
            frame = av.VideoFrame.from_ndarray(image[: stream_out.height, : stream_out.width], format="bgr24")
            for packet in stream_out.encode(frame):
                container.mux(packet)
            count += 1
        for packet in stream_out.encode():
            container.mux(packet)
    return count
