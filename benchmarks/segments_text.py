"""Segments and text on clips made here, where every cut, black run and word is known.

    python -m benchmarks.segments_text [--clips 8] [--text-frames 40] [--out benchmarks/segments-text.json]

- **Cuts**: clips cut together from opencv-doc's sample videos (vtest.avi, tree.avi, Megamind.avi),
  each piece taken from inside one of their shots, consecutive pieces from different shots, with
  black runs between some; every cut is known to the frame. Reported: cuts found within one frame
  (recall), detected cuts that are real (precision), black runs found exactly, CPU per frame.
- **Text**: frames of vtest.avi with words drawn by ``cv2.putText`` (seeded: Hershey fonts, sizes,
  colours, places); a detected WORD is right when its text equals a drawn word's and its box
  overlaps that word's box (IoU >= 0.3). Reported: word precision and recall, CPU per sampled frame.

The same clip makers serve the tests (``tests/selfhosted/test_segments.py``, ``test_text.py``).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

DATA = Path("/usr/share/doc/opencv-doc/examples/data")
SHOTS: dict[str, list[tuple[int, int]]] = {
    # (first, last) frames of each source's shots: vtest and tree are one shot each; Megamind.avi's
    # cuts (frames 98, 154, 200) were checked by eye; its first two frames fade in, so they are left out
    "vtest.avi": [(0, 794)],
    "tree.avi": [(0, 67)],
    "Megamind.avi": [(2, 97), (98, 153), (154, 199), (200, 269)],
}


@dataclass
class CutClip:
    """A clip and its truth: the first frame of every shot after the first, and the black runs (first, last)."""

    frames: int
    cuts: list[int]
    black: list[tuple[int, int]]
    parts: list[str] = field(default_factory=list)


def _read(name: str, first: int, count: int, size: tuple[int, int]) -> list[Any]:
    import av
    import cv2

    out = []
    with av.open(str(DATA / name)) as container:
        for n, frame in enumerate(container.decode(container.streams.video[0])):
            if n >= first + count:
                break
            if n >= first:
                out.append(cv2.resize(frame.to_ndarray(format="bgr24"), size, interpolation=cv2.INTER_AREA))
    if len(out) != count:
        raise ValueError(f"{name} has fewer than {first + count} frames")
    return out


def write_video(dest: Path, images: list[Any], fps: int) -> None:
    """BGR frames as an MPEG-4 AVI at ``fps`` (timestamps start at 0)."""
    import av

    height, width = images[0].shape[:2]
    with av.open(str(dest), mode="w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 4_000_000
        for n, image in enumerate(images):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
            frame.pts, frame.time_base = n, Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def flat(level: int, count: int, size: tuple[int, int], box: bool = False) -> list[Any]:
    """``count`` frames of one grey level; with ``box``, a white box on 5 % of the pixels."""
    import numpy as np

    width, height = size
    image = np.full((height, width, 3), level, np.uint8)
    if box:
        image[: height // 5, : width // 4] = 255
    return [image.copy() for _ in range(count)]


def make_cut_clip(dest: Path, size: tuple[int, int] = (320, 240), fps: int = 25) -> CutClip:
    """The tests' clip: vtest | Megamind | black 10, grey 35 for 10, black with a 5 % box for 10 | tree |
    Megamind | vtest. Cuts at 50, 100, 130, 170, 220 of 260 frames. Black runs by filter:
    (100, 119) by default, (100, 109) at MaxPixelThreshold 0.1, (100, 129) at MinCoveragePercentage 90."""
    parts = [
        _read("vtest.avi", 0, 50, size), _read("Megamind.avi", 100, 50, size),
        flat(0, 10, size), flat(35, 10, size), flat(0, 10, size, box=True),
        _read("tree.avi", 0, 40, size), _read("Megamind.avi", 210, 50, size), _read("vtest.avi", 400, 40, size),
    ]
    write_video(dest, [image for part in parts for image in part], fps)
    return CutClip(frames=260, cuts=[50, 100, 130, 170, 220], black=[(100, 119)])


def make_random_cut_clip(dest: Path, seed: int, size: tuple[int, int] = (320, 240), fps: int = 25) -> CutClip:
    """Eight pieces of 20..60 frames from random shots (never the same shot twice in a row), a black run
    of 15..30 frames after some."""
    rng = random.Random(seed)
    shots = [(name, first, last) for name, spans in SHOTS.items() for first, last in spans]
    images: list[Any] = []
    cuts: list[int] = []
    black: list[tuple[int, int]] = []
    parts: list[str] = []
    previous = None
    for piece in range(8):
        choice = rng.choice([s for s in shots if s != previous and last_ok(s)])
        previous = choice
        name, first, last = choice
        length = rng.randint(20, min(60, last - first + 1))
        start = rng.randint(first, last - length + 1)
        if piece:
            cuts.append(len(images))
        images.extend(_read(name, start, length, size))
        parts.append(f"{name}[{start}:{start + length}]")
        if piece < 7 and rng.random() < 0.3:
            run = rng.randint(15, 30)
            cuts.append(len(images))
            black.append((len(images), len(images) + run - 1))
            images.extend(flat(rng.randint(0, 20), run, size))
            parts.append(f"black[{run}]")
            previous = None
    write_video(dest, images, fps)
    return CutClip(frames=len(images), cuts=cuts, black=black, parts=parts)


def last_ok(shot: tuple[str, int, int]) -> bool:
    return shot[2] - shot[1] + 1 >= 20


# ---- text ------------------------------------------------------------------------------------------------

WORDS = ("EXIT", "Platform", "Coffee", "OPEN", "Station", "North", "Gate", "Parking", "Hotel", "Bakery",
         "Museum", "Tickets", "Route", "Bridge", "Market", "Street", "Airport", "Garden", "Police", "Library")


@dataclass
class DrawnWord:
    text: str
    box: tuple[float, float, float, float]  # left, top, right, bottom as ratios of the frame


def draw_line(image: Any, words: list[str], origin: tuple[int, int], font: int, scale: float,
              colour: tuple[int, int, int],
              thickness: int) -> list[DrawnWord]:
    """Draw ``words`` on one line from ``origin`` (the baseline's left end); returns each word's box."""
    import cv2

    height, width = image.shape[:2]
    x, y = origin
    space = cv2.getTextSize(" ", font, scale, thickness)[0][0]
    drawn = []
    for word in words:
        (w, h), base = cv2.getTextSize(word, font, scale, thickness)
        cv2.putText(image, word, (x, y), font, scale, colour, thickness, cv2.LINE_AA)
        drawn.append(DrawnWord(word, (x / width, (y - h) / height, (x + w) / width, (y + base) / height)))
        x += w + space
    return drawn


def text_frame(background: Any, rng: random.Random) -> tuple[Any, list[DrawnWord]]:
    """A frame with 1..3 lines of 1..3 random words in a random Hershey font, size and colour."""
    import cv2

    image = background.copy()
    height, width = image.shape[:2]
    fonts = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_COMPLEX)
    drawn: list[DrawnWord] = []
    rows = rng.sample(range(1, 6), rng.randint(1, 3))
    for row in rows:
        font = rng.choice(fonts)
        scale = rng.uniform(0.8, 1.6) * width / 640
        thickness = max(1, round(2 * scale))
        words = rng.sample(WORDS, rng.randint(1, 3))
        total = cv2.getTextSize(" ".join(words), font, scale, thickness)[0][0]
        x = rng.randint(5, max(6, width - total - 5))
        y = round(row * height / 6 + rng.uniform(-5, 5))
        colour = rng.choice([(255, 255, 255), (0, 255, 255), (0, 0, 0), (255, 255, 0)])
        if colour == (0, 0, 0):  # dark text on a light band
            pad = round(8 * scale)
            top_left = (x - pad, y - round(30 * scale) - pad)
            cv2.rectangle(image, top_left, (x + total + pad, y + pad), (235, 235, 235), -1)
        drawn += draw_line(image, words, (x, y), font, scale, colour, thickness)
    return image, drawn


def make_text_clip(dest: Path, seconds: int, seed: int = 0, size: tuple[int, int] = (640, 480),
                   fps: int = 10) -> list[list[DrawnWord]]:
    """``seconds`` seconds of vtest.avi with different words drawn each second; returns each second's words."""
    rng = random.Random(seed)
    backgrounds = _read("vtest.avi", 0, seconds * fps, size)
    images: list[Any] = []
    truth: list[list[DrawnWord]] = []
    for second in range(seconds):
        state = rng.getstate()
        drawn: list[DrawnWord] = []
        for n in range(fps):  # the same words, on the moving scene
            rng.setstate(state)
            image, drawn = text_frame(backgrounds[second * fps + n], rng)
            images.append(image)
        truth.append(drawn)
    write_video(dest, images, fps)
    return truth


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def score_words(detections: list[dict[str, Any]], truth: list[list[DrawnWord]], step_ms: int = 1000,
                min_iou: float = 0.3) -> tuple[int, int, int]:
    """(right, detected, drawn) over the WORD detections; each drawn word matches at most one."""
    right = detected = 0
    by_second: dict[int, list[dict[str, Any]]] = {}
    for item in detections:
        if item["TextDetection"]["Type"] == "WORD":
            by_second.setdefault(item["Timestamp"] // step_ms, []).append(item["TextDetection"])
    for second, words in by_second.items():
        left = list(truth[second]) if second < len(truth) else []
        for word in words:
            detected += 1
            b = word["Geometry"]["BoundingBox"]
            box = (b["Left"], b["Top"], b["Left"] + b["Width"], b["Top"] + b["Height"])
            match = next((w for w in left if w.text == word["DetectedText"] and iou(w.box, box) >= min_iou), None)
            if match is not None:
                right += 1
                left.remove(match)
    return right, detected, sum(len(t) for t in truth)


# ---- the benchmark ---------------------------------------------------------------------------------------

def cut_scores(found: list[dict[str, Any]], clip: CutClip) -> dict[str, Any]:
    shots = [s for s in found if s["Type"] == "SHOT"]
    cuts = [s["StartFrameNumber"] for s in shots[1:]]
    hit = sum(1 for c in clip.cuts if any(abs(c - d) <= 1 for d in cuts))
    real = sum(1 for d in cuts if any(abs(c - d) <= 1 for c in clip.cuts))
    exact = sum(1 for c in clip.cuts if c in cuts)
    runs = [(s["StartFrameNumber"], s["EndFrameNumber"]) for s in found if s["Type"] == "TECHNICAL_CUE"]
    return {"cuts": len(clip.cuts), "found_within_1": hit, "found_exact": exact, "detected": len(cuts),
            "detected_real": real, "black_runs": len(clip.black),
            "black_exact": sum(1 for r in clip.black if r in runs),
            "black_detected": len(runs)}


def main(argv: list[str] | None = None) -> int:
    import tempfile

    from rekotrack.selfhosted.vision._segments import detect_segments
    from rekotrack.selfhosted.vision._text import detect_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clips", type=int, default=8, help="random cut clips (seeds 0..N-1)")
    parser.add_argument("--text-seconds", type=int, default=40, help="seconds (sampled frames) of the text clip")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("segments-text.json"))
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"cut_clips": [], "text": {}}
    with tempfile.TemporaryDirectory() as tmp:
        totals = {"cuts": 0, "found_within_1": 0, "found_exact": 0, "detected": 0, "detected_real": 0,
                  "black_runs": 0, "black_exact": 0, "black_detected": 0, "frames": 0, "cpu_seconds": 0.0}
        for seed in range(-1, args.clips):
            path = Path(tmp) / f"cuts{seed}.avi"
            clip = make_cut_clip(path) if seed < 0 else make_random_cut_clip(path, seed)
            found = detect_segments(path, ["SHOT", "TECHNICAL_CUE"], threads=1)
            row = cut_scores(found.segments, clip) | {"seed": seed, "frames": found.frames,
                                                      "cpu_seconds": round(found.cpu_seconds, 3),
                                                      "parts": clip.parts}
            results["cut_clips"].append(row)
            for key in totals:
                totals[key] += row[key]
            print(json.dumps(row))
        totals["cpu_ms_per_frame"] = round(1000 * totals["cpu_seconds"] / totals["frames"], 2)
        totals["recall_within_1"] = round(totals["found_within_1"] / totals["cuts"], 4)
        totals["precision_within_1"] = round(totals["detected_real"] / max(1, totals["detected"]), 4)
        results["cuts_total"] = totals
        print("cuts", json.dumps(totals))
        path = Path(tmp) / "text.avi"
        truth = make_text_clip(path, args.text_seconds, seed=1)
        started = time.perf_counter()
        text = detect_text(path, threads=1)
        right, detected, drawn = score_words(text.detections, truth)
        results["text"] = {"sampled_frames": text.frames, "size": "640x480", "words_drawn": drawn,
                           "words_detected": detected, "words_right": right,
                           "precision": round(right / max(1, detected), 4), "recall": round(right / max(1, drawn), 4),
                           "cpu_ms_per_sampled_frame": round(1000 * text.cpu_seconds / max(1, text.frames), 1),
                           "wall_seconds": round(time.perf_counter() - started, 2)}
        print("text", json.dumps(results["text"]))
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
