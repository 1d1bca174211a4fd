"""Figure 4, call overhead: get_account through MCP over stdio against a direct httpx GET of the same endpoint.

The sandbox adds 20 ms to every request (a nearby API). Calls alternate between the two paths so load on the
machine hits both alike; medians. The MCP path is raw JSON-RPC on the pipes of a spawned `plivo-mcp serve`
(no client library on our side of the measurement); the direct path is one pooled httpx.Client. For scale, the
same loop also times a `ping` on a bare MCPServer served the SDK's default way (stdio through worker threads):
what any tool call cost before plivo-mcp moved its pipes onto the event loop. The server runs with its
default settings, per-call log line included.

    python bench/call_overhead.py [--calls 300] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import sys
import time

from _util import ROOT, RawStdio, SandboxProcess, median, percentile, serve_command, server_env, table

TARGET = 1.10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--latency-ms", type=int, default=20)
    args = parser.parse_args()

    import httpx

    # The sandbox runs in its own process: in this one it would share a GIL with the direct client only.
    with SandboxProcess(latency_ms=args.latency_ms, rate_limit=100_000) as sb:
        # The default rate limit would cap a long run; the server's limiter follows the same setting.
        env = server_env(sb.url, sb.auth_id, sb.auth_token, PLIVO_MCP_RATE_LIMIT="100000")
        mcp_s: list[float] = []
        direct_s: list[float] = []
        floor_s: list[float] = []
        bare = [sys.executable, str(ROOT / "bench" / "bare_server.py")]
        with RawStdio(serve_command(), env=env) as peer, RawStdio(bare, env=env) as floor, httpx.Client(
                base_url=f"{sb.url}/v1/Account/{sb.auth_id}/", auth=(sb.auth_id, sb.auth_token)) as http:
            peer.initialize()
            floor.initialize()
            for _ in range(5):  # warm every path: connection pools, first-call imports
                peer.call_tool("get_account")
                floor.call_tool("ping")
                http.get("").raise_for_status()
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
    ratio = median(mcp_s) / median(direct_s)
    ms = 1000
    print(table(f"Call overhead: get_account, sandbox latency {args.latency_ms} ms ({args.calls} alternating calls)",
                ["path", "median ms", "p90 ms", "ratio", "target"], [
                    ("direct httpx GET /v1/Account/{id}/", median(direct_s) * ms, percentile(direct_s, 90) * ms,
                     "1.00x", ""),
                    ("MCP tools/call over stdio", median(mcp_s) * ms, percentile(mcp_s, 90) * ms, f"{ratio:.2f}x",
                     f"<= {TARGET}x ({'met' if ratio <= TARGET else 'MISSED'})"),
                    ("MCP overhead per call", (median(mcp_s) - median(direct_s)) * ms, "", "", ""),
                    ("for scale: bare MCPServer ping, SDK default stdio (no HTTP)", median(floor_s) * ms,
                     percentile(floor_s, 90) * ms, "", ""),
                ]))
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
