"""What a worker process runs for one job: fetch the video, analyse it, write the result files."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FileProgress", "init_worker", "progress_message", "read_progress", "run_job"]

_log = logging.getLogger("rekotrack.selfhosted")

INTERNAL_FAILURE = "Amazon Rekognition experienced a service issue while processing the video."


def init_worker(level: int) -> None:
    """Process-pool initializer: log to stderr like the server, at its level; end with the server."""
    logging.basicConfig(level=level, format="%(asctime)s rekotrack worker %(process)d: %(message)s")
    logging.getLogger("rekotrack").setLevel(level)
    parent = os.getppid()

    def watch() -> None:  # a server killed without a chance to stop its pool must not leave workers running
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="rekotrack-parent-watch", daemon=True).start()


PROGRESS_SECONDS = 0.5
"""A job's progress is reported at most this often (and once more at the last frame)."""


def progress_message(done: int, expected: int) -> str:
    """The StatusMessage of a job in progress, e.g. ``analysed 120 of 795 frames``."""
    return f"analysed {done} of {max(done, expected)} frames"


@dataclass
class FileProgress:
    """A progress callback that a worker process writes to ``path`` (JSON, replaced atomically) and
    the server reads back with :func:`read_progress`; picklable, so it crosses into the worker process."""

    path: str
    last: float = 0.0

    def __call__(self, done: int, expected: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_SECONDS and done < expected:
            return
        self.last = now
        tmp = f"{self.path}.tmp"
        try:
            with open(tmp, "w") as out:
                json.dump({"done": done, "expected": expected}, out)
            os.replace(tmp, self.path)
        except OSError as exc:  # a full disk must not fail the analysis
            _log.debug("progress not written to %s: %r", self.path, exc)


def read_progress(path: Path) -> tuple[int, int] | None:
    """``(done, expected)`` as :class:`FileProgress` last wrote it, or ``None``."""
    try:
        data = json.loads(path.read_text())
        return int(data["done"]), int(data["expected"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _fetch_s3(source: dict[str, Any], folder: Path) -> Path:
    import boto3

    client = boto3.client("s3", endpoint_url=source.get("endpoint_url"), region_name=source.get("region"))
    suffix = Path(source["key"]).suffix
    fd, name = tempfile.mkstemp(prefix="video-", suffix=suffix, dir=folder)
    os.close(fd)
    extra = {"VersionId": source["version"]} if source.get("version") else None
    for attempt in range(1, FETCH_ATTEMPTS + 1):
        try:
            client.download_file(source["bucket"], source["key"], name, ExtraArgs=extra)
            return Path(name)
        except Exception as exc:
            from rekotrack.selfhosted.service._s3store import s3_unavailable

            if attempt == FETCH_ATTEMPTS or not s3_unavailable(exc):
                raise
            delay = min(30.0, 2.0 * 2 ** (attempt - 1))
            _log.warning("s3://%s/%s: download %d of %d failed, S3 unavailable (%r); downloading again in %.0f s",
                         source["bucket"], source["key"][:200], attempt, FETCH_ATTEMPTS, exc, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


FETCH_ATTEMPTS = 6
"""Downloads of a video while S3 is unavailable (2 s backoff doubling to 30 s: about a minute) before the
attempt fails (and the job is retried as a whole)."""


def _run_synthetic(source: dict[str, Any], out_dir: str) -> dict[str, Any]:
    """The synthetic analyzer: the same scene ``LocalRekognition`` invents for the URI, written to disk."""
    from rekotrack.selfhosted.service._store import write_result
    from rekotrack.testing import SyntheticScene

    scene = SyntheticScene.for_uri(source["uri"])
    if scene.final_status != "SUCCEEDED":
        return {"status": "FAILED", "message": scene.status_message or "Failed."}
    if source.get("operation") == "FaceDetection":
        from rekotrack.testing import SyntheticJob

        job = SyntheticJob("FaceDetection", {"Video": source["video"], "FaceAttributes": source["face_attributes"]},
                           scene=scene)
        write_result(Path(out_dir), job.video_metadata(), job.items())
        return {"status": "SUCCEEDED", "frames": 0, "seconds": 0.0}
    if source.get("operation") in ("SegmentDetection", "TextDetection"):  # page members: _outcomes
        from rekotrack.testing import SyntheticJob

        params = {"Video": source["video"], "Filters": source.get("filters") or {}}
        if source["operation"] == "SegmentDetection":
            params["SegmentTypes"] = source["segment_types"]
        job = SyntheticJob(source["operation"], params, scene=scene)
        write_result(Path(out_dir), job.page_fields(), job.items())
        return {"status": "SUCCEEDED", "frames": 0, "seconds": 0.0}
    write_result(Path(out_dir), scene.video_metadata(), list(scene.detections("TIMESTAMP")))
    return {"status": "SUCCEEDED", "frames": 0, "seconds": 0.0}


def run_job(job_id: str, source: dict[str, Any], settings: dict[str, Any], out_dir: str,
            report: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Analyse one video; returns ``{"status": "SUCCEEDED"}`` or ``{"status": "FAILED", "message": ...}``.

    ``source["operation"]`` names the job kind (``PersonTracking``, the default, ``FaceDetection``,
    ``SegmentDetection`` or ``TextDetection``);
    ``report(done, expected)`` is called with the frames analysed so far (throttled by the callee)."""
    if settings.get("analyzer") == "synthetic":
        return _run_synthetic(source, out_dir)
    from rekotrack.selfhosted.service._store import write_result
    from rekotrack.selfhosted.vision._analyzer import analyze
    from rekotrack.selfhosted.vision._face_jobs import detect_faces
    from rekotrack.selfhosted.vision._settings import AnalyzerSettings
    from rekotrack.selfhosted.vision._video import VideoError

    folder = Path(out_dir)
    downloaded: Path | None = None
    started = time.monotonic()
    last = [0.0]

    def progress(done: int, expected: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 5.0:
            last[0] = now
            share = f" ({100 * done / expected:.0f} %)" if expected else ""
            _log.info("job %s: %d frames analysed%s", job_id[:12], done, share)
        if report is not None:
            report(done, expected)

    try:
        if source["kind"] == "s3":
            folder.parent.mkdir(parents=True, exist_ok=True)
            downloaded = _fetch_s3(source, folder.parent)
            path = downloaded
        else:
            path = Path(source["path"])
        if source.get("operation", "PersonTracking") == "FaceDetection":
            faces = detect_faces(path, AnalyzerSettings.from_json(settings), progress=progress)
            write_result(folder, faces.info.video_metadata(), faces.faces)
            frames, items, what = faces.frames, len(faces.faces), "faces"
        elif source.get("operation") == "SegmentDetection":  # page members in the metadata slot: _outcomes
            from rekotrack.selfhosted.vision._segments import detect_segments

            found = detect_segments(path, source["segment_types"], source.get("filters"),
                                    threads=settings.get("threads"), progress=progress)
            write_result(folder, found.page_fields, found.segments)
            frames, items, what = found.frames, len(found.segments), "segments"
        elif source.get("operation") == "TextDetection":
            from rekotrack.selfhosted.vision._text import detect_text

            text = detect_text(path, source.get("filters"), threads=settings.get("threads"), progress=progress)
            write_result(folder, text.page_fields, text.detections)
            frames, items, what = text.frames, len(text.detections), "text detections"
        else:
            analysis = analyze(path, AnalyzerSettings.from_json(settings), progress=progress)
            write_result(folder, analysis.info.video_metadata(), analysis.persons)
            people = len({p["Person"]["Index"] for p in analysis.persons})
            frames, items, what = analysis.frames, len(analysis.persons), f"detections of {people} people"
    except VideoError as exc:
        _log.info("job %s failed: %s", job_id[:12], exc)
        return {"status": "FAILED", "message": str(exc)}
    except Exception:
        _log.exception("job %s failed", job_id[:12])
        return {"status": "FAILED", "message": INTERNAL_FAILURE}
    finally:
        if downloaded is not None:
            downloaded.unlink(missing_ok=True)
    elapsed = time.monotonic() - started
    _log.info(
        "job %s: SUCCEEDED, %d frames in %.1f s (%.1f fps), %d %s",
        job_id[:12], frames, elapsed, frames / elapsed if elapsed else 0.0, items, what,
    )
    return {"status": "SUCCEEDED", "frames": frames, "seconds": elapsed}
