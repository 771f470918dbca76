"""Input validation as the service model defines it, answered as InvalidParameterException."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from rekotrack.testing import LocalRekognition

VIDEO: Any = {"S3Object": {"Bucket": "bucket", "Name": "video.mp4"}}
ROLE = "arn:aws:iam::123456789012:role/RekognitionSNS"
TOPIC = "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionDone"


def _code_and_message(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.mark.parametrize(
    ("kwargs", "member"),
    [
        ({"JobId": "has spaces"}, "JobId"),
        ({"JobId": "x" * 65}, "JobId"),
        ({"JobId": ""}, "JobId"),
        ({"JobId": "abc", "MaxResults": 0}, "MaxResults"),
        ({"JobId": "abc", "MaxResults": -5}, "MaxResults"),
        ({"JobId": "abc", "MaxResults": "10"}, "MaxResults"),
        ({"JobId": "abc", "MaxResults": True}, "MaxResults"),
        ({"JobId": "abc", "NextToken": "t" * 256}, "NextToken"),
        ({"JobId": "abc", "SortBy": "CONFIDENCE"}, "SortBy"),
        ({"JobId": "abc", "SortBy": "timestamp"}, "SortBy"),
        ({"JobId": 12}, "JobId"),
        ({}, "JobId"),
    ],
)
def test_get_validation(raw_client: Any, kwargs: dict[str, Any], member: str) -> None:
    code, message = _code_and_message(raw_client.get_person_tracking, **kwargs)
    assert code == "InvalidParameterException"
    assert f"'{member}'" in message
    assert message.startswith("1 validation error detected: ")


@pytest.mark.parametrize(
    ("kwargs", "member"),
    [
        ({"Video": {"S3Object": {"Bucket": "ab", "Name": "v.mp4"}}}, "Video.S3Object.Bucket"),
        ({"Video": {"S3Object": {"Bucket": "bad/bucket", "Name": "v.mp4"}}}, "Video.S3Object.Bucket"),
        ({"Video": {"S3Object": {"Bucket": "b" * 256, "Name": "v.mp4"}}}, "Video.S3Object.Bucket"),
        ({"Video": {"S3Object": {"Bucket": "bucket", "Name": ""}}}, "Video.S3Object.Name"),
        ({"Video": {"S3Object": {"Bucket": "bucket", "Name": "v.mp4", "Version": ""}}}, "Video.S3Object.Version"),
        ({"Video": VIDEO, "JobTag": "bad tag!"}, "JobTag"),
        ({"Video": VIDEO, "JobTag": "t" * 1025}, "JobTag"),
        ({"Video": VIDEO, "ClientRequestToken": "bad token"}, "ClientRequestToken"),
        ({"Video": VIDEO, "ClientRequestToken": "t" * 65}, "ClientRequestToken"),
        (
            {"Video": VIDEO, "NotificationChannel": {"SNSTopicArn": "arn:aws:sqs:us-east-1:1:q", "RoleArn": ROLE}},
            "NotificationChannel.SNSTopicArn",
        ),
        (
            {"Video": VIDEO, "NotificationChannel": {"SNSTopicArn": TOPIC, "RoleArn": "arn:aws:iam::12:role/x"}},
            "NotificationChannel.RoleArn",
        ),
        ({"Video": VIDEO, "NotificationChannel": {"SNSTopicArn": TOPIC}}, "NotificationChannel.RoleArn"),
        ({"Video": VIDEO, "JobTag": 7}, "JobTag"),
        ({}, "Video"),
    ],
)
def test_start_validation(raw_client: Any, kwargs: dict[str, Any], member: str) -> None:
    code, message = _code_and_message(raw_client.start_person_tracking, **kwargs)
    assert code == "InvalidParameterException"
    assert f"'{member}'" in message


def test_start_needs_a_bucket_and_name(raw_client: Any) -> None:
    code, message = _code_and_message(raw_client.start_person_tracking, Video={})
    assert code == "InvalidParameterException"
    assert "S3Object" in message


def test_every_problem_is_reported(raw_client: Any) -> None:
    code, message = _code_and_message(raw_client.get_person_tracking, JobId="a b", MaxResults=0, SortBy="X")
    assert code == "InvalidParameterException"
    assert message.startswith("3 validation errors detected: ")


def test_invalid_request_creates_no_job(server: LocalRekognition, raw_client: Any) -> None:
    with pytest.raises(ClientError):
        raw_client.start_person_tracking(Video=VIDEO, JobTag="no spaces allowed")
    assert server.finish_jobs() == []


def test_max_results_above_1000_is_capped(server: LocalRekognition, raw_client: Any) -> None:
    from rekotrack.testing import SyntheticScene

    server.add_video("s3://bucket/video.mp4", SyntheticScene.with_detections(2_500, seed=4))
    job_id = raw_client.start_person_tracking(Video=VIDEO)["JobId"]
    page = raw_client.get_person_tracking(JobId=job_id, MaxResults=5000)
    assert len(page["Persons"]) == 1000
    assert "NextToken" in page
    assert len(raw_client.get_person_tracking(JobId=job_id)["Persons"]) == 1000  # the default


def test_valid_edge_values_are_accepted(raw_client: Any) -> None:
    job_id = raw_client.start_person_tracking(
        Video={"S3Object": {"Bucket": "a.b", "Name": "k" * 1024, "Version": "v1"}},
        JobTag="tag-1_2.3:4+5=6/7",
        ClientRequestToken="t" * 64,
        NotificationChannel={"SNSTopicArn": TOPIC, "RoleArn": ROLE},
    )["JobId"]
    assert len(job_id) == 64
    page = raw_client.get_person_tracking(JobId=job_id, MaxResults=1, SortBy="INDEX")
    assert page["JobStatus"] == "SUCCEEDED"
    assert page["Video"] == {"S3Object": {"Bucket": "a.b", "Name": "k" * 1024, "Version": "v1"}}


@pytest.mark.parametrize(
    ("body", "member"),
    [
        ({"Video": "s3://bucket/video.mp4"}, "Video"),
        ({"Video": {"S3Object": ["bucket", "video.mp4"]}}, "Video.S3Object"),
        ({"Video": {"S3Object": {"Bucket": 3, "Name": "v.mp4"}}}, "Video.S3Object.Bucket"),
        ({"Video": VIDEO, "NotificationChannel": "topic"}, "NotificationChannel"),
    ],
)
def test_start_type_checks_on_raw_json(server: LocalRekognition, body: dict[str, Any], member: str) -> None:
    import http.client
    import json

    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    conn.request("POST", "/", json.dumps(body), {"X-Amz-Target": "RekognitionService.StartPersonTracking"})
    response = conn.getresponse()
    error = json.loads(response.read())
    conn.close()
    assert response.status == 400
    assert error["__type"] == "InvalidParameterException"
    assert f"'{member}'" in error["message"]
