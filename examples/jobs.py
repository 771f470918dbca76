"""Every Video job through rekotrack, labels to text (needs moto and pandas: the dev extra).

Labels, faces, face search, celebrities, moderation, segments and text.

Offline: it starts the local Rekognition server and a moto server (SNS and SQS) and
points boto3 at them through the standard ``AWS_ENDPOINT_URL_*`` variables, so the
code in the marked regions is exactly the code that runs against AWS.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os

try:
    import pandas  # noqa: F401
    from moto.server import ThreadedMotoServer
except ImportError as missing:  # not installed by the README's command 1
    raise SystemExit(f"jobs.py needs {missing.name}: pip install -e '.[dev]' (README command 2)") from None

from rekotrack import (
    AsyncLabelDetector,
    CelebrityRecognizer,
    CompletionQueue,
    ContentModerator,
    FaceDetector,
    FaceSearcher,
    LabelDetector,
    SegmentDetector,
    TextDetector,
)
from rekotrack.testing import LocalRekognition

ROLE_ARN = "arn:aws:iam::123456789012:role/RekognitionSnsPublish"


def labels(uri: str) -> None:
    # --8<-- [start:labels]
    detector = LabelDetector()
    job = detector.start(uri, min_confidence=70, features=["GENERAL_LABELS"],
                         settings={"GeneralLabels": {"LabelCategoryExclusionFilters": ["Food and Beverage"]}})
    for det in job.labels(sort_by="NAME", timeout=3600):  # LabelDetection, lazily across pages
        if det.label is not None:
            print(det.timestamp, det.label.name, det.label.confidence)
    result = job.collect(aggregate_by="SEGMENTS")  # LabelResult
    for name, intervals in result.timeline().items():  # label -> [Interval(start_ms, end_ms, detections)]
        print(name, [(i.start_ms, i.end_ms) for i in intervals])
    # --8<-- [end:labels]
    result.to_csv(io.StringIO())


def faces(uri: str) -> None:
    # --8<-- [start:faces]
    detector = FaceDetector()
    job = detector.start(uri, face_attributes="ALL")
    for det in job.faces(timeout=3600):  # FaceDetection; GetFaceDetection has no SortBy
        face = det.face
        if face is not None and face.age_range is not None:
            print(det.timestamp, face.confidence, face.age_range.low, face.age_range.high)
    frame = job.collect().to_dataframe()  # FaceResult -> pandas, one row per face
    print(frame[["timestamp_ms", "confidence", "box_left", "box_top"]].head())
    # --8<-- [end:faces]


def face_search(uri: str) -> None:
    # --8<-- [start:face_search]
    searcher = FaceSearcher()
    job = searcher.start(uri, collection_id="staff", face_match_threshold=90)
    for match in job.persons(sort_by="INDEX", timeout=3600):  # PersonMatch
        for face_match in match.face_matches or ():
            if face_match.face is not None:
                print(match.timestamp, match.person.index, face_match.face.external_image_id, face_match.similarity)
    print(job.collect().matches().keys())  # the collection's FaceIds that were seen
    # --8<-- [end:face_search]


def celebrities(uri: str) -> None:
    # --8<-- [start:celebrities]
    recognizer = CelebrityRecognizer()
    job = recognizer.start(uri)
    for det in job.celebrities(sort_by="ID", timeout=3600):  # CelebrityRecognition
        if det.celebrity is not None:
            print(det.timestamp, det.celebrity.id, det.celebrity.name, det.celebrity.confidence)
    print(job.collect().timeline())  # name -> the intervals in which they appear
    # --8<-- [end:celebrities]


def moderation(uri: str) -> None:
    # --8<-- [start:moderation]
    moderator = ContentModerator()
    job = moderator.start(uri, min_confidence=60)
    for det in job.moderation_labels(aggregate_by="SEGMENTS", timeout=3600):  # ContentModerationDetection
        if det.moderation_label is not None:
            print(det.start_timestamp_millis, det.end_timestamp_millis, det.moderation_label.name)
    result = job.collect()  # ModerationResult
    print(result.moderation_model_version, result.timeline())
    # --8<-- [end:moderation]


def segments(uri: str) -> None:
    # --8<-- [start:segments]
    detector = SegmentDetector()
    job = detector.start(uri, segment_types=["SHOT", "TECHNICAL_CUE"],
                         filters={"ShotFilter": {"MinSegmentConfidence": 85}})
    result = job.collect(timeout=3600)  # SegmentResult
    for shot in result.shots():  # the shot list, in time order
        print(shot.index, shot.start_timecode, shot.end_timecode, shot.duration_ms)
    for cue in result.technical_cues():
        print(cue.type, cue.start_ms, cue.end_ms)
    print(result.audio_metadata, result.selected_segment_types)
    # --8<-- [end:segments]


def text(uri: str) -> None:
    # --8<-- [start:text]
    detector = TextDetector()
    job = detector.start(uri, filters={"WordFilter": {"MinConfidence": 90}})
    for det in job.text_detections(timeout=3600):  # TextDetectionResult
        if det.text_detection is not None and det.text_detection.type == "LINE":
            print(det.timestamp, det.text_detection.detected_text)
    job.collect().to_jsonl("text.jsonl")  # one AWS-shaped item per line
    # --8<-- [end:text]
    os.remove("text.jsonl")


def shared_queue(role_arn: str, uri: str) -> None:
    # --8<-- [start:queue]
    with CompletionQueue.create(role_arn) as queue:  # one queue for every kind of job
        job_ids = [
            LabelDetector().start(uri, notification=queue.channel).job_id,
            FaceSearcher().start(uri, collection_id="staff", notification=queue.channel).job_id,
            SegmentDetector().start(uri, segment_types=["SHOT"], notification=queue.channel).job_id,
        ]
        notes = queue.wait_for_all(job_ids, timeout=3600)
        for note in notes.values():
            print(note.api, note.job_id, note.status)  # e.g. StartLabelDetection ... SUCCEEDED
        for video, outcome in FaceSearcher().track_many([uri, uri.replace(".mp4", "-2.mp4")], queue=queue,
                                                        collection_id="staff", max_concurrent=5):
            print(video, outcome)
    # --8<-- [end:queue]


async def labels_async(uri: str) -> None:
    # --8<-- [start:async]
    async with AsyncLabelDetector() as detector:
        job = await detector.start(uri, min_confidence=80)
        async for det in job.labels(sort_by="TIMESTAMP"):  # waits for the job on the first item
            print(det.timestamp, det.label.name if det.label else None)
        result = await job.collect()  # the same compact LabelResult as the synchronous one
        print(len(result), "labels")
    # --8<-- [end:async]


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    try:
        with LocalRekognition(job_seconds=0.3, sns_endpoint_url=moto_url) as server:
            os.environ.update(
                AWS_ENDPOINT_URL_REKOGNITION=server.url,
                AWS_ENDPOINT_URL_SNS=moto_url,
                AWS_ENDPOINT_URL_SQS=moto_url,
                AWS_DEFAULT_REGION="us-east-1",
                AWS_ACCESS_KEY_ID="test",
                AWS_SECRET_ACCESS_KEY="test",
            )
            uri = "s3://my-videos/street.mp4"
            for example in (labels, faces, face_search, celebrities, moderation, segments, text):
                print(f"== {example.__name__}")
                example(uri)
            print("== one queue, every kind")
            shared_queue(ROLE_ARN, uri)
            print("== async")
            asyncio.run(labels_async(uri))
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
