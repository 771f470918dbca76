"""Seeded, counted fault injection for the local server."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, get_args

CorruptKind = Literal["truncated", "not_json", "null", "array", "empty_object"]
"""How a corrupt 200 response is broken.

``truncated``: the JSON is cut in the middle and ``Content-Length`` announces
the full length (the connection is closed after the partial body);
``not_json``: plain text; ``null``, ``array`` and ``empty_object``: the JSON
documents ``null``, ``[]`` and ``{}``.
"""

CORRUPT_KINDS: tuple[CorruptKind, ...] = get_args(CorruptKind)

FaultKind = Literal[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "InternalServerError",
    "slow",
    "drop",
    "corrupt_truncated",
    "corrupt_not_json",
    "corrupt_null",
    "corrupt_array",
    "corrupt_empty_object",
    "invalid_token",
    "injected",
]
"""The names under which the server counts the faults it injected."""

FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)


@dataclass(frozen=True)
class Faults:
    """What to break, how often, and with which seed.

    Rates are per request (of the ``operations`` named, or of all when
    ``operations`` is ``None``). For every such request the server draws, in
    this order: a slow reply (``slow_rate``, sleeping ``slow_seconds`` before
    answering normally; combines with the others), then at most one of
    ``drop_rate`` (the connection is closed with no response),
    ``throttle_rate`` (ThrottlingException or ProvisionedThroughputExceededException,
    HTTP 400), ``server_error_rate`` (InternalServerError, HTTP 500) and
    ``corrupt_rate`` (a 200 response with a broken body, one of
    ``corrupt_kinds``). The four exclusive rates must sum to at most 1.

    ``invalid_token_once`` answers InvalidPaginationTokenException to the first
    GetPersonTracking request that carries a valid NextToken (once per
    configuration: assigning ``server.faults`` again re-arms it).

    A faulted request changes no state: no job is created, no poll is counted,
    so a retry gets the answer the faulted request would have had. Given the
    seed, the sequence of faults is the same for the same sequence of requests
    (from a single-threaded client).
    """

    throttle_rate: float = 0.0
    server_error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.5
    drop_rate: float = 0.0
    corrupt_rate: float = 0.0
    corrupt_kinds: tuple[CorruptKind, ...] = CORRUPT_KINDS
    invalid_token_once: bool = False
    operations: tuple[str, ...] | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        rates = (self.throttle_rate, self.server_error_rate, self.slow_rate, self.drop_rate, self.corrupt_rate)
        if any(not 0.0 <= r <= 1.0 for r in rates):
            raise ValueError("fault rates must be in [0, 1]")
        if self.throttle_rate + self.server_error_rate + self.drop_rate + self.corrupt_rate > 1.0 + 1e-12:
            raise ValueError("throttle_rate + server_error_rate + drop_rate + corrupt_rate must be <= 1")
        if self.slow_seconds < 0:
            raise ValueError("slow_seconds must be >= 0")
        if not self.corrupt_kinds or any(k not in CORRUPT_KINDS for k in self.corrupt_kinds):
            raise ValueError(f"corrupt_kinds must be a non-empty subset of {CORRUPT_KINDS}")
        if isinstance(self.operations, str):
            object.__setattr__(self, "operations", (self.operations,))


@dataclass(frozen=True)
class FaultDecision:
    """What the injector decided for one request (internal)."""

    slow: bool = False
    kind: FaultKind | None = None


@dataclass
class _Counts:
    requests: Counter[str] = field(default_factory=Counter)
    faults: Counter[tuple[str, str]] = field(default_factory=Counter)


class FaultInjector:
    """The server's fault state: the seeded RNG, pending scripted errors, counters."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._counts = _Counts()
        self._scripted: list[tuple[str | None, str, str | None]] = []  # (operation, code, message)
        self.configure(faults)

    def configure(self, faults: Faults | None) -> None:
        """Replace the fault configuration and reseed (counters are kept)."""
        with self._lock:
            self._faults = faults or Faults()
            self._rng = random.Random(self._faults.seed)
            self._token_fault_used = False

    @property
    def faults(self) -> Faults:
        return self._faults

    def inject(self, code: str, operation: str | None, message: str | None, count: int) -> None:
        with self._lock:
            self._scripted.extend([(operation, code, message)] * count)

    def record_request(self, operation: str) -> None:
        with self._lock:
            self._counts.requests[operation] += 1

    def record_fault(self, operation: str, kind: FaultKind) -> None:
        with self._lock:
            self._counts.faults[(operation, kind)] += 1

    def scripted(self, operation: str) -> tuple[str, str | None] | None:
        """Pop the next error scripted with ``inject_error`` for ``operation``, if any."""
        with self._lock:
            for i, (op, code, message) in enumerate(self._scripted):
                if op is None or op == operation:
                    del self._scripted[i]
                    self._counts.faults[(operation, "injected")] += 1
                    return code, message
        return None

    def decide(self, operation: str) -> FaultDecision:
        """Draw this request's faults (always the same number of draws, for determinism)."""
        f = self._faults
        if f.operations is not None and operation not in f.operations:
            return FaultDecision()
        with self._lock:
            slow_draw, draw, pick = self._rng.random(), self._rng.random(), self._rng.random()
        slow = slow_draw < f.slow_rate
        kind: FaultKind | None = None
        edge = f.drop_rate
        if draw < edge:
            kind = "drop"
        elif draw < (edge := edge + f.throttle_rate):
            kind = "ThrottlingException" if pick < 0.5 else "ProvisionedThroughputExceededException"
        elif draw < (edge := edge + f.server_error_rate):
            kind = "InternalServerError"
        elif draw < edge + f.corrupt_rate:
            corrupt = f.corrupt_kinds[min(int(pick * len(f.corrupt_kinds)), len(f.corrupt_kinds) - 1)]
            kind = _CORRUPT_FAULT[corrupt]
        if slow:
            self.record_fault(operation, "slow")
        if kind is not None:
            self.record_fault(operation, kind)
        return FaultDecision(slow=slow, kind=kind)

    def take_token_fault(self, operation: str) -> bool:
        """True once per configuration when ``invalid_token_once`` is set (counted)."""
        f = self._faults
        if not f.invalid_token_once or (f.operations is not None and operation not in f.operations):
            return False
        with self._lock:
            if self._token_fault_used:
                return False
            self._token_fault_used = True
            self._counts.faults[(operation, "invalid_token")] += 1
        return True

    def request_count(self, operation: str | None = None) -> int:
        with self._lock:
            if operation is None:
                return sum(self._counts.requests.values())
            return self._counts.requests[operation]

    def fault_count(self, kind: str | None = None, operation: str | None = None) -> int:
        with self._lock:
            return sum(
                n
                for (op, k), n in self._counts.faults.items()
                if (kind is None or k == kind) and (operation is None or op == operation)
            )

    def fault_counts(self) -> dict[str, dict[str, int]]:
        with self._lock:
            out: dict[str, dict[str, int]] = {}
            for (op, kind), n in sorted(self._counts.faults.items()):
                out.setdefault(op, {})[kind] = n
            return out

    def reset_counts(self) -> None:
        with self._lock:
            self._counts = _Counts()


_CORRUPT_FAULT: dict[CorruptKind, FaultKind] = {
    "truncated": "corrupt_truncated",
    "not_json": "corrupt_not_json",
    "null": "corrupt_null",
    "array": "corrupt_array",
    "empty_object": "corrupt_empty_object",
}
