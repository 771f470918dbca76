"""Start and Get parameters, built from a :class:`VideoOperation` and checked against its constraint table.

botocore checks types and ``min`` only; every pattern, maximum length,
``MaxResults`` limit and enum value of the operation's table is checked here,
before any request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rekotrack import _constraints as c
from rekotrack._errors import RequestValidationError
from rekotrack._members import member_at
from rekotrack._models import NotificationChannel, Video
from rekotrack._validation import check_job_id, check_page_size, to_video

from ._operation import VideoOperation

__all__ = ["check_get_choices", "checked_next_token", "get_request", "start_request", "table_problem"]


def table_problem(
    params: Mapping[str, Any], constraints: Mapping[str, c.Constraint], required: tuple[str, ...] = ()
) -> RequestValidationError | None:
    """The first rule of the table that ``params`` breaks, as the error to raise (None if all hold)."""
    for path in required:
        parent = path.rpartition(".")[0]
        if parent and not member_at(params, parent)[0]:
            continue  # a nested member is required only when its parent is given
        if not member_at(params, path)[0]:
            return RequestValidationError(path, "is required", None)
    for path, constraint in constraints.items():
        present, value = member_at(params, path)
        if present:
            problem = constraint.problem(value)
            if problem is not None:
                return RequestValidationError(path, problem, value)
    return None


def start_request(
    operation: VideoOperation[Any, Any],
    video: str | Video,
    *,
    notification: NotificationChannel | None,
    job_tag: str | None,
    client_request_token: str,
    inputs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Start parameters, checked against the operation's table.

    ``inputs`` are the operation's extra inputs by their snake_case name
    (``operation.start_inputs``); None values are left out.
    """
    params: dict[str, Any] = {"Video": to_video(video).to_aws(), "ClientRequestToken": client_request_token}
    if notification is not None:
        if not isinstance(notification, NotificationChannel):
            raise RequestValidationError("NotificationChannel", "must be a NotificationChannel", notification)
        params["NotificationChannel"] = notification.to_aws()
    if job_tag is not None:
        params["JobTag"] = job_tag
    for name, value in (inputs or {}).items():
        member = operation.start_inputs.get(name)
        if member is None:
            raise RequestValidationError(name, f"is not an input of {operation.start_name}", value)
        if value is not None:
            params[member] = value
    error = table_problem(params, operation.start_constraints, operation.start_required)
    if error is None and operation.start_name in c.TABLES:
        error = c.request_error(operation.start_name, params)  # list items too (Features[0], SegmentTypes[1])
    if error is not None:
        raise error
    return params


def check_get_choices(operation: VideoOperation[Any, Any], sort_by: str | None, aggregate_by: str | None) -> None:
    """Check SortBy / AggregateBy: allowed values of this operation, or None where it has no such input."""
    for given, spec, name in (
        (sort_by, operation.sort_by, "SortBy"),
        (aggregate_by, operation.aggregate_by, "AggregateBy"),
    ):
        if given is None:
            continue
        if spec is None:
            raise RequestValidationError(name, f"is not an input of {operation.get_name}", given)
        problem = spec.constraint.problem(given)
        if problem is not None:
            raise RequestValidationError(name, problem, given)


def get_request(
    operation: VideoOperation[Any, Any],
    job_id: str,
    *,
    next_token: str | None,
    max_results: int,
    sort_by: str | None = None,
    aggregate_by: str | None = None,
) -> dict[str, Any]:
    """The Get parameters, checked; SortBy / AggregateBy take the operation's default when not given."""
    check_job_id(job_id)
    check_page_size("MaxResults", max_results, operation.max_results_limit)
    check_get_choices(operation, sort_by, aggregate_by)
    params: dict[str, Any] = {"JobId": job_id, "MaxResults": max_results}
    for given, spec in ((sort_by, operation.sort_by), (aggregate_by, operation.aggregate_by)):
        value = given if given is not None else spec.default if spec is not None else None
        if spec is not None and value is not None:
            params[spec.member] = value
    if next_token is not None:
        params["NextToken"] = checked_next_token(operation, next_token)
    return params


def checked_next_token(operation: VideoOperation[Any, Any], next_token: str) -> str:
    """A Get's NextToken, checked against the operation's Get table (not empty, within its length)."""
    if next_token == "":
        raise RequestValidationError("NextToken", "must not be empty", next_token)
    error = table_problem({"NextToken": next_token}, operation.get_constraints)
    if error is not None:
        raise error
    return next_token
