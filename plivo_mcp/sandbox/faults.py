"""Fault plan: injected latency, forced statuses, dropped connections and malformed bodies.

Faults are queued in the order they were pushed and each is consumed by exactly one matching request, so a test
can script "429 then 503 then success" deterministically without relying on timing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    kind: str  # "status" | "drop" | "malformed"
    status: int = 0
    retry_after: int | None = None
    methods: frozenset[str] | None = None

    def matches(self, method: str) -> bool:
        return self.methods is None or method.upper() in self.methods


def _methods(methods: Iterable[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(m.upper() for m in methods)


class FaultPlan:
    """Settable from any thread; consumed by the sandbox's HTTP thread."""

    def __init__(self, latency_ms: int = 0) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self.latency_ms = latency_ms

    def push_statuses(self, statuses: Iterable[int], retry_after: int | None = 1,
                      methods: Iterable[str] | None = None) -> None:
        """The next matching requests get these statuses, in order; 429s carry `Retry-After: retry_after`."""
        ms = _methods(methods)
        with self._lock:
            self._queue.extend(Fault("status", int(s), retry_after, ms) for s in statuses)

    def drop_connections(self, n: int, methods: Iterable[str] | None = None) -> None:
        """The next n matching requests are processed, then the connection is closed without an answer."""
        ms = _methods(methods)
        with self._lock:
            self._queue.extend(Fault("drop", methods=ms) for _ in range(n))

    def malformed_bodies(self, n: int, methods: Iterable[str] | None = None) -> None:
        """The next n matching requests get a 200 whose body is not JSON (they are not processed)."""
        ms = _methods(methods)
        with self._lock:
            self._queue.extend(Fault("malformed", methods=ms) for _ in range(n))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.latency_ms = 0

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def take(self, method: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._queue):
                if fault.matches(method):
                    return self._queue.pop(i)
        return None
