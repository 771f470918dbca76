"""The ``rekotrack`` command line.

Exit codes: 0 ok, 1 job failed, 2 bad input, 3 timeout, 4 AWS/API error.
Bad input prints one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from botocore.exceptions import NoCredentialsError, NoRegionError, ProfileNotFound

from ._errors import APIError, JobFailedError, RekotrackError, RequestValidationError, WaitTimeoutError
from ._models import NotificationChannel, PersonDetection, PersonTrackingPage
from .selfhosted._cli import configure_render, configure_serve_video, configure_worker, run_render, run_serve
from .selfhosted._cli import run_worker as run_scale_worker

if TYPE_CHECKING:
    from ._client import PersonTracker

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_TIMEOUT, EXIT_API = 0, 1, 2, 3, 4


class Progress:
    """A one-line progress display on stderr; silent when stderr is not a terminal or with ``--quiet``."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled and stream.isatty()
        self.started = time.monotonic()
        self._last = 0.0

    def update(self, text: str, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        self.stream.write(f"\r\x1b[2K{text} [{now - self.started:.1f} s]")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _tracker(args: argparse.Namespace) -> PersonTracker:
    import boto3

    from ._client import PersonTracker

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    return PersonTracker(session=session, region_name=args.region, endpoint_url=args.endpoint_url)


def _channel(args: argparse.Namespace) -> NotificationChannel | None:
    if args.sns_topic_arn is None and args.role_arn is None:
        return None
    if args.sns_topic_arn is None or args.role_arn is None:
        raise RequestValidationError("NotificationChannel", "needs both --sns-topic-arn and --role-arn", None)
    return NotificationChannel(sns_topic_arn=args.sns_topic_arn, role_arn=args.role_arn)


def _wait(tracker: PersonTracker, job_id: str, timeout: float, progress: Progress) -> None:
    checks = 0

    def on_status(page: PersonTrackingPage) -> None:
        nonlocal checks
        checks += 1
        progress.update(f"waiting for {job_id}: {page.job_status}, {checks} status checks", force=True)

    tracker.wait(job_id, timeout, on_status=on_status)
    progress.done()


def cmd_start(args: argparse.Namespace) -> int:
    tracker = _tracker(args)
    job = tracker.start(args.video, notification=_channel(args), job_tag=args.job_tag,
                        client_request_token=args.client_request_token)
    print(job.job_id)
    if args.wait:
        _wait(tracker, job.job_id, args.timeout, Progress(sys.stderr, not args.quiet))
    return EXIT_OK


def cmd_wait(args: argparse.Namespace) -> int:
    tracker = _tracker(args)
    _wait(tracker, args.job_id, args.timeout, Progress(sys.stderr, not args.quiet))
    print("SUCCEEDED")
    return EXIT_OK


def cmd_get(args: argparse.Namespace) -> int:
    tracker = _tracker(args)
    progress = Progress(sys.stderr, not args.quiet)
    pager = tracker.persons(args.job_id, sort_by=args.sort_by, page_size=args.page_size,
                            starting_token=args.starting_token, max_items=args.max_items)
    out = sys.stdout
    count = 0
    try:
        for det in pager:
            out.write(json.dumps(det.to_aws(), separators=(",", ":")) + "\n")
            count += 1
            if count % 1000 == 0:
                progress.update(f"{count} detections")
    except BaseException:
        if pager.resume_token:
            sys.stderr.write(f"rekotrack: resume with --starting-token {pager.resume_token}\n")
        raise
    progress.update(f"{count} detections", force=True)
    progress.done()
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from . import _results

    tracker = _tracker(args)
    pager = tracker.persons(args.job_id, sort_by=args.sort_by)
    if args.plot:
        from ._plots import plot_paths, plot_presence

        result = _results.TrackingResult.from_pager(pager, job_id=args.job_id)
        detections: Iterable[PersonDetection] = result.detections
        Path(args.plot).mkdir(parents=True, exist_ok=True)
        plot_presence(result, Path(args.plot) / "presence.png")
        plot_paths(result, Path(args.plot) / "paths.png")
    else:
        detections = pager  # streamed: one page in memory
    with contextlib.ExitStack() as stack:
        dest: TextIO = (
            stack.enter_context(open(args.output, "w", encoding="utf-8", newline=""))
            if args.output and args.output != "-"
            else sys.stdout
        )
        if args.format == "jsonl":
            count = _results.write_jsonl(detections, dest)
        elif args.format == "csv":
            count = _results.write_csv(detections, dest)
        else:
            count = _results.write_mot(detections, dest, pager.video_metadata)
    if not args.quiet:
        sys.stderr.write(f"rekotrack: exported {count} rows as {args.format}\n")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    return run_demo(out_dir=Path(args.out) if args.out else None, people=args.people,
                    duration_s=args.duration, seed=args.seed, quiet=args.quiet)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rekotrack", description=__doc__.splitlines()[0] if __doc__ else None)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--region", default=None, help="AWS region (default: from the environment/profile)")
    common.add_argument("--profile", default=None, help="AWS profile name")
    common.add_argument("--endpoint-url", default=None, help="Rekognition endpoint (e.g. a `rekotrack serve` URL)")
    common.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("start", parents=[common], help="start a person tracking job; prints the JobId")
    p.add_argument("video", help="s3://bucket/key[?versionId=...]")
    p.add_argument("--sns-topic-arn")
    p.add_argument("--role-arn")
    p.add_argument("--job-tag")
    p.add_argument("--client-request-token")
    p.add_argument("--wait", action="store_true", help="wait for the job to end")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait (default 3600)")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("wait", parents=[common], help="wait for a job to end")
    p.add_argument("job_id")
    p.add_argument("--timeout", type=float, default=3600.0)
    p.set_defaults(func=cmd_wait)

    p = sub.add_parser("get", parents=[common], help="stream a finished job's detections as JSON Lines")
    p.add_argument("job_id")
    p.add_argument("--sort-by", default="TIMESTAMP", choices=["TIMESTAMP", "INDEX"])
    p.add_argument("--page-size", type=int, default=1000)
    p.add_argument("--starting-token")
    p.add_argument("--max-items", type=int)
    p.set_defaults(func=cmd_get)

    p = sub.add_parser("export", parents=[common], help="export a finished job's detections (and plots)")
    p.add_argument("job_id")
    p.add_argument("--format", default="jsonl", choices=["jsonl", "csv", "mot"])
    p.add_argument("--output", "-o", help="file to write (default: stdout)")
    p.add_argument("--sort-by", default="TIMESTAMP", choices=["TIMESTAMP", "INDEX"])
    p.add_argument("--plot", metavar="DIR", help="also write presence.png and paths.png to DIR (needs [plot])")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("demo", parents=[common], help="the whole flow against an in-process local server")
    p.add_argument("--out", help="folder for the exports (default: a new rekotrack-demo-* folder)")
    p.add_argument("--people", type=int, default=8)
    p.add_argument("--duration", type=float, default=120.0, help="video length in seconds")
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", parents=[common], help="run the local Rekognition person tracking server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument("--job-seconds", type=float, default=1.0, help="how long a synthetic job stays IN_PROGRESS")
    p.add_argument("--sns-endpoint-url", help="SNS endpoint to publish completion to (e.g. a moto server)")
    configure_serve_video(p)
    p.set_defaults(func=run_serve)

    p = sub.add_parser("render", parents=[common], help="draw a result's tracks on the video (needs [server])")
    configure_render(p)
    p.set_defaults(func=run_render)

    p = sub.add_parser("worker", parents=[common], help="run analyses for `serve --broker` (scale-out; needs [server])",
                       description="Consume the jobs of `rekotrack serve --analyzer video --broker URL` (Celery).")
    configure_worker(p)
    p.set_defaults(func=run_scale_worker)
    return parser


def _fail(code: int, message: str) -> int:
    sys.stderr.write(f"rekotrack: {message}\n")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except RequestValidationError as exc:
        return _fail(EXIT_BAD_INPUT, f"bad input: {exc}")
    except JobFailedError as exc:
        return _fail(EXIT_FAILED, str(exc))
    except WaitTimeoutError as exc:
        return _fail(EXIT_TIMEOUT, f"{exc}; run `rekotrack wait {exc.job_id}` to keep waiting")
    except APIError as exc:
        return _fail(EXIT_API, f"AWS error: {exc}")
    except RekotrackError as exc:
        return _fail(EXIT_API, str(exc))
    except KeyboardInterrupt:
        return _fail(130, "interrupted")
    except (NoRegionError, NoCredentialsError, ProfileNotFound) as exc:
        return _fail(EXIT_BAD_INPUT, f"configuration: {exc}")
    except ImportError as exc:  # an optional extra (plot, pandas) is not installed
        return _fail(EXIT_BAD_INPUT, str(exc))
    except ValueError as exc:  # e.g. MOT export of a job whose VideoMetadata lacks the frame size
        return _fail(EXIT_BAD_INPUT, f"bad input: {exc}")
