"""Accuracy and speed of the self-hosted analyzer on PETS09-S2L1 (OpenCV's vtest.avi), scored with motmetrics.

    python -m benchmarks.accuracy                        # the whole clip, default settings
    python -m benchmarks.accuracy --json out.json        # also write the numbers
    python -m benchmarks.accuracy --gt gt.txt            # score 401-795 too, with the full MOT15 file
    python -m benchmarks.accuracy --cache /tmp/det.npz   # record the first pass / replay it (tuning)

vtest.avi (Debian ``opencv-doc``) is the PETS 2009 S2.L1 View 001 sequence: ground-truth frame
N is video frame N-1. The ground truth kept in this project (MOTChallenge MOT15 ``PETS09-S2L1``,
frames 1-400 only: 401-795 are held out for judging) is in ``../shared/data/pets09-s2l1/`` (see
its SOURCE.md). The whole clip is analysed as one job (the offline linking sees all of it) and
scored on frames 1-400, 401-795 and 1-795 wherever the ground truth given covers them.
Scoring follows the MOTChallenge rules: IoU >= 0.5, and boxes with conf=0 are ignored (a
hypothesis matched to one is neither a hit nor a false positive). Needs ``rekotrack[server]``
and ``motmetrics``.

Speed: wall-clock seconds per stage (decode, detect with the colour signatures, faces, track =
online association; the offline linking and smoothing over the whole clip is reported apart), the
process's CPU seconds (all threads) and the machine's load average when the run started.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
VTEST_CANDIDATES = (
    Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi"),
    Path("/usr/share/opencv4/samples/data/vtest.avi"),
)
GT_CANDIDATES = (
    HERE.parent / "shared" / "data" / "pets09-s2l1" / "gt-frames-1-400.txt",
    HERE.parent.parent / "shared" / "data" / "pets09-s2l1" / "gt-frames-1-400.txt",
)
TUNING = (1, 400)
FOLDS = ((1, 200), (201, 400))
"""The two halves of the tuning frames: a setting is tuned on one and reported on the other."""
HELD_OUT = (401, 795)
METRICS = ["mota", "motp", "idf1", "num_switches", "precision", "recall", "num_false_positives",
           "num_misses", "mostly_tracked", "num_unique_objects", "num_objects"]

GroundTruth = dict[int, list[tuple[int, np.ndarray[Any, Any], bool]]]
Hypotheses = dict[int, list[tuple[int, np.ndarray[Any, Any]]]]


def find(candidates: tuple[Path, ...], env: str) -> Path | None:
    if os.environ.get(env):
        return Path(os.environ[env])
    return next((p for p in candidates if p.is_file()), None)


def _motmetrics() -> Any:
    if not hasattr(np, "asfarray"):  # motmetrics 1.4 calls np.asfarray, removed in numpy 2
        np.asfarray = lambda a, dtype=np.float64: np.asarray(a, dtype=dtype)  # type: ignore[attr-defined]
    import motmetrics

    return motmetrics


def load_gt(path: Path, frames: int | None = None) -> GroundTruth:
    """``{frame: [(id, x1y1x2y2, counted)]}`` (MOTChallenge CSV); ``counted`` is False for conf=0 boxes."""
    out: GroundTruth = defaultdict(list)
    for line in path.read_text().splitlines():
        f, i, x, y, w, h, conf = (float(v) for v in line.split(",")[:7])
        if frames is None or 1 <= f <= frames:
            out[int(f)].append((int(i), np.array([x, y, x + w, y + h]), conf != 0))
    return out


def score(gt: GroundTruth, hyp: Hypotheses, frames: int, first: int = 1) -> dict[str, float]:
    """motmetrics' CLEAR-MOT and identity scores over frames ``first``..``frames`` (1-based)."""
    from scipy.optimize import linear_sum_assignment

    from rekotrack.selfhosted.vision._geometry import iou_matrix

    mm = _motmetrics()
    acc = mm.MOTAccumulator(auto_id=True)
    for frame in range(first, frames + 1):
        gts = gt.get(frame, [])
        hyps = hyp.get(frame, [])
        gt_boxes = np.array([b for _, b, _ in gts]).reshape(-1, 4)
        hyp_boxes = np.array([b for _, b in hyps]).reshape(-1, 4)
        # MOTChallenge: hypotheses matched to an ignored box are dropped, then the ignored boxes.
        drop: set[int] = set()
        if len(gts) and len(hyps):
            iou = iou_matrix(gt_boxes, hyp_boxes)
            rows, cols = linear_sum_assignment(-iou)
            drop = {int(c) for r, c in zip(rows, cols, strict=True) if iou[r, c] >= 0.5 and not gts[r][2]}
        kept_gt = [k for k, g in enumerate(gts) if g[2]]
        kept_hyp = [k for k in range(len(hyps)) if k not in drop]
        g = gt_boxes[kept_gt]
        h = hyp_boxes[kept_hyp]
        dist = 1.0 - iou_matrix(g, h)
        dist[dist > 0.5] = np.nan
        acc.update([gts[k][0] for k in kept_gt], [hyps[k][0] for k in kept_hyp], dist)
    metrics = mm.metrics.create()
    summary = metrics.compute(acc, metrics=METRICS, name="clip")
    row = summary.loc["clip"]
    out = {name: float(row[name]) for name in METRICS}
    out["motp"] = 1.0 - out["motp"]  # motmetrics reports the mean distance (1 - IoU); the tables show IoU
    return out


def people(gt: GroundTruth, first: int, last: int) -> int:
    """The number of people with at least one counted box in frames ``first``..``last``."""
    return len({i for f in range(first, last + 1) for i, _, counted in gt.get(f, []) if counted})


def indexes(hyp: Hypotheses, first: int, last: int) -> int:
    """The number of person indexes the analyzer gave in frames ``first``..``last``."""
    return len({i for f in range(first, last + 1) for i, _ in hyp.get(f, [])})


def hypotheses(persons: list[dict[str, Any]], width: int, height: int, fps: float) -> Hypotheses:
    """GetPersonTracking detections as ``{frame (1-based): [(index, x1y1x2y2)]}``."""
    hyp: Hypotheses = defaultdict(list)
    for det in persons:
        frame = round(det["Timestamp"] * fps / 1000) + 1
        box = det["Person"]["BoundingBox"]
        x1, y1 = box["Left"] * width, box["Top"] * height
        hyp[frame].append((det["Person"]["Index"], np.array([x1, y1, x1 + box["Width"] * width,
                                                             y1 + box["Height"] * height])))
    return hyp


def detector_model(detector: str, precision: str = "fp32") -> str:
    """What identifies the detector's model in a first-pass cache key: the sha256 of the ONNX file (checked when the
    detector loads it), so a replaced or re-converted model never replays detections of the old one."""
    from rekotrack.selfhosted.vision._detector import SSDLITE_MODELS

    return SSDLITE_MODELS[precision].sha256 if detector == "ssdlite" else detector  # type: ignore[index]


def first_pass_key(video: Path, settings: Any, limit_ms: int | None) -> dict[str, Any]:
    """What a recorded first pass depends on: the video, the detector, its model and the sampling."""
    return {"video": str(video), "size": video.stat().st_size, "detector": settings.detector, "tiles": settings.tiles,
            "sample_interval_ms": settings.sample_interval_ms, "limit_ms": limit_ms,
            "model": detector_model(settings.detector, settings.precision)}


def save_cache(path: Path, frames: list[Any], key: dict[str, Any]) -> None:
    counts = np.array([len(f.boxes) for f in frames])
    np.savez_compressed(
        path, counts=counts, timestamps=np.array([f.timestamp for f in frames]),
        boxes=np.concatenate([f.boxes for f in frames]).reshape(-1, 4),
        scores=np.concatenate([f.scores for f in frames]),
        features=np.concatenate([f.features for f in frames]).reshape(int(counts.sum()), -1),
        key=json.dumps(key, sort_keys=True),
    )


def load_cache(path: Path, key: dict[str, Any]) -> list[Any] | None:
    from rekotrack.selfhosted.vision._analyzer import FrameDetections

    data = np.load(path)
    if str(data["key"]) != json.dumps(key, sort_keys=True):
        return None
    offsets = np.r_[0, np.cumsum(data["counts"])]
    boxes, scores, features = data["boxes"], data["scores"], data["features"]  # each read (inflated) once
    return [
        FrameDetections(int(t), boxes[a:b], scores[a:b], features[a:b])
        for t, a, b in zip(data["timestamps"], offsets[:-1], offsets[1:], strict=True)
    ]


def run(
    video: Path,
    gt: GroundTruth,
    settings: Any = None,
    *,
    frames: int | None = None,
    cache: Path | None = None,
    ranges: list[tuple[int, int]] | None = None,
    tiling: str = "square",
) -> dict[str, Any]:
    """Analyse ``video`` as one job and score it on each range of ``ranges`` (1-based, inclusive);
    ``tiling``: the detector's (``square``) or a candidate's (``benchmarks.cpu.squashed_tiles``)."""
    from benchmarks.cpu import use_tiling

    with use_tiling(tiling):
        return _run(video, gt, settings, frames=frames, cache=cache, ranges=ranges, tiling=tiling)


def _run(
    video: Path,
    gt: GroundTruth,
    settings: Any,
    *,
    frames: int | None,
    cache: Path | None,
    ranges: list[tuple[int, int]] | None,
    tiling: str,
) -> dict[str, Any]:
    from rekotrack.selfhosted.vision._analyzer import FrameDetections, analyze, detect_frames
    from rekotrack.selfhosted.vision._settings import AnalyzerSettings
    from rekotrack.selfhosted.vision._video import probe

    settings = settings or AnalyzerSettings()
    info = probe(video)
    fps = info.frame_rate or 10.0
    limit_ms = None if frames is None else int((frames - 0.5) * 1000 / fps)
    key = first_pass_key(video, settings, limit_ms)
    if tiling != "square":  # a first pass recorded with another tiling is not replayed
        key["tiling"] = tiling
    replayed = None
    if cache is not None and cache.is_file() and not settings.faces:
        replayed = load_cache(cache, key)
    stages: dict[str, float] = {}
    snapshots: dict[int, dict[str, float]] = {}
    recorded: list[FrameDetections] = []
    marks = {r[1] for r in ranges or []}

    def first_pass() -> Iterator[FrameDetections]:
        source = replayed if replayed is not None else detect_frames(
            video, settings, info, stages=stages, limit_ms=limit_ms
        )
        for n, frame in enumerate(source, start=1):
            recorded.append(frame)
            yield frame
            if n in marks:  # after the tracker took frame n: the time spent on frames 1..n
                snapshots[n] = {**stages, "cpu": time.process_time()}

    load = os.getloadavg()
    cpu_start = time.process_time()
    analysis = analyze(video, settings, detections=first_pass(), stages=stages)
    if cache is not None and replayed is None and not settings.faces:
        save_cache(cache, recorded, key)
    hyp = hypotheses(analysis.persons, info.width, info.height, fps)
    total = analysis.frames
    offline = analysis.stages["track"] - snapshots.get(total, analysis.stages)["track"]
    result: dict[str, Any] = {
        "detector": analysis.detector,
        "tiling": tiling,
        "frames": total,
        "video_fps": fps,
        "replayed_first_pass": replayed is not None,
        "seconds": round(analysis.seconds, 2),
        "cpu_seconds": round(analysis.cpu_seconds, 2),
        "fps": round(analysis.fps, 2),
        "realtime_factor": round(analysis.fps / fps, 2),
        "offline_linking_seconds": round(offline, 3),
        "stages": {k: round(v, 2) for k, v in analysis.stages.items()},
        "tracks": len({d["Person"]["Index"] for d in analysis.persons}),
        "load_average_at_start": [round(x, 2) for x in load],
        "settings": settings.to_json(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "ranges": {},
    }
    covered = max(gt) if gt else 0
    for first, last in ranges or []:
        last = min(last, total)
        entry: dict[str, Any] = {"indexes": indexes(hyp, first, last)}
        if last <= covered:
            entry.update(score(gt, hyp, last, first), people=people(gt, first, last))
        else:
            entry["not_scored"] = f"the ground truth given has frames 1-{covered} only"
        before = snapshots.get(first - 1, dict.fromkeys([*stages, "cpu"], 0.0) | {"cpu": cpu_start})
        after = snapshots.get(last)
        if after is not None and replayed is None:
            spent = {k: after[k] - before.get(k, 0.0) for k in stages}
            wall = sum(spent.values())
            entry.update(frames=last - first + 1, stage_seconds={k: round(v, 2) for k, v in spent.items()},
                         seconds=round(wall, 2), fps=round((last - first + 1) / wall, 2) if wall else 0.0,
                         cpu_seconds=round(after["cpu"] - before["cpu"], 2))
        result["ranges"][f"{first}-{last}"] = entry
    return result


def print_result(result: dict[str, Any]) -> None:
    print(f"detector {result['detector']}"
          + (f" (candidate tiling: {result['tiling']})" if result.get("tiling", "square") != "square" else "")
          + f"; {result['frames']} frames; load average at start "
          f"{'/'.join(str(x) for x in result['load_average_at_start'])} on {result['machine']['cpus']} cores"
          + ("; first pass REPLAYED from the cache (its times are not measured here)"
             if result["replayed_first_pass"] else ""))
    header = f"{'frames':>9} {'MOTA':>6} {'IDF1':>6} {'IDsw':>4} {'prec':>6} {'recall':>6} {'MOTP':>6} " \
             f"{'index':>5} {'people':>6} {'fps':>6} {'cpu s':>6} {'decode':>6} {'detect':>6} {'track':>6} " \
             f"{'faces':>6}"
    print(header)
    for name, entry in result["ranges"].items():
        if "mota" in entry:
            scores = (f"{entry['mota']:6.3f} {entry['idf1']:6.3f} {int(entry['num_switches']):4d} "
                      f"{entry['precision']:6.3f} {entry['recall']:6.3f} {entry['motp']:6.3f}")
            scores += f" {entry['indexes']:5d} {entry['people']:6d}"
        else:
            scores = f"{'not scored (no ground truth)':>41} {entry['indexes']:5d} {'?':>6}"
        if "stage_seconds" in entry:
            st = entry["stage_seconds"]
            speed = (f"{entry['fps']:6.1f} {entry['cpu_seconds']:6.1f} {st['decode']:6.1f} {st['detect']:6.1f} "
                     f"{st['track']:6.2f} {st['faces']:6.1f}")
        else:
            speed = ""
        print(f"{name:>9} {scores} {speed}")
    if result["replayed_first_pass"]:
        print(f"tracking only (first pass replayed): {result['seconds']} s wall; offline linking and smoothing "
              f"{result['offline_linking_seconds']} s; {result['tracks']} tracks")
        return
    print(f"whole job: {result['seconds']} s wall, {result['cpu_seconds']} s CPU, {result['fps']} fps = "
          f"{result['realtime_factor']}x the video's {result['video_fps']:g} fps; offline linking and smoothing "
          f"{result['offline_linking_seconds']} s; {result['tracks']} tracks")


GRID: dict[str, tuple[float, ...]] = {"link_margin": (0.0, 1.0, 2.0, 3.0), "min_track_seconds": (0.0, 1.0, 1.5, 3.0)}
"""The linking settings that are chosen by cross-validation, and the values tried."""


def cross_validate(video: Path, gt: GroundTruth, settings: Any, *, frames: int | None,
                   cache: Path | None, tiling: str = "square") -> dict[str, Any]:
    """Each grid point scored on both folds; per fold, the best point by IDF1 and its score on the other."""
    import itertools

    names = list(GRID)
    points: list[dict[str, Any]] = []
    for values in itertools.product(*GRID.values()):
        chosen = dict(zip(names, values, strict=True))
        tried = replace(settings, tracker=replace(settings.tracker, **chosen))
        scored = run(video, gt, tried, frames=frames, cache=cache, ranges=list(FOLDS), tiling=tiling)["ranges"]
        points.append({"settings": chosen, "folds": [scored[f"{a}-{b}"] for a, b in FOLDS]})
    out: dict[str, Any] = {"grid": GRID, "points": points, "folds": []}
    for tune, report in ((0, 1), (1, 0)):
        # the best IDF1 on the tuning fold; ties go to the smaller settings (the order of the grid)
        best = max(points, key=lambda p: round(p["folds"][tune]["idf1"], 3))
        out["folds"].append({"tuned_on": "{}-{}".format(*FOLDS[tune]), "reported_on": "{}-{}".format(*FOLDS[report]),
                             "settings": best["settings"], "tuning": best["folds"][tune],
                             "reported": best["folds"][report]})
    # The default: the best mean IDF1 over both folds. Differences under 0.001 (about two boxes of a
    # fold) are ties, which go to the earlier point of the grid (the smaller margin, the shorter minimum).
    means = [sum(f["idf1"] for f in p["folds"]) / 2 for p in points]
    joint = next(p for p, m in zip(points, means, strict=True) if m >= max(means) - 0.001)
    out["best_on_both"] = {"settings": joint["settings"], "folds": joint["folds"]}
    return out


def print_cross_validation(cv: dict[str, Any]) -> None:
    print("\ncross-validation of " + ", ".join(f"{k} {list(v)}" for k, v in cv["grid"].items()))
    for fold in cv["folds"]:
        t, r = fold["tuning"], fold["reported"]
        print(f"tuned on {fold['tuned_on']}: {fold['settings']} (IDF1 {t['idf1']:.3f} there); on "
              f"{fold['reported_on']}: MOTA {r['mota']:.3f} IDF1 {r['idf1']:.3f} IDsw {int(r['num_switches'])} "
              f"indexes {r['indexes']} for {r['people']} people")
    a, b = (f["settings"] for f in cv["folds"])
    if a != b:
        print(f"WARNING: the folds chose different settings ({a} / {b})")
    joint = cv["best_on_both"]
    print(f"best mean over both folds: {joint['settings']} (IDF1 "
          + " / ".join(f"{f['idf1']:.3f}" for f in joint["folds"]) + ")")
    idf1 = [f["reported"]["idf1"] for f in cv["folds"]]
    print(f"held-out IDF1 of the two folds: {idf1[0]:.3f} / {idf1[1]:.3f} (spread {abs(idf1[0] - idf1[1]):.3f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--video", type=Path, help="vtest.avi (default: from Debian opencv-doc)")
    parser.add_argument("--gt", type=Path, help="MOTChallenge gt.txt (default: ../shared/data/pets09-s2l1/, 1-400)")
    parser.add_argument("--frames", type=int, help="analyse only the first N frames (default: the whole clip)")
    parser.add_argument("--detector", default="ssdlite", choices=["ssdlite", "hog"])
    parser.add_argument("--plain-bytetrack", action="store_true",
                        help="boxes only: no appearance, no offline linking, no smoothing, no short tracks dropped")
    parser.add_argument("--faces", action="store_true", help="also detect faces (measures the speed with CenterFace)")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "int8"],
                        help="the SSDLite model's arithmetic (AnalyzerSettings.precision; default fp32)")
    parser.add_argument("--threads", type=int, help="OpenCV threads (default: OpenCV's, all cores)")
    parser.add_argument("--cache", type=Path, help="record the first pass to this .npz, or replay it if present")
    parser.add_argument("--json", type=Path, help="write the result here")
    parser.add_argument("--cross-validate", action="store_true",
                        help="also tune link_margin and min_track_seconds on each fold, report on the other "
                             "(replays --cache: record it first)")
    parser.add_argument("--no-tud", action="store_true", help="skip TUD-Campus / TUD-Stadtmitte (benchmarks.tud)")
    parser.add_argument("--checkclip", action="store_true",
                        help="also score the composite check clip (benchmarks.checkclip: minutes of CPU)")
    parser.add_argument("--tiling", default="square", choices=["square", "squashed"],
                        help="the detector's square tiles, or the squashed candidate (benchmarks.cpu.squashed_tiles; "
                             "not the analyzer's: measured, not kept)")
    parser.add_argument("--no-cpu", action="store_true",
                        help="skip the CPU per frame per stage (benchmarks.cpu on 200 frames, about 10 CPU-s)")
    args = parser.parse_args(argv)
    video = args.video or find(VTEST_CANDIDATES, "REKOTRACK_VTEST")
    gt_path = args.gt or find(GT_CANDIDATES, "REKOTRACK_PETS_GT")
    if video is None or gt_path is None:
        sys.stderr.write("accuracy: vtest.avi (apt-get install opencv-doc) or the ground truth is missing\n")
        return 2
    from rekotrack.selfhosted.vision._settings import AnalyzerSettings

    settings = AnalyzerSettings(detector=args.detector, faces=args.faces, threads=args.threads,
                                precision=args.precision)
    if args.plain_bytetrack:
        settings = replace(settings, link_seconds=0.0, smooth_seconds=0.0,
                           tracker=replace(settings.tracker, appearance_weight=0.0, appearance_gate=0.0,
                                            min_track_seconds=0.0))
    frames = args.frames
    last = frames or HELD_OUT[1]
    ranges = [*FOLDS, TUNING, (HELD_OUT[0], last), (1, last)] if last > TUNING[1] else [(1, last)]
    gt = load_gt(gt_path)
    if args.tiling != "square" and args.detector != "ssdlite":
        parser.error("--tiling applies to the ssdlite detector only")
    result = run(video, gt, settings, frames=frames, cache=args.cache, ranges=ranges, tiling=args.tiling)
    print_result(result)
    if not args.no_cpu and args.detector == "ssdlite":  # CPU per analysed frame per stage (issue 23)
        from benchmarks import cpu

        result["cpu"] = cpu.measure(video, min(200, frames or 200), threads=args.threads, faces=args.faces,
                                    before=False, process=False, tilings=(args.tiling,))
        print()
        cpu.print_measurement(result["cpu"])
    if args.cross_validate:
        result["cross_validation"] = cross_validate(video, gt, settings, frames=frames, cache=args.cache,
                                                    tiling=args.tiling)
        print_cross_validation(result["cross_validation"])
    if not args.no_tud:
        from benchmarks import tud

        result["tud"] = tud.run_all(settings=settings)
        print()
        tud.print_all(result["tud"])
    if args.checkclip:
        from benchmarks import checkclip

        if args.tiling == "square":
            result["checkclip"] = checkclip.run_all(settings)
        else:  # the check clip's cached first pass does not know the tiling: a folder of its own
            from benchmarks.cpu import use_tiling

            with use_tiling(args.tiling):
                result["checkclip"] = checkclip.run_all(settings, out=Path(f"/tmp/rekotrack-checkclip-{args.tiling}"))
        print()
        checkclip.print_all(result["checkclip"])
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
