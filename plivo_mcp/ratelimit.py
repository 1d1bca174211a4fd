"""Client-side pacing: stay under Plivo's per-account rate (300 requests per 5 s) so bursts queue, not fail.

A request holds its slot from the moment it starts until one window after it finished. Counting from the
finish (not the start) keeps us under the limit as Plivo counts it, on arrival, however long the request took
on the wire: any window Plivo looks at can only hold requests whose slots are still held here.

The limiter uses no asyncio primitives (they bind to one event loop), only a thread lock around bookkeeping
that never awaits, so one limiter per account is shared by every tool call on every loop and thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections import OrderedDict, deque
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
    def idle(self) -> bool:
        """No slot held: nothing in flight and nothing finished within the window."""
        with self._lock:
            return self._in_flight == 0 and (not self._finished or self._clock() - self._finished[-1] >= self.window_s)

    @property
    def in_use(self) -> int:
        """Slots held now (in flight plus finished within the window)."""
        with self._lock:
            now = self._clock()
            return self._in_flight + sum(1 for t in self._finished if now - t < self.window_s)


class LimiterRegistry:
    """The limiters of every credential pair seen, bounded in size and dropped once idle.

    A multi-tenant server meets a new pair per caller (and an attacker can invent them at will), so entries go as
    soon as they can make no difference: a limiter with nothing in flight and nothing finished within its window
    holds no slot, and a new one in its place would decide exactly the same. Past `max_size` the least recently
    used idle ones go first; a busy one is never dropped (that would let its account exceed the rate).
    """

    def __init__(self, max_size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_size = max_size
        self._clock = clock
        self._limiters: OrderedDict[tuple[str, str, bytes], RateLimiter] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(base_url: str, auth_id: str, auth_token: str) -> tuple[str, str, bytes]:
        # A digest, so the registry never holds a token in clear.
        return base_url, auth_id, hashlib.sha256(auth_token.encode()).digest()

    def get(self, base_url: str, auth_id: str, auth_token: str, rate: int, window_s: float) -> RateLimiter:
        key = self._key(base_url, auth_id, auth_token)
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None or (limiter.rate, limiter.window_s) != (rate, window_s):
                limiter = self._limiters[key] = RateLimiter(rate, window_s, clock=self._clock)
            self._limiters.move_to_end(key)
            self._trim(key)
            return limiter

    def forget(self, base_url: str, auth_id: str, auth_token: str) -> None:
        """Drop a pair Plivo refused: credentials that do not work keep no state here (a flood of invented ones
        leaves nothing behind), and their calls never shared a budget with the working pair of that account."""
        with self._lock:
            self._limiters.pop(self._key(base_url, auth_id, auth_token), None)

    def _trim(self, current: tuple[str, str, bytes]) -> None:
        # From the least recently used end: idle ones go (each deletion pays for an insertion, so this is O(1)
        # amortised); a busy one is moved to the back, at most a couple per call, so one long request at the
        # front cannot shelter the idle ones behind it.
        rotations = 2
        while self._limiters:
            key, oldest = next(iter(self._limiters.items()))
            if key == current:
                break
            if oldest.idle:
                del self._limiters[key]
            elif rotations:
                self._limiters.move_to_end(key)
                rotations -= 1
            else:
                break
        if len(self._limiters) > self.max_size:
            for key in [k for k, lim in self._limiters.items() if lim.idle][: len(self._limiters) - self.max_size]:
                del self._limiters[key]

    def __len__(self) -> int:
        return len(self._limiters)


LIMITERS = LimiterRegistry()


def limiter_for(base_url: str, auth_id: str, auth_token: str, rate: int, window_s: float) -> RateLimiter:
    """The one limiter for this credential pair at this API, shared by every client object built for it."""
    return LIMITERS.get(base_url, auth_id, auth_token, rate, window_s)
