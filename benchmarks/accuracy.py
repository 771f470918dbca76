"""Accuracy of the self-hosted analyzer on PETS09-S2L1 (OpenCV's vtest.avi), scored with motmetrics.

    python -m benchmarks.accuracy                    # frames 1-400, default settings
    python -m benchmarks.accuracy --json out.json    # also write the numbers

vtest.avi (Debian ``opencv-doc``) is the PETS 2009 S2.L1 View 001 sequence: ground-truth frame
N is video frame N-1. The ground truth (MOTChallenge MOT15 ``PETS09-S2L1``, frames 1-400) is in
``../shared/data/pets09-s2l1/`` (see its SOURCE.md for origin, licence and citations). Scoring
follows the MOTChallenge rules: IoU >= 0.5, and boxes with conf=0 are ignored (a hypothesis
matched to one is neither a hit nor a false positive). Needs ``rekotrack[server]``, the SSDLite
model package and ``motmetrics``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections import defaultdict
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
FRAMES = 400


def find(candidates: tuple[Path, ...], env: str) -> Path | None:
    if os.environ.get(env):
        return Path(os.environ[env])
    return next((p for p in candidates if p.is_file()), None)


def _motmetrics() -> Any:
    if not hasattr(np, "asfarray"):  # motmetrics 1.4 calls np.asfarray, removed in numpy 2
        np.asfarray = lambda a, dtype=np.float64: np.asarray(a, dtype=dtype)  # type: ignore[attr-defined]
    import motmetrics

    return motmetrics


def load_gt(path: Path, frames: int) -> dict[int, list[tuple[int, np.ndarray[Any, Any], bool]]]:
    """``{frame: [(id, x1y1x2y2, counted)]}``; ``counted`` is False for conf=0 (ignored) boxes."""
    out: dict[int, list[tuple[int, np.ndarray[Any, Any], bool]]] = defaultdict(list)
    for line in path.read_text().splitlines():
        f, i, x, y, w, h, conf = (float(v) for v in line.split(",")[:7])
        if 1 <= f <= frames:
            out[int(f)].append((int(i), np.array([x, y, x + w, y + h]), conf != 0))
    return out


def score(
    gt: dict[int, list[tuple[int, np.ndarray[Any, Any], bool]]],
    hyp: dict[int, list[tuple[int, np.ndarray[Any, Any]]]],
    frames: int,
) -> dict[str, float]:
    from scipy.optimize import linear_sum_assignment

    from rekotrack.selfhosted._bytetrack import iou_matrix

    mm = _motmetrics()
    acc = mm.MOTAccumulator(auto_id=True)
    for frame in range(1, frames + 1):
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
    names = ["mota", "motp", "idf1", "num_switches", "precision", "recall", "num_false_positives",
             "num_misses", "mostly_tracked", "num_unique_objects", "num_objects"]
    summary = metrics.compute(acc, metrics=names, name="PETS09-S2L1")
    row = summary.loc["PETS09-S2L1"]
    out = {name: float(row[name]) for name in names}
    out["motp"] = 1.0 - out["motp"]  # motmetrics reports the mean distance (1 - IoU); the table shows IoU
    return out


def run(video: Path, gt_path: Path, frames: int, settings: Any = None) -> dict[str, Any]:
    from rekotrack.selfhosted._analyzer import analyze
    from rekotrack.selfhosted._settings import AnalyzerSettings

    settings = settings or AnalyzerSettings()
    info_fps = 10.0
    analysis = analyze(video, settings, limit_ms=int(frames * 1000 / info_fps))
    info_fps = analysis.info.frame_rate or info_fps
    width, height = analysis.info.width, analysis.info.height
    hyp: dict[int, list[tuple[int, np.ndarray[Any, Any]]]] = defaultdict(list)
    for det in analysis.persons:
        frame = round(det["Timestamp"] * info_fps / 1000) + 1
        box = det["Person"]["BoundingBox"]
        x1, y1 = box["Left"] * width, box["Top"] * height
        hyp[frame].append((det["Person"]["Index"], np.array([x1, y1, x1 + box["Width"] * width,
                                                             y1 + box["Height"] * height])))
    result: dict[str, Any] = score(load_gt(gt_path, frames), hyp, frames)
    result.update(
        frames=analysis.frames,
        seconds=round(analysis.seconds, 2),
        fps=round(analysis.fps, 2),
        realtime_factor=round(analysis.fps / info_fps, 2),
        detector=analysis.detector,
        tracks=len({d["Person"]["Index"] for d in analysis.persons}),
        settings=settings.to_json(),
        machine={"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--video", type=Path, help="vtest.avi (default: from Debian opencv-doc)")
    parser.add_argument("--gt", type=Path, help="gt-frames-1-400.txt (default: ../shared/data/pets09-s2l1/)")
    parser.add_argument("--frames", type=int, default=FRAMES)
    parser.add_argument("--detector", default="auto", choices=["auto", "ssdlite", "hog"])
    parser.add_argument("--plain-bytetrack", action="store_true",
                        help="boxes only: no appearance in the association, no offline linking")
    parser.add_argument("--faces", action="store_true", help="also detect faces (measures the speed with CenterFace)")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    video = args.video or find(VTEST_CANDIDATES, "REKOTRACK_VTEST")
    gt_path = args.gt or find(GT_CANDIDATES, "REKOTRACK_PETS_GT")
    if video is None or gt_path is None:
        sys.stderr.write("accuracy: vtest.avi (apt-get install opencv-doc) or the ground truth is missing\n")
        return 2
    from dataclasses import replace

    from rekotrack.selfhosted._settings import AnalyzerSettings

    settings = AnalyzerSettings(detector=args.detector, faces=args.faces)
    if args.plain_bytetrack:
        settings = replace(settings, link_seconds=0.0, tracker=replace(settings.tracker, appearance_weight=0.0,
                                                                       appearance_gate=0.0))
    result = run(video, gt_path, args.frames, settings)
    table = [("MOTA", "mota"), ("IDF1", "idf1"), ("ID switches", "num_switches"), ("precision", "precision"),
             ("recall", "recall"), ("MOTP (IoU)", "motp"), ("false positives", "num_false_positives"),
             ("misses", "num_misses"), ("mostly tracked", "mostly_tracked"), ("processing fps", "fps"),
             ("x real time (10 fps)", "realtime_factor")]
    for label, key in table:
        value = result[key]
        print(f"{label:22} {value:.3f}" if isinstance(value, float) and value < 10 else f"{label:22} {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
