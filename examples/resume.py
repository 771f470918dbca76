"""Pagination: page size, max_items, and resuming exactly where an interrupted loop stopped."""

from __future__ import annotations

from rekotrack import PersonTracker
from rekotrack.testing import LocalRekognition, SyntheticScene


def main() -> None:
    with LocalRekognition(job_seconds=0.2) as server:
        scene = SyntheticScene(seed=11, people=6, duration_ms=60_000)
        server.add_video("s3://bucket/long.mp4", scene)
        tracker = PersonTracker(server.client())
        job = tracker.start("s3://bucket/long.mp4")
        job.wait(timeout=60, poll_interval=0.2)

        # --8<-- [start:resume]
        pager = tracker.persons(job.job_id, sort_by="TIMESTAMP", page_size=250)
        seen = []
        for det in pager:
            seen.append(det)
            if len(seen) == 600:  # interrupted: a crash, a deploy, a break
                break
        token = pager.resume_token  # a string: store it anywhere

        rest = tracker.persons(job.job_id, sort_by="TIMESTAMP", page_size=250, starting_token=token)
        seen.extend(rest)  # exactly the detections not seen yet, none twice
        # --8<-- [end:resume]

        assert [d.to_aws() for d in seen] == list(scene.ground_truth())
        print(f"{len(seen)} detections, resumed after 600, none lost or repeated")

        # --8<-- [start:pages]
        for page in tracker.pages(job.job_id, sort_by="INDEX", page_size=1000):
            print(page.job_status, len(page.persons or ()), page.next_token is not None)
        # --8<-- [end:pages]


if __name__ == "__main__":
    main()
