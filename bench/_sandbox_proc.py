"""A sandbox in its own process for the benchmarks, so its work does not share a GIL with the measuring client.

Prints one JSON line ({"url", "auth_id", "auth_token"}) once serving. Each line read on stdin is answered with
one JSON line of request statistics; end of stdin stops it.

    python bench/_sandbox_proc.py --latency-ms 50 --apps 400
"""

from __future__ import annotations

import argparse
import json
import sys

from plivo_mcp.sandbox.arrivals import Arrivals


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--apps", type=int, default=0)
    parser.add_argument("--rate-limit", type=int, default=300)
    parser.add_argument("--rate-window-s", type=float, default=5.0)
    parser.add_argument("--seed-history", action="store_true", help="Sandbox(seed_history=True): 3 weeks of CDRs, MDRs")
    args = parser.parse_args()

    from plivo_mcp.sandbox import Sandbox

    sb = Sandbox(db=":memory:", latency_ms=args.latency_ms, rate_limit=args.rate_limit,
                 rate_window_s=args.rate_window_s, seed_history=args.seed_history)
    for i in range(args.apps):
        sb.store.create_application(sb.auth_id, f"bulk-{i:03d}", f"https://voice.example.com/answer/{i}")
    arrivals = Arrivals(sb.app)
    sb.app = arrivals  # type: ignore[assignment]
    url = sb.start()
    print(json.dumps({"url": url, "auth_id": sb.auth_id, "auth_token": sb.auth_token}), flush=True)
    try:
        for _ in sys.stdin:
            print(json.dumps({"requests": len(arrivals.times), "rejected": arrivals.rejected,
                              "busiest_window": arrivals.busiest_window(args.rate_window_s)}), flush=True)
    finally:
        sb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
