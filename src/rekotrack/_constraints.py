"""The input constraints of StartPersonTracking and GetPersonTracking.

Copied from botocore's service model (rekognition 2016-06-27), which botocore
itself does not enforce. The SDK validates requests against this table and the
local server (``rekotrack.testing``) answers InvalidParameterException from it.
``tests/test_constraints.py`` proves the table matches botocore's model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Constraint:
    """Length bounds, pattern and allowed values of one string or integer input."""

    shape: str
    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    kind: Literal["string", "integer"] = "string"

    def problem(self, value: object) -> str | None:
        """Describe why ``value`` breaks this constraint, or ``None`` if it does not."""
        if self.kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"must be an integer, not {type(value).__name__}"
        elif not isinstance(value, str):
            return f"must be a string, not {type(value).__name__}"
        if self.enum is not None:
            if value not in self.enum:
                return f"must be one of {', '.join(self.enum)}"
            return None
        if isinstance(value, int):
            if self.min is not None and value < self.min:
                return f"must be >= {self.min}"
            if self.max is not None and value > self.max:
                return f"must be <= {self.max}"
            return None
        if self.min is not None and len(value) < self.min:
            return f"length must be >= {self.min}"
        if self.max is not None and len(value) > self.max:
            return f"length must be <= {self.max}"
        if self.pattern is not None and _compiled(self.pattern).search(value) is None:
            return f"must match pattern {self.pattern}"
        return None


_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    found = _CACHE.get(pattern)
    if found is None:
        # The service anchors every pattern on the whole value.
        found = _CACHE[pattern] = re.compile(rf"\A(?:{pattern})\Z")
    return found


JOB_ID = Constraint("JobId", 1, 64, r"^[a-zA-Z0-9-_]+$")
CLIENT_REQUEST_TOKEN = Constraint("ClientRequestToken", 1, 64, r"^[a-zA-Z0-9-_]+$")
JOB_TAG = Constraint("JobTag", 1, 1024, r"[a-zA-Z0-9_.\-:+=\/]+")
S3_BUCKET = Constraint("S3Bucket", 3, 255, r"[0-9A-Za-z\.\-_]*")
S3_OBJECT_NAME = Constraint("S3ObjectName", 1, 1024)
S3_OBJECT_VERSION = Constraint("S3ObjectVersion", 1, 1024)
SNS_TOPIC_ARN = Constraint("SNSTopicArn", pattern=r"(^arn:aws:sns:.*:\w{12}:.+$)")
ROLE_ARN = Constraint("RoleArn", pattern=r"arn:aws:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
PAGINATION_TOKEN = Constraint("PaginationToken", None, 255)
# The model says only min 1; the service caps larger values at 1000 silently.
# rekotrack refuses them (a silent cap hides bugs); the local server caps like AWS.
MAX_RESULTS = Constraint("MaxResults", 1, None, kind="integer")
MAX_RESULTS_LIMIT = 1000
SORT_BY = Constraint("PersonTrackingSortBy", enum=("INDEX", "TIMESTAMP"))

# Input member -> constraint, per operation, as the service model nests them.
START_PERSON_TRACKING: dict[str, Constraint] = {
    "ClientRequestToken": CLIENT_REQUEST_TOKEN,
    "JobTag": JOB_TAG,
    "Video.S3Object.Bucket": S3_BUCKET,
    "Video.S3Object.Name": S3_OBJECT_NAME,
    "Video.S3Object.Version": S3_OBJECT_VERSION,
    "NotificationChannel.SNSTopicArn": SNS_TOPIC_ARN,
    "NotificationChannel.RoleArn": ROLE_ARN,
}
GET_PERSON_TRACKING: dict[str, Constraint] = {
    "JobId": JOB_ID,
    "MaxResults": MAX_RESULTS,
    "NextToken": PAGINATION_TOKEN,
    "SortBy": SORT_BY,
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "StartPersonTracking": ("Video", "NotificationChannel.SNSTopicArn", "NotificationChannel.RoleArn"),
    "GetPersonTracking": ("JobId",),
}

_TABLES: dict[str, dict[str, Constraint]] = {
    "StartPersonTracking": START_PERSON_TRACKING,
    "GetPersonTracking": GET_PERSON_TRACKING,
}


def _lookup(params: object, path: str) -> tuple[bool, object]:
    node = params
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def check_request(operation: str, params: dict[str, object]) -> list[tuple[str, object, str]]:
    """Every constraint ``params`` breaks, as ``(member path, value, problem)``.

    A nested required member (``NotificationChannel.RoleArn``) is required only
    when its parent is present. Shared by the SDK and the local server.
    """
    found: list[tuple[str, object, str]] = []
    for path in REQUIRED[operation]:
        parent, _, _leaf = path.rpartition(".")
        if parent and not _lookup(params, parent)[0]:
            continue
        if not _lookup(params, path)[0]:
            found.append((path, None, "is required"))
    for path, constraint in _TABLES[operation].items():
        present, value = _lookup(params, path)
        if present:
            problem = constraint.problem(value)
            if problem is not None:
                found.append((path, value, problem))
    return found
