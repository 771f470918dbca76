"""The synthetic analyzer: every job's result is known from the start, seeded from its video.

Person tracking answers the video's :class:`SyntheticScene`; the seven other Video jobs answer
a :class:`~rekotrack._synthetic._jobs.SyntheticJob` made from the Start request and that scene.

A job stays IN_PROGRESS for ``job_seconds`` (by the core's clock) or, when ``job_polls`` is
set, for that many Get calls, then ends as its scene says. Both are read at every check, so
changing them on a running server applies to running jobs.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from rekotrack._synthetic._jobs import SyntheticJob
from rekotrack._synthetic._scene import MAX_DURATION_MS, SceneEnding, SortBy, SyntheticScene
from rekotrack.server import ApiError, Ended, Job, JobOutcome, ServedOperation

__all__ = ["SceneOutcome", "SyntheticAnalyzer", "outcome_of"]

_SORTS: tuple[SortBy, ...] = ("TIMESTAMP", "INDEX")


class SceneOutcome(SceneEnding):
    """A scene as the core's :class:`~rekotrack.server.JobOutcome` (what a finished job answers)."""

    def __init__(self, scene: SyntheticScene) -> None:
        self.scene = scene

    @property
    def detection_count(self) -> int:
        return self.scene.detection_count

    def video_metadata(self) -> dict[str, Any]:
        return self.scene.video_metadata()

    def page(self, sort_by: str, start: int, count: int) -> list[dict[str, Any]]:
        for order in _SORTS:
            if order == sort_by:
                return self.scene.page(order, start, count)
        raise ValueError(f"unknown sort order {sort_by!r}")


def outcome_of(source: object) -> JobOutcome | None:
    """What a synthetic job's source (a scene, or a SyntheticJob) answers; ``None`` for anything else."""
    if isinstance(source, SyntheticScene):
        return SceneOutcome(source)
    if isinstance(source, SyntheticJob):
        return source
    return None


class SyntheticAnalyzer:
    """An :class:`~rekotrack.server.Analyzer` that answers each video with its scene."""

    def __init__(self, *, job_seconds: float, job_polls: int | None, strict_videos: bool) -> None:
        self.job_seconds = job_seconds
        self.job_polls = job_polls
        self.strict_videos = strict_videos
        self._lock = threading.Lock()
        self._videos: dict[str, SyntheticScene] = {}
        self._default_scenes: dict[str, SyntheticScene] = {}
        self._polls: dict[str, int] = {}

    # ------------------------------------------------------------------ scenes
    def add_video(self, uri: str, scene: SyntheticScene) -> None:
        with self._lock:
            self._videos[uri] = scene

    def knows(self, uri: str) -> bool:
        with self._lock:
            return uri in self._videos or uri.split("?versionId=", 1)[0] in self._videos

    def scene_for(self, uri: str) -> SyntheticScene:
        with self._lock:
            found = self._videos.get(uri)
            if found is None and "?versionId=" in uri:
                found = self._videos.get(uri.split("?versionId=", 1)[0])
            if found is None:
                found = self._default_scenes.get(uri)
                if found is None:
                    found = self._default_scenes[uri] = SyntheticScene.for_uri(uri)
            return found

    # ------------------------------------------------------------------ the Analyzer protocol
    def accept_video(self, operation: ServedOperation, uri: str, params: Mapping[str, Any]) -> object:
        if self.strict_videos and not self.knows(uri):
            raise ApiError("InvalidS3ObjectException")
        scene = self.scene_for(uri)
        if scene.duration_ms > MAX_DURATION_MS:
            raise ApiError("VideoTooLargeException")
        if operation.name == "PersonTracking":
            return scene
        return SyntheticJob(operation.name, params, scene=scene)

    def start_job(self, job: Job) -> None:
        """Nothing to start: the scene is the result."""

    def job_progress(self, job: Job, now: float, polled: bool) -> Ended | None:
        outcome = outcome_of(job.source)
        if outcome is None:
            return None
        polls_needed = self.job_polls
        if polls_needed is not None:
            if not polled:
                return None
            with self._lock:
                seen = self._polls.get(job.job_id, 0)
                if seen < polls_needed:
                    self._polls[job.job_id] = seen + 1
                    return None
            return Ended(outcome, now)
        if now - job.created >= self.job_seconds:
            return Ended(outcome, job.created + self.job_seconds)
        return None

    def job_ended(self, job: Job, ended: float) -> None:
        with self._lock:
            self._polls.pop(job.job_id, None)

    def job_expired(self, job: Job) -> None:
        with self._lock:
            self._polls.pop(job.job_id, None)
