"""Identity on pedestrian ground truth nobody tuned on: TUD-Campus and TUD-Stadtmitte (boxes only).

    python -m benchmarks.tud                 # both sequences, 5 damage seeds each
    python -m benchmarks.tud --seeds 10 --json out.json

motmetrics ships the MOTChallenge MOT15 ground truth of these two sequences (``motmetrics/data``;
640x480 at 25 fps, as in MOT15's ``seqinfo.ini``), but not their frames. So the boxes stand in for
a detector: their ids are thrown away, and they are damaged the way a detector damages them
(seeded): 15 % of the boxes dropped, each edge moved by a Gaussian of 3 % of the box height, a
score for each box (kept boxes 0.55-0.95, so a few fall below the tracker's strong threshold),
and on average 0.3 false boxes a frame of a random person's size at a random place (scores
0.5-0.8). The frames are sampled as the analyzer samples a 25 fps video (about one every
100 ms), fed to the online tracker, and the offline linking runs with appearance off (no
colour: there are no pixels). Scored with the same motmetrics rules as ``benchmarks.accuracy``
on the sampled frames, with the number of person indexes against the number of people.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.accuracy import GroundTruth, Hypotheses, indexes, people, score

SEQUENCES = {"TUD-Campus": (640, 480, 25.0), "TUD-Stadtmitte": (640, 480, 25.0)}
DROP, JITTER, SCORES, FALSE_PER_FRAME = 0.15, 0.03, (0.55, 0.95), 0.3


def gt_path(name: str) -> Path:
    import motmetrics

    return Path(motmetrics.__file__).parent / "data" / name / "gt.txt"


def load(name: str) -> GroundTruth:
    from benchmarks.accuracy import load_gt

    return load_gt(gt_path(name))


def damaged(gt: GroundTruth, frames: list[int], size: tuple[int, int], seed: int) -> list[tuple[Any, Any]]:
    """Detector-like boxes and scores for each frame of ``frames`` (see the module)."""
    rng = np.random.default_rng(seed)
    width, height = size
    heights = np.array([b[3] - b[1] for f in gt.values() for _, b, _ in f])
    out = []
    for frame in frames:
        boxes, scores = [], []
        for _, box, _ in gt.get(frame, []):
            if rng.random() < DROP:
                continue
            h = box[3] - box[1]
            boxes.append(box + rng.normal(0.0, JITTER * h, 4))
            scores.append(rng.uniform(*SCORES))
        for _ in range(rng.poisson(FALSE_PER_FRAME)):
            h = float(rng.choice(heights))
            w = 0.4 * h
            x, y = rng.uniform(0, width - w), rng.uniform(0, max(height - h, 1.0))
            boxes.append(np.array([x, y, x + w, y + h]))
            scores.append(rng.uniform(0.5, 0.8))
        array = np.array(boxes, dtype=np.float64).reshape(-1, 4)
        array[:, [0, 2]] = array[:, [0, 2]].clip(0, width)
        array[:, [1, 3]] = array[:, [1, 3]].clip(0, height)
        out.append((array, np.array(scores, dtype=np.float64)))
    return out


def sampled(count: int, fps: float, interval_ms: int) -> list[int]:
    """The 1-based frames the analyzer keeps of a ``count``-frame video at ``fps``."""
    from rekotrack.selfhosted.vision._video import sample_frames

    timestamps = ((round(k * 1000 / fps), None) for k in range(count))
    return [round(t * fps / 1000) + 1 for t, _ in sample_frames(timestamps, interval_ms)]  # type: ignore[arg-type]


def run_sequence(name: str, seed: int, settings: Any = None) -> dict[str, Any]:
    """Track one damaged copy of ``name`` and score it (appearance off)."""
    from rekotrack.selfhosted.vision._analyzer import tracker_settings
    from rekotrack.selfhosted.vision._bytetrack import ByteTracker
    from rekotrack.selfhosted.vision._settings import AnalyzerSettings

    settings = settings or AnalyzerSettings()
    width, height, fps = SEQUENCES[name]
    gt = load(name)
    frames = sampled(max(gt), fps, settings.sample_interval_ms)
    step_ms = max(float(settings.sample_interval_ms), 1000.0 / fps)
    cfg = tracker_settings(settings, step_ms)
    known = {f.name for f in fields(cfg)}
    if "frame_width" in known:  # older code had no frame size (the benchmark runs on it too, for "before")
        cfg = replace(cfg, frame_width=width, frame_height=height)
    cfg = replace(cfg, appearance_weight=0.0, appearance_gate=0.0)
    tracker = ByteTracker(cfg)
    for boxes, scores in damaged(gt, frames, (width, height), seed):
        tracker.update(boxes, scores)
    hyp: Hypotheses = defaultdict(list)
    for box in tracker.finish():
        hyp[box.frame + 1].append((box.track, np.array(box.box)))
    renumbered = {k + 1: gt.get(f, []) for k, f in enumerate(frames)}
    result = score(renumbered, hyp, len(frames))
    result.update(indexes=indexes(hyp, 1, len(frames)), people=people(renumbered, 1, len(frames)),
                  frames=len(frames))
    return result


def run_all(seeds: int = 5, settings: Any = None) -> dict[str, Any]:
    """Every sequence with seeds 0..``seeds``-1: the mean and the range of each figure."""
    out: dict[str, Any] = {}
    for name in SEQUENCES:
        runs = [run_sequence(name, seed, settings) for seed in range(seeds)]
        summary: dict[str, Any] = {"seeds": seeds, "runs": runs}
        for key in ("mota", "idf1", "num_switches", "precision", "recall", "indexes", "people"):
            values = [r[key] for r in runs]
            summary[key] = float(np.mean(values))
            summary[f"{key}_range"] = [float(min(values)), float(max(values))]
        out[name] = summary
    return out


def print_all(results: dict[str, Any]) -> None:
    print(f"{'sequence':15} {'MOTA':>13} {'IDF1':>13} {'IDsw':>5} {'prec':>6} {'recall':>6} {'indexes':>7} "
          f"{'people':>6}   (mean over seeds [min-max])")
    for name, r in results.items():
        print(f"{name:15} {r['mota']:.3f} [{r['mota_range'][0]:.2f}-{r['mota_range'][1]:.2f}] "
              f"{r['idf1']:.3f} [{r['idf1_range'][0]:.2f}-{r['idf1_range'][1]:.2f}] {r['num_switches']:5.1f} "
              f"{r['precision']:6.3f} {r['recall']:6.3f} {r['indexes']:7.1f} {r['people']:6.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=5, help="damage seeds per sequence (default 5)")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    results = run_all(args.seeds)
    print_all(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
