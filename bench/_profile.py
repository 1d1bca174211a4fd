"""Where a server's CPU goes: py-spy attached to a child process for a stretch of load, samples summed by part.

py-spy (`pip install py-spy`; not a dependency of the project) samples the process's Python stacks without
stopping it; idle threads are left out, so the samples stand for CPU. Each sample is charged to the first frame,
from the innermost outwards, that belongs to a named part (the upstream HTTP client, the MCP SDK, uvicorn, ...);
stdlib frames (asyncio, json, ssl) are charged to the part that called them, and a stack of stdlib frames alone is
the event loop's own work (polling, scheduling callbacks).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

# (part, path fragments of its files), first match wins: order from the most specific.
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("plivo-mcp: upstream client (client.py)", ("plivo_mcp/client.py",)),
    ("upstream HTTP library (httpx/httpcore/aiohttp)", ("/httpx/", "/httpcore/", "/httpx2/", "/httpcore2/",
                                                        "/aiohttp/", "/yarl/", "/multidict/", "/aiohappyeyeballs/")),
    ("plivo-mcp: rate limiter, guard, tools, logs", ("plivo_mcp/",)),
    ("MCP SDK (mcp, mcp_types)", ("/mcp/", "/mcp_types/")),
    ("pydantic (SDK validation and serialisation)", ("/pydantic/", "/pydantic_core/", "/typing_inspection/")),
    ("starlette / sse-starlette", ("/starlette/", "/sse_starlette/")),
    ("uvicorn (HTTP server)", ("/uvicorn/", "/httptools/", "/uvloop/")),
    ("structlog", ("/structlog/",)),
    ("tenacity", ("/tenacity/",)),
    ("opentelemetry", ("/opentelemetry/",)),
]
STDLIB = "event loop and stdlib alone (select, callbacks)"
# Frames of the event loop's own machinery: a sample is charged among the frames inside the innermost of these,
# so the loop's polling is not charged to uvicorn, which started the loop.
LOOP_MARKERS = ("_run_once (asyncio/", "Handle._run (asyncio/", "Runner.run (asyncio/")
# Shared by several parts (anyio by the SDK and httpx, h11 by uvicorn and httpcore): charged to their caller.


def _part_of_frame(frame: str) -> str | None:
    path = "/" + frame.rpartition("(")[2]  # py-spy names files relative to their sys.path entry
    for part, fragments in PARTS:
        if any(fragment in path for fragment in fragments):
            return part
    return None  # stdlib, anyio, h11: charged to whoever called them


def charged(stack: list[str]) -> tuple[str, str]:
    """The part a sample is charged to and the frame that decided it; `stack`: outermost first."""
    start = max((i for i, frame in enumerate(stack) if any(m in frame for m in LOOP_MARKERS)), default=-1)
    for frame in reversed(stack[start + 1:]):
        part = _part_of_frame(frame)
        if part is not None:
            return part, frame
    return STDLIB, stack[-1] if stack else ""


class Profiler:
    """`with Profiler(pid) as p: <load>`; then `p.parts()`: {part: share of samples}."""

    def __init__(self, pid: int, rate: int = 250) -> None:
        self.pid, self.rate = pid, rate
        self._dir = Path(tempfile.mkdtemp(prefix="plivo-mcp-profile-"))
        self.raw = self._dir / "profile.txt"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profiler:
        exe = shutil.which("py-spy")
        if exe is None:
            raise RuntimeError("--profile needs py-spy: pip install py-spy")
        self._proc = subprocess.Popen([exe, "record", "-p", str(self.pid), "-r", str(self.rate), "-f", "raw",
                                       "-o", str(self.raw), "--nonblocking"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._proc is not None
        os.kill(self._proc.pid, signal.SIGINT)  # py-spy writes its file when interrupted
        self._proc.wait(timeout=60)

    def samples(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for line in self.raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack:
                counts[charged(stack.split(";"))[0]] += int(count)
        return counts

    def parts(self) -> list[tuple[str, float]]:
        counts = self.samples()
        total = sum(counts.values()) or 1
        return [(part, n / total) for part, n in counts.most_common()]

    def top_frames(self, limit: int = 15) -> list[tuple[str, float]]:
        """The frames samples were most often charged to (innermost non-stdlib frames): for a closer look."""
        counts: Counter[str] = Counter()
        total = 0
        for line in self.raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            total += int(count)
            counts[charged(stack.split(";"))[1]] += int(count)
        return [(frame, n / (total or 1)) for frame, n in counts.most_common(limit)]

    def inclusive(self, fragment: str) -> float:
        """Share of samples with any frame whose text contains `fragment` (a function or file)."""
        hit = total = 0
        for line in self.raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            total += int(count)
            hit += int(count) if fragment in stack else 0
        return hit / (total or 1)
