"""Is an int8 SSDLite's score drift a bias a monotone map removes, or noise? And what does such a map do?

    python -m benchmarks.score_calibration /tmp/ssd-int8.onnx                        # drift analysis, map fitted
    python -m benchmarks.score_calibration /tmp/ssd-int8.onnx --material non-pets --eval --json out.json

The candidate (e.g. ``scripts/quantize_detector.py --method minmax --scope features``) and the
shipped fp32 model both run the onnxruntime detector (``min_score`` 0.02, so that no pair is cut
off at the tracker's 0.1) on the calibration material; each fp32 box is matched to a candidate
box at IoU >= 0.5 (greedy one-to-one, highest fp32 score first). Reported on the pairs where
either score is >= 0.1: the signed difference (mean, median, spread) per source and per bin of
the candidate's score, the boxes crossing 0.5 and 0.6, and the best any monotone map could do:
the isotonic regression of the fp32 score on the candidate's, fitted and scored on the same pairs
(an upper bound; a map fitted on one material and applied to another does worse).

The map is that isotonic fit read at a few knots (0, 0.05, 0.1, 0.2 ... 0.9, 0.95, 1; finer
around the thresholds), made strictly increasing so the suppression keeps its order, applied to
every anchor's score after the candidate's decode. ``--eval`` runs ``benchmarks.quantized``'s
``acc`` and ``agree`` with it (accuracy on PETS09-S2L1 1-200, 201-400, 1-400; agreement with the
fp32 boxes on held-out vtest frames).

Calibration material: ``--material all`` is what ``scripts/quantize_detector.py`` calibrates on:
the three check clips of ``benchmarks.checkclip`` (built under ``/tmp/rekotrack-checkclip``),
opencv-doc's ``Megamind.avi`` and ``tree.avi`` and its still images; never vtest.avi. The check
clips' walkers are cut out of PETS09-S2L1 frames 1-400 (pasted on another scene), so
``--material non-pets`` leaves them out: no PETS pixel at all, but also few people. ``--heldout``
adds the drift on every other frame of vtest 401-795 (no ground truth used; the map is not fitted
there, only the in-sample bound is computed on those pairs too, as a diagnostic).
Results: docs/performance.md ("A second int8 attempt").
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path("/usr/share/doc/opencv-doc/examples/data")
CHECKCLIP = Path("/tmp/rekotrack-checkclip")
KNOTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9, 0.95, 1.0)
BINS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


def _video(path: Path, keep: Any) -> Iterator[Any]:
    import cv2

    capture = cv2.VideoCapture(str(path))
    index = 0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            index += 1
            if keep(index):
                yield frame
    finally:
        capture.release()


def material(kind: str, every: int) -> Iterator[tuple[str, Any]]:
    """(source, BGR frame) of the calibration material; ``heldout``: every other frame of vtest 401-795."""
    import cv2

    if kind == "heldout":
        yield from (("vtest 401-795", f) for f in _video(DATA / "vtest.avi", lambda i: i > 400 and i % 2 == 0))
        return
    if kind == "all":
        clips = sorted(CHECKCLIP.glob("*/checkclip.mp4"))
        if not clips:
            raise SystemExit(f"score_calibration: no check clip under {CHECKCLIP}: run python -m benchmarks.checkclip")
        for clip in clips:
            yield from ((f"checkclip {clip.parent.name}", f) for f in _video(clip, lambda i: (i - 1) % every == 0))
    for name in ("Megamind.avi", "tree.avi"):
        yield from ((name, f) for f in _video(DATA / name, lambda i: (i - 1) % every == 0))
    for image in sorted(DATA.glob("*.jpg")) + sorted(DATA.glob("*.png")):
        picture = cv2.imread(str(image), cv2.IMREAD_COLOR)
        if picture is not None and min(picture.shape[:2]) >= 64:
            yield ("images", picture)


def pairs(frames: Iterator[tuple[str, Any]], fp32: Any, candidate: Any) -> list[tuple[str, float, float]]:
    """(source, fp32 score, candidate score) of the fp32 boxes the candidate finds at IoU >= 0.5."""
    from rekotrack.selfhosted.vision._geometry import iou_matrix

    out: list[tuple[str, float, float]] = []
    for source, frame in frames:
        ref_boxes, ref_scores = fp32.detect(frame)
        boxes, scores = candidate.detect(frame)
        if len(ref_boxes) == 0 or len(boxes) == 0:
            continue
        overlap = iou_matrix(ref_boxes, boxes)
        used: set[int] = set()
        for i in np.argsort(-ref_scores, kind="stable"):
            j = next((int(j) for j in np.argsort(-overlap[i]) if int(j) not in used), None)
            if j is not None and overlap[i, j] >= 0.5:
                used.add(j)
                out.append((source, float(ref_scores[i]), float(scores[j])))
    return out


def isotonic(x: Any, y: Any) -> tuple[Any, Any]:
    """Pool-adjacent-violators: x sorted and the non-decreasing least-squares fit of y on x."""
    order = np.argsort(x, kind="stable")
    values: list[float] = []
    weights: list[float] = []
    for v in np.asarray(y, dtype=np.float64)[order]:
        values.append(float(v))
        weights.append(1.0)
        while len(values) > 1 and values[-2] > values[-1]:
            w = weights[-2] + weights[-1]
            values[-2:] = [(values[-2] * weights[-2] + values[-1] * weights[-1]) / w]
            weights[-2:] = [w]
    return np.asarray(x, dtype=np.float64)[order], np.repeat(values, np.asarray(weights, dtype=np.int64))


def fit_map(reference: Any, candidate: Any) -> dict[str, list[float]]:
    xs, fit = isotonic(candidate, reference)
    ys = []
    for k in KNOTS:
        near = np.abs(xs - k) <= 0.025
        ys.append(float(fit[near].mean()) if near.sum() >= 5 else float(np.interp(k, xs, fit)))
    ys[0], ys[-1] = 0.0, 1.0
    for i in range(1, len(ys)):
        ys[i] = min(1.0, max(ys[i], ys[i - 1] + 1e-3))  # strictly increasing: the suppression keeps its order
    return {"candidate": list(KNOTS), "fp32": [round(v, 4) for v in ys]}


def drift(reference: Any, candidate: Any) -> dict[str, Any]:
    keep = (reference >= 0.1) | (candidate >= 0.1)
    d = candidate[keep] - reference[keep]
    if len(d) == 0:
        return {"pairs": 0}
    return {"pairs": int(keep.sum()), "signed_mean": round(float(d.mean()), 4),
            "signed_median": round(float(np.median(d)), 4), "sd": round(float(d.std()), 4),
            "mean_abs": round(float(np.abs(d).mean()), 4), "mse": round(float(np.mean(d**2)), 6),
            "fp32_at_least_0.5": int(np.sum(reference >= 0.5)),
            **{f"crossing_{t}": int(np.sum((reference >= t) != (candidate >= t))) for t in (0.5, 0.6)}}


def analyse(rows: list[tuple[str, float, float]]) -> dict[str, Any]:
    source = np.array([r[0] for r in rows])
    reference = np.array([r[1] for r in rows])
    candidate = np.array([r[2] for r in rows])
    xs, fit = isotonic(candidate, reference)
    bound = np.interp(candidate, xs, fit)
    bins = {}
    for lo, hi in zip((0.02, *BINS[:-1]), BINS, strict=True):
        inside = (candidate >= lo) & (candidate < hi)
        d = reference[inside] - candidate[inside]
        if inside.sum():
            bins[f"{lo:.2f}-{min(hi, 1.0):.2f}"] = {
                "pairs": int(inside.sum()), "fp32_minus_candidate_mean": round(float(d.mean()), 4),
                "median": round(float(np.median(d)), 4), "sd": round(float(d.std()), 4)}
    return {"all": drift(reference, candidate),
            "per_source": {s: drift(reference[source == s], candidate[source == s]) for s in sorted(set(source))},
            "per_candidate_score_bin": bins,
            "best_monotone_map_in_sample": drift(reference, bound)}


def _mapped_sessions(candidate: Path, table: dict[str, list[float]]) -> None:
    """Make the detector's sessions for ``candidate`` return the mapped scores."""
    import rekotrack.selfhosted.vision._detector as detector

    knots_x, knots_y = np.asarray(table["candidate"]), np.asarray(table["fp32"])
    original = detector._onnx_session

    class Mapped:
        def __init__(self, session: Any) -> None:
            self._session = session

        def run(self, names: Any, feeds: Any) -> list[Any]:
            boxes, scores = self._session.run(names, feeds)
            scores = scores.copy()
            scores[..., 1] = np.interp(scores[..., 1], knots_x, knots_y).astype(scores.dtype)
            return [boxes, scores]

    def session(model: Path, threads: int | None) -> Any:
        made = original(model, threads)
        return Mapped(made) if Path(model).resolve() == candidate else made

    detector._onnx_session = session


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("model", type=Path, help="the candidate ONNX model (same inputs and outputs)")
    parser.add_argument("--material", choices=["all", "non-pets"], default="all")
    parser.add_argument("--every", type=int, default=5, help="every n-th frame of the calibration videos")
    parser.add_argument("--heldout", action="store_true", help="also the drift on vtest 401-795 (nothing fitted)")
    parser.add_argument("--eval", action="store_true", help="benchmarks.quantized acc and agree with the map")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    from rekotrack.selfhosted.vision._detector import SSDLiteDetector, _onnx_session

    candidate_path = args.model.resolve()
    fp32 = SSDLiteDetector(min_score=0.02)
    candidate = SSDLiteDetector(min_score=0.02)
    candidate._session = _onnx_session(candidate_path, None)
    rows = pairs(material(args.material, args.every), fp32, candidate)
    result: dict[str, Any] = {"model": str(args.model), "material": args.material, "calibration": analyse(rows)}
    table = fit_map(np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
    result["map"] = table
    if args.heldout:
        result["heldout"] = analyse(pairs(material("heldout", 2), fp32, candidate))
    if args.eval:
        from benchmarks import quantized

        _mapped_sessions(candidate_path, table)
        out = Path(args.json or "/tmp/score-calibration-quantized.json").with_suffix(".quantized.json")
        if quantized.main([str(candidate_path), "--only", "acc", "agree", "--json", str(out)]) != 0:
            return 2
        result["mapped"] = json.loads(out.read_text())
    print(json.dumps(result, indent=1), file=sys.stdout)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
