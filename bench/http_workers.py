"""Scale-out on one machine: HTTP calls/s with `serve --transport http --workers 1` and `--workers 2`, same run.

Both servers are configured as a scaled-out deployment is: a real redis-server on loopback (PLIVO_MCP_REDIS_URL),
so every call's pacing goes through Redis, and a shared confirmation secret. The load is bench/http_throughput.py's:
32 concurrent clients, each with one keep-alive connection, calling get_account through raw JSON-RPC POSTs,
against the sandbox in its own process (20 ms latency, rate limits raised so the figure is the server's CPU, not
the pacing). The two configurations alternate `--repeats` times; each pair gives a ratio (2 workers / 1).
Reports calls/s, p50/p99 latency, errors, the server's CPU per call and how it spread over its processes (the
supervisor of --workers 2 is the one near 0), the cores other work on the machine took meanwhile and the cores
left idle (the ratio can only be as good as the cores left to the workers), then min/median/max of the calls/s
and of the ratio.

    python bench/http_workers.py [--clients 32] [--calls-per-client 40] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _util import ROOT, SandboxProcess, median, percentile, serve_command, server_env, table
from http_throughput import HIGH_RATE, TOKEN, RawHttp, free_port, load

sys.path.insert(0, str(ROOT))
from tests.redis_server import RedisServer  # the tests' launcher: one way to run redis-server

SECRET = "bench-workers-confirm-secret-0123456789"
READY_TIMEOUT_S = 60.0


def start_server(workers: int, sb: SandboxProcess, redis_url: str, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = server_env(sb.url, sb.auth_id, sb.auth_token, PLIVO_MCP_HTTP_TOKEN=TOKEN, PLIVO_MCP_RATE_LIMIT=str(HIGH_RATE),
                     PLIVO_MCP_REDIS_URL=redis_url, PLIVO_MCP_CONFIRM_SECRET=SECRET)
    argv = [*serve_command(), "--transport", "http", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers)]
    with log.open("wb") as err:
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + READY_TIMEOUT_S
    # Ready once every worker has started its app (each logs it once): the load must meet all of them.
    while log.read_text().count("Application startup complete") < workers:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-1000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start in time")
        time.sleep(0.05)
    return proc, port


def cpu_seconds(pid: int) -> dict[int, float]:
    """CPU time (user + system) of `pid` and each of its children (the workers), by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child_pid = int(stat.parent.name)
        if child_pid == pid or int(fields[1]) == pid:
            out[child_pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def own_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK"), idle / os.sysconf("SC_CLK_TCK")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def measure(port: int, pid: int, clients: int, calls: int, helpers: list[int]
                  ) -> tuple[float, list[float], int, list[float], float, float]:
    """Wall time, latencies, errors, the CPU seconds each server process spent on the measured calls, and the
    cores other work on the machine used meanwhile (not the server, the sandbox, Redis or this load generator:
    `helpers`) and the cores left idle."""
    conns = [RawHttp("127.0.0.1", port, {"Authorization": f"Bearer {TOKEN}",
                                         "Accept": "application/json, text/event-stream",
                                         "Content-Type": "application/json"}) for _ in range(clients)]

    async def via_mcp(n: int, call_id: int) -> bool:
        body = {"jsonrpc": "2.0", "id": call_id, "method": "tools/call",
                "params": {"name": "get_account", "arguments": {}}}
        status, data = await conns[n].request("POST", "/mcp", json.dumps(body).encode())
        if status != 200:
            return False
        result = json.loads(data).get("result") or {}
        return bool(result) and not result.get("isError")

    try:
        await load(clients, 3, via_mcp)  # warm: connections, pools, first-call imports in every worker
        before, helpers_before, machine_before = cpu_seconds(pid), [own_cpu(p) for p in helpers], machine_cpu()
        wall, latencies, errors = await load(clients, calls, via_mcp)
        after, helpers_after, machine_after = cpu_seconds(pid), [own_cpu(p) for p in helpers], machine_cpu()
        cpu = sorted((after[p] - before.get(p, 0.0) for p in after), reverse=True)
        ours = sum(cpu) + sum(helpers_after) - sum(helpers_before)
        others = (machine_after[0] - machine_before[0] - ours) / wall
        idle = (machine_after[1] - machine_before[1]) / wall
        return wall, latencies, errors, cpu, max(0.0, others), idle
    finally:
        for conn in conns:
            conn.close()


async def run(clients: int, calls: int, latency_ms: int, repeats: int) -> tuple[list[tuple[Any, ...]], list[float],
                                                                                 int]:
    rows: list[tuple[Any, ...]] = []
    rates: dict[int, list[float]] = {1: [], 2: []}
    errors_total = 0
    with tempfile.TemporaryDirectory() as tmp, RedisServer() as redis, \
            SandboxProcess(latency_ms=latency_ms, rate_limit=HIGH_RATE) as sb:
        for repeat in range(1, repeats + 1):
            for workers in (1, 2):
                proc, port = start_server(workers, sb, redis.url, Path(tmp) / f"server-{workers}-{repeat}.log")
                try:
                    wall, latencies, errors, cpu, others, idle = await measure(
                        port, proc.pid, clients, calls, [os.getpid(), sb.proc.pid, redis.pid])
                finally:
                    stop_server(proc)
                rate = clients * calls / wall
                rates[workers].append(rate)
                errors_total += errors
                total = clients * calls
                rows.append((repeat, workers, f"{rate:.0f}", percentile(latencies, 50) * 1000,
                             percentile(latencies, 99) * 1000, errors, f"{sum(cpu) / total * 1000:.2f}",
                             " / ".join(f"{c:.1f}" for c in cpu if c >= 0.05), f"{others:.2f}", f"{idle:.2f}"))
    ratios = [two / one for one, two in zip(rates[1], rates[2], strict=True)]
    for workers in (1, 2):
        values = rates[workers]
        rows.append((f"min / median / max ({len(values)} runs)", workers,
                     f"{min(values):.0f} / {median(values):.0f} / {max(values):.0f}", *[""] * 7))
    return rows, ratios, errors_total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--calls-per-client", type=int, default=40)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows, ratios, errors = asyncio.run(run(args.clients, args.calls_per_client, args.latency_ms, args.repeats))
    print(table(f"HTTP calls/s by worker count: {args.clients} clients x {args.calls_per_client} get_account calls, "
                f"sandbox latency {args.latency_ms} ms, pacing through Redis",
                ["run", "workers", "calls/s", "p50 ms", "p99 ms", "errors", "server CPU ms per call",
                 "CPU s per server process", "other work, cores", "idle cores"], rows))
    print()
    print(f"2 workers / 1 worker, per run: {', '.join(f'{r:.2f}x' for r in ratios)}; "
          f"min {min(ratios):.2f}x, median {median(ratios):.2f}x, max {max(ratios):.2f}x (target >= 1.7x); "
          f"errors {errors}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
