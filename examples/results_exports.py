"""Results: a job collected, each person's track, JSONL/CSV/MOT, a DataFrame, two plots (needs plot and pandas).

Offline by default: it starts the local server and points boto3 at it through the
standard ``AWS_ENDPOINT_URL_REKOGNITION`` variable, and writes into a temporary folder.
Needs the ``plot`` and ``pandas`` extras: ``pip install ".[plot,pandas]"`` in a clone.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

try:
    import matplotlib  # noqa: F401
    import pandas  # noqa: F401
except ImportError as missing:  # the README's command 1 installs plot, not pandas
    raise SystemExit(f"results_exports.py needs {missing.name}: pip install '.[plot,pandas]' in a clone") from None

from rekotrack import (
    PersonTracker,
    TrackingResult,
    plot_paths,
    plot_presence,
    read_jsonl,
    write_csv,
    write_jsonl,
    write_mot,
)
from rekotrack.testing import LocalRekognition, SyntheticScene


def run(out: Path) -> None:
    tracker = PersonTracker()
    job = tracker.start("s3://bucket/lobby.mp4")

    # --8<-- [start:collect]
    result = job.collect()  # TrackingResult: waits, then reads every page
    print(result.video_metadata)  # frame size, rate and duration
    for index, track in result.tracks().items():
        print(
            f"person {index}: {track.detection_count} detections, "
            f"seen {track.first_seen_ms / 1000:.1f}-{track.last_seen_ms / 1000:.1f} s, "
            f"re-entered {len(track.gaps(min_gap_ms=1000))} times"
        )
    print("visible at 10 s:", result.presence(10_000, tolerance_ms=500))
    # --8<-- [end:collect]

    # --8<-- [start:track]
    track = next(iter(result.tracks().values()))  # the lowest person index
    first = track.detections[0]  # PersonDetection, built when read
    t_ms, x, y = track.path[0]  # box centre as ratios of the frame
    print(first.timestamp, t_ms, x, y, track.duration_ms, track.visits(min_gap_ms=1000))
    # --8<-- [end:track]

    # --8<-- [start:exports]
    result.to_jsonl(out / "detections.jsonl")  # one AWS-shaped detection per line
    result.to_csv(out / "detections.csv")  # flat columns, units in the table below
    result.to_mot(out / "mot.txt")  # MOTChallenge, pixels, time order
    result.save(out / "result.jsonl")  # header (job id, VideoMetadata) + detections
    again = TrackingResult.load(out / "result.jsonl")
    assert list(again.detections) == list(result.detections)
    # --8<-- [end:exports]

    # --8<-- [start:streaming]
    pager = tracker.persons(job.job_id, sort_by="TIMESTAMP")
    write_jsonl(pager, out / "streamed.jsonl")  # at most two pages in memory (the next is prefetched)
    write_csv(pager, out / "streamed.csv")  # each write reads the job again
    write_mot(pager, out / "streamed-mot.txt", pager.video_metadata)
    for det in read_jsonl(out / "streamed.jsonl"):  # lazily, PersonDetection models
        assert det.timestamp is not None
    # --8<-- [end:streaming]

    # --8<-- [start:dataframe]
    frame = result.to_dataframe()  # pip install '.[pandas]' in a clone
    print(frame.groupby("person_index")["timestamp_ms"].agg(["min", "max", "count"]))
    # --8<-- [end:dataframe]

    # --8<-- [start:plots]
    plot_presence(result, out / "presence.png")  # pip install '.[plot]' in a clone
    plot_paths(result, out / "paths.png")
    # --8<-- [end:plots]


def main() -> None:
    with LocalRekognition(job_seconds=0.5) as server, tempfile.TemporaryDirectory() as folder:
        server.add_video("s3://bucket/lobby.mp4", SyntheticScene(seed=5, people=4, duration_ms=60_000))
        os.environ.update(
            AWS_ENDPOINT_URL_REKOGNITION=server.url,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
        )
        run(Path(folder))
        print("wrote", sorted(path.name for path in Path(folder).iterdir()))


if __name__ == "__main__":
    main()
