"""The input constraints of the sixteen Rekognition Video Start*/Get* operations, and the check.

The tables are generated from botocore's service model (rekognition
2016-06-27), which botocore itself does not enforce, into
:mod:`rekotrack._generated.constraints` by ``scripts/generate_models.py``. The
SDK validates requests against them and the local server
(``rekotrack.testing``) answers InvalidParameterException from them.
``tests/unit/test_constraints.py`` proves the tables match botocore's model.

A table maps a member path to its :class:`Constraint`: nested members are
dotted (``Video.S3Object.Bucket``), the items of a list are at ``path[]``
(``Features[]``), and the list itself at ``path`` (its number of items).

- :func:`check_request` lists every rule a request breaks, the way the service
  would (shared by the SDK and the local server);
- :func:`request_error` / :func:`validate_request` give the first one as a
  :class:`~rekotrack.RequestValidationError`, adding the SDK's own stricter rules
  (``MaxResults <= 1000``, no empty ``NextToken``, no unknown member).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ._constraint_base import Constraint, ConstraintKind
from ._errors import RequestValidationError
from ._generated.constraints import (
    CLIENT_REQUEST_TOKEN,
    COLLECTION_ID,
    FACE_ATTRIBUTES,
    GET_PERSON_TRACKING,
    JOB_ID,
    JOB_TAG,
    MAX_RESULTS,
    MEMBERS,
    OPERATIONS,
    PAGINATION_TOKEN,
    PERCENT,
    PERSON_TRACKING_SORT_BY,
    REQUIRED,
    ROLE_ARN,
    S3_BUCKET,
    S3_OBJECT_NAME,
    S3_OBJECT_VERSION,
    SEGMENT_TYPE,
    SEGMENT_TYPES,
    SNS_TOPIC_ARN,
    START_INPUTS,
    START_PERSON_TRACKING,
    TABLES,
)

__all__ = [
    "CLIENT_REQUEST_TOKEN",
    "COLLECTION_ID",
    "FACE_ATTRIBUTES",
    "GET_PERSON_TRACKING",
    "JOB_ID",
    "JOB_TAG",
    "MAX_RESULTS",
    "MAX_RESULTS_LIMIT",
    "MEMBERS",
    "NUL_FREE",
    "OPERATIONS",
    "PAGINATION_TOKEN",
    "PERCENT",
    "REQUIRED",
    "ROLE_ARN",
    "S3_BUCKET",
    "S3_OBJECT_NAME",
    "S3_OBJECT_VERSION",
    "SEGMENT_TYPE",
    "SEGMENT_TYPES",
    "SNS_TOPIC_ARN",
    "SORT_BY",
    "START_INPUTS",
    "START_PERSON_TRACKING",
    "TABLES",
    "Constraint",
    "ConstraintKind",
    "check_request",
    "enum_values",
    "request_error",
    "required",
    "table",
    "validate_request",
]

# The model says only min 1; the service caps larger values at 1000 silently.
# rekotrack refuses them (a silent cap hides bugs); the local server caps like AWS.
MAX_RESULTS_LIMIT = 1000
SORT_BY = PERSON_TRACKING_SORT_BY
"""GetPersonTracking's SortBy (the name the person-tracking code has always used)."""

NUL_FREE: tuple[str, ...] = ("Video.S3Object.Name", "Video.S3Object.Version")
"""Members that must not contain a NUL character. Not in the service model: S3 keys cannot hold one,
so a Start with one could only fail later, as InvalidS3ObjectException."""

Problem = tuple[str, object, str]
"""``(member path, value, what is wrong)``; list items have their index in the path (``Features[0]``)."""


def _known(operation: str) -> Mapping[str, Constraint]:
    found = TABLES.get(operation)
    if found is None:
        raise ValueError(f"unknown operation {operation!r}; expected one of {', '.join(OPERATIONS)}")
    return found


def table(operation: str) -> Mapping[str, Constraint]:
    """The constraint table of one of the sixteen operations (``ValueError`` for any other)."""
    return _known(operation)


def required(operation: str) -> tuple[str, ...]:
    """The required member paths of ``operation`` (a nested one only when its parent is given)."""
    _known(operation)
    return REQUIRED[operation]


def enum_values(operation: str, path: str) -> tuple[str, ...] | None:
    """The allowed values of an enum member (``SortBy``, ``AggregateBy``, ``FaceAttributes``...), or None.

    None when ``operation`` has no such member or it is not an enum: GetFaceDetection
    has no SortBy, so ``enum_values("GetFaceDetection", "SortBy")`` is None.
    """
    constraint = _known(operation).get(path)
    return constraint.enum if constraint is not None else None


def _find(node: object, parts: list[str], prefix: str) -> Iterator[tuple[str, object]]:
    """``(concrete path, value)`` of every present value at ``parts`` (``X[]`` walks the items of list X)."""
    if not parts:
        yield prefix, node
        return
    part, rest = parts[0], parts[1:]
    if part == "[]":
        if isinstance(node, (list, tuple)):
            for i, item in enumerate(node):
                yield from _find(item, rest, f"{prefix}[{i}]")
        return
    if isinstance(node, Mapping) and part in node:
        yield from _find(node[part], rest, f"{prefix}.{part}" if prefix else part)


def _split(path: str) -> list[str]:
    """``A.B[].C`` -> ``["A", "B", "[]", "C"]``."""
    parts: list[str] = []
    for part in path.split("."):
        while part.endswith("[]"):
            parts.append(part[:-2])
            parts.append("[]")
            part = ""
        if part:
            parts.append(part)
    return [p for p in parts if p]


def _structures(operation: str) -> dict[str, set[str]]:
    """Every structure path of ``operation`` -> the names of its members (from the table's paths)."""
    found = _STRUCTURES.get(operation)
    if found is None:
        found = {"": set(MEMBERS[operation])}
        for path in TABLES[operation]:
            parts = _split(path)
            for i, part in enumerate(parts):
                if part == "[]":
                    continue
                parent = ".".join(parts[:i]).replace(".[]", "[]")
                found.setdefault(parent, set()).add(part)
        _STRUCTURES[operation] = found
    return found


_STRUCTURES: dict[str, dict[str, set[str]]] = {}


def check_request(operation: str, params: Mapping[str, object], *, strict: bool = False) -> list[Problem]:
    """Every constraint ``params`` breaks, as ``(member path, value, problem)``, in table order.

    Checks required members (a nested one only when its parent is present), that
    every structure is an object and every list a list, then each value against its
    constraint, and that S3 key names hold no NUL character. With ``strict`` it also
    reports members the operation does not have (the service ignores them; botocore
    and rekotrack refuse them). Shared by the SDK and the local server.
    """
    constraints = _known(operation)
    found: list[Problem] = []
    for path in REQUIRED[operation]:
        parent, _, leaf = path.rpartition(".")
        holders = list(_find(params, _split(parent), "")) if parent else [("", params)]
        for where, holder in holders:
            if isinstance(holder, Mapping) and leaf not in holder:
                found.append((f"{where}.{leaf}" if where else leaf, None, "is required"))
    structures = _structures(operation)
    for path, members in structures.items():
        for where, value in _find(params, _split(path), "") if path else [("", params)]:
            if not isinstance(value, Mapping):
                found.append((where, value, f"must be an object, not {type(value).__name__}"))
            elif strict:
                for name in value:
                    if name not in members:
                        unknown = f"{where}.{name}" if where else str(name)
                        found.append((unknown, value[name], f"is not a parameter of {operation}"))
    for path, constraint in constraints.items():
        for where, value in _find(params, _split(path), ""):
            problem = constraint.problem(value)
            if problem is None and path in NUL_FREE and isinstance(value, str) and "\x00" in value:
                problem = "must not contain a NUL character"
            if problem is not None:
                found.append((where, value, problem))
    return found


def request_error(operation: str, params: Mapping[str, object]) -> RequestValidationError | None:
    """The first rule ``params`` breaks, as the SDK raises it (None when the request is good).

    The service's rules (:func:`check_request` with ``strict``) plus the SDK's own:
    ``MaxResults`` at most 1000 (the service would cap it silently) and no empty
    ``NextToken``. The error names the parameter, the rule and the value.
    """
    problems = check_request(operation, params, strict=True)
    if problems:
        path, value, rule = problems[0]
        return RequestValidationError(path, rule, value)
    max_results = params.get("MaxResults")
    if isinstance(max_results, int) and max_results > MAX_RESULTS_LIMIT:
        return RequestValidationError("MaxResults", f"must be <= {MAX_RESULTS_LIMIT}", max_results)
    if params.get("NextToken") == "":
        return RequestValidationError("NextToken", "must not be empty", "")
    return None


def validate_request(operation: str, params: Mapping[str, object]) -> None:
    """Raise :func:`request_error`'s error, if there is one."""
    error = request_error(operation, params)
    if error is not None:
        raise error
