"""rekotrack._members.member_at: the one reader of dotted member paths (SDK request checks and server validation)."""

from __future__ import annotations

from typing import Any

import pytest

from rekotrack._members import member_at

PARAMS: dict[str, Any] = {"Video": {"S3Object": {"Bucket": "b", "Name": None}}, "JobTag": "", "Features": [{"A": 1}]}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Video.S3Object.Bucket", (True, "b")),
        ("Video.S3Object.Name", (True, None)),  # present, and null
        ("JobTag", (True, "")),
        ("Video.S3Object", (True, {"Bucket": "b", "Name": None})),
        ("Video.S3Object.Version", (False, None)),
        ("NotificationChannel.RoleArn", (False, None)),  # the parent is absent
        ("JobTag.Inner", (False, None)),  # a string on the way
        ("Video.S3Object.Name.X", (False, None)),  # null on the way
        ("Features.A", (False, None)),  # a list on the way: list items are the constraint table's business
    ],
)
def test_member_at(path: str, expected: tuple[bool, object]) -> None:
    assert member_at(PARAMS, path) == expected


def test_written_once() -> None:
    import rekotrack._core._requests as requests
    import rekotrack.server._validation as validation

    assert requests.member_at is member_at
    assert validation.member_at is member_at
    assert not hasattr(requests, "_lookup")
    assert not hasattr(validation, "_lookup")
