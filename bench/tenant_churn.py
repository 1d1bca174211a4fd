"""Tenant churn: plivo-mcp over HTTP with per-request credentials (PLIVO_MCP_ALLOW_REQUEST_CREDENTIALS=1), each
call carrying its tenant's X-Plivo-Auth-Id / X-Plivo-Auth-Token, against the sandbox in its own process.

Tenants: 2,000 real sandbox subaccounts (created through the sandbox API; their calls succeed and keep a rate
limiter until idle) and 8,000 invented credentials of the valid form (`MA` + 18 upper-case letters or digits, a
token of 16 characters; the sandbox answers 401, and their calls leave nothing behind). Two figures:

- memory: the server's resident set (VmRSS) after 100 distinct tenants against after all 10,000, both kinds
  shuffled together, each called once (target: flat, a ratio near 1);
- CPU per call, from the server's own CPU time: 32 clients calling get_account for one real tenant, against the
  same load rotating over the 2,000 real ones (every call answered, as for the one tenant); rounds alternate the
  two (the machine is noisy) and each round's ratio is printed as min / median / max (target <= 1.5x in every
  round).

    python bench/tenant_churn.py [--rounds 4] [--calls-per-client 30] [--latency-ms 20] [--loop ...] [--http ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import string
import sys
from typing import Any

from _http import HttpServer, McpOverHttp, cpu_seconds, load, rss_mib
from _util import SandboxProcess, server_env, spread, table

TOKEN = "bench-churn-token-0123456789abcdef"
HIGH_RATE = 100_000
CLIENTS, ROTATING = 32, 2_000
RSS_EARLY, RSS_LATE = 100, 10_000
TARGET_CPU_RATIO, TARGET_RSS_RATIO = 1.5, 1.10


def invented(rng: random.Random) -> tuple[str, str]:
    alphabet = string.ascii_uppercase + string.digits
    return "MA" + "".join(rng.choices(alphabet, k=18)), "".join(rng.choices(string.ascii_letters, k=16))


async def create_subaccounts(sb: SandboxProcess, count: int) -> list[tuple[str, str]]:
    import httpx

    async with httpx.AsyncClient(base_url=f"{sb.url}/v1/Account/{sb.auth_id}/",
                                 auth=(sb.auth_id, sb.auth_token)) as http:
        async def one(n: int) -> tuple[str, str]:
            answer = (await http.post("Subaccount/", json={"name": f"churn-{n}", "enabled": True})).json()
            return answer["auth_id"], answer["auth_token"]

        made: list[tuple[str, str]] = []
        for start in range(0, count, 20):
            made += await asyncio.gather(*(one(n) for n in range(start, min(count, start + 20))))
        return made


def tenant_headers(auth_id: str, token: str) -> str:
    return f"X-Plivo-Auth-Id: {auth_id}\r\nX-Plivo-Auth-Token: {token}\r\n"


async def calls(server: HttpServer, mcp: McpOverHttp, tenants: list[tuple[str, str, bool]], per_client: int,
                upstream_pid: int | None = None) -> dict[str, Any]:
    """`CLIENTS` x `per_client` get_account calls, call i for tenants[i % len]; the server's CPU ms per call (and
    the sandbox's, given its pid)."""
    real_ids = {t[0] for t in tenants if t[2]}

    async def send(n: int, call_id: int) -> bool:
        auth_id, token, real = tenants[call_id % len(tenants)]
        result = await mcp.call(n, call_id, tenant_headers(auth_id, token))
        if result is None:
            return False
        text = json.loads(result["content"][0]["text"])
        if real:  # a working tenant reads its own account
            return not result.get("isError") and text.get("auth_id") in real_ids
        return bool(result.get("isError")) and text["error"]["code"] == "auth_failed"  # and a made-up one is refused

    mcp.close()  # fresh connections: uvicorn drops the ones idle for 5 s
    cpu0 = server.cpu()
    upstream0 = cpu_seconds(upstream_pid) if upstream_pid else 0.0
    wall, _, errors = await load(CLIENTS, per_client, send)
    total = CLIENTS * per_client
    upstream_ms = (cpu_seconds(upstream_pid) - upstream0) / total * 1000 if upstream_pid else 0.0
    return {"cpu_ms": (server.cpu() - cpu0) / total * 1000, "rate": total / wall, "errors": errors,
            "upstream_cpu_ms": upstream_ms}


async def run(rounds: int, per_client: int, latency_ms: int, loop: str = "auto", http: str = "served"
              ) -> tuple[list[tuple[Any, ...]], bool]:
    rng = random.Random(7)
    with SandboxProcess(latency_ms=latency_ms, rate_limit=HIGH_RATE) as sb:
        real = [(a, t, True) for a, t in await create_subaccounts(sb, ROTATING)]
        fake_count = RSS_LATE - len(real)
        fakes = [(*invented(rng), False) for _ in range(fake_count)]
        # Shuffled: the first 100 and all 10,000 mix the two kinds in about the same proportion.
        mixed = sorted(real + fakes, key=lambda _: rng.random())
        env = server_env(sb.url, sb.auth_id, sb.auth_token, PLIVO_MCP_HTTP_TOKEN=TOKEN,
                         PLIVO_MCP_RATE_LIMIT=str(HIGH_RATE), PLIVO_MCP_ALLOW_REQUEST_CREDENTIALS="1")
        server = HttpServer("plivo", env, loop, http)
        try:
            await server.wait_healthy()
            mcp = McpOverHttp(server.port, CLIENTS, "get_account", "2025-11-25", TOKEN)
            try:
                single = [real[0]]
                rotating = real
                await calls(server, mcp, single, 4)  # warm: pools, first-call imports, the tool table
                await calls(server, mcp, [t for t in mixed[RSS_LATE - 2 * CLIENTS:]], 2)  # both kinds of answer
                # Memory: RSS_EARLY distinct tenants, then on to RSS_LATE, each tenant called once.
                early_calls = await calls(server, mcp, mixed[:RSS_EARLY], -(-RSS_EARLY // CLIENTS))
                rss_early = rss_mib(server.pid)
                late_calls = await calls(server, mcp, mixed, -(-RSS_LATE // CLIENTS))
                rss_late = rss_mib(server.pid)
                cpu: dict[str, list[dict[str, Any]]] = {"single": [], "rotating": []}
                for n in range(rounds):
                    for name in (("single", "rotating") if n % 2 == 0 else ("rotating", "single")):
                        cpu[name].append(await calls(server, mcp, single if name == "single" else rotating,
                                                     per_client, sb.proc.pid))
            finally:
                mcp.close()
        finally:
            server.close()
    ratios = [r["cpu_ms"] / s["cpu_ms"] for r, s in zip(cpu["rotating"], cpu["single"], strict=True)]
    errors = sum(r["errors"] for rs in cpu.values() for r in rs) + early_calls["errors"] + late_calls["errors"]
    rss_ratio = rss_late / rss_early
    cpu_met, rss_met = max(ratios) <= TARGET_CPU_RATIO, rss_ratio <= TARGET_RSS_RATIO
    rows = [
        ("server RSS after 100 distinct tenants", f"{rss_early:.1f} MiB", "1.00x", ""),
        (f"server RSS after {RSS_LATE:,} distinct tenants ({len(real):,} real, {fake_count:,} invented)",
         f"{rss_late:.1f} MiB", f"{rss_ratio:.3f}x",
         f"<= {TARGET_RSS_RATIO}x ({'met' if rss_met else 'MISSED'})"),
        ("CPU ms per call, one tenant", spread([r["cpu_ms"] for r in cpu["single"]]), "1.00x", ""),
        (f"CPU ms per call, {ROTATING:,} rotating tenants",
         spread([r["cpu_ms"] for r in cpu["rotating"]]), spread(ratios) + "x",
         f"<= {TARGET_CPU_RATIO}x in every round ({'met' if cpu_met else 'MISSED'})"),
        ("calls/s, one tenant", spread([r["rate"] for r in cpu["single"]], "{:.0f}"), "", ""),
        (f"calls/s, {ROTATING:,} rotating tenants", spread([r["rate"] for r in cpu["rotating"]], "{:.0f}"), "", ""),
        ("sandbox CPU ms per call (same 2 cores), one tenant / rotating",
         f"{spread([r['upstream_cpu_ms'] for r in cpu['single']])} / "
         f"{spread([r['upstream_cpu_ms'] for r in cpu['rotating']])}", "", ""),
        ("unexpected answers (a real tenant not served, an invented one not refused)", errors, "", "must be 0"),
    ]
    return rows, cpu_met and rss_met and errors == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--calls-per-client", type=int, default=30)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--loop", choices=("asyncio", "uvloop", "auto"), default="auto")
    parser.add_argument("--http", choices=("served", "h11", "httptools"), default="served",
                        help="served: the protocol serve_http runs (h11 with its connection guard)")
    args = parser.parse_args()
    rows, ok = asyncio.run(run(args.rounds, args.calls_per_client, args.latency_ms, args.loop, args.http))
    print(table(f"Tenant churn over HTTP: per-request credentials, {CLIENTS} clients, sandbox latency "
                f"{args.latency_ms} ms, {args.rounds} alternating rounds (min / median / max)",
                ["figure", "value", "ratio", "target"], rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
