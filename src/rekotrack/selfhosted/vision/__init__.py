"""The vision pipeline: video decoding, person detection, ByteTrack tracking, linking, faces, segments, text.

Nothing here imports :mod:`rekotrack.selfhosted.service` (the API, stores and workers around it); the model
files themselves stay in ``rekotrack/selfhosted/models/`` (package data), looked up by :mod:`._models`.
"""
