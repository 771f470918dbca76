"""What a worker process runs for one job: fetch the video, analyse it, write the result files."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from rekotrack.selfhosted.service._jobs import AnalysedOperation, JobSpec, Progress, S3Video, WorkResult, parse
from rekotrack.selfhosted.service._store import write_result
from rekotrack.selfhosted.vision._settings import AnalyzerSettings

__all__ = [
    "ANALYSES",
    "INTERNAL_FAILURE",
    "PROGRESS_SECONDS",
    "Analysis",
    "FileProgress",
    "Written",
    "init_worker",
    "progress_message",
    "read_progress",
    "run_job",
]

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
        progress = parse(Progress, json.loads(path.read_text()), f"the progress file {path}")
    except (OSError, ValueError):  # not written yet, or caught mid-write on a filesystem without atomic replace
        return None
    return progress.done, progress.expected


def _fetch_s3(source: S3Video, folder: Path) -> Path:
    import boto3

    client = boto3.client("s3", endpoint_url=source.endpoint_url, region_name=source.region)
    suffix = Path(source.key).suffix
    fd, name = tempfile.mkstemp(prefix="video-", suffix=suffix, dir=folder)
    os.close(fd)
    extra = {"VersionId": source.version} if source.version else None
    for attempt in range(1, FETCH_ATTEMPTS + 1):
        try:
            client.download_file(source.bucket, source.key, name, ExtraArgs=extra)
            return Path(name)
        except Exception as exc:
            from rekotrack.selfhosted.service._s3store import s3_unavailable

            if attempt == FETCH_ATTEMPTS or not s3_unavailable(exc):
                raise
            delay = min(30.0, 2.0 * 2 ** (attempt - 1))
            _log.warning("s3://%s/%s: download %d of %d failed, S3 unavailable (%r); downloading again in %.0f s",
                         source.bucket, source.key[:200], attempt, FETCH_ATTEMPTS, exc, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


FETCH_ATTEMPTS = 6
"""Downloads of a video while S3 is unavailable (2 s backoff doubling to 30 s: about a minute) before the
attempt fails (and the job is retried as a whole)."""


@dataclass(frozen=True)
class Written:
    """What an analysis wrote to the result folder: frames analysed, items written, what they are (for the log)."""

    frames: int
    items: int
    what: str


Analysis = Callable[[Path, JobSpec, AnalyzerSettings, Callable[[int, int], None], Path], Written]
"""``analysis(video, spec, settings, progress, out_dir)``: analyse ``video`` and write the result folder."""


def _track_people(video: Path, spec: JobSpec, settings: AnalyzerSettings,
                  progress: Callable[[int, int], None], out_dir: Path) -> Written:
    from rekotrack.selfhosted.vision._analyzer import analyze

    analysis = analyze(video, settings, progress=progress)
    write_result(out_dir, analysis.info.video_metadata(), analysis.persons)
    people = len({p["Person"]["Index"] for p in analysis.persons})
    return Written(analysis.frames, len(analysis.persons), f"detections of {people} people")


def _detect_faces(video: Path, spec: JobSpec, settings: AnalyzerSettings,
                  progress: Callable[[int, int], None], out_dir: Path) -> Written:
    from rekotrack.selfhosted.vision._face_jobs import detect_faces

    faces = detect_faces(video, settings, progress=progress)
    write_result(out_dir, faces.info.video_metadata(), faces.faces)
    return Written(faces.frames, len(faces.faces), "faces")


def _detect_segments(video: Path, spec: JobSpec, settings: AnalyzerSettings,
                     progress: Callable[[int, int], None], out_dir: Path) -> Written:
    from rekotrack.selfhosted.vision._segments import detect_segments

    found = detect_segments(video, list(spec.segment_types), spec.filters, threads=settings.threads,
                            progress=progress)
    write_result(out_dir, found.page_fields, found.segments)  # page members in the metadata slot: _outcomes
    return Written(found.frames, len(found.segments), "segments")


def _detect_text(video: Path, spec: JobSpec, settings: AnalyzerSettings,
                 progress: Callable[[int, int], None], out_dir: Path) -> Written:
    from rekotrack.selfhosted.vision._text import detect_text

    text = detect_text(video, spec.filters, threads=settings.threads, progress=progress)
    write_result(out_dir, text.page_fields, text.detections)  # page members in the metadata slot: _outcomes
    return Written(text.frames, len(text.detections), "text detections")


ANALYSES: Final[Mapping[AnalysedOperation, Analysis]] = {
    "PersonTracking": _track_people,
    "FaceDetection": _detect_faces,
    "SegmentDetection": _detect_segments,
    "TextDetection": _detect_text,
}
"""The analysis of each job kind (a test checks that every analysed operation has one)."""


def run_job(job_id: str, spec: JobSpec, settings: AnalyzerSettings, out_dir: str,
            report: Callable[[int, int], None] | None = None) -> WorkResult:
    """Analyse one job's video into ``out_dir``; SUCCEEDED with counts, or FAILED with the Get's message.

    ``report(done, expected)`` is called with the frames analysed so far (throttled by the callee)."""
    if not isinstance(spec, JobSpec) or not isinstance(settings, AnalyzerSettings):
        raise TypeError(f"run_job takes a JobSpec and AnalyzerSettings, not {type(spec).__name__} and "
                        f"{type(settings).__name__}")
    if settings.analyzer == "synthetic":
        from rekotrack.selfhosted.service._synthetic import run_synthetic

        return run_synthetic(spec, Path(out_dir))
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
        if isinstance(spec.source, S3Video):
            folder.parent.mkdir(parents=True, exist_ok=True)
            downloaded = _fetch_s3(spec.source, folder.parent)
            path = downloaded
        else:
            path = Path(spec.source.path)
        written = ANALYSES[spec.operation](path, spec, settings, progress, folder)
    except VideoError as exc:
        _log.info("job %s failed: %s", job_id[:12], exc)
        return WorkResult.failed(str(exc))
    except Exception:
        _log.exception("job %s failed", job_id[:12])
        return WorkResult.failed(INTERNAL_FAILURE)
    finally:
        if downloaded is not None:
            downloaded.unlink(missing_ok=True)
    elapsed = time.monotonic() - started
    _log.info(
        "job %s: SUCCEEDED, %d frames in %.1f s (%.1f fps), %d %s",
        job_id[:12], written.frames, elapsed, written.frames / elapsed if elapsed else 0.0, written.items,
        written.what,
    )
    return WorkResult(status="SUCCEEDED", frames=written.frames, items=written.items, seconds=elapsed)
