"""Scale-out on one machine: HTTP calls/s with `serve --transport http --workers 1` and `--workers 2`, same run.

Both servers are configured as a scaled-out deployment is: a real redis-server on loopback (PLIVO_MCP_REDIS_URL),
so every call's pacing goes through Redis, and a shared confirmation secret. The load: 96 concurrent clients, each
with one keep-alive connection, calling get_account through raw JSON-RPC POSTs (bench/_mcp_load.py: pre-encoded
requests on asyncio Protocols, each answer checked to be this call's successful result carrying the account).

Each repeat starts both servers and loads them in turn, 1, 2, 2, 1, 1, 2... (`--windows` each): the load runs
`--ramp-s` before a window of `--window-s` is measured and drains after it, so the figure is steady load, not the
filling and emptying of the clients' pipeline, and the one server waits idle while the other is loaded. Short
alternating windows matter here: this machine's speed drifts by 10-20% over seconds (the same server, same load,
measured again), which separate runs of several seconds each turned into noise of that size in the ratio. Each
repeat gives one ratio (2 workers / 1).

Everything the figure needs shares the machine's two cores with the workers: the load generator, Redis and the
upstream. `--upstream` picks the upstream:
- `canned` (default, the headline): bench/_canned_upstream.py, a raw-asyncio stand-in answering the account GET
  with a fixed Plivo-shaped body (Basic credentials checked), so the machine's CPU goes to the server and the
  ratio measures the server's own scaling;
- `sandbox`: the full sandbox (starlette/uvicorn, bench/_sandbox_proc.py), the end-to-end figure on this box.
Both add `--latency-ms` (20) per API request; rate limits are raised so the figure is the server's CPU, not the
pacing. The load generator and the upstream stand for machines of their own (the clients, Plivo), yet here each of
their wake-ups preempts a worker. `--helpers-policy batch` runs them SCHED_BATCH (Redis keeps the normal policy:
it is part of the deployment): the kernel lets a worker finish its slice first, they take several answers per
wake-up at about half the CPU per call (~0.025 ms each against ~0.05, still counted), and the ratio rises, but
partly because the two workers then get their requests in bursts and spend ~5% less CPU per call than the single
worker (~2% more with the normal policy). The default is the normal policy, which gives the figure no such help.

Reports per run: calls/s, p50/p99 latency, errors (every answer counts, ramp and drain included), the server's CPU
per call and the cores each of its processes used (the supervisor of --workers 2 is the one near 0), the CPU per
call of the load generator, the upstream and Redis, the cores other work on the machine took meanwhile (all but
these and the idle server) and the cores left idle; then min/median/max of calls/s and of the ratio, the cores
each part took, and the ceiling the helpers put on the ratio here (2s/(s+h)).

    python bench/http_workers.py [--upstream canned|sandbox] [--repeats 9] [--windows 2] [--window-s 1]
                                 [--helpers-policy batch|normal] [--nice N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, suppress
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
BUSY_MACHINE_CORES = 0.1  # other jobs' median cores during the 2-worker runs above which the ratio says little
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


def process_tree(pid: int) -> list[int]:
    """`pid` and its children (the workers of --workers N), read once: the CPU readings then touch only these."""
    pids = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(stat.parent.name))
    return pids


def own_cpu(pid: int) -> float:
    """CPU time (user + system) `pid` has used so far; 0 once it is gone."""
    try:
        return _ticks(Path(f"/proc/{pid}/stat").read_text())
    except OSError:
        return 0.0


def machine_cpu() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK"), idle / os.sysconf("SC_CLK_TCK")


class Served:
    """One configuration during a repeat: its server (`serve --workers N`), its clients, and what its windows add
    up to."""

    def __init__(self, workers: int, proc: subprocess.Popen[bytes], load: McpLoad) -> None:
        self.workers, self.proc, self.load = workers, proc, load
        self.pids = process_tree(proc.pid)
        self.wall = 0.0
        self.calls = 0
        self.errors = 0
        self.latencies: list[float] = []
        self.server_cpu = [0.0] * len(self.pids)
        self.helper_cpu = [0.0] * len(HELPERS)
        self.other_cpu = 0.0
        self.idle_cpu = 0.0

    def cpu(self) -> list[float]:
        return [own_cpu(p) for p in self.pids]


async def window(served: Served, idle: Served, helpers: list[int], ramp_s: float, window_s: float,
                 batch_helpers: bool) -> None:
    """Load `served` (the other configuration's server sits idle), let it settle for `ramp_s`, then add `window_s`
    of steady load to its totals: calls answered, latencies, CPU of each of its processes and of each helper, the
    CPU other work on the machine took (all but these processes and the idle server) and the idle CPU. The ramp and
    the drain stay out of the figures; every answer, theirs included, is checked. With `batch_helpers` this load
    generator runs SCHED_BATCH meanwhile (only meanwhile: the servers it starts must not inherit it)."""
    await served.load.connect()
    if batch_helpers:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    load_round = served.load.start()
    await asyncio.sleep(ramp_s)
    t0, done0 = time.perf_counter(), len(load_round.latencies)
    server0, idle0, helpers0, machine0 = served.cpu(), idle.cpu(), [own_cpu(p) for p in helpers], machine_cpu()
    await asyncio.sleep(window_s)
    t1, done1 = time.perf_counter(), len(load_round.latencies)
    server1, idle1, helpers1, machine1 = served.cpu(), idle.cpu(), [own_cpu(p) for p in helpers], machine_cpu()
    await served.load.stop()
    if batch_helpers:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    served.errors += load_round.errors
    served.wall += t1 - t0
    served.calls += done1 - done0
    served.latencies += load_round.latencies[done0:done1]
    server = [b - a for a, b in zip(server0, server1, strict=True)]
    helper = [b - a for a, b in zip(helpers0, helpers1, strict=True)]
    served.server_cpu = [t + c for t, c in zip(served.server_cpu, server, strict=True)]
    served.helper_cpu = [t + c for t, c in zip(served.helper_cpu, helper, strict=True)]
    served.other_cpu += max(0.0, machine1[0] - machine0[0] - sum(server) - sum(helper) - (sum(idle1) - sum(idle0)))
    served.idle_cpu += machine1[1] - machine0[1]


async def start_served(workers: int, upstream: CannedUpstream | SandboxProcess, redis_url: str, log: Path,
                       clients: int, expect: bytes) -> Served:
    proc, port = start_server(workers, upstream, redis_url, log)
    load = McpLoad(port, clients, "get_account", TOKEN, expect)
    try:
        await load.connect()
        _, _, errors = await load.run(3 * clients)  # warm: connections, pools, first-call imports in every worker
    except BaseException:
        load.close()
        stop_process(proc)
        raise
    served = Served(workers, proc, load)
    served.errors += errors
    return served


async def run(upstream_kind: str, clients: int, latency_ms: int, repeats: int, windows: int, ramp_s: float,
              window_s: float, batch_helpers: bool) -> dict[str, Any]:
    rows: list[tuple[Any, ...]] = []
    rates: dict[int, list[float]] = {1: [], 2: []}
    server_ms: dict[int, list[float]] = {1: [], 2: []}
    helper_ms: dict[int, list[list[float]]] = {1: [], 2: []}
    shares: list[list[float]] = []  # 2-worker runs: cores of server, each helper, other work, idle
    others: dict[int, list[float]] = {1: [], 2: []}
    errors_total = 0
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        redis = stack.enter_context(RedisServer())
        upstream: CannedUpstream | SandboxProcess = stack.enter_context(
            CannedUpstream(latency_ms=latency_ms) if upstream_kind == "canned"
            else SandboxProcess(latency_ms=latency_ms, rate_limit=HIGH_RATE))
        expect = f'"auth_id":"{upstream.auth_id}"'.encode()
        helpers = [os.getpid(), upstream.proc.pid, redis.pid]
        if batch_helpers:
            os.sched_setscheduler(upstream.proc.pid, os.SCHED_BATCH, os.sched_param(0))
        for repeat in range(1, repeats + 1):
            configs: dict[int, Served] = {}
            try:
                for workers in (1, 2):
                    configs[workers] = await start_served(workers, upstream, redis.url,
                                                          Path(tmp) / f"server-{workers}-{repeat}.log", clients, expect)
                # 1, 2, 2, 1, 1, 2...: a drift of the machine's speed over the repeat falls on both alike.
                for n in range(windows):
                    for workers in ((1, 2) if n % 2 == 0 else (2, 1)):
                        await window(configs[workers], configs[3 - workers], helpers, ramp_s, window_s,
                                     batch_helpers)
            finally:
                for served in configs.values():
                    served.load.close()
                    stop_process(served.proc)
            for workers, c in sorted(configs.items()):
                rate = c.calls / c.wall
                rates[workers].append(rate)
                errors_total += c.errors
                server_ms[workers].append(sum(c.server_cpu) / c.calls * 1000)
                helper_ms[workers].append([cpu / c.calls * 1000 for cpu in c.helper_cpu])
                others[workers].append(c.other_cpu / c.wall)
                if workers == 2:
                    shares.append([sum(c.server_cpu) / c.wall, *(cpu / c.wall for cpu in c.helper_cpu),
                                   c.other_cpu / c.wall, c.idle_cpu / c.wall])
                rows.append((repeat, workers, f"{rate:.0f}", c.calls, percentile(c.latencies, 50) * 1000,
                             percentile(c.latencies, 99) * 1000, c.errors, f"{server_ms[workers][-1]:.2f}",
                             " / ".join(f"{cpu / c.wall:.2f}" for cpu in sorted(c.server_cpu, reverse=True)
                                        if cpu / c.wall >= 0.01),
                             *(f"{v:.3f}" for v in helper_ms[workers][-1]), f"{others[workers][-1]:.2f}",
                             f"{c.idle_cpu / c.wall:.2f}"))
        rejected = upstream.stats().get("rejected", 0)
    ratios = [two / one for one, two in zip(rates[1], rates[2], strict=True)]
    for workers in (1, 2):
        rows.append((f"min / median / max ({repeats} runs)", workers, spread(rates[workers], "{:.0f}"), *[""] * 11))
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
    parser.add_argument("--latency-ms", type=int, default=20)
    # Many repeats of few windows: the same code started again runs 10-15% faster or slower per call for its whole
    # life (what pyperf spreads its runs over many processes for), and each repeat starts both servers anew.
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--windows", type=int, default=2, help="measured windows per configuration per repeat")
    parser.add_argument("--window-s", type=float, default=1.0)
    parser.add_argument("--ramp-s", type=float, default=0.3, help="load before each window, left out of it")
    parser.add_argument("--helpers-policy", choices=("batch", "normal"), default="normal",
                        help="scheduling policy of the load generator and the upstream (Redis keeps the normal one)")
    parser.add_argument("--nice", type=int, default=0,
                        help="niceness for this run and every process it starts (negative needs root): other jobs "
                             "on a shared machine then take less of the cores the 2-worker run needs")
    args = parser.parse_args()
    if args.nice:
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)  # inherited by Redis, the upstream, the servers, workers
    work = run(args.upstream, args.clients, args.latency_ms, args.repeats, args.windows, args.ramp_s, args.window_s,
               args.helpers_policy == "batch")
    try:
        import uvloop  # the load generator's own loop: the cheaper it is, the more of the machine the server gets
    except ImportError:
        result = asyncio.run(work)
    else:
        result = uvloop.run(work)
    print(table(f"HTTP calls/s by worker count: {args.clients} clients calling get_account, "
                f"{args.windows} x {args.window_s:g} s per configuration per run, "
                f"{args.upstream} upstream, {args.latency_ms} ms latency, pacing through Redis, load generator and "
                f"upstream {'SCHED_BATCH' if args.helpers_policy == 'batch' else 'SCHED_OTHER'}"
                + (f", niceness {args.nice}" if args.nice else ""),
                ["run", "workers", "calls/s", "calls measured", "p50 ms", "p99 ms", "errors", "server CPU ms per call",
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
    other_cores = result["shares"][len(HELPERS) + 1]
    if other_cores > BUSY_MACHINE_CORES:
        print(f"note: other jobs on the machine took a median {other_cores:.2f} cores during the 2-worker runs, "
              "taken from the 2-worker runs only (1 worker leaves most of a core idle): the ratio understates the "
              "server's scaling by about that share of the 2 cores; rerun when the machine is quiet")
    s, h_parts = result["s"], result["h_parts"]
    h = sum(h_parts)
    print(f"ceiling on this machine with nothing else running: 2 x {s:.2f} / ({s:.2f} + {h:.2f}) = "
          f"{result['ceiling']:.2f}x (server and helper CPU ms per call with 2 workers, medians; helpers: "
          + ", ".join(f"{name} {v:.3f}" for name, v in zip(HELPERS, h_parts, strict=True)) + ")")
    return 0 if errors == 0 and rejected == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
