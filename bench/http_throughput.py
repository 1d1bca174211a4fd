"""Figure 6, throughput over HTTP: 32 concurrent clients calling get_account through `plivo-mcp serve
--transport http` (stateless streamable HTTP, JSON responses, bearer token), against the sandbox in its own process.

Baseline, same run: a bare MCPServer with one trivial async tool (`ping`), served the same way (the SDK's
stateless JSON-response app under uvicorn with the same options), called by the same 32 clients. Each client holds
one keep-alive connection and sends raw JSON-RPC POSTs to /mcp through a minimal HTTP/1.1 client, so the load
generator stays light. The sandbox adds 20 ms per request; its and the server's rate limits are raised so the
figure is the server's throughput, not the pacing.

Rounds alternate the two servers (the machine is noisy); each round's figures are ratios against the bare server
in that round, printed as min / median / max. The server's CPU per call is its own CPU time (from /proc) over
the round's calls. `--protocol` picks the era the clients speak: 2025-11-25 (initialize-era clients in stateless
mode) or 2026-07-28 (per-request envelope: what the SDK's own Client speaks); `--loop`/`--http` pin uvicorn's event
loop and HTTP parser (default: what `plivo-mcp serve` runs: uvicorn's "auto" loop, h11 with the connection guard;
see bench/_serve_http.py).

    python bench/http_throughput.py [--rounds 5] [--clients 32] [--calls-per-client 40] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from typing import Any

from _http import LEGACY, MODERN, HttpServer, McpOverHttp, cpu_seconds, load, rss_mib, spread
from _util import SandboxProcess, percentile, server_env, table

TOKEN = "bench-http-token-0123456789abcdef"
HIGH_RATE = 100_000  # the most PLIVO_MCP_RATE_LIMIT accepts
TARGET_RATIO, TARGET_CPU_MS = 0.6, 2.5


async def measure(server: HttpServer, mcp: McpOverHttp, clients: int, calls: int, check: str,
                  upstream_pid: int | None = None) -> dict[str, Any]:
    """One load of `clients` x `calls` calls: calls/s, latencies, errors, the server's CPU ms per call (and the
    upstream's, given its pid)."""

    async def send(n: int, call_id: int) -> bool:
        result = await mcp.call(n, call_id)
        return bool(result) and not result.get("isError") and check in str(result)

    mcp.close()  # reconnect: uvicorn closes connections idle for 5 s (the other server's round)
    cpu0 = server.cpu()
    upstream0 = cpu_seconds(upstream_pid) if upstream_pid else 0.0
    wall, latencies, errors = await load(clients, calls, send)
    total = clients * calls
    return {"rate": total / wall, "p50": percentile(latencies, 50) * 1000, "p99": percentile(latencies, 99) * 1000,
            "errors": errors, "cpu_ms": (server.cpu() - cpu0) / total * 1000,
            "upstream_cpu_ms": (cpu_seconds(upstream_pid) - upstream0) / total * 1000 if upstream_pid else 0.0}


async def print_profiles(servers: dict[str, HttpServer], mcps: dict[str, McpOverHttp], checks: dict[str, str],
                         clients: int, calls: int) -> None:
    """Both servers under py-spy for a round each: where each one's CPU per call goes, part by part."""
    from _profile import Profiler

    shares: dict[str, dict[str, float]] = {}
    cpu_ms: dict[str, float] = {}
    profilers: dict[str, Profiler] = {}
    for name in ("plivo", "bare"):
        with Profiler(servers[name].pid) as profiler:
            cpu_ms[name] = (await measure(servers[name], mcps[name], clients, calls, checks[name]))["cpu_ms"]
        shares[name] = dict(profiler.parts())
        profilers[name] = profiler
    parts = sorted(set(shares["plivo"]) | set(shares["bare"]), key=lambda p: -shares["plivo"].get(p, 0))
    rows = [(part, f"{shares['plivo'].get(part, 0):.0%}", shares["plivo"].get(part, 0) * cpu_ms["plivo"],
             shares["bare"].get(part, 0) * cpu_ms["bare"]) for part in parts]
    rows.append(("all (the server's CPU per call in the profiled round)", "100%", cpu_ms["plivo"], cpu_ms["bare"]))
    print(table("Where the CPU goes under this load (py-spy samples; ms per call = share x the round's CPU per call)",
                ["part", "plivo-mcp share", "plivo-mcp ms per call", "bare MCPServer ms per call"], rows))
    print(table("plivo-mcp: the frames samples were charged to most (share of all samples)", ["frame", "share"],
                [(f, f"{s:.1%}") for f, s in profilers["plivo"].top_frames(25)]))


async def run(rounds: int, clients: int, calls: int, latency_ms: int, protocol: str, loop: str, http: str,
              profile: bool = False) -> tuple[list[tuple[Any, ...]], bool]:
    results: dict[str, list[dict[str, Any]]] = {"plivo": [], "bare": []}
    with SandboxProcess(latency_ms=latency_ms, rate_limit=HIGH_RATE) as sb:
        env = server_env(sb.url, sb.auth_id, sb.auth_token, PLIVO_MCP_HTTP_TOKEN=TOKEN,
                         PLIVO_MCP_RATE_LIMIT=str(HIGH_RATE))
        servers = {"plivo": HttpServer("plivo", env, loop, http), "bare": HttpServer("bare", env, loop, http)}
        try:
            await asyncio.gather(*(s.wait_healthy() for s in servers.values()))
            mcps = {"plivo": McpOverHttp(servers["plivo"].port, clients, "get_account", protocol, TOKEN),
                    "bare": McpOverHttp(servers["bare"].port, clients, "ping", protocol)}
            checks = {"plivo": sb.auth_id, "bare": "pong"}
            try:
                for name in servers:  # warm: connections, pools, first-call imports
                    await measure(servers[name], mcps[name], clients, 2, checks[name])
                if profile:  # a round of its own, left out of the figures: sampling costs the servers CPU
                    await print_profiles(servers, mcps, checks, clients, calls)
                for n in range(rounds):
                    for name in (("plivo", "bare") if n % 2 == 0 else ("bare", "plivo")):
                        results[name].append(await measure(servers[name], mcps[name], clients, calls, checks[name],
                                                           sb.proc.pid))
            finally:
                for mcp in mcps.values():
                    mcp.close()
            peak_rss = rss_mib(servers["plivo"].pid, "VmHWM")
        finally:
            for server in servers.values():
                server.close()
    plivo, bare = results["plivo"], results["bare"]
    ratios = [p["rate"] / b["rate"] for p, b in zip(plivo, bare, strict=True)]
    cpu_ratios = [p["cpu_ms"] / b["cpu_ms"] for p, b in zip(plivo, bare, strict=True)]
    errors = sum(r["errors"] for r in plivo + bare)
    plivo_cpu = [r["cpu_ms"] for r in plivo]
    ratio_met = min(ratios) >= TARGET_RATIO
    cpu_met = statistics.median(plivo_cpu) <= TARGET_CPU_MS

    def row(label: str, rs: list[dict[str, Any]], ratio: str, cpu_ratio: str, rss: str) -> tuple[Any, ...]:
        return (label, spread([r["rate"] for r in rs], "{:.0f}"), f"{statistics.median(r['p50'] for r in rs):.0f}",
                f"{statistics.median(r['p99'] for r in rs):.0f}", sum(r["errors"] for r in rs),
                spread([r["cpu_ms"] for r in rs]), rss, ratio, cpu_ratio,
                spread([r["upstream_cpu_ms"] for r in rs]))

    rows = [
        row("bare MCPServer, one trivial tool (ping), served the same way", bare, "1.00x", "1.00x", ""),
        row("plivo-mcp get_account", plivo, spread(ratios) + "x", spread(cpu_ratios) + "x", f"{peak_rss:.0f}"),
        ("targets", "", "", "", f"0 ({'met' if errors == 0 else 'MISSED'})",
         f"<= {TARGET_CPU_MS} median ({'met' if cpu_met else 'MISSED'})", "",
         f">= {TARGET_RATIO}x in every round ({'met' if ratio_met else 'MISSED'})", "", ""),
    ]
    return rows, errors == 0 and ratio_met and cpu_met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--calls-per-client", type=int, default=40)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--protocol", choices=(LEGACY, MODERN), default=LEGACY)
    parser.add_argument("--loop", choices=("asyncio", "uvloop", "auto"), default="auto")
    parser.add_argument("--http", choices=("served", "h11", "httptools"), default="served",
                        help="served: the protocol serve_http runs (h11 with its connection guard)")
    parser.add_argument("--profile", action="store_true",
                        help="first sample plivo-mcp with py-spy for one extra round and print where its CPU goes")
    args = parser.parse_args()
    rows, met = asyncio.run(run(args.rounds, args.clients, args.calls_per_client, args.latency_ms, args.protocol,
                                args.loop, args.http, args.profile))
    print(table(f"HTTP throughput: {args.clients} concurrent clients x {args.calls_per_client} calls, sandbox latency "
                f"{args.latency_ms} ms, protocol {args.protocol}, loop {args.loop}, http {args.http}, "
                f"{args.rounds} alternating rounds (min / median / max)",
                ["server", "calls/s", "p50 ms", "p99 ms", "errors", "server CPU ms per call", "server peak RSS MiB",
                 "calls/s ratio to bare", "CPU per call ratio to bare", "sandbox CPU ms per call (same cores)"],
                rows))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
