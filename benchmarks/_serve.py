"""Run LocalRekognition in its own process for the benchmarks, so the client's timings are its own.

Prints one JSON line ``{"url": ..., "videos": {uri: detections}}`` and serves until stdin closes.
"""

from __future__ import annotations

import argparse
import json
import sys

from rekotrack.testing import Faults, LocalRekognition, SyntheticScene


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--throttle-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sns-endpoint-url", default=None)
    parser.add_argument("--job-seconds", type=float, default=0.0)
    args = parser.parse_args()
    faults = (
        Faults(throttle_rate=args.throttle_rate, seed=args.seed, operations=("GetPersonTracking",))
        if args.throttle_rate
        else None
    )
    with LocalRekognition(
        job_seconds=args.job_seconds, faults=faults, sns_endpoint_url=args.sns_endpoint_url
    ) as server:
        videos = {}
        for size in (int(s) for s in args.sizes.split(",") if s):
            scene = SyntheticScene.with_detections(size, seed=args.seed, face_rate=0.5)
            uri = f"s3://bench/n{size}.mp4"
            server.add_video(uri, scene)
            videos[uri] = len(scene)
        print(json.dumps({"url": server.url, "videos": videos}), flush=True)
        sys.stdin.read()  # until the parent closes our stdin


if __name__ == "__main__":
    main()
