"""The constraint table in rekotrack._constraints is botocore's service model, exactly."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from rekotrack import _constraints as c
from rekotrack._errors import RequestValidationError

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


# ---- all sixteen operations ---------------------------------------------------------------------

KINDS = (
    "PersonTracking",
    "LabelDetection",
    "FaceDetection",
    "FaceSearch",
    "CelebrityRecognition",
    "ContentModeration",
    "SegmentDetection",
    "TextDetection",
)
OPERATIONS = [f"{verb}{kind}" for kind in KINDS for verb in ("Start", "Get")]


def _all_inputs(shape: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every scalar and list input member by path (list items at ``path[]``), walking botocore's model."""
    if shape.type_name == "structure":
        rows: list[tuple[str, Any]] = []
        for name, member in shape.members.items():
            rows.extend(_all_inputs(member, f"{path}.{name}" if path else name))
        return rows
    if shape.type_name == "list":
        return [(path, shape), *_all_inputs(shape.member, f"{path}[]")]
    assert shape.type_name in ("string", "integer", "long", "float", "double", "boolean"), shape.type_name
    return [(path, shape)]


ALL_ROWS = [
    (op, path, shape) for op in OPERATIONS for path, shape in _all_inputs(SERVICE.operation_model(op).input_shape)
]
KIND_OF = {"string": "string", "integer": "integer", "long": "integer", "float": "float", "double": "float",
           "boolean": "boolean", "list": "list"}  # fmt: skip


def test_tables_cover_the_sixteen_operations() -> None:
    assert tuple(OPERATIONS) == c.OPERATIONS
    assert set(c.TABLES) == set(OPERATIONS)
    assert c.TABLES["StartPersonTracking"] is c.START_PERSON_TRACKING
    assert c.TABLES["GetPersonTracking"] is c.GET_PERSON_TRACKING


@pytest.mark.parametrize("operation", OPERATIONS)
def test_generated_table_is_every_input_member_of_the_model(operation: str) -> None:
    expected = [path for op, path, _ in ALL_ROWS if op == operation]
    assert list(c.table(operation)) == expected


@pytest.mark.parametrize(("operation", "path", "shape"), ALL_ROWS, ids=[f"{op}.{path}" for op, path, _ in ALL_ROWS])
def test_every_constraint_of_every_operation_matches_the_model(operation: str, path: str, shape: Any) -> None:
    constraint = c.table(operation)[path]
    meta = shape.metadata
    assert constraint.shape == shape.name
    assert constraint.kind == KIND_OF[shape.type_name]
    assert constraint.min == meta.get("min")
    assert constraint.max == meta.get("max")
    assert constraint.pattern == meta.get("pattern")
    enum = getattr(shape, "enum", None)
    assert constraint.enum == (tuple(enum) if enum else None)


def _all_required(shape: Any, path: str = "") -> set[str]:
    if shape.type_name == "list":
        return _all_required(shape.member, f"{path}[]")
    if shape.type_name != "structure":
        return set()
    found = {f"{path}.{name}" if path else name for name in shape.required_members}
    for name, member in shape.members.items():
        found |= _all_required(member, f"{path}.{name}" if path else name)
    return found


@pytest.mark.parametrize("operation", OPERATIONS)
def test_required_and_members_of_every_operation_match_the_model(operation: str) -> None:
    shape = SERVICE.operation_model(operation).input_shape
    assert set(c.required(operation)) == _all_required(shape)
    assert c.MEMBERS[operation] == tuple(shape.members)


@pytest.mark.parametrize("kind", KINDS)
def test_start_inputs_are_the_operations_own_members_in_snake_case(kind: str) -> None:
    members = SERVICE.operation_model(f"Start{kind}").input_shape.members
    common = {"Video", "ClientRequestToken", "NotificationChannel", "JobTag"}
    inputs = c.START_INPUTS[f"Start{kind}"]
    assert list(inputs.values()) == [m for m in members if m not in common]
    for snake, member in inputs.items():
        assert snake.replace("_", "") == member.lower()


def test_get_choices_per_operation() -> None:
    assert c.enum_values("GetPersonTracking", "SortBy") == ("INDEX", "TIMESTAMP")
    assert c.enum_values("GetLabelDetection", "SortBy") == ("NAME", "TIMESTAMP")
    assert c.enum_values("GetLabelDetection", "AggregateBy") == ("TIMESTAMPS", "SEGMENTS")
    assert c.enum_values("GetContentModeration", "AggregateBy") == ("TIMESTAMPS", "SEGMENTS")
    assert c.enum_values("GetCelebrityRecognition", "SortBy") == ("ID", "TIMESTAMP")
    assert c.enum_values("GetFaceSearch", "SortBy") == ("INDEX", "TIMESTAMP")
    for get in ("GetFaceDetection", "GetSegmentDetection", "GetTextDetection"):
        assert c.enum_values(get, "SortBy") is None
        assert c.enum_values(get, "AggregateBy") is None
    assert c.enum_values("StartFaceDetection", "FaceAttributes") == ("DEFAULT", "ALL")
    assert c.enum_values("GetPersonTracking", "JobId") is None


def test_unknown_operation_is_refused() -> None:
    for call in (lambda: c.check_request("DetectFaces", {}), lambda: c.table("GetPeople"), lambda: c.required("X")):
        with pytest.raises(ValueError, match="unknown operation"):
            call()


# ---- the bad-input table: each request names the parameter, the rule and the value -----------------

VIDEO = {"S3Object": {"Bucket": "bucket", "Name": "clip.mp4"}}
CHANNEL = {
    "SNSTopicArn": "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionTopic",
    "RoleArn": "arn:aws:iam::123456789012:role/Rekognition",
}


def _start(**members: Any) -> dict[str, Any]:
    return {"Video": VIDEO, "ClientRequestToken": "tok-1", **members}


BAD: list[tuple[str, str, dict[str, Any], str, str, object]] = [
    # (id, operation, params, parameter, rule contains, value)
    ("min-confidence-high", "StartLabelDetection", _start(MinConfidence=100.5), "MinConfidence", "<= 100", 100.5),
    ("min-confidence-low", "StartLabelDetection", _start(MinConfidence=-1), "MinConfidence", ">= 0", -1),
    ("min-confidence-nan", "StartLabelDetection", _start(MinConfidence=float("inf")), "MinConfidence", "finite",
     float("inf")),
    ("min-confidence-str", "StartContentModeration", _start(MinConfidence="80"), "MinConfidence", "number", "80"),
    ("min-confidence-bool", "StartContentModeration", _start(MinConfidence=True), "MinConfidence", "number", True),
    ("face-match-threshold", "StartFaceSearch", _start(CollectionId="c", FaceMatchThreshold=101),
     "FaceMatchThreshold", "<= 100", 101),
    ("collection-id-missing", "StartFaceSearch", _start(), "CollectionId", "is required", None),
    ("collection-id-pattern", "StartFaceSearch", _start(CollectionId="my collection"), "CollectionId", "pattern",
     "my collection"),
    ("collection-id-long", "StartFaceSearch", _start(CollectionId="c" * 256), "CollectionId", "<= 255", "c" * 256),
    ("features-enum", "StartLabelDetection", _start(Features=["GENERAL"]), "Features[0]", "GENERAL_LABELS",
     "GENERAL"),
    ("features-too-many", "StartLabelDetection", _start(Features=["GENERAL_LABELS", "GENERAL_LABELS"]), "Features",
     "at most 1 item", ["GENERAL_LABELS", "GENERAL_LABELS"]),
    ("features-not-list", "StartLabelDetection", _start(Features="GENERAL_LABELS"), "Features", "must be a list",
     "GENERAL_LABELS"),
    ("label-inclusion-too-many", "StartLabelDetection",
     _start(Settings={"GeneralLabels": {"LabelInclusionFilters": ["Car"] * 101}}),
     "Settings.GeneralLabels.LabelInclusionFilters", "at most 100 items", ["Car"] * 101),
    ("label-exclusion-long", "StartLabelDetection",
     _start(Settings={"GeneralLabels": {"LabelExclusionFilters": ["Dog", "x" * 51]}}),
     "Settings.GeneralLabels.LabelExclusionFilters[1]", "<= 50", "x" * 51),
    ("label-category-pattern", "StartLabelDetection",
     _start(Settings={"GeneralLabels": {"LabelCategoryInclusionFilters": ["Cars!"]}}),
     "Settings.GeneralLabels.LabelCategoryInclusionFilters[0]", "pattern", "Cars!"),
    ("settings-not-object", "StartLabelDetection", _start(Settings=["GeneralLabels"]), "Settings", "object",
     ["GeneralLabels"]),
    ("segment-types-missing", "StartSegmentDetection", _start(), "SegmentTypes", "is required", None),
    ("segment-types-empty", "StartSegmentDetection", _start(SegmentTypes=[]), "SegmentTypes", "at least 1 item", []),
    ("segment-types-enum", "StartSegmentDetection", _start(SegmentTypes=["SHOT", "SCENE"]), "SegmentTypes[1]",
     "TECHNICAL_CUE, SHOT", "SCENE"),
    ("shot-confidence-low", "StartSegmentDetection",
     _start(SegmentTypes=["SHOT"], Filters={"ShotFilter": {"MinSegmentConfidence": 49}}),
     "Filters.ShotFilter.MinSegmentConfidence", ">= 50", 49),
    ("black-frame-threshold", "StartSegmentDetection",
     _start(SegmentTypes=["TECHNICAL_CUE"], Filters={"TechnicalCueFilter": {"BlackFrame": {"MaxPixelThreshold": 2}}}),
     "Filters.TechnicalCueFilter.BlackFrame.MaxPixelThreshold", "<= 1", 2),
    ("word-filter-confidence", "StartTextDetection", _start(Filters={"WordFilter": {"MinConfidence": 200}}),
     "Filters.WordFilter.MinConfidence", "<= 100", 200),
    ("word-filter-box-height", "StartTextDetection", _start(Filters={"WordFilter": {"MinBoundingBoxHeight": 1.5}}),
     "Filters.WordFilter.MinBoundingBoxHeight", "<= 1", 1.5),
    ("regions-too-many", "StartTextDetection", _start(Filters={"RegionsOfInterest": [{}] * 11}),
     "Filters.RegionsOfInterest", "at most 10 items", [{}] * 11),
    ("region-polygon-point", "StartTextDetection",
     _start(Filters={"RegionsOfInterest": [{"Polygon": [{"X": 0.1, "Y": 0.1}, {"X": "0.5", "Y": 0.2}]}]}),
     "Filters.RegionsOfInterest[0].Polygon[1].X", "number", "0.5"),
    ("face-attributes-enum", "StartFaceDetection", _start(FaceAttributes="SOME"), "FaceAttributes", "DEFAULT, ALL",
     "SOME"),
    ("job-tag-pattern", "StartCelebrityRecognition", _start(JobTag="run 7"), "JobTag", "pattern", "run 7"),
    ("token-pattern", "StartTextDetection", {"Video": VIDEO, "ClientRequestToken": "tok/1"}, "ClientRequestToken",
     "pattern", "tok/1"),
    ("token-long", "StartPersonTracking", {"Video": VIDEO, "ClientRequestToken": "t" * 65}, "ClientRequestToken",
     "<= 64", "t" * 65),
    ("nul-in-key", "StartFaceDetection", _start(Video={"S3Object": {"Bucket": "bucket", "Name": "a\x00b.mp4"}}),
     "Video.S3Object.Name", "NUL", "a\x00b.mp4"),
    ("nul-in-version", "StartLabelDetection",
     _start(Video={"S3Object": {"Bucket": "bucket", "Name": "k", "Version": "v\x00"}}),
     "Video.S3Object.Version", "NUL", "v\x00"),
    ("bucket-short", "StartSegmentDetection",
     _start(SegmentTypes=["SHOT"], Video={"S3Object": {"Bucket": "ab", "Name": "k"}}),
     "Video.S3Object.Bucket", ">= 3", "ab"),
    ("video-not-object", "StartContentModeration", _start(Video="s3://bucket/clip.mp4"), "Video", "object",
     "s3://bucket/clip.mp4"),
    ("channel-role", "StartLabelDetection", _start(NotificationChannel={**CHANNEL, "RoleArn": "role"}),
     "NotificationChannel.RoleArn", "pattern", "role"),
    ("channel-incomplete", "StartTextDetection", _start(NotificationChannel={"RoleArn": CHANNEL["RoleArn"]}),
     "NotificationChannel.SNSTopicArn", "is required", None),
    ("unknown-start-member", "StartFaceDetection", _start(MinConfidence=50), "MinConfidence",
     "not a parameter of StartFaceDetection", 50),
    ("sort-by-on-faces", "GetFaceDetection", {"JobId": "j", "SortBy": "TIMESTAMP"}, "SortBy",
     "not a parameter of GetFaceDetection", "TIMESTAMP"),
    ("aggregate-by-on-persons", "GetPersonTracking", {"JobId": "j", "AggregateBy": "SEGMENTS"}, "AggregateBy",
     "not a parameter", "SEGMENTS"),
    ("label-sort-by", "GetLabelDetection", {"JobId": "j", "SortBy": "INDEX"}, "SortBy", "NAME, TIMESTAMP", "INDEX"),
    ("label-aggregate-by", "GetLabelDetection", {"JobId": "j", "AggregateBy": "SEGMENT"}, "AggregateBy",
     "TIMESTAMPS, SEGMENTS", "SEGMENT"),
    ("moderation-aggregate", "GetContentModeration", {"JobId": "j", "AggregateBy": "FRAMES"}, "AggregateBy",
     "TIMESTAMPS, SEGMENTS", "FRAMES"),
    ("celebrity-sort-by", "GetCelebrityRecognition", {"JobId": "j", "SortBy": "INDEX"}, "SortBy", "ID, TIMESTAMP",
     "INDEX"),
    ("face-search-sort-by", "GetFaceSearch", {"JobId": "j", "SortBy": "NAME"}, "SortBy", "INDEX, TIMESTAMP", "NAME"),
    ("job-id-pattern", "GetSegmentDetection", {"JobId": "bad id"}, "JobId", "pattern", "bad id"),
    ("job-id-missing", "GetTextDetection", {}, "JobId", "is required", None),
    ("max-results-zero", "GetTextDetection", {"JobId": "j", "MaxResults": 0}, "MaxResults", ">= 1", 0),
    ("max-results-over-limit", "GetLabelDetection", {"JobId": "j", "MaxResults": 1001}, "MaxResults", "<= 1000",
     1001),
    ("next-token-long", "GetFaceSearch", {"JobId": "j", "NextToken": "t" * 256}, "NextToken", "<= 255", "t" * 256),
    ("next-token-empty", "GetCelebrityRecognition", {"JobId": "j", "NextToken": ""}, "NextToken", "empty", ""),
]  # fmt: skip


@pytest.mark.parametrize(("operation", "params", "parameter", "rule", "value"), [row[1:] for row in BAD],
                         ids=[row[0] for row in BAD])  # fmt: skip
def test_bad_input_is_refused_naming_parameter_rule_and_value(
    operation: str, params: dict[str, Any], parameter: str, rule: str, value: object
) -> None:
    error = c.request_error(operation, params)
    assert isinstance(error, RequestValidationError)
    assert (error.parameter, error.value) == (parameter, value)
    assert rule in error.rule
    assert parameter in str(error)
    with pytest.raises(RequestValidationError) as raised:
        c.validate_request(operation, params)
    assert (raised.value.parameter, raised.value.rule) == (error.parameter, error.rule)


GOOD: list[tuple[str, dict[str, Any]]] = [
    ("StartPersonTracking", _start(NotificationChannel=CHANNEL, JobTag="run-7")),
    ("StartLabelDetection", _start(MinConfidence=0, Features=["GENERAL_LABELS"], Settings={"GeneralLabels": {
        "LabelInclusionFilters": ["Car", "Dog"] * 50, "LabelCategoryExclusionFilters": ["Animals and Pets"]}})),
    ("StartLabelDetection", _start(MinConfidence=100.0, Features=[])),
    ("StartFaceDetection", _start(FaceAttributes="ALL")),
    ("StartFaceSearch", _start(CollectionId="my_collection-1.a", FaceMatchThreshold=80)),
    ("StartCelebrityRecognition", _start()),
    ("StartContentModeration", _start(MinConfidence=55.5)),
    ("StartSegmentDetection", _start(SegmentTypes=["SHOT", "TECHNICAL_CUE"], Filters={
        "TechnicalCueFilter": {"MinSegmentConfidence": 50, "BlackFrame": {"MaxPixelThreshold": 0.2,
                                                                           "MinCoveragePercentage": 99}},
        "ShotFilter": {"MinSegmentConfidence": 100}})),
    ("StartTextDetection", _start(Filters={"WordFilter": {"MinConfidence": 50, "MinBoundingBoxWidth": 0},
                                           "RegionsOfInterest": [{"BoundingBox": {"Left": 0, "Top": 0, "Width": 1,
                                                                                  "Height": 1}}] * 10})),
    ("GetLabelDetection", {"JobId": "j", "MaxResults": 1000, "NextToken": "t", "SortBy": "NAME",
                           "AggregateBy": "SEGMENTS"}),
    ("GetContentModeration", {"JobId": "j", "SortBy": "TIMESTAMP", "AggregateBy": "TIMESTAMPS"}),
    ("GetCelebrityRecognition", {"JobId": "j", "SortBy": "ID"}),
    ("GetFaceSearch", {"JobId": "j", "SortBy": "INDEX"}),
    ("GetFaceDetection", {"JobId": "j", "MaxResults": 1}),
    ("GetSegmentDetection", {"JobId": "j"}),
    ("GetTextDetection", {"JobId": "j", "NextToken": "x" * 255}),
]  # fmt: skip


@pytest.mark.parametrize(("operation", "params"), GOOD, ids=[f"{op}-{i}" for i, (op, _) in enumerate(GOOD)])
def test_good_input_passes(operation: str, params: dict[str, Any]) -> None:
    assert c.check_request(operation, params, strict=True) == []
    assert c.request_error(operation, params) is None
    c.validate_request(operation, params)


def test_check_request_lists_every_problem_with_concrete_paths() -> None:
    params = _start(
        SegmentTypes=["SHOT", "SCENE", "CUE"],
        Filters={"ShotFilter": {"MinSegmentConfidence": 10}, "TechnicalCueFilter": "strict"},
    )
    problems = c.check_request("StartSegmentDetection", params)
    assert [path for path, _, _ in problems] == [
        "Filters.TechnicalCueFilter",
        "Filters.ShotFilter.MinSegmentConfidence",
        "SegmentTypes[1]",
        "SegmentTypes[2]",
    ]


def test_unknown_members_are_reported_only_when_strict() -> None:
    params = {"JobId": "j", "SortBy": "TIMESTAMP", "Extra": {"A": 1}}
    assert c.check_request("GetFaceDetection", params) == []  # the service ignores what it does not know
    assert [p for p, _, _ in c.check_request("GetFaceDetection", params, strict=True)] == ["SortBy", "Extra"]
    nested = _start(Video={"S3Object": {"Bucket": "bucket", "Name": "k", "Region": "x"}})
    assert [p for p, _, _ in c.check_request("StartFaceDetection", nested, strict=True)] == ["Video.S3Object.Region"]


def test_the_shared_check_follows_the_service_on_max_results() -> None:
    # The service caps MaxResults above 1000 silently: the shared check (the server's) allows it,
    # the SDK's stricter request_error refuses it.
    assert c.check_request("GetLabelDetection", {"JobId": "j", "MaxResults": 5000}) == []
    error = c.request_error("GetLabelDetection", {"JobId": "j", "MaxResults": 5000})
    assert error is not None
    assert error.parameter == "MaxResults"
