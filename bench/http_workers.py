"""Scale-out on one machine: HTTP calls/s with `serve --transport http --workers 1` and `--workers 2`, same run.

Both servers are configured as a scaled-out deployment is: a real redis-server on loopback (PLIVO_MCP_REDIS_URL),
so every call's pacing goes through Redis, and a shared confirmation secret. The load: 96 concurrent clients, each
with one keep-alive connection, calling get_account through raw JSON-RPC POSTs (bench/_mcp_load.py: pre-encoded
requests on asyncio Protocols, each answer checked to be this call's successful result carrying the account);
`clients x calls-per-client` calls a run, each taken by the next client free, so no worker idles at the end of a
run while another works through the calls of the connections the kernel gave it.
The two configurations alternate `--repeats` times; each pair gives a ratio (2 workers / 1).

Everything the figure needs shares the machine's two cores with the workers: the load generator, Redis and the
upstream. `--upstream` picks the upstream:
- `canned` (default, the headline): bench/_canned_upstream.py, a raw-asyncio stand-in answering the account GET
  with a fixed Plivo-shaped body (Basic credentials checked), so the machine's CPU goes to the server and the
  ratio measures the server's own scaling;
- `sandbox`: the full sandbox (starlette/uvicorn, bench/_sandbox_proc.py), the end-to-end figure on this box.
Both add `--latency-ms` (20) per API request; rate limits are raised so the figure is the server's CPU, not the
pacing.

Reports per run: calls/s, p50/p99 latency, errors, the server's CPU per call and the cores each of its processes
used (the supervisor of --workers 2 is the one near 0), the CPU per call of the load generator, the upstream and
Redis, the cores other work on the machine took meanwhile and the cores left idle; then min/median/max of calls/s
and of the ratio, the CPU share of each part, and the ceiling the helpers put on the ratio here (2s/(s+h)).

    python bench/http_workers.py [--upstream canned|sandbox] [--clients 96] [--calls-per-client 40] [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from _canned_upstream import CannedUpstream
from _http import free_port
from _mcp_load import McpLoad
from _util import ROOT, SandboxProcess, median, percentile, serve_command, server_env, spread, stop_process, table
from http_throughput import HIGH_RATE, TOKEN

sys.path.insert(0, str(ROOT))
from tests.redis_server import RedisServer  # the tests' launcher: one way to run redis-server

SECRET = "bench-workers-confirm-secret-0123456789"
READY_TIMEOUT_S = 60.0
TARGET_RATIO = 1.7
HELPERS = ("load generator", "upstream", "Redis")


def start_server(workers: int, upstream: CannedUpstream | SandboxProcess, redis_url: str, log: Path
                 ) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = server_env(upstream.url, upstream.auth_id, upstream.auth_token, PLIVO_MCP_HTTP_TOKEN=TOKEN,
                     PLIVO_MCP_RATE_LIMIT=str(HIGH_RATE), PLIVO_MCP_REDIS_URL=redis_url,
                     PLIVO_MCP_CONFIRM_SECRET=SECRET)
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


def _ticks(stat: str) -> float:
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU time (user + system) of `pid` and each of its children (the workers), by pid."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        child_pid = int(stat.parent.name)
        if child_pid == pid or int(text.rsplit(")", 1)[1].split()[1]) == pid:
            out[child_pid] = _ticks(text)
    return out


def own_cpu(pid: int) -> float:
    return _ticks(Path(f"/proc/{pid}/stat").read_text())


def machine_cpu() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK"), idle / os.sysconf("SC_CLK_TCK")


async def measure(port: int, pid: int, clients: int, calls: int, helpers: list[int], expect: bytes
                  ) -> dict[str, Any]:
    """One load on a started server: calls/s, latencies, errors, the CPU seconds each server process and each
    helper (`helpers`: load generator, upstream, Redis) spent on the measured calls, the cores other work on the
    machine used meanwhile, and the cores left idle."""
    load = McpLoad(port, clients, "get_account", TOKEN, expect)
    try:
        await load.connect()
        _, _, warm_errors = await load.run(3 * clients)  # warm: connections, pools, first-call imports in every worker
        before, helpers_before, machine_before = tree_cpu(pid), [own_cpu(p) for p in helpers], machine_cpu()
        wall, latencies, errors = await load.run(clients * calls)
        after, helpers_after, machine_after = tree_cpu(pid), [own_cpu(p) for p in helpers], machine_cpu()
    finally:
        load.close()
    server = sorted((after[p] - before.get(p, 0.0) for p in after), reverse=True)
    helper_cpu = [a - b for a, b in zip(helpers_after, helpers_before, strict=True)]
    others = (machine_after[0] - machine_before[0] - sum(server) - sum(helper_cpu)) / wall
    return {"wall": wall, "latencies": latencies, "errors": errors + warm_errors, "server": server,
            "helpers": helper_cpu, "others": max(0.0, others), "idle": (machine_after[1] - machine_before[1]) / wall}


async def run(upstream_kind: str, clients: int, calls: int, latency_ms: int, repeats: int) -> dict[str, Any]:
    rows: list[tuple[Any, ...]] = []
    rates: dict[int, list[float]] = {1: [], 2: []}
    server_ms: dict[int, list[float]] = {1: [], 2: []}
    helper_ms: dict[int, list[list[float]]] = {1: [], 2: []}
    shares: list[list[float]] = []  # 2-worker runs: cores of server, each helper, other work, idle
    errors_total = 0
    total = clients * calls
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        redis = stack.enter_context(RedisServer())
        upstream: CannedUpstream | SandboxProcess = stack.enter_context(
            CannedUpstream(latency_ms=latency_ms) if upstream_kind == "canned"
            else SandboxProcess(latency_ms=latency_ms, rate_limit=HIGH_RATE))
        expect = f'"auth_id":"{upstream.auth_id}"'.encode()
        for repeat in range(1, repeats + 1):
            for workers in (1, 2):
                proc, port = start_server(workers, upstream, redis.url, Path(tmp) / f"server-{workers}-{repeat}.log")
                try:
                    m = await measure(port, proc.pid, clients, calls, [os.getpid(), upstream.proc.pid, redis.pid],
                                      expect)
                finally:
                    stop_process(proc)
                wall = m["wall"]
                rates[workers].append(total / wall)
                errors_total += m["errors"]
                server_ms[workers].append(sum(m["server"]) / total * 1000)
                helper_ms[workers].append([c / total * 1000 for c in m["helpers"]])
                if workers == 2:
                    shares.append([sum(m["server"]) / wall, *(c / wall for c in m["helpers"]), m["others"],
                                   m["idle"]])
                rows.append((repeat, workers, f"{total / wall:.0f}", percentile(m["latencies"], 50) * 1000,
                             percentile(m["latencies"], 99) * 1000, m["errors"], f"{server_ms[workers][-1]:.2f}",
                             " / ".join(f"{c / wall:.2f}" for c in m["server"] if c >= 0.05),
                             *(f"{v:.3f}" for v in helper_ms[workers][-1]), f"{m['others']:.2f}",
                             f"{m['idle']:.2f}"))
        rejected = upstream.stats().get("rejected", 0)
    ratios = [two / one for one, two in zip(rates[1], rates[2], strict=True)]
    for workers in (1, 2):
        rows.append((f"min / median / max ({repeats} runs)", workers, spread(rates[workers], "{:.0f}"), *[""] * 10))
    # One worker is bound by its core (1000/s calls/s); two by the machine, which must also run the load generator,
    # the upstream and Redis (2000/(s+h)): the ratio cannot exceed 2s/(s+h) here, whatever the server does.
    s = median(server_ms[2])
    h_parts = [median(r[i] for r in helper_ms[2]) for i in range(len(HELPERS))]
    h = sum(h_parts)
    return {"rows": rows, "ratios": ratios, "errors": errors_total, "rejected": rejected, "s": s, "h_parts": h_parts,
            "ceiling": min(2.0, 2 * s / (s + h)), "shares": [median(r[i] for r in shares) for i in range(6)]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", choices=("canned", "sandbox"), default="canned",
                        help="canned: near-free stand-in, the server's own scaling (default); sandbox: end to end")
    # 96 clients: 32 keep one worker busy but not two, since each call also waits 20 ms for the API.
    parser.add_argument("--clients", type=int, default=96)
    parser.add_argument("--calls-per-client", type=int, default=40)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    try:
        import uvloop  # the load generator's own loop: the cheaper it is, the more of the machine the server gets
    except ImportError:
        result = asyncio.run(run(args.upstream, args.clients, args.calls_per_client, args.latency_ms, args.repeats))
    else:
        result = uvloop.run(run(args.upstream, args.clients, args.calls_per_client, args.latency_ms, args.repeats))
    print(table(f"HTTP calls/s by worker count: {args.clients} clients x {args.calls_per_client} get_account calls, "
                f"{args.upstream} upstream, {args.latency_ms} ms latency, pacing through Redis",
                ["run", "workers", "calls/s", "p50 ms", "p99 ms", "errors", "server CPU ms per call",
                 "cores per server process", *(f"{name} CPU ms per call" for name in HELPERS), "other work, cores",
                 "idle cores"], result["rows"]))
    print()
    ratios, errors, rejected = result["ratios"], result["errors"], result["rejected"]
    print(f"2 workers / 1 worker, per run: {', '.join(f'{r:.2f}x' for r in ratios)}; "
          f"min / median / max {spread(ratios)}x (target median >= {TARGET_RATIO}x); errors {errors}; "
          f"requests the upstream rejected {rejected}")
    labels = ["server", *HELPERS, "other work", "idle"]
    print("cores by part with 2 workers (medians): "
          + ", ".join(f"{label} {share:.2f}" for label, share in zip(labels, result["shares"], strict=True)))
    s, h_parts = result["s"], result["h_parts"]
    h = sum(h_parts)
    print(f"ceiling on this machine with nothing else running: 2 x {s:.2f} / ({s:.2f} + {h:.2f}) = "
          f"{result['ceiling']:.2f}x (server and helper CPU ms per call with 2 workers, medians; helpers: "
          + ", ".join(f"{name} {v:.3f}" for name, v in zip(HELPERS, h_parts, strict=True)) + ")")
    return 0 if errors == 0 and rejected == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
