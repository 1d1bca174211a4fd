"""The sandbox's clock: real time by default, moved forward on purpose.

Things with a lifecycle (a message queued, sent, delivered; a call ringing, answered, completed) keep the time
they started, and their state is read off this clock whenever they are looked at: nothing runs in the
background, so a state is deterministic for a given clock reading. A person polling the API sees states move
within seconds, as on the real API; a test calls `advance()` instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
import threading


class SandboxClock:
    """`clock()` is real time plus every `advance()` so far (or a fixed start plus them, with `start`)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._start = start
        self._offset = dt.timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return (self._start or dt.datetime.now()) + self._offset

    def advance(self, seconds: float) -> dt.datetime:
        """Move the clock forward (never back: a state, once seen, never un-happens)."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += dt.timedelta(seconds=seconds)
        return self()
