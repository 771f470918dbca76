"""Analyzer settings (stdlib only, so the server core imports without the video packages)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "AnalyzerName", "AnalyzerSettings", "ByteTrackSettings", "DetectorEngine", "DetectorName", "DetectorPrecision"
]

DetectorName = Literal["ssdlite", "hog"]
DetectorEngine = Literal["onnxruntime", "opencv"]
AnalyzerName = Literal["video", "synthetic"]
DetectorPrecision = Literal["fp32", "int8"]


@dataclass(frozen=True)
class ByteTrackSettings:
    """Association thresholds (scores are detector confidences in 0..1)."""

    high_threshold: float = 0.5
    """Detections at or above this take part in the first association."""
    low_threshold: float = 0.1
    """Detections between this and ``high_threshold`` only extend existing tracks."""
    new_track_threshold: float = 0.6
    """A detection left unmatched starts a track only at or above this."""
    match_iou: float = 0.2
    """Minimum IoU of the first association (tracks vs strong detections)."""
    low_match_iou: float = 0.5
    """Minimum IoU of the second association (tracks vs weak detections)."""
    confirm_iou: float = 0.3
    """Minimum IoU for a new, unconfirmed track to take its second detection."""
    lost_frames: int = 30
    """Sampled frames a lost track is kept for re-identification by position."""
    min_observations: int = 3
    """Tracks with fewer detections are dropped as noise."""
    max_gap_frames: int = 20
    """Gaps up to this many sampled frames inside a track are filled by interpolation (0: never)."""
    appearance_weight: float = 1.0
    """How much colour appearance counts in the association (0: boxes only, as plain ByteTrack)."""
    appearance_gate: float = 0.8
    """Pairs whose appearance similarity is below this never match."""
    appearance_momentum: float = 0.9
    """A track's appearance is this much its past and the rest its latest box."""
    link_frames: int = 50
    """Offline: a tracklet starting up to this many sampled frames after another ended may continue it."""
    link_distance: float = 1.0
    """No longer used (the offline linking measures each video's motion); kept so that stored settings load."""
    link_appearance: float = 0.6
    """Offline, only when the video has too few tracklets to learn its appearance from: a link needs a
    colour similarity of at least this."""
    link_growth_frames: int = 10
    """No longer used (see ``link_distance``)."""
    link_velocity_frames: int = 10
    """No longer used: a tracklet's velocity at its ends is fitted over its last (first) second."""
    link_overlap_frames: int = 10
    """A tracklet may continue another that it overlaps by up to this many frames (a duplicate track) ..."""
    link_overlap_iou: float = 0.3
    """... if their boxes overlap at least this much (IoU) on the frames they share."""
    smooth_frames: float = 3.0
    """Offline: boxes are smoothed over time with a Gaussian of this many frames (0: raw detector boxes)."""
    frame_rate: float = 10.0
    """Sampled frames a second (the analyzer sets it from the video): the offline linking works in seconds."""
    frame_width: int = 0
    """The video's size in pixels (the analyzer sets it; 0: taken from the extent of the boxes). The offline
    linking uses it to tell a person who walked out of view from one hidden inside it."""
    frame_height: int = 0
    min_track_seconds: float = 3.0
    """Offline: a track observed for less than this in all (after linking) is not reported: a real person
    is in view for longer, a false detection or a duplicate box rarely is. Cross-validated like
    ``link_margin``."""
    link_margin: float = 1.0
    """Offline: a link is left open unless its log-likelihood ratio (same person vs someone else) beats every
    other candidate of either end by this much (nats): when two continuations are about equally likely, an
    ID switch costs more than a fragment. Chosen by cross-validation on the two halves of the tuning frames
    (``docs/self-hosted.md``)."""


@dataclass(frozen=True)
class AnalyzerSettings:
    """How a video is analysed. The defaults are the ones measured in ``docs/self-hosted.md``."""

    analyzer: AnalyzerName = "video"
    """``synthetic`` answers a deterministic :class:`~rekotrack.testing.SyntheticScene` per video instead
    of analysing it (the job store, workers and persistence without the video packages)."""
    detector: DetectorName = "ssdlite"
    """``ssdlite`` (the model shipped with rekotrack) or ``hog`` (OpenCV's HOG people detector: far less
    accurate, only when asked for)."""
    sample_interval_ms: int = 100
    """Analyse every frame up to 10 fps, about one frame per 100 ms above (0: every frame)."""
    lost_seconds: float = 3.0
    """How long a lost person's track waits to be picked up again at its predicted position."""
    fill_gap_seconds: float = 2.0
    """Gaps in a track up to this long are filled by interpolation (0: never)."""
    link_seconds: float = 15.0
    """Offline: a track that ends may be continued by one starting up to this much later (0: never). Within
    it the video decides: beyond the gap where a walker's predicted position is as uncertain as where
    anyone else is (about 10 s on PETS09-S2L1), motion is no evidence and no link is made."""
    link_overlap_seconds: float = 1.0
    """Offline: a track may continue one it overlaps by up to this long (two tracks on one person)."""
    smooth_seconds: float = 0.3
    """Offline: the time scale (Gaussian sigma) over which each person's box is smoothed (0: never)."""
    tracker: ByteTrackSettings = field(default_factory=ByteTrackSettings)
    faces: bool = False
    """Also detect faces (CenterFace) and attach them to the person boxes."""
    tiles: int | None = None
    """Square detector tiles across the frame (None: as the aspect ratio needs)."""
    threads: int | None = None
    """Threads per analysis: onnxruntime's intra-op threads for SSDLite (None: one, the least CPU per frame)
    and CenterFace (None: onnxruntime's default), OpenCV's for HOG (None: OpenCV's default). The server
    gives each worker cores / workers."""
    precision: DetectorPrecision = "fp32"
    """The SSDLite model's arithmetic: ``fp32`` (the default) or ``int8`` (the same detector quantised by
    ``scripts/quantize_detector.py``): about half the CPU a frame. On frames 1-400 of PETS09-S2L1, paired
    with fp32 over 14 runs of the clip with nuisances (tiles moved a few pixels, JPEG copies), its MOTA
    differs by -0.002 on average (standard error 0.010) and its IDF1 by -0.013 (0.017); on the clip as it
    is, MOTA is 0.038 lower. Integer kernels round differently on CPUs without AVX-512 VNNI or AVX-VNNI,
    so its boxes there may differ. ``docs/performance.md``, "How much is 0.01?", has the figures."""

    def to_json(self) -> dict[str, Any]:
        return {
            "analyzer": self.analyzer,
            "detector": self.detector,
            "precision": self.precision,
            "sample_interval_ms": self.sample_interval_ms,
            "lost_seconds": self.lost_seconds,
            "fill_gap_seconds": self.fill_gap_seconds,
            "link_seconds": self.link_seconds,
            "link_overlap_seconds": self.link_overlap_seconds,
            "smooth_seconds": self.smooth_seconds,
            "faces": self.faces,
            "tiles": self.tiles,
            "threads": self.threads,
            "tracker": asdict(self.tracker),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnalyzerSettings:
        data = dict(data)
        if data.get("detector") == "auto":  # settings stored before the model shipped inside rekotrack
            data["detector"] = "ssdlite"
        tracker = ByteTrackSettings(**data.pop("tracker", {}))
        return cls(tracker=tracker, **data)


