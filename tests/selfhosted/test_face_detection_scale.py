"""Face detection in the scale-out mode: redis-server, a moto server for S3, ``rekotrack serve --broker``
and one ``rekotrack worker``, each its own process (stopped by PID). The job's Get reports the frames
done while it runs, and its faces are those the single-machine mode finds in the same clip."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from test_face_detection import cut, read_faces, wait_faces
from test_scale import Deployment, redis_url  # noqa: F401 - redis_url is a fixture used here

pytest.importorskip("cv2")
pytest.importorskip("av")

FRAMES = 10


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, vtest: Path) -> Path:
    folder = tmp_path_factory.mktemp("face-scale")
    (folder / "bucket").mkdir()
    cut(vtest, folder / "bucket" / "faces.avi", 100, FRAMES)
    return folder / "bucket" / "faces.avi"


@pytest.fixture(scope="module")
def deployment(redis_url: str, moto_url: str, clip: Path,  # noqa: F811 - the imported fixture
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    for bucket in ("facevideos", "results"):
        s3.create_bucket(Bucket=bucket)
    s3.upload_file(str(clip), "facevideos", "faces.avi")
    deployed = Deployment(redis_url, moto_url, tmp_path_factory.mktemp("face-deployment"))
    try:
        deployed.start_api()
        deployed.start_worker()
        yield deployed
    finally:
        deployed.stop()


def test_face_detection_runs_on_a_worker_with_progress_and_the_single_machine_faces(
    deployment: Deployment, clip: Path
) -> None:
    from rekotrack.selfhosted.service._service import VideoRekognition

    client = deployment.client()
    video = {"S3Object": {"Bucket": "facevideos", "Name": "faces.avi"}}
    job_id = client.start_face_detection(Video=video)["JobId"]
    messages: list[str] = []
    deadline = time.monotonic() + 300
    while True:
        page: dict[str, Any] = client.get_face_detection(JobId=job_id, MaxResults=2)
        if page["JobStatus"] != "IN_PROGRESS":
            break
        if "StatusMessage" in page:
            messages.append(page["StatusMessage"])
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert page["JobStatus"] == "SUCCEEDED", page.get("StatusMessage")
    assert "StatusMessage" not in page
    assert messages, "no progress was reported while the job ran"
    done = [re.fullmatch(r"analysed (\d+) of (\d+) frames", m) for m in messages]
    assert all(done), messages
    counts = [int(m.group(1)) for m in done if m]
    assert counts == sorted(counts)
    assert all(int(m.group(2)) == FRAMES for m in done if m), messages
    scaled, sizes = read_faces(client, job_id, max_results=3)
    assert scaled
    assert len(sizes) == -(-len(scaled) // 3)
    with VideoRekognition(video_root=clip.parent.parent, workers=1) as single:
        local = single.client()
        local_id = local.start_face_detection(Video={"S3Object": {"Bucket": "bucket", "Name": "faces.avi"}})["JobId"]
        alone = wait_faces(local, local_id)
        faces, _ = read_faces(local, local_id)
    assert alone["VideoMetadata"] == page["VideoMetadata"]
    # the same faces; the worker runs the model on another thread count, so the last digits may differ
    assert [f["Timestamp"] for f in faces] == [f["Timestamp"] for f in scaled]
    for one, other in zip(faces, scaled, strict=True):
        for side in ("Left", "Top", "Width", "Height"):
            assert one["Face"]["BoundingBox"][side] == pytest.approx(other["Face"]["BoundingBox"][side], abs=1e-3)
        assert one["Face"]["Confidence"] == pytest.approx(other["Face"]["Confidence"], abs=0.1)


def test_scale_out_refuses_what_it_cannot_analyse(deployment: Deployment) -> None:
    from botocore.exceptions import ClientError

    client = deployment.client()
    with pytest.raises(ClientError) as refused:
        client.start_label_detection(Video={"S3Object": {"Bucket": "facevideos", "Name": "faces.avi"}})
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "StartFaceDetection" in refused.value.response["Error"]["Message"]
