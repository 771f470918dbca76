"""A second check clip, made here: people composited on another scene along scripted paths, with exact annotations.

    python -m benchmarks.checkclip                 # build the clip (cached under /tmp) and score the analyzer
    python -m benchmarks.checkclip --json out.json

PETS09-S2L1 is the clip the settings were tuned on; this one shows whether they carry over to a
video that differs in everything the settings could have been fitted to: 1280x720 instead of
768x576, 20 fps instead of 10 (so the sampler keeps every other frame and every "seconds"
setting becomes a different number of frames), people 1.3-1.9x larger, another background
(OpenCV's ``building.jpg``), other paths and speeds, a person who stops for 4 s, two people who
cross, and one who walks behind a pillar and is hidden for about 2 s.

The walking people are real: each is a run of consecutive PETS09-S2L1 frames (1-400) of one
person standing clear of the others, cut out with a foreground mask against the median
background of those frames, scaled, mirrored to the walking direction, and pasted with
their walking cycle playing. The annotation of a person is the PETS ground-truth box of the
pasted crop, carried through the same scaling and placement; while more than half of it is
behind the pillar it is marked ignored (conf 0, as MOTChallenge does for boxes that are not
to be scored). Scored with the same motmetrics rules as ``benchmarks.accuracy``, on the
frames the analyzer samples.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.accuracy import GT_CANDIDATES, VTEST_CANDIDATES, GroundTruth, find, hypotheses, load_gt, score

WIDTH, HEIGHT, FPS, SECONDS = 1280, 720, 20, 30
PILLAR = (880, 150, 990, 505)  # x1, y1, x2, y2: in front of the walkers on the middle path
SOURCE_FRAMES = 400  # only the tuning frames of PETS09-S2L1 are used


@dataclass(frozen=True)
class Walker:
    """A scripted person: the PETS identity (and its isolated frames) and waypoints (second, x, feet y)."""

    identity: int
    frames: tuple[int, int]
    path: tuple[tuple[float, float, float], ...]


WALKERS = (
    Walker(9, (173, 290), ((0.0, 60.0, 660.0), (22.0, 1230.0, 640.0))),
    Walker(13, (171, 302), ((1.0, 1240.0, 690.0), (24.0, 40.0, 670.0))),  # crosses 9 near 11 s
    Walker(17, (173, 280), ((3.0, 1240.0, 455.0), (21.0, 240.0, 455.0))),  # behind the pillar for ~2 s
    Walker(14, (231, 297), ((6.0, 300.0, 330.0), (14.0, 640.0, 420.0), (18.0, 640.0, 420.0),
                            (28.0, 1100.0, 520.0))),  # stops for 4 s
    Walker(1, (224, 290), ((12.0, 40.0, 560.0), (29.5, 860.0, 330.0))),
)


Sprites = dict[int, list[tuple[Any, Any, np.ndarray[Any, Any]]]]
BACKGROUNDS = ("building.jpg", "home.jpg", "fruits.jpg")
"""Scenes of the variants (OpenCV's sample pictures): variant ``n`` uses ``BACKGROUNDS[n % 3]``."""


def walkers(variant: int) -> tuple[Walker, ...]:
    """Variant 0 is the scripted clip above; variant ``n`` > 0 moves every path by a seeded amount
    (feet up to 60 px up or down, start up to 2 s earlier or later, speed 0.8-1.25x), reverses some
    of them (which changes who crosses whom, and where), and sends two walkers past the pillar
    at about the same time (a crossing behind it)."""
    if variant == 0:
        return WALKERS
    rng = np.random.default_rng(variant)
    out = []
    for number, walker in enumerate(WALKERS):
        shift, delay, pace = rng.uniform(-60, 60), rng.uniform(-2, 2), rng.uniform(0.8, 1.25)
        path = [(t, x, y) for t, x, y in walker.path]
        if rng.random() < 0.5 and number != 2:  # reverse the way (the pillar walker keeps its own)
            path = [(t, x2, y2) for (t, _, _), (_, x2, y2) in zip(path, reversed(path), strict=True)]
        t0 = path[0][0]
        moved = tuple((max(0.0, t0 + delay) + (t - t0) * pace, x, float(np.clip(y + shift, 330, 700)))
                      for t, x, y in path)
        out.append(Walker(walker.identity, walker.frames, moved))
    # a second walker on the pillar's path, the other way, meeting the first behind it
    pillar = out[2]
    (ta, xa, ya), (tb, xb, yb) = pillar.path[0], pillar.path[-1]
    behind = ta + (tb - ta) * (xa - (PILLAR[0] + PILLAR[2]) / 2) / (xa - xb)  # when the first is behind it
    speed, centre = abs(xb - xa) / (tb - ta), (PILLAR[0] + PILLAR[2]) / 2
    reach = min(abs(xb - centre), speed * behind)  # from where it can reach the pillar in time
    x0 = centre + np.sign(xb - centre) * reach
    start = behind - reach / speed
    out[4] = Walker(out[4].identity, out[4].frames,
                    ((start, x0, yb + 8), (start + abs(xa - x0) / speed, xa, ya + 8)))
    return tuple(out)


def _scale(feet_y: float) -> float:
    """People nearer the bottom of the frame are larger: 1.3x PETS at the top, 1.9x at the bottom."""
    return 1.3 + 0.6 * (feet_y - 300.0) / 420.0


def _position(path: tuple[tuple[float, float, float], ...], t: float) -> tuple[float, float, float] | None:
    """(x, feet y, direction) at time ``t``; None outside the path."""
    if t < path[0][0] or t > path[-1][0]:
        return None
    for (t0, x0, y0), (t1, x1, y1) in itertools.pairwise(path):
        if t0 <= t <= t1:
            u = (t - t0) / (t1 - t0)
            return x0 + (x1 - x0) * u, y0 + (y1 - y0) * u, float(np.sign(x1 - x0))
    return None


def _sprites(video: Path, gt: GroundTruth, cast: tuple[Walker, ...] = WALKERS) -> tuple[Sprites, dict[int, float]]:
    """Per identity: (BGR crop, mask, gt box in crop coordinates) for each of its isolated frames,
    and the direction it walks in those frames (+1 right, -1 left)."""
    import cv2

    from rekotrack.selfhosted.vision._video import iter_frames

    wanted = {f for w in cast for f in range(w.frames[0], w.frames[1] + 1)}
    frames: dict[int, Any] = {}
    samples = []
    for index, (_, image) in enumerate(iter_frames(video)):
        frame = index + 1
        if frame > SOURCE_FRAMES:
            break
        if frame in wanted:
            frames[frame] = image
        if frame % 8 == 0:
            samples.append(image)
    background = np.median(np.stack(samples), axis=0).astype(np.uint8)
    out: dict[int, list[tuple[Any, Any, np.ndarray[Any, Any]]]] = {}
    directions: dict[int, float] = {}
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    for walker in cast:
        crops = []
        for frame in range(walker.frames[0], walker.frames[1] + 1):
            box = next(b for i, b, _ in gt[frame] if i == walker.identity)
            pad = 6
            x1, y1 = max(0, int(box[0]) - pad), max(0, int(box[1]) - pad)
            x2, y2 = min(768, int(np.ceil(box[2])) + pad), min(576, int(np.ceil(box[3])) + pad)
            crop = frames[frame][y1:y2, x1:x2]
            diff = cv2.absdiff(crop, background[y1:y2, x1:x2]).max(axis=2)
            mask = (diff > 28).astype(np.uint8)
            mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
            mask = cv2.GaussianBlur(mask.astype(np.float32), (3, 3), 0)
            crops.append((crop, mask, np.array([box[0] - x1, box[1] - y1, box[2] - x1, box[3] - y1])))
        out[walker.identity] = crops
        first = next(b for i, b, _ in gt[walker.frames[0]] if i == walker.identity)
        last = next(b for i, b, _ in gt[walker.frames[1]] if i == walker.identity)
        directions[walker.identity] = 1.0 if last[0] + last[2] >= first[0] + first[2] else -1.0
    return out, directions


def build(dest: Path, video: Path, gt_path: Path, variant: int = 0) -> tuple[Path, Path]:
    """Write ``dest/checkclip.mp4`` and ``dest/gt.txt`` (MOTChallenge CSV); returns both paths."""
    cast = walkers(variant)
    import av
    import cv2

    dest.mkdir(parents=True, exist_ok=True)
    clip, gt_file = dest / "checkclip.mp4", dest / "gt.txt"
    picture = Path("/usr/share/doc/opencv-doc/examples/data") / BACKGROUNDS[variant % len(BACKGROUNDS)]
    scene = cv2.imread(str(picture))
    if scene is None:
        raise FileNotFoundError(picture)
    scene = cv2.resize(scene, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
    scene = cv2.addWeighted(scene, 0.8, np.full_like(scene, 40), 0.2, 0)
    sprites, directions = _sprites(video, load_gt(gt_path, SOURCE_FRAMES), cast)
    lines: list[str] = []
    with av.open(str(clip), mode="w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "18", "preset": "veryfast"}
        for n in range(FPS * SECONDS):
            t = n / FPS
            image = scene.copy()
            placed = []
            for number, walker in enumerate(cast, start=1):
                where = _position(walker.path, t)
                if where is None:
                    continue
                x, feet, direction = where
                crops = sprites[walker.identity]
                cycle = n // 2 % (2 * len(crops) - 2)  # play the walking cycle forward, then backward
                crop, mask, box = crops[cycle if cycle < len(crops) else 2 * len(crops) - 2 - cycle]
                if direction != 0 and direction != directions[walker.identity]:  # mirror to the path's way
                    crop, mask = crop[:, ::-1], mask[:, ::-1]
                    box = np.array([crop.shape[1] - box[2], box[1], crop.shape[1] - box[0], box[3]])
                s = _scale(feet)
                crop = cv2.resize(crop, None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR)
                mask = cv2.resize(mask, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_LINEAR)
                box = box * s
                left = round(x - (box[0] + box[2]) / 2)
                top = round(feet - box[3])
                placed.append((feet, number, crop, mask, left, top, box))
            for _, _, crop, mask, left, top, _ in sorted(placed, key=lambda p: p[0]):  # the far ones first
                _paste(image, crop, mask, left, top)
            cv2.rectangle(image, PILLAR[:2], PILLAR[2:], (120, 120, 130), -1)
            cv2.rectangle(image, PILLAR[:2], PILLAR[2:], (60, 60, 70), 3)
            for _, number, _, _, left, top, box in placed:
                x1, y1, x2, y2 = box[0] + left, box[1] + top, box[2] + left, box[3] + top
                cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x2, WIDTH), min(y2, HEIGHT)
                if cx2 - cx1 < 4 or cy2 - cy1 < 4:
                    continue
                hidden = _covered((x1, y1, x2, y2), PILLAR)
                inside = (cx2 - cx1) * (cy2 - cy1) / ((x2 - x1) * (y2 - y1))
                counted = hidden < 0.5 and inside > 0.5
                lines.append(f"{n + 1},{number},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},"
                             f"{1 if counted else 0},-1,-1,-1")
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    gt_file.write_text("\n".join(lines) + "\n")
    return clip, gt_file


def _paste(image: Any, crop: Any, mask: Any, left: int, top: int) -> None:
    h, w = crop.shape[:2]
    x1, y1, x2, y2 = max(left, 0), max(top, 0), min(left + w, WIDTH), min(top + h, HEIGHT)
    if x2 <= x1 or y2 <= y1:
        return
    part = crop[y1 - top : y2 - top, x1 - left : x2 - left].astype(np.float32)
    alpha = mask[y1 - top : y2 - top, x1 - left : x2 - left, None]
    region = image[y1:y2, x1:x2].astype(np.float32)
    image[y1:y2, x1:x2] = (alpha * part + (1 - alpha) * region).astype(np.uint8)


def _covered(box: tuple[float, float, float, float], cover: tuple[int, int, int, int]) -> float:
    w = max(0.0, min(box[2], cover[2]) - max(box[0], cover[0]))
    h = max(0.0, min(box[3], cover[3]) - max(box[1], cover[1]))
    return w * h / max((box[2] - box[0]) * (box[3] - box[1]), 1e-9)


def evaluate(clip: Path, gt_file: Path, settings: Any = None, cache: Path | None = None) -> dict[str, Any]:
    """Analyse the clip as one job and score it on the frames the analyzer sampled (``cache``: record the
    first pass there, or replay it, as ``benchmarks.accuracy --cache`` does)."""
    from benchmarks.accuracy import first_pass_key, load_cache, save_cache
    from rekotrack.selfhosted.vision._analyzer import analyze, detect_frames
    from rekotrack.selfhosted.vision._settings import AnalyzerSettings
    from rekotrack.selfhosted.vision._video import probe

    settings = settings or AnalyzerSettings()
    key = first_pass_key(clip, settings, None)
    replayed = load_cache(cache, key) if cache is not None and cache.is_file() and not settings.faces else None
    if replayed is None and cache is not None and not settings.faces:
        replayed = list(detect_frames(clip, settings, probe(clip)))
        save_cache(cache, replayed, key)
    analysis = analyze(clip, settings, detections=replayed)
    fps = analysis.info.frame_rate
    hyp = hypotheses(analysis.persons, analysis.info.width, analysis.info.height, fps)
    sampled = sorted(hyp)
    gt = load_gt(gt_file)
    # the sampled frames only: GT of frames the analyzer skipped would count as misses
    kept: GroundTruth = defaultdict(list)
    sampled_frames = _sampled_frames(FPS * SECONDS, fps, settings.sample_interval_ms)
    for frame in sampled_frames:
        kept[frame] = gt.get(frame, [])
    result: dict[str, Any] = _score_on(kept, hyp, sampled_frames)
    result.update(frames=analysis.frames, seconds=round(analysis.seconds, 2), fps=round(analysis.fps, 2),
                  tracks=len({d["Person"]["Index"] for d in analysis.persons}), first_frame_with_people=sampled[:1],
                  stages={k: round(v, 2) for k, v in analysis.stages.items()})
    return result


def _sampled_frames(count: int, fps: float, interval_ms: int) -> list[int]:
    from rekotrack.selfhosted.vision._video import sample_frames

    timestamps = ((round(k * 1000 / fps), None) for k in range(count))
    return [round(t * fps / 1000) + 1 for t, _ in sample_frames(timestamps, interval_ms)]  # type: ignore[arg-type]


def _score_on(gt: GroundTruth, hyp: Any, frames: list[int]) -> dict[str, float]:
    # score() walks frames first..last: renumber the sampled frames 1..N
    renumbered_gt: GroundTruth = {k + 1: gt.get(f, []) for k, f in enumerate(frames)}
    renumbered_hyp = {k + 1: hyp.get(f, []) for k, f in enumerate(frames)}
    return score(renumbered_gt, renumbered_hyp, len(frames))


def run_all(settings: Any = None, out: Path = Path("/tmp/rekotrack-checkclip"), variants: int = 3) -> dict[str, Any]:
    """Build each variant if it is not there yet (``out``/0, 1, ...) and score ``settings`` on it; the
    first pass of each is cached beside it (for ``benchmarks.accuracy``)."""
    video = find(VTEST_CANDIDATES, "REKOTRACK_VTEST")
    gt_path = find(GT_CANDIDATES, "REKOTRACK_PETS_GT")
    if video is None or gt_path is None:
        raise FileNotFoundError("vtest.avi (apt-get install opencv-doc) or the PETS ground truth is missing")
    results: dict[str, Any] = {}
    for variant in range(variants):
        folder = out / str(variant)
        clip, gt_file = folder / "checkclip.mp4", folder / "gt.txt"
        if not (clip.is_file() and gt_file.is_file()):
            clip, gt_file = build(folder, video, gt_path, variant)
        result = evaluate(clip, gt_file, settings, cache=folder / "first-pass.npz")
        result["people"] = int(result["num_unique_objects"])
        results[f"variant {variant} ({BACKGROUNDS[variant % len(BACKGROUNDS)]})"] = result
    return results


def print_all(results: dict[str, Any]) -> None:
    print(f"{'check clip':26} {'MOTA':>6} {'IDF1':>6} {'IDsw':>4} {'prec':>6} {'recall':>6} {'indexes':>7} "
          f"{'people':>6}")
    for name, r in results.items():
        print(f"{name:26} {r['mota']:6.3f} {r['idf1']:6.3f} {int(r['num_switches']):4d} "
              f"{r['precision']:6.3f} {r['recall']:6.3f} {r['tracks']:7d} {int(r['num_unique_objects']):6d}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("/tmp/rekotrack-checkclip"),
                        help="where the clip and its gt.txt are written (reused when present)")
    parser.add_argument("--rebuild", action="store_true", help="build the clip again even if present")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    video = find(VTEST_CANDIDATES, "REKOTRACK_VTEST")
    gt_path = find(GT_CANDIDATES, "REKOTRACK_PETS_GT")
    if video is None or gt_path is None:
        sys.stderr.write("checkclip: vtest.avi (apt-get install opencv-doc) or the PETS ground truth is missing\n")
        return 2
    clip, gt_file = args.out / "checkclip.mp4", args.out / "gt.txt"
    if args.rebuild or not (clip.is_file() and gt_file.is_file()):
        clip, gt_file = build(args.out, video, gt_path)
    from dataclasses import replace

    from rekotrack.selfhosted.vision._settings import AnalyzerSettings

    default = AnalyzerSettings()
    plain = replace(default, link_seconds=0.0, smooth_seconds=0.0,
                    tracker=replace(default.tracker, appearance_weight=0.0, appearance_gate=0.0,
                                    min_track_seconds=0.0))
    results = {"default": evaluate(clip, gt_file, default), "plain-bytetrack": evaluate(clip, gt_file, plain)}
    print(f"{'settings':16} {'MOTA':>6} {'IDF1':>6} {'IDsw':>4} {'prec':>6} {'recall':>6} {'MOTP':>6} "
          f"{'tracks':>6} {'fps':>6}")
    for name, r in results.items():
        print(f"{name:16} {r['mota']:6.3f} {r['idf1']:6.3f} {int(r['num_switches']):4d} {r['precision']:6.3f} "
              f"{r['recall']:6.3f} {r['motp']:6.3f} {r['tracks']:6d} {r['fps']:6.1f}")
    print(f"ground truth: {int(results['default']['num_unique_objects'])} people, "
          f"{int(results['default']['num_objects'])} counted boxes on the sampled frames")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
