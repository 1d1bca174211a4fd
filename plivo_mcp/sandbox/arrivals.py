"""What reached the sandbox and when: an ASGI wrapper the tests and benchmarks put around the sandbox's app to
check a client's pacing (requests in the busiest window, 429s sent) against the API's documented limit."""

from __future__ import annotations

import time
from collections import deque
from typing import Any


class Arrivals:
    """Time-stamps every request the wrapped app receives, keeps its method, and counts the 429s it sends."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: deque[float] = deque()
        self.methods: deque[str] = deque()
        self.rejected = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.times.append(time.monotonic())
            self.methods.append(scope["method"])

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] == 429:
                self.rejected += 1
            await send(message)

        await self.app(scope, receive, watch)

    def reset(self) -> None:
        self.times.clear()
        self.methods.clear()
        self.rejected = 0

    def busiest_window(self, window_s: float) -> int:
        """The most requests that arrived within any `window_s` seconds."""
        times, best, start = sorted(self.times), 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= window_s:
                start += 1
            best = max(best, end - start + 1)
        return best
