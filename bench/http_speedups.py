"""uvicorn's optional speedups, measured: plivo-mcp over HTTP on asyncio's loop against uvloop, each with the HTTP
protocol serve_http runs (h11 with the server's connection guard) and with uvicorn's plain httptools one (which
drops that guard: a measure of what porting the guard to httptools would buy, not a way to serve), under the load
of bench/http_throughput.py.

One server per configuration, all alive at once against one sandbox; rounds rotate the order (the machine is
noisy) and every round's figures are ratios against asyncio + guarded h11 in that round: the server's own CPU per call
(from /proc) and calls/s, min / median / max.

    python bench/http_speedups.py [--rounds 4] [--clients 32] [--calls-per-client 30] [--protocol 2025-11-25]

The httptools rows need `pip install httptools` (not a dependency of the project); without it they are left out.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from importlib.util import find_spec
from typing import Any

from _http import LEGACY, MODERN, HttpServer, McpOverHttp, spread
from _util import SandboxProcess, server_env, table
from http_throughput import HIGH_RATE, TOKEN, measure

CONFIGS = [("asyncio", "served"), ("uvloop", "served"), ("asyncio", "httptools"), ("uvloop", "httptools")]
if find_spec("httptools") is None:
    CONFIGS = CONFIGS[:2]
BASELINE = CONFIGS[0]


async def run(rounds: int, clients: int, calls: int, latency_ms: int, protocol: str) -> list[tuple[Any, ...]]:
    results: dict[tuple[str, str], list[dict[str, Any]]] = {c: [] for c in CONFIGS}
    with SandboxProcess(latency_ms=latency_ms, rate_limit=HIGH_RATE) as sb:
        env = server_env(sb.url, sb.auth_id, sb.auth_token, PLIVO_MCP_HTTP_TOKEN=TOKEN,
                         PLIVO_MCP_RATE_LIMIT=str(HIGH_RATE))
        servers = {c: HttpServer("plivo", env, *c) for c in CONFIGS}
        try:
            await asyncio.gather(*(s.wait_healthy() for s in servers.values()))
            mcps = {c: McpOverHttp(s.port, clients, "get_account", protocol, TOKEN) for c, s in servers.items()}
            try:
                for c in CONFIGS:
                    await measure(servers[c], mcps[c], clients, 2, sb.auth_id)  # warm
                for n in range(rounds):
                    for c in CONFIGS[n % len(CONFIGS):] + CONFIGS[:n % len(CONFIGS)]:
                        results[c].append(await measure(servers[c], mcps[c], clients, calls, sb.auth_id))
            finally:
                for mcp in mcps.values():
                    mcp.close()
        finally:
            for server in servers.values():
                server.close()
    base = results[BASELINE]
    rows = []
    for c in CONFIGS:
        rs = results[c]
        http = "guarded h11 (as served)" if c[1] == "served" else "plain httptools (no guard)"
        rows.append((f"loop {c[0]}, {http}", spread([r["cpu_ms"] for r in rs]),
                     spread([r["cpu_ms"] / b["cpu_ms"] for r, b in zip(rs, base, strict=True)]) + "x",
                     spread([r["rate"] for r in rs], "{:.0f}"),
                     spread([r["rate"] / b["rate"] for r, b in zip(rs, base, strict=True)]) + "x",
                     f"{statistics.median(r['p50'] for r in rs):.0f}", sum(r["errors"] for r in rs)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--calls-per-client", type=int, default=30)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--protocol", choices=(LEGACY, MODERN), default=LEGACY)
    args = parser.parse_args()
    rows = asyncio.run(run(args.rounds, args.clients, args.calls_per_client, args.latency_ms, args.protocol))
    print(table(f"uvicorn speedups: plivo-mcp get_account, {args.clients} clients x {args.calls_per_client} calls, "
                f"latency {args.latency_ms} ms, protocol {args.protocol}, {args.rounds} rotating rounds "
                "(min / median / max)",
                ["server", "CPU ms per call", "CPU ratio to the first row", "calls/s", "calls/s ratio to the first row",
                 "p50 ms", "errors"], rows))
    return 0 if all(r[-1] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
