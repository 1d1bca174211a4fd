"""Streamable HTTP over a real socket: uvicorn on a loopback port, the SDK's HTTP client, the sandbox behind.

Covers the gate (bearer token, /healthz, per-request credential headers), the SDK's Host/Origin checks as
configured here, the refusal to serve a non-loopback bind without a token, and two stateless replicas sharing a
confirmation secret.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from mcp import Client

from plivo_mcp.http_app import allowed_hosts_for, build_http_app, serve_http
from plivo_mcp.sandbox import Sandbox
from plivo_mcp.server import PlivoMCP
from plivo_mcp.shaping import records
from tests.conftest import REPO_ROOT
from tests.helpers import TESTED_TOOLSETS, call, clean_env, server_for, serving, stop_process

pytestmark = pytest.mark.anyio

TOKEN = "test-token-0123456789abcdef"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "raw", "version": "0"}}}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}






@contextmanager
def http_server(sb: Sandbox, **settings: Any) -> Iterator[tuple[str, PlivoMCP]]:
    server = server_for(sb, PLIVO_MCP_HTTP_TOKEN=TOKEN, **settings)
    with serving(build_http_app(server)) as url:
        yield url, server


def mcp_client(url: str, headers: dict[str, str] | None = None, token: str | None = TOKEN,
               mode: str = "auto", elicitation_callback: Any = None) -> Client:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    all_headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    http = httpx2.AsyncClient(headers=all_headers, timeout=30.0)
    return Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode,  # type: ignore[arg-type]
                  elicitation_callback=elicitation_callback)


def post(url: str, headers: dict[str, str], body: dict[str, Any] = INIT) -> httpx.Response:
    return httpx.post(f"{url}/mcp", headers={**MCP_HEADERS, **headers}, content=json.dumps(body), timeout=10)


# --- the gate ---------------------------------------------------------------------------------------------
def test_unauthenticated_and_wrong_tokens_get_401_but_healthz_is_open(sb: Sandbox) -> None:
    with http_server(sb) as (url, _):
        health = httpx.get(f"{url}/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok"

        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789abcdef"},
                        {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": f"Basic {TOKEN}"},
                        {"Authorization": TOKEN}):
            denied = post(url, headers)
            assert denied.status_code == 401, headers
            assert denied.headers["www-authenticate"].startswith("Bearer")
            assert TOKEN not in denied.text
        # Every MCP request, not only POST: a GET on the endpoint is refused before the SDK sees it.
        assert httpx.get(f"{url}/mcp", timeout=10).status_code == 401

        allowed = post(url, {"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200
        assert allowed.headers["content-type"].startswith("application/json")
        assert "mcp-session-id" not in allowed.headers  # stateless
        assert allowed.json()["result"]["serverInfo"]["name"] == "plivo-mcp"


def test_only_post_reaches_the_mcp_endpoint(sb: Sandbox) -> None:
    # Stateless JSON mode: no server-initiated event stream to open (the SDK held a GET open forever), no
    # session to delete. Refused by the gate, answered at once.
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with http_server(sb) as (url, _):
        for method in ("GET", "DELETE", "PUT", "OPTIONS"):
            refused = httpx.request(method, f"{url}/mcp", headers={**MCP_HEADERS, **auth}, timeout=5)
            assert refused.status_code == 405, method
            assert refused.headers["allow"] == "POST" and refused.json()["error"] == "method_not_allowed"
        assert httpx.get(f"{url}/mcp", timeout=5).status_code == 401  # the token is still checked first


def test_bad_host_and_bad_origin_are_rejected(sb: Sandbox) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with http_server(sb) as (url, _):
        assert post(url, {**auth, "Host": "evil.example"}).status_code == 421
        assert post(url, {**auth, "Host": "evil.example:8000"}).status_code == 421
        assert post(url, {**auth, "Origin": "https://evil.example"}).status_code == 403
        assert post(url, {**auth, "Origin": "http://localhost:5173"}).status_code == 200
        assert post(url, {**auth, "Host": "localhost"}).status_code == 200


def test_ambiguous_or_malformed_headers_are_refused(sb: Sandbox) -> None:
    # Two Authorization headers: the gate and the SDK could each read a different one. Refuse, do not pick one.
    auth = ("Authorization", f"Bearer {TOKEN}")
    with http_server(sb) as (url, _):
        for pair in ([("Authorization", "Bearer wrong-token-0123456789abcdef"), auth], [auth, auth]):
            twice = httpx.post(f"{url}/mcp", headers=[*MCP_HEADERS.items(), *pair], content=json.dumps(INIT),
                               timeout=10)
            assert twice.status_code == 400, pair
            assert "Authorization" in twice.json()["hint"]
        sub = {"X-Plivo-Auth-Id": "SA" + "A" * 18, "X-Plivo-Auth-Token": "token-0123456789"}
        doubled = httpx.post(f"{url}/mcp", headers=[*MCP_HEADERS.items(), auth, *sub.items(),
                                                   ("X-Plivo-Auth-Id", "SA" + "B" * 18)],
                             content=json.dumps(INIT), timeout=10)
        assert doubled.status_code == 400 and "X-Plivo-Auth-Id" in doubled.json()["hint"]
        # A port that is not a number: the SDK's `localhost:*` pattern would take anything after the colon.
        for host in ("localhost:evil.example", "127.0.0.1:80:evil.example", "localhost:", "[::1]:x"):
            assert post(url, {"Authorization": f"Bearer {TOKEN}", "Host": host}).status_code == 421, host
        assert post(url, {"Authorization": f"Bearer {TOKEN}", "Origin": "http://localhost:evil.example"}
                    ).status_code == 403
        assert post(url, {"Authorization": f"Bearer {TOKEN}", "Host": "[::1]:8000"}).status_code == 200


def test_wildcard_bind_keeps_host_checks_and_allows_named_hosts(sb: Sandbox) -> None:
    # The SDK would switch the checks off for 0.0.0.0 by itself; here they stay on, with the operator's names.
    server = server_for(sb, PLIVO_MCP_HTTP_TOKEN=TOKEN, PLIVO_MCP_ALLOWED_ORIGINS="https://app.example.com")
    app = build_http_app(server, host="0.0.0.0", allowed_hosts=["mcp.example.com"])
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with serving(app) as url:
        assert post(url, {**auth, "Host": "evil.example"}).status_code == 421
        assert post(url, {**auth, "Host": "mcp.example.com"}).status_code == 200
        assert post(url, {**auth, "Host": "mcp.example.com:443"}).status_code == 200
        assert post(url, {**auth, "Origin": "https://app.example.com"}).status_code == 200
        assert post(url, {**auth, "Origin": "https://app.example.com.evil.example"}).status_code == 403


def test_allowed_hosts_cover_loopback_and_a_concrete_bind_address() -> None:
    hosts = allowed_hosts_for("10.1.2.3", ["mcp.example.com", "proxy.internal:8443"])
    assert {"127.0.0.1:*", "localhost", "localhost:*", "[::1]:*", "10.1.2.3", "10.1.2.3:*",
            "mcp.example.com", "mcp.example.com:*", "proxy.internal:8443"} <= set(hosts)
    assert "proxy.internal:8443:*" not in hosts
    assert "0.0.0.0" not in allowed_hosts_for("0.0.0.0")


def test_refuses_a_non_loopback_bind_without_a_token(sb: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    server = server_for(sb)
    assert serve_http(server, server.config, host="0.0.0.0", port=0) == 2
    assert "PLIVO_MCP_HTTP_TOKEN" in capsys.readouterr().err


def test_a_busy_port_exits_2_with_one_line_naming_it() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        env = clean_env(PLIVO_AUTH_ID="MA" + "A" * 18, PLIVO_AUTH_TOKEN="token-0123456789")
        proc = subprocess.run([sys.executable, "-m", "plivo_mcp", "serve", "--transport", "http", "--port", str(port)],
                              cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "--port" in lines[0], lines
    assert proc.stdout == ""


# --- an MCP client over HTTP --------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_authenticated_client_lists_and_calls_tools(sb: Sandbox, mode: str) -> None:
    sb.store.create_application(sb.auth_id, "http-app", "https://example.com/answer")
    with http_server(sb) as (url, server):
        async with mcp_client(url, mode=mode) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert names == set(server.specs)
            is_error, account = await call(client, "get_account")
            assert not is_error and account["auth_id"] == sb.auth_id
            assert sb.auth_token not in json.dumps(account)
            is_error, apps = await call(client, "list_applications", {"limit": 5})
            assert not is_error and [a["app_name"] for a in records(apps)] == ["http-app"]
            is_error, bad = await call(client, "get_pricing", {"country_iso": "usa"})
            assert is_error and bad["error"]["code"] == "invalid_argument"
            prompts = {p.name for p in (await client.list_prompts()).prompts}
            assert "onboard_customer" in prompts
            account_resource = await client.read_resource("plivo://account")
            assert json.loads(account_resource.contents[0].text)["auth_id"] == sb.auth_id  # type: ignore[union-attr]


async def test_sdk_client_without_token_cannot_connect(sb: Sandbox) -> None:
    with http_server(sb) as (url, _), pytest.raises(BaseException) as caught:
        async with mcp_client(url, token=None) as client:
            await client.list_tools()
    # The SDK reports the 401 as an error response; the raw status is asserted in the test above.
    from mcp.shared.exceptions import MCPError

    assert any(isinstance(e, MCPError) and "error response" in str(e) for e in _leaves(caught.value)), caught.value


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


# --- per-request credentials ------------------------------------------------------------------------------
async def test_request_credentials_act_as_the_caller_when_allowed(sb: Sandbox) -> None:
    sub_id, sub_token = sb.store.create_subaccount(sb.auth_id, "tenant-a")
    tenant = {"X-Plivo-Auth-Id": sub_id, "X-Plivo-Auth-Token": sub_token}
    with http_server(sb, PLIVO_MCP_ALLOW_REQUEST_CREDENTIALS=True) as (url, _):
        async with mcp_client(url, headers=tenant) as client:
            is_error, account = await call(client, "get_account")
            assert not is_error and account["auth_id"] == sub_id
            resource = await client.read_resource("plivo://account")
            assert json.loads(resource.contents[0].text)["auth_id"] == sub_id  # type: ignore[union-attr]
            assert sub_token not in resource.contents[0].text  # type: ignore[union-attr]
        async with mcp_client(url) as client:  # no headers: the server's own account
            _, account = await call(client, "get_account")
            assert account["auth_id"] == sb.auth_id
        wrong = {"X-Plivo-Auth-Id": sub_id, "X-Plivo-Auth-Token": "not-the-token-123"}
        async with mcp_client(url, headers=wrong) as client:
            is_error, body = await call(client, "get_account")
            assert is_error and body["error"]["code"] == "auth_failed"
            assert "not-the-token-123" not in json.dumps(body)

        auth = {"Authorization": f"Bearer {TOKEN}"}
        half = post(url, {**auth, "X-Plivo-Auth-Id": sub_id})
        assert half.status_code == 400 and "both" in half.json()["hint"]
        malformed = post(url, {**auth, "X-Plivo-Auth-Id": "nope", "X-Plivo-Auth-Token": sub_token})
        assert malformed.status_code == 400


async def test_request_credentials_are_refused_unless_enabled(sb: Sandbox) -> None:
    sub_id, sub_token = sb.store.create_subaccount(sb.auth_id, "tenant-b")
    with http_server(sb) as (url, _):
        refused = post(url, {"Authorization": f"Bearer {TOKEN}", "X-Plivo-Auth-Id": sub_id,
                             "X-Plivo-Auth-Token": sub_token})
        assert refused.status_code == 400
        assert "PLIVO_MCP_ALLOW_REQUEST_CREDENTIALS" in refused.json()["hint"]
        assert sub_token not in refused.text


async def test_multi_tenant_server_without_its_own_account_needs_request_credentials(sb: Sandbox) -> None:
    from plivo_mcp.config import load_settings
    from plivo_mcp.server import build_server

    config = load_settings(PLIVO_AUTH_ID="", PLIVO_AUTH_TOKEN="", PLIVO_API_URL=sb.base_url,
                           PLIVO_MCP_HTTP_TOKEN=TOKEN, PLIVO_MCP_ALLOW_REQUEST_CREDENTIALS=True)
    sub_id, sub_token = sb.store.create_subaccount(sb.auth_id, "tenant-c")
    with serving(build_http_app(build_server(config))) as url:
        async with mcp_client(url) as client:
            is_error, body = await call(client, "get_account")
            assert is_error and body["error"]["code"] == "auth_failed"
            assert "X-Plivo-Auth-Id" in body["error"]["hint"]
        async with mcp_client(url, headers={"X-Plivo-Auth-Id": sub_id, "X-Plivo-Auth-Token": sub_token}) as client:
            is_error, account = await call(client, "get_account")
            assert not is_error and account["auth_id"] == sub_id


# --- two replicas -----------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def replicas(sb: Sandbox, secrets: list[str]) -> Iterator[list[str]]:
    """One `plivo-mcp serve --transport http` process per confirm secret, all pointed at the test's sandbox."""
    procs: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        for secret in secrets:  # start them all before waiting: their imports overlap
            port = _free_port()
            env = {**os.environ, "PLIVO_AUTH_ID": sb.auth_id, "PLIVO_AUTH_TOKEN": sb.auth_token,
                   "PLIVO_API_URL": sb.base_url, "PLIVO_MCP_HTTP_TOKEN": TOKEN,
                   "PLIVO_MCP_CONFIRM_SECRET": secret, "PLIVO_MCP_LOG_LEVEL": "warning",
                   "PLIVO_MCP_TOOLSETS": TESTED_TOOLSETS,
                   # No Redis here: this test is about the shared key (test_scale_out.py shares single use too).
                   "PLIVO_MCP_ACCEPT_PER_PROCESS_SINGLE_USE": "1"}
            proc = subprocess.Popen(
                [sys.executable, "-m", "plivo_mcp", "serve", "--transport", "http", "--port", str(port)],
                cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            procs.append((proc, f"http://127.0.0.1:{port}"))
        deadline = time.monotonic() + 30
        for proc, url in procs:
            while True:  # readiness: each process must import and bind; poll its health endpoint, bounded
                if proc.poll() is not None:
                    raise AssertionError(f"replica exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError("replica did not become healthy in 30 s")
                time.sleep(0.05)
        yield [url for _, url in procs]
    finally:
        for proc, _ in procs:
            proc.terminate()
        for proc, _ in procs:
            stop_process(proc, timeout=10, terminate=False)
            proc.stderr.close()  # type: ignore[union-attr]


@pytest.mark.slow
async def test_confirmation_token_from_one_replica_is_accepted_by_another(sb: Sandbox) -> None:
    endpoint_id = sb.store.create_endpoint(sb.auth_id, "replicauser", "s3cret-Passw0rd", "replica endpoint")
    shared = "shared-confirm-secret-0123456789abcdef"
    with replicas(sb, [shared, shared, "another-secret-0123456789abcdef"]) as (url_a, url_b, url_other):
        async with mcp_client(url_a) as client_a:
            is_error, preview = await call(client_a, "delete_endpoint", {"endpoint_id": endpoint_id})
        assert not is_error, preview
        assert preview.get("status") == "confirmation_required", preview
        token = preview["confirmation_token"]
        assert _endpoint_ids(sb) == {endpoint_id}  # the preview did nothing

        # A replica with a different secret cannot verify the token: it refuses and deletes nothing.
        async with mcp_client(url_other) as client_other:
            is_error, refused = await call(client_other, "delete_endpoint",
                                                {"endpoint_id": endpoint_id, "confirmation_token": token})
        assert is_error or refused.get("status") == "confirmation_required", refused
        assert _endpoint_ids(sb) == {endpoint_id}

        async with mcp_client(url_b) as client_b:
            is_error, done = await call(client_b, "delete_endpoint",
                                             {"endpoint_id": endpoint_id, "confirmation_token": token})
        assert not is_error, done
        assert _endpoint_ids(sb) == set()


def _endpoint_ids(sb: Sandbox) -> set[str]:
    return {row["endpoint_id"] for row in sb.store.snapshot()["endpoints"]}


async def test_guarded_delete_asks_the_person_over_stateless_http(sb: Sandbox) -> None:
    """Hosted agents: on the 2026 protocol the question rides an input_required result, no back-channel needed."""
    from mcp.types import ElicitResult

    endpoint_id = sb.store.create_endpoint(sb.auth_id, "remote", "password9", "Remote desk")
    username = next(e["username"] for e in sb.store.snapshot()["endpoints"] if e["endpoint_id"] == endpoint_id)
    asked: list[str] = []

    async def person(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="decline" if len(asked) == 1 else "accept", content={"confirm": username})

    with http_server(sb) as (url, _):
        async with mcp_client(url, elicitation_callback=person) as client:
            is_error, refused = await call(client, "delete_endpoint", {"endpoint_id": endpoint_id})
            assert is_error and refused["error"]["code"] == "not_confirmed"
            assert endpoint_id in {e["endpoint_id"] for e in sb.store.snapshot()["endpoints"]}
            is_error, done = await call(client, "delete_endpoint", {"endpoint_id": endpoint_id})
    assert not is_error and done["deleted"] == endpoint_id
    assert f"Type {username} to confirm" in asked[-1]
    assert endpoint_id not in {e["endpoint_id"] for e in sb.store.snapshot()["endpoints"]}
