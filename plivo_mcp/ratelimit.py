"""Client-side pacing: stay under Plivo's per-account rate (300 requests per 5 s) so bursts queue, not fail.

A request holds its slot from the moment it starts until one window after it finished. Counting from the
finish (not the start) keeps us under the limit as Plivo counts it, on arrival, however long the request took
on the wire: any window Plivo looks at can only hold requests whose slots are still held here.

The limiter uses no asyncio primitives (they bind to one event loop), only a thread lock around bookkeeping
that never awaits, so one limiter per account is shared by every tool call on every loop and thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

# While every slot is held by requests still in flight, nothing says when one frees up: poll this often.
_IN_FLIGHT_POLL_S = 0.01


class RateLimiter:
    """At most `rate` requests per `window_s` seconds, counted as above; `async with limiter.slot():`."""

    def __init__(self, rate: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate < 1 or window_s <= 0:
            raise ValueError("rate must be >= 1 and window_s > 0")
        self.rate = rate
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight = 0
        self._finished: deque[float] = deque()  # finish times, oldest first

    def _try_take(self) -> float:
        """Take a slot and return 0, or return how long to wait before trying again."""
        with self._lock:
            now = self._clock()
            while self._finished and now - self._finished[0] >= self.window_s:
                self._finished.popleft()
            if self._in_flight + len(self._finished) < self.rate:
                self._in_flight += 1
                return 0.0
            if self._finished:
                return max(self._finished[0] + self.window_s - now, 0.001)
            return _IN_FLIGHT_POLL_S

    def _give_back(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._finished.append(self._clock())

    async def acquire(self) -> None:
        while (wait := self._try_take()) > 0:
            await asyncio.sleep(wait)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self._give_back()

    @property
    def in_use(self) -> int:
        """Slots held now (in flight plus finished within the window)."""
        with self._lock:
            now = self._clock()
            return self._in_flight + sum(1 for t in self._finished if now - t < self.window_s)


_SHARED: dict[tuple[str, str], RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def limiter_for(base_url: str, auth_id: str, rate: int, window_s: float) -> RateLimiter:
    """The one limiter for this account at this API, shared by every client object built for it."""
    key = (base_url, auth_id)
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        if limiter is None or (limiter.rate, limiter.window_s) != (rate, window_s):
            limiter = _SHARED[key] = RateLimiter(rate, window_s)
        return limiter
