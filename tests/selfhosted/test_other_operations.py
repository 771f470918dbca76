"""The self-hosted server answers every Video operation: people, faces, segments and text are analysed,
the others get a clear error with a code the operation declares (never UnknownOperationException)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rekotrack.selfhosted.service._service import VideoRekognition
from rekotrack.selfhosted.vision._settings import AnalyzerSettings

VIDEO = {"S3Object": {"Bucket": "bucket", "Name": "a.mp4"}}
ANALYSED = ("StartPersonTracking", "StartFaceDetection", "StartSegmentDetection", "GetSegmentDetection",
            "StartTextDetection", "GetTextDetection")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[VideoRekognition]:
    (tmp_path / "videos" / "bucket").mkdir(parents=True)
    (tmp_path / "videos" / "bucket" / "a.mp4").write_bytes(b"not decoded by the synthetic analyzer")
    with VideoRekognition(video_root=tmp_path / "videos", settings=AnalyzerSettings(analyzer="synthetic")) as srv:
        yield srv


@pytest.mark.parametrize("operation", ["start_label_detection", "start_face_search", "start_celebrity_recognition",
                                       "start_content_moderation"])
def test_an_operation_it_cannot_analyse_is_refused_clearly(server: VideoRekognition, operation: str) -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("rekognition")
    client = server.client()
    params: dict[str, object] = {"Video": VIDEO}
    if operation == "start_face_search":
        params["CollectionId"] = "staff"
    with pytest.raises(ClientError) as refused:
        getattr(client, operation)(**params)
    with pytest.raises(ClientError) as missing:
        client.get_label_detection(JobId="a" * 64)
    error = refused.value.response["Error"]
    name = client.meta.method_to_api_mapping[operation]
    assert error["Code"] in {shape.name for shape in model.operation_model(name).error_shapes}
    assert all(analysed in error["Message"] for analysed in ANALYSED)
    assert name in error["Message"]
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert server.request_count(name) == 1


def _wait(client: Any, get: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        page: dict[str, Any] = getattr(client, get)(JobId=job_id, MaxResults=1)
        if page["JobStatus"] != "IN_PROGRESS":
            return page
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["SegmentDetection", "TextDetection"])
def test_the_synthetic_analyzer_answers_the_synthetic_segments_and_text(server: VideoRekognition, kind: str) -> None:
    """``--analyzer synthetic`` serves the same items and page members as ``LocalRekognition``."""
    from rekotrack.testing import SyntheticJob

    client = server.client()
    params: dict[str, Any] = {"Video": VIDEO, "Filters": {}}
    if kind == "SegmentDetection":
        params["SegmentTypes"] = ["TECHNICAL_CUE", "SHOT"]
    noun = "segment" if kind == "SegmentDetection" else "text"
    job_id = getattr(client, f"start_{noun}_detection")(**params)["JobId"]
    get = f"get_{noun}_detection"
    assert _wait(client, get, job_id)["JobStatus"] == "SUCCEEDED"
    expected = SyntheticJob(kind, params)
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": 7}
    while True:
        page = getattr(client, get)(**kwargs)
        items.extend(page["Segments" if kind == "SegmentDetection" else "TextDetections"])
        assert {k: page[k] for k in expected.page_fields()} == expected.page_fields()
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert items == expected.items()
    assert items
