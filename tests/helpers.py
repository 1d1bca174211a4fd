"""Helpers shared by tests that drive the server through an MCP client."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from mcp import Client

from bench._util import stop_process  # noqa: F401  (one copy, shared with the benchmarks)
from plivo_mcp.client import Answer, PlivoClient
from plivo_mcp.config import load_settings
from plivo_mcp.sandbox import Sandbox
from plivo_mcp.server import PlivoMCP, build_server

# What the tool tests are served unless they name toolsets: the default ones plus the configuration toolsets that
# are off by default since the catalog (issue 17) capped the default surface, so that the tests of those tools
# and of the guard (applications are its usual subject) keep exercising them. Tests of the default surface itself
# build their servers without this (tests/test_toolsets.py, tests/test_tool_surface.py).
TESTED_TOOLSETS = "default,subaccounts,applications,endpoints"


def server_for(sandbox: Sandbox, auth_id: str | None = None, auth_token: str | None = None,
               **overrides: Any) -> PlivoMCP:
    overrides.setdefault("PLIVO_MCP_RETRY_BASE_S", 0.005)  # retries back off, but tests must stay fast
    if "PLIVO_MCP_TOOLS" not in overrides:
        overrides.setdefault("PLIVO_MCP_TOOLSETS", TESTED_TOOLSETS)
    overrides.setdefault("PLIVO_LOOKUP_URL", sandbox.base_url)  # the sandbox serves the Lookup API's host too
    config = load_settings(PLIVO_AUTH_ID=auth_id or sandbox.auth_id,
                           PLIVO_AUTH_TOKEN=auth_token or sandbox.auth_token,
                           PLIVO_API_URL=sandbox.base_url, **overrides)
    return build_server(config)


async def call(client: Client, name: str, args: dict[str, Any] | None = None) -> tuple[bool, dict[str, Any]]:
    """Call a tool; return (is_error, the JSON answer the assistant reads)."""
    result = await client.call_tool(name, args or {})
    text = result.content[0].text  # type: ignore[union-attr]
    return bool(result.is_error), json.loads(text)


def forged_signature(body: str, signature: str) -> str:
    """A token with the same claims and a signature that is certainly wrong. (Overwriting its last two characters
    with "AA" left it valid about once in a thousand runs: the signature sometimes ends in "AA" already.)"""
    return f"{body}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def clean_answer(text: str) -> dict[str, Any]:
    """A tool answer's text: never a traceback or the SDK's generic failure text, always JSON."""
    assert "Traceback" not in text and "Error executing tool" not in text, text[:300]
    return json.loads(text)


async def ok(client: Client, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    is_error, data = await call(client, name, args)
    assert not is_error, data
    return data


async def err(client: Client, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    is_error, data = await call(client, name, args)
    assert is_error, data
    return data["error"]


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve an ASGI app (the MCP HTTP app in tests) on a loopback port for the block; yields its base URL."""
    from plivo_mcp.sandbox.runner import ServerThread

    server = ServerThread(app, lifespan="on", name="test-http")
    try:
        yield server.start()
    finally:
        server.stop()


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any PLIVO* variable, plus `extra`: for a server subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO")}
    return {**env, **extra}


def inject(sb: Sandbox, fault: str, method: str, times: int = 1) -> None:
    """Make the sandbox fail the next `times` requests of `method`: a status ("429"...), "drop" or "malformed"."""
    if fault == "drop":
        sb.faults.drop_connections(times, methods={method})
    elif fault == "malformed":
        sb.faults.malformed_bodies(times, methods={method})
    else:
        sb.faults.push_statuses([int(fault)] * times, retry_after=1, methods={method})


def record_sleeps(client: PlivoClient) -> list[float]:
    """The waits the client's retry policy asks for, recorded instead of slept (Retry-After would be 1 s)."""
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    client._sleep = no_sleep
    return waits


class MockUpstream:
    """The client's transport (plivo_mcp.client.Transport) answered by an httpx MockTransport handler, which
    takes an httpx.Request and returns an httpx.Response: for answers the sandbox cannot produce."""

    def __init__(self, handler: Any) -> None:
        self._http = httpx.AsyncClient(transport=httpx.MockTransport(handler))

    async def send(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        import aiohttp

        try:
            response = await self._http.request(method, url, content=body, headers=headers)
        # A handler raising httpx's wire failures stands for the client's own (aiohttp's) failure of that kind.
        except httpx.ConnectTimeout as exc:
            raise aiohttp.ConnectionTimeoutError(str(exc)) from exc
        except httpx.TimeoutException as exc:
            raise aiohttp.SocketTimeoutError(str(exc)) from exc
        except httpx.TransportError as exc:
            raise aiohttp.ServerDisconnectedError(str(exc)) from exc
        return Answer(response.status_code, response.headers, response.content)

    async def aclose(self) -> None:
        await self._http.aclose()


def talk_to_mock(client: PlivoClient, handler: Any) -> None:
    """Point the client at an httpx MockTransport handler: for answers the sandbox cannot produce. Call inside
    the loop."""
    client._pool._http = MockUpstream(handler)
    client._pool._loop = asyncio.get_running_loop()


class WireRecorder:
    """ASGI wrapper around the sandbox app that keeps what each request carried on the wire."""

    def __init__(self, app: Any) -> None:
        self.app, self.requests = app, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        # The whole body is read here, whether or not the app reads it (a path it does not route, say).
        chunks: list[bytes] = []
        message = {"more_body": True}
        while message.get("more_body"):
            message = await receive()
            chunks.append(message.get("body", b""))
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: a disconnect, when it comes
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        self.requests.append({"method": scope["method"], "path": scope["path"], "query": scope["query_string"],
                              "headers": dict(scope["headers"]), "body": chunks})
        await self.app(scope, replay, send)
