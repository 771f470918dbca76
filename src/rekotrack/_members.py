"""Members of a request by their dotted path (``Video.S3Object.Bucket``), as the constraint tables name them.

Sans-IO and table-level: the SDK's request checks (:mod:`rekotrack._core._requests`) and the server's
validation (:mod:`rekotrack.server._validation`) both read parameters through it. It lives beside the
tables rather than in ``rekotrack._core`` because the servers share the models and tables, never the
SDK's request building (``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["member_at"]


def member_at(params: Mapping[str, Any], path: str) -> tuple[bool, object]:
    """``(True, value)`` of the member at ``path`` in ``params``, or ``(False, None)`` where it is absent.

    A part that is not an object on the way (a list, a string, ``None``) makes the member absent.
    """
    node: object = params
    for part in path.split("."):
        if not isinstance(node, (dict, Mapping)) or part not in node:  # dict first: no ABC check for JSON
            return False, None
        node = node[part]
    return True, node
