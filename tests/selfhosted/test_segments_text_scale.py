"""Segments and text in the scale-out mode: redis-server, a moto server for S3 and SNS, ``rekotrack serve
--broker`` and one ``rekotrack worker``, each its own process (stopped by PID). Results are paged from S3
like person tracking, equal the single-machine mode's, are read by rekotrack's job classes, and each
job's SNS completion names its own API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from test_scale import Deployment, _until, redis_url  # noqa: F401 - redis_url is a fixture used here
from test_segments import SHOTS, read_segments, wait_segments
from test_text import make_clip, read_text

pytest.importorskip("cv2")
pytest.importorskip("av")
pytest.importorskip("scenedetect")
pytest.importorskip("rapidocr")

from benchmarks.segments_text import make_cut_clip


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory, vtest: Path) -> Path:
    folder = tmp_path_factory.mktemp("segments-scale") / "bucket"
    folder.mkdir()
    make_cut_clip(folder / "cuts.avi")
    make_clip(folder / "text.avi")
    return folder


@pytest.fixture(scope="module")
def deployment(redis_url: str, moto_url: str, clips: Path,  # noqa: F811 - the imported fixture
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    for bucket in ("cuevideos", "results"):
        s3.create_bucket(Bucket=bucket)
    for name in ("cuts.avi", "text.avi"):
        s3.upload_file(str(clips / name), "cuevideos", name)
    deployed = Deployment(redis_url, moto_url, tmp_path_factory.mktemp("segments-deployment"))
    try:
        deployed.start_api()
        deployed.start_worker()
        yield deployed
    finally:
        deployed.stop()


def test_segments_and_text_run_on_a_worker_like_on_one_machine(deployment: Deployment, moto_url: str,
                                                                 clips: Path) -> None:
    from rekotrack.selfhosted.service._service import VideoRekognition

    sns = boto3.client("sns", endpoint_url=moto_url, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    topic = sns.create_topic(Name="cues-done")["TopicArn"]
    queue = sqs.create_queue(QueueName="cues-done")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    channel = {"SNSTopicArn": topic, "RoleArn": "arn:aws:iam::123456789012:role/rekognition"}
    client = deployment.client()
    segment_id = client.start_segment_detection(
        Video={"S3Object": {"Bucket": "cuevideos", "Name": "cuts.avi"}}, SegmentTypes=["SHOT", "TECHNICAL_CUE"],
        NotificationChannel=channel)["JobId"]
    text_id = client.start_text_detection(Video={"S3Object": {"Bucket": "cuevideos", "Name": "text.avi"}},
                                          NotificationChannel=channel)["JobId"]
    assert wait_segments(client, segment_id, timeout=300)["JobStatus"] == "SUCCEEDED"
    segments, pages = read_segments(client, segment_id, max_results=2)
    assert [(s["StartFrameNumber"], s["EndFrameNumber"]) for s in segments if s["Type"] == "SHOT"] == SHOTS
    assert len(pages) == 4
    texts, _ = read_text(client, text_id, max_results=4)
    with VideoRekognition(video_root=clips.parent, workers=1) as single:
        local = single.client()
        local_id = local.start_segment_detection(Video={"S3Object": {"Bucket": "bucket", "Name": "cuts.avi"}},
                                                 SegmentTypes=["SHOT", "TECHNICAL_CUE"])["JobId"]
        wait_segments(local, local_id)
        alone, [page] = read_segments(local, local_id)
        local_text, [text_page] = read_text(local, local.start_text_detection(
            Video={"S3Object": {"Bucket": "bucket", "Name": "text.avi"}})["JobId"])
    assert segments == alone
    assert {k: v for k, v in pages[0].items() if k in ("VideoMetadata", "AudioMetadata", "SelectedSegmentTypes")} \
        == {k: v for k, v in page.items() if k in ("VideoMetadata", "AudioMetadata", "SelectedSegmentTypes")}
    # the worker runs the models on another thread count: the same words, boxes to the last digits
    assert [(t["Timestamp"], t["TextDetection"]["DetectedText"]) for t in texts] == \
        [(t["Timestamp"], t["TextDetection"]["DetectedText"]) for t in local_text]
    scaled_page = client.get_text_detection(JobId=text_id, MaxResults=1)
    assert scaled_page["TextModelVersion"] == text_page["TextModelVersion"]
    assert scaled_page["VideoMetadata"] == text_page["VideoMetadata"]
    messages: list[dict[str, Any]] = []

    def received() -> bool:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            messages.append(json.loads(json.loads(message["Body"])["Message"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return len(messages) >= 2

    _until(received, 30, "completion messages")
    time.sleep(0.5)
    received()
    assert {m["JobId"]: (m["API"], m["Status"]) for m in messages} == {
        segment_id: ("StartSegmentDetection", "SUCCEEDED"), text_id: ("StartTextDetection", "SUCCEEDED")}


def test_rekotrack_job_classes_read_the_scaled_results(deployment: Deployment) -> None:
    import rekotrack

    client = deployment.client()
    job = rekotrack.SegmentDetector(client=client).start("s3://cuevideos/cuts.avi", segment_types=["TECHNICAL_CUE"],
                                                        filters={"TechnicalCueFilter": {"BlackFrame": {
                                                            "MaxPixelThreshold": 0.1}}})
    job.wait(timeout=300)
    assert [(s.start_frame_number, s.end_frame_number) for s in job.segments()] == [(100, 109)]
    text = rekotrack.TextDetector(client=client).start("s3://cuevideos/text.avi")
    text.wait(timeout=300)
    words = {d.text_detection.detected_text for d in text.text_detections()
             if d.text_detection is not None and d.text_detection.type == "WORD"}
    assert words == {"MAIN", "STREET", "EXIT", "12", "Coffee", "Bakery", "Hotel"}
