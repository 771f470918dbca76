"""Issue 20, point 6: an S3 key is read literally, as S3 reads it.

``s3://bucket/sub/../clip.avi`` names the object whose key is ``sub/../clip.avi``; S3 has no folders to
walk, so where only ``clip.avi`` exists that object does not, and Start answers InvalidS3ObjectException.
Before the fix, the ``--video-root`` mode resolved the path and analysed ``bucket/clip.avi``. Checked in
both ways of reading videos: files under ``--video-root`` and a real S3 API (a moto server).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from selfhosted_support import start, wait_done

from rekotrack.selfhosted import AnalyzerSettings, VideoRekognition

SYNTHETIC = AnalyzerSettings(analyzer="synthetic")
DOTTED = ["sub/../clip.avi", "./clip.avi", "x/./clip.avi", "sub//../clip.avi", "clip.avi/.", "/clip.avi"]


def _refused(client: Any, key: str, bucket: str) -> str:
    with pytest.raises(ClientError) as refused:
        start(client, key, bucket=bucket)
    return str(refused.value.response["Error"]["Code"])


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "bucket" / "sub").mkdir(parents=True)  # "sub" exists: the kernel would walk sub/.. too
    (tmp_path / "bucket" / "clip.avi").write_bytes(b"only clip.avi")
    return tmp_path


@pytest.mark.parametrize("key", DOTTED)
def test_a_dotted_key_under_video_root_is_no_object(root: Path, key: str) -> None:
    with VideoRekognition(video_root=root, settings=SYNTHETIC) as server:
        assert _refused(server.client(), key, "bucket") == "InvalidS3ObjectException"


def test_the_plain_key_is_still_served(root: Path) -> None:
    with VideoRekognition(video_root=root, settings=SYNTHETIC) as server:
        client = server.client()
        assert wait_done(client, start(client, "clip.avi", bucket="bucket"))["JobStatus"] == "SUCCEEDED"


def test_a_dotted_key_through_the_s3_api_is_read_literally(moto_url: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket="literal-keys")
    s3.put_object(Bucket="literal-keys", Key="clip.avi", Body=b"only clip.avi")
    with VideoRekognition(s3_endpoint_url=moto_url, settings=SYNTHETIC, data_dir=tmp_path / "data") as server:
        client = server.client()
        for key in ("sub/../clip.avi", "./clip.avi"):
            assert _refused(client, key, "literal-keys") == "InvalidS3ObjectException", key
        s3.put_object(Bucket="literal-keys", Key="sub/../clip.avi", Body=b"the object named so")
        job_id = start(client, "sub/../clip.avi", bucket="literal-keys")  # now it exists: it is the one read
        assert wait_done(client, job_id)["JobStatus"] == "SUCCEEDED"
