"""Logging at a bounded rate: what a flood of refused requests or connections may cost in log lines."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

REJECTION_LOG_INTERVAL_S = 10.0


class LogThrottle:
    """At most one line per key per `interval_s`; the lines left out in between are counted for the next one.

    What a flood of refused requests or connections costs in logs: a line per reason every few seconds,
    however many arrive. Keys are the code's own reasons, never request text, so the table stays small.
    """

    def __init__(self, interval_s: float = REJECTION_LOG_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._last: dict[Any, float] = {}
        self._suppressed: dict[Any, int] = {}
        self._lock = threading.Lock()  # the SDK's and uvicorn's loggers may be called from worker threads

    def admit(self, key: Any) -> int | None:
        """None to leave this line out; otherwise how many lines with this key were left out before it."""
        with self._lock:
            now = self._clock()
            last = self._last.get(key)
            if last is not None and now - last < self.interval_s:
                self._suppressed[key] = self._suppressed.get(key, 0) + 1
                return None
            self._last[key] = now
            return self._suppressed.pop(key, 0)

    def log(self, event: str, reason: str, **fields: Any) -> None:
        """A warning `event` with `reason`, unless one with the same pair went out within the interval."""
        suppressed = self.admit((event, reason))
        if suppressed is None:
            return
        from plivo_mcp.logs import get_logger

        if suppressed:
            fields["suppressed"] = suppressed
        get_logger("plivo_mcp.http").warning(event, reason=reason, **fields)


# One per process: the gate and the connection layer of every app in it share the budget.
REJECTIONS = LogThrottle()
