"""Errors: one class per declared AWS error code, typed fields, the botocore error kept as __cause__."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

import rekotrack
import rekotrack._errors
from rekotrack import (
    APIError,
    JobFailedError,
    JobInProgressError,
    MalformedResponseError,
    NotificationParseError,
    PaginationError,
    PersonTracker,
    RekotrackError,
    RequestValidationError,
    TransportError,
    WaitTimeoutError,
)
from rekotrack._errors import ERROR_CLASSES, api_error_from_response, errors_for
from rekotrack._generated.errors import ERROR_CLASS_NAMES, ERROR_CODES, ERROR_DOCS, OPERATION_ERRORS

from .unit_support import JOB_ID, get_params

SERVICE = botocore.session.get_session().get_service_model("rekognition")
OPERATIONS = ("StartPersonTracking", "GetPersonTracking")
DECLARED = sorted({shape.name for op in OPERATIONS for shape in SERVICE.operation_model(op).error_shapes})
GET_ERRORS = {shape.name for shape in SERVICE.operation_model("GetPersonTracking").error_shapes}


def test_both_operations_declare_errors() -> None:
    assert len(DECLARED) >= 10
    assert "ThrottlingException" in DECLARED
    assert "LimitExceededException" in DECLARED


@pytest.mark.parametrize("code", DECLARED)
def test_every_declared_error_is_mapped_to_its_own_class(code: str) -> None:
    assert code in ERROR_CLASSES, f"{code} is declared by the service model but not mapped"
    cls = ERROR_CLASSES[code]
    assert issubclass(cls, APIError)
    assert cls is not APIError
    assert getattr(rekotrack, cls.__name__) is cls, f"{cls.__name__} is not exported from rekotrack"
    assert cls.__doc__
    assert code in cls.__doc__


def test_each_code_has_a_distinct_class() -> None:
    classes = [ERROR_CLASSES[code] for code in DECLARED]
    assert len(set(classes)) == len(classes)
    # No class in the table is the parent of another: `except ThrottlingError` catches only throttling.
    for a in classes:
        for b in classes:
            assert a is b or not issubclass(a, b)


def _error_response(code: str, status: int = 400) -> dict[str, Any]:
    return {
        "Error": {"Code": code, "Message": f"{code} happened"},
        "ResponseMetadata": {"RequestId": "rid-42", "HTTPStatusCode": status},
    }


@pytest.mark.parametrize("code", DECLARED)
def test_api_error_from_response_copies_fields(code: str) -> None:
    error = api_error_from_response(_error_response(code), "GetPersonTracking", attempts=2)
    assert type(error) is ERROR_CLASSES[code]
    assert (error.code, error.message, error.operation) == (code, f"{code} happened", "GetPersonTracking")
    assert (error.request_id, error.http_status, error.attempts) == ("rid-42", 400, 2)
    assert code in str(error)
    assert "GetPersonTracking" in str(error)
    assert "2 attempts" in str(error)


def test_unknown_code_is_a_plain_api_error() -> None:
    error = api_error_from_response(_error_response("BrandNewException", 418), "GetPersonTracking")
    assert type(error) is APIError
    assert error.code == "BrandNewException"
    assert error.http_status == 418


def test_error_response_without_details() -> None:
    error = api_error_from_response({}, "GetPersonTracking")
    assert type(error) is APIError
    assert error.code is None
    assert error.request_id is None
    assert error.http_status is None
    assert error.message == "unknown error"


@pytest.mark.parametrize("code", DECLARED)
def test_client_error_through_tracker_is_typed_with_cause(client: Any, stub: Stubber, code: str) -> None:
    policy = rekotrack.RetryPolicy(max_attempts=1, limit_max_attempts=1, sleep=lambda _s: None)
    tracker = PersonTracker(client=client, retry=policy)
    status = 500 if code == "InternalServerError" else 400
    meta = {"RequestId": "rid-7", "HTTPStatusCode": status}
    if code in GET_ERRORS:
        stub.add_client_error(
            "get_person_tracking", code, "boom", status, response_meta=meta, expected_params=get_params()
        )
        call = lambda: tracker.get_page(JOB_ID)  # noqa: E731
        operation = "GetPersonTracking"
    else:
        stub.add_client_error("start_person_tracking", code, "boom", status, response_meta=meta)
        call = lambda: tracker.start("s3://bucket/clip.mp4")  # noqa: E731
        operation = "StartPersonTracking"

    with pytest.raises(ERROR_CLASSES[code]) as info:
        call()

    error = info.value
    assert isinstance(error.__cause__, ClientError)
    assert error.__cause__.response["Error"]["Code"] == code
    assert (error.code, error.message, error.operation) == (code, "boom", operation)
    assert error.request_id == "rid-7"
    assert error.http_status == status
    assert error.attempts == 1
    stub.assert_no_pending_responses()


def test_unknown_code_through_tracker(client: Any, stub: Stubber) -> None:
    tracker = PersonTracker(client=client, retry=rekotrack.RetryPolicy(max_attempts=3, sleep=lambda _s: None))
    stub.add_client_error("get_person_tracking", "SomethingNewException", "new", 400)
    with pytest.raises(APIError) as info:
        tracker.get_page(JOB_ID)
    assert type(info.value) is APIError
    assert info.value.code == "SomethingNewException"
    assert isinstance(info.value.__cause__, ClientError)
    stub.assert_no_pending_responses()  # a 4xx unknown code is sent once


# ---- hierarchy ------------------------------------------------------------------------


def test_hierarchy() -> None:
    assert issubclass(RequestValidationError, RekotrackError)
    assert issubclass(RequestValidationError, ValueError)
    assert issubclass(APIError, RekotrackError)
    assert not issubclass(APIError, ValueError)
    for cls in [*ERROR_CLASSES.values(), MalformedResponseError, TransportError]:
        assert issubclass(cls, APIError)
    for cls in (JobFailedError, JobInProgressError, WaitTimeoutError, PaginationError, NotificationParseError):
        assert issubclass(cls, RekotrackError)
        assert not issubclass(cls, APIError)
    assert issubclass(WaitTimeoutError, TimeoutError)
    assert issubclass(NotificationParseError, ValueError)


def test_request_validation_error_fields() -> None:
    error = RequestValidationError("JobId", "must match pattern", "bad id!")
    assert (error.parameter, error.rule, error.value) == ("JobId", "must match pattern", "bad id!")
    assert "JobId" in str(error)
    assert "bad id!" in str(error)
    long = RequestValidationError("JobTag", "is too long", "x" * 500)
    assert len(str(long)) < 200


def test_job_errors_fields() -> None:
    failed = JobFailedError("job-1", "FAILED", "Video is corrupt")
    assert (failed.job_id, failed.status, failed.status_message) == ("job-1", "FAILED", "Video is corrupt")
    assert "Video is corrupt" in str(failed)
    assert JobInProgressError("job-2").job_id == "job-2"
    timeout = WaitTimeoutError("job-3", 30.0, "IN_PROGRESS")
    assert (timeout.job_id, timeout.timeout, timeout.last_status) == ("job-3", 30.0, "IN_PROGRESS")
    parse = NotificationParseError("sns", "no Message")
    assert (parse.layer, parse.reason) == ("sns", "no Message")


# ---- the error table of all sixteen operations --------------------------------------------------

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
ALL_OPERATIONS = [f"{verb}{kind}" for kind in KINDS for verb in ("Start", "Get")]
ALL_DECLARED = sorted({s.name for op in ALL_OPERATIONS for s in SERVICE.operation_model(op).error_shapes})


@pytest.mark.parametrize("operation", ALL_OPERATIONS)
def test_generated_error_table_is_what_each_operation_declares(operation: str) -> None:
    declared = [shape.name for shape in SERVICE.operation_model(operation).error_shapes]
    assert OPERATION_ERRORS[operation] == tuple(declared)
    table = errors_for(operation)
    assert list(table) == declared
    assert all(table[code] is ERROR_CLASSES[code] for code in declared)


@pytest.mark.parametrize("code", ALL_DECLARED)
def test_every_code_of_the_sixteen_operations_has_its_own_written_class(code: str) -> None:
    cls = ERROR_CLASSES[code]
    assert cls.__name__ == ERROR_CLASS_NAMES[code]
    assert cls.__module__ == "rekotrack._errors"
    assert getattr(rekotrack._errors, cls.__name__) is cls  # a class statement, not built at run time
    assert getattr(rekotrack, cls.__name__) is cls
    assert code in (cls.__doc__ or "")


def test_error_codes_are_the_union_and_nothing_else_is_mapped() -> None:
    assert list(ERROR_CODES) == ALL_DECLARED
    assert set(ERROR_CLASSES) == set(ALL_DECLARED)
    assert set(ERROR_DOCS) == set(ALL_DECLARED)
    assert all(ERROR_DOCS[code] for code in ALL_DECLARED)


def test_errors_for_an_unknown_operation() -> None:
    with pytest.raises(ValueError, match="unknown operation"):
        errors_for("DetectFaces")
