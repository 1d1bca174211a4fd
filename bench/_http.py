"""What the HTTP benchmarks share: a light keep-alive load generator, MCP servers over HTTP as child processes,
and a child's own CPU time and memory read from /proc."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _util import ROOT, spread, stop_process  # noqa: F401  (ROOT, spread re-exported for the HTTP benchmarks)

LEGACY, MODERN = "2025-11-25", "2026-07-28"
_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (all its threads), from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * _TICK_S  # utime, stime (fields 14 and 15 of the line)


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS) or at its peak (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RawHttp:
    """One keep-alive HTTP/1.1 connection with a minimal client: a load generator this light leaves the CPU to
    the servers (httpx's async pool costs ~2-6 ms of CPU per request at 32 connections, more than the server)."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: str = "") -> tuple[int, bytes]:
        """`headers`: extra raw header lines ("Name: value\\r\\n"...) for this request only."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{headers}Content-Length: {len(body)}\r\n\r\n"
                          .encode() + body)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
        if fields.get("transfer-encoding") == "chunked":
            data = b""
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                data += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            data = await self.reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection") == "close":
            self.writer.close()
            self.writer = None
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class McpOverHttp:
    """`tools/call` of one tool as raw JSON-RPC POSTs to /mcp over `clients` keep-alive connections.

    `protocol` LEGACY sends what an initialize-era client sends in stateless mode (no handshake, no session);
    MODERN sends the 2026-07-28 per-request envelope and routing headers (what the SDK's own Client speaks)."""

    def __init__(self, port: int, clients: int, tool: str, protocol: str, token: str | None = None) -> None:
        headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if protocol == MODERN:
            headers.update({"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": tool})
        else:
            headers["MCP-Protocol-Version"] = LEGACY
        self.conns = [RawHttp("127.0.0.1", port, headers) for _ in range(clients)]
        self.tool, self.protocol = tool, protocol

    def body(self, call_id: int, arguments: dict[str, Any] | None = None) -> bytes:
        params: dict[str, Any] = {"name": self.tool, "arguments": arguments or {}}
        if self.protocol == MODERN:
            params["_meta"] = {"io.modelcontextprotocol/protocolVersion": MODERN,
                               "io.modelcontextprotocol/clientCapabilities": {},
                               "io.modelcontextprotocol/clientInfo": {"name": "plivo-mcp-bench", "version": "0"}}
        return json.dumps({"jsonrpc": "2.0", "id": call_id, "method": "tools/call", "params": params}).encode()

    async def call(self, n: int, call_id: int, headers: str = "") -> dict[str, Any] | None:
        """The call's result, or None if the HTTP status or the JSON-RPC answer was an error."""
        status, data = await self.conns[n].request("POST", "/mcp", self.body(call_id), headers)
        if status != 200:
            return None
        return json.loads(data).get("result")

    def close(self) -> None:
        for conn in self.conns:
            conn.close()


async def load(clients: int, calls: int, send: Callable[[int, int], Awaitable[bool]]
               ) -> tuple[float, list[float], int]:
    """`clients` workers, each making `calls` sequential calls; returns wall time, latencies, errors."""
    latencies: list[float] = []
    errors = 0

    async def worker(n: int) -> None:
        nonlocal errors
        for i in range(calls):
            t0 = time.perf_counter()
            try:
                ok = await send(n, n * calls + i)
            except Exception:
                ok = False
            latencies.append(time.perf_counter() - t0)
            errors += 0 if ok else 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(clients)))
    return time.perf_counter() - t0, latencies, errors


class HttpServer:
    """bench/_serve_http.py as a child process (plivo-mcp or the bare MCPServer), stopped on exit."""

    def __init__(self, which: str, env: dict[str, str], loop: str = "auto", http: str = "served") -> None:
        self.port = free_port()
        argv = [sys.executable, str(ROOT / "bench" / "_serve_http.py"), which, "--port", str(self.port),
                "--loop", loop, "--http", http]
        self.proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = self.proc.pid

    async def wait_healthy(self) -> None:
        probe = RawHttp("127.0.0.1", self.port, {})
        try:
            for _ in range(600):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}")
                try:
                    if (await probe.request("GET", "/healthz"))[0] == 200:
                        return
                except OSError:
                    probe.close()
                await asyncio.sleep(0.05)
        finally:
            probe.close()
        raise RuntimeError("server did not become healthy")

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def close(self) -> None:
        stop_process(self.proc, timeout=10)
