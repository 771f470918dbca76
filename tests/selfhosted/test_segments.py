"""StartSegmentDetection/GetSegmentDetection on the self-hosted video server, through boto3 and rekotrack.

The clip is cut together here from opencv-doc's sample videos (``benchmarks.segments_text.make_cut_clip``):
vtest | Megamind | 10 black frames, 10 dark grey (35) frames, 10 black frames with a white box on 5 %
of the pixels | tree | Megamind | vtest, 260 frames at 25 fps. Every cut and every black run is known
to the frame, and the black run changes with the BlackFrame filter exactly as the service defines it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cv2")
pytest.importorskip("av")
pytest.importorskip("scenedetect")

from benchmarks.segments_text import make_cut_clip

from rekotrack.selfhosted.service._service import VideoRekognition

SHOTS = [(0, 49), (50, 99), (100, 129), (130, 169), (170, 219), (220, 259)]
FPS = 25
VIDEO = {"S3Object": {"Bucket": "bucket", "Name": "cuts.avi"}}


@pytest.fixture(scope="module")
def cut_root(tmp_path_factory: pytest.TempPathFactory, vtest: Path) -> Path:
    root = tmp_path_factory.mktemp("segment-videos")
    (root / "bucket").mkdir()
    clip = make_cut_clip(root / "bucket" / "cuts.avi")
    assert [first for first, _ in SHOTS[1:]] == clip.cuts
    return root


@pytest.fixture(scope="module")
def server(cut_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VideoRekognition]:
    with VideoRekognition(video_root=cut_root, data_dir=tmp_path_factory.mktemp("segment-data"), workers=2) as srv:
        yield srv


def wait_segments(client: Any, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        page: dict[str, Any] = client.get_segment_detection(JobId=job_id, MaxResults=1)
        if page["JobStatus"] != "IN_PROGRESS":
            return page
        assert time.monotonic() < deadline, f"job {job_id} still IN_PROGRESS after {timeout} s"
        time.sleep(0.1)


def read_segments(
    client: Any, job_id: str, max_results: int = 1000
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every segment, and every page (without its segments)."""
    items: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": max_results}
    while True:
        page = client.get_segment_detection(**kwargs)
        assert page["JobStatus"] == "SUCCEEDED", page.get("StatusMessage")
        items.extend(page["Segments"])
        pages.append(page)
        if "NextToken" not in page:
            return items, pages
        kwargs["NextToken"] = page["NextToken"]


def run(server: VideoRekognition, **params: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    client = server.client()
    job_id = client.start_segment_detection(Video=VIDEO, **params)["JobId"]
    assert wait_segments(client, job_id)["JobStatus"] == "SUCCEEDED"
    return read_segments(client, job_id)


@pytest.fixture(scope="module")
def both(server: VideoRekognition) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return run(server, SegmentTypes=["SHOT", "TECHNICAL_CUE"])


def frames_of(items: list[dict[str, Any]], kind: str) -> list[tuple[int, int]]:
    return [(s["StartFrameNumber"], s["EndFrameNumber"]) for s in items if s["Type"] == kind]


def test_every_cut_and_the_black_run_are_found_to_the_frame(both: Any) -> None:
    items, _ = both
    assert frames_of(items, "SHOT") == SHOTS
    assert frames_of(items, "TECHNICAL_CUE") == [(100, 119)]  # grey 35 <= 51 is black; the boxed frames are 95 %
    assert [s["Type"] for s in items] == ["SHOT"] * 6 + ["TECHNICAL_CUE"]  # by SegmentTypes, then by time
    shots = [s for s in items if s["Type"] == "SHOT"]
    assert [s["ShotSegment"]["Index"] for s in shots] == list(range(6))
    for segment in items:
        first, last = segment["StartFrameNumber"], segment["EndFrameNumber"]
        assert segment["StartTimestampMillis"] == first * 1000 // FPS
        assert segment["EndTimestampMillis"] == (last + 1) * 1000 // FPS
        assert segment["DurationMillis"] == segment["EndTimestampMillis"] - segment["StartTimestampMillis"]
        assert segment["DurationFrames"] == last - first + 1
        confidence = (segment.get("ShotSegment") or segment["TechnicalCueSegment"])["Confidence"]
        assert 50 <= confidence <= 100
    cue = items[-1]
    assert cue["TechnicalCueSegment"]["Type"] == "BlackFrames"
    assert (cue["StartTimecodeSMPTE"], cue["EndTimecodeSMPTE"], cue["DurationSMPTE"]) == \
        ("00:00:04:00", "00:00:04:20", "00:00:00:20")
    assert shots[-1]["EndTimecodeSMPTE"] == "00:00:10:10"


def test_the_black_frame_filter_is_honoured(server: VideoRekognition) -> None:
    def black(**black_frame: float) -> list[tuple[int, int]]:
        items, _ = run(server, SegmentTypes=["TECHNICAL_CUE"],
                       Filters={"TechnicalCueFilter": {"BlackFrame": black_frame}})
        assert {s["Type"] for s in items} <= {"TECHNICAL_CUE"}
        return frames_of(items, "TECHNICAL_CUE")

    assert black(MaxPixelThreshold=0.1) == [(100, 109)]  # grey 35 is above 0.1 x 255
    assert black(MinCoveragePercentage=90) == [(100, 129)]  # the boxed frames are 95 % black
    assert black(MaxPixelThreshold=0.1, MinCoveragePercentage=90) == [(100, 109), (120, 129)]


def test_min_segment_confidence_drops_segments_below_it(server: VideoRekognition) -> None:
    loose, _ = run(server, SegmentTypes=["TECHNICAL_CUE"],
                   Filters={"TechnicalCueFilter": {"BlackFrame": {"MinCoveragePercentage": 90}}})
    [cue] = loose
    assert 95 < cue["TechnicalCueSegment"]["Confidence"] < 100  # the mean share of black pixels over the run
    strict, _ = run(server, SegmentTypes=["TECHNICAL_CUE"],
                    Filters={"TechnicalCueFilter": {"BlackFrame": {"MinCoveragePercentage": 90},
                                                    "MinSegmentConfidence": 99.5}})
    assert strict == []
    shots, _ = run(server, SegmentTypes=["SHOT"], Filters={"ShotFilter": {"MinSegmentConfidence": 100}})
    assert shots == [s for s in shots if s["ShotSegment"]["Confidence"] >= 100]


def test_pages_validate_against_botocore_and_page_the_same_items(both: Any, server: VideoRekognition,
                                                                  cut_root: Path) -> None:
    import botocore.session
    from botocore.validate import ParamValidator

    from rekotrack.selfhosted.vision._video import probe

    items, [page] = both
    shape = botocore.session.get_session().get_service_model("rekognition").operation_model(
        "GetSegmentDetection").output_shape
    report = ParamValidator().validate({k: v for k, v in page.items() if k != "ResponseMetadata"}, shape)
    assert not report.has_errors(), report.generate_report()
    assert page["VideoMetadata"] == [probe(cut_root / "bucket" / "cuts.avi").video_metadata()]
    assert page["AudioMetadata"] == []  # the clip has no audio stream
    assert [t["Type"] for t in page["SelectedSegmentTypes"]] == ["SHOT", "TECHNICAL_CUE"]
    assert all(t["ModelVersion"] for t in page["SelectedSegmentTypes"])
    client = server.client()
    job_id = page["JobId"]
    for size in (1, 4, len(items)):
        paged, pages = read_segments(client, job_id, max_results=size)
        assert paged == items
        assert all(p["VideoMetadata"] == page["VideoMetadata"] for p in pages)


def test_rekotrack_segment_detector_starts_and_reads_them(both: Any, server: VideoRekognition) -> None:
    import rekotrack

    items, _ = both
    detector = rekotrack.SegmentDetector(client=server.client())
    job = detector.start("s3://bucket/cuts.avi", segment_types=["SHOT", "TECHNICAL_CUE"])
    job.wait(timeout=120)
    got = list(job.segments())
    assert all(isinstance(s, rekotrack.SegmentDetection) for s in got)
    assert [s.to_aws() for s in got] == items
    page = detector.get_page(job.job_id)
    assert page.selected_segment_types is not None
    assert [t.type for t in page.selected_segment_types] == ["SHOT", "TECHNICAL_CUE"]


def test_smpte_timecodes() -> None:
    from rekotrack.selfhosted.vision._segments import smpte

    assert smpte(0, 25) == "00:00:00:00"
    assert smpte(25 * 3661 + 3, 25) == "01:01:01:03"
    ntsc = 30000 / 1001
    assert smpte(150, ntsc) == "00:00:05;00"
    assert smpte(1799, ntsc) == "00:00:59;29"
    assert smpte(1800, ntsc) == "00:01:00;02"  # labels 00 and 01 are skipped at each minute ...
    assert smpte(17982, ntsc) == "00:10:00;00"  # ... but every tenth


def test_a_weak_cut_lowers_the_confidence_of_its_two_shots(tmp_path: Path, vtest: Path) -> None:
    """vtest | the same scene at twice the contrast (a content change of about 39, threshold 27) | Megamind:
    the two shots beside the weak cut get 50 + 50 (39 - 27) / 27 (about 72); MinSegmentConfidence 80 drops them."""
    import cv2
    from benchmarks.segments_text import _read, write_video

    from rekotrack.selfhosted.vision._segments import cut_confidence, detect_segments

    scene = _read("vtest.avi", 0, 80, (320, 240))
    images = scene[:40] + [cv2.convertScaleAbs(image, alpha=2.0, beta=0) for image in scene[40:]]
    images += _read("Megamind.avi", 100, 40, (320, 240))
    write_video(tmp_path / "weak.avi", images, FPS)
    found = detect_segments(tmp_path / "weak.avi", ["SHOT"]).segments
    assert frames_of(found, "SHOT") == [(0, 39), (40, 79), (80, 119)]
    weak = [s["ShotSegment"]["Confidence"] for s in found]
    assert weak[0] == weak[1]
    assert cut_confidence(35) < weak[0] < cut_confidence(43)  # the measured change is about 39
    assert weak[2] == 100
    kept = detect_segments(tmp_path / "weak.avi", ["SHOT"], {"ShotFilter": {"MinSegmentConfidence": 80}}).segments
    assert [(s["ShotSegment"]["Index"], s["StartFrameNumber"]) for s in kept] == [(2, 80)]


def test_segment_jobs_survive_a_restart_with_their_page_members(cut_root: Path, tmp_path: Path) -> None:
    with VideoRekognition(video_root=cut_root, data_dir=tmp_path, workers=1) as first:
        client = first.client()
        job_id = client.start_segment_detection(Video=VIDEO, SegmentTypes=["TECHNICAL_CUE"])["JobId"]
        before = wait_segments(client, job_id)
        assert before["JobStatus"] == "SUCCEEDED"
    with VideoRekognition(video_root=cut_root, data_dir=tmp_path, workers=1) as second:
        after = second.client().get_segment_detection(JobId=job_id, MaxResults=1)
    members = ("JobStatus", "Segments", "VideoMetadata", "AudioMetadata", "SelectedSegmentTypes")
    assert {k: after[k] for k in members} == {k: before[k] for k in members}
    assert [t["Type"] for t in after["SelectedSegmentTypes"]] == ["TECHNICAL_CUE"]
