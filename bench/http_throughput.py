"""Figure 6, throughput over HTTP: 32 concurrent clients calling get_account through `plivo-mcp serve
--transport http` (stateless streamable HTTP, bearer token), against the sandbox in its own process.

Baseline, same run: the same 32 clients calling the sandbox's account endpoint directly (the upstream's own
ceiling on this machine). Each client holds one keep-alive connection and sends raw JSON-RPC POSTs to /mcp through a
minimal HTTP/1.1 client, so the load generator stays light.
The sandbox adds 20 ms per request; its and the server's rate limits are raised so the figure is the server's
throughput, not the pacing. Reports calls per second, p50/p99 latency, errors (must be 0) and the server's peak
memory (VmHWM).

    python bench/http_throughput.py [--clients 32] [--calls-per-client 40] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _util import ROOT, SandboxProcess, percentile, serve_command, server_env, table

TOKEN = "bench-http-token-0123456789abcdef"
HIGH_RATE = 100_000  # the most PLIVO_MCP_RATE_LIMIT accepts


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    async with httpx.AsyncClient() as http:
        for _ in range(300):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("server did not become healthy")


class RawHttp:
    """One keep-alive HTTP/1.1 connection with a minimal client: a load generator this light leaves the CPU to
    the servers (httpx's async pool costs ~2-6 ms of CPU per request at 32 connections, more than the server)."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}Content-Length: {len(body)}\r\n\r\n".encode()
                          + body)
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


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def load(clients: int, calls: int, send: Any) -> tuple[float, list[float], int]:
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


async def run(clients: int, calls: int, latency_ms: int) -> list[tuple[Any, ...]]:

    rows = []
    with SandboxProcess(latency_ms=latency_ms, rate_limit=HIGH_RATE) as sb:
        port = free_port()
        env = server_env(sb.url, sb.auth_id, sb.auth_token, PLIVO_MCP_HTTP_TOKEN=TOKEN,
                         PLIVO_MCP_RATE_LIMIT=str(HIGH_RATE))
        proc = subprocess.Popen([*serve_command(), "--transport", "http", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            await wait_healthy(url, proc)
            mcp_conns = [RawHttp("127.0.0.1", port, {"Authorization": f"Bearer {TOKEN}",
                                                      "Accept": "application/json, text/event-stream",
                                                      "Content-Type": "application/json"}) for _ in range(clients)]
            sb_host, sb_port = sb.url.removeprefix("http://").rsplit(":", 1)
            direct_conns = [RawHttp(sb_host, int(sb_port), {"Authorization": basic(sb.auth_id, sb.auth_token)})
                            for _ in range(clients)]
            account_path = f"/v1/Account/{sb.auth_id}/"

            async def via_mcp(n: int, call_id: int) -> bool:
                body = {"jsonrpc": "2.0", "id": call_id, "method": "tools/call",
                        "params": {"name": "get_account", "arguments": {}}}
                status, data = await mcp_conns[n].request("POST", "/mcp", json.dumps(body).encode())
                if status != 200:
                    return False
                result = json.loads(data).get("result") or {}
                return bool(result) and not result.get("isError")

            async def via_direct(n: int, call_id: int) -> bool:
                status, _ = await direct_conns[n].request("GET", account_path)
                return status == 200

            try:
                await load(clients, 2, via_mcp)  # warm: connections, pools, first-call imports
                await load(clients, 2, via_direct)
                direct_wall, direct_lat, direct_err = await load(clients, calls, via_direct)
                mcp_wall, mcp_lat, mcp_err = await load(clients, calls, via_mcp)
            finally:
                for conn in (*mcp_conns, *direct_conns):
                    conn.close()
            rss = peak_rss_mib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    total = clients * calls
    ms = 1000
    direct_rate, mcp_rate = total / direct_wall, total / mcp_wall
    rows.append(("direct to the sandbox (same light client)", f"{direct_rate:.0f}", percentile(direct_lat, 50) * ms,
                 percentile(direct_lat, 99) * ms, direct_err, "", "1.00x"))
    rows.append(("plivo-mcp over streamable HTTP", f"{mcp_rate:.0f}", percentile(mcp_lat, 50) * ms,
                 percentile(mcp_lat, 99) * ms, mcp_err, f"{rss:.0f}", f"{mcp_rate / direct_rate:.2f}x"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--calls-per-client", type=int, default=40)
    parser.add_argument("--latency-ms", type=int, default=20)
    args = parser.parse_args()
    rows = asyncio.run(run(args.clients, args.calls_per_client, args.latency_ms))
    print(table(f"HTTP throughput: {args.clients} concurrent clients x {args.calls_per_client} get_account calls, "
                f"sandbox latency {args.latency_ms} ms",
                ["path", "calls/s", "p50 ms", "p99 ms", "errors", "server peak RSS MiB", "throughput ratio"], rows))
    return 0 if rows[1][4] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
