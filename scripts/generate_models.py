"""Generate rekotrack's models, constraint tables and error table from botocore's service model.

Reads ``botocore/data/rekognition/2016-06-27/service-2.json`` of the installed
botocore (through ``botocore.loaders``) and writes, for the sixteen Rekognition
Video Start*/Get* operations, three readable modules under
``src/rekotrack/_generated/``:

- ``models.py``: a pydantic model of every output shape (and of the input
  structures a caller passes: NotificationChannel, Settings, Filters...), an
  open-enum ``Literal`` of every enum, the page and item model of each job;
- ``constraints.py``: the constraint table of every Start and Get input;
- ``errors.py``: the error codes each operation declares.

Usage::

    python scripts/generate_models.py              # (re)write src/rekotrack/_generated/
    python scripts/generate_models.py --check      # exit 1 when the committed files are stale
    python scripts/generate_models.py --out DIR    # write into DIR instead

The output depends only on the service model, so it is byte-for-byte
reproducible. What the service model cannot know is written by hand:
``rekotrack/_model_base.py`` (the base model, ``Video.from_s3``,
``BoundingBox.center``), the overrides below, and ``rekotrack/_models.py``.
"""

from __future__ import annotations

import argparse
import html
import keyword
import re
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.loaders
from pydantic import BaseModel
from pydantic.alias_generators import to_pascal

sys.path.insert(0, str(Path(__file__).resolve().parent))
from video_operations import VIDEO_OPERATIONS, VideoOperationEntry  # the one hand-written table

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "rekotrack" / "_generated"
API_VERSION = "2016-06-27"
WIDTH = 116  # generated lines stay under ruff's 120

# The eight Rekognition Video jobs (the hand-written table scripts/video_operations.py):
# kind, page model, list key of the items, item model.
JOBS: tuple[tuple[str, str, str, str], ...] = tuple((e.kind, e.page, e.list_key, e.item) for e in VIDEO_OPERATIONS)
OPERATIONS = tuple(f"{verb}{kind}" for kind, *_ in JOBS for verb in ("Start", "Get"))
PAGE_BASE = "VideoJobPage"
COMMON_START_INPUTS = ("Video", "ClientRequestToken", "NotificationChannel", "JobTag")

# Hand-written helpers mixed into a generated model (rekotrack/_model_base.py).
MIXINS = {"Video": "VideoConveniences", "BoundingBox": "BoundingBoxConveniences"}

# An absent Person reads as an empty PersonDetail (so `det.person.index` needs no None check)
# and stays out of to_aws().
_PERSON_DOC = (
    "The person seen at that time. When the service leaves it out this is an empty "
    "PersonDetail (every field None) and ``to_aws()`` leaves it out too."
)
DEFAULT_FACTORY = {("PersonDetection", "Person"): _PERSON_DOC, ("PersonMatch", "Person"): _PERSON_DOC}

# Field documentation where the service's own is missing, long, or names the wrong operation.
FIELD_DOCS = {
    (PAGE_BASE, "JobStatus"): "IN_PROGRESS, SUCCEEDED or FAILED.",
    (PAGE_BASE, "StatusMessage"): "Why the job failed, when it did.",
    (PAGE_BASE, "NextToken"): "Token for the next page; absent on the last page.",
    (PAGE_BASE, "JobId"): "The job these results belong to.",
    (PAGE_BASE, "Video"): "The video the job analysed.",
    (PAGE_BASE, "JobTag"): "The JobTag given to Start, when one was.",
    ("*", "VideoMetadata"): "What the service read from the video (on every page of a finished job).",
    ("GetSegmentDetectionResponse", "VideoMetadata"): (
        "What the service read from the video stream it analysed (a list; currently one element)."
    ),
    ("GetSegmentDetectionResponse", "AudioMetadata"): "One element per audio stream of the video.",
    ("PersonDetection", "Timestamp"): "Milliseconds from the start of the video (not frame-exact).",
    ("PersonDetail", "Index"): "Identifier of the person within this video (not stored by the service).",
    ("Landmark", "X"): "x as a ratio of the frame width, from the left.",
    ("Landmark", "Y"): "y as a ratio of the frame height, from the top.",
    ("ImageQuality", "Brightness"): "Brightness of the face crop, 0-100; higher is brighter.",
    ("ImageQuality", "Sharpness"): "Sharpness of the face crop, 0-100; higher is sharper.",
    ("FaceDetail", "Emotions"): "The emotions the face appears to express (not the person's inner state).",
    ("FaceDetail", "FaceOccluded"): "Whether the eyes, nose or mouth are partly hidden (mask, hands, phone...).",
}
CLASS_DOCS = {
    PAGE_BASE: "The fields every Rekognition Video Get* page shares.",
    "VideoMetadata": "What the service read from the video; repeated on every page.",
    "FaceDetail": (
        "A face. GetPersonTracking returns only bounding_box, confidence, landmarks, pose and quality; "
        "GetFaceDetection returns all of it with FaceAttributes=ALL."
    ),
    "BoundingBox": "A box as ratios of the frame: left/top from the top-left corner, width/height.",
    "Video": "A video stored in S3 (the only source the service accepts).",
    "S3Object": "An object in S3 that holds the video.",
    "LabelDetection": (
        "A label seen at a time; with AggregateBy=SEGMENTS also the start, end and duration of the segment."
    ),
    "ContentModerationDetection": (
        "A moderation label seen at a time; with AggregateBy=SEGMENTS also the segment's start, end and duration."
    ),
}

HEADER = '''\
# @generated by scripts/generate_models.py — do not edit
# From botocore's rekognition {version} service model and scripts/video_operations.py: change those
# (or the generator) and run it again.
'''


# ---- reading the service model ---------------------------------------------------------


def load_model() -> dict[str, Any]:
    loader = botocore.loaders.Loader()
    model: dict[str, Any] = loader.load_service_model("rekognition", "service-2", API_VERSION)
    return model


def _shape_refs(shape: dict[str, Any]) -> Iterator[str]:
    if shape["type"] == "structure":
        for member in shape["members"].values():
            yield member["shape"]
    elif shape["type"] == "list":
        yield shape["member"]["shape"]
    elif shape["type"] == "map":  # pragma: no cover - none of the sixteen operations has a map
        raise SystemExit("a map shape appeared: teach the generator maps")


def reachable(shapes: dict[str, Any], roots: list[str]) -> list[str]:
    """Every shape reachable from ``roots``, dependencies first (depth-first post-order)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for ref in _shape_refs(shapes[name]):
            visit(ref)
        order.append(name)

    for root in roots:
        visit(root)
    return order


def snake(name: str) -> str:
    """``SNSTopicArn`` -> ``sns_topic_arn``, ``S3Object`` -> ``s3_object``, ``DurationSMPTE`` -> ``duration_smpte``."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = text.lower()
    if keyword.iskeyword(text) or hasattr(BaseModel, text):
        text += "_"
    return text


def upper_snake(name: str) -> str:
    return snake(name).rstrip("_").upper()


_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]])\.\s+(?=[A-Z])")
_PLAIN = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": "'", "\u201d": "'", '"': "'",
                        "\u2013": "-", "\u2014": "-", "\u00a0": " ", "\\": "/"})  # fmt: skip


def first_sentence(doc: str | None, limit: int = 200) -> str | None:
    """The first sentence of a service doc as plain text, or None if absent or longer than ``limit``."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", doc or "")).translate(_PLAIN)
    text = " ".join(text.split())
    text = re.sub(r"\s+([.,;:)])", r"\1", text)
    text = re.sub(r"\(\s+", "(", text)
    if not text:
        return None
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0].strip()
    if not sentence.endswith("."):
        sentence += "."
    return sentence if len(sentence) <= limit else None


# ---- models ----------------------------------------------------------------------------------


@dataclass
class ModelField:
    name: str
    member: str
    annotation: str
    default: str | None
    alias: str | None
    doc: str | None


@dataclass
class Model:
    name: str
    shape: str
    bases: list[str]
    doc: str
    fields: list[ModelField] = field(default_factory=list)


class ModelWriter:
    def __init__(self, service: dict[str, Any]) -> None:
        self.shapes: dict[str, Any] = service["shapes"]
        self.operations: dict[str, Any] = service["operations"]
        self.page_names = {f"Get{kind}Response": page for kind, page, _, _ in JOBS}
        out_roots: list[str] = []
        in_roots: list[str] = []
        for op in OPERATIONS:
            out_roots.append(self.operations[op]["output"]["shape"])
            request = self.shapes[self.operations[op]["input"]["shape"]]
            in_roots.extend(member["shape"] for member in request["members"].values())
        self.output_shapes = set(reachable(self.shapes, out_roots))
        self.order = reachable(self.shapes, out_roots + in_roots)
        self.structures = [n for n in self.order if self.shapes[n]["type"] == "structure"]
        self.enums = sorted(n for n in self.order if self.shapes[n]["type"] == "string" and "enum" in self.shapes[n])
        self.base_members = self._common_page_members()

    def _common_page_members(self) -> list[str]:
        pages = [self.shapes[f"Get{kind}Response"]["members"] for kind, *_ in JOBS]
        first = pages[0]
        return [
            name for name, ref in first.items() if all(page.get(name, {}).get("shape") == ref["shape"] for page in pages)
        ]

    def class_name(self, shape: str) -> str:
        return self.page_names.get(shape, shape)

    def annotation(self, shape_name: str) -> str:
        shape = self.shapes[shape_name]
        kind = shape["type"]
        if kind == "structure":
            return self.class_name(shape_name)
        if kind == "list":
            return f"AWSList[{self.annotation(shape['member']['shape'])}]"
        if kind == "string":
            return f"{shape_name} | str" if "enum" in shape else "str"
        if kind in ("integer", "long"):
            return "int"
        if kind in ("float", "double"):
            return "float"
        if kind == "boolean":
            return "bool"
        raise SystemExit(f"shape {shape_name}: kind {kind} is not handled")

    def member_doc(self, owner: str, member: str, ref: dict[str, Any]) -> str | None:
        for key in ((owner, member), ("*", member)):
            if key in FIELD_DOCS:
                return FIELD_DOCS[key]
        found = first_sentence(ref.get("documentation"))
        if found:
            return found
        target = self.shapes[ref["shape"]]
        if target["type"] == "list":
            target = self.shapes[target["member"]["shape"]]
        return first_sentence(target.get("documentation"))

    def model(self, shape_name: str) -> Model:
        shape = self.shapes[shape_name]
        name = self.class_name(shape_name)
        is_page = shape_name in self.page_names
        bases = [PAGE_BASE] if is_page else [*([MIXINS[name]] if name in MIXINS else []), "AWSModel"]
        if is_page:
            doc = f"One {shape_name.removesuffix('Response')} response."
        elif shape_name.startswith("Start") and shape_name.endswith("Response"):
            doc = f"Answer of {shape_name.removesuffix('Response')}: the JobId of the new job."
        else:
            doc = CLASS_DOCS.get(name) or first_sentence(shape.get("documentation"), 240) or f"The {name} shape."
        model = Model(name, shape_name, bases, doc)
        required = set(shape.get("required", ())) if shape_name not in self.output_shapes else set()
        for member, ref in shape["members"].items():
            if is_page and member in self.base_members:
                continue
            model.fields.append(self._field(shape_name, member, ref, member in required))
        return model

    def base_model(self) -> Model:
        shape_name = f"Get{JOBS[0][0]}Response"
        members = self.shapes[shape_name]["members"]
        model = Model(PAGE_BASE, PAGE_BASE, ["AWSModel"], CLASS_DOCS[PAGE_BASE])
        for member in self.base_members:
            model.fields.append(self._field(PAGE_BASE, member, members[member], False))
        return model

    def _field(self, owner: str, member: str, ref: dict[str, Any], required: bool) -> ModelField:
        name = snake(member)
        alias = None if to_pascal(name) == member else member
        annotation = self.annotation(ref["shape"])
        doc = self.member_doc(owner, member, ref)
        if (owner, member) in DEFAULT_FACTORY:
            target = self.class_name(ref["shape"])
            return ModelField(name, member, target, f"lambda: {target}()", alias, DEFAULT_FACTORY[(owner, member)])
        if required:
            return ModelField(name, member, annotation, None, alias, doc)
        return ModelField(name, member, f"{annotation} | None", "None", alias, doc)

    # ---- rendering

    def render(self) -> str:
        out: list[str] = [HEADER.format(version=API_VERSION)]
        out.append('"""Pydantic models of the sixteen Rekognition Video Start*/Get* operations.\n\n'
                   "Generated from botocore's service model by ``scripts/generate_models.py``; import\n"
                   "them from :mod:`rekotrack` (or :mod:`rekotrack._models`). Every output field may be\n"
                   "absent, unknown fields are kept, unknown enum values parse.\n"
                   '"""\n\n')  # fmt: skip
        out.append("from __future__ import annotations\n\n")
        out.append("from typing import Literal\n\n")
        out.append("from pydantic import Field\n\n")
        mixins = ", ".join(sorted(MIXINS.values()))
        out.append(f"from rekotrack._model_base import AWSList, AWSModel, {mixins}\n\n")
        models = [self.base_model()]
        for shape_name in self.structures:
            models.append(self.model(shape_name))
        names = sorted([m.name for m in models] + self.enums)
        out.append(_render_all([*names, "ITEM_MODELS", "LIST_KEYS", "PAGE_MODELS", "SHAPE_MODELS"]))
        out.append("# ---- enums (open: a model field also accepts any other string) ----\n\n")
        for enum in self.enums:
            out.append(_render_literal(enum, self.shapes[enum]["enum"]))
        out.append("\n# ---- models (each after the models it uses) ----\n")
        # The page base goes right before the first page (after Video, which it uses).
        first_page = next(i for i, m in enumerate(models) if m.bases == [PAGE_BASE])
        base, rest = models[0], models[1:]
        rest.insert(first_page - 1, base)
        for model in rest:
            out.append("\n" + _render_model(model))
        out.append("\n# ---- per job ----\n\n")
        out.append("SHAPE_MODELS: dict[str, type[AWSModel]] = {\n")
        for model in models[1:]:
            out.append(f'    "{model.shape}": {model.name},\n')
        out.append("}\n")
        out.append('"""Service model shape name -> its model."""\n\n')
        out.append("PAGE_MODELS: dict[str, type[VideoJobPage]] = {\n")
        for kind, page, _, _ in JOBS:
            out.append(f'    "Get{kind}": {page},\n')
        out.append("}\n")
        out.append('"""Get operation -> the model of one of its responses."""\n\n')
        out.append("LIST_KEYS: dict[str, str] = {\n")
        for kind, _, key, _ in JOBS:
            out.append(f'    "Get{kind}": "{key}",\n')
        out.append("}\n")
        out.append('"""Get operation -> the response member that holds its items."""\n\n')
        out.append("ITEM_MODELS: dict[str, type[AWSModel]] = {\n")
        for kind, _, _, item in JOBS:
            out.append(f'    "Get{kind}": {item},\n')
        out.append("}\n")
        out.append('"""Get operation -> the model of one item of its list."""\n')
        return "".join(out)

    def check_jobs(self) -> None:
        """The JOBS table agrees with the service model (list key and item shape)."""
        for kind, _page, key, item in JOBS:
            members = self.shapes[f"Get{kind}Response"]["members"]
            list_shape = self.shapes[members[key]["shape"]]
            if list_shape["type"] != "list" or list_shape["member"]["shape"] != item:
                raise SystemExit(f"Get{kind}Response.{key} is not a list of {item}")
        for entry in VIDEO_OPERATIONS:
            values = get_parameters(self.shapes, self.operations, entry.kind)
            if set(values) != set(entry.get_defaults):
                raise SystemExit(f"Get{entry.kind} has {sorted(values)}; video_operations.py gives defaults for "
                                 f"{sorted(entry.get_defaults)}")
            for member, default in entry.get_defaults.items():
                if default not in values[member]:
                    raise SystemExit(f"Get{entry.kind}: default {member}={default} is not one of {values[member]}")


def _docstring(text: str, indent: str) -> str:
    lines = textwrap.wrap(text, WIDTH - len(indent) - 6, break_on_hyphens=False, break_long_words=False)
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""\n'
    body = "".join(f"{indent}{line}\n" for line in lines[1:])
    return f'{indent}"""{lines[0]}\n{body}{indent}"""\n'


def _render_all(names: list[str]) -> str:
    def key(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1, name)

    lines = "".join(f'    "{name}",\n' for name in sorted(names, key=key))
    return f"__all__ = [\n{lines}]\n\n"


def _render_literal(name: str, values: list[str]) -> str:
    items = ", ".join(f'"{v}"' for v in values)
    line = f"{name} = Literal[{items}]\n"
    if len(line) <= WIDTH:
        return line
    wrapped = textwrap.wrap(items, WIDTH - 4, break_on_hyphens=False, break_long_words=False)
    return f"{name} = Literal[\n" + "".join(f"    {w}\n" for w in wrapped) + "]\n"


def _render_model(model: Model) -> str:
    out = [f"class {model.name}({', '.join(model.bases)}):\n", _docstring(model.doc, "    ")]
    if model.fields:
        out.append("\n")
    for f in model.fields:
        args: list[str] = []
        if f.default is not None and f.default.startswith("lambda"):
            args.append(f"default_factory={f.default}")
        elif f.default is not None and f.alias is not None:
            args.append(f"default={f.default}")
        if f.alias is not None:
            args.append(f'alias="{f.alias}"')
        if args:
            value = f" = Field({', '.join(args)})"
        elif f.default is not None:
            value = f" = {f.default}"
        else:
            value = ""
        out.append(f"    {f.name}: {f.annotation}{value}\n")
        if f.doc:
            out.append(_docstring(f.doc, "    "))
    return "".join(out) + "\n"


# ---- constraints -----------------------------------------------------------------------------


def _kind(shape: dict[str, Any]) -> str:
    kind = shape["type"]
    return {"long": "integer", "double": "float"}.get(kind, kind)


def _literal(value: str) -> str:
    if '"' not in value and not value.endswith("\\"):
        return f'r"{value}"' if "\\" in value else f'"{value}"'
    return repr(value)


def _constraint(name: str, shape: dict[str, Any]) -> str:
    args = [f'"{name}"']
    keywords: list[str] = []
    for key in ("min", "max"):
        if key in shape:
            keywords.append(f"{key}={shape[key]!r}")
    if "pattern" in shape:
        keywords.append(f"pattern={_literal(shape['pattern'])}")
    if "enum" in shape:
        values = ", ".join(f'"{v}"' for v in shape["enum"])
        keywords.append(f"enum=({values}{',' if len(shape['enum']) == 1 else ''})")
    kind = _kind(shape)
    if kind != "string":
        keywords.append(f'kind="{kind}"')
    line = f"{upper_snake(name)} = Constraint({', '.join(args + keywords)})\n"
    if len(line) <= WIDTH:
        return line
    inner = "".join(f"    {a},\n" for a in args + keywords)
    return f"{upper_snake(name)} = Constraint(\n{inner})\n"


def input_leaves(shapes: dict[str, Any], shape_name: str, path: str = "") -> Iterator[tuple[str, str]]:
    """``(dotted path, shape name)`` of every scalar and list input member; list items at ``path[]``."""
    shape = shapes[shape_name]
    if shape["type"] == "structure":
        for member, ref in shape["members"].items():
            yield from input_leaves(shapes, ref["shape"], f"{path}.{member}" if path else member)
    elif shape["type"] == "list":
        yield path, shape_name
        yield from input_leaves(shapes, shape["member"]["shape"], f"{path}[]")
    else:
        yield path, shape_name


def required_paths(shapes: dict[str, Any], shape_name: str, path: str = "") -> Iterator[str]:
    shape = shapes[shape_name]
    if shape["type"] == "list":
        yield from required_paths(shapes, shape["member"]["shape"], f"{path}[]")
    if shape["type"] != "structure":
        return
    for member in shape.get("required", ()):
        yield f"{path}.{member}" if path else member
    for member, ref in shape["members"].items():
        yield from required_paths(shapes, ref["shape"], f"{path}.{member}" if path else member)


def _tuple_item(key: str, items: list[str]) -> str:
    """One ``"key": ("a", "b"),`` line of a dict of tuples, one item a line when it is too long."""
    inner = ", ".join(f'"{i}"' for i in items) + ("," if len(items) == 1 else "")
    line = f'    "{key}": ({inner}),\n'
    if len(line) <= WIDTH:
        return line
    return f'    "{key}": (\n' + "".join(f'        "{i}",\n' for i in items) + "    ),\n"


def render_constraints(service: dict[str, Any]) -> str:
    shapes = service["shapes"]
    operations = service["operations"]
    tables: dict[str, list[tuple[str, str]]] = {}
    used: list[str] = []
    for op in OPERATIONS:
        rows = list(input_leaves(shapes, operations[op]["input"]["shape"]))
        tables[op] = rows
        for _, shape_name in rows:
            if shape_name not in used:
                used.append(shape_name)
    out = [HEADER.format(version=API_VERSION)]
    out.append('"""The input constraints of the sixteen Rekognition Video Start*/Get* operations.\n\n'
               "Generated from botocore's service model (which botocore itself does not enforce) by\n"
               "``scripts/generate_models.py``. Each table maps a member path to its constraint: nested\n"
               "members are dotted (``Video.S3Object.Bucket``), the items of a list are at ``path[]``.\n"
               "Read them through :mod:`rekotrack._constraints`.\n"
               '"""\n\n')  # fmt: skip
    out.append("from __future__ import annotations\n\n")
    out.append("from rekotrack._constraint_base import Constraint\n\n")
    names = [upper_snake(n) for n in used] + [upper_snake(op) for op in OPERATIONS]
    names += ["MEMBERS", "OPERATIONS", "REQUIRED", "START_INPUTS", "TABLES"]
    out.append(_render_all(names))
    out.append("# ---- one constraint per input shape ----\n\n")
    for shape_name in sorted(used):
        out.append(_constraint(shape_name, shapes[shape_name]))
    out.append("\n# ---- input member path -> constraint, per operation ----\n")
    for op in OPERATIONS:
        out.append(f"\n{upper_snake(op)}: dict[str, Constraint] = {{\n")
        for path, shape_name in tables[op]:
            out.append(f'    "{path}": {upper_snake(shape_name)},\n')
        out.append("}\n")
    out.append("\nOPERATIONS: tuple[str, ...] = (\n" + "".join(f'    "{op}",\n' for op in OPERATIONS) + ")\n")
    out.append("\nTABLES: dict[str, dict[str, Constraint]] = {\n")
    out.append("".join(f'    "{op}": {upper_snake(op)},\n' for op in OPERATIONS) + "}\n")
    out.append('"""Operation -> its table."""\n')
    out.append("\nREQUIRED: dict[str, tuple[str, ...]] = {\n")
    for op in OPERATIONS:
        paths = list(required_paths(shapes, operations[op]["input"]["shape"]))
        out.append(_tuple_item(op, paths))
    out.append("}\n")
    out.append('"""Operation -> required member paths (a nested one only when its parent is present)."""\n')
    out.append("\nMEMBERS: dict[str, tuple[str, ...]] = {\n")
    for op in OPERATIONS:
        members = list(shapes[operations[op]["input"]["shape"]]["members"])
        out.append(_tuple_item(op, members))
    out.append("}\n")
    out.append('"""Operation -> its top-level input members, in the service model\'s order."""\n')
    out.append("\nSTART_INPUTS: dict[str, dict[str, str]] = {\n")
    for op in OPERATIONS:
        if not op.startswith("Start"):
            continue
        members = [m for m in shapes[operations[op]["input"]["shape"]]["members"] if m not in COMMON_START_INPUTS]
        out.append(f'    "{op}": {{' + ", ".join(f'"{snake(m)}": "{m}"' for m in members) + "},\n")
    out.append("}\n")
    out.append(
        '"""Start operation -> its own inputs (all but Video, ClientRequestToken, NotificationChannel and JobTag),\n'
        'as ``start()`` keyword argument (snake_case) -> input member."""\n'
    )
    return "".join(out)


# ---- errors ---------------------------------------------------------------------------------


def error_class_name(code: str) -> str:
    """``ThrottlingException`` -> ``ThrottlingError``; ``InternalServerError`` stays."""
    return code.removesuffix("Exception") + "Error" if code.endswith("Exception") else code


def render_errors(service: dict[str, Any]) -> str:
    operations = service["operations"]
    shapes = service["shapes"]
    per_op = {op: [e["shape"] for e in operations[op].get("errors", ())] for op in OPERATIONS}
    codes = sorted({code for found in per_op.values() for code in found})
    out = [HEADER.format(version=API_VERSION)]
    out.append('"""The error codes the sixteen Rekognition Video Start*/Get* operations declare.\n\n'
               "Generated from botocore's service model by ``scripts/generate_models.py``. Each code has\n"
               "its own exception class in :mod:`rekotrack._errors` (named ``ERROR_CLASS_NAMES[code]``).\n"
               '"""\n\n')  # fmt: skip
    out.append("from __future__ import annotations\n\n")
    out.append(_render_all(["ERROR_CLASS_NAMES", "ERROR_CODES", "ERROR_DOCS", "OPERATION_ERRORS"]))
    out.append("ERROR_CODES: tuple[str, ...] = (\n" + "".join(f'    "{c}",\n' for c in codes) + ")\n")
    out.append('"""Every code any of the sixteen operations declares."""\n\n')
    out.append("ERROR_CLASS_NAMES: dict[str, str] = {\n")
    out.append("".join(f'    "{c}": "{error_class_name(c)}",\n' for c in codes) + "}\n")
    out.append('"""Code -> the name of its class in rekotrack._errors."""\n\n')
    out.append("ERROR_DOCS: dict[str, str] = {\n")
    for c in codes:
        doc = first_sentence(shapes[c].get("documentation"), 240) or c
        item = f'    "{c}": "{doc}",\n'
        if len(item) > WIDTH:
            parts = textwrap.wrap(doc, WIDTH - 10, drop_whitespace=False, break_long_words=False)
            item = f'    "{c}": (\n' + "".join(f'        "{p}"\n' for p in parts) + "    ),\n"
        out.append(item)
    out.append("}\n")
    out.append('"""Code -> the first sentence of the service\'s description of it."""\n\n')
    out.append("OPERATION_ERRORS: dict[str, tuple[str, ...]] = {\n")
    for op in OPERATIONS:
        out.append(f'    "{op}": (\n' + "".join(f'        "{c}",\n' for c in per_op[op]) + "    ),\n")
    out.append("}\n")
    out.append('"""Operation -> the codes it declares, in the service model\'s order."""\n')
    return "".join(out)


# ---- operations: the specs, the servers' tables, the public names ----------------------------

GET_PAGING = ("JobId", "MaxResults", "NextToken")
"""The Get inputs every operation has; the others order or group the items (SortBy, AggregateBy)."""


def get_parameters(shapes: dict[str, Any], operations: dict[str, Any], kind: str) -> dict[str, tuple[str, ...]]:
    """The ordering/grouping inputs of ``Get{kind}`` -> their values, in the service model's order."""
    members = shapes[operations[f"Get{kind}"]["input"]["shape"]]["members"]
    return {m: tuple(shapes[ref["shape"]]["enum"]) for m, ref in members.items() if m not in GET_PAGING}


def _choices(values: tuple[str, ...], default: str) -> tuple[str, ...]:
    """``values`` with ``default`` first (the servers' order: what a Get without the member returns, then the rest)."""
    return (default, *(v for v in values if v != default))


def _tuple(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(f'"{v}"' for v in values) + ("," if len(values) == 1 else "") + ")"



def public_names(entry: VideoOperationEntry) -> dict[str, list[str]]:
    """Module (relative to rekotrack) -> the public names the generated facades of ``entry`` add."""
    if not entry.generated_classes:
        return {}
    return {
        "._generated.aio.video_jobs": [f"Async{entry.analyzer}", f"Async{entry.job}"],
        "._generated.sync.video_jobs": [entry.analyzer, entry.job],
        "._job_results": [entry.result],
    }


def render_operations(service: dict[str, Any]) -> str:
    """``operations.py``: the operations as plain data (no imports: cheap to read anywhere)."""
    shapes, operations = service["shapes"], service["operations"]
    out = [HEADER.format(version=API_VERSION)]
    out.append('"""The eight Rekognition Video operations as plain data, from ``scripts/video_operations.py``.\n\n'
               "Read by the server (``rekotrack.server._operations``) and the synthetic server\n"
               "(``rekotrack.testing._jobs``); the typed specs the engine reads are in\n"
               ":mod:`rekotrack._generated.specs`, the generated public names in\n"
               ":mod:`rekotrack._generated.public`.\n"
               '"""\n\n')  # fmt: skip
    out.append("from __future__ import annotations\n\n")
    names = ["FACADE_KINDS", "GET_DEFAULTS", "ITEMS_METHODS", "KINDS", "PUBLIC_NAMES", "RESULT_CLASSES", "SERVED"]
    out.append(_render_all(names))
    out.append("KINDS: tuple[str, ...] = (\n" + "".join(f'    "{e.kind}",\n' for e in VIDEO_OPERATIONS) + ")\n")
    out.append('"""Every job kind (``Start{kind}``/``Get{kind}``), person tracking first."""\n\n')
    facades = [e.kind for e in VIDEO_OPERATIONS if e.generated_classes]
    out.append("FACADE_KINDS: tuple[str, ...] = (\n" + "".join(f'    "{k}",\n' for k in facades) + ")\n")
    out.append('"""The kinds whose facades are generated (all but person tracking, written by hand)."""\n\n')
    out.append("SERVED: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (\n")
    for entry in VIDEO_OPERATIONS:
        values = get_parameters(shapes, operations, entry.kind)
        sort_by = _choices(values["SortBy"], entry.get_defaults["SortBy"]) if "SortBy" in values else ()
        aggregate = values.get("AggregateBy", ())
        aggregate_by = _choices(aggregate, entry.get_defaults["AggregateBy"]) if aggregate else ()
        out.append(f'    ("{entry.kind}", "{entry.list_key}", {_tuple(sort_by)}, {_tuple(aggregate_by)}),\n')
    out.append(")\n")
    out.append('"""Per kind: the list key of a Get page, the values of Get\'s SortBy and of its AggregateBy,\n'
               'each with the service\'s default first (empty: the Get has no such member)."""\n\n')  # fmt: skip
    out.append("GET_DEFAULTS: dict[str, dict[str, str]] = {\n")
    for entry in VIDEO_OPERATIONS:
        inner = ", ".join(f'"{m}": "{v}"' for m, v in entry.get_defaults.items())
        out.append(f'    "{entry.kind}": {{{inner}}},\n')
    out.append("}\n")
    out.append('"""Kind -> what the service uses when a Get leaves an ordering/grouping member out."""\n\n')
    out.append("ITEMS_METHODS: dict[str, str] = {\n")
    out.append("".join(f'    "{e.kind}": "{e.items_method}",\n' for e in VIDEO_OPERATIONS) + "}\n")
    out.append('"""Kind -> the facade\'s name for its items (``labels``)."""\n\n')
    out.append("RESULT_CLASSES: dict[str, str] = {\n")
    out.append("".join(f'    "{e.kind}": "{e.result}",\n' for e in VIDEO_OPERATIONS) + "}\n")
    out.append('"""Kind -> the name of the compact result class of ``collect()``."""\n\n')
    out.append("PUBLIC_NAMES: dict[str, tuple[str, ...]] = {\n")
    out.append("".join(_tuple_item(module, names) for module, names in _public_modules().items()) + "}\n")
    out.append('"""The generated part of ``rekotrack``\'s public names: module -> names (its lazy table and\n'
               '``__all__`` add them; :mod:`rekotrack._generated.public` imports them for type checkers)."""\n')  # fmt: skip
    return "".join(out)


def _public_modules() -> dict[str, list[str]]:
    modules: dict[str, list[str]] = {}
    for entry in VIDEO_OPERATIONS:
        for module, names in public_names(entry).items():
            modules.setdefault(module, []).extend(names)
    return {module: sorted(names) for module, names in sorted(modules.items())}


def render_public() -> str:
    """``public.py``: the public names the generated facades add to ``rekotrack`` (for type checkers and docs)."""
    modules = _public_modules()
    out = [HEADER.format(version=API_VERSION)]
    out.append('"""The generated part of ``rekotrack``\'s public names, from ``scripts/video_operations.py``.\n\n'
               "``rekotrack/__init__.py`` star-imports this module under ``TYPE_CHECKING`` (for type checkers\n"
               "and the API reference) and reads the same names, at run time, from\n"
               ":data:`rekotrack._generated.operations.PUBLIC_NAMES` (its lazy table and ``__all__``).\n"
               '"""\n\n')  # fmt: skip
    out.append("from __future__ import annotations\n\n")
    for module, names in modules.items():  # one a line, as ruff's isort writes `import X as X`
        out.append("".join(f"from rekotrack{module} import {n} as {n}\n" for n in sorted(names, key=str.lower)))
    out.append("\n")
    out.append(_render_all([name for names in modules.values() for name in names]).rstrip("\n") + "\n")
    return "".join(out)


def render_specs(service: dict[str, Any]) -> str:
    """``specs.py``: the typed :class:`VideoOperation` of each kind (what the engine reads)."""
    shapes, operations = service["shapes"], service["operations"]
    out = [HEADER.format(version=API_VERSION)]
    out.append('"""The spec of each Rekognition Video operation: one :class:`VideoOperation` per kind.\n\n'
               "Each is read from the generated tables of botocore's service model (page and item\n"
               "models, Start and Get constraint tables, required Start members, Start inputs by\n"
               "keyword, ``SortBy``/``AggregateBy`` exactly where the Get input has them) and from\n"
               "``scripts/video_operations.py`` (list key, the service's defaults).\n"
               '"""\n\n')  # fmt: skip
    out.append("from __future__ import annotations\n\n")
    out.append("from typing import Any\n\n")
    out.append("from rekotrack._core._operation_spec import GetParameter, VideoOperation\n")
    out.append("from rekotrack._generated import constraints as c\n")
    models = sorted({name for e in VIDEO_OPERATIONS for name in (e.page, e.item)})
    out.append("from rekotrack._generated.models import (\n" + "".join(f"    {m},\n" for m in models) + ")\n\n")
    names = [upper_snake(e.kind) for e in VIDEO_OPERATIONS]
    out.append(_render_all([*names, "VIDEO_JOBS", "VIDEO_OPERATIONS"]))
    for entry in VIDEO_OPERATIONS:
        start, get = f"Start{entry.kind}", f"Get{entry.kind}"
        out.append(f"{upper_snake(entry.kind)}: VideoOperation[{entry.page}, {entry.item}] = VideoOperation(\n")
        out.append(f'    name="{entry.kind}",\n')
        out.append(f'    list_key="{entry.list_key}",\n')
        out.append(f"    page_model={entry.page},\n")
        out.append(f"    item_model={entry.item},\n")
        out.append(f"    start_constraints=c.{upper_snake(start)},\n")
        out.append(f"    get_constraints=c.{upper_snake(get)},\n")
        out.append(f'    start_required=c.REQUIRED["{start}"],\n')
        out.append(f'    start_inputs=c.START_INPUTS["{start}"],\n')
        members = shapes[operations[get]["input"]["shape"]]["members"]
        for member in get_parameters(shapes, operations, entry.kind):
            constraint = upper_snake(members[member]["shape"])
            default = entry.get_defaults[member]
            out.append(f'    {snake(member)}=GetParameter("{member}", c.{constraint}, default="{default}"),\n')
        out.append(")\n\n")
    out.append("VIDEO_OPERATIONS: dict[str, VideoOperation[Any, Any]] = {\n")
    out.append("".join(f"    {upper_snake(e.kind)}.name: {upper_snake(e.kind)},\n" for e in VIDEO_OPERATIONS) + "}\n")
    out.append('"""Kind (``LabelDetection``) -> its spec, person tracking first."""\n\n')
    out.append("VIDEO_JOBS: dict[str, VideoOperation[Any, Any]] = {\n")
    facades = [e for e in VIDEO_OPERATIONS if e.generated_classes]
    out.append("".join(f"    {upper_snake(e.kind)}.name: {upper_snake(e.kind)},\n" for e in facades) + "}\n")
    out.append('"""The kinds with generated facades (all but person tracking) -> their spec."""\n')
    return "".join(out)


# ---- the flat per-operation facades, both shells ----------------------------------------------

FACADE_MODULE = "video_jobs.py"
FACADE_FOLDERS = ("aio", "sync")


def _start_annotation(shapes: dict[str, Any], shape_name: str) -> str:
    """The ``start()`` keyword's type: enums as their Literal, lists as Sequence, models or plain mappings."""
    shape = shapes[shape_name]
    kind = shape["type"]
    if kind == "list":
        return f"Sequence[{_start_annotation(shapes, shape['member']['shape'])}]"
    if kind == "structure":
        return f"{shape_name} | Mapping[str, Any]"
    if kind == "string":
        return shape_name if "enum" in shape else "str"
    if kind in ("float", "double"):
        return "float"
    if kind in ("integer", "long"):
        return "int"
    raise SystemExit(f"start input shape {shape_name}: kind {kind} is not handled")


def start_keywords(shapes: dict[str, Any], operations: dict[str, Any], kind: str) -> list[tuple[str, str, bool]]:
    """``(keyword, annotation, required)`` of each own Start input, in the service model's order."""
    request = shapes[operations[f"Start{kind}"]["input"]["shape"]]
    required = set(request.get("required", ()))
    return [
        (snake(member), _start_annotation(shapes, ref["shape"]), member in required)
        for member, ref in request["members"].items()
        if member not in COMMON_START_INPUTS
    ]


class FacadeWriter:
    """The asynchronous source text of ``_generated/aio/video_jobs.py`` (the sync one is unasync of it)."""

    def __init__(self, service: dict[str, Any]) -> None:
        self.shapes: dict[str, Any] = service["shapes"]
        self.operations: dict[str, Any] = service["operations"]
        self.model_names: set[str] = set()

    def options(self, entry: VideoOperationEntry) -> list[tuple[str, str]]:
        """``(keyword, Literal type)`` of the Get's ordering/grouping members (sort_by, aggregate_by)."""
        members = self.shapes[self.operations[f"Get{entry.kind}"]["input"]["shape"]]["members"]
        found = []
        for member in get_parameters(self.shapes, self.operations, entry.kind):
            shape = members[member]["shape"]
            self.model_names.add(shape)
            found.append((snake(member), shape))
        return found

    def render_entry(self, entry: VideoOperationEntry) -> str:
        page, item, result, method = entry.page, entry.item, entry.result, entry.items_method
        analyzer, job = f"Async{entry.analyzer}", f"Async{entry.job}"
        self.model_names.update((page, item))
        options = self.options(entry)
        params = "".join(f"        {kw}: {ann} | None = None,\n" for kw, ann in options)
        passed = "".join(f"{kw}={kw}, " for kw, _ in options)
        pager_t = f"AsyncPager[{page}, {item}]"
        human = snake(entry.kind).replace("_", " ")
        out: list[str] = []
        w = out.append
        # ---- the job
        w(f"\n\nclass {job}(AsyncVideoJob[{page}, {item}, {result}]):\n")
        w(f'    """A started {human} job; ``{method}()`` is its items."""\n\n')
        w(f"    tracker: {analyzer}\n\n")
        w("    async def wait(\n")
        w("        self, timeout: float = 3600.0, *, queue: AsyncCompletionSource | None = None, **kwargs: Any\n")
        w(f"    ) -> {page}:\n")
        w('        """Wait for the job to end; see the tracker\'s ``wait``."""\n')
        w("        return await super().wait(timeout, queue=queue, **kwargs)\n\n")
        job_items_params = (f"{params}        page_size: int = 1000,\n        starting_token: str | None = None,\n"
                            "        max_items: int | None = None,\n        timeout: float = 3600.0,\n"
                            "        queue: AsyncCompletionSource | None = None,\n        **unexpected: Never,\n")  # fmt: skip
        w(f"    def {method}(\n        self,\n        *,\n{job_items_params}    ) -> {pager_t}:\n")
        w(_docstring(f"Every :class:`{item}` of the job, lazily, after waiting for it (up to ``timeout`` s). "
                     "Same as ``items()``.", "        "))  # fmt: skip
        w("        self.tracker._refuse(unexpected)\n")
        w("        return self._job_items(\n            timeout,\n            queue,\n")
        w("".join(f"            {kw}={kw},\n" for kw, _ in options))
        w("            page_size=page_size,\n            starting_token=starting_token,\n"
          "            max_items=max_items,\n        )\n\n")  # fmt: skip
        w(f"    def items(\n        self,\n        *,\n{job_items_params}    ) -> {pager_t}:\n")
        w(f'        """The generic name of ``{method}()``."""\n')
        w(f"        return self.{method}(\n")
        w("".join(f"            {kw}={kw},\n" for kw, _ in options))
        w("            page_size=page_size,\n            starting_token=starting_token,\n            max_items=max_items,\n"
          "            timeout=timeout,\n            queue=queue,\n            **unexpected,\n        )\n\n")  # fmt: skip
        w(f"    def pages(\n        self,\n        *,\n{params}        page_size: int = 1000,\n"
          f"        timeout: float = 3600.0,\n        **unexpected: Never,\n    ) -> AsyncIterator[{page}]:\n")  # fmt: skip
        w('        """The job\'s pages, lazily, after waiting for the job."""\n')
        w("        self.tracker._refuse(unexpected)\n")
        w(f"        return self._job_items(timeout, None, {passed}page_size=page_size).pages()\n\n")
        w(f"    async def collect(\n        self,\n        *,\n{params}        page_size: int = 1000,\n"
          "        timeout: float = 3600.0,\n        queue: AsyncCompletionSource | None = None,\n"
          f"        **unexpected: Never,\n    ) -> {result}:\n")  # fmt: skip
        w(f'        """Wait for the job, then gather every item in a compact :class:`{result}`."""\n')
        w("        self.tracker._refuse(unexpected)\n")
        w(f"        found: {result} = await self._job_collect(\n            timeout, queue, {passed}page_size=page_size\n        )\n")
        w("        return found\n")
        # ---- the analyzer
        w(f"\n\nclass {analyzer}(AsyncVideoJobAnalyzer[{page}, {item}]):\n")
        w(_docstring(f"Start{entry.kind} / Get{entry.kind}: {entry.summary} (``{method}()`` → :class:`{item}`).",
                     "    "))  # fmt: skip
        w("\n")
        w(f"    _operation: ClassVar[VideoOperation[Any, Any]] = {upper_snake(entry.kind)}\n")
        if entry.pager:
            w(f"    _pager_class = Async{entry.pager}\n")
        w(f"    _result_class = {result}\n")
        w(f"    _job_class = {job}\n\n")
        keywords = start_keywords(self.shapes, self.operations, entry.kind)
        for _, annotation, _ in keywords:
            self.model_names.update(re.findall(r"[A-Z]\w+", annotation))
        w("    async def start(\n        self,\n        video: str | Video,\n        *,\n")
        w("".join(f"        {kw}: {ann},\n" for kw, ann, req in keywords if req))
        w("        notification: NotificationChannel | None = None,\n        job_tag: str | None = None,\n"
          "        client_request_token: str | None = None,\n")  # fmt: skip
        w("".join(f"        {kw}: {ann} | None = None,\n" for kw, ann, req in keywords if not req))
        w(f"    ) -> {job}:\n")
        w(_docstring(f"Start {human} in ``video``; every input is checked before any request.", "        "))
        inputs = ", ".join(f'"{kw}": {kw}' for kw, _, req in keywords if req)
        inputs += (", " if inputs else "") + ", ".join(f'"{kw}": {kw}' for kw, _, req in keywords if not req)
        w(f"        inputs: dict[str, Any] = {{{inputs}}}\n")
        w(f"        job: {job} = await self._start_with(\n"
          "            video, notification, job_tag, client_request_token, inputs\n        )\n"
          "        return job\n\n")  # fmt: skip
        w(f"    async def status(self, job_id: str) -> {page}:\n")
        w('        """The job\'s status: the first Get page (``MaxResults=1``), checked for integrity."""\n')
        w("        return await super().status(job_id)\n\n")
        w("    async def wait(\n        self,\n        job_id: str,\n        timeout: float = 3600.0,\n        *,\n"
          "        queue: AsyncCompletionSource | None = None,\n        poll_interval: float = 5.0,\n"
          "        max_poll_interval: float = 60.0,\n        status_check_interval: float = 10.0,\n"
          f"        on_status: Callable[[{page}], None] | None = None,\n    ) -> {page}:\n")  # fmt: skip
        w('        """Wait until the job ends; return its status page when it SUCCEEDED (as the person tracker does)."""\n')
        w("        return await super().wait(\n            job_id,\n            timeout,\n            queue=queue,\n"
          "            poll_interval=poll_interval,\n            max_poll_interval=max_poll_interval,\n"
          "            status_check_interval=status_check_interval,\n            on_status=on_status,\n        )\n\n")  # fmt: skip
        w("    async def get_page(\n        self,\n        job_id: str,\n        next_token: str | None = None,\n"
          f"        max_results: int = 1000,\n{params}        **unexpected: Never,\n    ) -> {page}:\n")  # fmt: skip
        w('        """One Get page, retried under the policy and checked for integrity."""\n')
        w("        self._refuse(unexpected)\n")
        w(f"        return await self._get_page(job_id, next_token, max_results, {passed.rstrip(', ')})\n\n"
          if options else "        return await self._get_page(job_id, next_token, max_results)\n\n")
        items_params = (f"{params}        page_size: int = 1000,\n        starting_token: str | None = None,\n"
                        "        max_items: int | None = None,\n        **unexpected: Never,\n")  # fmt: skip
        w(f"    def {method}(\n        self,\n        job_id: str,\n        *,\n{items_params}    ) -> {pager_t}:\n")
        w(_docstring(f"Every :class:`{item}` of a finished job, lazily, at most two pages in memory at a time. "
                     "``starting_token`` continues after an interruption (the pager's ``resume_token``), "
                     "``max_items`` stops early. Same as ``items()``.", "        "))  # fmt: skip
        w("        self._refuse(unexpected)\n")
        w("        return self._items(\n            job_id,\n")
        w("".join(f"            {kw}={kw},\n" for kw, _ in options))
        w("            page_size=page_size,\n            starting_token=starting_token,\n"
          "            max_items=max_items,\n        )\n\n")  # fmt: skip
        w(f"    def items(\n        self,\n        job_id: str,\n        *,\n{items_params}    ) -> {pager_t}:\n")
        w(f'        """The generic name of ``{method}()``."""\n')
        w(f"        return self.{method}(\n            job_id,\n")
        w("".join(f"            {kw}={kw},\n" for kw, _ in options))
        w("            page_size=page_size,\n            starting_token=starting_token,\n            max_items=max_items,\n"
          "            **unexpected,\n        )\n\n")  # fmt: skip
        w(f"    def pages(\n        self,\n        job_id: str,\n        *,\n{params}        page_size: int = 1000,\n"
          f"        **unexpected: Never,\n    ) -> AsyncIterator[{page}]:\n")  # fmt: skip
        w(f'        """Every ``{page}`` of a finished job, lazily."""\n')
        w("        self._refuse(unexpected)\n")
        w(f"        return self._items(job_id, {passed}page_size=page_size).pages()\n\n")
        w(f"    async def collect(\n        self,\n        job_id: str,\n        *,\n{params}        page_size: int = 1000,\n"
          f"        **unexpected: Never,\n    ) -> {result}:\n")  # fmt: skip
        w(f'        """Every item of a finished job in a compact :class:`{result}`."""\n')
        w("        self._refuse(unexpected)\n")
        w(f"        pager = self._items(job_id, {passed}page_size=page_size)\n")
        w(f"        found: {result} = await self._collect_result(pager, job_id)\n")
        w("        return found\n\n")
        w("    def track_many(\n        self,\n        videos: Iterable[VideoT],\n        *,\n"
          "        queue: AsyncCompletionQueue,\n        max_concurrent: int = 20,\n        timeout: float = 3600.0,\n"
          "        job_tag: str | None = None,\n        status_check_interval: float = 10.0,\n        **inputs: Any,\n"
          f"    ) -> AsyncIterator[tuple[VideoT, {job} | RekotrackError]]:\n")  # fmt: skip
        w(_docstring("Start a batch under the concurrent-job limit; yield ``(video, job or error)`` as each ends. "
                     "``inputs`` are the Start inputs of ``start()`` (a name the operation does not have is a "
                     ":class:`RequestValidationError` now).", "        "))  # fmt: skip
        w("        return self._track_many(\n            videos,\n            queue=queue,\n"
          "            max_concurrent=max_concurrent,\n            timeout=timeout,\n            job_tag=job_tag,\n"
          "            status_check_interval=status_check_interval,\n            inputs=inputs,\n        )\n")  # fmt: skip
        return "".join(out)

    def render(self, sync: bool = False) -> str:
        """The asynchronous source; ``sync``: its imports in the order they take once unasync renames them."""
        self.model_names = set()
        facades = [e for e in VIDEO_OPERATIONS if e.generated_classes]
        body = "".join(self.render_entry(entry) for entry in facades)
        models = sorted(self.model_names - {"Video", "Any", "Mapping", "Sequence"}, key=str.lower)
        names = sorted([f"Async{e.analyzer}" for e in facades] + [f"Async{e.job}" for e in facades])
        pagers = sorted(f"Async{e.pager}" for e in facades if e.pager)
        specs_ = sorted(upper_snake(e.kind) for e in facades)
        results = sorted(e.result for e in facades)
        out = ['"""The flat per-operation facades of the Video jobs, generated from ``scripts/video_operations.py``.\n\n'
               "Each class writes out its public methods with the operation's own types (the Get\n"
               "options it has, its Start inputs, its page, item and result) and calls the private,\n"
               "generic plumbing of the one hand-written base (``rekotrack._aio._video_jobs``) with\n"
               "explicit keywords. Import them from :mod:`rekotrack`.\n"
               '"""\n\n']  # fmt: skip
        out.append("from __future__ import annotations\n\n")
        out.append("from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence\n")
        out.append("from typing import TYPE_CHECKING, Any, ClassVar, TypeVar\n\n")
        bases = sorted([*pagers, "AsyncVideoJob", "AsyncVideoJobAnalyzer"])
        imports = {  # module -> its import statement; sorted per shell (isort order differs: _aio < _core < _sync)
            "rekotrack._aio._engine": "from rekotrack._aio._engine import AsyncCompletionSource\n",
            "rekotrack._aio._pager": "from rekotrack._aio._pager import AsyncPager\n",
            "rekotrack._aio._video_jobs": f"from rekotrack._aio._video_jobs import {', '.join(bases)}\n",
            "rekotrack._core._operation": "from rekotrack._core._operation import VideoOperation\n",
            "rekotrack._errors": "from rekotrack._errors import RekotrackError\n",
            "rekotrack._generated.models": (
                "from rekotrack._generated.models import (\n" + "".join(f"    {m},\n" for m in models) + ")\n"
            ),
            "rekotrack._generated.specs": (
                "from rekotrack._generated.specs import (\n" + "".join(f"    {s},\n" for s in specs_) + ")\n"
            ),
            "rekotrack._job_results": (
                "from rekotrack._job_results import (\n" + "".join(f"    {r},\n" for r in results) + ")\n"
            ),
            "rekotrack._models": "from rekotrack._models import NotificationChannel, Video\n",
        }
        order = sorted(imports, key=lambda module: module.replace("._aio.", "._sync.") if sync else module)
        out.append("".join(imports[module] for module in order) + "\n")
        out.append("if TYPE_CHECKING:\n    from typing_extensions import Never\n\n"
                   "    from rekotrack._aio._queue import AsyncCompletionQueue\n\n")  # fmt: skip
        out.append(_render_all(names).rstrip("\n") + "\n\n")
        out.append('VideoT = TypeVar("VideoT", bound="str | Video")\n')
        out.append(body)
        return "".join(out)


def render_facades(service: dict[str, Any]) -> dict[str, str]:
    """``aio/video_jobs.py`` and its synchronous twin ``sync/video_jobs.py`` (scripts/unasync.py's rules)."""
    from unasync import unasync  # scripts/unasync.py: the same replacements as the rest of the sync shell

    writer = FacadeWriter(service)
    source, sync_source = writer.render(), writer.render(sync=True)
    header = HEADER.format(version=API_VERSION)
    init = header + '"""Generated facades ({shell}); see ``video_jobs``."""\n'
    return {
        "aio/__init__.py": init.format(shell="asynchronous"),
        "aio/video_jobs.py": header + source,
        "sync/__init__.py": init.format(shell="synchronous"),
        "sync/video_jobs.py": header + unasync(sync_source),
    }


# ---- driver --------------------------------------------------------------------------------


def render_all() -> dict[str, str]:
    service = load_model()
    writer = ModelWriter(service)
    writer.check_jobs()
    init = (HEADER.format(version=API_VERSION)
            + '"""Code generated from botocore\'s service model by ``scripts/generate_models.py``."""\n')  # fmt: skip
    return {
        "__init__.py": init,
        "models.py": writer.render(),
        "constraints.py": render_constraints(service),
        "errors.py": render_errors(service),
        "operations.py": render_operations(service),
        "public.py": render_public(),
        "specs.py": render_specs(service),
        **render_facades(service),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the files in the output folder are stale")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    files = render_all()
    out: Path = args.out
    if args.check:
        stale = [n for n, text in files.items() if not (out / n).is_file() or (out / n).read_text() != text]
        found = [p.relative_to(out).as_posix() for p in out.rglob("*.py")] if out.is_dir() else []
        extra = sorted(n for n in found if n not in files)
        for name in stale:
            print(f"stale: {out / name} (run python scripts/generate_models.py)", file=sys.stderr)
        for name in extra:
            print(f"not generated: {out / name}", file=sys.stderr)
        return 1 if stale or extra else 0
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
