"""The options of ``rekotrack serve``'s self-hosted analysis, ``rekotrack worker`` and ``rekotrack render``.

argparse only: ``rekotrack._cli`` builds its whole parser (so that ``--help`` lists every command
and flag) without importing :mod:`rekotrack.selfhosted` or :mod:`rekotrack.server`; the commands
themselves run from :mod:`rekotrack.selfhosted.service._cli`, imported when one of them runs.
"""

from __future__ import annotations

import argparse

__all__ = ["configure_render", "configure_serve_video", "configure_worker", "region_argument", "regions_argument"]

_VISIBILITY_TIMEOUT = 300.0  # _celery.VISIBILITY_TIMEOUT (not imported: celery is loaded only when used)


def region_argument(text: str) -> str:
    """argparse type of ``--region``: a region name; a malformed one is a usage error (exit 2) before any client."""
    from rekotrack._validation import check_region_name

    try:
        return check_region_name(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def regions_argument(text: str) -> list[str]:
    """argparse type of ``serve --region``: one region name or several, comma-separated."""
    names = [part for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give a region name such as us-east-1 (several: comma-separated)")
    return [region_argument(name) for name in names]


def configure_serve_video(parser: argparse.ArgumentParser) -> None:
    """Add the self-hosted options to ``serve`` (which already has --host, --port, --sns-endpoint-url)."""
    parser.add_argument("--region", dest="regions", action="append", type=regions_argument, metavar="REGION",
                        help="region whose SigV4 credential scopes are accepted; repeat it or separate with commas "
                             "for several (the first is the server's own). Default: the region boto3 finds in the "
                             "environment or config (AWS_DEFAULT_REGION, AWS_PROFILE), else us-east-1")
    group = parser.add_argument_group("self-hosted analysis (--analyzer video, extra rekotrack[server])")
    group.add_argument("--analyzer", choices=["synthetic", "video"], default="synthetic",
                       help="synthetic scenes (default) or real person tracking on real video files")
    group.add_argument("--video-root", metavar="DIR", help="s3://bucket/key is read from DIR/bucket/key")
    group.add_argument("--s3-endpoint-url", metavar="URL",
                       help="read s3://bucket/key through this S3 endpoint (default without --video-root: AWS S3)")
    group.add_argument("--data-dir", metavar="DIR", help="keep job state and results here across restarts")
    group.add_argument("--workers", type=int, default=1, help="analyses that run at once (default 1)")
    group.add_argument("--faces", action="store_true", help="also detect faces (CenterFace)")
    group.add_argument("--detector", choices=["ssdlite", "hog"], default="ssdlite",
                       help="person detector (default ssdlite; hog only to compare: far less accurate)")
    group.add_argument("--detector-precision", choices=["fp32", "int8"], default="fp32",
                       help="the SSDLite model's arithmetic (default fp32; int8: about half the CPU a frame, "
                            "see docs/self-hosted.md)")
    group.add_argument("--sample-interval-ms", type=int, default=100,
                       help="analyse about one frame per this many ms (every frame up to 10 fps)")
    group.add_argument("--credentials-file", metavar="FILE",
                       help="'ACCESS_KEY_ID SECRET' lines (also REKOTRACK_CREDENTIALS): verify SigV4 signatures")
    scale = parser.add_argument_group("scale-out (--analyzer video --broker ...; run rekotrack worker elsewhere)")
    scale.add_argument("--broker", metavar="redis://HOST:PORT/DB",
                       help="hand jobs to Celery workers through this Redis (job records live there too)")
    scale.add_argument("--results", metavar="s3://BUCKET/PREFIX",
                       help="where workers write results (with --broker; read back through --s3-endpoint-url)")
    scale.add_argument("--max-attempts", type=int, default=3,
                       help="runs of a job (a worker that dies counts) before it ends FAILED (default 3)")
    scale.add_argument("--visibility-timeout", type=float, default=_VISIBILITY_TIMEOUT, metavar="SECONDS",
                       help="a job whose worker vanished is handed to another after this (default "
                            f"{_VISIBILITY_TIMEOUT:.0f}; give workers the same)")


def configure_worker(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``worker --broker URL [--concurrency N] ...``."""
    parser.add_argument("--broker", required=True, metavar="redis://HOST:PORT/DB",
                        help="the Redis that rekotrack serve --broker uses")
    parser.add_argument("--concurrency", type=int, default=1, help="analyses at once, one process each (default 1)")
    parser.add_argument("--s3-endpoint-url", metavar="URL",
                        help="read videos and write results through this S3 endpoint (default: the API server's)")
    parser.add_argument("--sns-endpoint-url", metavar="URL",
                        help="publish completions here (default: the API server's --sns-endpoint-url)")
    parser.add_argument("--data-dir", metavar="DIR", help="scratch space for downloaded videos (default: a temp dir)")
    parser.add_argument("--visibility-timeout", type=float, default=_VISIBILITY_TIMEOUT, metavar="SECONDS",
                        help=f"as given to serve (default {_VISIBILITY_TIMEOUT:.0f})")
    parser.add_argument("--lease-seconds", type=float, default=30.0, metavar="SECONDS",
                        help="a running job's lease, renewed every third of it (default 30)")
    parser.add_argument("--upload-attempts", type=int, default=6, metavar="N",
                        help="uploads of a finished result (2 s backoff doubling to 30 s) before the job ends FAILED; "
                             "never a new analysis (default 6)")


def configure_render(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``render VIDEO RESULT -o OUT [--frames]``."""
    parser.add_argument("video", help="the video file that was analysed")
    parser.add_argument("result", help="its detections: JSON Lines (get --json, export) or a JSON page")
    parser.add_argument("-o", "--output", required=True, help="MP4 to write (a folder of PNGs with --frames)")
    parser.add_argument("--frames", action="store_true", help="write one PNG per frame instead of an MP4")
