"""The one hand-written description of each Rekognition Video operation (read by generate_models.py).

Everything else rekotrack knows about a Video job is either read from botocore's
service model by ``scripts/generate_models.py`` (the Start inputs and their
keywords, the Get parameters ``SortBy``/``AggregateBy`` and their values, every
constraint, the error codes) or generated from this table into
``src/rekotrack/_generated/`` (the operation specs, the server's and the synthetic
server's operation tables, the generated part of the public name list). The
generator checks each entry against the service model: the list key must be a list
of ``item`` in the Get response, and each Get parameter must have a default here
that is one of its values there.

Adding an eighth Video operation starts with one entry here; docs/architecture.md
("Adding an eighth Video operation") lists the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VideoOperationEntry:
    """What the service model cannot say about one ``Start{kind}``/``Get{kind}`` pair."""

    kind: str
    """``LabelDetection``: the operations are ``Start{kind}`` and ``Get{kind}``."""
    page: str
    """The generated model of one Get response (``LabelDetectionPage``)."""
    list_key: str
    """The Get response member that holds the items (``Labels``)."""
    item: str
    """The model of one item (the list's member shape, ``LabelDetection``)."""
    items_method: str
    """The facade's name for its items (``labels``: ``job.labels()``, ``detector.labels(job_id)``)."""
    analyzer: str
    """The public synchronous analyzer class (``LabelDetector``; the async one is ``Async`` + this)."""
    job: str
    """The public synchronous job class (``LabelDetectionJob``; async: ``Async`` + this)."""
    result: str
    """The compact result class of ``collect()`` (``LabelResult``)."""
    summary: str
    """What the items are, for the analyzer's docstring (``labels over time``)."""
    get_defaults: dict[str, str] = field(default_factory=dict)
    """What the service uses when a Get leaves a parameter out (``SortBy`` -> ``TIMESTAMP``); the
    generator requires one for each ordering/grouping parameter the Get input has, no more."""
    generated_classes: bool = True
    """False for person tracking, whose facade (PersonTracker, TrackingJob) is hand-written."""
    pager: str | None = None
    """A hand-written pager subclass the analyzer uses (sync name; ``rekotrack._aio._video_jobs``), if any."""


_SORTED = {"SortBy": "TIMESTAMP"}
_AGGREGATED = {"SortBy": "TIMESTAMP", "AggregateBy": "TIMESTAMPS"}

VIDEO_OPERATIONS: tuple[VideoOperationEntry, ...] = (
    VideoOperationEntry(
        "PersonTracking", "PersonTrackingPage", "Persons", "PersonDetection", "persons",
        "PersonTracker", "TrackingJob", "TrackingResult", "people over time", _SORTED,
        generated_classes=False,
    ),
    VideoOperationEntry(
        "LabelDetection", "LabelDetectionPage", "Labels", "LabelDetection", "labels",
        "LabelDetector", "LabelDetectionJob", "LabelResult", "labels over time", _AGGREGATED,
    ),
    VideoOperationEntry(
        "FaceDetection", "FaceDetectionPage", "Faces", "FaceDetection", "faces",
        "FaceDetector", "FaceDetectionJob", "FaceResult", "faces over time",
    ),
    VideoOperationEntry(
        "FaceSearch", "FaceSearchPage", "Persons", "PersonMatch", "persons",
        "FaceSearcher", "FaceSearchJob", "FaceSearchResult", "people matching a collection", _SORTED,
    ),
    VideoOperationEntry(
        "CelebrityRecognition", "CelebrityRecognitionPage", "Celebrities", "CelebrityRecognition", "celebrities",
        "CelebrityRecognizer", "CelebrityRecognitionJob", "CelebrityResult", "celebrities", _SORTED,
    ),
    VideoOperationEntry(
        "ContentModeration", "ContentModerationPage", "ModerationLabels", "ContentModerationDetection",
        "moderation_labels", "ContentModerator", "ContentModerationJob", "ModerationResult", "moderation labels",
        _AGGREGATED,
    ),
    VideoOperationEntry(
        "SegmentDetection", "SegmentDetectionPage", "Segments", "SegmentDetection", "segments",
        "SegmentDetector", "SegmentDetectionJob", "SegmentResult", "shots, cues",
        pager="SegmentDetectionPager",
    ),
    VideoOperationEntry(
        "TextDetection", "TextDetectionPage", "TextDetections", "TextDetectionResult", "text_detections",
        "TextDetector", "TextDetectionJob", "TextResult", "text",
    ),
)
"""The eight Rekognition Video jobs, person tracking first (the order of every generated table)."""
