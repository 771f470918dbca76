"""Real person tracking on short clips of vtest.avi (PETS09-S2L1), through plain boto3.

Needs the server extra (OpenCV headless, PyAV, numpy, scipy) and Debian's opencv-doc for
vtest.avi; skipped otherwise (CI installs both).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cv2")
pytest.importorskip("av")
pytest.importorskip("scipy")

import numpy as np
from botocore.exceptions import ClientError
from selfhosted_support import read_all, start, wait_done

from rekotrack.selfhosted.service._service import VideoRekognition
from rekotrack.selfhosted.vision._detector import ssdlite_model_path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.accuracy import load_gt, score

CLIP_FRAMES = 60


@pytest.fixture(scope="module")
def server(video_root: Path) -> Iterator[VideoRekognition]:
    with VideoRekognition(video_root=video_root, workers=1) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server: VideoRekognition) -> Any:
    return server.client()


@pytest.fixture(scope="module")
def avi_persons(client: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    job_id = start(client, "clip.avi")
    first = wait_done(client, job_id)
    assert first["JobStatus"] == "SUCCEEDED", first.get("StatusMessage")
    return first, read_all(client, job_id, max_results=50)


def _mota(persons: list[dict[str, Any]], pets_gt: Path, width: int, height: int, fps: float) -> dict[str, float]:
    hyp: dict[int, list[tuple[int, Any]]] = {}
    for det in persons:
        frame = round(det["Timestamp"] * fps / 1000) + 1
        box = det["Person"]["BoundingBox"]
        x1, y1 = box["Left"] * width, box["Top"] * height
        xyxy = np.array([x1, y1, x1 + box["Width"] * width, y1 + box["Height"] * height])
        hyp.setdefault(frame, []).append((det["Person"]["Index"], xyxy))
    return score(load_gt(pets_gt, CLIP_FRAMES), hyp, CLIP_FRAMES)


def test_avi_clip_end_to_end_through_boto3(
    avi_persons: tuple[dict[str, Any], list[dict[str, Any]]], pets_gt: Path
) -> None:
    pytest.importorskip("motmetrics")
    first, persons = avi_persons
    meta = first["VideoMetadata"]
    assert (meta["FrameWidth"], meta["FrameHeight"]) == (768, 576)
    assert meta["FrameRate"] == pytest.approx(10.0)
    assert meta["DurationMillis"] == pytest.approx(6000, abs=200)
    assert meta["Format"]
    assert meta["Codec"]
    assert meta["ColorRange"] in ("FULL", "LIMITED")
    assert persons, "no person tracked"
    timestamps = [d["Timestamp"] for d in persons]
    assert timestamps == sorted(timestamps)
    assert set(timestamps) <= {100 * k for k in range(CLIP_FRAMES)}  # 10 fps: every frame, ms from frame times
    for det in persons:
        box = det["Person"]["BoundingBox"]
        assert 0 <= box["Left"] < box["Left"] + box["Width"] <= 1 + 1e-6
        assert 0 <= box["Top"] < box["Top"] + box["Height"] <= 1 + 1e-6
    assert ssdlite_model_path() is not None  # shipped inside rekotrack: never a fallback
    metrics = _mota(persons, pets_gt, 768, 576, 10.0)  # a loose sanity bound, not the benchmark
    assert metrics["mota"] > 0.3, metrics
    assert metrics["recall"] > 0.5, metrics


def test_index_order_pages_hold_the_same_detections(
    client: Any, avi_persons: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    first, persons = avi_persons
    by_index = read_all(client, first["JobId"], "INDEX", max_results=33)
    assert sorted(by_index, key=lambda d: (d["Timestamp"], d["Person"]["Index"])) == persons
    indexes = [d["Person"]["Index"] for d in by_index]
    assert indexes == sorted(indexes)


def test_h264_mp4(client: Any) -> None:
    job_id = start(client, "clip.mp4")
    page = wait_done(client, job_id)
    assert page["JobStatus"] == "SUCCEEDED", page.get("StatusMessage")
    assert page["VideoMetadata"]["Codec"] == "h264"
    assert "MOV" in page["VideoMetadata"]["Format"] or "MP4" in page["VideoMetadata"]["Format"].upper()
    assert read_all(client, job_id)


def test_missing_object_is_invalid_s3_object(client: Any) -> None:
    with pytest.raises(ClientError) as missing:
        start(client, "not-there.mp4")
    assert missing.value.response["Error"]["Code"] == "InvalidS3ObjectException"


def test_video_over_six_hours_is_too_large(client: Any) -> None:
    with pytest.raises(ClientError) as refused:
        start(client, "long.mp4")
    assert refused.value.response["Error"]["Code"] == "VideoTooLargeException"


@pytest.mark.parametrize("name", ["garbage.mp4", "empty.mp4"])
def test_undecodable_file_ends_failed_with_a_message(client: Any, video_root: Path, name: str) -> None:
    job_id = start(client, name)
    page = wait_done(client, job_id)
    assert page["JobStatus"] == "FAILED"
    assert "could not be decoded" in page["StatusMessage"] or "no decodable" in page["StatusMessage"]
    assert str(video_root) not in page["StatusMessage"]  # no server path leaks out


def test_render_draws_the_boxes(
    tmp_path: Path, video_root: Path, avi_persons: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    import json

    import cv2

    from rekotrack.selfhosted.vision._render import color_for, render

    _, persons = avi_persons
    result = tmp_path / "result.jsonl"
    result.write_text("".join(json.dumps(d) + "\n" for d in persons))
    count = render(video_root / "bucket" / "clip.avi", result, tmp_path / "frames", frames=True)
    assert count == CLIP_FRAMES
    frame0 = cv2.imread(str(tmp_path / "frames" / "frame-000000.png"))
    for det in (d for d in persons if d["Timestamp"] == 0):
        box, colour = det["Person"]["BoundingBox"], color_for(det["Person"]["Index"])
        x = round((box["Left"] + box["Width"] / 2) * 768)
        bottom = round((box["Top"] + box["Height"]) * 576)
        # the bottom edge of the box is drawn in the person's colour at the right pixels
        patch = frame0[bottom - 1 : bottom + 2, x - 1 : x + 2].reshape(-1, 3)
        assert any(np.abs(p.astype(int) - colour).max() <= 2 for p in patch), (det, patch)
    assert render(video_root / "bucket" / "clip.avi", result, tmp_path / "out.mp4") == CLIP_FRAMES
    import av

    with av.open(str(tmp_path / "out.mp4")) as container:
        assert container.streams.video[0].codec_context.name == "h264"


def test_faces_with_centerface(tmp_path: Path) -> None:
    """A short video made of OpenCV's messi5.jpg: the person gets a Face with the default attributes."""
    from rekotrack.selfhosted.vision._analyzer import analyze
    from rekotrack.selfhosted.vision._faces import centerface_model_path
    from rekotrack.selfhosted.vision._settings import AnalyzerSettings

    picture = Path("/usr/share/doc/opencv-doc/examples/data/messi5.jpg")
    assert centerface_model_path() is not None
    if not picture.is_file():
        pytest.skip("needs opencv-doc's messi5.jpg")
    import av
    import cv2

    image = cv2.imread(str(picture))
    height, width = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    path = tmp_path / "messi.mp4"
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("libx264", rate=5)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(image[:height, :width], format="bgr24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    analysis = analyze(path, AnalyzerSettings(faces=True))
    faces = [d["Person"]["Face"] for d in analysis.persons if "Face" in d["Person"]]
    assert faces, analysis.persons
    face = faces[0]
    assert [m["Type"] for m in face["Landmarks"]] == ["eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight"]
    assert 50 < face["Confidence"] <= 100
    assert set(face["Quality"]) == {"Brightness", "Sharpness"}
    box = face["BoundingBox"]
    for mark in face["Landmarks"]:
        assert box["Left"] <= mark["X"] <= box["Left"] + box["Width"]
        assert box["Top"] <= mark["Y"] <= box["Top"] + box["Height"]


def test_cli_render_and_serve_checks(tmp_path: Path, video_root: Path,
                                     avi_persons: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    import argparse
    import json

    from rekotrack.selfhosted.service._cli import configure_render, configure_serve_video, run_render, run_serve

    parser = argparse.ArgumentParser()
    configure_render(parser)
    _, persons = avi_persons
    result = tmp_path / "page.json"
    result.write_text(json.dumps({"JobStatus": "SUCCEEDED", "Persons": persons}))
    out = tmp_path / "out.mp4"
    args = parser.parse_args([str(video_root / "bucket" / "clip.avi"), str(result), "-o", str(out)])
    assert run_render(args) == 0
    assert out.stat().st_size > 0
    args = parser.parse_args([str(video_root / "bucket" / "missing.avi"), str(result), "-o", str(out)])
    assert run_render(args) == 2

    serve = argparse.ArgumentParser()
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--sns-endpoint-url")
    configure_serve_video(serve)
    assert run_serve(serve.parse_args(["--analyzer", "video", "--host", "0.0.0.0"])) == 2  # no credentials
    assert run_serve(serve.parse_args(["--analyzer", "video", "--video-root", str(tmp_path / "nope")])) == 2


def test_s3_endpoint_and_sns_completion(video_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--s3-endpoint-url``: the object is read through the S3 API (a moto server), and the end is published."""
    import boto3
    from moto.server import ThreadedMotoServer

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        url = f"http://{host}:{port}"
        s3 = boto3.client("s3", endpoint_url=url)
        s3.create_bucket(Bucket="media")
        s3.upload_file(str(video_root / "bucket" / "clip.mp4"), "media", "in/clip.mp4")
        topic = boto3.client("sns", endpoint_url=url).create_topic(Name="AmazonRekognitionDone")["TopicArn"]
        channel = {"SNSTopicArn": topic, "RoleArn": "arn:aws:iam::123456789012:role/Rekognition"}
        with VideoRekognition(s3_endpoint_url=url, sns_endpoint_url=url) as server:
            client = server.client()
            job_id = start(client, "in/clip.mp4", bucket="media", NotificationChannel=channel, JobTag="s3")
            assert wait_done(client, job_id)["JobStatus"] == "SUCCEEDED"
            assert read_all(client, job_id)
            note = server.wait_notifications(1)[0]
            assert note.published
            assert note.payload["JobId"] == job_id
            assert note.payload["Status"] == "SUCCEEDED"
            assert note.payload["Video"] == {"S3ObjectName": "in/clip.mp4", "S3Bucket": "media"}
            with pytest.raises(ClientError) as missing:
                start(client, "in/other.mp4", bucket="media")
            assert missing.value.response["Error"]["Code"] == "InvalidS3ObjectException"
    finally:
        moto.stop()


def test_a_first_pass_cache_is_not_replayed_for_another_model(tmp_path: Path) -> None:
    """The accuracy benchmarks' first-pass cache is keyed by the detector model's sha256: after a detector change,
    `benchmarks.accuracy --checkclip` once silently replayed the old model's detections."""
    import numpy as np
    from benchmarks.accuracy import detector_model, load_cache, save_cache

    from rekotrack.selfhosted.vision._analyzer import FrameDetections
    from rekotrack.selfhosted.vision._detector import SSDLITE_ONNX

    frame = FrameDetections(0, np.array([[1.0, 2.0, 3.0, 4.0]]), np.array([0.9]), np.zeros((1, 8), np.float32))
    key = {"video": "v.avi", "model": detector_model("ssdlite")}
    assert key["model"] == SSDLITE_ONNX.sha256
    cache = tmp_path / "first-pass.npz"
    save_cache(cache, [frame], key)
    replayed = load_cache(cache, key)
    assert replayed is not None
    assert replayed[0].boxes.tolist() == [[1.0, 2.0, 3.0, 4.0]]
    assert load_cache(cache, {**key, "model": "0" * 64}) is None
