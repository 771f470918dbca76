"""Models: exact round-trip to the AWS dict, both name styles, frozen, forward compatible, documented."""

from __future__ import annotations

import copy
import inspect
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import BaseModel, ValidationError

import rekotrack
from rekotrack import (
    AgeRange,
    Beard,
    BoundingBox,
    Emotion,
    EyeDirection,
    Eyeglasses,
    EyeOpen,
    FaceDetail,
    FaceOccluded,
    Gender,
    ImageQuality,
    Landmark,
    MouthOpen,
    Mustache,
    NotificationChannel,
    PersonDetail,
    PersonDetection,
    PersonTrackingPage,
    Pose,
    S3Object,
    Smile,
    Sunglasses,
    Video,
    VideoMetadata,
)

from .unit_support import EMOTION_TYPES, GET_OUTPUT, LANDMARK_TYPES, SERVICE, full_response, responses

# Service model shape name -> the rekotrack model for it.
SHAPE_MODELS: dict[str, type[BaseModel]] = {
    "GetPersonTrackingResponse": PersonTrackingPage,
    "VideoMetadata": VideoMetadata,
    "PersonDetection": PersonDetection,
    "PersonDetail": PersonDetail,
    "BoundingBox": BoundingBox,
    "FaceDetail": FaceDetail,
    "AgeRange": AgeRange,
    "Smile": Smile,
    "Eyeglasses": Eyeglasses,
    "Sunglasses": Sunglasses,
    "Gender": Gender,
    "Beard": Beard,
    "Mustache": Mustache,
    "EyeOpen": EyeOpen,
    "MouthOpen": MouthOpen,
    "Emotion": Emotion,
    "Landmark": Landmark,
    "Pose": Pose,
    "ImageQuality": ImageQuality,
    "FaceOccluded": FaceOccluded,
    "EyeDirection": EyeDirection,
    "Video": Video,
    "S3Object": S3Object,
    "NotificationChannel": NotificationChannel,
}


def _assert_no_extras(model: Any) -> None:
    """A response following the service model lands entirely in typed fields."""
    if isinstance(model, BaseModel):
        assert not model.model_extra, f"{type(model).__name__} kept {model.model_extra} as unknown fields"
        for name in type(model).model_fields:
            _assert_no_extras(getattr(model, name))
    elif isinstance(model, tuple):
        for item in model:
            _assert_no_extras(item)


def _leaf_paths(data: Any, path: str = "") -> set[str]:
    if isinstance(data, dict):
        return {p for k, v in data.items() for p in _leaf_paths(v, f"{path}.{k}" if path else k)}
    if isinstance(data, list):
        return {p for v in data for p in _leaf_paths(v, f"{path}[]")}
    return {path}


def _shape_leaf_paths(shape: Any, path: str = "") -> set[str]:
    if shape.type_name == "structure":
        return {p for k, s in shape.members.items() for p in _shape_leaf_paths(s, f"{path}.{k}" if path else k)}
    if shape.type_name == "list":
        return _shape_leaf_paths(shape.member, f"{path}[]")
    return {path}


# ---- round trip ------------------------------------------------------------------


def test_full_response_fixture_covers_every_field_of_the_service_model() -> None:
    assert _leaf_paths(full_response()) == _shape_leaf_paths(GET_OUTPUT)


def test_full_response_round_trips_exactly() -> None:
    data = full_response()
    original = copy.deepcopy(data)
    page = PersonTrackingPage.model_validate(data)
    assert page.to_aws() == original
    assert data == original, "model_validate must not mutate its input"
    _assert_no_extras(page)


def test_full_response_lands_in_typed_attributes() -> None:
    page = PersonTrackingPage.model_validate(full_response())
    assert page.job_status == "SUCCEEDED"
    assert page.status_message == "done"
    assert page.next_token == "token-abc/def+=="
    assert page.job_tag == "run-7"
    assert page.video is not None
    assert page.video.s3_object is not None
    assert page.video.s3_object.version == "v1"
    assert page.video_metadata is not None
    assert page.video_metadata.frame_rate == pytest.approx(29.97)
    assert page.video_metadata.color_range == "FULL"
    assert page.persons is not None
    assert len(page.persons) == 3
    first = page.persons[0]
    assert first.timestamp == 0
    assert first.person is not None
    assert first.person.index == 0
    assert first.person.bounding_box is not None
    assert first.person.bounding_box.left == 0.125
    face = first.person.face
    assert face is not None
    assert face.eyes_open is not None
    assert face.eyes_open.value is True
    assert face.age_range == AgeRange(low=25, high=35)
    assert face.landmarks is not None
    assert [lm.type for lm in face.landmarks] == list(LANDMARK_TYPES)
    assert face.emotions is not None
    assert face.emotions[0].type == EMOTION_TYPES[0]
    assert face.eye_direction is not None
    assert face.eye_direction.confidence == pytest.approx(77.7)
    assert page.persons[2].person is not None
    assert page.persons[2].person.face is None


@pytest.mark.parametrize(("shape_name", "model"), sorted(SHAPE_MODELS.items()))
def test_model_fields_are_exactly_the_shape_members(shape_name: str, model: type[BaseModel]) -> None:
    members = set(SERVICE.shape_for(shape_name).members)
    aliases = {info.alias or name for name, info in model.model_fields.items()}
    assert aliases == members


@pytest.mark.parametrize(
    ("model", "field", "enum_shape"),
    [
        (PersonTrackingPage, "job_status", "VideoJobStatus"),
        (VideoMetadata, "color_range", "VideoColorRange"),
        (Gender, "value", "GenderType"),
        (Emotion, "type", "EmotionName"),
        (Landmark, "type", "LandmarkType"),
    ],
)
def test_open_enums_list_the_service_values_and_accept_any_string(
    model: type[BaseModel], field: str, enum_shape: str
) -> None:
    annotation = model.model_fields[field].annotation
    args = typing.get_args(annotation)
    literals = [a for a in args if typing.get_origin(a) is typing.Literal]
    assert len(literals) == 1
    assert set(typing.get_args(literals[0])) == set(SERVICE.shape_for(enum_shape).enum)
    assert str in args
    assert type(None) in args


# ---- hypothesis: AWS-shaped responses built from the service model ------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses)
def test_generated_responses_round_trip(data: dict[str, Any]) -> None:
    original = copy.deepcopy(data)
    page = PersonTrackingPage.model_validate(data)
    assert page.to_aws() == original
    _assert_no_extras(page)


@settings(max_examples=50, deadline=None)
@given(responses)
def test_generated_responses_round_trip_through_json(data: dict[str, Any]) -> None:
    page = PersonTrackingPage.model_validate(data)
    again = PersonTrackingPage.model_validate_json(page.model_dump_json(by_alias=True, exclude_unset=True))
    assert again.to_aws() == data


# ---- construction, immutability ----------------------------------------------------


def test_construct_with_snake_case_or_pascal_case_names() -> None:
    arn = "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionTopic"
    role = "arn:aws:iam::123456789012:role/RekognitionRole"
    by_attr = NotificationChannel(sns_topic_arn=arn, role_arn=role)
    by_alias = NotificationChannel(SNSTopicArn=arn, RoleArn=role)
    assert by_attr == by_alias
    assert by_attr.to_aws() == {"SNSTopicArn": arn, "RoleArn": role}
    assert by_alias.sns_topic_arn == arn
    assert by_alias.role_arn == role

    box = BoundingBox(left=0.1, top=0.2, width=0.3, height=0.4)
    assert box == BoundingBox(Left=0.1, Top=0.2, Width=0.3, Height=0.4)
    assert box.to_aws() == {"Left": 0.1, "Top": 0.2, "Width": 0.3, "Height": 0.4}
    assert box.center == pytest.approx((0.25, 0.4))

    video = Video(s3_object=S3Object(bucket="b-1", name="k.mp4"))
    assert video.to_aws() == {"S3Object": {"Bucket": "b-1", "Name": "k.mp4"}}
    assert Video.model_validate({"S3Object": {"Bucket": "b-1", "Name": "k.mp4"}}) == video
    assert Video.from_s3("b-1", "k.mp4", "v9").to_aws() == {
        "S3Object": {"Bucket": "b-1", "Name": "k.mp4", "Version": "v9"}
    }
    assert video.uri == "s3://b-1/k.mp4"


def test_notification_channel_requires_both_fields() -> None:
    with pytest.raises(ValidationError):
        NotificationChannel(sns_topic_arn="arn:aws:sns:us-east-1:123456789012:AmazonRekognitionX")


def test_models_are_frozen() -> None:
    page = PersonTrackingPage.model_validate(full_response())
    with pytest.raises(ValidationError):
        page.job_status = "FAILED"  # type: ignore[misc]
    assert page.persons is not None
    assert isinstance(page.persons, tuple)
    person = page.persons[0].person
    assert person is not None
    assert person.bounding_box is not None
    with pytest.raises(ValidationError):
        person.bounding_box.left = 0.9  # type: ignore[misc]
    with pytest.raises(ValidationError):
        person.index = 5  # type: ignore[misc]
    assert page.to_aws() == full_response()


def test_equal_models_hash_alike() -> None:
    a = BoundingBox(left=0.1, top=0.2, width=0.3, height=0.4)
    b = BoundingBox.model_validate({"Left": 0.1, "Top": 0.2, "Width": 0.3, "Height": 0.4})
    assert {a, b} == {a}


# ---- forward compatibility ------------------------------------------------------------


def test_unknown_fields_and_enum_values_parse_and_round_trip() -> None:
    data = full_response()
    data["JobStatus"] = "PAUSED"
    data["BrandNewTopLevel"] = {"Nested": [1, 2, 3]}
    data["VideoMetadata"]["ColorRange"] = "HDR10"
    data["VideoMetadata"]["Rotation"] = 90
    person = data["Persons"][0]
    person["Confidence"] = 88.5
    person["Person"]["Posture"] = "standing"
    person["Person"]["Face"]["Landmarks"][0]["Type"] = "earLeft"
    person["Person"]["Face"]["Landmarks"][0]["Z"] = 0.5
    person["Person"]["Face"]["Emotions"][0]["Type"] = "BORED"
    person["Person"]["Face"]["Gender"]["Value"] = "Nonbinary"
    original = copy.deepcopy(data)

    page = PersonTrackingPage.model_validate(data)

    assert page.to_aws() == original
    assert page.job_status == "PAUSED"
    assert page.model_extra == {"BrandNewTopLevel": {"Nested": [1, 2, 3]}}
    assert page.video_metadata is not None
    assert page.video_metadata.color_range == "HDR10"
    assert page.video_metadata.model_extra == {"Rotation": 90}
    assert page.persons is not None
    detection = page.persons[0]
    assert detection.model_extra == {"Confidence": 88.5}
    assert detection.person is not None
    assert detection.person.model_extra == {"Posture": "standing"}
    face = detection.person.face
    assert face is not None
    assert face.landmarks is not None
    assert face.emotions is not None
    assert face.gender is not None
    assert face.landmarks[0].type == "earLeft"
    assert face.landmarks[0].model_extra == {"Z": 0.5}
    assert face.emotions[0].type == "BORED"
    assert face.gender.value == "Nonbinary"


def test_every_output_field_is_optional() -> None:
    page = PersonTrackingPage.model_validate({})
    assert page.to_aws() == {}
    assert page.job_status is None
    assert page.persons is None
    assert page.video_metadata is None
    for shape_name, model in SHAPE_MODELS.items():
        if shape_name == "NotificationChannel":  # an input whose two members are required
            continue
        empty = model.model_validate({})
        assert empty.to_aws() == {}, shape_name


def test_detection_without_face_or_box() -> None:
    data = {"JobStatus": "SUCCEEDED", "Persons": [{"Timestamp": 5}, {"Person": {"Index": 3}}]}
    page = PersonTrackingPage.model_validate(data)
    assert page.persons is not None
    # An absent Person reads as an empty PersonDetail, so `det.person.index` never needs a None check.
    absent = page.persons[0].person
    assert absent is not None
    assert (absent.index, absent.bounding_box, absent.face) == (None, None, None)
    assert page.persons[1].timestamp is None
    assert page.to_aws() == data


# ---- documentation -------------------------------------------------------------------


def test_every_public_model_has_its_own_docstring() -> None:
    models = [obj for name in rekotrack.__all__ if inspect.isclass(obj := getattr(rekotrack, name))]
    models = [m for m in models if issubclass(m, BaseModel)]
    assert len(models) >= 20
    for model in models:
        doc = model.__dict__.get("__doc__")
        assert doc, f"{model.__name__} has no docstring"
        assert doc.strip(), f"{model.__name__} has an empty docstring"


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (PersonTrackingPage, ("job_status", "status_message", "next_token", "persons")),
        (PersonDetection, ("timestamp", "person")),
        (PersonDetail, ("index", "bounding_box", "face")),
        (BoundingBox, ("width", "height", "left", "top")),
        (FaceDetail, ("bounding_box", "landmarks", "pose", "quality", "confidence")),
    ],
)
def test_returned_fields_are_documented(model: type[BaseModel], fields: tuple[str, ...]) -> None:
    for field in fields:
        description = model.model_fields[field].description
        assert description, f"{model.__name__}.{field} has no description"
        assert description.strip()


@pytest.mark.parametrize(
    "model", [PersonTrackingPage, VideoMetadata, Landmark, Pose, ImageQuality], ids=lambda m: m.__name__
)
def test_every_field_of_the_returned_shapes_is_documented(model: type[BaseModel]) -> None:
    undocumented = [name for name, info in model.model_fields.items() if not info.description]
    assert undocumented == []
