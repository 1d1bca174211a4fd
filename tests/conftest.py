"""Shared fixtures: `anyio_backend` (asyncio), `sb` (a fresh sandbox per test, for tests that count or compare
state), `client` (an MCP client on a server wired to `sb`), `sandbox` (one per session, for read-mostly tests),
and `plivo_for(sb, auth_id=None, auth_token=None)`, an official plivo SDK client pointed at a sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from plivo_mcp.sandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = REPO_ROOT.parent / "shared" / "plivo-api" / "fixtures"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A fresh sandbox on a free loopback port: the state each test asserts on is its own."""
    with Sandbox(db=":memory:") as sandbox:
        yield sandbox


@pytest.fixture
async def client(sb: Sandbox) -> AsyncIterator[Client]:
    """An in-memory MCP client on a server wired to `sb` (a module may override `sb` with its own sandbox)."""
    from tests.helpers import server_for

    async with Client(server_for(sb)) as c:
        yield c


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(db=":memory:", auth_id=None, auth_token=None)
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def plivo_for(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Factory: plivo.RestClient for a sandbox (main account unless other credentials are given)."""
    import plivo
    import plivo.rest.client as rc

    def make(sb: Sandbox, auth_id: str | None = None, auth_token: str | None = None) -> Any:
        base = f"{sb.base_url}/v1/Account"
        for name in ("PLIVO_API_BASE_URI", "API_VOICE_BASE_URI", "API_VOICE_BASE_URI_FALLBACK_1",
                     "API_VOICE_BASE_URI_FALLBACK_2"):
            monkeypatch.setattr(rc, name, base)
        return plivo.RestClient(auth_id or sb.auth_id, auth_token or sb.auth_token)

    return make


@pytest.fixture
def http_for() -> Iterator[Callable[..., Any]]:
    """Factory: httpx.Client whose base URL is `{sandbox}/v1/Account/{auth_id}` with BasicAuth set."""
    import httpx

    clients: list[httpx.Client] = []

    def make(sb: Sandbox, auth_id: str | None = None, auth_token: str | None = None) -> httpx.Client:
        aid = auth_id or sb.auth_id
        client = httpx.Client(base_url=f"{sb.base_url}/v1/Account/{aid}", auth=(aid, auth_token or sb.auth_token),
                              timeout=10.0)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()
