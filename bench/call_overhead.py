"""Figure 4, call overhead: get_account through MCP over stdio against a direct httpx GET of the same endpoint.

The sandbox adds 20 ms to every request (a nearby API). Calls alternate between the two paths so load on the
machine hits both alike; the calls are split into runs (5 by default), each run's ratio is of its medians, and the
table gives the runs' min / median / max (the machine is noisy; the target holds in every run or it is missed).
The MCP path is raw JSON-RPC on the pipes of a spawned `plivo-mcp serve` (no client library on our side of the
measurement); the direct path is one pooled httpx.Client. For scale, the same loop also times a `ping` on a
bare MCPServer served the SDK's default way (stdio through worker threads): what any tool call cost before
plivo-mcp moved its pipes onto the event loop. The server runs with its default settings, per-call log line
included.

    python bench/call_overhead.py [--runs 5] [--calls 100] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import sys
import time

from _util import ROOT, RawStdio, SandboxProcess, median, percentile, serve_command, server_env, spread, table

TARGET = 1.10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=100, help="calls per run")
    parser.add_argument("--latency-ms", type=int, default=20)
    args = parser.parse_args()

    import httpx

    # The sandbox runs in its own process: in this one it would share a GIL with the direct client only.
    with SandboxProcess(latency_ms=args.latency_ms, rate_limit=100_000) as sb:
        # The default rate limit would cap a long run; the server's limiter follows the same setting.
        env = server_env(sb.url, sb.auth_id, sb.auth_token, PLIVO_MCP_RATE_LIMIT="100000")
        runs: list[tuple[list[float], list[float], list[float]]] = []
        bare = [sys.executable, str(ROOT / "bench" / "bare_server.py")]
        with RawStdio(serve_command(), env=env) as peer, RawStdio(bare, env=env) as floor, httpx.Client(
                base_url=f"{sb.url}/v1/Account/{sb.auth_id}/", auth=(sb.auth_id, sb.auth_token)) as http:
            peer.initialize()
            floor.initialize()
            for _ in range(5):  # warm every path: connection pools, first-call imports
                peer.call_tool("get_account")
                floor.call_tool("ping")
                http.get("").raise_for_status()
            for _ in range(args.runs):
                mcp_s: list[float] = []
                direct_s: list[float] = []
                floor_s: list[float] = []
                for _ in range(args.calls):
                    t0 = time.perf_counter()
                    peer.call_tool("get_account")
                    t1 = time.perf_counter()
                    http.get("").raise_for_status()
                    t2 = time.perf_counter()
                    floor.call_tool("ping")
                    t3 = time.perf_counter()
                    mcp_s.append(t1 - t0)
                    direct_s.append(t2 - t1)
                    floor_s.append(t3 - t2)
                runs.append((mcp_s, direct_s, floor_s))
    ratios = [median(m) / median(d) for m, d, _ in runs]
    ms = 1000
    all_mcp = [t for m, _, _ in runs for t in m]
    all_direct = [t for _, d, _ in runs for t in d]
    all_floor = [t for _, _, f in runs for t in f]
    met = max(ratios) <= TARGET
    print(table(f"Call overhead: get_account, sandbox latency {args.latency_ms} ms ({args.runs} runs of {args.calls} "
                "alternating calls; per-run medians, min / median / max)",
                ["path", "ms per call", "p90 ms (all runs)", "ratio to direct", "target"], [
                    ("direct httpx GET /v1/Account/{id}/", spread([median(d) * ms for _, d, _ in runs], "{:.2f}"),
                     percentile(all_direct, 90) * ms, "1.00x", ""),
                    ("MCP tools/call over stdio", spread([median(m) * ms for m, _, _ in runs], "{:.2f}"),
                     percentile(all_mcp, 90) * ms, spread(ratios, "{:.3f}") + "x",
                     f"<= {TARGET}x in every run ({'met' if met else 'MISSED'})"),
                    ("MCP overhead per call", spread([(median(m) - median(d)) * ms for m, d, _ in runs], "{:.2f}"),
                     "", "", ""),
                    ("for scale: bare MCPServer ping, SDK default stdio (no HTTP)",
                     spread([median(f) * ms for _, _, f in runs], "{:.2f}"), percentile(all_floor, 90) * ms, "", ""),
                ]))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
