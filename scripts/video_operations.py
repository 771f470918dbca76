"""The one hand-written description of each Rekognition Video operation (read by generate_models.py).

Everything else rekotrack knows about a Video job is either read from botocore's
service model by ``scripts/generate_models.py`` (the Start inputs and their
keywords, the Get parameters ``SortBy``/``AggregateBy`` and their values, every
constraint, the error codes) or generated from this table into
``src/rekotrack/_generated/`` (the operation specs, the server's and the synthetic
server's operation tables, the command line's ``--job`` kinds, the generated part of the
public name list). The
generator checks each entry against the service model: the list key must be a list
of ``item`` in the Get response, and each Get parameter must have a default here
that is one of its values there.

Adding an eighth Video operation starts with one entry here; docs/architecture.md
("Adding an eighth Video operation") lists the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CliEntry:
    """How the command line names one operation (``rekotrack start|wait|get|export --job NAME``)."""

    name: str
    """The ``--job`` value (``face-search``)."""
    noun: str
    """What ``get`` counts (``matches``)."""
    start_flags: tuple[str, ...] = ()
    """The start flags of this kind besides the common ones, as Start input keywords (``collection_id``:
    ``--collection-id``); the generator requires each to be a keyword of the operation's Start."""
    table: tuple[str, ...] = ()
    """The columns ``get`` shows, by name of the result class's CSV columns (empty: a hand-written table)."""


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
    cli: CliEntry | None = None
    """How the command line names it (required; a default only so that it can come last)."""


_SORTED = {"SortBy": "TIMESTAMP"}
_AGGREGATED = {"SortBy": "TIMESTAMP", "AggregateBy": "TIMESTAMPS"}

VIDEO_OPERATIONS: tuple[VideoOperationEntry, ...] = (
    VideoOperationEntry(
        "PersonTracking", "PersonTrackingPage", "Persons", "PersonDetection", "persons",
        "PersonTracker", "TrackingJob", "TrackingResult", "people over time", _SORTED,
        generated_classes=False,
        cli=CliEntry("persons", "detections"),
    ),
    VideoOperationEntry(
        "LabelDetection", "LabelDetectionPage", "Labels", "LabelDetection", "labels",
        "LabelDetector", "LabelDetectionJob", "LabelResult", "labels over time", _AGGREGATED,
        cli=CliEntry("labels", "labels", ("min_confidence",),
            ("timestamp_ms", "start_ms", "end_ms", "confidence", "instance_count", "name")),
    ),
    VideoOperationEntry(
        "FaceDetection", "FaceDetectionPage", "Faces", "FaceDetection", "faces",
        "FaceDetector", "FaceDetectionJob", "FaceResult", "faces over time",
        cli=CliEntry("faces", "faces", ("face_attributes",),
            ("timestamp_ms", "confidence", "box_left", "box_top", "box_width", "box_height")),
    ),
    VideoOperationEntry(
        "FaceSearch", "FaceSearchPage", "Persons", "PersonMatch", "persons",
        "FaceSearcher", "FaceSearchJob", "FaceSearchResult", "people matching a collection", _SORTED,
        cli=CliEntry("face-search", "matches", ("collection_id", "face_match_threshold"),
            ("timestamp_ms", "person_index", "box_left", "box_top", "box_width", "box_height", "best_similarity",
             "best_face_id")),
    ),
    VideoOperationEntry(
        "CelebrityRecognition", "CelebrityRecognitionPage", "Celebrities", "CelebrityRecognition", "celebrities",
        "CelebrityRecognizer", "CelebrityRecognitionJob", "CelebrityResult", "celebrities", _SORTED,
        cli=CliEntry("celebrities", "celebrities", (),
            ("timestamp_ms", "confidence", "box_left", "box_top", "box_width", "box_height", "celebrity_id", "name")),
    ),
    VideoOperationEntry(
        "ContentModeration", "ContentModerationPage", "ModerationLabels", "ContentModerationDetection",
        "moderation_labels", "ContentModerator", "ContentModerationJob", "ModerationResult", "moderation labels",
        _AGGREGATED,
        cli=CliEntry("moderation", "moderation labels", ("min_confidence",),
            ("timestamp_ms", "start_ms", "end_ms", "confidence", "parent_name", "name")),
    ),
    VideoOperationEntry(
        "SegmentDetection", "SegmentDetectionPage", "Segments", "SegmentDetection", "segments",
        "SegmentDetector", "SegmentDetectionJob", "SegmentResult", "shots, cues",
        pager="SegmentDetectionPager",
        cli=CliEntry("segments", "segments", ("segment_types",),
            ("start_ms", "end_ms", "duration_ms", "confidence", "shot_index", "type", "technical_cue_type")),
    ),
    VideoOperationEntry(
        "TextDetection", "TextDetectionPage", "TextDetections", "TextDetectionResult", "text_detections",
        "TextDetector", "TextDetectionJob", "TextResult", "text",
        cli=CliEntry("text", "text detections", (), ("timestamp_ms", "confidence", "id", "parent_id", "type", "text")),
    ),
)
"""The eight Rekognition Video jobs, person tracking first (the order of every generated table)."""
