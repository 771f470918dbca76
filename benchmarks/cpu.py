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
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

STAGES = ("decode", "detect", "appearance", "faces", "track", "link")
VTEST_CANDIDATES = (
    Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi"),
    Path("/usr/share/opencv4/samples/data/vtest.avi"),
)


def reference_forward_seconds(frames: list[np.ndarray[Any, Any]], passes: int = 40) -> float:
    """CPU-seconds of one OpenCV-DNN forward pass of ssdlite_person.pb at 300x300 on one thread."""
    import cv2

    from rekotrack.selfhosted._models import SSDLITE, SSDLITE_CONFIG, model_path

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


def staged(video: Path, frames: int | None, engine: str, threads: int | None, faces: bool) -> dict[str, Any]:
    """CPU-seconds per stage over the first ``frames`` sampled frames, as ``analyze`` runs them."""
    from rekotrack.selfhosted._analyzer import tracker_settings
    from rekotrack.selfhosted._bytetrack import ByteTracker
    from rekotrack.selfhosted._detector import SSDLiteDetector, appearance
    from rekotrack.selfhosted._settings import AnalyzerSettings
    from rekotrack.selfhosted._video import iter_frames, probe, sample_frames

    settings = AnalyzerSettings(threads=threads, faces=faces)
    info = probe(video)
    step_ms = max(float(settings.sample_interval_ms), 1000.0 / info.frame_rate)
    detector = SSDLiteDetector(threads=threads, engine=engine)  # type: ignore[arg-type]
    face_detector = None
    if faces:
        from rekotrack.selfhosted._faces import FaceDetector

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
    from rekotrack.selfhosted._video import probe

    info = probe(video)
    limit = "None" if frames is None else str(int((frames - 0.5) * 1000 / (info.frame_rate or 10.0)))
    script = (
        "from pathlib import Path\n"
        "from rekotrack.selfhosted._analyzer import analyze\n"
        "from rekotrack.selfhosted._settings import AnalyzerSettings\n"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--video", type=Path, help="default: vtest.avi from Debian opencv-doc")
    parser.add_argument("--frames", type=int, default=300, help="sampled frames to analyse (0: all)")
    parser.add_argument("--threads", type=int, help="detector threads (default: 1 for onnxruntime, OpenCV's own)")
    parser.add_argument("--faces", action="store_true", help="also detect faces (CenterFace)")
    parser.add_argument("--no-before", action="store_true", help="skip the OpenCV-DNN pipeline (the slow one)")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    video = args.video or next((p for p in VTEST_CANDIDATES if p.is_file()), None)
    if video is None or not video.is_file():
        sys.stderr.write("cpu: vtest.avi not found (apt-get install opencv-doc)\n")
        return 2
    frames = args.frames or None
    from rekotrack.selfhosted._video import iter_frames

    sample = [image for k, (_, image) in zip(range(200), iter_frames(video), strict=False) if k % 10 == 0]
    load = os.getloadavg()
    reference = [reference_forward_seconds(sample)]
    runs = []
    if not args.no_before:
        runs.append(("before: OpenCV DNN", staged(video, frames, "opencv", args.threads, args.faces)))
    runs.append(("now: onnxruntime", staged(video, frames, "onnxruntime", args.threads, args.faces)))
    process = whole_process(video, frames, args.threads, args.faces)
    reference.append(reference_forward_seconds(sample))
    load_end = os.getloadavg()
    ref = float(np.mean(reference))
    print(f"load average {'/'.join(f'{x:.2f}' for x in load)} at start, {'/'.join(f'{x:.2f}' for x in load_end)} "
          f"at end, {os.cpu_count()} cores; CPU ms per analysed frame")
    print(f"reference: one OpenCV-DNN SSDLite forward pass at 300x300, one thread: {1000 * ref:.2f} ms "
          f"({' / '.join(f'{1000 * r:.2f}' for r in reference)} before / after)")
    print(f"{'pipeline':<22} {'frames':>6} " + " ".join(f"{s:>10}" for s in STAGES) + f" {'total':>7} {'x ref':>6}")
    result: dict[str, Any] = {"load_average_start": load, "load_average_end": load_end, "cpus": os.cpu_count(),
                              "python": platform.python_version(), "reference_forward_ms": round(1000 * ref, 2),
                              "reference_runs_ms": [round(1000 * r, 2) for r in reference], "pipelines": {}}
    for name, run in runs:
        n = run["frames"]
        per = {s: _ms(v, n) for s, v in run["stages"].items()}
        total = _ms(run["total"], n)
        print(f"{name:<22} {n:>6} " + " ".join(f"{per[s]:>10.2f}" for s in STAGES)
              + f" {total:>7.2f} {total / (1000 * ref):>6.2f}")
        result["pipelines"][name] = {"frames": n, "stage_ms": per, "total_ms": total,
                                     "ratio_to_reference": round(total / (1000 * ref), 3)}
    whole = _ms(process["cpu_seconds"], process["frames"])
    print(f"whole process (analyze() in a fresh process, start-up and model loading included): "
          f"{whole:.2f} ms per frame over {process['frames']} frames = {whole / (1000 * ref):.2f}x the reference")
    result["whole_process"] = {"frames": process["frames"], "ms_per_frame": whole,
                               "ratio_to_reference": round(whole / (1000 * ref), 3)}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
