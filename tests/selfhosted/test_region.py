"""Regions of the SigV4 credential scopes the self-hosted server accepts (issue 20 point 4).

``rekotrack serve --region REGION`` (repeatable or comma-separated; default: the region boto3
finds in the environment or config, else us-east-1) and ``VideoRekognition(region_name=...)``
(one name or several). Requests are signed by real boto3 clients configured for each region
and sent through botocore's HTTP stack to the server on 127.0.0.1; a refused scope's error
names the regions the server accepts.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from selfhosted_support import start

from rekotrack.selfhosted.service._cli import serve_regions
from rekotrack.selfhosted.service._service import VideoRekognition
from rekotrack.selfhosted.service._sigv4 import SigV4Authenticator, accepted_regions
from rekotrack.selfhosted.vision._settings import AnalyzerSettings

SYNTHETIC = AnalyzerSettings(analyzer="synthetic")
KEY, SECRET = "AKIDREGION", "region-secret"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "videos" / "bucket"
    folder.mkdir(parents=True)
    (folder / "a.mp4").write_bytes(b"not decoded by the synthetic analyzer")
    return tmp_path / "videos"


def _client(url: str, region: str) -> Any:
    return boto3.client("rekognition", endpoint_url=url, region_name=region, aws_access_key_id=KEY,
                        aws_secret_access_key=SECRET, config=Config(retries={"total_max_attempts": 1}))


def _refusal(client: Any) -> ClientError:
    with pytest.raises(ClientError) as refused:
        client.get_person_tracking(JobId="no-such-job")
    return refused.value


# ---------------------------------------------------------------------- VideoRekognition(region_name=...)
@pytest.fixture
def two_regions(root: Path) -> Iterator[VideoRekognition]:
    with VideoRekognition(video_root=root, settings=SYNTHETIC, credentials={KEY: SECRET},
                          region_name=["us-east-1", "us-west-2"]) as srv:
        yield srv


def test_every_region_given_is_accepted(two_regions: VideoRekognition) -> None:
    for region in ("us-west-2", "us-east-1"):
        job_id = start(_client(two_regions.url, region), "a.mp4")
        assert job_id
    assert two_regions.region_name == "us-east-1"  # the first is the server's own (S3, SNS)


def test_a_scope_of_another_region_is_refused_naming_the_accepted_ones(two_regions: VideoRekognition) -> None:
    error = _refusal(_client(two_regions.url, "eu-west-1"))
    assert error.response["Error"]["Code"] == "InvalidSignatureException"
    message = error.response["Error"]["Message"]
    assert "'eu-west-1'" in message
    assert "'us-east-1'" in message
    assert "'us-west-2'" in message
    assert two_regions.request_count() == 0


def test_one_region_name(root: Path) -> None:
    with VideoRekognition(video_root=root, settings=SYNTHETIC, credentials={KEY: SECRET},
                          region_name="us-west-2") as srv:
        assert start(_client(srv.url, "us-west-2"), "a.mp4")
        message = _refusal(_client(srv.url, "us-east-1")).response["Error"]["Message"]
    assert "accepts 'us-west-2'" in message


def test_region_names_are_checked() -> None:
    assert accepted_regions(["us-west-2", "us-east-1", "us-west-2"]) == ("us-west-2", "us-east-1")
    for bad in ("bad region!", "", [], ["us-east-1", "-x"]):
        with pytest.raises(ValueError, match="region"):
            accepted_regions(bad)
    with pytest.raises(ValueError, match="region"):
        SigV4Authenticator({KEY: SECRET}, region="us east 1", clock=lambda: 0.0)


# ---------------------------------------------------------------------- the scale-out mode
@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server on 127.0.0.1, stopped by its PID."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server not found (apt-get install redis-server)")
    redis = pytest.importorskip("redis")
    pytest.importorskip("celery")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}"
    try:
        client = redis.Redis.from_url(url, socket_timeout=2)
        deadline = time.monotonic() + 20
        while True:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_scale_out_accepts_the_regions_given(redis_url: str, moto_url: str) -> None:
    pytest.importorskip("cv2")
    pytest.importorskip("av")
    from rekotrack.selfhosted.service._scale import ScaledVideoRekognition

    boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1").create_bucket(Bucket="region-results")
    with ScaledVideoRekognition(broker=f"{redis_url}/0", results="s3://region-results/p", s3_endpoint_url=moto_url,
                                credentials={KEY: SECRET}, region_name=("us-west-2", "eu-central-1")) as srv:
        for region in ("us-west-2", "eu-central-1"):
            answer = _refusal(_client(srv.url, region))
            assert answer.response["Error"]["Code"] == "ResourceNotFoundException", region  # verified, looked up
        east = _refusal(_client(srv.url, "us-east-1")).response["Error"]
        assert srv.region_name == "us-west-2"
    assert east["Code"] == "InvalidSignatureException"
    assert "one of 'us-west-2', 'eu-central-1'" in east["Message"]


# ---------------------------------------------------------------------- rekotrack serve --region
def test_serve_region_default_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    assert serve_regions(None) == ["ap-southeast-2"]
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert serve_regions(None) == ["us-east-1"]
    assert serve_regions([["us-west-2", "eu-west-1"], ["us-west-2"]]) == ["us-west-2", "eu-west-1"]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "bad region!")
    with pytest.raises(ValueError, match="give --region"):
        serve_regions(None)


def _serve_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
               **extra)
    return env


@pytest.mark.parametrize(
    ("options", "env"),
    [
        pytest.param(["--region", "eu-west-1,us-west-2"], {}, id="flag"),
        pytest.param([], {"AWS_DEFAULT_REGION": "us-west-2"}, id="environment"),
    ],
)
def test_serve_accepts_a_us_west_2_client(root: Path, tmp_path: Path, options: list[str],
                                          env: dict[str, str]) -> None:
    """What the issue reproduced: a user whose AWS config names us-west-2, against ``serve --analyzer video``."""
    pytest.importorskip("cv2")
    pytest.importorskip("av")
    keys = tmp_path / "keys"
    keys.write_text(f"{KEY} {SECRET}\n")
    command = [sys.executable, "-m", "rekotrack", "serve", "--analyzer", "video", "--video-root", str(root),
               "--credentials-file", str(keys), "--port", "0", *options]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_serve_env(**env))
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert "listening on " in banner, banner + (proc.stderr.read() if proc.poll() is not None and proc.stderr
                                                    else "")
        url = banner.split("listening on ")[1].strip()
        hint = proc.stdout.readline()
        assert "region_name='" in hint
        west = _refusal(_client(url, "us-west-2"))
        assert west.response["Error"]["Code"] == "ResourceNotFoundException"  # signed, verified, then looked up
        east = _refusal(_client(url, "ap-northeast-1"))
        assert east.response["Error"]["Code"] == "InvalidSignatureException"
        assert "'us-west-2'" in east.response["Error"]["Message"]
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_serve_help_shows_region() -> None:
    shown = subprocess.run([sys.executable, "-m", "rekotrack", "serve", "--help"], capture_output=True, text=True,
                           timeout=120, env=_serve_env(), check=True).stdout
    assert "--region REGION" in shown


def test_serve_refuses_a_malformed_region() -> None:
    done = subprocess.run([sys.executable, "-m", "rekotrack", "serve", "--region", "bad region!"],
                          capture_output=True, text=True, timeout=120, env=_serve_env())
    assert done.returncode == 2
    assert "--region" in done.stderr
