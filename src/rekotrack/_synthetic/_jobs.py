"""Deterministic synthetic results of the seven other Rekognition Video jobs (no server code here).

For a job kind and its Start parameters, :class:`SyntheticJob` gives the exact,
AWS-shaped result of a job: every item of the Get operation's list in each sort
order and aggregation the operation has, the members every page carries
(``VideoMetadata``, ``AudioMetadata`` and ``SelectedSegmentTypes`` for segments,
the model version, ``GetRequestMetadata``) and how the job ends. Everything is
seeded from the video, through the same :class:`~rekotrack.testing.SyntheticScene`
person tracking uses for it (``SyntheticScene.for_uri`` unless a scene is given),
so every job on one video sees the same world: the same people walk through it,
their faces are what FaceDetection finds, FaceSearch matches and
CelebrityRecognition recognises, and ``Person`` is a label with their boxes.

Interface for a server (the local one answers Get requests from it)::

    job = SyntheticJob("LabelDetection", start_params)          # start_params: the Start request dict
    job = SyntheticJob("FaceDetection", start_params, scene=scene)  # or on a scene added for the video
    job.final_status, job.status_message, job.notification_status   # from the scene
    job.count(aggregate_by)                 # how many items a SUCCEEDED job returns
    job.page(sort_by, start, count, aggregate_by)   # items [start, start + count) in that order
    job.page_fields(sort_by, aggregate_by)  # the other members of every SUCCEEDED page
    job.video_metadata()                    # the VideoMetadata element (the scene's)

``sort_by`` / ``aggregate_by`` are the Get request's ``SortBy`` / ``AggregateBy``
(None: the service's default, ``TIMESTAMP`` / ``TIMESTAMPS``); they are ignored by
the kinds without them (faces, segments, text). The server validates them (and the
Start parameters) with :func:`rekotrack._constraints.check_request` first.
:func:`ground_truth` is the full list for tests. Every item validates against the
generated models (``rekotrack._generated.models.ITEM_MODELS``) with no unknown field.

What each kind returns, and which Start parameters it honours:

- **LabelDetection**: labels sampled every second (``Person`` with the people's
  boxes as instances whenever someone is in view, scene labels over seeded
  intervals), each with parents, aliases and categories. ``MinConfidence``
  (default 50), the four ``Settings.GeneralLabels`` filters. ``SortBy`` NAME or
  TIMESTAMP; ``AggregateBy=SEGMENTS`` merges each label's consecutive samples into
  one item with start, end and duration (no instances).
- **ContentModeration**: seeded intervals of moderation labels sampled every
  500 ms, each with its top-level parent. ``MinConfidence`` (default 50); sorts and
  aggregation as for labels.
- **FaceDetection**: every face of the scene's people. ``FaceAttributes=ALL`` adds
  age, emotions, gender and the other attributes (DEFAULT: box, confidence,
  landmarks, pose, quality).
- **FaceSearch**: the scene's faces of the people whose face is in the collection
  (which people are depends on ``CollectionId``), with a similarity of at least
  ``FaceMatchThreshold`` (default 80). ``SortBy`` INDEX or TIMESTAMP.
- **CelebrityRecognition**: the faces of the people who are (made-up) celebrities
  (person 0 and about half of the others).
  ``SortBy`` ID or TIMESTAMP.
- **SegmentDetection**: shots that partition the video and technical cues
  (black frames, content, end credits), in the order of ``SegmentTypes``, then by
  time; ``Filters.ShotFilter`` / ``TechnicalCueFilter.MinSegmentConfidence``
  (default 80).
- **TextDetection**: signs in view over seeded intervals, sampled every second, as
  LINE items and their WORD items (``ParentId``). ``Filters.WordFilter`` (confidence
  default 80, minimum box size) and ``Filters.RegionsOfInterest`` (a word is kept
  when its box centre is in a region's box, or in a polygon's bounding box).
"""

from __future__ import annotations

import copy
import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rekotrack._generated.operations import FACADE_KINDS, SERVED
from rekotrack._synthetic._scene import SceneEnding, SyntheticScene, mix

__all__ = ["JOB_KINDS", "GetChoices", "SyntheticJob", "ground_truth", "video_uri"]

Item = dict[str, Any]

JOB_KINDS: tuple[str, ...] = FACADE_KINDS
"""The job kinds this module makes results for (person tracking is :class:`SyntheticScene`)."""


@dataclass(frozen=True)
class GetChoices:
    """The ``SortBy`` and ``AggregateBy`` values a kind's Get has (empty: it has none), first the default."""

    sort_by: tuple[str, ...] = ()
    aggregate_by: tuple[str, ...] = ()


CHOICES: dict[str, GetChoices] = {
    kind: GetChoices(sort_by, aggregate_by) for kind, _, sort_by, aggregate_by in SERVED if kind in JOB_KINDS
}
"""Kind -> its Get choices (generated data: :data:`rekotrack._generated.operations.SERVED`)."""

_M64 = (1 << 64) - 1


@functools.lru_cache(maxsize=4096)
def _text_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _hash(*parts: object) -> int:
    """A stable 64-bit hash of ``parts`` (ints and strings; the same in every process, unlike ``hash``)."""
    h = 0x243F6A8885A308D3
    for part in parts:
        if isinstance(part, int):
            value = part & _M64
        elif isinstance(part, tuple):
            value = _hash(*part)
        else:
            value = _text_hash(str(part))
        h = mix(h ^ value)
    return h


def _unit(*parts: object) -> float:
    """A stable number in [0, 1) from ``parts``."""
    return _hash(*parts) / (_M64 + 1)


def _pct(low: float, high: float, *parts: object) -> float:
    """A stable percentage in [low, high), to three decimals."""
    return round(low + (high - low) * _unit(*parts), 3)


def _uuid(*parts: object) -> str:
    h = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def video_uri(video: Mapping[str, Any]) -> str:
    """``s3://bucket/key`` (``?versionId=`` when set) of a Start request's ``Video``: what seeds the job."""
    obj = video.get("S3Object") or {}
    uri = f"s3://{obj.get('Bucket', '')}/{obj.get('Name', '')}"
    version = obj.get("Version")
    return f"{uri}?versionId={version}" if version else uri


# ---- what the scene shows, by timestamp ------------------------------------------------------------


@dataclass(frozen=True)
class _Sighting:
    """One person detection of the scene."""

    timestamp: int
    index: int
    box: Item | None
    face: Item | None


def _sightings(scene: SyntheticScene) -> Iterator[_Sighting]:
    """The scene's detections in time order, one at a time (a big scene is never held whole)."""
    for d in scene.ground_truth("TIMESTAMP"):
        person = d["Person"]
        yield _Sighting(d["Timestamp"], person["Index"], person.get("BoundingBox"), person.get("Face"))


# ---- label detection -------------------------------------------------------------------------------

# name, parents, aliases, categories, has instances
_LABELS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], bool], ...] = (
    ("Person", (), ("Human",), ("Person Description",), True),
    ("Walking", ("Person",), (), ("Actions",), False),
    ("Pedestrian", ("Person",), (), ("Person Description",), False),
    ("Road", (), (), ("Travel and Transportation",), False),
    ("City", (), ("Town",), ("Buildings and Architecture",), False),
    ("Car", ("Vehicle", "Transportation"), ("Automobile",), ("Vehicles and Automotive",), True),
    ("Vehicle", ("Transportation",), (), ("Vehicles and Automotive",), False),
    ("Transportation", (), (), ("Vehicles and Automotive",), False),
    ("Tree", ("Plant",), (), ("Plants and Flowers",), False),
    ("Plant", (), (), ("Plants and Flowers",), False),
)
_LABEL_STEP_MS = 1000
_LABEL_MODEL_VERSION = "3.0"


def _intervals(duration: int, key: object, *, most: int, shortest: int, longest: int) -> list[tuple[int, int]]:
    """Up to ``most`` seeded, non-overlapping ``[start, end)`` intervals inside ``[0, duration)``."""
    found: list[tuple[int, int]] = []
    for i in range(_hash(key, "n") % (most + 1)):
        length = shortest + int((longest - shortest) * _unit(key, i, "len"))
        start = int(max(0, duration - length) * _unit(key, i, "start"))
        end = min(duration, start + length)
        if end > start and all(end <= s or start >= e for s, e in found):
            found.append((start, end))
    return sorted(found)


def _in(intervals: Iterable[tuple[int, int]], t: int) -> bool:
    return any(s <= t < e for s, e in intervals)


def _label_filters(params: Mapping[str, Any]) -> Callable[[str, tuple[str, ...]], bool]:
    general = ((params.get("Settings") or {}).get("GeneralLabels")) or {}
    include = set(general.get("LabelInclusionFilters") or ())
    exclude = set(general.get("LabelExclusionFilters") or ())
    include_cat = set(general.get("LabelCategoryInclusionFilters") or ())
    exclude_cat = set(general.get("LabelCategoryExclusionFilters") or ())

    def keep(name: str, categories: tuple[str, ...]) -> bool:
        if include and name not in include:
            return False
        if include_cat and not include_cat & set(categories):
            return False
        return name not in exclude and not exclude_cat & set(categories)

    return keep


def _labels(scene: SyntheticScene, params: Mapping[str, Any], seed: int) -> list[Item]:
    min_confidence = float(params.get("MinConfidence", 50))
    keep = _label_filters(params)
    duration = scene.duration_ms
    boxes: dict[int, list[Item]] = {}
    for s in _sightings(scene):
        if s.box is not None and s.timestamp % _LABEL_STEP_MS == 0:
            boxes.setdefault(s.timestamp, []).append(s.box)
    people = {t for t, found in boxes.items() if found}
    spans = {name: _intervals(duration, (seed, name), most=3, shortest=3_000, longest=40_000) for name, *_ in _LABELS}
    items: list[Item] = []
    for t in range(0, duration, _LABEL_STEP_MS):
        for name, parents, aliases, categories, has_instances in _LABELS:
            person_like = name in ("Person", "Walking", "Pedestrian")
            present = t in people if person_like else _in(spans[name], t)
            if not present or not keep(name, categories):
                continue
            confidence = _pct(55, 99.9, seed, name, t)
            if confidence < min_confidence:
                continue
            label: Item = {"Name": name, "Confidence": confidence}
            if has_instances:
                found = boxes.get(t, []) if name == "Person" else [_car_box(seed, t)]
                label["Instances"] = [
                    {"BoundingBox": dict(box), "Confidence": _pct(70, 99.9, seed, name, t, i)}
                    for i, box in enumerate(found)
                ]
            label["Parents"] = [{"Name": p} for p in parents]
            label["Aliases"] = [{"Name": a} for a in aliases]
            label["Categories"] = [{"Name": c} for c in categories]
            items.append({"Timestamp": t, "Label": label})
    return items


def _car_box(seed: int, t: int) -> Item:
    left = 0.05 + 0.6 * ((t / 40_000 + _unit(seed, "car")) % 1.0)
    return {"Width": 0.25, "Height": 0.15, "Left": round(left, 6), "Top": 0.7}


def _segments_of(items: Sequence[Item], member: str, step: int) -> list[Item]:
    """Merge each name's consecutive samples (``step`` apart) into one item with start, end and duration."""
    by_name: dict[str, list[Item]] = {}
    for item in items:
        by_name.setdefault(item[member]["Name"], []).append(item)
    merged: list[Item] = []
    for runs in by_name.values():
        run: list[Item] = []
        pending: list[Item | None] = [*runs, None]
        for sample in pending:
            if run and (sample is None or sample["Timestamp"] - run[-1]["Timestamp"] > step):
                start, end = run[0]["Timestamp"], run[-1]["Timestamp"] + step
                best = max(run, key=lambda i: i[member]["Confidence"])
                detail = {k: copy.deepcopy(v) for k, v in best[member].items() if k != "Instances"}
                merged.append(
                    {
                        "Timestamp": start,
                        member: detail,
                        "StartTimestampMillis": start,
                        "EndTimestampMillis": end,
                        "DurationMillis": end - start,
                    }
                )
                run = []
            if sample is not None:
                run.append(sample)
    return merged


# ---- content moderation ----------------------------------------------------------------------------

# name, parent (top level: ""), taxonomy level
_MODERATION: tuple[tuple[str, str, int], ...] = (
    ("Alcoholic Beverages", "Alcohol", 2),
    ("Smoking", "Drugs & Tobacco", 2),
    ("Weapons", "Violence", 2),
    ("Rude Gestures", "", 1),
)
_MODERATION_STEP_MS = 500
_MODERATION_MODEL_VERSION = "7.0"


def _moderation(scene: SyntheticScene, params: Mapping[str, Any], seed: int) -> list[Item]:
    min_confidence = float(params.get("MinConfidence", 50))
    duration = scene.duration_ms
    items: list[Item] = []
    spans = {
        name: _intervals(duration, (seed, "moderation", name), most=2, shortest=1_000, longest=8_000)
        for name, _, _ in _MODERATION
    }
    for t in range(0, duration, _MODERATION_STEP_MS):
        for name, parent, level in _MODERATION:
            if not _in(spans[name], t):
                continue
            confidence = _pct(50, 99.9, seed, name, t)
            labels = [(name, parent, level, confidence)]
            if parent:
                labels.append((parent, "", 1, confidence))
            for label_name, label_parent, label_level, label_confidence in labels:
                if label_confidence < min_confidence:
                    continue
                items.append(
                    {
                        "Timestamp": t,
                        "ModerationLabel": {
                            "Confidence": label_confidence,
                            "Name": label_name,
                            "ParentName": label_parent,
                            "TaxonomyLevel": label_level,
                        },
                    }
                )
    # One item per name and timestamp (two labels may share a top-level parent).
    unique: dict[tuple[int, str], Item] = {}
    for item in items:
        unique.setdefault((item["Timestamp"], item["ModerationLabel"]["Name"]), item)
    return list(unique.values())


# ---- faces: detection, search, celebrities ------------------------------------------------------------

_EMOTIONS = ("HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED", "SURPRISED", "CALM", "FEAR")


# attribute, share of people who have it (women: beard and mustache 0)
_FLAGS: tuple[tuple[str, float], ...] = (
    ("Smile", 0.4),
    ("Eyeglasses", 0.3),
    ("Sunglasses", 0.1),
    ("Beard", 0.3),
    ("Mustache", 0.2),
    ("EyesOpen", 0.9),
    ("MouthOpen", 0.2),
    ("FaceOccluded", 0.05),
)


@functools.lru_cache(maxsize=1024)
def _traits(seed: int, index: int) -> tuple[int, bool, tuple[bool, ...]]:
    """What stays the same for person ``index`` across the video: age, gender, each flag."""
    female = _hash(seed, index, "gender") % 2 == 0
    flags = tuple(
        _unit(seed, index, name) < (0.0 if female and name in ("Beard", "Mustache") else rate) for name, rate in _FLAGS
    )
    return 18 + _hash(seed, index, "age") % 50, female, flags


def _all_attributes(face: Item, seed: int, index: int, t: int) -> Item:
    """``face`` (the default attributes) with every other FaceDetail attribute, steady per person."""
    low, female, flags = _traits(seed, index)
    h = _hash(seed, index, t)
    draws: list[float] = []
    for _ in range(len(_FLAGS) + 6):  # one uniform number per confidence below
        h = mix(h)
        draws.append((h >> 11) / (1 << 53))

    def pct(low: float, high: float, u: float) -> float:
        return round(low + (high - low) * u, 3)

    main = _EMOTIONS[_hash(seed, index, t // 5000, "emotion") % len(_EMOTIONS)]
    attributes: Item = {
        **face,
        "AgeRange": {"Low": low, "High": low + 8},
        "Gender": {"Value": "Female" if female else "Male", "Confidence": pct(90, 99.9, draws[0])},
        "Emotions": [
            {"Type": main, "Confidence": pct(60, 99.0, draws[1])},
            {"Type": "CALM" if main != "CALM" else "HAPPY", "Confidence": pct(1, 30, draws[2])},
        ],
        "EyeDirection": {
            "Yaw": pct(-30, 30, draws[3]),
            "Pitch": pct(-20, 20, draws[4]),
            "Confidence": pct(80, 99.9, draws[5]),
        },
    }
    for (name, _), value, u in zip(_FLAGS, flags, draws[6:], strict=True):
        attributes[name] = {"Value": value, "Confidence": pct(75, 99.9, u)}
    return attributes


def _faces(scene: SyntheticScene, params: Mapping[str, Any], seed: int) -> list[Item]:
    every = params.get("FaceAttributes") == "ALL"
    return [
        {"Timestamp": s.timestamp, "Face": _all_attributes(s.face, seed, s.index, s.timestamp) if every else s.face}
        for s in _sightings(scene)
        if s.face is not None
    ]


def _collection_face(collection: str, index: int) -> Item | None:
    """The collection's face of person ``index``, or None when the person is not in the collection."""
    if _hash(collection, index, "member") % 3 == 0:
        return None
    return {
        "FaceId": _uuid(collection, index, "face"),
        "BoundingBox": {"Width": 0.4, "Height": 0.5, "Left": 0.3, "Top": 0.2},
        "ImageId": _uuid(collection, index, "image"),
        "ExternalImageId": f"person-{index}",
        "Confidence": 99.99,
        "IndexFacesModelVersion": "7.0",
    }


def _face_search(scene: SyntheticScene, params: Mapping[str, Any], seed: int) -> list[Item]:
    collection = str(params.get("CollectionId", ""))
    threshold = float(params.get("FaceMatchThreshold", 80))
    items: list[Item] = []
    for s in _sightings(scene):
        known = _collection_face(collection, s.index) if s.face is not None else None
        if known is None:
            continue
        similarity = _pct(70, 99.99, seed, collection, s.index, s.timestamp)
        if similarity < threshold:
            continue
        person: Item = {"Index": s.index}
        if s.box is not None:
            person["BoundingBox"] = dict(s.box)
        person["Face"] = s.face
        items.append(
            {"Timestamp": s.timestamp, "Person": person, "FaceMatches": [{"Similarity": similarity, "Face": known}]}
        )
    return items


_CELEBRITIES: tuple[tuple[str, str], ...] = (
    ("Ada Example", "Female"),
    ("Brook Sample", "Nonbinary"),
    ("Cal Placeholder", "Male"),
    ("Dee Synthetic", "Female"),
)


def _celebrity_of(seed: int, index: int) -> tuple[str, str, str] | None:
    """``(id, name, known gender)`` of person ``index`` when the person is a (made-up) celebrity."""
    if index != 0 and _hash(seed, index, "celebrity") % 2:  # person 0 always is one
        return None
    name, gender = _CELEBRITIES[_hash(seed, index, "who") % len(_CELEBRITIES)]
    return f"{_hash(name) % 10**8:08d}{index}", name, gender


def _celebrities(scene: SyntheticScene, params: Mapping[str, Any], seed: int) -> list[Item]:
    items: list[Item] = []
    for s in _sightings(scene):
        who = _celebrity_of(seed, s.index) if s.face is not None else None
        if who is None:
            continue
        celebrity_id, name, gender = who
        detail: Item = {
            "Urls": [f"www.example.com/celebrity/{celebrity_id}"],
            "Name": name,
            "Id": celebrity_id,
            "Confidence": _pct(90, 100, seed, s.index, s.timestamp, "celeb"),
        }
        if s.box is not None:
            detail["BoundingBox"] = dict(s.box)
        detail["Face"] = s.face
        detail["KnownGender"] = {"Type": gender}
        items.append({"Timestamp": s.timestamp, "Celebrity": detail})
    return items


# ---- segments ------------------------------------------------------------------------------------------

_SEGMENT_MODEL_VERSIONS = {"SHOT": "1.0", "TECHNICAL_CUE": "2.0"}


def _timecode(ms: int, frame_rate: float) -> str:
    fps = max(1, round(frame_rate))
    frames = ms * fps // 1000
    seconds, frame = divmod(frames, fps)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours:02d}:{minute:02d}:{second:02d}:{frame:02d}"


def _segment(kind: str, start: int, end: int, frame_rate: float) -> Item:
    start_frame = int(start * frame_rate / 1000)
    end_frame = max(start_frame, int(end * frame_rate / 1000) - 1)
    return {
        "Type": kind,
        "StartTimestampMillis": start,
        "EndTimestampMillis": end,
        "DurationMillis": end - start,
        "StartTimecodeSMPTE": _timecode(start, frame_rate),
        "EndTimecodeSMPTE": _timecode(end, frame_rate),
        "DurationSMPTE": _timecode(end - start, frame_rate),
        "StartFrameNumber": start_frame,
        "EndFrameNumber": end_frame,
        "DurationFrames": end_frame - start_frame + 1,
    }


def _min_segment_confidence(params: Mapping[str, Any], which: str) -> float:
    found = ((params.get("Filters") or {}).get(which) or {}).get("MinSegmentConfidence")
    return 80.0 if found is None else float(found)


def _segments(scene: SyntheticScene, params: Mapping[str, Any], seed: int) -> list[Item]:
    duration, fps = scene.duration_ms, scene.frame_rate
    types = [t for t in params.get("SegmentTypes") or () if t in _SEGMENT_MODEL_VERSIONS]
    items: list[Item] = []
    for kind in dict.fromkeys(types):
        if kind == "SHOT":
            cut = _min_segment_confidence(params, "ShotFilter")
            start, index = 0, 0
            while start < duration:
                end = min(duration, start + 2_000 + int(6_000 * _unit(seed, "shot", index)))
                confidence = _pct(75, 100, seed, "shot-confidence", index)
                if confidence >= cut:
                    shot = _segment("SHOT", start, end, fps)
                    shot["ShotSegment"] = {"Index": index, "Confidence": confidence}
                    items.append(shot)
                start, index = end, index + 1
        else:
            cut = _min_segment_confidence(params, "TechnicalCueFilter")
            black = min(duration, 500)
            credits = max(black, duration - min(5_000, duration // 6))
            cues = [("BlackFrames", 0, black), ("Content", black, credits), ("EndCredits", credits, duration)]
            for name, start, end in cues:
                confidence = _pct(78, 100, seed, "cue", name)
                if end > start and confidence >= cut:
                    cue = _segment("TECHNICAL_CUE", start, end, fps)
                    cue["TechnicalCueSegment"] = {"Type": name, "Confidence": confidence}
                    items.append(cue)
    return items


# ---- text ------------------------------------------------------------------------------------------------

_SIGNS: tuple[str, ...] = ("MAIN STREET", "CAFE OPEN", "EXIT 12", "NO PARKING", "BUS STOP")
_TEXT_STEP_MS = 1000
_TEXT_MODEL_VERSION = "3.0"


def _geometry(left: float, top: float, width: float, height: float) -> Item:
    left, top, width, height = (round(v, 6) for v in (left, top, width, height))
    corners = [(left, top), (left + width, top), (left + width, top + height), (left, top + height)]
    return {
        "BoundingBox": {"Width": width, "Height": height, "Left": left, "Top": top},
        "Polygon": [{"X": round(x, 6), "Y": round(y, 6)} for x, y in corners],
    }


def _regions(params: Mapping[str, Any]) -> list[tuple[float, float, float, float]]:
    """``(left, top, right, bottom)`` of each region of interest (a polygon by its bounding box)."""
    found: list[tuple[float, float, float, float]] = []
    for region in (params.get("Filters") or {}).get("RegionsOfInterest") or ():
        box = region.get("BoundingBox")
        if box:
            left, top = box.get("Left", 0.0), box.get("Top", 0.0)
            found.append((left, top, left + box.get("Width", 1.0), top + box.get("Height", 1.0)))
        elif region.get("Polygon"):
            xs = [p.get("X", 0.0) for p in region["Polygon"]]
            ys = [p.get("Y", 0.0) for p in region["Polygon"]]
            found.append((min(xs), min(ys), max(xs), max(ys)))
    return found


def _text(scene: SyntheticScene, params: Mapping[str, Any], seed: int) -> list[Item]:
    word_filter = (params.get("Filters") or {}).get("WordFilter") or {}
    min_confidence = float(word_filter.get("MinConfidence", 80))
    min_height = float(word_filter.get("MinBoundingBoxHeight", 0))
    min_width = float(word_filter.get("MinBoundingBoxWidth", 0))
    regions = _regions(params)
    duration = scene.duration_ms
    spans = {s: _intervals(duration, (seed, "sign", s), most=2, shortest=3_000, longest=20_000) for s in _SIGNS}
    items: list[Item] = []
    for t in range(0, duration, _TEXT_STEP_MS):
        next_id = 0
        for n, sign in enumerate(_SIGNS):
            if not _in(spans[sign], t):
                continue
            words = sign.split()
            left0 = 0.05 + 0.5 * _unit(seed, sign, "left")
            top = round(0.05 + 0.15 * n, 6)
            height = 0.04 + 0.03 * _unit(seed, sign, "height")
            kept: list[Item] = []
            x = left0
            line_id = next_id
            for w, word in enumerate(words):
                width = 0.018 * len(word)
                confidence = _pct(70, 99.9, seed, sign, w, t)
                centre_x, centre_y = x + width / 2, top + height / 2
                inside = not regions or any(
                    r[0] <= centre_x <= r[2] and r[1] <= centre_y <= r[3] for r in regions
                )
                if confidence >= min_confidence and height >= min_height and width >= min_width and inside:
                    kept.append(
                        {
                            "DetectedText": word,
                            "Type": "WORD",
                            "Id": line_id + 1 + len(kept),
                            "ParentId": line_id,
                            "Confidence": confidence,
                            "Geometry": _geometry(x, top, width, height),
                        }
                    )
                x += width + 0.01
            if not kept:
                continue
            line_width = x - 0.01 - left0
            line = {
                "DetectedText": sign,
                "Type": "LINE",
                "Id": line_id,
                "Confidence": round(min(w["Confidence"] for w in kept), 3),
                "Geometry": _geometry(left0, top, line_width, height),
            }
            items.append({"Timestamp": t, "TextDetection": line})
            items.extend({"Timestamp": t, "TextDetection": word} for word in kept)
            next_id = line_id + 1 + len(kept)
    return items


# ---- the job ---------------------------------------------------------------------------------------------

_MAKERS: dict[str, Callable[[SyntheticScene, Mapping[str, Any], int], list[Item]]] = {
    "LabelDetection": _labels,
    "FaceDetection": _faces,
    "FaceSearch": _face_search,
    "CelebrityRecognition": _celebrities,
    "ContentModeration": _moderation,
    "SegmentDetection": _segments,
    "TextDetection": _text,
}

_SORT_KEYS: dict[str, dict[str, Callable[[Item], Any]]] = {
    "LabelDetection": {
        "TIMESTAMP": lambda i: (i["Timestamp"], i["Label"]["Name"]),
        "NAME": lambda i: (i["Label"]["Name"], i["Timestamp"]),
    },
    "ContentModeration": {
        "TIMESTAMP": lambda i: (i["Timestamp"], i["ModerationLabel"]["Name"]),
        "NAME": lambda i: (i["ModerationLabel"]["Name"], i["Timestamp"]),
    },
    "FaceSearch": {
        "TIMESTAMP": lambda i: (i["Timestamp"], i["Person"]["Index"]),
        "INDEX": lambda i: (i["Person"]["Index"], i["Timestamp"]),
    },
    "CelebrityRecognition": {
        "TIMESTAMP": lambda i: (i["Timestamp"], i["Celebrity"]["Id"]),
        "ID": lambda i: (i["Celebrity"]["Id"], i["Timestamp"]),
    },
}


class SyntheticJob(SceneEnding):
    """The exact result of one synthetic job: its items in every order, its page members, how it ends.

    ``kind`` is the analysis (``LabelDetection``...; see :data:`JOB_KINDS`),
    ``start_params`` the Start request as sent (AWS-shaped; its ``Video`` seeds the
    result), ``scene`` the video's people (default ``SyntheticScene.for_uri`` of
    the video). The same arguments give the same result in every process. Lists
    are computed on first use and kept; items returned by :meth:`page` are shared,
    do not change them (:meth:`items` returns copies).
    """

    def __init__(self, kind: str, start_params: Mapping[str, Any], *, scene: SyntheticScene | None = None) -> None:
        if kind not in _MAKERS:
            raise ValueError(f"unknown job kind {kind!r}; expected one of {', '.join(JOB_KINDS)}")
        self.kind = kind
        self.start_params: Mapping[str, Any] = copy.deepcopy(dict(start_params))
        self.uri = video_uri(self.start_params.get("Video") or {})
        self.scene = scene if scene is not None else SyntheticScene.for_uri(self.uri)
        self.seed = _hash(self.uri, self.scene.seed)
        self.choices = CHOICES[kind]
        self._base: list[Item] | None = None
        self._lists: dict[tuple[str | None, str | None], list[Item]] = {}

    def __repr__(self) -> str:
        return f"SyntheticJob({self.kind!r}, uri={self.uri!r}, items={self.count()})"

    # -- how the job ends: the scene decides, as for person tracking (SceneEnding)

    @property
    def detection_count(self) -> int:
        """How many items a SUCCEEDED job returns with the default Get parameters."""
        return self.count()

    # -- the items
    def _order(self, sort_by: str | None, aggregate_by: str | None) -> tuple[str | None, str | None]:
        sorts, aggregations = self.choices.sort_by, self.choices.aggregate_by
        sort = (sort_by or sorts[0]) if sorts else None
        aggregation = (aggregate_by or aggregations[0]) if aggregations else None
        if sort is not None and sort not in sorts:
            raise ValueError(f"Get{self.kind} has no SortBy {sort_by!r}; expected one of {', '.join(sorts)}")
        if aggregation is not None and aggregation not in aggregations:
            raise ValueError(f"Get{self.kind} has no AggregateBy {aggregate_by!r}")
        return sort, aggregation

    def _list(self, sort_by: str | None, aggregate_by: str | None) -> list[Item]:
        key = self._order(sort_by, aggregate_by)
        found = self._lists.get(key)
        if found is None:
            if self._base is None:
                self._base = _MAKERS[self.kind](self.scene, self.start_params, self.seed)
            sort, aggregation = key
            items = self._base
            if aggregation == "SEGMENTS":
                member = "Label" if self.kind == "LabelDetection" else "ModerationLabel"
                step = _LABEL_STEP_MS if self.kind == "LabelDetection" else _MODERATION_STEP_MS
                items = _segments_of(sorted(items, key=lambda i: i["Timestamp"]), member, step)
            if sort is not None:
                items = sorted(items, key=_SORT_KEYS[self.kind][sort])
            found = self._lists[key] = list(items)
        return found

    def count(self, aggregate_by: str | None = None) -> int:
        """How many items a SUCCEEDED job returns (per aggregation; the sort order does not change it)."""
        if self.final_status != "SUCCEEDED":
            return 0
        return len(self._list(None, aggregate_by))

    def page(self, sort_by: str | None, start: int, count: int, aggregate_by: str | None = None) -> list[Item]:
        """Items ``[start, start + count)`` in that order (shared dicts: do not change them)."""
        if start < 0 or count < 0:
            raise ValueError("start and count must be >= 0")
        if self.final_status != "SUCCEEDED":
            return []
        return self._list(sort_by, aggregate_by)[start : start + count]

    def items(self, sort_by: str | None = None, aggregate_by: str | None = None) -> list[Item]:
        """Every item a SUCCEEDED job returns, in that order (copies)."""
        if self.final_status != "SUCCEEDED":
            return []
        return copy.deepcopy(self._list(sort_by, aggregate_by))

    # -- the other members of a page
    def video_metadata(self) -> Item:
        """The ``VideoMetadata`` of the video (GetSegmentDetection returns it in a list: :meth:`page_fields`)."""
        return self.scene.video_metadata()

    def page_fields(self, sort_by: str | None = None, aggregate_by: str | None = None) -> Item:
        """The members every SUCCEEDED page carries besides JobStatus, NextToken and the items.

        ``VideoMetadata`` (a one-element list for segments, with ``AudioMetadata``
        and ``SelectedSegmentTypes``), the model version of labels, moderation and
        text, and ``GetRequestMetadata`` (the SortBy and AggregateBy applied) of
        labels and moderation.
        """
        sort, aggregation = self._order(sort_by, aggregate_by)
        metadata = self.video_metadata()
        if self.kind == "SegmentDetection":
            asked = self.start_params.get("SegmentTypes") or ()
            types = dict.fromkeys(t for t in asked if t in _SEGMENT_MODEL_VERSIONS)
            return {
                "VideoMetadata": [metadata],
                "AudioMetadata": [
                    {"Codec": "aac", "DurationMillis": metadata["DurationMillis"], "SampleRate": 48000,
                     "NumberOfChannels": 2}
                ],
                "SelectedSegmentTypes": [{"Type": t, "ModelVersion": _SEGMENT_MODEL_VERSIONS[t]} for t in types],
            }  # fmt: skip
        fields: Item = {"VideoMetadata": metadata}
        if self.kind == "LabelDetection":
            fields["LabelModelVersion"] = _LABEL_MODEL_VERSION
        elif self.kind == "ContentModeration":
            fields["ModerationModelVersion"] = _MODERATION_MODEL_VERSION
        elif self.kind == "TextDetection":
            fields["TextModelVersion"] = _TEXT_MODEL_VERSION
        if aggregation is not None:
            fields["GetRequestMetadata"] = {"SortBy": sort, "AggregateBy": aggregation}
        return fields


def ground_truth(
    kind: str,
    start_params: Mapping[str, Any],
    *,
    sort_by: str | None = None,
    aggregate_by: str | None = None,
    scene: SyntheticScene | None = None,
) -> list[Item]:
    """The exact items a SUCCEEDED synthetic job of ``kind`` returns, in that order (see :class:`SyntheticJob`)."""
    return SyntheticJob(kind, start_params, scene=scene).items(sort_by, aggregate_by)
