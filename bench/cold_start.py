"""Figure 3, cold start: spawn to `initialize` result over stdio, raw JSON-RPC on the pipes.

`python -m plivo_mcp serve` (pointed at a sandbox) against bench/bare_server.py (a bare MCPServer with one
trivial tool), spawned alternately in the same run; medians of the runs.

    python bench/cold_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import sys
import time

from _util import ROOT, RawStdio, median, serve_command, server_env, start_sandbox, table

TARGET = 1.15


def spawn_to_initialize(argv: list[str], env: dict[str, str]) -> float:
    with RawStdio(argv, env=env) as peer:
        peer.initialize()
        elapsed = time.perf_counter() - peer.started
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from plivo_mcp.sandbox import Sandbox

    sb = Sandbox(db=":memory:")
    url = start_sandbox(sb)
    env = server_env(url, sb.auth_id, sb.auth_token)
    bare = [sys.executable, str(ROOT / "bench" / "bare_server.py")]
    ours: list[float] = []
    base: list[float] = []
    try:
        # One warm-up each so the first measured spawn does not pay for a cold page cache.
        spawn_to_initialize(serve_command(), env)
        spawn_to_initialize(bare, env)
        for _ in range(args.runs):
            ours.append(spawn_to_initialize(serve_command(), env))
            base.append(spawn_to_initialize(bare, env))
    finally:
        sb.stop()
    ratio = median(ours) / median(base)
    ms = 1000
    print(table(f"Cold start: spawn to initialize result over stdio ({args.runs} interleaved runs each)",
                ["server", "median ms", "min ms", "max ms", "ratio to bare", "target"], [
                    ("bare MCPServer, 1 tool", median(base) * ms, min(base) * ms, max(base) * ms, "1.00x", ""),
                    ("plivo-mcp serve", median(ours) * ms, min(ours) * ms, max(ours) * ms, f"{ratio:.2f}x",
                     f"<= {TARGET}x ({'met' if ratio <= TARGET else 'MISSED'})"),
                ]))
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
