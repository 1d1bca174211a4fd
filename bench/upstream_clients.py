"""The upstream HTTP client candidates side by side: CPU per request at the HTTP benchmark's load.

32 concurrent GETs of the account endpoint (20 at a time on the wire: a 20-connection pool, as the server keeps),
each sending its own Authorization header and decoding the JSON answer, against the sandbox in its own process
with 20 ms of latency. The figure is this process's own CPU time (user + system, all threads) per request; wall
time is the same for all (the latency dominates). Candidates run in turn, in a rotated order each round, and every
round's figures are ratios against httpx (what the server used before) in the same round; min/median/max.

    python bench/upstream_clients.py [--rounds 5] [--requests 640] [--concurrency 32] [--latency-ms 20]

httpx-aiohttp is not a dependency of the project: `pip install httpx-aiohttp` to include that row.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.util import find_spec
from typing import Any

from _util import SandboxProcess, spread, table

POOL = 20
Get = Callable[[], Awaitable[dict[str, Any]]]


def null_jar() -> Any:
    """A cookie jar that keeps nothing, as each client here is set up (httpx has no switch for it)."""
    from http.cookiejar import CookieJar

    class NullCookieJar(CookieJar):
        def extract_cookies(self, response: Any, request: Any) -> None:
            return None

        def set_cookie(self, cookie: Any) -> None:
            return None

    return NullCookieJar()


@asynccontextmanager
async def httpx_client(url: str, path: str, auth: str) -> AsyncIterator[Get]:
    import httpx

    limits = httpx.Limits(max_connections=POOL, max_keepalive_connections=POOL)
    async with httpx.AsyncClient(base_url=url, limits=limits, cookies=null_jar()) as http:
        async def get() -> dict[str, Any]:
            return (await http.get(path, headers={"Authorization": auth})).json()

        yield get


@asynccontextmanager
async def httpx2_client(url: str, path: str, auth: str) -> AsyncIterator[Get]:
    import httpx2

    async with httpx2.AsyncClient(base_url=url, limits=httpx2.Limits(max_connections=POOL,
                                                                      max_keepalive_connections=POOL),
                                  cookies=null_jar()) as http:
        async def get() -> dict[str, Any]:
            return (await http.get(path, headers={"Authorization": auth})).json()

        yield get


@asynccontextmanager
async def httpx_aiohttp_client(url: str, path: str, auth: str) -> AsyncIterator[Get]:
    import httpx
    from httpx_aiohttp import AiohttpTransport

    transport = AiohttpTransport(limits=httpx.Limits(max_connections=POOL, max_keepalive_connections=POOL))
    async with httpx.AsyncClient(base_url=url, transport=transport, cookies=null_jar()) as http:
        async def get() -> dict[str, Any]:
            return (await http.get(path, headers={"Authorization": auth})).json()

        yield get


@asynccontextmanager
async def aiohttp_client(url: str, path: str, auth: str) -> AsyncIterator[Get]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=POOL)
    async with aiohttp.ClientSession(url, connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as http:
        async def get() -> dict[str, Any]:
            async with http.get(path, headers={"Authorization": auth}) as response:
                return json.loads(await response.read())

        yield get


@asynccontextmanager
async def raw_client(url: str, path: str, auth: str) -> AsyncIterator[Get]:
    """The floor: 20 keep-alive connections, a hand-rolled HTTP/1.1 GET (no chunking, no error handling)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(POOL):
        idle.put_nowait(await asyncio.open_connection(host, int(port)))
    head = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {auth}\r\n\r\n".encode()

    async def get() -> dict[str, Any]:
        reader, writer = await idle.get()
        try:
            writer.write(head)
            fields = (await reader.readuntil(b"\r\n\r\n")).lower()
            length = int(fields.split(b"content-length:")[1].split(b"\r\n")[0])
            return json.loads(await reader.readexactly(length))
        finally:
            idle.put_nowait((reader, writer))

    yield get
    while not idle.empty():
        idle.get_nowait()[1].close()


@asynccontextmanager
async def plivo_client(url: str, path: str, auth: str) -> AsyncIterator[Get]:
    """The server's own client as wired: the rate limiter, the URL checks, aiohttp, the JSON decoding."""
    from plivo_mcp.client import PlivoClient

    auth_id, token = base64.b64decode(auth.removeprefix("Basic ")).decode().split(":", 1)
    client = PlivoClient(url, auth_id, token, rate_limit=100_000)
    try:
        yield lambda: client.get("")
    finally:
        await client.aclose()


CANDIDATES: dict[str, Callable[[str, str, str], Any]] = {
    "httpx 0.28 (before)": httpx_client,
    "httpx2 (the mcp SDK's own)": httpx2_client,
    "httpx + httpx-aiohttp transport": httpx_aiohttp_client,
    "aiohttp": aiohttp_client,
    "plivo-mcp PlivoClient.get (aiohttp + pacing, checks, decoding)": plivo_client,
    "raw asyncio streams (floor)": raw_client,
}
BASELINE = "httpx 0.28 (before)"
NEEDS = {"httpx + httpx-aiohttp transport": ("httpx_aiohttp",)}  # rows whose library the project does not install


async def measure(get: Get, requests: int, concurrency: int) -> tuple[float, float]:
    """CPU seconds and wall seconds for `requests` GETs, `concurrency` at a time."""
    per_worker = requests // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            assert "auth_id" in await get()

    await asyncio.gather(*(worker() for _ in range(concurrency)))  # warm: connections, first-call imports
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.process_time() - cpu0, time.perf_counter() - wall0


async def run(rounds: int, requests: int, concurrency: int, latency_ms: int) -> list[tuple[Any, ...]]:
    cpu_us: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    ratios: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    walls: dict[str, list[float]] = {name: [] for name in CANDIDATES}  # requests/s
    names = [name for name in CANDIDATES if all(find_spec(m) for m in NEEDS.get(name, ()))]
    total = requests // concurrency * concurrency
    with SandboxProcess(latency_ms=latency_ms, rate_limit=100_000) as sb:
        path = f"/v1/Account/{sb.auth_id}/"
        auth = "Basic " + base64.b64encode(f"{sb.auth_id}:{sb.auth_token}".encode()).decode()
        for n in range(rounds):
            this_round: dict[str, float] = {}
            for name in names[n % len(names):] + names[:n % len(names)]:  # rotate: no candidate always first
                async with CANDIDATES[name](sb.url, path, auth) as get:
                    cpu, wall = await measure(get, requests, concurrency)
                this_round[name] = cpu / total * 1e6
                walls[name].append(total / wall)
            for name, us in this_round.items():
                cpu_us[name].append(us)
                ratios[name].append(us / this_round[BASELINE])
    rows = []
    for name in names:
        c, r = cpu_us[name], ratios[name]
        rows.append((name, spread(c, "{:.0f}"), spread(r), f"{statistics.median(walls[name]):.0f}"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=640)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop instead of asyncio's own loop")
    args = parser.parse_args()
    runner: Any = asyncio.run
    if args.uvloop:
        import uvloop

        runner = uvloop.run
    rows = runner(run(args.rounds, args.requests, args.concurrency, args.latency_ms))
    print(table(f"Upstream client CPU per GET: {args.concurrency} concurrent, pool {POOL}, sandbox latency "
                f"{args.latency_ms} ms, {args.rounds} rounds{' on uvloop' if args.uvloop else ''}",
                ["client", "CPU µs per request, min / median / max", f"ratio to {BASELINE}, min / median / max",
                 "requests/s (median)"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
