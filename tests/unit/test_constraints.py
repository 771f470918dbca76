"""The constraint table in rekotrack._constraints is botocore's service model, exactly."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from rekotrack import _constraints as c

SERVICE = botocore.session.get_session().get_service_model("rekognition")
TABLES = {"StartPersonTracking": c.START_PERSON_TRACKING, "GetPersonTracking": c.GET_PERSON_TRACKING}


def _input_leaves(shape: Any, path: str = "") -> dict[str, Any]:
    """Every scalar input member, by dotted path, found by walking the model."""
    if shape.type_name == "structure":
        found: dict[str, Any] = {}
        for name, member in shape.members.items():
            found.update(_input_leaves(member, f"{path}.{name}" if path else name))
        return found
    assert shape.type_name in ("string", "integer", "long"), f"{path}: unexpected input kind {shape.type_name}"
    return {path: shape}


def _required_paths(shape: Any, path: str = "") -> set[str]:
    found: set[str] = set()
    if shape.type_name != "structure":
        return found
    for name in shape.required_members:
        found.add(f"{path}.{name}" if path else name)
    for name, member in shape.members.items():
        found |= _required_paths(member, f"{path}.{name}" if path else name)
    return found


def _rows() -> list[tuple[str, str, Any]]:
    rows = []
    for operation in TABLES:
        for path, shape in _input_leaves(SERVICE.operation_model(operation).input_shape).items():
            rows.append((operation, path, shape))
    return rows


ROWS = _rows()


def test_walk_found_every_input_member() -> None:
    assert {(op, path) for op, path, _ in ROWS} == {
        ("StartPersonTracking", "ClientRequestToken"),
        ("StartPersonTracking", "JobTag"),
        ("StartPersonTracking", "Video.S3Object.Bucket"),
        ("StartPersonTracking", "Video.S3Object.Name"),
        ("StartPersonTracking", "Video.S3Object.Version"),
        ("StartPersonTracking", "NotificationChannel.SNSTopicArn"),
        ("StartPersonTracking", "NotificationChannel.RoleArn"),
        ("GetPersonTracking", "JobId"),
        ("GetPersonTracking", "MaxResults"),
        ("GetPersonTracking", "NextToken"),
        ("GetPersonTracking", "SortBy"),
    }


@pytest.mark.parametrize(("operation", "path", "shape"), ROWS, ids=[f"{op}.{path}" for op, path, _ in ROWS])
def test_constraint_matches_service_model(operation: str, path: str, shape: Any) -> None:
    constraint = TABLES[operation].get(path)
    assert constraint is not None, f"{operation} {path} has no constraint in the table"
    meta = shape.metadata
    assert constraint.shape == shape.name
    assert constraint.min == meta.get("min")
    assert constraint.max == meta.get("max")  # MaxResults: the model has no max; see the limit test
    assert constraint.pattern == meta.get("pattern")
    enum = getattr(shape, "enum", None)
    assert constraint.enum == (tuple(enum) if enum else None)


@pytest.mark.parametrize("operation", sorted(TABLES))
def test_table_has_no_member_the_model_lacks(operation: str) -> None:
    paths = set(_input_leaves(SERVICE.operation_model(operation).input_shape))
    assert set(TABLES[operation]) == paths


@pytest.mark.parametrize("operation", sorted(TABLES))
def test_required_members_match_service_model(operation: str) -> None:
    expected = _required_paths(SERVICE.operation_model(operation).input_shape)
    assert set(c.REQUIRED[operation]) == expected


def test_max_results_upper_limit_is_the_documented_1000() -> None:
    # The model says only min 1; the documentation says 1000 is the largest value.
    assert "max" not in SERVICE.shape_for("MaxResults").metadata
    assert c.MAX_RESULTS_LIMIT == 1000


# ---- the table's checks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        (c.JOB_ID, ["a", "A-b_9", "x" * 64], ["", "x" * 65, "bad id", "id!", "id\n"]),
        (c.CLIENT_REQUEST_TOKEN, ["t", "x" * 64], ["", "x" * 65, "tok en", "tok/en"]),
        # The model's JobTag pattern is unanchored; the service matches the whole value.
        (c.JOB_TAG, ["run-7", "a_b.c-d:e+f=g/h", "x" * 1024], ["", "x" * 1025, "bad tag", "tag!", "tag\n"]),
        (c.S3_BUCKET, ["abc", "my.bucket-1_x", "b" * 255], ["ab", "b" * 256, "bad/char", "bad char"]),
        (c.S3_OBJECT_NAME, ["k", "a/b c.mp4", "k" * 1024], ["", "k" * 1025]),
        (c.S3_OBJECT_VERSION, ["v", "v" * 1024], ["", "v" * 1025]),
        (
            c.SNS_TOPIC_ARN,
            ["arn:aws:sns:us-east-1:123456789012:AmazonRekognitionTopic"],
            ["arn:aws:sns:us-east-1:123:T", "arn:aws:sqs:us-east-1:123456789012:T", "topic", ""],
        ),
        (
            c.ROLE_ARN,
            ["arn:aws:iam::123456789012:role/Rekognition", "arn:aws:iam::123456789012:role/path/to/R+=,.@-_"],
            [
                "arn:aws:iam::123:role/R",
                "arn:aws:iam::123456789012:user/R",
                "role",
                "arn:aws:iam::123456789012:role/a b",
            ],
        ),
        (c.PAGINATION_TOKEN, ["", "t" * 255], ["t" * 256]),
        (c.SORT_BY, ["INDEX", "TIMESTAMP"], ["time", "index", "", None]),
        (c.MAX_RESULTS, [1, 1000, 5000], [0, -1, True, 1.5, None]),
    ],
    ids=lambda v: v.shape if isinstance(v, c.Constraint) else None,
)
def test_constraint_problem(constraint: c.Constraint, good: list[object], bad: list[object]) -> None:
    for value in good:
        assert constraint.problem(value) is None, value
    for value in bad:
        assert constraint.problem(value) is not None, value


def test_check_request_reports_every_problem() -> None:
    problems = c.check_request("GetPersonTracking", {"JobId": "bad id", "MaxResults": 0, "SortBy": "time"})
    assert [path for path, _, _ in problems] == ["JobId", "MaxResults", "SortBy"]
    assert c.check_request("GetPersonTracking", {}) == [("JobId", None, "is required")]
    # The shared table follows the service: values above 1000 are capped there, not refused.
    assert c.check_request("GetPersonTracking", {"JobId": "j", "MaxResults": 5000}) == []


def test_check_request_nested_required_only_with_parent() -> None:
    video = {"S3Object": {"Bucket": "bucket", "Name": "k.mp4"}}
    assert c.check_request("StartPersonTracking", {"Video": video}) == []
    problems = c.check_request("StartPersonTracking", {"Video": video, "NotificationChannel": {}})
    assert sorted(path for path, _, _ in problems) == ["NotificationChannel.RoleArn", "NotificationChannel.SNSTopicArn"]
    assert [path for path, _, _ in c.check_request("StartPersonTracking", {})] == ["Video"]


@pytest.mark.parametrize(
    ("constraint", "value"),
    [(c.JOB_ID, 5), (c.JOB_TAG, 7), (c.CLIENT_REQUEST_TOKEN, 12), (c.MAX_RESULTS, "10")],
    ids=["JobId-int", "JobTag-int", "ClientRequestToken-int", "MaxResults-str"],
)
def test_constraint_checks_the_value_type(constraint: c.Constraint, value: object) -> None:
    assert constraint.problem(value) is not None
