"""Shared state through a real Redis, in one process: the atomic record of spent tokens, the shared pacing, the
guard failing closed while Redis is away (one log line per outage), start-up refusals and settings.

Cross-process behaviour (two real servers over HTTP, workers, a Redis outage mid-run) is in test_scale_out.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Iterator

import pytest
import structlog
from mcp import Client

from plivo_mcp.cli import main
from plivo_mcp.client import PlivoClient
from plivo_mcp.config import ConfigError, load_settings
from plivo_mcp.sandbox import Sandbox
from plivo_mcp.server import build_server
from plivo_mcp.shared_state import CLOCK_MARGIN_S, RedisState, RedisUsedTokens, SharedRateLimiter, start_problem
from plivo_mcp.workers import serve_workers
from tests.helpers import err, ok, server_for
from tests.redis_server import RedisServer, free_port

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


def state(url: str, prefix: str = "t") -> RedisState:
    """A RedisState of its own (its own pools), as another process would have."""
    return RedisState(url, prefix)


# --- spent tokens -------------------------------------------------------------------------------------------
async def test_reserve_is_atomic_across_pools_and_expires_with_the_token(redis: RedisServer) -> None:
    first, second = state(redis.url, "atomic"), state(redis.url, "atomic")
    now = time.time()
    stores = [RedisUsedTokens(first), RedisUsedTokens(second)]
    results = await asyncio.gather(*[stores[i % 2].reserve("nonce-a", now + 30) for i in range(40)])
    assert sorted(results) == [False] * 39 + [True]

    ttl_ms = await first.run(lambda r: r.pttl(first.key("used", "nonce-a")))
    assert 0 < ttl_ms <= (30 + CLOCK_MARGIN_S) * 1000  # the token's remaining life (plus the clock margin)
    assert ttl_ms > (30 + CLOCK_MARGIN_S - 10) * 1000

    await stores[1].release("nonce-a")  # a call that did nothing gives the token back
    assert await stores[0].reserve("nonce-a", now + 30)
    assert not await stores[1].reserve("nonce-a", now + 30)
    await first.aclose()
    await second.aclose()


async def test_the_guard_keeps_tokens_single_use_across_servers_sharing_redis(redis: RedisServer, sb: Sandbox) -> None:
    endpoint_id = sb.store.create_endpoint(sb.auth_id, "shareduser", "s3cret-Passw0rd", "shared endpoint")
    settings = {"PLIVO_MCP_REDIS_URL": redis.url, "PLIVO_MCP_REDIS_PREFIX": "guard-test",
                "PLIVO_MCP_CONFIRM_SECRET": "one-secret-for-both-0123456789"}
    first, second = server_for(sb, **settings), server_for(sb, **settings)
    args = {"endpoint_id": endpoint_id}
    async with Client(first) as a, Client(second) as b:
        token = (await ok(a, "delete_endpoint", args))["confirmation_token"]
        await ok(a, "delete_endpoint", {**args, "confirmation_token": token})
        refused = await err(b, "delete_endpoint", {**args, "confirmation_token": token})
    # Refused as spent (not merely because the endpoint is gone): the other server saw the record.
    assert refused["code"] == "invalid_confirmation" and "already been used" in refused["error"]


# --- Redis away: the guard fails closed, reads go on, one log line ---------------------------------------------
async def test_guard_fails_closed_and_reads_go_on_while_redis_is_away(sb: Sandbox) -> None:
    down = RedisServer(port=free_port())  # not started yet: nothing listens on its port
    url = f"redis://:redis-pass-0123456789@127.0.0.1:{down.port}/0"
    endpoint_id = sb.store.create_endpoint(sb.auth_id, "awayuser", "s3cret-Passw0rd", "away endpoint")
    server = server_for(sb, PLIVO_MCP_REDIS_URL=url, PLIVO_MCP_REDIS_PREFIX="away")
    shared = server.guard.used._state  # type: ignore[attr-defined]
    shared.retry_interval_s = 0.0  # every call asks Redis again: still one log line for the outage
    args = {"endpoint_id": endpoint_id}
    with structlog.testing.capture_logs() as logs:
        async with Client(server) as client:
            account = await ok(client, "get_account")  # pacing falls back to this process
            assert account["auth_id"] == sb.auth_id
            token = (await ok(client, "delete_endpoint", args))["confirmation_token"]  # a preview acts on nothing
            for _ in range(3):
                error = await err(client, "delete_endpoint", {**args, "confirmation_token": token})
                assert error["code"] == "unavailable" and "nothing was done" in error["error"]
                assert error["status"] == 503
            assert endpoint_id in {e["endpoint_id"] for e in sb.store.snapshot()["endpoints"]}

            with down:  # Redis comes back: the same token acts, once
                await ok(client, "delete_endpoint", {**args, "confirmation_token": token})
                again = await err(client, "delete_endpoint", {**args, "confirmation_token": token})
                assert "already been used" in again["error"]
                await shared.aclose()
    outage_lines = [e for e in logs if e["event"] == "redis_unavailable"]
    assert len(outage_lines) == 1, logs
    assert [e["event"] for e in logs].count("redis_available") == 1
    assert "redis-pass-0123456789" not in json.dumps(logs, default=str) + json.dumps(error)


# --- shared pacing ------------------------------------------------------------------------------------------
async def test_two_pools_share_one_budget_so_writes_never_meet_a_429(redis: RedisServer) -> None:
    # Writes are never retried, so any 429 would surface. Two clients with their own Redis pools (as two
    # processes would have) against a sandbox that allows 6 per 0.3 s.
    with Sandbox(db=":memory:", rate_limit=6, rate_window_s=0.3) as sb:
        app_id = sb.store.create_application(sb.auth_id, "shared", "https://example.com/a")
        clients = [PlivoClient(sb.base_url, sb.auth_id, sb.auth_token, rate_limit=6, rate_window_s=0.3,
                               shared=state(redis.url, "pacing")) for _ in range(2)]
        assert all(isinstance(c.limiter, SharedRateLimiter) for c in clients)
        results = await asyncio.gather(*[
            clients[i % 2].post(f"Application/{app_id}/", {"answer_url": f"https://example.com/{i}"})
            for i in range(24)], return_exceptions=True)
        assert [r for r in results if isinstance(r, Exception)] == []
        for c in clients:
            await c.aclose()
            await c._shared.aclose()  # type: ignore[union-attr]


async def test_pacing_falls_back_to_the_process_when_redis_is_away(sb: Sandbox) -> None:
    away = RedisState(f"redis://127.0.0.1:{free_port()}/0", "fallback")
    client = PlivoClient(sb.base_url, sb.auth_id, sb.auth_token, shared=away)
    with structlog.testing.capture_logs() as logs:
        answers = await asyncio.gather(*[client.get("") for _ in range(5)])
    assert all(a["auth_id"] == sb.auth_id for a in answers)
    assert [e["event"] for e in logs].count("redis_unavailable") == 1
    await client.aclose()


# --- start-up and settings ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("argv", "env", "expected"), [
    (["--transport", "http", "--workers", "2"], {}, "--workers 2 without PLIVO_MCP_REDIS_URL"),
    (["--transport", "http"], {"PLIVO_MCP_CONFIRM_SECRET": "shared-secret-0123456789"},
     "PLIVO_MCP_CONFIRM_SECRET without PLIVO_MCP_REDIS_URL"),
    ([], {"PLIVO_MCP_CONFIRM_SECRET": "shared-secret-0123456789"},
     "PLIVO_MCP_CONFIRM_SECRET without PLIVO_MCP_REDIS_URL"),
    (["--workers", "2"], {"PLIVO_MCP_REDIS_URL": "redis://127.0.0.1:1/0"}, "--workers needs --transport http"),
])
def test_start_is_refused_without_shared_single_use(argv: list[str], env: dict[str, str], expected: str,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    for name in [n for n in os.environ if n.startswith("PLIVO")]:
        monkeypatch.delenv(name)
    for name, value in {"PLIVO_AUTH_ID": "MA" + "A" * 18, "PLIVO_AUTH_TOKEN": "token-0123456789", **env}.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", *argv]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines


def test_start_problem_allows_what_is_safe() -> None:
    base = {"PLIVO_AUTH_ID": "MA" + "A" * 18, "PLIVO_AUTH_TOKEN": "token-0123456789"}
    plain = load_settings(**base)
    assert start_problem(plain, workers=1, transport="stdio") is None  # random key: tokens die with the process
    assert start_problem(plain, workers=1, transport="http") is None
    with_redis = load_settings(**base, PLIVO_MCP_REDIS_URL="redis://127.0.0.1:6379/0",
                               PLIVO_MCP_CONFIRM_SECRET="shared-secret-0123456789")
    assert start_problem(with_redis, workers=4, transport="http") is None
    accepted = load_settings(**base, PLIVO_MCP_ACCEPT_PER_PROCESS_SINGLE_USE="1",
                             PLIVO_MCP_CONFIRM_SECRET="shared-secret-0123456789")
    assert start_problem(accepted, workers=2, transport="http") is None


def test_redis_url_without_the_redis_package_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "redis" else real(name, *a))
    config = load_settings(PLIVO_AUTH_ID="MA" + "A" * 18, PLIVO_AUTH_TOKEN="token-0123456789",
                           PLIVO_MCP_REDIS_URL="redis://127.0.0.1:6379/0")
    problem = start_problem(config, workers=2, transport="http")
    assert problem is not None and "pip install 'plivo-mcp[redis]'" in problem


def test_workers_refuse_a_port_another_server_listens_on(capsys: pytest.CaptureFixture[str]) -> None:
    # The workers' SO_REUSEPORT sockets would otherwise join the other server's port silently.
    config = load_settings(PLIVO_AUTH_ID="MA" + "A" * 18, PLIVO_AUTH_TOKEN="token-0123456789",
                           PLIVO_MCP_REDIS_URL="redis://127.0.0.1:1/0")
    with socket.socket() as other:  # as another server's worker would hold it
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        assert serve_workers(config, build_server, host="127.0.0.1", port=port, workers=2) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    # Workers keep the single server's rule: no bind off loopback without a bearer token.
    assert serve_workers(config, build_server, host="0.0.0.0", port=0, workers=2) == 2
    assert "without PLIVO_MCP_HTTP_TOKEN" in capsys.readouterr().err


def test_workers_must_be_a_small_positive_number(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("0", "-1", "many", "65"):
        with pytest.raises(SystemExit) as exited:
            main(["serve", "--transport", "http", "--workers", bad])
        assert exited.value.code == 2
        assert "--workers" in capsys.readouterr().err


@pytest.mark.parametrize(("name", "value"), [("PLIVO_MCP_REDIS_URL", "http://127.0.0.1:6379"),
                                             ("PLIVO_MCP_REDIS_URL", "redis://has space"),
                                             ("PLIVO_MCP_REDIS_PREFIX", "bad prefix!")])
def test_bad_redis_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(PLIVO_AUTH_ID="MA" + "A" * 18, PLIVO_AUTH_TOKEN="token-0123456789", **{name: value})
    assert str(raised.value).startswith(f"{name}:")

