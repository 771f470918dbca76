"""Stored results whose Get pages carry more than ``VideoMetadata`` (segments and text).

A SegmentDetection page carries ``VideoMetadata`` and ``AudioMetadata`` as lists and
``SelectedSegmentTypes``; a TextDetection page carries ``TextModelVersion``. Their workers write
those members, as one dict, where the other jobs write ``VideoMetadata`` (``meta.json`` of the
result folder, locally or in S3), so the stores and the scale-out records carry them unchanged;
:func:`listing_outcome` wraps such a stored result as a :class:`~rekotrack.server.ListingOutcome`,
whose ``page_fields`` the core puts on every SUCCEEDED page.
"""

from __future__ import annotations

from typing import Any, Final

from rekotrack.server import JobOutcome

__all__ = ["PAGE_FIELD_OPERATIONS", "PageFieldsOutcome", "listing_outcome"]

PAGE_FIELD_OPERATIONS: Final = frozenset({"SegmentDetection", "TextDetection"})
"""The job kinds whose stored ``VideoMetadata`` slot holds every page member besides the list."""


class PageFieldsOutcome:
    """A SUCCEEDED stored result (``StoredOutcome`` or ``S3Outcome``) served with its page members."""

    final_status = "SUCCEEDED"
    notification_status = "SUCCEEDED"
    status_message: str | None = None

    def __init__(self, stored: JobOutcome) -> None:
        self._stored = stored

    @property
    def detection_count(self) -> int:
        return self._stored.detection_count

    def video_metadata(self) -> dict[str, Any]:
        """The ``VideoMetadata`` object (the first of a segment page's list)."""
        found = self._stored.video_metadata().get("VideoMetadata", {})
        if isinstance(found, list):
            return dict(found[0]) if found else {}
        return dict(found)

    def count(self, aggregate_by: str | None = None) -> int:
        return self._stored.detection_count

    def page(
        self, sort_by: str | None, start: int, count: int, aggregate_by: str | None = None
    ) -> list[dict[str, Any]]:
        return self._stored.page("TIMESTAMP", start, count)

    def page_fields(self, sort_by: str | None = None, aggregate_by: str | None = None) -> dict[str, Any]:
        return self._stored.video_metadata()


def listing_outcome(operation: str, outcome: Any) -> Any:
    """``outcome`` as the core should serve it: wrapped for a SUCCEEDED segment or text job, else unchanged."""
    if operation in PAGE_FIELD_OPERATIONS and outcome is not None and outcome.final_status == "SUCCEEDED":
        return PageFieldsOutcome(outcome)
    return outcome
