"""The self-hosted server answers every Video operation: person tracking is analysed, the others get
a clear error with a code the operation declares (never UnknownOperationException)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from rekotrack.selfhosted._service import VideoRekognition
from rekotrack.selfhosted._settings import AnalyzerSettings

VIDEO = {"S3Object": {"Bucket": "bucket", "Name": "a.mp4"}}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[VideoRekognition]:
    (tmp_path / "videos" / "bucket").mkdir(parents=True)
    (tmp_path / "videos" / "bucket" / "a.mp4").write_bytes(b"not decoded by the synthetic analyzer")
    with VideoRekognition(video_root=tmp_path / "videos", settings=AnalyzerSettings(analyzer="synthetic")) as srv:
        yield srv


@pytest.mark.parametrize("operation", ["start_label_detection", "start_face_search", "start_text_detection",
                                       "start_segment_detection", "start_celebrity_recognition"])
def test_an_operation_it_cannot_analyse_is_refused_clearly(server: VideoRekognition, operation: str) -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("rekognition")
    client = server.client()
    params: dict[str, object] = {"Video": VIDEO}
    if operation == "start_face_search":
        params["CollectionId"] = "staff"
    if operation == "start_segment_detection":
        params["SegmentTypes"] = ["SHOT"]
    with pytest.raises(ClientError) as refused:
        getattr(client, operation)(**params)
    with pytest.raises(ClientError) as missing:
        client.get_label_detection(JobId="a" * 64)
    error = refused.value.response["Error"]
    name = client.meta.method_to_api_mapping[operation]
    assert error["Code"] in {shape.name for shape in model.operation_model(name).error_shapes}
    assert "StartPersonTracking" in error["Message"]
    assert name in error["Message"]
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert server.request_count(name) == 1
