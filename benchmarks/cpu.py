"""CPU-seconds per analysed frame of the self-hosted analyzer, per stage, against one OpenCV-DNN forward pass.

    python -m benchmarks.cpu                     # vtest.avi, 300 frames, before (OpenCV DNN) and now (onnxruntime)
    python -m benchmarks.cpu --frames 0          # the whole clip
    python -m benchmarks.cpu --faces --json out.json

CPU time, not wall time, is the figure (the machines are shared): ``time.process_time()`` of the
process (all its threads) around each stage of the first pass (decode, detect, appearance,
faces) and of the tracker (track: the online association; link: the offline linking,
smoothing and gap filling over the whole clip). Every stage runs on the calling thread
(onnxruntime with one intra-op thread, PyAV decoding on one thread), so what a stage costs is
not billed to another. The same run measures:

- **the reference**: one forward pass of the same SSDLite graph on OpenCV DNN at 300x300 on one
  thread (``blobFromImage`` + ``forward``, over the same frames' first tile), before and after
  the pipelines, averaged;
- **the whole process**: ``analyze()`` of the same frames in a fresh child process, its CPU
  from ``getrusage(RUSAGE_CHILDREN)`` (interpreter start, imports and model loading included):
  what a server worker process costs per job.

The machine's load average is printed with every run.

``--tiling squashed`` measures a candidate that is not the analyzer's (see :func:`squashed_tiles`):
issue 23's "one pass a frame" idea, kept here so that its figures can be reproduced
(docs/performance.md: it lost 0.28 MOTA on frames 1-400 and was not kept).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

STAGES = ("decode", "detect", "appearance", "faces", "track", "link")
VTEST_CANDIDATES = (
    Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi"),
    Path("/usr/share/opencv4/samples/data/vtest.avi"),
)


TRAINING_ASPECT = 4 / 3
"""The widest aspect (long side / short side) the SSDLite saw in training: the TensorFlow Object
Detection API's ``ssdlite_mobilenet_v2_coco.config`` (which the model's author trained with, on
PASCAL VOC, mostly 500x375 and 375x500 images) resizes every image to 300x300 with
``fixed_shape_resizer``, without keeping the aspect ratio."""

TILINGS = ("square", "squashed")


def squashed_tiles(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """``(x, y, w, h)`` tiles for the squashed candidate: as few as keep each tile's aspect within
    :data:`TRAINING_ASPECT` (one for 4:3 video, two for 16:9), each squashed to 300x300 as in
    training. With more than one, each tile is as wide as that aspect allows (the number of passes
    is fixed by then, so the widest tiles give the most overlap for no more CPU, and the same
    horizontal squeeze as 4:3 video); the tolerance is one pixel of the 300-pixel input."""
    import math

    long, short = max(width, height), min(width, height)
    count = max(1, math.ceil(long / short / TRAINING_ASPECT - 1 / 300))
    side = long if count == 1 else min(long, round(short * TRAINING_ASPECT))
    step = (long - side) / (count - 1) if count > 1 else 0.0
    offsets = [round(k * step) for k in range(count)]
    return [(o, 0, side, short) if width >= height else (0, o, short, side) for o in offsets]


def squashed_detect(detector: Any, frame: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``SSDLiteDetector.detect`` with :func:`squashed_tiles` in place of the square tiles (same
    forward pass, post-processing, size filter and cross-tile suppression)."""
    from rekotrack.selfhosted.vision._detector import _nms

    height, width = frame.shape[:2]
    tiles = squashed_tiles(width, height)
    found = detector._forward([frame[y : y + h, x : x + w] for x, y, w, h in tiles])
    boxes = np.concatenate([b * np.array([w, h, w, h], dtype=np.float64) + np.array([x, y, x, y], dtype=np.float64)
                            for (x, y, w, h), (b, _) in zip(tiles, found, strict=True)])
    scores = np.concatenate([s for _, s in found])
    ok = (boxes[:, 2] - boxes[:, 0] >= 2) & (boxes[:, 3] - boxes[:, 1] >= 4)
    boxes, scores = boxes[ok], scores[ok]
    keep = _nms(boxes, scores, detector.nms_iou)
    return boxes[keep], scores[keep]


@contextlib.contextmanager
def use_tiling(tiling: str) -> Iterator[None]:
    """``with use_tiling("squashed"):`` every SSDLiteDetector in this process uses the candidate
    tiling (the analyzer builds its own detector, so the benchmark swaps the method for the run)."""
    from rekotrack.selfhosted.vision._detector import SSDLiteDetector

    if tiling not in TILINGS:
        raise ValueError(f"unknown tiling {tiling!r}: one of {', '.join(TILINGS)}")
    if tiling == "square":
        yield
        return
    saved = SSDLiteDetector.__dict__["detect"]
    SSDLiteDetector.detect = squashed_detect  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        SSDLiteDetector.detect = saved  # type: ignore[method-assign]


def reference_forward_seconds(frames: list[np.ndarray[Any, Any]], passes: int = 40) -> float:
    """CPU-seconds of one OpenCV-DNN forward pass of ssdlite_person.pb at 300x300 on one thread."""
    import cv2

    from rekotrack.selfhosted.vision._models import SSDLITE, SSDLITE_CONFIG, model_path

    cv2.setNumThreads(1)
    net = cv2.dnn.readNetFromTensorflow(str(model_path(SSDLITE)), str(model_path(SSDLITE_CONFIG)))
    tiles = [f[:, : min(f.shape[:2])] for f in frames]
    net.setInput(cv2.dnn.blobFromImage(tiles[0], size=(300, 300), swapRB=True))
    net.forward()  # first call allocates
    start = time.process_time()
    for k in range(passes):
        net.setInput(cv2.dnn.blobFromImage(tiles[k % len(tiles)], size=(300, 300), swapRB=True))
        net.forward()
    seconds = (time.process_time() - start) / passes
    cv2.setNumThreads(-1)  # back to OpenCV's default for what follows
    return seconds


def staged(video: Path, frames: int | None, engine: str, threads: int | None, faces: bool,
           tiling: str = "square", precision: str = "fp32") -> dict[str, Any]:
    """CPU-seconds per stage over the first ``frames`` sampled frames, as ``analyze`` runs them."""
    with use_tiling(tiling):
        result = _staged(video, frames, engine, threads, faces, precision)
    return {**result, "tiling": tiling, "precision": precision}


def _staged(video: Path, frames: int | None, engine: str, threads: int | None, faces: bool,
            precision: str = "fp32") -> dict[str, Any]:
    from rekotrack.selfhosted.vision._analyzer import tracker_settings
    from rekotrack.selfhosted.vision._bytetrack import ByteTracker
    from rekotrack.selfhosted.vision._detector import appearance, make_detector
    from rekotrack.selfhosted.vision._settings import AnalyzerSettings
    from rekotrack.selfhosted.vision._video import iter_frames, probe, sample_frames

    settings = AnalyzerSettings(threads=threads, faces=faces)
    info = probe(video)
    step_ms = max(float(settings.sample_interval_ms), 1000.0 / info.frame_rate)
    detector = make_detector("ssdlite", threads=threads, engine=engine, precision=precision)  # type: ignore[arg-type]
    face_detector = None
    if faces:
        from rekotrack.selfhosted.vision._faces import FaceDetector

        face_detector = FaceDetector(threads=threads)
    tracker = ByteTracker(tracker_settings(settings, step_ms))
    spent = dict.fromkeys(STAGES, 0.0)
    source = sample_frames(iter_frames(video), settings.sample_interval_ms)
    count = 0
    total = time.process_time()
    while frames is None or count < frames:
        clock = time.process_time()
        try:
            _, image = next(source)
        except StopIteration:
            break
        now = time.process_time()
        spent["decode"] += now - clock
        boxes, scores = detector.detect(image)
        clock, now = now, time.process_time()
        spent["detect"] += now - clock
        features = appearance(image, boxes)
        clock, now = now, time.process_time()
        spent["appearance"] += now - clock
        if face_detector is not None:
            face_detector.detect(image, boxes[scores >= settings.tracker.low_threshold])
            clock, now = now, time.process_time()
            spent["faces"] += now - clock
        tracker.update(boxes, scores, features)
        spent["track"] += time.process_time() - now
        count += 1
    clock = time.process_time()
    tracker.finish()
    spent["link"] += time.process_time() - clock
    return {"frames": count, "engine": engine, "threads": threads, "faces": faces,
            "stages": spent, "total": time.process_time() - total}


def whole_process(video: Path, frames: int | None, threads: int | None, faces: bool) -> dict[str, Any]:
    """CPU-seconds of a fresh process that runs ``analyze()`` on the same frames (all it does)."""
    from rekotrack.selfhosted.vision._video import probe

    info = probe(video)
    limit = "None" if frames is None else str(int((frames - 0.5) * 1000 / (info.frame_rate or 10.0)))
    script = (
        "from pathlib import Path\n"
        "from rekotrack.selfhosted.vision._analyzer import analyze\n"
        "from rekotrack.selfhosted.vision._settings import AnalyzerSettings\n"
        f"a = analyze(Path({str(video)!r}), AnalyzerSettings(threads={threads!r}, faces={faces!r}), limit_ms={limit})\n"
        "print(a.frames)\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=1800, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"frames": int(done.stdout.split()[-1]), "cpu_seconds": cpu}


def _ms(seconds: float, frames: int) -> float:
    return round(1000 * seconds / max(frames, 1), 2)


def measure(
    video: Path, frames: int | None = 300, *, threads: int | None = None, faces: bool = False,
    before: bool = True, process: bool = True, tilings: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The reference forward pass, the staged pipelines (OpenCV DNN with ``before``, onnxruntime) and,
    with ``process``, a fresh ``analyze()`` process; CPU ms per analysed frame."""
    from rekotrack.selfhosted.vision._video import iter_frames

    sample = [image for k, (_, image) in zip(range(200), iter_frames(video), strict=False) if k % 10 == 0]
    load = os.getloadavg()
    reference = [reference_forward_seconds(sample)]
    runs = []
    if before:
        runs.append(("before: OpenCV DNN", staged(video, frames, "opencv", threads, faces)))
    runs.append(("now: onnxruntime", staged(video, frames, "onnxruntime", threads, faces)))
    runs.append(("option: int8 model", staged(video, frames, "onnxruntime", threads, faces, precision="int8")))
    for tiling in tilings:
        if tiling != "square":
            runs.append((f"candidate: {tiling}", staged(video, frames, "onnxruntime", threads, faces, tiling)))
    whole = whole_process(video, frames, threads, faces) if process else None
    reference.append(reference_forward_seconds(sample))
    ref = float(np.mean(reference))
    result: dict[str, Any] = {"load_average_start": [round(x, 2) for x in load],
                              "load_average_end": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
                              "python": platform.python_version(), "reference_forward_ms": round(1000 * ref, 2),
                              "reference_runs_ms": [round(1000 * r, 2) for r in reference], "pipelines": {}}
    for name, run in runs:
        n = run["frames"]
        total = _ms(run["total"], n)
        result["pipelines"][name] = {"frames": n, "stage_ms": {k: _ms(v, n) for k, v in run["stages"].items()},
                                     "total_ms": total, "ratio_to_reference": round(total / (1000 * ref), 3)}
    if whole is not None:
        per = _ms(whole["cpu_seconds"], whole["frames"])
        result["whole_process"] = {"frames": whole["frames"], "ms_per_frame": per,
                                   "ratio_to_reference": round(per / (1000 * ref), 3)}
    return result


def print_measurement(result: dict[str, Any]) -> None:
    print(f"CPU ms per analysed frame; load average {'/'.join(str(x) for x in result['load_average_start'])} at "
          f"start, {'/'.join(str(x) for x in result['load_average_end'])} at end, {result['cpus']} cores")
    print(f"reference: one OpenCV-DNN SSDLite forward pass at 300x300, one thread: {result['reference_forward_ms']:.2f}"
          f" ms ({' / '.join(f'{r:.2f}' for r in result['reference_runs_ms'])} before / after the pipelines)")
    print(f"{'pipeline':<22} {'frames':>6} " + " ".join(f"{s:>10}" for s in STAGES) + f" {'total':>7} {'x ref':>6}")
    for name, run in result["pipelines"].items():
        print(f"{name:<22} {run['frames']:>6} " + " ".join(f"{run['stage_ms'][s]:>10.2f}" for s in STAGES)
              + f" {run['total_ms']:>7.2f} {run['ratio_to_reference']:>6.2f}")
    if "whole_process" in result:
        whole = result["whole_process"]
        print(f"whole process (analyze() in a fresh process, start-up and model loading included): "
              f"{whole['ms_per_frame']:.2f} ms per frame over {whole['frames']} frames = "
              f"{whole['ratio_to_reference']:.2f}x the reference")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--video", type=Path, help="default: vtest.avi from Debian opencv-doc")
    parser.add_argument("--frames", type=int, default=300, help="sampled frames to analyse (0: all)")
    parser.add_argument("--threads", type=int, help="detector threads (default: 1 for onnxruntime, OpenCV's own)")
    parser.add_argument("--faces", action="store_true", help="also detect faces (CenterFace)")
    parser.add_argument("--no-before", action="store_true", help="skip the OpenCV-DNN pipeline (the slow one)")
    parser.add_argument("--tiling", choices=TILINGS[1:], action="append", default=[],
                        help="also measure a candidate tiling (not the analyzer's; see squashed_tiles)")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    video = args.video or next((p for p in VTEST_CANDIDATES if p.is_file()), None)
    if video is None or not video.is_file():
        sys.stderr.write("cpu: vtest.avi not found (apt-get install opencv-doc)\n")
        return 2
    result = measure(video, args.frames or None, threads=args.threads, faces=args.faces, before=not args.no_before,
                     tilings=tuple(args.tiling))
    print_measurement(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
