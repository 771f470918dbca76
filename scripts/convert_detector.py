"""Convert the shipped SSDLite person detector (a frozen TensorFlow graph) to ONNX, once.

    python -m venv /tmp/venv-convert
    /tmp/venv-convert/bin/pip install tensorflow-cpu tf2onnx onnx onnxruntime numpy
    /tmp/venv-convert/bin/python scripts/convert_detector.py            # writes models/ssdlite_person.onnx
    /tmp/venv-convert/bin/python scripts/convert_detector.py --check    # check the committed file against TensorFlow

TensorFlow, tf2onnx and onnx are needed here only: rekotrack runs the result on onnxruntime.
Run with tensorflow-cpu 2.21, tf2onnx 1.17, onnx 1.23, onnxruntime 1.32. tf2onnx names some
nodes in an order that varies from run to run, so two conversions are the same model but not
the same bytes: ``--check`` therefore runs the committed file against TensorFlow.

What changes, and why the result is the same model:

- **Input**: the graph's ``image_tensor`` resizes each image inside a TensorFlow loop
  (``Preprocessor/map``). That loop is cut off: the ONNX model takes images already resized to
  300x300 (``image``: uint8, N x 300 x 300 x 3), as OpenCV's ``blobFromImage`` feeds the DNN
  path, and casts them to float for ``Preprocessor/mul`` (x * 2/255 - 1, as before).
- **BGR**: the first convolution's weights have their three input channels reversed, so the
  model takes OpenCV's BGR order directly. The preprocessing before it treats every channel
  alike, so this is exactly the same function as swapping R and B in the image.
- **Anchors**: the SSD anchors (``Concatenate/concat``, computed from the feature-map sizes of a
  300x300 input) are evaluated once with TensorFlow and stored as a constant.
- **Outputs**: the graph's own decoded boxes ``Postprocessor/raw_box_locations`` (``boxes``:
  N x 1917 x 4, ymin xmin ymax xmax in 0..1 of the input) and its sigmoid scores
  ``Postprocessor/raw_box_scores`` (``scores``: N x 1917 x 2; column 1 is "person"). The
  non-maximum suppression after them (TensorFlow's ``Postprocessor/BatchMultiClassNonMaxSuppression``,
  OpenCV's ``DetectionOutput``) is done by rekotrack in numpy, as OpenCV's layer does it
  (``_detector.ssd_postprocess``).

The script then checks the ONNX model against TensorFlow on the same input (max difference of
boxes and scores) and prints the sha256 to put in ``_models.py`` and ``NOTICE``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "src" / "rekotrack" / "selfhosted" / "models"
SOURCE = MODELS / "ssdlite_person.pb"
TARGET = MODELS / "ssdlite_person.onnx"

INPUT = "image"
CUT = "Preprocessor/map/TensorArrayStack/TensorArrayGatherV3"  # the loop's output: float, N x 300 x 300 x 3
ANCHORS = "Concatenate/concat"
FIRST_CONV = "FeatureExtractor/MobilenetV2/Conv/Conv2D"
OUTPUTS = {"Postprocessor/raw_box_locations:0": "boxes", "Postprocessor/raw_box_scores:0": "scores"}
OPSET = 17
SIDE = 300


def _load(path: Path) -> object:
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    return graph_def


def _run_tf(graph_def: object, feeds: dict[str, np.ndarray], fetches: list[str]) -> list[np.ndarray]:
    import tensorflow as tf

    with tf.Graph().as_default() as graph:
        tf.compat.v1.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=graph) as session:
            return list(session.run(fetches, feed_dict=feeds))


def _const(name: str, value: np.ndarray) -> object:
    import tensorflow as tf

    node = tf.compat.v1.NodeDef(name=name, op="Const")
    node.attr["dtype"].type = tf.as_dtype(value.dtype).as_datatype_enum
    node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
    return node


def _weights_node(by_name: dict[str, object], name: str) -> object:
    """Follow Identity nodes from a Conv2D's weight input to the Const holding the weights."""
    node = by_name[name.split(":")[0]]
    while node.op == "Identity":  # type: ignore[attr-defined]
        node = by_name[node.input[0].split(":")[0]]  # type: ignore[attr-defined]
    if node.op != "Const":  # type: ignore[attr-defined]
        raise SystemExit(f"convert: the first convolution's weights are a {node.op}, not a Const")  # type: ignore[attr-defined]
    return node


def rewrite(original: object) -> object:
    """The graph with a uint8 BGR input at 300x300, reversed first-conv channels and constant anchors."""
    import tensorflow as tf

    anchors = _run_tf(original, {"image_tensor:0": np.zeros((1, SIDE, SIDE, 3), np.uint8)}, [ANCHORS + ":0"])[0]
    graph_def = tf.compat.v1.GraphDef()
    graph_def.CopyFrom(original)
    by_name = {n.name: n for n in graph_def.node}

    placeholder = tf.compat.v1.NodeDef(name=INPUT, op="Placeholder")
    placeholder.attr["dtype"].type = tf.uint8.as_datatype_enum
    placeholder.attr["shape"].shape.CopyFrom(tf.TensorShape([None, SIDE, SIDE, 3]).as_proto())
    cast = tf.compat.v1.NodeDef(name=INPUT + "/to_float", op="Cast", input=[INPUT])
    cast.attr["SrcT"].type = tf.uint8.as_datatype_enum
    cast.attr["DstT"].type = tf.float32.as_datatype_enum
    cast.attr["Truncate"].b = False
    mul = by_name["Preprocessor/mul"]
    replaced = [i for i in mul.input if i.split(":")[0] == CUT]
    if len(replaced) != 1:
        raise SystemExit(f"convert: Preprocessor/mul does not read {CUT}: {list(mul.input)}")
    mul.input[list(mul.input).index(replaced[0])] = cast.name

    weights = _weights_node(by_name, by_name[FIRST_CONV].input[1])
    kernel = tf.make_ndarray(weights.attr["value"].tensor)  # type: ignore[attr-defined]
    if kernel.shape[2] != 3:
        raise SystemExit(f"convert: the first convolution takes {kernel.shape[2]} channels, not 3")
    weights.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(np.ascontiguousarray(kernel[:, :, ::-1, :])))  # type: ignore[attr-defined]

    anchor_node = by_name[ANCHORS]
    anchor_node.CopyFrom(_const(ANCHORS, anchors.astype(np.float32)))
    graph_def.node.extend([placeholder, cast])
    return tf.compat.v1.graph_util.extract_sub_graph(graph_def, [o.split(":")[0] for o in OUTPUTS])


def convert(graph_def: object) -> bytes:
    import onnx
    import tf2onnx

    model, _ = tf2onnx.convert.from_graph_def(
        graph_def, name="ssdlite_person", input_names=[INPUT + ":0"], output_names=list(OUTPUTS), opset=OPSET,
        tensors_to_rename={INPUT + ":0": INPUT, **OUTPUTS},
    )
    model.producer_name = "rekotrack scripts/convert_detector.py"
    model.doc_string = (
        "SSDLite-MobileNetV2 person detector (cftang0827, MIT), converted from ssdlite_person.pb: "
        "input uint8 BGR N x 300 x 300 x 3; outputs boxes (ymin xmin ymax xmax, 0..1) and sigmoid scores"
    )
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def check_against_tensorflow(original: object, model: bytes) -> tuple[float, float]:
    """Max |difference| of boxes and person scores, ONNX (BGR) vs TensorFlow (RGB), on two images."""
    import onnxruntime

    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)
    ramp = np.broadcast_to(np.linspace(0, 255, SIDE, dtype=np.float32)[:, None, None], (SIDE, SIDE, 3))
    bgr = np.stack([noise, ramp.astype(np.uint8)])
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    boxes, scores = session.run(["boxes", "scores"], {INPUT: bgr})
    expected_boxes, expected_scores = [], []
    for image in bgr:  # image_tensor takes one image at a time here (the loop resizes each)
        tf_boxes, tf_scores = _run_tf(original, {"image_tensor:0": image[None, :, :, ::-1]}, list(OUTPUTS))
        expected_boxes.append(tf_boxes[0])
        expected_scores.append(tf_scores[0])
    return (float(np.abs(boxes - np.stack(expected_boxes)).max()),
            float(np.abs(scores[..., 1] - np.stack(expected_scores)[..., 1]).max()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="run the committed ONNX file against TensorFlow")
    parser.add_argument("--out", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    original = _load(SOURCE)
    if args.check:
        if not args.out.is_file():
            print(f"convert: {args.out} is missing", file=sys.stderr)
            return 1
        model = args.out.read_bytes()
    else:
        model = convert(rewrite(original))
    box_error, score_error = check_against_tensorflow(original, model)
    print(f"ONNX vs TensorFlow: max |box difference| {box_error:.2e}, max |score difference| {score_error:.2e}")
    if box_error > 1e-3 or score_error > 1e-3:
        print("convert: the ONNX model does not reproduce the TensorFlow graph", file=sys.stderr)
        return 1
    digest = hashlib.sha256(model).hexdigest()
    if args.check:
        print(f"{args.out.name} (sha256 {digest}) reproduces the TensorFlow graph")
        return 0
    with tempfile.NamedTemporaryFile(dir=args.out.parent, delete=False) as tmp:
        tmp.write(model)
    Path(tmp.name).replace(args.out)
    print(f"wrote {args.out} ({len(model) / 1e6:.1f} MB), sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
