"""Pagination tokens, sort orders, and full reads compared to the scene's ground truth."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rekotrack.testing import LocalRekognition, SortBy, SyntheticScene

VIDEO: Any = {"S3Object": {"Bucket": "bucket", "Name": "video.mp4"}}
ReadAll = Callable[..., list[dict[str, Any]]]


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    code: str = caught.value.response["Error"]["Code"]
    return code


@pytest.fixture
def scene() -> SyntheticScene:
    return SyntheticScene(seed=11, people=6, duration_ms=120_000)


@pytest.fixture
def job_id(server: LocalRekognition, client: Any, scene: SyntheticScene) -> str:
    server.add_video("s3://bucket/video.mp4", scene)
    job: str = client.start_person_tracking(Video=VIDEO)["JobId"]
    return job


def _first_token(client: Any, job_id: str, **kwargs: Any) -> str:
    token: str = client.get_person_tracking(JobId=job_id, MaxResults=10, **kwargs)["NextToken"]
    return token


def test_token_is_short_and_opaque(client: Any, job_id: str) -> None:
    token = _first_token(client, job_id)
    assert len(token) <= 255
    assert job_id not in token
    assert token.isascii()


def test_forged_token(client: Any, job_id: str) -> None:
    for forged in ("abc", "x" * 255, base64.urlsafe_b64encode(b"\x01\x00" + b"\x00" * 24).decode(), "é"):
        assert _code(client.get_person_tracking, JobId=job_id, NextToken=forged) == "InvalidPaginationTokenException"


def test_altered_token(client: Any, job_id: str) -> None:
    token = _first_token(client, job_id)
    for i in range(len(token)):
        flipped = "A" if token[i] != "A" else "B"
        altered = token[:i] + flipped + token[i + 1 :]
        assert _code(client.get_person_tracking, JobId=job_id, NextToken=altered) == "InvalidPaginationTokenException"
    assert _code(client.get_person_tracking, JobId=job_id, NextToken=token + "A") == "InvalidPaginationTokenException"
    assert _code(client.get_person_tracking, JobId=job_id, NextToken=token[:-1]) == "InvalidPaginationTokenException"


def test_token_of_another_job(client: Any, job_id: str) -> None:
    other = client.start_person_tracking(Video=VIDEO)["JobId"]
    token = _first_token(client, other)
    assert _code(client.get_person_tracking, JobId=job_id, NextToken=token) == "InvalidPaginationTokenException"


def test_token_of_another_sort_order(client: Any, job_id: str) -> None:
    token = _first_token(client, job_id, SortBy="INDEX")
    assert _code(client.get_person_tracking, JobId=job_id, NextToken=token) == "InvalidPaginationTokenException"
    page = client.get_person_tracking(JobId=job_id, NextToken=token, SortBy="INDEX", MaxResults=1)
    assert page["Persons"]


def test_token_of_another_server_secret() -> None:
    from rekotrack._synthetic._tokens import TokenCodec, TokenError

    issued = TokenCodec().encode("job-1", "TIMESTAMP", 1000)
    key_k, key_j = TokenCodec(b"k" * 32), TokenCodec(b"j" * 32)
    assert key_k.encode("job-1", "TIMESTAMP", 5) != key_j.encode("job-1", "TIMESTAMP", 5)
    with pytest.raises(TokenError):
        TokenCodec().decode("job-1", "TIMESTAMP", issued)  # a restarted server has a new secret


def test_token_is_reusable(client: Any, job_id: str) -> None:
    token = _first_token(client, job_id)
    pages = [client.get_person_tracking(JobId=job_id, NextToken=token, MaxResults=5)["Persons"] for _ in range(3)]
    assert pages[0] == pages[1] == pages[2]


def test_page_size_may_change_between_pages(client: Any, job_id: str, scene: SyntheticScene) -> None:
    truth = list(scene.ground_truth())
    got: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"JobId": job_id}
    for size in (1, 7, 1000, 3, 1000, 1000):
        page = client.get_person_tracking(MaxResults=size, **kwargs)
        got.extend(page["Persons"])
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert got == truth[: len(got)]


@pytest.mark.parametrize("sort_by", ["TIMESTAMP", "INDEX"])
def test_sort_orders(client: Any, job_id: str, scene: SyntheticScene, read_all: ReadAll, sort_by: SortBy) -> None:
    got = read_all(client, job_id, sort_by, 97)
    assert got == list(scene.ground_truth(sort_by))
    if sort_by == "TIMESTAMP":
        keys = [(d["Timestamp"], d["Person"]["Index"]) for d in got]
    else:
        keys = [(d["Person"]["Index"], d["Timestamp"]) for d in got]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_default_sort_is_timestamp(client: Any, job_id: str, scene: SyntheticScene) -> None:
    assert client.get_person_tracking(JobId=job_id, MaxResults=50)["Persons"] == scene.page("TIMESTAMP", 0, 50)


def test_both_orders_hold_the_same_detections(client: Any, job_id: str, read_all: ReadAll) -> None:
    by_time = read_all(client, job_id, "TIMESTAMP")
    by_index = read_all(client, job_id, "INDEX")

    def key(d: dict[str, Any]) -> tuple[int, int]:
        return d["Person"]["Index"], d["Timestamp"]

    assert sorted(by_time, key=key) == by_index


def test_100k_detections_paginated_exactly(server: LocalRekognition, client: Any, read_all: ReadAll) -> None:
    scene = SyntheticScene.with_detections(100_000, seed=21)
    assert 98_000 <= len(scene) <= 102_000
    server.add_video("s3://bucket/big.mp4", scene)
    job_id = client.start_person_tracking(Video={"S3Object": {"Bucket": "bucket", "Name": "big.mp4"}})["JobId"]
    for sort_by in ("TIMESTAMP", "INDEX"):
        got = read_all(client, job_id, sort_by)
        assert len(got) == len(scene)
        assert got == list(scene.ground_truth(sort_by))  # no loss, no duplicate, same order
    assert server.request_count("GetPersonTracking") == 2 * -(-len(scene) // 1000)
