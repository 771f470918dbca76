"""The ``rekotrack`` command line.

Exit codes (docs/cli.md has the same table):

====  =====================================================================
0     success
1     the job FAILED (or its notification said ERROR)
2     bad input or environment: one line on stderr, nothing sent
3     a wait reached its deadline
4     an AWS/API error (after retries)
130   interrupted (Ctrl-C)
141   stdout was closed early (``rekotrack get ... | head``): quietly
====  =====================================================================

Errors are one line on stderr, never a traceback. Commands import what they need
when they run, so ``--help`` and ``--version`` are quick.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import ipaddress
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO
from urllib.parse import urlsplit

from . import __version__
from ._cli_server_options import configure_render, configure_serve_video, configure_worker
from ._progress import Progress

if TYPE_CHECKING:
    from rekotrack import NotificationChannel, PersonDetection, PersonTracker, PersonTrackingPage

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_TIMEOUT, EXIT_API = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `yes | head -1`

LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = ("test", "test")

_EXIT_CODES = """\
exit codes:
  0    success
  1    the job FAILED
  2    bad input or environment (one line on stderr, nothing sent)
  3    a wait reached its deadline
  4    an AWS/API error (after retries)
  130  interrupted (Ctrl-C)
  141  stdout closed early (e.g. piped into head)"""


# ---- arguments ------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with plain-text help kept as written and one-line usage errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: bad input: {message} (see {self.prog} --help)\n")


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < float("inf"):  # NaN and inf fail too
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0, not {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535 (0: a free one), not {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rekotrack",
        description="rekotrack: Amazon Rekognition Video person tracking from the command line.\n\n"
        "start, wait, get and export call Rekognition (AWS, or any server given with\n"
        "--endpoint-url, such as rekotrack serve); demo, serve and render run locally.",
        epilog="examples:\n"
        "  rekotrack demo                          # the whole flow offline, no AWS account\n"
        "  JOB=$(rekotrack start s3://bucket/clip.mp4 --wait)\n"
        "  rekotrack get $JOB --json | head -1\n\n" + _EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"rekotrack {__version__}")

    aws = _Parser(add_help=False)
    group = aws.add_argument_group("AWS")
    group.add_argument("--region", default=None, help="AWS region (default: from the environment or profile)")
    group.add_argument("--profile", default=None, help="AWS profile name")
    group.add_argument(
        "--endpoint-url", default=None,
        help="Rekognition endpoint, e.g. the URL rekotrack serve prints; on 127.0.0.1 or localhost a missing "
        f"region is {LOCAL_REGION} and missing credentials are placeholders",
    )
    quiet = _Parser(add_help=False)
    quiet.add_argument("--quiet", "-q", action="store_true", help="no progress display or notes on stderr")
    as_json = _Parser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="JSON Lines on stdout, for scripts")

    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "start", parents=[aws, quiet, as_json], help="start a person tracking job; prints the JobId",
        description="Start a person tracking job on a video in S3 and print its JobId.\n"
        "With --json: {\"JobId\": ...}, and with --wait a second line with the final status.",
        epilog="example:\n  rekotrack start s3://bucket/clip.mp4 --job-tag run-7 --wait --timeout 1800",
    )
    p.add_argument("video", help="s3://bucket/key[?versionId=...]")
    p.add_argument("--sns-topic-arn", help="SNS topic to notify when the job ends (with --role-arn)")
    p.add_argument("--role-arn", help="IAM role that lets Rekognition publish to the topic")
    p.add_argument("--job-tag", help="a tag repeated in the completion notification")
    p.add_argument("--client-request-token", help="idempotency token: the same token starts the job only once")
    p.add_argument("--wait", action="store_true", help="wait for the job to end")
    p.add_argument("--timeout", type=_positive_seconds, default=3600.0, help="seconds to wait (default 3600)")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser(
        "wait", parents=[aws, quiet, as_json], help="wait for a job to end",
        description="Wait for a job to end; prints SUCCEEDED (with --json: its status as one JSON line).",
        epilog="example:\n  rekotrack wait $JOB --timeout 600 --json",
    )
    p.add_argument("job_id")
    p.add_argument("--timeout", type=_positive_seconds, default=3600.0, help="seconds to wait (default 3600)")
    p.set_defaults(func=cmd_wait)

    p = sub.add_parser(
        "get", parents=[aws, quiet, as_json], help="print a finished job's detections",
        description="Print a finished job's detections, one per line, as they are read page by page:\n"
        "a table by default, the AWS-shaped PersonDetection as JSON Lines with --json.",
        epilog="example:\n  rekotrack get $JOB --sort-by INDEX --json > detections.jsonl",
    )
    p.add_argument("job_id")
    p.add_argument("--sort-by", default="TIMESTAMP", choices=["TIMESTAMP", "INDEX"])
    p.add_argument("--page-size", type=int, default=1000, help="MaxResults of each page, 1..1000 (default 1000)")
    p.add_argument("--starting-token", help="continue where an interrupted get stopped (it prints the token)")
    p.add_argument("--max-items", type=int, help="stop after this many detections")
    p.set_defaults(func=cmd_get)

    p = sub.add_parser(
        "export", parents=[aws, quiet], help="export a finished job's detections (and plots)",
        description="Write a finished job's detections as JSON Lines, CSV or MOTChallenge text\n"
        "(see docs/results.md), to a file or stdout; --plot also draws two PNGs (extra rekotrack[plot]).",
        epilog="example:\n  rekotrack export $JOB --format csv -o detections.csv --plot plots/",
    )
    p.add_argument("job_id")
    p.add_argument("--format", default="jsonl", choices=["jsonl", "csv", "mot"])
    p.add_argument("--output", "-o", help="file to write (default: stdout)")
    p.add_argument("--sort-by", default="TIMESTAMP", choices=["TIMESTAMP", "INDEX"])
    p.add_argument("--plot", metavar="DIR", help="also write presence.png and paths.png to DIR (needs [plot])")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "demo", parents=[quiet], help="the whole flow against an in-process local server",
        description="Start a job on a synthetic scene of an in-process local server, wait, read the\n"
        "detections, print a per-person summary and write exports and two PNG plots. No AWS account.",
        epilog="example:\n  rekotrack demo --out demo --people 12 --duration 300",
    )
    p.add_argument("--out", help="folder for the exports (default: a new rekotrack-demo-* folder)")
    p.add_argument("--people", type=int, default=8, help="people in the scene (default 8)")
    p.add_argument("--duration", type=_positive_seconds, default=120.0, help="video length in seconds (default 120)")
    p.add_argument("--seed", type=int, default=7, help="scene seed (default 7)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "serve", help="run the local Rekognition person tracking server",
        description="Serve the Rekognition person tracking API on 127.0.0.1 until Ctrl-C: synthetic\n"
        "scenes by default, real person tracking on real video with --analyzer video.",
        epilog="examples:\n  rekotrack serve --port 9000\n"
        "  rekotrack serve --analyzer video --video-root videos/    # s3://b/k.mp4 is videos/b/k.mp4",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=0, help="port (default: a free one)")
    p.add_argument("--job-seconds", type=_positive_seconds, default=1.0,
                   help="how long a synthetic job stays IN_PROGRESS (default 1)")
    p.add_argument("--sns-endpoint-url", help="SNS endpoint to publish completion to (e.g. a moto server)")
    configure_serve_video(p)
    p.set_defaults(func=_run_serve)

    p = sub.add_parser(
        "render", parents=[quiet], help="draw a result's tracks on the video (needs [server])",
        description="Draw each person's box and index on the frames of the analysed video.",
        epilog="example:\n  rekotrack get $JOB --json > lobby.jsonl\n"
        "  rekotrack render lobby.mp4 lobby.jsonl -o tracks.mp4",
    )
    configure_render(p)
    p.set_defaults(func=_run_render)

    p = sub.add_parser(
        "worker", parents=[quiet], help="run analyses for serve --broker (scale-out; needs [server])",
        description="Consume the jobs of rekotrack serve --analyzer video --broker URL (Celery).",
        epilog="example:\n  rekotrack worker --broker redis://HOST:6379/0 --s3-endpoint-url URL",
    )
    configure_worker(p)
    p.set_defaults(func=_run_worker)
    return parser


# ---- AWS --------------------------------------------------------------------------------


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names this machine (localhost, 127.0.0.0/8 or ::1)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tracker(args: argparse.Namespace) -> PersonTracker:
    """A PersonTracker for the AWS options; a loopback endpoint gets local defaults for what is missing."""
    import boto3

    from rekotrack import PersonTracker

    region: str | None = args.region
    local = args.endpoint_url is not None and is_loopback_url(args.endpoint_url)
    if local:
        # A local server needs no EC2 instance credentials: never ask the instance metadata service.
        os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    session = boto3.Session(profile_name=args.profile, region_name=region)
    if local:
        defaults = []
        if session.region_name is None:
            region = LOCAL_REGION
            defaults.append(f"region {LOCAL_REGION}")
        if session.get_credentials() is None:
            key, secret = LOCAL_CREDENTIALS
            session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                    region_name=region or session.region_name)
            defaults.append("placeholder credentials")
        if defaults and not args.quiet:
            sys.stderr.write(f"rekotrack: note: local endpoint {args.endpoint_url}: using {' and '.join(defaults)} "
                             "(none configured)\n")
    return PersonTracker(session=session, region_name=region, endpoint_url=args.endpoint_url)


def _channel(args: argparse.Namespace) -> NotificationChannel | None:
    from rekotrack import NotificationChannel, RequestValidationError

    if args.sns_topic_arn is None and args.role_arn is None:
        return None
    if args.sns_topic_arn is None or args.role_arn is None:
        raise RequestValidationError("NotificationChannel", "needs both --sns-topic-arn and --role-arn", None)
    return NotificationChannel(sns_topic_arn=args.sns_topic_arn, role_arn=args.role_arn)


def _json_line(record: object, out: TextIO | None = None) -> None:
    (out or sys.stdout).write(json.dumps(record, separators=(",", ":")) + "\n")


def _status_record(job_id: str, page: PersonTrackingPage) -> dict[str, Any]:
    record: dict[str, Any] = {"JobId": job_id}
    aws = page.to_aws()
    for key in ("JobStatus", "StatusMessage", "VideoMetadata"):
        if key in aws:
            record[key] = aws[key]
    return record


def _wait(tracker: PersonTracker, job_id: str, args: argparse.Namespace, *, say_status: bool = True) -> None:
    """Wait with a progress line; prints SUCCEEDED (``say_status``) or, with --json, the status record."""
    from rekotrack import JobFailedError, WaitTimeoutError

    checks = 0
    with Progress(f"waiting for {job_id[:16]}", enabled=not args.quiet) as progress:

        def on_status(page: PersonTrackingPage) -> None:
            nonlocal checks
            checks += 1
            seen = f"{page.job_status}, {checks} status check{'s' if checks > 1 else ''}"
            if page.job_status == "IN_PROGRESS" and page.status_message:
                seen += f", {page.status_message}"  # e.g. the frames a self-hosted server has analysed
            progress.status(seen)

        try:
            page = tracker.wait(job_id, args.timeout, on_status=on_status)
        except JobFailedError as exc:
            if args.json:
                _json_line({"JobId": job_id, "JobStatus": exc.status, "StatusMessage": exc.status_message})
            raise
        except WaitTimeoutError as exc:
            if args.json:
                _json_line({"JobId": job_id, "JobStatus": exc.last_status or "IN_PROGRESS"})
            raise
    if args.json:
        _json_line(_status_record(job_id, page))
    elif say_status:
        print(page.job_status or "SUCCEEDED")


# ---- commands ---------------------------------------------------------------------------


def cmd_start(args: argparse.Namespace) -> int:
    tracker = _tracker(args)
    job = tracker.start(args.video, notification=_channel(args), job_tag=args.job_tag,
                        client_request_token=args.client_request_token)
    if args.json:
        _json_line({"JobId": job.job_id})
    else:
        print(job.job_id)
    sys.stdout.flush()  # the JobId is there before a long wait
    if args.wait:  # stdout keeps just the JobId (JOB=$(rekotrack start ... --wait)); the exit code tells the end
        _wait(tracker, job.job_id, args, say_status=False)
    return EXIT_OK


def cmd_wait(args: argparse.Namespace) -> int:
    _wait(_tracker(args), args.job_id, args)
    return EXIT_OK


_TABLE_HEADER = f"{'timestamp_ms':>12}  {'person':>6}  {'left':>6}  {'top':>6}  {'width':>6}  {'height':>6}  face"


def _table_row(det: PersonDetection) -> str:
    person = det.person
    box = person.bounding_box
    numbers = (box.left, box.top, box.width, box.height) if box is not None else (None, None, None, None)
    cells = "  ".join(f"{v:>6.4f}" if v is not None else f"{'-':>6}" for v in numbers)
    stamp = "-" if det.timestamp is None else str(det.timestamp)
    index = "-" if person.index is None else str(person.index)
    face = "-" if person.face is None else "yes"
    return f"{stamp:>12}  {index:>6}  {cells}  {face}"


def _count_pages(tracker: PersonTracker, progress: Progress) -> None:
    """Show the GetPersonTracking pages read (counted on a botocore event of the tracker's client)."""
    pages = 0

    def after_call(http_response: Any = None, **_: Any) -> None:
        nonlocal pages
        if http_response is not None and http_response.status_code < 300:
            pages += 1
            progress.status(f"{pages} page{'s' if pages > 1 else ''}")

    tracker.client.meta.events.register("after-call.rekognition.GetPersonTracking", after_call)


def _hold_interrupts_between_requests(tracker: PersonTracker) -> None:
    """Let Ctrl-C land only while the main thread sends a GetPersonTracking request, or after a written line.

    (A page prefetched in another thread does not count: Ctrl-C then lands after the next line.)
    """
    events = tracker.client.meta.events

    def request_starts(**_: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            _interrupts.release()

    def request_ended(**_: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            _interrupts.holding = True

    events.register("before-call.rekognition.GetPersonTracking", request_starts)
    events.register("after-call.rekognition.GetPersonTracking", request_ended)
    _interrupts.holding = True


def cmd_get(args: argparse.Namespace) -> int:
    tracker = _tracker(args)
    pager = tracker.persons(args.job_id, sort_by=args.sort_by, page_size=args.page_size,
                            starting_token=args.starting_token, max_items=args.max_items)
    out = sys.stdout
    with Progress("reading", unit="detections", counting=True, enabled=not args.quiet) as progress:
        if progress.active:
            _count_pages(tracker, progress)
        try:
            if not args.json:
                out.write(_TABLE_HEADER + "\n")
            _hold_interrupts_between_requests(tracker)
            for det in pager:
                out.write((json.dumps(det.to_aws(), separators=(",", ":")) if args.json else _table_row(det)) + "\n")
                if _interrupts.pending:
                    _interrupts.release()  # after a whole line: resume_token is right after it
                progress.advance()
            _interrupts.release()
        except BrokenPipeError:
            raise
        except BaseException as exc:
            token = pager.resume_token
            if token is None:
                raise
            code, message = _outcome(exc)
            return _fail(code, f"{message}; resume with --starting-token {token}")
        finally:
            _interrupts.holding = False
    return EXIT_OK


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    """The export destination: stdout, or a file opened before any request (so a bad path sends nothing)."""
    if path is None or path == "-":
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as handle:
        yield handle


def cmd_export(args: argparse.Namespace) -> int:
    from rekotrack import TrackingResult, write_csv, write_jsonl, write_mot

    plot_dir = Path(args.plot) if args.plot else None
    if plot_dir is not None:
        if importlib.util.find_spec("matplotlib") is None:  # say so before any request
            raise ImportError("plots need matplotlib: pip install 'rekotrack[plot]'")
        plot_dir.mkdir(parents=True, exist_ok=True)
    with _output(args.output) as dest:
        tracker = _tracker(args)
        pager = tracker.persons(args.job_id, sort_by=args.sort_by)
        detections: Iterable[PersonDetection]
        result = None
        if plot_dir is not None:
            result = TrackingResult.from_pager(pager, job_id=args.job_id)
            detections = result.detections
        else:
            detections = pager  # streamed: one page in memory
        if args.format == "jsonl":
            count = write_jsonl(detections, dest)
        elif args.format == "csv":
            count = write_csv(detections, dest)
        else:
            count = write_mot(detections, dest, pager.video_metadata)
    if result is not None and plot_dir is not None:
        from rekotrack import plot_paths, plot_presence

        plot_presence(result, plot_dir / "presence.png")
        plot_paths(result, plot_dir / "paths.png")
    if not args.quiet:
        sys.stderr.write(f"rekotrack: exported {count} rows as {args.format}\n")
    return EXIT_OK


# serve, render and worker load the server side only when they run (the SDK commands never do)


def _run_serve(args: argparse.Namespace) -> int:
    from .selfhosted._cli import run_serve

    return run_serve(args)


def _run_render(args: argparse.Namespace) -> int:
    from .selfhosted._cli import run_render

    return run_render(args)


def _run_worker(args: argparse.Namespace) -> int:
    from .selfhosted._cli import run_worker

    return run_worker(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    return run_demo(out_dir=Path(args.out) if args.out else None, people=args.people,
                    duration_s=args.duration, seed=args.seed, quiet=args.quiet)


# ---- outcome ----------------------------------------------------------------------------


def _fail(code: int, message: str) -> int:
    sys.stderr.write(f"rekotrack: {message}\n")
    return code


def _outcome(exc: BaseException) -> tuple[int, str]:
    """The exit code and one-line message for an exception a command raised."""
    from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError, ProfileNotFound

    from rekotrack import APIError, JobFailedError, RekotrackError, RequestValidationError, WaitTimeoutError

    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(exc, RequestValidationError):
        return EXIT_BAD_INPUT, f"bad input: {exc}"
    if isinstance(exc, JobFailedError):
        return EXIT_FAILED, str(exc)
    if isinstance(exc, WaitTimeoutError):
        return EXIT_TIMEOUT, f"{exc}; run `rekotrack wait {exc.job_id}` to keep waiting"
    if isinstance(exc, APIError):
        return EXIT_API, f"AWS error: {exc}"
    if isinstance(exc, RekotrackError):
        return EXIT_API, str(exc)
    if isinstance(exc, (NoRegionError, NoCredentialsError, ProfileNotFound)):
        return EXIT_BAD_INPUT, f"configuration: {exc}"
    if isinstance(exc, BotoCoreError):
        return EXIT_API, f"AWS error: {exc}"
    if isinstance(exc, ImportError):  # an optional extra (plot, pandas) is not installed
        return EXIT_BAD_INPUT, str(exc)
    if isinstance(exc, OSError):  # an unwritable output, a port that cannot be bound, ...
        where = f"{exc.filename}: " if exc.filename else ""
        return EXIT_BAD_INPUT, f"bad input: {where}{exc.strerror or exc}"
    if isinstance(exc, ValueError):  # e.g. MOT export of a job whose VideoMetadata lacks the frame size
        return EXIT_BAD_INPUT, f"bad input: {exc}"
    raise exc


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so that the interpreter's last flush is quiet."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class _Interrupts:
    """Ctrl-C raises KeyboardInterrupt as usual, and is remembered even when a command swallows it
    (``serve`` stops its server and workers, then returns): the exit code is 130 either way.

    While ``holding`` is set, Ctrl-C only sets ``pending``, and the holder raises it at a point
    of its choosing with :meth:`release` (``get`` holds it except while a request is in flight
    and releases it after a whole line: every detection yielded is then written, and the
    resume token never skips one that was half written).
    """

    def __init__(self) -> None:
        self.seen = False
        self.holding = False
        self.pending = False
        self._previous: Any = None

    def __enter__(self) -> _Interrupts:
        with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.seen = True
        if self.holding:
            self.pending = True
            return
        raise KeyboardInterrupt

    def release(self) -> None:
        """End a held section; raise the Ctrl-C that came during it."""
        self.holding = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    def __exit__(self, *exc_info: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


_interrupts = _Interrupts()  # main() installs it; cmd_get holds it while it writes a line


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    global _interrupts
    interrupts = _interrupts = _Interrupts()
    try:
        with interrupts:
            args = _parser().parse_args(argv)
            func: Callable[[argparse.Namespace], int] = args.func
            code = func(args)
            sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        code, message = _outcome(exc)
        return _fail(code, message)
    except KeyboardInterrupt:
        return _fail(EXIT_INTERRUPTED, "interrupted")
    if interrupts.seen and code != EXIT_INTERRUPTED:  # the command swallowed Ctrl-C (serve does, after stopping)
        return _fail(EXIT_INTERRUPTED, "interrupted")
    return code
