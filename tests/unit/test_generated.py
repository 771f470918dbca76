"""The generated models of all sixteen operations: fresh, faithful to botocore's model, round-tripping exactly."""

from __future__ import annotations

import copy
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import rekotrack
from rekotrack import _models
from rekotrack._generated import models as generated
from rekotrack._model_base import AWSModel

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "scripts" / "generate_models.py"
COMMITTED = ROOT / "src" / "rekotrack" / "_generated"
SERVICE = botocore.session.get_session().get_service_model("rekognition")
KINDS = (
    "PersonTracking",
    "LabelDetection",
    "FaceDetection",
    "FaceSearch",
    "CelebrityRecognition",
    "ContentModeration",
    "SegmentDetection",
    "TextDetection",
)
GETS = [f"Get{kind}" for kind in KINDS]
OPERATIONS = [f"{verb}{kind}" for kind in KINDS for verb in ("Start", "Get")]


def _reachable(shape: Any, seen: dict[str, Any]) -> dict[str, Any]:
    if shape.name in seen:
        return seen
    seen[shape.name] = shape
    if shape.type_name == "structure":
        for member in shape.members.values():
            _reachable(member, seen)
    elif shape.type_name == "list":
        _reachable(shape.member, seen)
    return seen


OUTPUT_SHAPES: dict[str, Any] = {}
for _op in OPERATIONS:
    _reachable(SERVICE.operation_model(_op).output_shape, OUTPUT_SHAPES)
OUTPUT_STRUCTURES = sorted(name for name, shape in OUTPUT_SHAPES.items() if shape.type_name == "structure")


# ---- the committed files are what the generator writes ---------------------------------------


def test_committed_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)], check=True, cwd=ROOT)
    fresh = {p.name: p.read_text() for p in sorted(tmp_path.glob("*.py"))}
    committed = {p.name: p.read_text() for p in sorted(COMMITTED.glob("*.py"))}
    assert sorted(fresh) == sorted(committed)
    for name, text in fresh.items():
        assert committed[name] == text, f"src/rekotrack/_generated/{name} is stale: run scripts/generate_models.py"


def test_check_mode_fails_on_a_stale_file(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)], check=True, cwd=ROOT)
    check = [sys.executable, str(GENERATOR), "--check", "--out", str(tmp_path)]
    assert subprocess.run(check, cwd=ROOT, capture_output=True).returncode == 0
    (tmp_path / "models.py").write_text((tmp_path / "models.py").read_text() + "# edited by hand\n")
    stale = subprocess.run(check, cwd=ROOT, capture_output=True, text=True)
    assert stale.returncode == 1
    assert "models.py" in stale.stderr


# ---- every output shape has its model, with exactly the shape's members --------------------------


def test_every_output_structure_has_a_model() -> None:
    assert set(OUTPUT_STRUCTURES) <= set(generated.SHAPE_MODELS)
    assert len(OUTPUT_STRUCTURES) == 66  # 8 pages, 8 Start responses and the 50 shapes inside the pages


@pytest.mark.parametrize("shape_name", sorted(generated.SHAPE_MODELS))
def test_model_fields_are_exactly_the_shape_members(shape_name: str) -> None:
    model = generated.SHAPE_MODELS[shape_name]
    shape = SERVICE.shape_for(shape_name)
    aliases = {info.alias or name for name, info in model.model_fields.items()}
    assert aliases == set(shape.members)


@pytest.mark.parametrize("shape_name", OUTPUT_STRUCTURES)
def test_every_output_field_is_optional(shape_name: str) -> None:
    model = generated.SHAPE_MODELS[shape_name]
    assert not [name for name, info in model.model_fields.items() if info.is_required()]
    assert model.model_validate({}).to_aws() == {}


def _enum_fields() -> list[tuple[type[BaseModel], str, str]]:
    rows = []
    for shape_name, model in sorted(generated.SHAPE_MODELS.items()):
        shape = SERVICE.shape_for(shape_name)
        for name, info in model.model_fields.items():
            member = shape.members[info.alias or name]
            target = member.member if member.type_name == "list" else member
            if target.type_name == "string" and target.enum:
                rows.append((model, name, target.name))
    return rows


ENUM_FIELDS = _enum_fields()


def test_enum_fields_found() -> None:
    assert {enum for _, _, enum in ENUM_FIELDS} >= {
        "VideoJobStatus",
        "LabelDetectionSortBy",
        "LabelDetectionAggregateBy",
        "ContentModerationAggregateBy",
        "SegmentType",
        "TechnicalCueType",
        "TextTypes",
        "KnownGenderType",
    }


@pytest.mark.parametrize(("model", "field", "enum_shape"), ENUM_FIELDS, ids=lambda v: getattr(v, "__name__", v))
def test_open_enums_list_the_service_values_and_accept_any_string(
    model: type[BaseModel], field: str, enum_shape: str
) -> None:
    annotation = model.model_fields[field].annotation
    args = typing.get_args(annotation)
    if typing.get_origin(args[0]) is tuple:  # a list of enum values
        args = typing.get_args(typing.get_args(args[0])[0])
    literals = [a for a in args if typing.get_origin(a) is typing.Literal]
    assert len(literals) == 1
    assert set(typing.get_args(literals[0])) == set(SERVICE.shape_for(enum_shape).enum)
    assert str in args


# ---- pages and items ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_page_and_item_models_per_job(kind: str) -> None:
    get = f"Get{kind}"
    page = generated.PAGE_MODELS[get]
    assert page is generated.SHAPE_MODELS[f"{get}Response"]
    assert issubclass(page, generated.VideoJobPage)
    assert page.__name__ == f"{kind}Page"
    assert getattr(rekotrack, page.__name__) is page
    key = generated.LIST_KEYS[get]
    output = SERVICE.operation_model(get).output_shape
    assert output.members[key].type_name == "list"
    item = generated.ITEM_MODELS[get]
    assert item is generated.SHAPE_MODELS[output.members[key].member.name]
    assert getattr(rekotrack, item.__name__) is item


def test_item_model_names_are_the_design_names() -> None:
    assert [generated.ITEM_MODELS[get].__name__ for get in GETS] == [
        "PersonDetection",
        "LabelDetection",
        "FaceDetection",
        "PersonMatch",
        "CelebrityRecognition",
        "ContentModerationDetection",
        "SegmentDetection",
        "TextDetectionResult",
    ]


def test_shared_shapes_are_one_class() -> None:
    faces = {
        rekotrack.PersonDetail.model_fields["face"].annotation,
        rekotrack.FaceDetection.model_fields["face"].annotation,
        rekotrack.CelebrityDetail.model_fields["face"].annotation,
    }
    assert faces == {rekotrack.FaceDetail | None}
    for page in generated.PAGE_MODELS.values():
        assert page.model_fields["video"].annotation == rekotrack.Video | None
    assert rekotrack.Video is _models.Video is generated.Video


def test_the_video_job_page_holds_what_every_page_shares() -> None:
    shared = set.intersection(*(set(SERVICE.operation_model(g).output_shape.members) for g in GETS))
    base = {info.alias or name for name, info in generated.VideoJobPage.model_fields.items()}
    # VideoMetadata is on every page but a list on GetSegmentDetection, so each page declares its own.
    assert base == shared - {"VideoMetadata"}


def test_segment_page_metadata_are_lists_and_it_returns_selected_types() -> None:
    data = {
        "JobStatus": "SUCCEEDED",
        "VideoMetadata": [{"Codec": "h264", "DurationMillis": 60000, "FrameRate": 25.0}],
        "AudioMetadata": [{"Codec": "aac", "DurationMillis": 60000, "SampleRate": 48000, "NumberOfChannels": 2}],
        "SelectedSegmentTypes": [
            {"Type": "SHOT", "ModelVersion": "1.0"},
            {"Type": "TECHNICAL_CUE", "ModelVersion": "2"},
        ],
        "Segments": [
            {
                "Type": "SHOT",
                "StartTimestampMillis": 0,
                "EndTimestampMillis": 4000,
                "DurationMillis": 4000,
                "StartTimecodeSMPTE": "00:00:00:00",
                "EndTimecodeSMPTE": "00:00:04:00",
                "DurationSMPTE": "00:00:04:00",
                "ShotSegment": {"Index": 0, "Confidence": 99.5},
                "StartFrameNumber": 0,
                "EndFrameNumber": 100,
                "DurationFrames": 100,
            },
            {"Type": "TECHNICAL_CUE", "TechnicalCueSegment": {"Type": "BlackFrames", "Confidence": 80.0}},
        ],
    }
    page = rekotrack.SegmentDetectionPage.model_validate(copy.deepcopy(data))
    assert page.to_aws() == data
    assert page.video_metadata is not None
    assert page.video_metadata[0].frame_rate == 25.0
    assert page.audio_metadata is not None
    assert page.audio_metadata[0].number_of_channels == 2
    assert page.selected_segment_types is not None
    assert [t.type for t in page.selected_segment_types] == ["SHOT", "TECHNICAL_CUE"]
    assert page.segments is not None
    shot = page.segments[0]
    assert (shot.start_timecode_smpte, shot.duration_frames) == ("00:00:00:00", 100)
    assert shot.shot_segment is not None
    assert shot.shot_segment.index == 0
    cue = page.segments[1].technical_cue_segment
    assert cue is not None
    assert cue.type == "BlackFrames"


def test_label_page_request_metadata_model_version_and_segment_aggregation() -> None:
    data = {
        "JobStatus": "SUCCEEDED",
        "LabelModelVersion": "3.0",
        "GetRequestMetadata": {"SortBy": "NAME", "AggregateBy": "SEGMENTS"},
        "Labels": [
            {
                "Timestamp": 1000,
                "StartTimestampMillis": 1000,
                "EndTimestampMillis": 5000,
                "DurationMillis": 4000,
                "Label": {
                    "Name": "Car",
                    "Confidence": 97.0,
                    "Instances": [
                        {
                            "BoundingBox": {"Width": 0.1, "Height": 0.2, "Left": 0.3, "Top": 0.4},
                            "Confidence": 90.0,
                            "DominantColors": [{"Red": 1, "Blue": 2, "Green": 3, "CSSColor": "red", "HexCode": "#f"}],
                        }
                    ],
                    "Parents": [{"Name": "Vehicle"}],
                    "Aliases": [{"Name": "Automobile"}],
                    "Categories": [{"Name": "Vehicles and Automotive"}],
                },
            }
        ],
    }
    page = rekotrack.LabelDetectionPage.model_validate(copy.deepcopy(data))
    assert page.to_aws() == data
    assert page.label_model_version == "3.0"
    assert page.get_request_metadata is not None
    assert (page.get_request_metadata.sort_by, page.get_request_metadata.aggregate_by) == ("NAME", "SEGMENTS")
    assert page.labels is not None
    label = page.labels[0]
    assert (label.start_timestamp_millis, label.end_timestamp_millis, label.duration_millis) == (1000, 5000, 4000)
    assert label.label is not None
    assert label.label.instances is not None
    colors = label.label.instances[0].dominant_colors
    assert colors is not None
    assert colors[0].css_color == "red"


def test_moderation_page_carries_model_version_and_request_metadata() -> None:
    data = {
        "JobStatus": "SUCCEEDED",
        "ModerationModelVersion": "7.0",
        "GetRequestMetadata": {"SortBy": "TIMESTAMP", "AggregateBy": "TIMESTAMPS"},
        "ModerationLabels": [
            {
                "Timestamp": 0,
                "ModerationLabel": {"Confidence": 88.0, "Name": "Smoking", "ParentName": "Drugs", "TaxonomyLevel": 2},
                "ContentTypes": [{"Confidence": 70.0, "Name": "Animated"}],
            }
        ],
    }
    page = rekotrack.ContentModerationPage.model_validate(copy.deepcopy(data))
    assert page.to_aws() == data
    assert page.moderation_model_version == "7.0"
    assert page.moderation_labels is not None
    moderation = page.moderation_labels[0].moderation_label
    assert moderation is not None
    assert moderation.taxonomy_level == 2


def test_absent_person_of_a_face_search_match_reads_as_empty() -> None:
    data = {"Persons": [{"Timestamp": 3, "FaceMatches": [{"Similarity": 99.0, "Face": {"FaceId": "f"}}]}]}
    page = rekotrack.FaceSearchPage.model_validate(data)
    assert page.persons is not None
    assert page.persons[0].person.index is None
    assert page.to_aws() == data


# ---- hypothesis: any AWS-shaped response of every Get operation round-trips ------------------------

_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {}


def _strategy(shape: Any) -> st.SearchStrategy[Any]:
    if shape.name in _STRATEGIES:
        return _STRATEGIES[shape.name]
    kind = shape.type_name
    if kind == "structure":
        strategy: st.SearchStrategy[Any] = st.fixed_dictionaries(
            {}, optional={name: _strategy(member) for name, member in shape.members.items()}
        )
    elif kind == "list":
        strategy = st.lists(_strategy(shape.member), max_size=3)
    elif kind == "string" and shape.enum:
        strategy = st.one_of(st.sampled_from(shape.enum), st.text(max_size=12))
    elif kind == "string":
        strategy = st.text(max_size=20)
    elif kind in ("integer", "long"):
        strategy = st.integers(min_value=-(2**63), max_value=2**63 - 1)
    elif kind in ("float", "double"):
        strategy = st.floats(allow_nan=False, allow_infinity=False)
    elif kind == "boolean":
        strategy = st.booleans()
    else:  # pragma: no cover - the outputs have no other kinds
        raise AssertionError(f"unexpected shape kind {kind}")
    _STRATEGIES[shape.name] = strategy
    return strategy


def _assert_no_extras(model: Any) -> None:
    if isinstance(model, BaseModel):
        assert not model.model_extra, f"{type(model).__name__} kept {model.model_extra} as unknown fields"
        for name in type(model).model_fields:
            _assert_no_extras(getattr(model, name))
    elif isinstance(model, tuple):
        for item in model:
            _assert_no_extras(item)


@pytest.mark.parametrize("operation", [*GETS, *(f"Start{kind}" for kind in KINDS)])
def test_generated_responses_round_trip(operation: str) -> None:
    output = SERVICE.operation_model(operation).output_shape
    model = generated.SHAPE_MODELS[output.name]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_strategy(output))
    def check(data: dict[str, Any]) -> None:
        original = copy.deepcopy(data)
        page = model.model_validate(data)
        assert page.to_aws() == original
        assert data == original, "model_validate must not mutate its input"
        _assert_no_extras(page)
        again = model.model_validate_json(page.model_dump_json(by_alias=True, exclude_unset=True))
        assert again.to_aws() == original

    check()


# ---- forward compatibility ------------------------------------------------------------------------


@pytest.mark.parametrize("get", GETS)
def test_unknown_fields_and_enum_values_parse_and_round_trip(get: str) -> None:
    key = generated.LIST_KEYS[get]
    page_model = generated.PAGE_MODELS[get]
    data: dict[str, Any] = {
        "JobStatus": "PAUSED",
        "BrandNewTopLevel": {"Nested": [1, 2]},
        key: [{"Timestamp": 5, "BrandNewItemField": "x"}],
    }
    if get == "GetSegmentDetection":
        data[key] = [{"Type": "CREDITS_ROLL", "BrandNewItemField": "x"}]
    original = copy.deepcopy(data)
    page = page_model.model_validate(data)
    assert page.to_aws() == original
    assert page.job_status == "PAUSED"
    assert page.model_extra == {"BrandNewTopLevel": {"Nested": [1, 2]}}
    field = next(name for name, info in page_model.model_fields.items() if (info.alias or name) == key)
    items = getattr(page, field)
    assert items[0].model_extra == {"BrandNewItemField": "x"}


def test_unknown_enum_values_deep_inside() -> None:
    data = {
        "TextDetections": [{"TextDetection": {"Type": "PARAGRAPH", "Geometry": {"Polygon": [{"X": 0.1, "Z": 1}]}}}],
    }
    page = rekotrack.TextDetectionPage.model_validate(copy.deepcopy(data))
    assert page.to_aws() == data
    assert page.text_detections is not None
    text = page.text_detections[0].text_detection
    assert text is not None
    assert text.type == "PARAGRAPH"
    assert text.geometry is not None
    assert text.geometry.polygon is not None
    assert text.geometry.polygon[0].model_extra == {"Z": 1}
    celebrity = rekotrack.CelebrityDetail.model_validate({"KnownGender": {"Type": "Other"}})
    assert celebrity.known_gender is not None
    assert celebrity.known_gender.type == "Other"


# ---- inputs a caller builds -------------------------------------------------------------------------


def test_input_structures_build_with_either_name_and_dump_the_aws_shape() -> None:
    settings_ = rekotrack.LabelDetectionSettings(
        general_labels=rekotrack.GeneralLabelsSettings(label_inclusion_filters=("Car", "Dog"))
    )
    assert settings_.to_aws() == {"GeneralLabels": {"LabelInclusionFilters": ["Car", "Dog"]}}
    assert rekotrack.LabelDetectionSettings.model_validate(settings_.to_aws()) == settings_
    filters = rekotrack.StartTextDetectionFilters(
        word_filter=rekotrack.DetectionFilter(min_confidence=80.0, min_bounding_box_height=0.05),
        regions_of_interest=(rekotrack.RegionOfInterest(bounding_box=rekotrack.BoundingBox(left=0, top=0)),),
    )
    assert filters.to_aws() == {
        "WordFilter": {"MinConfidence": 80.0, "MinBoundingBoxHeight": 0.05},
        "RegionsOfInterest": [{"BoundingBox": {"Left": 0, "Top": 0}}],
    }
    segment = rekotrack.StartSegmentDetectionFilters(
        TechnicalCueFilter={"MinSegmentConfidence": 60, "BlackFrame": {"MaxPixelThreshold": 0.2}}
    )
    assert segment.technical_cue_filter is not None
    assert segment.technical_cue_filter.black_frame is not None
    assert segment.technical_cue_filter.black_frame.max_pixel_threshold == 0.2


def test_models_are_frozen_and_hashable() -> None:
    page = rekotrack.FaceDetectionPage.model_validate({"Faces": [{"Timestamp": 1, "Face": {"Confidence": 99.0}}]})
    assert page.faces is not None
    assert isinstance(page.faces, tuple)
    with pytest.raises(Exception, match="frozen"):
        page.faces[0].timestamp = 2  # type: ignore[misc]
    a = rekotrack.Point(x=0.5, y=0.25)
    assert {a, rekotrack.Point.model_validate({"X": 0.5, "Y": 0.25})} == {a}


@pytest.mark.parametrize("model", sorted(set(generated.SHAPE_MODELS.values()), key=lambda m: m.__name__))
def test_every_generated_model_is_public_and_documented(model: type[AWSModel]) -> None:
    assert getattr(rekotrack, model.__name__) is model
    doc = model.__dict__.get("__doc__")
    assert doc
    assert doc.strip()


INPUT_STRUCTURES = sorted(set(generated.SHAPE_MODELS) - set(OUTPUT_SHAPES))


def _input_strategy(shape: Any) -> st.SearchStrategy[Any]:
    if shape.type_name == "structure":
        required = set(shape.required_members)
        members = {name: _input_strategy(member) for name, member in shape.members.items()}
        return st.fixed_dictionaries(
            {n: s for n, s in members.items() if n in required},
            optional={n: s for n, s in members.items() if n not in required},
        )
    if shape.type_name == "list":
        return st.lists(_input_strategy(shape.member), max_size=3)
    return _strategy(shape)


def test_input_structures_found() -> None:
    assert "NotificationChannel" in INPUT_STRUCTURES
    assert "StartTextDetectionFilters" in INPUT_STRUCTURES
    assert len(INPUT_STRUCTURES) == 10


@pytest.mark.parametrize("shape_name", INPUT_STRUCTURES)
def test_input_structures_round_trip_and_require_what_the_model_requires(shape_name: str) -> None:
    shape = SERVICE.shape_for(shape_name)
    model = generated.SHAPE_MODELS[shape_name]
    required = {info.alias or name for name, info in model.model_fields.items() if info.is_required()}
    assert required == set(shape.required_members)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_input_strategy(shape))
    def check(data: dict[str, Any]) -> None:
        built = model.model_validate(copy.deepcopy(data))
        assert built.to_aws() == data
        _assert_no_extras(built)

    check()
