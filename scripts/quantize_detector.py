"""Quantise the ONNX SSDLite person detector to int8 (onnxruntime static quantisation), for measuring.

    /work/venv-convert/bin/python scripts/quantize_detector.py --method percentile --out /tmp/ssd-int8.onnx

Needs ``onnx`` and ``onnxruntime`` (the conversion venv of ``scripts/convert_detector.py``);
rekotrack itself never imports ``onnx``.

What is quantised: the MobileNetV2 feature extractor (convolutions, residual additions, ReLU6
clips) in QDQ format with **per-channel** weight scales (one per output channel: the depthwise
convolutions' channels differ in range by orders of magnitude, which a single per-tensor scale
flattens), activations uint8, weights int8. What stays float: the first convolution (it sees the
raw image), the box and class predictor heads (``BoxPredictor_*``), the anchor decoding and the
sigmoid (``Postprocessor``).

Calibration uses only frames the accuracy benchmark does not score: the other sample videos
and images of Debian ``opencv-doc`` (``Megamind.avi``, ``tree.avi``, the ``.jpg``/``.png``
images; never ``vtest.avi``) and the check clip of ``benchmarks.checkclip`` (variants 0-2,
built under ``/tmp/rekotrack-checkclip``), cut into the same square tiles the detector feeds
(resized to 300x300, BGR).

Measure a result with ``python -m benchmarks.quantized OUT.onnx`` (accuracy per fold, agreement
with the fp32 boxes, CPU a pass and a frame). What each variant measured is in
docs/performance.md ("A second int8 attempt"; "How much is 0.01?"). The ``--method minmax`` result
ships as ``ssdlite_person_int8.onnx``, run only with ``AnalyzerSettings(precision="int8")``: its
accuracy on the tuning clip as it is stays below fp32's (the default), though paired over 14
nuisance runs of it (``python -m benchmarks.perturbation``) the two are level.
A monotone map of the int8 scores back onto fp32's does not rescue them either (the drift is
noise, not a bias): ``python -m benchmarks.score_calibration OUT.onnx``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "rekotrack" / "selfhosted" / "models" / "ssdlite_person.onnx"
DATA = Path("/usr/share/doc/opencv-doc/examples/data")
CHECKCLIP = Path("/tmp/rekotrack-checkclip")
FIRST_CONV = "FeatureExtractor/MobilenetV2/Conv/Conv2D"
SIDE = 300


def _square_tiles(frame: Any) -> list[Any]:
    """The tiles ``_detector._tiles`` cuts (default count), resized to 300x300."""
    import cv2

    height, width = frame.shape[:2]
    side, long = min(width, height), max(width, height)
    count = max(1, int(np.ceil(long / side - 0.05)))
    offsets = [round(i * (long - side) / (count - 1)) for i in range(count)] if count > 1 else [(long - side) // 2]
    crops = [frame[:, o : o + side] if width >= height else frame[o : o + side] for o in offsets]
    return [cv2.resize(c, (SIDE, SIDE), interpolation=cv2.INTER_LINEAR) for c in crops]


def _video_frames(path: Path, every: int, limit: int) -> Iterator[Any]:
    import cv2

    capture = cv2.VideoCapture(str(path))
    index = taken = 0
    try:
        while taken < limit:
            ok, frame = capture.read()
            if not ok:
                break
            if index % every == 0:
                taken += 1
                yield frame
            index += 1
    finally:
        capture.release()


def calibration_tiles(limit_per_video: int = 40) -> list[Any]:
    """BGR 300x300 tiles from frames the accuracy benchmark never scores (no vtest.avi)."""
    import cv2

    frames: list[Any] = []
    for video in sorted(CHECKCLIP.glob("*/checkclip.mp4")):
        frames.extend(_video_frames(video, 15, limit_per_video))
    for name in ("Megamind.avi", "tree.avi"):
        if (DATA / name).is_file():
            frames.extend(_video_frames(DATA / name, 25, limit_per_video // 2))
    for image in sorted(DATA.glob("*.jpg")) + sorted(DATA.glob("*.png")):
        # 26 near-identical chessboards: keep two
        if image.name.startswith(("left", "right")) and image.name not in ("left01.jpg", "right01.jpg"):
            continue
        picture = cv2.imread(str(image), cv2.IMREAD_COLOR)
        if picture is not None and min(picture.shape[:2]) >= 64:
            frames.append(picture)
    if not any(CHECKCLIP.glob("*/checkclip.mp4")):
        raise SystemExit(f"quantize: no check clip under {CHECKCLIP}: run python -m benchmarks.checkclip first")
    return [tile for frame in frames for tile in _square_tiles(frame)]


class _Reader:
    def __init__(self, tiles: list[Any]) -> None:
        self._tiles = iter(tiles)

    def get_next(self) -> dict[str, Any] | None:
        tile = next(self._tiles, None)
        return None if tile is None else {"image": tile[None]}

    def rewind(self) -> None:  # pragma: no cover - not used by quantize_static's single pass
        pass


def quantize(out: Path, method: str, reduce_range: bool, scope: str, tiles: list[Any]) -> None:
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    model = onnx.load(str(SOURCE))
    prefix = "FeatureExtractor/MobilenetV2/" if scope == "backbone" else "FeatureExtractor/"
    ops = ("Conv",) if scope == "pointwise" else ("Conv", "Add", "Clip")

    def depthwise(node: Any) -> bool:
        return any(a.name == "group" and a.i > 1 for a in node.attribute)

    nodes = [n.name for n in model.graph.node
             if n.name.startswith(prefix) and n.name != FIRST_CONV and n.op_type in ops
             and not (scope == "pointwise" and depthwise(n))]
    calibrate = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
                 "entropy": CalibrationMethod.Entropy}[method]
    extra: dict[str, Any] = {"ActivationSymmetric": False, "WeightSymmetric": True}
    if method == "percentile":
        extra["CalibPercentile"] = 99.999
    quantize_static(
        str(SOURCE), str(out), _Reader(tiles), quant_format=QuantFormat.QDQ, per_channel=True,
        reduce_range=reduce_range, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
        calibrate_method=calibrate, nodes_to_quantize=nodes, extra_options=extra,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--method", choices=["minmax", "percentile", "entropy"], default="percentile")
    parser.add_argument("--reduce-range", action="store_true", help="7-bit weights (older CPUs without VNNI)")
    parser.add_argument("--scope", choices=["backbone", "features", "pointwise"], default="features",
                        help="backbone: MobileNetV2 only; features: also the extra SSD feature layers; "
                             "pointwise: only the 1x1 (and full) convolutions of the features, depthwise in fp32")
    parser.add_argument("--tiles", type=int, default=0,
                        help="calibrate on this many tiles, evenly spaced (0: all; the histogram methods keep "
                             "every activation in memory, about 30 MB a tile)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    tiles = calibration_tiles()
    if 0 < args.tiles < len(tiles):
        tiles = [tiles[round(k * (len(tiles) - 1) / (args.tiles - 1))] for k in range(args.tiles)] if args.tiles > 1 \
            else tiles[:1]
    print(f"calibrating on {len(tiles)} tiles (no vtest.avi frames)", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:  # the calibrator writes its augmented model next to cwd
        import os

        here = os.getcwd()
        os.chdir(tmp)
        try:
            quantize(args.out.resolve() if not args.out.is_absolute() else args.out, args.method,
                     args.reduce_range, args.scope, tiles)
        finally:
            os.chdir(here)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
