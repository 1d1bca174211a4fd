"""Usage review: "what happened in the last 30 days and what did it cost" over the seeded history (3,000 MDRs and
126 CDRs over 21 days), with 20 ms added latency.

Baseline, same sandbox, same run: the official plivo SDK listing every MDR and CDR of the period one page after
another (`messages.list` / `calls.list`, limit 20) and totalling them itself. Ours: one `get_usage` call through
MCP over stdio (a spawned `plivo-mcp serve`, raw JSON-RPC), which counts with `limit=1` filter queries and sums
spend over pages fetched concurrently under its rate limiter. Both must give identical totals (counts by
direction and state, billed minutes, spend), checked every run. Each client waits out the sandbox's 5 s rate
window before it starts, so neither is charged for the other's requests; the sandbox counts the 429s it sends
(must be 0) and the busiest 5 s window. Runs alternate; ratios are printed as min / median / max.

    python bench/usage.py [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections import Counter
from decimal import Decimal
from typing import Any

from _util import RawStdio, SandboxProcess, serve_command, server_env, spread, table

LATENCY_MS, PAGE = 20, 20
RATE_LIMIT, RATE_WINDOW_S = 300, 5.0
PERIOD = dt.timedelta(days=30)  # the most one CDR query may span
TARGET = 5.0


def api_time(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def sdk_totals(sb: SandboxProcess, since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
    """Every MDR and CDR of the period, page after page with the official SDK, totalled here."""
    import plivo
    import plivo.rest.client as rc

    base = f"{sb.url}/v1/Account"
    for name in ("PLIVO_API_BASE_URI", "API_VOICE_BASE_URI", "API_VOICE_BASE_URI_FALLBACK_1",
                 "API_VOICE_BASE_URI_FALLBACK_2"):
        setattr(rc, name, base)
    client = plivo.RestClient(sb.auth_id, sb.auth_token)
    directions: Counter[str] = Counter()
    states: Counter[str] = Counter()
    spend = Decimal(0)
    offset = 0
    while True:
        page = client.messages.list(message_time__gte=api_time(since), message_time__lt=api_time(until),
                                    limit=PAGE, offset=offset)
        for m in page:
            directions[m.message_direction] += 1
            if m.message_direction == "outbound":
                states[m.message_state] += 1
            spend += Decimal(str(m.total_amount))
        offset += PAGE
        if not page.meta.next:
            break
    calls: Counter[str] = Counter()
    call_spend, minutes = Decimal(0), 0
    offset = 0
    while True:
        page = client.calls.list(end_time__gte=api_time(since), end_time__lt=api_time(until), limit=PAGE,
                                 offset=offset)
        for c in page:
            calls[c.call_direction] += 1
            call_spend += Decimal(str(c.total_amount))
            minutes += int(c.billed_duration or 0) // 60
        offset += PAGE
        if not page.meta.next:
            break
    return {"messages": {"outbound": directions["outbound"], "inbound": directions["inbound"],
                         "outbound_by_state": dict(states), "spend_usd": f"{spend:.5f}"},
            "calls": {"outbound": calls["outbound"], "inbound": calls["inbound"], "billed_minutes": minutes,
                      "spend_usd": f"{call_spend:.5f}"}}


def ours(peer: RawStdio, since: dt.datetime, until: dt.datetime, run: int) -> tuple[dict[str, Any], int]:
    """get_usage's totals in the baseline's shape, and the progress notifications it sent."""
    progress: list[dict[str, Any]] = []
    result = peer.request("tools/call", {"name": "get_usage", "arguments": {
        "since": since.isoformat(), "until": until.isoformat()}, "_meta": {"progressToken": f"usage-{run}"}},
        lambda m: progress.append(m) if m.get("method") == "notifications/progress" else None)
    assert not result.get("isError"), result["content"]
    answer = result["structuredContent"]
    assert "partial" not in answer, answer["partial"]
    m, c = answer["messages"], answer["calls"]
    return ({"messages": {k: m[k] for k in ("outbound", "inbound", "outbound_by_state", "spend_usd")},
             "calls": {k: c[k] for k in ("outbound", "inbound", "billed_minutes", "spend_usd")}}, len(progress))


def run(runs: int) -> tuple[list[tuple[Any, ...]], bool]:
    sdk_s, ours_s, sdk_req, ours_req = [], [], [], []
    with SandboxProcess(latency_ms=LATENCY_MS, rate_limit=RATE_LIMIT, rate_window_s=RATE_WINDOW_S,
                        seed_history=True) as sb:
        until = dt.datetime.now(dt.UTC).replace(microsecond=0)
        since = until - PERIOD
        with RawStdio(serve_command(), env=server_env(sb.url, sb.auth_id, sb.auth_token)) as peer:
            peer.initialize()
            peer.call_tool("get_account")  # warm: connection pool, first-call imports
            for n in range(runs):
                time.sleep(RATE_WINDOW_S)  # let the rate window drain: each client is measured on its own
                before = sb.stats()["requests"]
                t0 = time.perf_counter()
                baseline = sdk_totals(sb, since, until)
                sdk_s.append(time.perf_counter() - t0)
                sdk_req.append(sb.stats()["requests"] - before)
                time.sleep(RATE_WINDOW_S)
                before = sb.stats()["requests"]
                t0 = time.perf_counter()
                totals, notes = ours(peer, since, until, n)
                ours_s.append(time.perf_counter() - t0)
                ours_req.append(sb.stats()["requests"] - before)
                assert totals == baseline, (totals, baseline)
        stats = sb.stats()
    speed = [s / o for s, o in zip(sdk_s, ours_s, strict=True)]
    fewer = [s / o for s, o in zip(sdk_req, ours_req, strict=True)]
    met = min(speed) >= TARGET or min(fewer) >= TARGET
    ms = 1000
    records = f"{baseline['messages']['outbound'] + baseline['messages']['inbound']} MDRs, " \
              f"{baseline['calls']['outbound'] + baseline['calls']['inbound']} CDRs"
    rows = [
        ("plivo SDK, sequential pages, totals in the client", spread([s * ms for s in sdk_s], "{:.0f}"),
         spread(sdk_req, "{:.0f}"), "1.00x", ""),
        ("plivo-mcp get_usage (one call)", spread([s * ms for s in ours_s], "{:.0f}"),
         f"{spread(ours_req, '{:.0f}')} ({notes} progress notes)",
         f"{spread(speed)}x faster; requests {spread(fewer)}x (SDK / ours)",
         f">= {TARGET:g}x faster or fewer requests in every run ({'met' if met else 'MISSED'})"),
        ("identical totals, every run", records, "", "", "met (asserted)"),
        ("busiest 5 s window, whole run", f"{stats['busiest_window']} requests", "", f"limit {RATE_LIMIT}",
         "under" if stats["busiest_window"] <= RATE_LIMIT else "OVER"),
        ("429 answers from the sandbox", stats["rejected"], f"{stats['requests']} requests in all", "", "must be 0"),
    ]
    return rows, met and stats["busiest_window"] <= RATE_LIMIT and stats["rejected"] == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows, ok = run(args.runs)
    print(table(f"Usage review, 30 days of seeded history, {LATENCY_MS} ms added latency ({args.runs} alternating "
                "runs, min / median / max)", ["client", "ms per review", "requests per review", "ratio", "target"],
                rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
