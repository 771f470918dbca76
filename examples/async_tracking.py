"""The asynchronous client: a job, a queue, many jobs at once, a batch, cancelling, resuming (needs the dev extra).

Offline: it starts a moto server (SNS and SQS) and the local Rekognition server, and
points aiobotocore at them through the standard ``AWS_ENDPOINT_URL_*`` variables, so
the code in the marked regions is exactly the code that runs against AWS.
Needs aiobotocore (the ``async`` extra) and moto (a local SNS/SQS), both in the ``dev`` extra.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

try:
    import aiobotocore  # noqa: F401
    from moto.server import ThreadedMotoServer
except ImportError as missing:  # not installed by the README's command 1
    raise SystemExit(f"async_tracking.py needs {missing.name}: pip install -e '.[dev]' (README command 2)") from None

from rekotrack import AsyncCompletionQueue, AsyncPersonTracker, JobFailedError
from rekotrack.testing import LocalRekognition, SyntheticScene

ROLE_ARN = "arn:aws:iam::123456789012:role/RekognitionSnsPublish"


async def one_job(uri: str) -> None:
    # --8<-- [start:one_job]
    async with AsyncPersonTracker() as tracker:  # an aiobotocore client, closed on exit
        job = await tracker.start(uri, job_tag="run-7")
        await job.wait(timeout=3600)  # polls Get with backoff; other coroutines run meanwhile
        people = set()
        async for det in tracker.persons(job.job_id):  # at most two pages in memory (the next is prefetched)
            if det.person is not None:
                people.add(det.person.index)
        print(job.job_id, len(people), "people")
    # --8<-- [end:one_job]


async def with_queue(uri: str) -> None:
    # --8<-- [start:queue]
    async with AsyncPersonTracker() as tracker, AsyncCompletionQueue.create(ROLE_ARN) as queue:
        job = await tracker.start(uri, notification=queue.channel)
        note = await queue.wait_for(job.job_id, timeout=3600)  # CompletionNotification
        result = await job.collect(queue=queue)  # TrackingResult
        print(note.status, len(result.detections), "detections")
    # --8<-- [end:queue]


async def many_at_once(uris: list[str]) -> None:
    # --8<-- [start:concurrent]
    async def count(tracker: AsyncPersonTracker, job_id: str) -> int:
        return len([det async for det in tracker.persons(job_id)])

    async with AsyncPersonTracker() as tracker, AsyncCompletionQueue.create(ROLE_ARN) as queue:
        jobs = [await tracker.start(uri, notification=queue.channel) for uri in uris]
        notes = await queue.wait_for_all([job.job_id for job in jobs], timeout=3600)
        counts = await asyncio.gather(*(count(tracker, job_id) for job_id in notes))
        print(dict(zip(notes, counts, strict=True)))
    # --8<-- [end:concurrent]


async def batch(videos: list[str]) -> None:
    # --8<-- [start:batch]
    async with AsyncPersonTracker() as tracker, AsyncCompletionQueue.create(ROLE_ARN) as queue:
        outcomes = tracker.track_many(videos, queue=queue, max_concurrent=5, timeout=3600)
        async with contextlib.aclosing(outcomes):  # leaving early cancels the jobs' tasks at once
            async for video, outcome in outcomes:
                if isinstance(outcome, JobFailedError):
                    print(video, outcome.status, outcome.status_message)
                elif isinstance(outcome, Exception):
                    print(video, "not tracked:", outcome)
                else:
                    print(video, "done:", outcome.job_id)
    # --8<-- [end:batch]


async def cancel_and_resume(uri: str) -> None:
    async with AsyncPersonTracker() as tracker:
        job = await tracker.start(uri)
        # --8<-- [start:cancel]
        try:
            await asyncio.wait_for(job.wait(timeout=3600), timeout=0.5)  # or `async with asyncio.timeout(...)`
        except asyncio.TimeoutError:
            print("still running:", job.job_id)  # nothing keeps polling; wait again later by id
        await tracker.wait(job.job_id, timeout=3600)
        # --8<-- [end:cancel]
        # --8<-- [start:resume]
        pager = tracker.persons(job.job_id, page_size=100)
        seen = 0
        async for _det in pager:
            seen += 1
            if seen == 150:
                break  # or a cancellation, or an error
        rest = tracker.persons(job.job_id, page_size=100, starting_token=pager.resume_token)
        seen += len([det async for det in rest])  # continues right after the 150th detection
        # --8<-- [end:resume]
        print(seen, "detections")


async def run(server: LocalRekognition) -> None:
    server.add_video("s3://bucket/broken.mp4", SyntheticScene(final_status="FAILED"))
    await one_job("s3://bucket/lobby.mp4")
    await with_queue("s3://bucket/hall.mp4")
    await many_at_once([f"s3://bucket/cam{i}.mp4" for i in range(4)])
    await batch([f"s3://bucket/batch{i}.mp4" for i in range(6)] + ["s3://bucket/broken.mp4"])
    server.job_seconds = 2.0
    await cancel_and_resume("s3://bucket/slow.mp4")


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    try:
        with LocalRekognition(job_seconds=0.5, max_concurrent_jobs=5, sns_endpoint_url=moto_url) as server:
            os.environ.update(
                AWS_ENDPOINT_URL_REKOGNITION=server.url,
                AWS_ENDPOINT_URL_SNS=moto_url,
                AWS_ENDPOINT_URL_SQS=moto_url,
                AWS_DEFAULT_REGION="us-east-1",
                AWS_ACCESS_KEY_ID="test",
                AWS_SECRET_ACCESS_KEY="test",
            )
            asyncio.run(run(server))
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
