"""StartTextDetection/GetTextDetection on the self-hosted video server, through boto3 and rekotrack.

The clip is made here: three seconds of vtest.avi (640x480, 10 fps) with words drawn by
``cv2.putText`` at known places, different each second (the last second has none). The server
reads one frame a second; every drawn word must come back as a WORD at its second, with its text
and a box on the drawn one, under a LINE that holds it, and nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

cv2 = pytest.importorskip("cv2")
pytest.importorskip("av")
pytest.importorskip("rapidocr")

from benchmarks.segments_text import DrawnWord, _read, draw_line, iou, write_video  # noqa: E402

from rekotrack.selfhosted.service._service import VideoRekognition  # noqa: E402

FPS = 10
SIZE = (640, 480)
# (second, words, baseline origin, font, scale, colour BGR, thickness)
LINES = [
    (0, ["MAIN", "STREET"], (40, 100), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (255, 255, 255), 3),
    (0, ["EXIT", "12"], (330, 400), cv2.FONT_HERSHEY_DUPLEX, 2.0, (0, 255, 255), 3),
    (1, ["Coffee", "Bakery", "Hotel"], (30, 250), cv2.FONT_HERSHEY_TRIPLEX, 1.3, (255, 255, 0), 2),
]
VIDEO = {"S3Object": {"Bucket": "bucket", "Name": "text.avi"}}


def make_clip(dest: Path) -> list[list[DrawnWord]]:
    backgrounds = _read("vtest.avi", 0, 3 * FPS, SIZE)
    truth: list[list[DrawnWord]] = [[], [], []]
    images = []
    for n, image in enumerate(backgrounds):
        second = n // FPS
        drawn = [w for s, words, origin, font, scale, colour, thick in LINES if s == second
                 for w in draw_line(image, words, origin, font, scale, colour, thick)]
        if n % FPS == 0:
            truth[second] = drawn
        images.append(image)
    write_video(dest, images, FPS)
    return truth


@pytest.fixture(scope="module")
def text_root(tmp_path_factory: pytest.TempPathFactory, vtest: Path) -> tuple[Path, list[list[DrawnWord]]]:
    root = tmp_path_factory.mktemp("text-videos")
    (root / "bucket").mkdir()
    return root, make_clip(root / "bucket" / "text.avi")


@pytest.fixture(scope="module")
def server(text_root: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VideoRekognition]:
    with VideoRekognition(video_root=text_root[0], data_dir=tmp_path_factory.mktemp("text-data"), workers=2) as srv:
        yield srv


def read_text(
    client: Any, job_id: str, max_results: int = 1000
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    deadline = time.monotonic() + 120
    while client.get_text_detection(JobId=job_id, MaxResults=1)["JobStatus"] == "IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    items: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": max_results}
    while True:
        page = client.get_text_detection(**kwargs)
        assert page["JobStatus"] == "SUCCEEDED", page.get("StatusMessage")
        items.extend(page["TextDetections"])
        pages.append(page)
        if "NextToken" not in page:
            return items, pages
        kwargs["NextToken"] = page["NextToken"]


def run(server: VideoRekognition, **params: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    client = server.client()
    return read_text(client, client.start_text_detection(Video=VIDEO, **params)["JobId"])


@pytest.fixture(scope="module")
def plain(server: VideoRekognition) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return run(server)


def box_of(detection: dict[str, Any]) -> tuple[float, float, float, float]:
    b = detection["Geometry"]["BoundingBox"]
    return b["Left"], b["Top"], b["Left"] + b["Width"], b["Top"] + b["Height"]


def words_at(items: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        if item["TextDetection"]["Type"] == "WORD":
            found.setdefault(item["Timestamp"], []).append(item["TextDetection"])
    return found


def test_every_drawn_word_is_read_at_its_place_and_nothing_else(plain: Any, text_root: Any) -> None:
    items, _ = plain
    truth = text_root[1]
    words = words_at(items)
    assert set(words) == {0, 1000}  # one frame a second; the last second has no text
    for second, drawn in enumerate(truth):
        got = words.get(second * 1000, [])
        assert sorted(w["DetectedText"] for w in got) == sorted(w.text for w in drawn)
        for word in drawn:
            [match] = [w for w in got if w["DetectedText"] == word.text]
            assert iou(word.box, box_of(match)) >= 0.5, (word, match["Geometry"])
            assert 80 <= match["Confidence"] <= 100


def test_lines_hold_their_words(plain: Any) -> None:
    items, _ = plain
    by_time: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        by_time.setdefault(item["Timestamp"], []).append(item["TextDetection"])
    lines = {t: " ".join(d["DetectedText"] for d in found if d["Type"] == "LINE") for t, found in by_time.items()}
    # in reading order (the detector may split a drawn line where its words are far apart)
    assert lines == {0: "MAIN STREET EXIT 12", 1000: "Coffee Bakery Hotel"}
    for found in by_time.values():
        assert [d["Id"] for d in found] == list(range(len(found)))
        ids = {d["Id"]: d for d in found}
        for word in (d for d in found if d["Type"] == "WORD"):
            line = ids[word["ParentId"]]
            assert line["Type"] == "LINE"
            assert word["DetectedText"] in line["DetectedText"].split()
            inner, outer = box_of(word), box_of(line)
            assert outer[0] - 0.01 <= inner[0]
            assert inner[2] <= outer[2] + 0.01
        assert all("ParentId" not in d for d in found if d["Type"] == "LINE")


def test_pages_validate_against_botocore_and_rekotrack_reads_them(plain: Any, server: VideoRekognition) -> None:
    import botocore.session
    from botocore.validate import ParamValidator

    import rekotrack

    items, [page] = plain
    shape = botocore.session.get_session().get_service_model("rekognition").operation_model(
        "GetTextDetection").output_shape
    report = ParamValidator().validate({k: v for k, v in page.items() if k != "ResponseMetadata"}, shape)
    assert not report.has_errors(), report.generate_report()
    assert page["TextModelVersion"].startswith("rapidocr-")
    assert page["VideoMetadata"]["FrameWidth"] == SIZE[0]
    client = server.client()
    paged, pages = read_text(client, page["JobId"], max_results=3)
    assert paged == items
    assert len(pages) == -(-len(items) // 3)
    detector = rekotrack.TextDetector(client=client)
    job = detector.start("s3://bucket/text.avi")
    job.wait(timeout=120)
    got = list(job.text_detections())
    assert all(isinstance(d, rekotrack.TextDetectionResult) for d in got)
    assert [d.to_aws() for d in got] == items


def test_word_filter_and_regions_of_interest_are_honoured(plain: Any, server: VideoRekognition) -> None:
    items, _ = plain
    all_words = words_at(items)
    small = min(box_of(w)[3] - box_of(w)[1] for found in all_words.values() for w in found)
    big, _ = run(server, Filters={"WordFilter": {"MinBoundingBoxHeight": small + 0.01}})
    assert {w["DetectedText"] for found in words_at(big).values() for w in found} == {"EXIT", "12"}  # the big font
    region = {"BoundingBox": {"Left": 0.0, "Top": 0.0, "Width": 0.6, "Height": 0.3}}  # around MAIN STREET
    inside, _ = run(server, Filters={"RegionsOfInterest": [region]})
    assert [d["TextDetection"]["DetectedText"] for d in inside] == ["MAIN STREET", "MAIN", "STREET"]
    polygon = {"Polygon": [{"X": 0.45, "Y": 0.6}, {"X": 1.0, "Y": 0.6}, {"X": 1.0, "Y": 1.0}, {"X": 0.45, "Y": 1.0}]}
    inside, _ = run(server, Filters={"RegionsOfInterest": [polygon]})
    assert [d["TextDetection"]["DetectedText"] for d in inside] == ["EXIT 12", "EXIT", "12"]
    confidences = sorted({w["Confidence"] for found in all_words.values() for w in found})
    assert len(confidences) >= 2
    cut = confidences[len(confidences) // 2]
    sure, _ = run(server, Filters={"WordFilter": {"MinConfidence": cut}})
    assert sorted((t, w["DetectedText"]) for t, found in words_at(sure).items() for w in found) == \
        sorted((t, w["DetectedText"]) for t, found in all_words.items() for w in found if w["Confidence"] >= cut)


def test_point_in_polygon() -> None:
    from rekotrack.selfhosted.vision._text import _inside

    square = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    assert _inside((0.5, 0.5), square)
    assert _inside((1.0, 0.5), square)
    assert not _inside((1.5, 0.5), square)
    triangle = ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0))
    assert _inside((0.2, 0.2), triangle)
    assert not _inside((0.8, 0.8), triangle)
