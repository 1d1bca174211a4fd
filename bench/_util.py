"""What the benchmark scripts share: token counting, medians, a results table, and a raw JSON-RPC stdio peer.

Each script in bench/ measures one figure against a baseline in the same run and prints its table last.
"""

from __future__ import annotations

import io
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = "2025-11-25"  # the initialize-handshake era: one request/response per line, nothing else needed


# The SDK turns on INFO logging; httpx would log every request of a benchmark loop to stderr.
logging.getLogger("httpx").setLevel(logging.WARNING)


@cache
def _encoding() -> Any:
    # bpe-openai bundles o200k_base; tiktoken would download it at run time, which this machine cannot.
    import bpe_openai

    return bpe_openai.get_encoding("o200k_base")


def tokens(text: str) -> int:
    """o200k_base tokens of `text`."""
    return len(_encoding().encode(text))


def compact(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


# What an assistant's context holds for each tool, as tools/list serves it.
SERVED_KEYS = ("name", "title", "description", "inputSchema", "annotations")
TARGET_AVERAGE_TOOL_TOKENS = 170
# The default surface (default toolsets + the catalog's three tools), which reaches every operation: issue 17.
MAX_DEFAULT_SURFACE_TOKENS = 6000
# What the issue compares against: Twilio's generated MCP server, one tool per operation (its own README warns
# about context size): ~79,000 tokens for 197 tools, ~400 per operation.
TWILIO_TOOLS, TWILIO_TOKENS = 197, 79_000


def tool_cost(tool: dict[str, Any]) -> int:
    """o200k_base tokens of one tool's compact JSON as served: the unit of bench/tool_surface.py and the budget test."""
    return tokens(compact({k: tool[k] for k in SERVED_KEYS if k in tool}))


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    """min / median / max: how the benchmarks print a figure measured over repeated runs."""
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (pastes into the README as is)."""
    cells = [[str(c) for c in headers], *[[_fmt(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [f"### {title}", ""]
    for n, row in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


class UpstreamProcess:
    """An upstream in a child process, driven over its stdin/stdout: it prints one JSON line with its `url`,
    `auth_id` and `auth_token` once it listens, answers `stats` with one JSON line, and ends when stdin closes.
    A context manager."""

    def __init__(self, argv: list[str], what: str) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(f"{what} did not start")
        info = json.loads(line)
        self.url: str = info["url"]
        self.auth_id: str = info["auth_id"]
        self.auth_token: str = info["auth_token"]

    def stats(self) -> dict[str, int]:
        self.proc.stdin.write("stats\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        return json.loads(self.proc.stdout.readline())  # type: ignore[union-attr]

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        stop_process(self.proc, timeout=10, terminate=False)  # closed stdin ends it
        self.proc.stdout.close()  # type: ignore[union-attr]

    def __enter__(self) -> UpstreamProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SandboxProcess(UpstreamProcess):
    """bench/_sandbox_proc.py as a child: the full sandbox."""

    def __init__(self, latency_ms: int = 0, apps: int = 0, rate_limit: int = 300, rate_window_s: float = 5.0,
                 seed_history: bool = False) -> None:
        super().__init__([sys.executable, str(ROOT / "bench" / "_sandbox_proc.py"), "--latency-ms", str(latency_ms),
                          "--apps", str(apps), "--rate-limit", str(rate_limit), "--rate-window-s", str(rate_window_s),
                          *(["--seed-history"] if seed_history else [])], "sandbox process")


def server_env(base_url: str, auth_id: str, auth_token: str, **extra: str) -> dict[str, str]:
    """Environment for `python -m plivo_mcp serve` against a sandbox, otherwise the defaults an operator gets
    (logging included: one JSON line per tool call, ~50 us)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO")}
    env.update({"PLIVO_API_URL": base_url, "PLIVO_LOOKUP_URL": base_url, "PLIVO_AUTH_ID": auth_id,
                "PLIVO_AUTH_TOKEN": auth_token, **extra})
    return env


def serve_command() -> list[str]:
    return [sys.executable, "-m", "plivo_mcp", "serve"]


class RawStdio:
    """An MCP peer over a child's stdin/stdout speaking raw JSON-RPC: no client library in the measurement."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, cwd=ROOT, bufsize=0)
        # Unbuffered so each request leaves at once; answers are read through a buffer, as any client does
        # (an unbuffered readline() reads a pipe one byte per system call, charging long answers for it).
        self._answers = io.BufferedReader(self.proc.stdout, buffer_size=1 << 16)  # type: ignore[arg-type]
        self._next_id = 0
        self.last_answer_bytes = 0

    def request(self, method: str, params: dict[str, Any] | None = None,
                on_notification: Any = None) -> dict[str, Any]:
        """Send a request and read up to its answer; `on_notification(message)` sees what arrives before it."""
        self._next_id += 1
        message = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params or {}}
        self._send(message)
        while True:
            line = self._answers.readline()
            if not line:
                raise RuntimeError(f"server exited (rc={self.proc.poll()}) before answering {method}")
            answer = json.loads(line)
            if "id" not in answer and on_notification is not None:
                on_notification(answer)
            if answer.get("id") == self._next_id:
                self.last_answer_bytes = len(line)
                if "error" in answer:
                    raise RuntimeError(f"{method} failed: {answer['error']}")
                return answer["result"]

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params or {}})

    def _send(self, message: dict[str, Any]) -> None:
        self.proc.stdin.write((compact(message) + "\n").encode())  # type: ignore[union-attr]

    def initialize(self) -> dict[str, Any]:
        result = self.request("initialize", {"protocolVersion": PROTOCOL, "capabilities": {},
                                             "clientInfo": {"name": "plivo-mcp-bench", "version": "0"}})
        self.notify("notifications/initialized")
        return result

    def call_tool(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        result = self.request("tools/call", {"name": name, "arguments": arguments or {}})
        if result.get("isError"):
            raise RuntimeError(f"{name} failed: {result['content'][0]['text']}")
        return result

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        stop_process(self.proc, timeout=10, terminate=False)
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> RawStdio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stop_process(proc: subprocess.Popen[Any], timeout: float = 15, *, terminate: bool = True) -> None:
    """Ask a child process to end (SIGTERM, unless it ends by itself on closed stdin), then kill it if it has
    not within `timeout` seconds; always reaped."""
    if terminate:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
