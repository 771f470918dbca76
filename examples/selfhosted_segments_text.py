"""Shots, black frames and text on this machine via Start/GetSegmentDetection and Start/GetTextDetection
(needs the server extra).

Usage: ``python examples/selfhosted_segments_text.py [VIDEO]``. It cuts a 6-second clip from VIDEO (default:
OpenCV's sample vtest.avi from Debian ``opencv-doc``): 2 s of the video, 1 s of black, 3 s from later in the
video with "EXIT 12" drawn on it; starts ``VideoRekognition`` in-process on it, and reads the shots, the black
run and the words with rekotrack's ``SegmentDetector`` and ``TextDetector``. Without the server extra, or
without a video, it says so in one line and exits 1.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import boto3

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


def make_clip(source: Path, dest: Path) -> None:
    """2 s of ``source``, 1 s of black, 3 s from 30 s further on with "EXIT 12" drawn (MPEG-4, 10 fps)."""
    from fractions import Fraction

    import av
    import cv2
    import numpy as np

    with av.open(str(source)) as src:
        video = src.streams.video[0]
        rate = float(video.average_rate or 10)
        frames = [f.to_ndarray(format="bgr24") for n, f in zip(range(int(35 * rate)), src.decode(video), strict=False)]
    first, later = frames[: int(2 * rate)], frames[int(30 * rate): int(33 * rate)]
    if not first or not later:
        sys.exit(f"selfhosted_segments_text.py: {source} is shorter than 33 s")
    black = [np.zeros_like(first[0]) for _ in range(int(rate))]
    for image in later:
        cv2.putText(image, "EXIT 12", (40, image.shape[0] // 3), cv2.FONT_HERSHEY_DUPLEX, 2.0, (0, 255, 255), 3)
    with av.open(str(dest), mode="w") as out:
        stream = out.add_stream("mpeg4", rate=round(rate))
        stream.height, stream.width = first[0].shape[:2]
        stream.pix_fmt, stream.bit_rate = "yuv420p", 4_000_000
        for n, image in enumerate([*first, *black, *later]):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
            frame.pts, frame.time_base = n, Fraction(1, round(rate))
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@contextlib.contextmanager
def endpoint(video: Path) -> Iterator[str]:
    """A VideoRekognition server in-process, serving the clip as s3://my-bucket/clip.avi."""
    from rekotrack.selfhosted import VideoRekognition

    with tempfile.TemporaryDirectory() as folder:
        videos = Path(folder) / "videos"
        (videos / "my-bucket").mkdir(parents=True)
        make_clip(video, videos / "my-bucket" / "clip.avi")
        with VideoRekognition(video_root=videos) as server:
            yield server.url


def main(endpoint_url: str) -> None:
    from rekotrack import SegmentDetector, TextDetector

    client = boto3.client(
        "rekognition", region_name="us-east-1", endpoint_url=endpoint_url,
        aws_access_key_id="test", aws_secret_access_key="test",
    )
    segments = SegmentDetector(client=client).start("s3://my-bucket/clip.avi", segment_types=["SHOT", "TECHNICAL_CUE"])
    for segment in segments.segments(timeout=600):  # in the order of segment_types, then by time
        kind = segment.technical_cue_segment.type if segment.technical_cue_segment else "shot"
        print(f"{segment.type:13} {kind:11} frames {segment.start_frame_number}-{segment.end_frame_number} "
              f"({segment.start_timecode_smpte} to {segment.end_timecode_smpte})")
    text = TextDetector(client=client).start("s3://my-bucket/clip.avi")
    for item in text.text_detections(timeout=600):  # one frame a second
        found = item.text_detection
        if found is not None and found.type == "WORD":
            print(f"{item.timestamp} ms: {found.detected_text!r} ({found.confidence:.1f})")


def video_to_analyse(argv: list[str]) -> Path:
    """VIDEO from the command line, else vtest.avi; exits with one line when something is missing."""
    if not all(importlib.util.find_spec(name) for name in ("cv2", "av", "scenedetect", "rapidocr")):
        sys.exit("selfhosted_segments_text.py needs the server extra: pip install '.[server]' in a clone "
                 "('rekotrack[server]' once released)")
    video = Path(argv[0]) if argv else VTEST
    if not video.is_file():
        sys.exit(f"selfhosted_segments_text.py: no video at {video}: give one "
                 "(python examples/selfhosted_segments_text.py VIDEO) or install Debian's opencv-doc for vtest.avi")
    return video


if __name__ == "__main__":  # needed: the server's worker processes start by importing this module
    with endpoint(video_to_analyse(sys.argv[1:])) as url:
        main(url)
