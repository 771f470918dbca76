"""Fixtures for the self-hosted server tests: credentials, short clips cut from vtest.avi."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VTEST_CANDIDATES = (
    Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi"),
    Path("/usr/share/opencv4/samples/data/vtest.avi"),
)
GT_CANDIDATES = (
    ROOT / "shared" / "data" / "pets09-s2l1" / "gt-frames-1-400.txt",
    ROOT.parent / "shared" / "data" / "pets09-s2l1" / "gt-frames-1-400.txt",
)
CLIP_FRAMES = 60


def _first(candidates: tuple[Path, ...], env: str) -> Path | None:
    if os.environ.get(env):
        return Path(os.environ[env])
    return next((p for p in candidates if p.is_file()), None)


def _skip_in_ci(reason: str) -> None:
    """CI installs the extra and opencv-doc, so there a missing piece is a failure, not a skip."""
    if os.environ.get("REKOTRACK_REQUIRE_SERVER_EXTRA"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def vtest() -> Path:
    path = _first(VTEST_CANDIDATES, "REKOTRACK_VTEST")
    if path is None:
        _skip_in_ci("vtest.avi not found (apt-get install opencv-doc)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def pets_gt() -> Path:
    path = _first(GT_CANDIDATES, "REKOTRACK_PETS_GT")
    if path is None:
        _skip_in_ci("the PETS09-S2L1 ground truth is not found")
    assert path is not None
    return path


def _encode(source: Path, dest: Path, codec: str, frames: int, **options: Any) -> None:
    import av

    with av.open(str(source)) as src, av.open(str(dest), mode="w") as out:
        stream_in = src.streams.video[0]
        stream = out.add_stream(codec, rate=stream_in.average_rate or 10)
        stream.width, stream.height = stream_in.codec_context.width, stream_in.codec_context.height
        stream.pix_fmt = "yuv420p"
        for key, value in options.items():
            setattr(stream, key, value)
        for n, frame in enumerate(src.decode(stream_in)):
            if n >= frames:
                break
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _six_hours_long(dest: Path) -> None:
    from fractions import Fraction

    import av
    import numpy as np

    with av.open(str(dest), mode="w") as out:
        stream = out.add_stream("libx264", rate=1)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1)
        for pts in (0, 6 * 3600 + 10):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="bgr24")
            frame.pts, frame.time_base = pts, Fraction(1, 1)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@pytest.fixture(scope="session")
def video_root(tmp_path_factory: pytest.TempPathFactory, vtest: Path) -> Path:
    """``videos/bucket/``: clip.avi (MPEG-4 part 2), clip.mp4 (H.264), long.mp4 (two frames 6 h apart),
    garbage.mp4, empty.mp4."""
    pytest.importorskip("av")
    root = tmp_path_factory.mktemp("videos")
    bucket = root / "bucket"
    bucket.mkdir()
    _encode(vtest, bucket / "clip.avi", "mpeg4", CLIP_FRAMES, bit_rate=4_000_000)
    _encode(vtest, bucket / "clip.mp4", "libx264", CLIP_FRAMES, options={"crf": "18", "preset": "veryfast"})
    _six_hours_long(bucket / "long.mp4")
    (bucket / "garbage.mp4").write_bytes(bytes(range(256)) * 40)
    (bucket / "empty.mp4").write_bytes(b"")
    return root
