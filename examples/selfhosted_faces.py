"""Face detection on this machine: StartFaceDetection/GetFaceDetection answered with CenterFace faces.

With the server extra (``pip install "rekotrack[server]"``, see docs/self-hosted.md) and
OpenCV's sample video (Debian ``opencv-doc``), it starts ``VideoRekognition`` in-process on the
first 2 seconds of vtest.avi and reads the faces with rekotrack's ``FaceDetector``. Set
REKOTRACK_ENDPOINT_URL to use a running ``rekotrack serve --analyzer video`` instead. Without the
extra it runs against the synthetic analyzer, so it always runs offline.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

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
def endpoint() -> Iterator[str]:
    url = os.environ.get("REKOTRACK_ENDPOINT_URL")
    if url:
        yield url
        return
    from rekotrack.selfhosted import AnalyzerSettings, VideoRekognition

    real = all(importlib.util.find_spec(name) for name in ("cv2", "av", "scipy")) and VTEST.is_file()
    with tempfile.TemporaryDirectory() as folder:
        videos = Path(folder) / "videos"
        (videos / "my-bucket").mkdir(parents=True)
        lobby = videos / "my-bucket" / "lobby.mp4"
        if real:
            cut(VTEST, lobby, seconds=2.0)
        else:
            print("(server extra or vtest.avi missing: using the synthetic analyzer)")
            lobby.write_bytes(b"stand-in")
        settings = AnalyzerSettings(analyzer="video" if real else "synthetic")
        with VideoRekognition(video_root=videos, settings=settings) as server:
            yield server.url


def main(endpoint_url: str) -> None:
    # --8<-- [start:faces]
    from rekotrack import FaceDetector

    client = boto3.client(
        "rekognition", region_name="us-east-1", endpoint_url=endpoint_url,
        aws_access_key_id="test", aws_secret_access_key="test",
    )
    detector = FaceDetector(client=client)
    job = detector.start("s3://my-bucket/lobby.mp4")
    for det in job.faces(timeout=600):  # FaceDetection items, in timestamp order
        face = det.face
        if face is None or face.bounding_box is None:
            continue
        box = face.bounding_box
        marks = {m.type: (m.x, m.y) for m in face.landmarks or ()}
        print(f"{det.timestamp} ms: face at ({box.left:.3f}, {box.top:.3f}), "
              f"confidence {face.confidence:.1f}, nose at {marks.get('nose')}")
    # --8<-- [end:faces]


if __name__ == "__main__":  # needed: the server's worker processes start by importing this module
    with endpoint() as url:
        main(url)
