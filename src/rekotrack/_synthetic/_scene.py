"""Deterministic synthetic People Pathing scenes, generated on demand.

A scene is a few compact arrays: for every person, the intervals of sample
steps during which the person is tracked (visits split by short occlusion
gaps, visits separated by long absences) and the parameters of a smooth path
per visit. Detections are computed from those arrays when asked for, so a
scene of millions of detections costs a few hundred kilobytes, and jumping to
position N in either sort order is a binary search.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate, islice
from typing import Any, Literal

SortBy = Literal["TIMESTAMP", "INDEX"]
"""The two values of GetPersonTracking's ``SortBy``."""

FinalStatus = Literal["SUCCEEDED", "FAILED"]
NotificationStatus = Literal["SUCCEEDED", "FAILED", "ERROR"]

Detection = dict[str, Any]
"""One element of ``Persons``, exactly as GetPersonTracking returns it."""

MAX_DURATION_MS = 6 * 3600 * 1000
"""Rekognition Video refuses longer videos (VideoTooLargeException)."""

_M64 = (1 << 64) - 1
_TWO_PI = 2.0 * math.pi
_DEFAULT_FAILURE = "Synthetic failure: the video could not be processed."


def mix(x: int) -> int:
    """splitmix64 finaliser: a fast, well-spread 64-bit hash."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


@dataclass(frozen=True, slots=True)
class _Visit:
    """One stay of a person in the frame: a straight walk with a sway."""

    start: int
    end: int
    x0: float
    y0: float
    x1: float
    y1: float
    height: float
    width: float
    amp: float
    freq: float
    phase: float


@dataclass(frozen=True, slots=True)
class _Track:
    """The tracked intervals of one person: ``[starts[j], ends[j])`` in sample steps."""

    starts: array[int]
    ends: array[int]
    visits: tuple[_Visit, ...]
    visit_of: array[int]
    cum: array[int]  # detections before segment j; len(segments) + 1 entries


class SyntheticScene:
    """A deterministic synthetic video and the exact People Pathing result for it.

    ``people`` persons enter the frame, walk smooth paths (coordinates are ratios
    of the frame, boxes always inside it), are occluded for short gaps, leave and
    come back later with the same ``Index``. Detections are sampled every
    ``sample_interval_ms`` (snapped to frame times of ``frame_rate``). A fraction
    ``face_rate`` of detections carry a ``Face`` with the default attributes only
    (BoundingBox, Landmarks, Pose, Quality, Confidence); ``face_only_rate`` of
    those have no person ``BoundingBox``.

    The same arguments always give the same detections. Nothing is held per
    detection: :meth:`detections` computes them on demand from any position.

    ``final_status`` is how a job on this video ends (``FAILED`` with
    ``status_message``); ``notification_status`` overrides the ``Status`` of the
    SNS completion message (e.g. ``"ERROR"``, which GetPersonTracking reports as
    ``FAILED``).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        people: int = 5,
        duration_ms: int = 60_000,
        frame_rate: float = 30.0,
        sample_interval_ms: int = 200,
        face_rate: float = 0.15,
        face_only_rate: float = 0.05,
        width: int = 1920,
        height: int = 1080,
        final_status: FinalStatus = "SUCCEEDED",
        status_message: str | None = None,
        notification_status: NotificationStatus | None = None,
    ) -> None:
        if people < 0:
            raise ValueError("people must be >= 0")
        if duration_ms < 1:
            raise ValueError("duration_ms must be >= 1")
        if not 0 < frame_rate <= 1000:
            raise ValueError("frame_rate must be in (0, 1000]")
        if sample_interval_ms * frame_rate < 1000 - 1e-9:
            raise ValueError("sample_interval_ms must be at least one frame long")
        if not 0.0 <= face_rate <= 1.0 or not 0.0 <= face_only_rate <= 1.0:
            raise ValueError("face_rate and face_only_rate must be in [0, 1]")
        if width < 1 or height < 1:
            raise ValueError("width and height must be >= 1")
        if final_status not in ("SUCCEEDED", "FAILED"):
            raise ValueError("final_status must be SUCCEEDED or FAILED")
        if notification_status not in (None, "SUCCEEDED", "FAILED", "ERROR"):
            raise ValueError("notification_status must be SUCCEEDED, FAILED or ERROR")
        self._seed = seed
        self._people = people
        self._duration_ms = int(duration_ms)
        self._frame_rate = float(frame_rate)
        self._interval = int(sample_interval_ms)
        self._face_rate = float(face_rate)
        self._face_only_rate = float(face_only_rate)
        self._width = int(width)
        self._height = int(height)
        self._final_status: FinalStatus = final_status
        self._notification_status: NotificationStatus = notification_status or final_status
        if status_message is None and (final_status == "FAILED" or self._notification_status != "SUCCEEDED"):
            status_message = _DEFAULT_FAILURE
        self._status_message = status_message
        self._key = mix(seed & _M64)
        self._face_cut = int(face_rate * 65536)
        self._face_only_cut = int(face_only_rate * 65536)

        self._timestamps = self._sample_times()
        steps = len(self._timestamps)
        self._tracks = tuple(self._make_track(p, steps) for p in range(people))

        # Detections before each person (INDEX order) and before each step (TIMESTAMP order).
        self._person_prefix = array("q", accumulate((t.cum[-1] for t in self._tracks), initial=0))
        diff = [0] * (steps + 1)
        events: list[tuple[int, int, int]] = []
        for p, track in enumerate(self._tracks):
            for j, (s, e) in enumerate(zip(track.starts, track.ends, strict=True)):
                diff[s] += 1
                diff[e] -= 1
                events.append((s, p, j))
        events.sort()
        self._step_prefix = array("q", accumulate(accumulate(diff[:steps]), initial=0))
        self._ev_step = array("q", (e[0] for e in events))
        self._ev_person = array("q", (e[1] for e in events))
        self._ev_seg = array("q", (e[2] for e in events))

    # ----------------------------------------------------------------- constructors
    @classmethod
    def with_detections(
        cls,
        n: int,
        *,
        seed: int = 0,
        people: int | None = None,
        sample_interval_ms: int = 200,
        **kwargs: Any,
    ) -> SyntheticScene:
        """A scene sized to ``n`` detections, give or take half the number of people.

        ``people`` defaults to one person per ~10,000 detections (at most 5 below
        50,000 detections); the duration is fitted. Few people and many
        detections make a long video: past 6 hours the server answers
        VideoTooLargeException, so pass more ``people`` for huge scenes.
        """
        if n < 1:
            raise ValueError("n must be >= 1")
        if people is None:  # ~10,000 detections a person; a few people even for small scenes
            people = round(n / 10_000) if n >= 50_000 else max(1, min(5, n // 100))
        # Who is tracked when does not depend on the duration (a longer scene only
        # adds later detections), so: grow a scene until it holds n detections,
        # then cut it at the sample step whose running count is closest to n.
        duration = max(1_000, int(n / people / 0.35 * sample_interval_ms))
        for _ in range(30):
            scene = cls(seed=seed, people=people, duration_ms=duration, sample_interval_ms=sample_interval_ms, **kwargs)
            count = len(scene)
            if count >= n:
                break
            duration = int(duration * max(1.25, 1.1 * n / count if count else 2.0))
        prefix = scene._step_prefix
        k = bisect.bisect_left(prefix, n)
        if k > 1 and n - prefix[k - 1] < prefix[k] - n:
            k -= 1
        if k < len(scene._timestamps):
            scene = cls(
                seed=seed,
                people=people,
                duration_ms=max(1, scene._timestamps[k]),
                sample_interval_ms=sample_interval_ms,
                **kwargs,
            )
        return scene

    @classmethod
    def for_uri(cls, uri: str) -> SyntheticScene:
        """The default scene the server uses for a video nobody added: seeded from ``uri``."""
        seed = int.from_bytes(hashlib.sha256(uri.encode()).digest()[:8], "big")
        return cls(seed=seed, people=3 + seed % 6, duration_ms=60_000 + (seed >> 8) % 4 * 30_000)

    # ----------------------------------------------------------------- properties
    @property
    def seed(self) -> int:
        return self._seed

    @property
    def people(self) -> int:
        return self._people

    @property
    def duration_ms(self) -> int:
        return self._duration_ms

    @property
    def frame_rate(self) -> float:
        return self._frame_rate

    @property
    def sample_interval_ms(self) -> int:
        return self._interval

    @property
    def face_rate(self) -> float:
        return self._face_rate

    @property
    def width(self) -> int:
        return self._width

    @property
    def height(self) -> int:
        return self._height

    @property
    def final_status(self) -> FinalStatus:
        return self._final_status

    @property
    def status_message(self) -> str | None:
        """The ``StatusMessage`` of a FAILED job (``None`` when the scene succeeds)."""
        return self._status_message

    @property
    def notification_status(self) -> NotificationStatus:
        """The ``Status`` of the SNS completion message."""
        return self._notification_status

    @property
    def detection_count(self) -> int:
        """How many detections a SUCCEEDED job on this scene returns."""
        return self._person_prefix[-1]

    def __len__(self) -> int:
        return self.detection_count

    def __repr__(self) -> str:
        return (
            f"SyntheticScene(seed={self._seed}, people={self._people}, duration_ms={self._duration_ms}, "
            f"detections={self.detection_count})"
        )

    def video_metadata(self) -> dict[str, Any]:
        """The ``VideoMetadata`` of every SUCCEEDED page."""
        return {
            "Codec": "h264",
            "DurationMillis": self._duration_ms,
            "Format": "mp4",
            "FrameRate": self._frame_rate,
            "FrameHeight": self._height,
            "FrameWidth": self._width,
            "ColorRange": "FULL",
        }

    def person_detection_counts(self) -> dict[int, int]:
        """Detections per person ``Index`` (persons never tracked are left out)."""
        pp = self._person_prefix
        return {p: pp[p + 1] - pp[p] for p in range(self._people) if pp[p + 1] > pp[p]}

    # ----------------------------------------------------------------- detections
    def ground_truth(self, sort_by: SortBy = "TIMESTAMP") -> Iterator[Detection]:
        """Every detection a SUCCEEDED job returns, exactly once, in ``sort_by`` order.

        ``TIMESTAMP``: by timestamp, then person index. ``INDEX``: by person
        index, then timestamp (the service documents confidence order within a
        person; the local server uses time order, which is stable and useful).
        """
        return self.detections(sort_by)

    def detections(self, sort_by: SortBy = "TIMESTAMP", start: int = 0) -> Iterator[Detection]:
        """The detections from position ``start`` on, in ``sort_by`` order (a cheap jump)."""
        if start < 0:
            raise ValueError("start must be >= 0")
        if sort_by == "TIMESTAMP":
            return self._iter_timestamp(start)
        if sort_by == "INDEX":
            return self._iter_index(start)
        raise ValueError(f"sort_by must be TIMESTAMP or INDEX, not {sort_by!r}")

    def page(self, sort_by: SortBy, start: int, count: int) -> list[Detection]:
        """At most ``count`` detections from position ``start`` in ``sort_by`` order."""
        return list(islice(self.detections(sort_by, start), count))

    # ----------------------------------------------------------------- internals
    def _sample_times(self) -> array[int]:
        frames_per_sample = self._interval * self._frame_rate / 1000.0
        ms_per_frame = 1000.0 / self._frame_rate
        out = array("q")
        k = 0
        while True:
            frame = math.floor(k * frames_per_sample + 0.5)
            ts = math.floor(frame * ms_per_frame + 0.5)
            if ts >= self._duration_ms:
                return out
            out.append(ts)
            k += 1

    def _make_track(self, person: int, steps: int) -> _Track:
        rng = random.Random(mix(self._key ^ mix(person + 1)))
        per_second = 1000.0 / self._interval
        aspect = 0.42 * self._height / self._width

        def n_steps(seconds: float) -> int:
            return max(1, int(seconds * per_second))

        starts, ends, visit_of = array("q"), array("q"), array("q")
        visits: list[_Visit] = []
        # First entry within two minutes, whatever the duration: the tracks of a
        # longer scene extend those of a shorter one with the same seed.
        k = 0 if rng.random() < 0.3 else int(rng.random() * 120.0 * per_second)
        while k < steps:
            vend = min(steps, k + n_steps(rng.uniform(15.0, 180.0)))
            height = rng.uniform(0.2, 0.55)
            visits.append(
                _Visit(
                    start=k,
                    end=vend,
                    x0=rng.uniform(0.05, 0.95),
                    y0=rng.uniform(0.35, 0.7),
                    x1=rng.uniform(0.05, 0.95),
                    y1=rng.uniform(0.35, 0.7),
                    height=height,
                    width=min(0.9, height * aspect),
                    amp=rng.uniform(0.002, 0.012),
                    freq=rng.uniform(0.05, 0.3),
                    phase=rng.uniform(0.0, _TWO_PI),
                )
            )
            s = k
            while s < vend:  # tracked runs split by short occlusions
                e = min(vend, s + n_steps(rng.uniform(2.0, 25.0)))
                starts.append(s)
                ends.append(e)
                visit_of.append(len(visits) - 1)
                s = e + n_steps(rng.uniform(0.2, 1.5))
            k = vend + n_steps(rng.uniform(20.0, 400.0))  # leaves, comes back later
        cum = array("q", accumulate((e - s for s, e in zip(starts, ends, strict=True)), initial=0))
        return _Track(starts, ends, tuple(visits), visit_of, cum)

    def _iter_index(self, pos: int) -> Iterator[Detection]:
        prefix = self._person_prefix
        if pos >= prefix[-1]:
            return
        p = bisect.bisect_right(prefix, pos) - 1
        off = pos - prefix[p]
        while p < self._people:
            track = self._tracks[p]
            if track.cum[-1] > off:
                j = bisect.bisect_right(track.cum, off) - 1
                first = track.starts[j] + off - track.cum[j]
                for jj in range(j, len(track.starts)):
                    visit = track.visits[track.visit_of[jj]]
                    for k in range(first if jj == j else track.starts[jj], track.ends[jj]):
                        yield self._detection(p, k, visit)
            p += 1
            off = 0

    def _iter_timestamp(self, pos: int) -> Iterator[Detection]:
        prefix = self._step_prefix
        if pos >= prefix[-1]:
            return
        steps = len(self._timestamps)
        k = bisect.bisect_right(prefix, pos) - 1
        rank = pos - prefix[k]
        active: dict[int, int] = {}  # person -> segment index
        for p, track in enumerate(self._tracks):
            j = bisect.bisect_right(track.starts, k) - 1
            if j >= 0 and k < track.ends[j]:
                active[p] = j
        ev_step, ev_person, ev_seg = self._ev_step, self._ev_person, self._ev_seg
        e = bisect.bisect_right(ev_step, k)
        n_events = len(ev_step)
        tracks = self._tracks
        while True:
            order = sorted(active)
            for p in order[rank:] if rank else order:
                track = tracks[p]
                yield self._detection(p, k, track.visits[track.visit_of[active[p]]])
            rank = 0
            k += 1
            if k >= steps:
                return
            for p in order:
                if tracks[p].ends[active[p]] <= k:
                    del active[p]
            if not active:
                if e >= n_events:
                    return
                k = ev_step[e]
            while e < n_events and ev_step[e] == k:
                active[ev_person[e]] = ev_seg[e]
                e += 1

    def _detection(self, p: int, k: int, v: _Visit) -> Detection:
        # Hot path (a million calls per full read of a big scene): integers in
        # micro-units, no round(), no helper calls. Every float is n / 1e6 for an
        # integer n, so it prints as (and parses back from) at most 6 decimals.
        ts = self._timestamps[k]
        x = (self._key + p * 0x9E3779B97F4A7C15 + k * 0xC2B2AE3D27D4EB4F + 0x9E3779B97F4A7C15) & _M64
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
        h = x ^ (x >> 31)
        u = (k - v.start) / max(1, v.end - 1 - v.start)
        sway = math.sin(_TWO_PI * v.freq * ts / 1000.0 + v.phase)
        bh_u = int(v.height * (990_000 + 20_000 * (h & 0xFFFF) / 65536.0) + 0.5)
        bw_u = min(1_000_000, int(v.width * (980_000 + 40_000 * ((h >> 16) & 0xFFFF) / 65536.0) + 0.5))
        cx_u = (v.x0 + (v.x1 - v.x0) * u + v.amp * sway) * 1e6
        cy_u = (v.y0 + (v.y1 - v.y0) * u + 0.3 * v.amp * sway * sway) * 1e6
        left_u = int(cx_u - bw_u / 2 + 0.5)
        left_u = 0 if left_u < 0 else min(left_u, 1_000_000 - bw_u)
        top_u = int(cy_u - bh_u / 2 + 0.5)
        top_u = 0 if top_u < 0 else min(top_u, 1_000_000 - bh_u)
        box = {"Width": bw_u / 1e6, "Height": bh_u / 1e6, "Left": left_u / 1e6, "Top": top_u / 1e6}
        if ((h >> 32) & 0xFFFF) < self._face_cut:
            face = _face(h, bw_u, bh_u, left_u, top_u)
            if ((h >> 48) & 0xFFFF) < self._face_only_cut:
                return {"Timestamp": ts, "Person": {"Index": p, "Face": face}}
            return {"Timestamp": ts, "Person": {"Index": p, "BoundingBox": box, "Face": face}}
        return {"Timestamp": ts, "Person": {"Index": p, "BoundingBox": box}}


def _face(h: int, bw_u: int, bh_u: int, left_u: int, top_u: int) -> dict[str, Any]:
    """The default face attributes of a detection, in the person box's head area."""
    h2 = mix(h)
    h3 = mix(h2)
    yaw_u = -60_000_000 + (120_000_000 * (h2 & 0xFFFF) >> 16)
    fw = bw_u // 2
    fh = bh_u * 13 // 100
    fl = left_u + (bw_u - fw) // 2 + fw * yaw_u // 600_000_000
    fl = 0 if fl < 0 else min(fl, 1_000_000 - fw)
    ft = min(top_u + bh_u // 100, 1_000_000 - fh)
    shift = yaw_u // 400  # micro-units of a face width
    ex, ey, my = fw * (300_000 + shift) // 1_000_000, fh * 4 // 10, fh * 8 // 10
    return {
        "BoundingBox": {"Width": fw / 1e6, "Height": fh / 1e6, "Left": fl / 1e6, "Top": ft / 1e6},
        "Landmarks": [
            {"Type": "eyeLeft", "X": (fl + ex) / 1e6, "Y": (ft + ey) / 1e6},
            {"Type": "eyeRight", "X": (fl + ex + fw * 4 // 10) / 1e6, "Y": (ft + ey) / 1e6},
            {"Type": "nose", "X": (fl + fw * (500_000 + 2 * shift) // 1_000_000) / 1e6, "Y": (ft + fh * 6 // 10) / 1e6},
            {"Type": "mouthLeft", "X": (fl + ex + fw // 20) / 1e6, "Y": (ft + my) / 1e6},
            {"Type": "mouthRight", "X": (fl + ex + fw * 7 // 20) / 1e6, "Y": (ft + my) / 1e6},
        ],
        "Pose": {
            "Roll": (-20_000_000 + (40_000_000 * ((h2 >> 16) & 0xFFFF) >> 16)) / 1e6,
            "Yaw": yaw_u / 1e6,
            "Pitch": (-30_000_000 + (60_000_000 * ((h2 >> 32) & 0xFFFF) >> 16)) / 1e6,
        },
        "Quality": {
            "Brightness": (30_000_000 + (60_000_000 * (h2 >> 48) >> 16)) / 1e6,
            "Sharpness": (20_000_000 + (75_000_000 * (h3 & 0xFFFF) >> 16)) / 1e6,
        },
        "Confidence": (90_000_000 + (9_990_000 * ((h3 >> 16) & 0xFFFF) >> 16)) / 1e6,
    }


class SceneEnding:
    """How a job made from a scene ends: as the scene says (its final status, message and notification status)."""

    scene: SyntheticScene

    @property
    def final_status(self) -> str:
        return self.scene.final_status

    @property
    def status_message(self) -> str | None:
        return self.scene.status_message

    @property
    def notification_status(self) -> str:
        return self.scene.notification_status
