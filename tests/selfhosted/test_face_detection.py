"""StartFaceDetection/GetFaceDetection on the self-hosted video server (CenterFace), through boto3.

A 15-frame clip cut from vtest.avi is analysed once (single-machine mode, worker processes); its
faces are checked against the person detector run on the same frames, against rekotrack's
generated models, and read again in pages of every size and by rekotrack's ``FaceDetector``.
A still of the scene with nobody in it (the per-pixel median of frames across the whole video,
in which the person detector finds no one) gives no faces. The scale-out mode is in
``test_face_detection_scale.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytest.importorskip("cv2")
pytest.importorskip("av")

from rekotrack.selfhosted.service._service import VideoRekognition

CLIP_FIRST, CLIP_FRAMES = 100, 15
LANDMARKS = ["eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight"]


def cut(source: Path, dest: Path, first: int, frames: int) -> None:
    """Frames ``first`` .. ``first + frames`` of ``source`` as an MPEG-4 AVI whose time starts at 0."""
    from fractions import Fraction

    import av

    with av.open(str(source)) as src, av.open(str(dest), mode="w") as out:
        stream_in = src.streams.video[0]
        stream = out.add_stream("mpeg4", rate=stream_in.average_rate or 10)
        stream.width, stream.height = stream_in.codec_context.width, stream_in.codec_context.height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 4_000_000
        for n, frame in enumerate(src.decode(stream_in)):
            if n >= first + frames:
                break
            if n >= first:
                frame = frame.reformat(format="yuv420p")
                frame.pts, frame.time_base = n - first, Fraction(1, int(stream_in.average_rate or 10))
                for packet in stream.encode(frame):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def empty_scene(source: Path) -> Any:
    """The scene without its people: the per-pixel median of every 20th frame of the whole video."""
    import numpy as np

    from rekotrack.selfhosted.vision._video import iter_frames

    frames = [image for n, (_, image) in enumerate(iter_frames(source)) if n % 20 == 0]
    return np.median(np.stack(frames), axis=0).astype(np.uint8)


def still_video(image: Any, dest: Path, frames: int = 5) -> None:
    import av

    with av.open(str(dest), mode="w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.height, stream.width = image.shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 4_000_000
        for _ in range(frames):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@pytest.fixture(scope="module")
def face_root(tmp_path_factory: pytest.TempPathFactory, vtest: Path) -> Path:
    root = tmp_path_factory.mktemp("face-videos")
    (root / "bucket").mkdir()
    cut(vtest, root / "bucket" / "people.avi", CLIP_FIRST, CLIP_FRAMES)
    still_video(empty_scene(vtest), root / "bucket" / "empty.avi")
    return root


@pytest.fixture(scope="module")
def server(face_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VideoRekognition]:
    with VideoRekognition(video_root=face_root, data_dir=tmp_path_factory.mktemp("face-data"), workers=1) as srv:
        yield srv


def wait_faces(client: Any, job_id: str, timeout: float = 300.0) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        page: dict[str, Any] = client.get_face_detection(JobId=job_id, MaxResults=1)
        if page["JobStatus"] != "IN_PROGRESS":
            return page
        assert time.monotonic() < deadline, f"job {job_id} still IN_PROGRESS after {timeout} s"
        time.sleep(0.2)


def read_faces(client: Any, job_id: str, max_results: int = 1000) -> tuple[list[dict[str, Any]], list[int]]:
    """Every item, and the size of every page."""
    items: list[dict[str, Any]] = []
    sizes: list[int] = []
    kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": max_results}
    while True:
        page = client.get_face_detection(**kwargs)
        assert page["JobStatus"] == "SUCCEEDED"
        items.extend(page["Faces"])
        sizes.append(len(page["Faces"]))
        if "NextToken" not in page:
            return items, sizes
        kwargs["NextToken"] = page["NextToken"]


def start_faces(client: Any, name: str, **kwargs: Any) -> str:
    job_id: str = client.start_face_detection(Video={"S3Object": {"Bucket": "bucket", "Name": name}}, **kwargs)["JobId"]
    return job_id


@pytest.fixture(scope="module")
def people_job(server: VideoRekognition) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    client = server.client()
    job_id = start_faces(client, "people.avi")
    page = wait_faces(client, job_id)
    assert page["JobStatus"] == "SUCCEEDED", page.get("StatusMessage")
    items, _ = read_faces(client, job_id)
    return job_id, page, items


def test_faces_are_found_where_the_people_are(people_job: Any, face_root: Path) -> None:
    """Every face's centre lies in the top half of a person box the person detector finds in that frame."""
    from rekotrack.selfhosted.vision._detector import make_detector
    from rekotrack.selfhosted.vision._video import iter_frames

    _, page, items = people_job
    assert len(items) >= CLIP_FRAMES // 2, f"only {len(items)} faces in {CLIP_FRAMES} frames of a busy scene"
    people = make_detector("ssdlite", threads=1)
    frames = dict(iter_frames(face_root / "bucket" / "people.avi"))
    assert {item["Timestamp"] for item in items} <= set(frames)
    width, height = page["VideoMetadata"]["FrameWidth"], page["VideoMetadata"]["FrameHeight"]
    outside = []
    for item in items:
        box = item["Face"]["BoundingBox"]
        cx, cy = (box["Left"] + box["Width"] / 2) * width, (box["Top"] + box["Height"] / 2) * height
        persons, scores = people.detect(frames[item["Timestamp"]])
        pad = 4.0  # pixels: a face at a person box's edge
        if not any(x1 - pad <= cx <= x2 + pad and y1 - pad <= cy <= y1 + (y2 - y1) / 2
                   for (x1, y1, x2, y2), score in zip(persons, scores, strict=True) if score >= 0.3):
            outside.append(item)
    assert not outside, f"{len(outside)} of {len(items)} faces are not on a detected person: {outside[:3]}"


def test_items_are_service_shaped_and_validate_against_the_generated_models(people_job: Any, vtest: Path,
                                                                           face_root: Path) -> None:
    import rekotrack
    from rekotrack.selfhosted.vision._video import probe

    _, page, items = people_job
    info = probe(face_root / "bucket" / "people.avi")
    assert page["VideoMetadata"] == info.video_metadata()
    rekotrack.FaceDetectionPage.model_validate({**page, "Faces": items})
    stamps = [item["Timestamp"] for item in items]
    assert stamps == sorted(stamps)
    for item in items:
        assert rekotrack.FaceDetection.model_validate(item).to_aws() == item
        assert set(item) == {"Timestamp", "Face"}
        face = item["Face"]
        assert set(face) <= {"BoundingBox", "Confidence", "Landmarks", "Quality", "Pose"}
        assert 50.0 <= face["Confidence"] <= 100.0
        box = face["BoundingBox"]
        assert 0 <= box["Left"] <= box["Left"] + box["Width"] <= 1
        assert 0 <= box["Top"] <= box["Top"] + box["Height"] <= 1
        assert [mark["Type"] for mark in face["Landmarks"]] == LANDMARKS
        assert all(0 <= mark["X"] <= 1 and 0 <= mark["Y"] <= 1 for mark in face["Landmarks"])
        eye_left, eye_right = face["Landmarks"][0], face["Landmarks"][1]
        assert eye_left["X"] < eye_right["X"]  # the image's left eye first
        assert 0 <= face["Quality"]["Brightness"] <= 100
        assert 0 <= face["Quality"]["Sharpness"] <= 100
        assert set(face.get("Pose", {})) <= {"Roll"}  # yaw and pitch are not measured
        assert -180 <= face.get("Pose", {}).get("Roll", 0) <= 180


def test_pages_of_every_size_read_the_same_items(people_job: Any, server: VideoRekognition) -> None:
    job_id, _, items = people_job
    client = server.client()
    for size in (1, 3, 7, len(items), len(items) + 1):
        paged, sizes = read_faces(client, job_id, max_results=size)
        assert paged == items
        assert sizes == [size] * (len(items) // size) + ([len(items) % size] if len(items) % size else [])
    with pytest.raises(ClientError) as bad:
        client.get_face_detection(JobId=job_id, NextToken="not-a-token")
    assert bad.value.response["Error"]["Code"] == "InvalidPaginationTokenException"


def test_rekotrack_face_detector_reads_them(people_job: Any, server: VideoRekognition) -> None:
    import rekotrack

    job_id, _page, items = people_job
    detector = rekotrack.FaceDetector(client=server.client())
    got = list(detector.faces(job_id, page_size=4))
    assert [det.to_aws() for det in got] == items
    assert all(isinstance(det, rekotrack.FaceDetection) for det in got)
    result = detector.collect(job_id)
    assert len(result) == len(items)


def test_face_attributes_all_adds_nothing_it_does_not_measure(people_job: Any, server: VideoRekognition) -> None:
    _, _, items = people_job
    client = server.client()
    job_id = start_faces(client, "people.avi", FaceAttributes="ALL")
    assert wait_faces(client, job_id)["JobStatus"] == "SUCCEEDED"
    assert read_faces(client, job_id)[0] == items  # no ages, emotions or other invented attributes


def test_a_scene_without_people_has_no_faces(server: VideoRekognition, face_root: Path) -> None:
    from rekotrack.selfhosted.vision._detector import make_detector
    from rekotrack.selfhosted.vision._video import iter_frames

    _, still = next(iter_frames(face_root / "bucket" / "empty.avi"))
    _boxes, scores = make_detector("ssdlite", threads=1).detect(still)
    assert not [s for s in scores if s >= 0.3]  # the still really is empty of people
    client = server.client()
    job_id = start_faces(client, "empty.avi")
    page = wait_faces(client, job_id)
    assert page["JobStatus"] == "SUCCEEDED"
    assert page["Faces"] == []
    assert "NextToken" not in page
    assert page["VideoMetadata"]["FrameWidth"] == still.shape[1]


def test_face_jobs_survive_a_restart(face_root: Path, tmp_path: Path) -> None:
    with VideoRekognition(video_root=face_root, data_dir=tmp_path, workers=1) as first:
        client = first.client()
        job_id = start_faces(client, "empty.avi", JobTag="still")
        page = wait_faces(client, job_id)
        assert page["JobStatus"] == "SUCCEEDED"
    with VideoRekognition(video_root=face_root, data_dir=tmp_path, workers=1) as second:
        client = second.client()
        again = client.get_face_detection(JobId=job_id)
        assert {k: again[k] for k in ("JobStatus", "Faces", "VideoMetadata", "JobTag")} == \
            {k: page[k] for k in ("JobStatus", "Faces", "VideoMetadata")} | {"JobTag": "still"}
        with pytest.raises(ClientError) as other:  # a face job is not a person-tracking job
            client.get_person_tracking(JobId=job_id)
        assert other.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_what_it_cannot_analyse_names_what_it_can(server: VideoRekognition) -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("rekognition")
    client = server.client()
    with pytest.raises(ClientError) as refused:
        client.start_label_detection(Video={"S3Object": {"Bucket": "bucket", "Name": "people.avi"}})
    error = refused.value.response["Error"]
    assert error["Code"] in {shape.name for shape in model.operation_model("StartLabelDetection").error_shapes}
    for name in ("StartPersonTracking", "StartFaceDetection", "GetFaceDetection", "StartLabelDetection"):
        assert name in error["Message"]


def test_the_synthetic_analyzer_answers_the_synthetic_faces(tmp_path: Path) -> None:
    from rekotrack.selfhosted.vision._settings import AnalyzerSettings
    from rekotrack.testing import SyntheticJob

    (tmp_path / "bucket").mkdir()
    (tmp_path / "bucket" / "a.mp4").write_bytes(b"not decoded by the synthetic analyzer")
    video = {"S3Object": {"Bucket": "bucket", "Name": "a.mp4"}}
    with VideoRekognition(video_root=tmp_path, settings=AnalyzerSettings(analyzer="synthetic")) as srv:
        client = srv.client()
        for attributes in ("DEFAULT", "ALL"):
            job_id = client.start_face_detection(Video=video, FaceAttributes=attributes)["JobId"]
            page = wait_faces(client, job_id)
            expected = SyntheticJob("FaceDetection", {"Video": video, "FaceAttributes": attributes})
            assert page["VideoMetadata"] == expected.video_metadata()
            assert read_faces(client, job_id, max_results=50)[0] == expected.items()
            assert expected.items()


def test_a_data_directory_from_before_face_detection_keeps_its_person_jobs(tmp_path: Path) -> None:
    import sqlite3

    from rekotrack.selfhosted.service._store import JobStore

    old = sqlite3.connect(str(tmp_path / "jobs.sqlite3"))
    old.execute("CREATE TABLE jobs (job_id TEXT PRIMARY KEY, owner TEXT, token TEXT, fingerprint TEXT NOT NULL, "
                "video TEXT NOT NULL, job_tag TEXT, channel TEXT, created REAL NOT NULL, status TEXT NOT NULL, "
                "status_message TEXT, ended REAL)")
    old.execute("INSERT INTO jobs VALUES ('j1', NULL, NULL, '{}', '{}', NULL, NULL, 1.0, 'FAILED', 'Failed.', 2.0)")
    old.commit()
    old.close()
    store = JobStore(tmp_path)
    try:
        [record] = list(store.records())
        assert (record.job_id, record.operation, record.status_message) == ("j1", "PersonTracking", "Failed.")
    finally:
        store.close()
