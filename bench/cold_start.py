"""Figure 3, cold start: spawn to `initialize` result over stdio, raw JSON-RPC on the pipes.

`python -m plivo_mcp serve` (pointed at a sandbox) against bench/bare_server.py (a bare MCPServer with one
trivial tool), spawned alternately in the same run; medians of the runs. Also reported: the time to the first
tools/list answer right after initialize, since plivo-mcp builds its 24 tools on first use rather than at start.

    python bench/cold_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import sys
import time

from _util import ROOT, RawStdio, median, serve_command, server_env, table

TARGET = 1.15


def spawn_to_ready(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawn to the initialize result, and to the first tools/list result after it."""
    with RawStdio(argv, env=env) as peer:
        peer.initialize()
        initialized = time.perf_counter() - peer.started
        peer.request("tools/list")
        listed = time.perf_counter() - peer.started
    return initialized, listed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from plivo_mcp.sandbox import Sandbox

    sb = Sandbox(db=":memory:")
    url = sb.start()
    env = server_env(url, sb.auth_id, sb.auth_token)
    bare = [sys.executable, str(ROOT / "bench" / "bare_server.py")]
    ours: list[tuple[float, float]] = []
    base: list[tuple[float, float]] = []
    try:
        # One warm-up each so the first measured spawn does not pay for a cold page cache.
        spawn_to_ready(serve_command(), env)
        spawn_to_ready(bare, env)
        for _ in range(args.runs):
            ours.append(spawn_to_ready(serve_command(), env))
            base.append(spawn_to_ready(bare, env))
    finally:
        sb.stop()
    ms = 1000
    rows = []
    ratios = []
    for label, i in (("initialize result", 0), ("then first tools/list result", 1)):
        b, o = [r[i] for r in base], [r[i] for r in ours]
        ratio = median(o) / median(b)
        ratios.append(ratio)
        verdict = f"<= {TARGET}x ({'met' if ratio <= TARGET else 'MISSED'})" if i == 0 else "(context)"
        rows.append((f"spawn to {label}", median(b) * ms, median(o) * ms, (median(o) - median(b)) * ms,
                     f"{ratio:.2f}x", verdict))
    print(table(f"Cold start over stdio, raw JSON-RPC ({args.runs} interleaved spawns each)",
                ["measure", "bare MCPServer, 1 tool (ms)", "plivo-mcp serve (ms)", "difference (ms)", "ratio",
                 "target"], rows))
    return 0 if ratios[0] <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
