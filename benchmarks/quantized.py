"""A candidate SSDLite model (e.g. int8 from scripts/quantize_detector.py) against the shipped fp32 one.

    python -m benchmarks.quantized /tmp/ssd-int8.onnx                   # everything below
    python -m benchmarks.quantized /tmp/ssd-int8.onnx --only agree pass

The candidate replaces the model the onnxruntime detector loads (in this process only; the
shipped file is not touched). Reported, as in docs/performance.md ("A second int8 attempt"):

- **acc**: ``benchmarks.accuracy.run`` on the whole of vtest.avi as one job, scored on 1-200,
  201-400 and 1-400 only (the tuning frames; 401-795 are judged elsewhere);
- **agree**: on every other frame of 401-795 (no ground truth used), the fraction of the fp32
  detector's boxes (score >= 0.1 and >= 0.5) that the candidate finds again at IoU >= 0.5
  (greedy one-to-one), their mean IoU, and how far the matched scores move (mean |difference|,
  boxes crossing the tracker's 0.5 and 0.6 thresholds);
- **pass**: CPU ms of one single-tile session call, candidate and fp32, one thread, alternated,
  with the OpenCV-DNN reference pass before and after;
- **cpu**: ``benchmarks.cpu.measure``'s staged pipeline (300 frames) with the candidate.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np


def _use(candidate: Path) -> Any:
    """Make the onnxruntime detector load ``candidate``; returns the original session factory."""
    import rekotrack.selfhosted.vision._detector as detector

    original = detector._onnx_session

    def patched(model: Path, threads: int | None) -> Any:
        return original(candidate, threads)

    detector._onnx_session = patched
    return original


def agreement(video: Path, fp32: Any, candidate: Any) -> dict[str, Any]:
    import cv2

    from rekotrack.selfhosted.vision._geometry import iou_matrix

    found = {0.1: [0, 0, []], 0.5: [0, 0, []]}  # matched, fp32 boxes, IoUs
    pairs: list[tuple[float, float]] = []
    capture = cv2.VideoCapture(str(video))
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        index += 1
        if index <= 400 or index % 2:
            continue
        ref_boxes, ref_scores = fp32.detect(frame)
        boxes, scores = candidate.detect(frame)
        for threshold, entry in found.items():
            ref = ref_boxes[ref_scores >= threshold]
            entry[1] += len(ref)
            if len(ref) == 0 or len(boxes) == 0:
                continue
            overlap = iou_matrix(ref, boxes)
            used: set[int] = set()
            for i in np.argsort(-overlap.max(axis=1)):
                j = next((int(j) for j in np.argsort(-overlap[i]) if int(j) not in used), None)
                if j is not None and overlap[i, j] >= 0.5:
                    used.add(j)
                    entry[0] += 1
                    entry[2].append(float(overlap[i, j]))
                    if threshold == 0.1:
                        pairs.append((float(ref_scores[ref_scores >= threshold][i]), float(scores[j])))
    capture.release()
    a = np.asarray(pairs).reshape(-1, 2)
    return {
        **{f"score>={t}": {"fp32_boxes": n, "found_at_iou_0.5": round(m / max(n, 1), 4),
                           "mean_iou": round(float(np.mean(ious)) if ious else 0.0, 4)}
           for t, (m, n, ious) in found.items()},
        "matched_scores": {"pairs": len(a), "mean_abs_difference": round(float(np.abs(a[:, 0] - a[:, 1]).mean()), 4),
                           **{f"crossing_{t}": int(np.sum((a[:, 0] >= t) != (a[:, 1] >= t))) for t in (0.5, 0.6)}},
    }


def pass_ms(video: Path, sessions: dict[str, Any], calls: int = 60) -> dict[str, Any]:
    import cv2

    from benchmarks import cpu
    from rekotrack.selfhosted.vision._video import iter_frames

    sample = [image for k, (_, image) in zip(range(200), iter_frames(video), strict=False) if k % 10 == 0]
    tiles = [cv2.resize(f[:, : min(f.shape[:2])], (300, 300)) for f in sample]
    reference = [cpu.reference_forward_seconds(sample)]
    out: dict[str, list[float]] = {}
    for _ in range(2):
        for name, session in sessions.items():
            session.run(None, {"image": tiles[0][None]})
            start = time.process_time()
            for k in range(calls):
                session.run(None, {"image": tiles[k % len(tiles)][None]})
            out.setdefault(name, []).append(round((time.process_time() - start) / calls * 1000, 2))
    reference.append(cpu.reference_forward_seconds(sample))
    return {"ms": out, "reference_ms": round(float(np.mean(reference)) * 1000, 2),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("model", type=Path, help="the candidate ONNX model (same inputs and outputs)")
    parser.add_argument("--only", nargs="+", choices=["acc", "agree", "pass", "cpu"],
                        default=["acc", "agree", "pass", "cpu"])
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    from benchmarks import accuracy

    video = accuracy.find(accuracy.VTEST_CANDIDATES, "REKOTRACK_VTEST")
    if video is None or not args.model.is_file():
        print("quantized: vtest.avi (opencv-doc) or the candidate model is missing")
        return 2
    from rekotrack.selfhosted.vision._detector import SSDLITE_ONNX, SSDLiteDetector
    from rekotrack.selfhosted.vision._models import model_path

    original = _use(args.model)
    result: dict[str, Any] = {"model": str(args.model)}
    if "acc" in args.only:
        gt_path = accuracy.find(accuracy.GT_CANDIDATES, "REKOTRACK_PETS_GT")
        if gt_path is None:
            print("quantized: the PETS09-S2L1 ground truth is missing")
            return 2
        ranges = accuracy.run(video, accuracy.load_gt(gt_path), None, ranges=[(1, 200), (201, 400), (1, 400)])
        result["acc"] = {k: {m: round(v[m], 4) for m in ("mota", "idf1", "num_switches", "num_false_positives",
                                                          "num_misses")}
                         for k, v in ranges["ranges"].items()}
    if "agree" in args.only:
        fp32 = SSDLiteDetector()
        fp32._session = original(model_path(SSDLITE_ONNX), None)
        result["agree"] = agreement(video, fp32, SSDLiteDetector())
    if "pass" in args.only:
        result["pass"] = pass_ms(video, {"fp32": original(model_path(SSDLITE_ONNX), None),
                                         "candidate": original(args.model, None)})
    if "cpu" in args.only:
        from benchmarks import cpu

        result["cpu"] = cpu.measure(video, 300, before=False, process=False)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
