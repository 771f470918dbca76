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
import errno
import importlib.util
import json
import os
import signal
import sys
import textwrap
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from . import __version__
from ._cli_jobs import DEFAULT_KIND, KINDS, START_FLAGS, JobKind, kinds_taking
from ._cli_server_options import configure_render, configure_serve_video, configure_worker, region_argument
from ._net import is_loopback_url
from ._progress import Progress

if TYPE_CHECKING:
    from rekotrack import NotificationChannel, PersonDetection
    from rekotrack._models import VideoJobPage

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


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions kept as written; an option's help wrapped between words only (``face-search`` stays whole)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


class _Parser(argparse.ArgumentParser):
    """argparse with plain-text help kept as written and one-line usage errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
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


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text!r}")
    return value


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected NAME[,NAME...], not {text!r}")
    return names


def _kinds_text() -> str:
    """The ``--job`` kinds, in the table's order (from the generated operation table)."""
    return ", ".join(KINDS)


def _order_help(values: Callable[[JobKind], tuple[str, ...]]) -> str:
    """``--sort-by``/``--aggregate-by`` help from the kinds' Get choices: the default, then who has each other value."""
    having = [kind for kind in KINDS.values() if values(kind)]
    default = values(having[0])[0]
    others: dict[str, list[str]] = {}
    for kind in having:
        for value in values(kind)[1:]:
            others.setdefault(value, []).append(kind.name)
    without = [kind.name for kind in KINDS.values() if not values(kind)]
    text = f"{default} (default)"
    if others:
        text += ", or " + ", ".join(f"{value} ({', '.join(names)})" for value, names in others.items())
    return text + (f"; {', '.join(without)}: not a Get option" if without else "")


def _order_choices(values: Callable[[JobKind], tuple[str, ...]]) -> list[str]:
    return list(dict.fromkeys(value for kind in KINDS.values() for value in values(kind)))


_JOBS_HELP = (
    f"the Video analysis: {_kinds_text()} (default {DEFAULT_KIND}); wait, get and export need the kind the job "
    "was started as"
)


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
        description="rekotrack: Amazon Rekognition Video from the command line.\n\n"
        "start, wait, get and export run every Video job on Rekognition\n"
        f"(--job KIND: {_kinds_text()}; default {DEFAULT_KIND})\n"
        "(AWS, or any server given with --endpoint-url, such as rekotrack serve);\n"
        "demo, serve and render run locally.",
        epilog="examples:\n"
        "  rekotrack demo                          # the whole flow offline, no AWS account\n"
        "  JOB=$(rekotrack start s3://bucket/clip.mp4 --wait)\n"
        "  rekotrack get $JOB --json | head -1\n"
        "  JOB=$(rekotrack start --job labels s3://bucket/clip.mp4 --min-confidence 80 --wait)\n"
        "  rekotrack get --job labels $JOB --sort-by NAME\n\n" + _EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"rekotrack {__version__}")

    aws = _Parser(add_help=False)
    group = aws.add_argument_group("AWS")
    group.add_argument("--region", default=None, type=region_argument,
                       help="AWS region (default: from the environment or profile)")
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
    job = _Parser(add_help=False)
    job.add_argument("--job", default=DEFAULT_KIND, choices=list(KINDS), metavar="KIND", help=_JOBS_HELP)

    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "start", parents=[job, aws, quiet, as_json], help="start a job (--job KIND, default persons); prints the JobId",
        description="Start a Video job (person tracking unless --job says otherwise) on a video in S3\n"
        "and print its JobId. With --json: {\"JobId\": ...}, and with --wait a second line with\n"
        "the final status.",
        epilog="examples:\n  rekotrack start s3://bucket/clip.mp4 --job-tag run-7 --wait --timeout 1800\n"
        "  rekotrack start --job labels s3://bucket/clip.mp4 --min-confidence 80\n"
        "  rekotrack start --job face-search s3://bucket/clip.mp4 --collection-id staff\n"
        "  rekotrack start --job segments s3://bucket/clip.mp4 --segment-types SHOT",
    )
    p.add_argument("video", help="s3://bucket/key[?versionId=...]")
    p.add_argument("--sns-topic-arn", help="SNS topic to notify when the job ends (with --role-arn)")
    p.add_argument("--role-arn", help="IAM role that lets Rekognition publish to the topic")
    p.add_argument("--job-tag", help="a tag repeated in the completion notification")
    p.add_argument("--client-request-token", help="idempotency token: the same token starts the job only once")
    p.add_argument("--wait", action="store_true", help="wait for the job to end")
    p.add_argument("--timeout", type=_positive_seconds, default=3600.0, help="seconds to wait (default 3600)")
    kinds = p.add_argument_group("inputs of some jobs")
    kinds.add_argument("--min-confidence", type=_number, metavar="PERCENT",
                       help="labels, moderation: the lowest confidence returned (0-100)")
    kinds.add_argument("--face-attributes", choices=["DEFAULT", "ALL"], help="faces: the attributes returned")
    kinds.add_argument("--collection-id", metavar="ID", help="face-search (required): the face collection to search")
    kinds.add_argument("--face-match-threshold", type=_number, metavar="PERCENT",
                       help="face-search: the lowest similarity of a match (0-100)")
    kinds.add_argument("--segment-types", type=_names, metavar="TYPES",
                       help="segments: SHOT, TECHNICAL_CUE or both, comma-separated (default: both)")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser(
        "wait", parents=[job, aws, quiet, as_json], help="wait for a job to end",
        description="Wait for a job to end; prints SUCCEEDED (with --json: its status as one JSON line).",
        epilog="examples:\n  rekotrack wait $JOB --timeout 600 --json\n  rekotrack wait --job text $JOB",
    )
    p.add_argument("job_id")
    p.add_argument("--timeout", type=_positive_seconds, default=3600.0, help="seconds to wait (default 3600)")
    p.set_defaults(func=cmd_wait)

    p = sub.add_parser(
        "get", parents=[job, aws, quiet, as_json], help="print a finished job's items (detections, labels, faces...)",
        description="Print a finished job's items (person detections, labels, faces...), one per line,\n"
        "as they are read page by page: a table by default, the AWS-shaped items (PersonDetection,\n"
        "LabelDetection...) as JSON Lines with --json.",
        epilog="examples:\n  rekotrack get $JOB --sort-by INDEX --json > detections.jsonl\n"
        "  rekotrack get --job labels $JOB --sort-by NAME --aggregate-by SEGMENTS",
    )
    p.add_argument("job_id")
    p.add_argument("--sort-by", choices=_order_choices(lambda kind: kind.sort_by),
                   help=_order_help(lambda kind: kind.sort_by))
    p.add_argument("--aggregate-by", choices=_order_choices(lambda kind: kind.aggregate_by),
                   help=_order_help(lambda kind: kind.aggregate_by))
    p.add_argument("--page-size", type=int, default=1000, help="MaxResults of each page, 1..1000 (default 1000)")
    p.add_argument("--starting-token", help="continue where an interrupted get stopped (it prints the token)")
    p.add_argument("--max-items", type=int, help="stop after this many detections")
    p.set_defaults(func=cmd_get)

    p = sub.add_parser(
        "export", parents=[job, aws, quiet], help="export a finished job's items (and plots)",
        description="Write a finished job's items as JSON Lines or CSV (the columns of its result class,\n"
        "see docs/results.md), to a file or stdout. Person tracking also writes MOTChallenge text,\n"
        "and --plot draws two PNGs (extra rekotrack[plot]).",
        epilog="examples:\n  rekotrack export $JOB --format csv -o detections.csv --plot plots/\n"
        "  rekotrack export --job segments $JOB --format csv -o shots.csv",
    )
    p.add_argument("job_id")
    p.add_argument("--format", default="jsonl", choices=["jsonl", "csv", "mot"], help="mot: persons only")
    p.add_argument("--output", "-o", help="file to write (default: stdout)")
    p.add_argument("--sort-by", choices=["TIMESTAMP", "INDEX", "NAME", "ID"], help="as for get")
    p.add_argument("--aggregate-by", choices=["TIMESTAMPS", "SEGMENTS"], help="as for get")
    p.add_argument("--plot", metavar="DIR",
                   help="persons: also write presence.png and paths.png to DIR (needs [plot])")
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
        "serve", help="run the local Rekognition Video server (every Video job)",
        description="Serve the Rekognition Video API (all sixteen Start/Get operations) on 127.0.0.1 until\n"
        "Ctrl-C: synthetic results by default; with --analyzer video, real person tracking, faces,\n"
        "segments and text on real video files.",
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


def _kind(args: argparse.Namespace) -> JobKind:
    return KINDS[getattr(args, "job", DEFAULT_KIND)]


def _analyzer(args: argparse.Namespace) -> Any:
    """The client class of ``--job`` (PersonTracker, LabelDetector...) for the AWS options.

    A loopback endpoint gets local defaults for what is missing.
    """
    import boto3

    import rekotrack

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
    analyzer_class = getattr(rekotrack, _kind(args).class_name)
    return analyzer_class(session=session, region_name=region, endpoint_url=args.endpoint_url)


def _channel(args: argparse.Namespace) -> NotificationChannel | None:
    from rekotrack import NotificationChannel, RequestValidationError

    if args.sns_topic_arn is None and args.role_arn is None:
        return None
    if args.sns_topic_arn is None or args.role_arn is None:
        raise RequestValidationError("NotificationChannel", "needs both --sns-topic-arn and --role-arn", None)
    return NotificationChannel(sns_topic_arn=args.sns_topic_arn, role_arn=args.role_arn)


def _start_inputs(args: argparse.Namespace) -> dict[str, Any]:
    """The kind's own Start inputs from its flags; a flag of another kind is bad input (nothing sent)."""
    kind = _kind(args)
    inputs: dict[str, Any] = {}
    for dest, flag in START_FLAGS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        if dest not in kind.start_flags:
            raise ValueError(f"{flag} is an input of --job {' or '.join(kinds_taking(dest))}, not of --job {kind.name}")
        inputs[dest] = value
    if kind.name == "face-search" and "collection_id" not in inputs:
        raise ValueError("--job face-search needs --collection-id (the face collection to search)")
    if kind.name == "segments":
        inputs.setdefault("segment_types", ["SHOT", "TECHNICAL_CUE"])
    return inputs


def _orders(args: argparse.Namespace) -> dict[str, str]:
    """``sort_by``/``aggregate_by`` for the kind's items method; an order the kind's Get lacks is bad input."""
    kind = _kind(args)
    options: dict[str, str] = {}
    for dest, flag, allowed in (("sort_by", "--sort-by", kind.sort_by),
                                ("aggregate_by", "--aggregate-by", kind.aggregate_by)):
        value = getattr(args, dest, None)
        if value is None:
            if dest == "sort_by" and allowed:
                options[dest] = allowed[0]  # the service's default, stated (resume tokens carry the order)
            continue
        if not allowed:
            raise ValueError(f"--job {kind.name} has no {flag} (its Get returns one order)")
        if value not in allowed:
            raise ValueError(f"{flag} {value} is not an order of --job {kind.name} (choose {' or '.join(allowed)})")
        options[dest] = value
    return options


def _json_line(record: object, out: TextIO | None = None) -> None:
    (out or sys.stdout).write(json.dumps(record, separators=(",", ":")) + "\n")


def _status_record(job_id: str, page: VideoJobPage) -> dict[str, Any]:
    record: dict[str, Any] = {"JobId": job_id}
    aws = page.to_aws()
    for key in ("JobStatus", "StatusMessage", "VideoMetadata"):
        if key in aws:
            record[key] = aws[key]
    return record


def _wait(analyzer: Any, job_id: str, args: argparse.Namespace, *, say_status: bool = True) -> None:
    """Wait with a progress line; prints SUCCEEDED (``say_status``) or, with --json, the status record."""
    from rekotrack import JobFailedError, WaitTimeoutError

    checks = 0
    with Progress(f"waiting for {job_id[:16]}", enabled=not args.quiet) as progress:

        def on_status(page: VideoJobPage) -> None:
            nonlocal checks
            checks += 1
            seen = f"{page.job_status}, {checks} status check{'s' if checks > 1 else ''}"
            message = page.status_message if page.job_status == "IN_PROGRESS" else None
            progress.status(seen, message)  # a self-hosted server's "analysed N of M frames": percent and ETA

        try:
            page = analyzer.wait(job_id, args.timeout, on_status=on_status)
        except JobFailedError as exc:
            progress.close()
            if args.json:
                _json_line({"JobId": job_id, "JobStatus": exc.status, "StatusMessage": exc.status_message})
            raise
        except WaitTimeoutError as exc:
            progress.close()
            if args.json:
                _json_line({"JobId": job_id, "JobStatus": exc.last_status or "IN_PROGRESS"})
            raise
    if args.json:
        _json_line(_status_record(job_id, page))
    elif say_status:
        print(page.job_status or "SUCCEEDED")


# ---- commands ---------------------------------------------------------------------------


def cmd_start(args: argparse.Namespace) -> int:
    inputs = _start_inputs(args)  # before any client or request
    analyzer = _analyzer(args)
    job = analyzer.start(args.video, notification=_channel(args), job_tag=args.job_tag,
                         client_request_token=args.client_request_token, **inputs)
    if args.json:
        _json_line({"JobId": job.job_id})
    else:
        print(job.job_id)
    sys.stdout.flush()  # the JobId is there before a long wait
    if args.wait:  # stdout keeps just the JobId (JOB=$(rekotrack start ... --wait)); the exit code tells the end
        _wait(analyzer, job.job_id, args, say_status=False)
    return EXIT_OK


def cmd_wait(args: argparse.Namespace) -> int:
    _wait(_analyzer(args), args.job_id, args)
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


def _table(kind: JobKind) -> tuple[str, Callable[[Any], str]]:
    """The ``get`` table of a kind: its header and a function from an item to its row."""
    if kind.name == DEFAULT_KIND:
        return _TABLE_HEADER, _table_row
    from ._cli_jobs import ItemTable

    table = ItemTable(kind)
    return table.header, lambda item: table.row(item.to_aws())


def _count_pages(analyzer: Any, progress: Progress) -> None:
    """Show the Get pages read (counted on a botocore event of the analyzer's client)."""
    pages = 0

    def after_call(http_response: Any = None, **_: Any) -> None:
        nonlocal pages
        if http_response is not None and http_response.status_code < 300:
            pages += 1
            progress.status(f"{pages} page{'s' if pages > 1 else ''}")

    analyzer.client.meta.events.register(f"after-call.rekognition.{analyzer.operation.get_name}", after_call)


def _hold_interrupts_between_requests(analyzer: Any) -> None:
    """Let Ctrl-C land only while the main thread sends a Get request, or after a written line.

    (A page prefetched in another thread does not count: Ctrl-C then lands after the next line.)
    """
    events = analyzer.client.meta.events

    def request_starts(**_: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            _interrupts.release()

    def request_ended(**_: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            _interrupts.holding = True

    get_name = analyzer.operation.get_name
    events.register(f"before-call.rekognition.{get_name}", request_starts)
    events.register(f"after-call.rekognition.{get_name}", request_ended)
    _interrupts.holding = True


def _resumable(exc: BaseException) -> bool:
    """Whether ``get --starting-token`` can continue after ``exc`` (an interruption or a passing failure)."""
    from rekotrack import (
        AccessDeniedError,
        InvalidPaginationTokenError,
        JobFailedError,
        JobInProgressError,
        RequestValidationError,
        ResourceNotFoundError,
    )

    final = (JobFailedError, JobInProgressError, RequestValidationError, ResourceNotFoundError,
             InvalidPaginationTokenError, AccessDeniedError)
    return not isinstance(exc, final)


def cmd_get(args: argparse.Namespace) -> int:
    kind = _kind(args)
    orders = _orders(args)
    analyzer = _analyzer(args)
    items_method = getattr(analyzer, kind.items_method)
    pager = items_method(args.job_id, page_size=args.page_size, starting_token=args.starting_token,
                         max_items=args.max_items, **orders)
    header, row = ("", None) if args.json else _table(kind)
    out = sys.stdout
    written = 0
    failure: tuple[int, str] | None = None
    with Progress("reading", unit=kind.noun, counting=True, enabled=not args.quiet) as progress:
        if progress.active:
            _count_pages(analyzer, progress)
        try:
            _hold_interrupts_between_requests(analyzer)
            for item in pager:
                line = json.dumps(item.to_aws(), separators=(",", ":")) if row is None else row(item)
                if not written and header:
                    line = header + "\n" + line  # the header only once there is a row (never before an error)
                progress.write(line + "\n", out)
                written += 1
                if _interrupts.pending:
                    _interrupts.release()  # after a whole line: resume_token is right after it
                progress.advance()
            _interrupts.release()
            if not written and header:
                progress.write(header + "\n", out)  # an empty result: the header alone
        except BrokenPipeError:
            raise
        except BaseException as exc:
            token = pager.resume_token
            if token is None or not written or not _resumable(exc):
                raise  # nothing to resume: the error as any command says it
            code, message = _outcome(exc)
            failure = code, f"{message}; resume with --starting-token {token}"
            progress.close(keep=False)  # the message alone on its line, as after any other error
        finally:
            _interrupts.holding = False
    if failure is not None:  # written once the progress line is gone
        return _fail(*failure)
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
    kind = _kind(args)
    orders = _orders(args)
    if kind.name != DEFAULT_KIND:
        if args.format == "mot":
            raise ValueError(f"--format mot is for --job persons (MOTChallenge tracks), not --job {kind.name}")
        if args.plot:
            raise ValueError(f"--plot is for --job persons, not --job {kind.name}")
        return _export_items(args, kind, orders)
    from rekotrack import TrackingResult, write_csv, write_jsonl, write_mot

    plot_dir = Path(args.plot) if args.plot else None
    if plot_dir is not None:
        if importlib.util.find_spec("matplotlib") is None:  # say so before any request
            raise ImportError("plots need matplotlib: pip install '.[plot]' in a clone (rekotrack[plot] once released)")
        plot_dir.mkdir(parents=True, exist_ok=True)
    with _output(args.output) as dest:
        tracker = _analyzer(args)
        pager = tracker.persons(args.job_id, **orders)
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


def _export_items(args: argparse.Namespace, kind: JobKind, orders: dict[str, str]) -> int:
    """export for the jobs other than person tracking: JSON Lines or CSV, streamed page by page."""
    from ._cli_jobs import write_csv_rows, write_jsonl_rows

    with _output(args.output) as dest:
        pager = getattr(_analyzer(args), kind.items_method)(args.job_id, **orders)
        count = write_jsonl_rows(pager, dest) if args.format == "jsonl" else write_csv_rows(kind, pager, dest)
    if not args.quiet:
        sys.stderr.write(f"rekotrack: exported {count} rows as {args.format}\n")
    return EXIT_OK


# serve, render and worker load the server side only when they run (the SDK commands never do)


def _run_serve(args: argparse.Namespace) -> int:
    from .selfhosted.service._cli import run_serve

    try:
        return run_serve(args)
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES) and not exc.filename:
            # a bind error names no address: say which one could not be used
            raise OSError(exc.errno, f"cannot listen on {args.host} port {args.port}: {exc.strerror or exc}") from exc
        raise


def _run_render(args: argparse.Namespace) -> int:
    from .selfhosted.service._cli import run_render

    return run_render(args)


def _run_worker(args: argparse.Namespace) -> int:
    from .selfhosted.service._cli import run_worker

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
        if interrupts.seen:  # Ctrl-C raised inside a library that wrapped it (pydantic's serializers do)
            return _fail(EXIT_INTERRUPTED, "interrupted")
        code, message = _outcome(exc)
        return _fail(code, message)
    except KeyboardInterrupt:
        return _fail(EXIT_INTERRUPTED, "interrupted")
    if interrupts.seen and code != EXIT_INTERRUPTED:  # the command swallowed Ctrl-C (serve does, after stopping)
        return _fail(EXIT_INTERRUPTED, "interrupted")
    return code
