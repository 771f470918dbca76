"""Self-hosted People Pathing: real person tracking on your own videos, behind the Rekognition API.

``VideoRekognition`` is the server core (:mod:`rekotrack.server`) with a real analyzer: it
decodes a video (PyAV / OpenCV), detects people (SSDLite on OpenCV DNN, or HOG), tracks them
(ByteTrack) and, with ``faces``, finds faces (CenterFace on onnxruntime). Install the extra
``rekotrack[server]`` (see ``docs/self-hosted.md``); nothing heavy is imported until used.

    from rekotrack.selfhosted import VideoRekognition

    with VideoRekognition(video_root="videos") as server:   # s3://bucket/key -> videos/bucket/key
        rekognition = server.client()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rekotrack.selfhosted.service._service import VideoRekognition
    from rekotrack.selfhosted.vision._analyzer import Analysis, analyze
    from rekotrack.selfhosted.vision._settings import AnalyzerSettings, ByteTrackSettings
    from rekotrack.selfhosted.vision._video import VideoError, VideoInfo

__all__ = [
    "Analysis",
    "AnalyzerSettings",
    "ByteTrackSettings",
    "VideoError",
    "VideoInfo",
    "VideoRekognition",
    "analyze",
]

_HOMES = {
    "Analysis": "vision._analyzer",
    "AnalyzerSettings": "vision._settings",
    "analyze": "vision._analyzer",
    "ByteTrackSettings": "vision._settings",
    "VideoRekognition": "service._service",
    "VideoError": "vision._video",
    "VideoInfo": "vision._video",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'rekotrack.selfhosted' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"rekotrack.selfhosted.{home}"), name)
