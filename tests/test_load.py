"""Load: many concurrent tool calls with upstream faults switched on, in memory and over streamable HTTP.

Every call is answered (a result or a clean error), no update is lost or applied twice, writes are never
rate-limited (the client paces itself under the sandbox's limit), and memory stays flat from round to round.
Also the sandbox on its own under concurrent writers.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import random
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import Client

from plivo_mcp.sandbox import Sandbox
from tests.helpers import clean_answer, server_for, serving

pytestmark = pytest.mark.anyio

# The sandbox enforces 300 requests per second and the server paces to the same (Plivo's 300 per 5 s,
# compressed to keep the test short): any write that slipped past the pacing would come back as a 429.
RATE = {"rate_limit": 300, "rate_window_s": 1.0}
PACING = {"PLIVO_MCP_RATE_LIMIT": 300, "PLIVO_MCP_RATE_WINDOW_S": 1.0}
POST_FAULTS = 3



@pytest.fixture
def sb() -> Iterator[Sandbox]:
    sandbox = Sandbox(db=":memory:", **RATE)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def switch_faults_on(sb: Sandbox) -> None:
    # No Retry-After on these 429s: the backoff is then the (test-sized) base delay, not whole seconds.
    sb.faults.push_statuses([503, 429, 502, 504] * 5, retry_after=None, methods={"GET"})
    sb.faults.drop_connections(4, methods={"GET"})
    sb.faults.malformed_bodies(4, methods={"GET"})
    sb.faults.push_statuses([503] * POST_FAULTS, methods={"POST"})
    sb.faults.latency_ms = 2


async def one_round(client: Client, sb: Sandbox, tag: str, writes: int, reads: int) -> None:
    """`writes` updates of distinct apps, `writes` creates and `reads` reads, all at once, faults on."""
    original = "https://example.com/original"
    apps = [sb.store.create_application(sb.auth_id, f"{tag}_{i}", original) for i in range(writes)]
    calls: list[tuple[str, dict[str, Any]]] = []
    calls += [("update_application", {"app_id": a, "answer_url": f"https://example.com/{tag}/{i}"})
              for i, a in enumerate(apps)]
    calls += [("create_subaccount", {"name": f"{tag}-sub-{i}"}) for i in range(writes)]
    reads_menu = [("get_application", {"app_id": apps[0]}), ("list_applications", {"limit": 5}),
                  ("get_account", {}), ("list_subaccounts", {"limit": 3})]
    calls += [reads_menu[i % len(reads_menu)] for i in range(reads)]
    random.Random(tag).shuffle(calls)
    switch_faults_on(sb)
    try:
        results = await asyncio.gather(*[client.call_tool(name, args) for name, args in calls])
    finally:
        sb.faults.clear()

    answers = []
    for (name, args), result in zip(calls, results, strict=True):
        data = clean_answer(result.content[0].text)
        if result.is_error:
            assert data["error"]["code"] not in ("internal_error",) and data["error"]["hint"], data
        answers.append((name, args, bool(result.is_error), data))
    write_failures = [d["error"] for n, _, e, d in answers if e and not n.startswith(("get_", "list_"))]
    # Exactly the injected POST faults failed; pacing kept every write clear of the rate limit.
    assert len(write_failures) == POST_FAULTS, write_failures
    assert all(f["status"] == 503 for f in write_failures)
    state = sb.store.snapshot()
    by_id = {row["app_id"]: row for row in state["applications"]}
    for name, args, is_error, _ in answers:
        if name == "update_application":
            assert by_id[args["app_id"]]["answer_url"] == (original if is_error else args["answer_url"])
    created = [row["name"] for row in state["accounts"] if row["name"].startswith(f"{tag}-sub-")]
    succeeded = [args["name"] for name, args, is_error, _ in answers if name == "create_subaccount" and not is_error]
    assert sorted(created) == sorted(succeeded)  # none lost, none made twice


async def test_concurrent_calls_in_memory_with_faults_and_flat_memory(sb: Sandbox) -> None:
    async with Client(server_for(sb, **PACING)) as client:
        await one_round(client, sb, "warm", writes=40, reads=120)
        live_objects = []
        for tag in ("second", "third", "fourth"):
            await one_round(client, sb, tag, writes=40, reads=120)
            gc.collect()
            live_objects.append(len(gc.get_objects()))
    # Identical rounds of 200 calls: anything kept per call (a result, a context, a task) would grow this by at
    # least 200 in *every* round. A bounded structure filling up (the connection pool opening its last
    # connections when a loaded machine stretches a round) grows it once; so the smaller step is the one judged.
    steps = [after - before for before, after in itertools.pairwise(live_objects)]
    assert min(steps) < 200, live_objects




async def test_concurrent_calls_over_http_with_faults(sb: Sandbox) -> None:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    from plivo_mcp.http_app import build_http_app

    app = build_http_app(server_for(sb, **PACING))
    with serving(app) as url:
        http = httpx2.AsyncClient(timeout=60.0, limits=httpx2.Limits(max_connections=64))
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:  # type: ignore[arg-type]
            await one_round(client, sb, "http", writes=20, reads=60)


def test_sandbox_under_concurrent_writers(sb: Sandbox) -> None:
    """Writers on several threads over HTTP plus one writing to the store directly: nothing lost or malformed."""
    threads, per_thread = 6, 15
    problems: list[str] = []
    made: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)

    def http_writer(n: int) -> None:
        with httpx.Client(base_url=f"{sb.base_url}/v1/Account/{sb.auth_id}", auth=(sb.auth_id, sb.auth_token),
                          timeout=30.0) as api:
            start.wait()
            for i in range(per_thread):
                r = api.post("/Application/", json={"app_name": f"w{n}_{i}", "answer_url": "https://e.com/a"})
                body = r.json()  # every response is JSON
                if r.status_code != 201 or not body.get("app_id"):
                    problems.append(f"{r.status_code} {body}")
                    continue
                u = api.post("/", json={"city": f"city-{n}-{i}"})
                if u.status_code != 202 or u.json().get("message") != "changed":
                    problems.append(f"account update {u.status_code} {u.text[:100]}")
                with lock:
                    made.append(body["app_id"])

    def store_writer() -> None:
        start.wait()
        for i in range(per_thread):
            made_here = sb.store.create_application(sb.auth_id, f"direct_{i}", "https://e.com/d")
            with lock:
                made.append(made_here)

    workers = [threading.Thread(target=http_writer, args=(n,)) for n in range(threads - 1)]
    workers.append(threading.Thread(target=store_writer))
    for w in workers:
        w.start()
    start.wait()
    for w in workers:
        w.join(60)
    assert problems == []
    apps = sb.store.snapshot()["applications"]
    assert len(made) == len(set(made)) == threads * per_thread
    assert sorted(a["app_id"] for a in apps) == sorted(made)
