"""An unchanged People Pathing boto3 script tracks people in a video on this machine (needs the server extra).

Usage: ``python examples/selfhosted_boto3.py [VIDEO]``. It starts ``VideoRekognition`` in-process on the first
15 seconds of VIDEO (default: OpenCV's sample vtest.avi, PETS 2009 S2.L1, from Debian
``opencv-doc``) and runs the unchanged script against it. It needs the server extra
(``pip install '.[server]'`` in a clone, see docs/self-hosted.md); without it, or without a video,
it says so in one line and exits 1. Set REKOTRACK_ENDPOINT_URL to use a running
``rekotrack serve --analyzer video`` instead (it serves ``s3://my-bucket/lobby.mp4``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


def cut(source: Path, dest: Path, seconds: float) -> None:
    """Copy the first ``seconds`` of ``source`` into ``dest`` (H.264 MP4), with PyAV."""
    import av

    with av.open(str(source)) as src, av.open(str(dest), mode="w") as out:
        video = src.streams.video[0]
        stream = out.add_stream("libx264", rate=video.average_rate or 10)
        stream.width, stream.height, stream.pix_fmt = video.width, video.height, "yuv420p"
        for frame in src.decode(video):
            if frame.time is not None and frame.time >= seconds:
                break
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@contextlib.contextmanager
def endpoint(video: Path) -> Iterator[str]:
    """A VideoRekognition server in-process on the first seconds of ``video``, as s3://my-bucket/lobby.mp4."""
    from rekotrack.selfhosted import AnalyzerSettings

    with tempfile.TemporaryDirectory() as folder:
        videos = Path(folder) / "videos"
        (videos / "my-bucket").mkdir(parents=True)
        lobby = videos / "my-bucket" / "lobby.mp4"
        cut(video, lobby, seconds=15.0)
        settings = AnalyzerSettings(analyzer="video")
        # --8<-- [start:serve]
        from rekotrack.selfhosted import VideoRekognition

        # s3://my-bucket/lobby.mp4 is read from videos/my-bucket/lobby.mp4
        with VideoRekognition(video_root=videos, settings=settings) as server:
            yield server.url
        # --8<-- [end:serve]


def main(endpoint_url: str) -> None:
    # --8<-- [start:script]
    rekognition = boto3.client(
        "rekognition",
        region_name="us-east-1",
        endpoint_url=endpoint_url,  # the only line added to a People Pathing script
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    start = rekognition.start_person_tracking(
        Video={"S3Object": {"Bucket": "my-bucket", "Name": "lobby.mp4"}}
    )
    job_id = start["JobId"]
    while True:
        response = rekognition.get_person_tracking(JobId=job_id, MaxResults=1)
        if response["JobStatus"] != "IN_PROGRESS":
            break
        time.sleep(1.0)
    print("status:", response["JobStatus"], response.get("StatusMessage", ""))

    persons: list[Any] = []
    kwargs: dict[str, Any] = {"JobId": job_id, "SortBy": "INDEX", "MaxResults": 1000}
    while True:
        response = rekognition.get_person_tracking(**kwargs)
        persons.extend(response["Persons"])
        if "NextToken" not in response:
            break
        kwargs["NextToken"] = response["NextToken"]
    seen: dict[int, list[int]] = {}
    for detection in persons:
        seen.setdefault(detection["Person"]["Index"], []).append(detection["Timestamp"])
    print(response["VideoMetadata"])
    for index, times in sorted(seen.items()):
        print(f"person {index}: {times[0] / 1000:.1f} s to {times[-1] / 1000:.1f} s, {len(times)} boxes")
    # --8<-- [end:script]


def video_to_analyse(argv: list[str]) -> Path:
    """VIDEO from the command line, else vtest.avi; exits with one line when something is missing."""
    if not all(importlib.util.find_spec(name) for name in ("cv2", "av", "scipy")):
        sys.exit("selfhosted_boto3.py needs the server extra: pip install '.[server]' in a clone "
                 "('rekotrack[server]' once released)")
    video = Path(argv[0]) if argv else VTEST
    if not video.is_file():
        sys.exit(f"selfhosted_boto3.py: no video at {video}: give one (python examples/selfhosted_boto3.py VIDEO) "
                 "or install Debian's opencv-doc for vtest.avi")
    return video


if __name__ == "__main__":  # needed: the server's worker processes start by importing this module
    if os.environ.get("REKOTRACK_ENDPOINT_URL"):
        main(os.environ["REKOTRACK_ENDPOINT_URL"])
    else:
        with endpoint(video_to_analyse(sys.argv[1:])) as url:
            main(url)
