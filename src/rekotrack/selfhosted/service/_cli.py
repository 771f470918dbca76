"""Command-line wiring for ``rekotrack serve --analyzer video``, ``rekotrack worker`` and ``rekotrack render``.

The options are in :mod:`rekotrack._cli_server_options` (argparse only, so that ``rekotrack --help``
and the SDK commands load nothing of the server); ``rekotrack._cli`` imports this module only
when one of these commands runs, and nothing heavy is imported until then either. Exit codes
follow ``rekotrack._cli``: 0 ok, 2 bad input.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rekotrack._cli_server_options import configure_render, configure_serve_video, configure_worker

if TYPE_CHECKING:
    from rekotrack.server import FrontName, RekognitionServer

__all__ = ["configure_render", "configure_serve_video", "configure_worker", "run_render", "run_serve", "run_worker",
           "synthetic_server"]

EXIT_OK, EXIT_BAD_INPUT = 0, 2
_INSTALL_SERVER = (
    "pip install '.[server]' in a rekotrack clone ('rekotrack[server]' once released; see docs/self-hosted.md)"
)
_MISSING_EXTRA = f"the video analyzer needs the server extra: {_INSTALL_SERVER}"


def synthetic_server(*, host: str, port: int, job_seconds: float, sns_endpoint_url: str | None, front: FrontName,
                     region_name: str) -> RekognitionServer:
    """The server of ``rekotrack serve`` without ``--analyzer video``: synthetic jobs (what
    :class:`rekotrack.testing.LocalRekognition` is, from its production home)."""
    from rekotrack._synthetic._server import LocalRekognition

    return LocalRekognition(host=host, port=port, job_seconds=job_seconds, sns_endpoint_url=sns_endpoint_url,
                            front=front, region_name=region_name)


def run_serve(args: argparse.Namespace) -> int:
    """Run ``serve``: the synthetic server, or the video analyzer with ``--analyzer video``."""
    from rekotrack._net import is_loopback
    from rekotrack.selfhosted.service._sigv4 import load_credentials

    try:
        credentials = load_credentials(Path(args.credentials_file) if args.credentials_file else None)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"rekotrack: bad input: credentials: {exc}\n")
        return EXIT_BAD_INPUT
    if not is_loopback(args.host) and not credentials:
        sys.stderr.write(f"rekotrack: bad input: --host {args.host} serves other hosts: give --credentials-file "
                         "(or REKOTRACK_CREDENTIALS) so that request signatures are verified\n")
        return EXIT_BAD_INPUT
    try:
        regions = serve_regions(getattr(args, "regions", None))
    except ValueError as exc:
        sys.stderr.write(f"rekotrack: bad input: {exc}\n")
        return EXIT_BAD_INPUT
    from rekotrack.server import uvicorn_available

    # uvicorn (extra rekotrack[server]) when installed; the stdlib front keeps a base install serving.
    front: FrontName = "uvicorn" if uvicorn_available() else "stdlib"
    server: RekognitionServer
    if args.analyzer != "video":
        if credentials:
            sys.stderr.write("rekotrack: bad input: signature verification needs --analyzer video\n")
            return EXIT_BAD_INPUT
        server = synthetic_server(host=args.host, port=args.port, job_seconds=getattr(args, "job_seconds", 1.0),
                                  sns_endpoint_url=args.sns_endpoint_url, front=front, region_name=regions[0])
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")  # job progress
        if args.video_root is None and args.s3_endpoint_url is None:
            logging.getLogger("rekotrack").info("no --video-root: videos are read from S3 with the default session")
        if args.video_root is not None and not Path(args.video_root).is_dir():
            sys.stderr.write(f"rekotrack: bad input: --video-root {args.video_root} is not a folder\n")
            return EXIT_BAD_INPUT
        try:
            import av  # noqa: F401
            import cv2  # noqa: F401
        except ImportError:
            sys.stderr.write(f"rekotrack: {_MISSING_EXTRA}\n")
            return EXIT_BAD_INPUT
        from rekotrack.selfhosted.vision._settings import AnalyzerSettings

        settings = AnalyzerSettings(detector=args.detector, sample_interval_ms=args.sample_interval_ms,
                                    faces=args.faces, precision=args.detector_precision)
        from rekotrack.selfhosted.vision._detector import check_models
        from rekotrack.selfhosted.vision._models import ModelMissingError

        try:
            check_models(settings.detector, settings.faces, settings.precision)  # no silent fallback
        except ModelMissingError as exc:
            sys.stderr.write(f"rekotrack: {exc}\n")
            return EXIT_BAD_INPUT
        options = {"s3_endpoint_url": args.s3_endpoint_url, "data_dir": args.data_dir, "settings": settings,
                   "credentials": credentials, "host": args.host, "port": args.port,
                   "sns_endpoint_url": args.sns_endpoint_url, "front": front, "region_name": regions}
        try:
            if args.broker is not None:
                server = _scaled_server(args, options)
            else:
                if args.results is not None:
                    raise ValueError("--results needs --broker (the single-machine mode keeps results in --data-dir)")
                from rekotrack.selfhosted.service._service import VideoRekognition

                server = VideoRekognition(video_root=args.video_root, workers=args.workers, **options)
        except ImportError as exc:
            if (exc.name or "rekotrack").startswith("rekotrack"):  # not a missing extra: say what it is
                raise
            sys.stderr.write(f"rekotrack: {_MISSING_SCALE_EXTRA}\n")
            return EXIT_BAD_INPUT
        except ValueError as exc:
            sys.stderr.write(f"rekotrack: {_cannot_start(exc)}\n")
            return EXIT_BAD_INPUT
    signal.signal(signal.SIGTERM, _interrupt)  # stop like Ctrl-C: workers ended, state saved
    server.start()
    kind = "People Pathing on real video" if args.analyzer == "video" else "People Pathing"
    print(f"rekotrack local Rekognition ({kind}; {front}) listening on {server.url}", flush=True)
    key, secret = ("YOUR_KEY_ID", "YOUR_SECRET") if credentials else ("test", "test")
    print(f"  boto3.client('rekognition', endpoint_url='{server.url}', region_name='{regions[0]}', "
          f"aws_access_key_id='{key}', aws_secret_access_key='{secret}')", flush=True)
    if credentials:
        print(f"  signatures verified for region{'s' if len(regions) > 1 else ''} {', '.join(regions)}", flush=True)
    server.serve_forever()  # until Ctrl-C
    return EXIT_OK


def serve_regions(given: list[list[str]] | None) -> list[str]:
    """The regions of ``serve --region`` (each option one or several), in order, without repeats; none given:
    the region boto3 finds in the environment or config (``AWS_DEFAULT_REGION``, the profile), else us-east-1."""
    if given:
        return list(dict.fromkeys(name for names in given for name in names))
    import botocore.session
    from botocore.exceptions import BotoCoreError

    try:
        found = botocore.session.get_session().get_config_variable("region")
    except BotoCoreError:  # a profile that does not exist: no region from the config
        found = None
    if not isinstance(found, str) or not found:
        return ["us-east-1"]
    from rekotrack._validation import check_region_name

    try:
        return [check_region_name(found)]
    except ValueError as exc:
        raise ValueError(f"the region configured for boto3 (AWS_DEFAULT_REGION or the profile): {exc}; "
                         "give --region") from None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


_MISSING_SCALE_EXTRA = f"the scale-out mode needs celery and redis: {_INSTALL_SERVER}"


def _cannot_start(exc: ValueError) -> str:
    """One line for a refused start: a scale-out set-up problem (broker, bucket, S3 credentials) or a bad option."""
    from rekotrack.selfhosted.service._scale import ScaleOutSetupError

    return f"cannot start: {exc}" if isinstance(exc, ScaleOutSetupError) else f"bad input: {exc}"


def _check_broker(url: str) -> None:
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"--broker {url}: expected redis://HOST:PORT/DB")


def _scaled_server(args: argparse.Namespace, options: dict[str, Any]) -> Any:
    _check_broker(args.broker)
    if args.video_root is not None:
        raise ValueError("--broker reads videos through the S3 API (--s3-endpoint-url), not --video-root")
    if args.results is None:
        raise ValueError("--broker needs --results s3://BUCKET/PREFIX (where workers write results)")
    if args.max_attempts < 1 or not 0 < args.visibility_timeout < float("inf"):
        raise ValueError("--max-attempts must be >= 1 and --visibility-timeout a positive number of seconds")
    import celery  # noqa: F401
    import redis  # noqa: F401

    from rekotrack.selfhosted.service._scale import ScaledVideoRekognition

    options = {k: v for k, v in options.items() if k != "data_dir"}  # nothing is kept locally: Redis and S3
    return ScaledVideoRekognition(broker=args.broker, results=args.results, max_attempts=args.max_attempts,
                                  visibility_timeout=args.visibility_timeout, **options)


def run_worker(args: argparse.Namespace) -> int:
    """Run ``worker``: consume analysis tasks until SIGTERM (finishes its jobs) or SIGKILL (they are re-run)."""
    try:
        _check_broker(args.broker)
        if args.concurrency < 1 or not 0 < args.lease_seconds < args.visibility_timeout < float("inf"):
            raise ValueError("--concurrency must be >= 1 and 0 < --lease-seconds < --visibility-timeout (seconds)")
        if args.upload_attempts < 1:
            raise ValueError("--upload-attempts must be >= 1")
    except ValueError as exc:
        sys.stderr.write(f"rekotrack: bad input: {exc}\n")
        return EXIT_BAD_INPUT
    try:
        import av  # noqa: F401
        import celery  # noqa: F401
        import cv2  # noqa: F401
        import redis  # noqa: F401
    except ImportError:
        sys.stderr.write(f"rekotrack: {_MISSING_SCALE_EXTRA}\n")
        return EXIT_BAD_INPUT
    from rekotrack.selfhosted.service._scale import ScaleOutSetupError, check_broker, check_s3_credentials

    try:  # before Celery starts: one line on what is wrong (Celery would retry the broker for ever)
        check_broker(args.broker)
        check_s3_credentials(args.s3_endpoint_url)
    except ScaleOutSetupError as exc:
        sys.stderr.write(f"rekotrack: {_cannot_start(exc)}\n")
        return EXIT_BAD_INPUT
    from celery.signals import worker_shutting_down

    from rekotrack.selfhosted.service._celery import WorkerOptions
    from rekotrack.selfhosted.service._celery import run_worker as run

    # Celery handles Ctrl-C itself (a warm shutdown: running jobs finish) and then returns or exits 0;
    # remember it so that rekotrack's exit is 130 with its one line, as for every other command.
    interrupted: list[str] = []

    def on_shutdown(sig: str | None = None, **_: Any) -> None:
        if sig == "SIGINT":
            interrupted.append(sig)

    worker_shutting_down.connect(on_shutdown, weak=False)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(process)d: %(message)s")
    streams = sys.stdout, sys.stderr  # Celery redirects them into its log while it runs
    try:
        run(WorkerOptions(broker=args.broker, s3_endpoint_url=args.s3_endpoint_url,
                          sns_endpoint_url=args.sns_endpoint_url, data_dir=args.data_dir,
                          lease_seconds=args.lease_seconds, concurrency=args.concurrency,
                          upload_attempts=args.upload_attempts),
            visibility_timeout=args.visibility_timeout)
    except SystemExit:
        if not interrupted:
            raise
    finally:
        worker_shutting_down.disconnect(on_shutdown)
        sys.stdout, sys.stderr = streams
    if interrupted:
        raise KeyboardInterrupt
    return EXIT_OK


def run_render(args: argparse.Namespace) -> int:
    """Draw each person's box and index (and face box) on the frames."""
    try:
        import av  # noqa: F401
        import cv2  # noqa: F401
    except ImportError:
        sys.stderr.write(f"rekotrack: render needs the server extra: {_INSTALL_SERVER}\n")
        return EXIT_BAD_INPUT
    from rekotrack.selfhosted.vision._render import render
    from rekotrack.selfhosted.vision._video import VideoError

    video, result, out = Path(args.video), Path(args.result), Path(args.output)
    for path in (video, result):
        if not path.is_file():
            sys.stderr.write(f"rekotrack: bad input: {path} is not a file\n")
            return EXIT_BAD_INPUT
    try:
        shown = False if getattr(args, "quiet", False) else None  # a tqdm bar on a terminal unless --quiet
        count = render(video, result, out, frames=args.frames, progress=shown)
    except (VideoError, ValueError) as exc:
        sys.stderr.write(f"rekotrack: bad input: {exc}\n")
        return EXIT_BAD_INPUT
    if not getattr(args, "quiet", False):
        sys.stderr.write(f"rekotrack: rendered {count} frames to {out}\n")
    return EXIT_OK
