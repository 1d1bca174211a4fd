"""Figure 5, bulk listing: enumerate 400 applications (20 pages) with 50 ms added latency.

Baseline, same sandbox, same run: the official plivo SDK iterating `applications.list(limit=20, offset=...)`
one page after another. Ours: one `list_applications` call with all_pages=true through MCP over stdio (a spawned
`plivo-mcp serve`), which fetches the first page, then the rest concurrently under the client's rate limiter,
with progress notifications. Runs alternate; medians. The sandbox runs in its own process and time-stamps every
request, to report the busiest 5 s window against the documented limit (300 requests per 5 s).

    python bench/bulk_listing.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from _util import SandboxProcess, median, serve_command, server_env, table

APPS, PAGE, LATENCY_MS = 400, 20, 50
RATE_LIMIT, RATE_WINDOW_S = 300, 5.0
TARGET = 5.0


def sdk_sequential(sb: SandboxProcess) -> tuple[float, int]:
    import plivo
    import plivo.rest.client as rc

    base = f"{sb.url}/v1/Account"
    for name in ("PLIVO_API_BASE_URI", "API_VOICE_BASE_URI", "API_VOICE_BASE_URI_FALLBACK_1",
                 "API_VOICE_BASE_URI_FALLBACK_2"):
        setattr(rc, name, base)
    client = plivo.RestClient(sb.auth_id, sb.auth_token)
    t0 = time.perf_counter()
    seen = 0
    for offset in range(0, APPS, PAGE):
        seen += len(client.applications.list(limit=PAGE, offset=offset))
    return time.perf_counter() - t0, seen


async def mcp_all_pages(session: Any) -> tuple[float, int, int]:
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    t0 = time.perf_counter()
    result = await session.call_tool("list_applications", {"all_pages": True, "max_items": APPS},
                                      progress_callback=on_progress)
    elapsed = time.perf_counter() - t0
    assert not result.is_error, result.content
    items = result.structured_content["items"]
    assert len({i["app_id"] for i in items}) == APPS, "duplicates or gaps"
    return elapsed, len(items), len(progress)


async def run(runs: int) -> list[tuple[Any, ...]]:
    from mcp import Client, StdioServerParameters

    sdk_s: list[float] = []
    ours_s: list[float] = []
    with SandboxProcess(latency_ms=LATENCY_MS, apps=APPS, rate_limit=RATE_LIMIT, rate_window_s=RATE_WINDOW_S) as sb:
        params = StdioServerParameters(command=serve_command()[0], args=serve_command()[1:],
                                       env=server_env(sb.url, sb.auth_id, sb.auth_token))
        async with Client(params) as session:
            await session.call_tool("get_account", {})  # warm: connection pool, first-call imports
            sdk_sequential(sb)  # warm the SDK the same way
            for _ in range(runs):
                elapsed, seen = await asyncio.to_thread(sdk_sequential, sb)
                assert seen == APPS, seen
                sdk_s.append(elapsed)
                elapsed, returned, notes = await mcp_all_pages(session)
                assert returned == APPS, returned
                ours_s.append(elapsed)
        stats = sb.stats()
    speedup = median(sdk_s) / median(ours_s)
    ms = 1000
    return [
        ("plivo SDK, sequential pages", median(sdk_s) * ms, min(sdk_s) * ms, APPS // PAGE, "1.00x", ""),
        ("plivo-mcp list_applications all_pages", median(ours_s) * ms, min(ours_s) * ms,
         f"{APPS // PAGE} ({notes} progress notes)", f"{speedup:.2f}x faster",
         f">= {TARGET:g}x ({'met' if speedup >= TARGET else 'MISSED'})"),
        ("busiest 5 s window, whole run (both clients)", f"{stats['busiest_window']} requests", "", "",
         f"limit {RATE_LIMIT}", "under" if stats["busiest_window"] <= RATE_LIMIT else "OVER"),
        ("429 answers from the sandbox", stats["rejected"], "", f"{stats['requests']} requests in all", "",
         "must be 0"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = asyncio.run(run(args.runs))
    print(table(f"Bulk listing: {APPS} applications, {LATENCY_MS} ms added latency ({args.runs} alternating runs)",
                ["client", "median ms", "min ms", "requests per listing", "ratio", "target"], rows))
    return 0 if "met" in rows[1][5] and rows[2][5] == "under" and rows[3][1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
