"""PlivoClient against the sandbox over loopback HTTP: retries, pacing, timeouts, path safety, bad bodies.

Faults the sandbox cannot produce (an empty 200, an unexpected status, an HTML 500) use httpx's MockTransport.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from plivo_mcp.client import PlivoClient, checked_path, path_segment
from plivo_mcp.errors import PlivoToolError
from plivo_mcp.ratelimit import RateLimiter
from plivo_mcp.sandbox import Sandbox
from tests.helpers import WireRecorder, inject, record_sleeps, serving, talk_to_mock

pytestmark = pytest.mark.anyio


class RecordingClient(PlivoClient):
    """Records every backoff the retry policy asks for and skips the actual sleep."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("retry_base_s", 0.01)
        super().__init__(*args, **kwargs)
        self.waits = record_sleeps(self)


def client_for(sb: Sandbox, **kwargs: Any) -> RecordingClient:
    return RecordingClient(sb.base_url, sb.auth_id, sb.auth_token, **kwargs)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_get_recovers_from_transient_status(sb: Sandbox, status: int) -> None:
    client = client_for(sb)
    sb.faults.push_statuses([status, status], retry_after=1, methods={"GET"})
    before = sb.request_count
    data = await client.get("")
    assert data["auth_id"] == sb.auth_id
    assert sb.request_count - before == 3
    assert len(client.waits) == 2
    if status == 429:
        assert all(w >= 1.0 for w in client.waits)  # Retry-After honoured


async def test_get_recovers_from_dropped_connection_and_malformed_body(sb: Sandbox) -> None:
    client = client_for(sb)
    sb.faults.drop_connections(1, methods={"GET"})
    sb.faults.malformed_bodies(1, methods={"GET"})
    before = sb.request_count
    assert (await client.get(""))["auth_id"] == sb.auth_id
    assert sb.request_count - before == 3


async def test_get_gives_up_after_three_attempts_and_says_so(sb: Sandbox) -> None:
    client = client_for(sb)
    sb.faults.push_statuses([429] * 3, retry_after=1, methods={"GET"})
    before = sb.request_count
    with pytest.raises(PlivoToolError) as caught:
        await client.get("")
    error = caught.value.to_body()
    assert sb.request_count - before == 3
    assert error["code"] == "rate_limited" and error["status"] == 429
    assert error["retried"] == 2 and error["retry_after_seconds"] == 1.0
    assert "3 attempts" in error["error"]


async def test_retry_after_beyond_the_cap_is_handed_to_the_caller(sb: Sandbox) -> None:
    client = client_for(sb, retry_max_wait_s=0.5)
    sb.faults.push_statuses([429], retry_after=30, methods={"GET"})
    before = sb.request_count
    with pytest.raises(PlivoToolError) as caught:
        await client.get("")
    assert sb.request_count - before == 1 and client.waits == []
    assert caught.value.to_body()["retry_after_seconds"] == 30.0


async def test_server_error_500_is_not_retried(sb: Sandbox) -> None:
    client = client_for(sb)
    sb.faults.push_statuses([500], methods={"GET"})
    before = sb.request_count
    with pytest.raises(PlivoToolError) as caught:
        await client.get("")
    assert sb.request_count - before == 1
    assert caught.value.code == "upstream_error" and caught.value.status == 500


@pytest.mark.parametrize("fault", ["429", "503", "drop", "malformed"])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_writes_are_sent_exactly_once(sb: Sandbox, method: str, fault: str) -> None:
    client = client_for(sb)
    app_id = sb.store.create_application(sb.auth_id, "target", "https://example.com/a")
    inject(sb, fault, method)
    before = sb.request_count
    with pytest.raises(PlivoToolError) as caught:
        if method == "POST":
            await client.post(f"Application/{app_id}/", {"answer_url": "https://example.com/new"})
        else:
            await client.delete(f"Application/{app_id}/")
    assert sb.request_count - before == 1 and client.waits == []
    body = caught.value.to_body()
    assert body["code"] in ("rate_limited", "upstream_error") and "retried" not in body
    if fault in ("drop", "malformed"):
        assert "check" in body["hint"]  # the write may have happened


async def test_read_timeout_is_clear_and_not_retried(sb: Sandbox) -> None:
    client = client_for(sb, timeout_s=0.05)
    sb.faults.latency_ms = 500
    before = sb.request_count
    with pytest.raises(PlivoToolError) as caught:
        await client.get("")
    assert caught.value.code == "timeout"
    assert sb.request_count - before == 1


async def test_connection_refused_is_retried_then_clear() -> None:
    client = RecordingClient("http://127.0.0.1:9", "MA" + "A" * 18, "token-xyz")
    with pytest.raises(PlivoToolError) as caught:
        await client.get("")
    assert caught.value.code == "upstream_error" and caught.value.extra["retried"] == 2
    assert len(client.waits) == 2


def mocked(handler: Any, **kwargs: Any) -> RecordingClient:
    client = RecordingClient("http://plivo.invalid", "MA" + "B" * 18, "token-abc", **kwargs)
    talk_to_mock(client, handler)
    return client


@pytest.mark.parametrize(("status", "body", "code"), [
    (200, b"", "upstream_error"),
    (200, b"[1, 2]", "upstream_error"),
    (200, b"\xff\xfe not utf-8", "upstream_error"),
    (418, b"I'm a teapot", "upstream_error"),
    (500, b"<html><body>Internal Server Error</body></html>", "upstream_error"),
    (302, b"", "upstream_error"),
    (401, b'{"error": "authentication failed"}', "auth_failed"),
])
async def test_unreadable_or_unexpected_answers_become_clear_errors(status: int, body: bytes, code: str) -> None:
    client = mocked(lambda request: httpx.Response(status, content=body))
    with pytest.raises(PlivoToolError) as caught:
        await client.get("Application/")
    error = caught.value.to_body()
    assert error["code"] == code and error["hint"]
    assert "Traceback" not in error["error"]


async def test_429_without_retry_after_falls_back_to_the_window() -> None:
    client = mocked(lambda request: httpx.Response(429, json={"error": "too many"}), rate_window_s=5.0)
    with pytest.raises(PlivoToolError) as caught:
        await client.post("Application/", {"app_name": "x"})
    assert caught.value.extra["retry_after_seconds"] == 5.0


@pytest.mark.parametrize("bad", ["../Subaccount", "a/b", "a?b=c", "a#b", "..", ".", "a b", "%2e%2e", "", "a\nb"])
def test_path_segment_rejects_anything_that_changes_the_url(bad: str) -> None:
    with pytest.raises(PlivoToolError) as caught:
        path_segment(bad, "app_id")
    assert caught.value.parameter == "app_id"


@pytest.mark.parametrize("path", ["Application/../Subaccount/", "Application//", "/Application/",
                                  "Application/1?x=1/", "Number/1#/"])
def test_client_checks_every_path_it_is_given(path: str) -> None:
    with pytest.raises(PlivoToolError):
        checked_path(path)


async def test_unsafe_path_never_reaches_the_network(sb: Sandbox) -> None:
    client = client_for(sb)
    before = sb.request_count
    with pytest.raises(PlivoToolError):
        await client.get("Application/../Subaccount/")
    assert sb.request_count == before
    assert checked_path("Application/12345/") == "Application/12345/" and checked_path("") == ""


def test_limiter_holds_a_slot_for_one_window_after_the_request_finished() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 1.0, clock=lambda: now[0])
    assert limiter._try_take() == 0 and limiter._try_take() == 0
    assert limiter._try_take() > 0  # both in flight
    limiter._give_back()
    now[0] = 0.5
    limiter._give_back()
    assert limiter._try_take() == pytest.approx(0.5)  # first finished at 0.0, free at 1.0
    now[0] = 1.0
    assert limiter._try_take() == 0
    assert limiter._try_take() == pytest.approx(0.5)


async def test_burst_queues_under_the_account_rate_instead_of_failing() -> None:
    # A tight sandbox limit (10 per 0.4 s) and writes, which are never retried: any 429 would surface.
    with Sandbox(db=":memory:", rate_limit=10, rate_window_s=0.4) as sb:
        app_id = sb.store.create_application(sb.auth_id, "paced", "https://example.com/a")
        paced = client_for(sb, rate_limit=10, rate_window_s=0.4)
        results = await asyncio.gather(*[
            paced.post(f"Application/{app_id}/", {"answer_url": f"https://example.com/{i}"}) for i in range(30)],
            return_exceptions=True)
        assert [r for r in results if isinstance(r, Exception)] == []
        assert paced.limiter.in_use <= 10


async def test_without_pacing_the_same_burst_is_rejected() -> None:
    # The control for the test above: proves the sandbox limit is tight enough to bite.
    with Sandbox(db=":memory:", rate_limit=10, rate_window_s=5.0) as sb:
        app_id = sb.store.create_application(sb.auth_id, "unpaced", "https://example.com/a")
        unpaced = client_for(sb, rate_limit=10_000, rate_window_s=0.01)
        results = await asyncio.gather(*[
            unpaced.post(f"Application/{app_id}/", {"answer_url": f"https://example.com/{i}"}) for i in range(30)],
            return_exceptions=True)
        assert any(isinstance(r, PlivoToolError) and r.code == "rate_limited" for r in results)


async def test_clients_for_the_same_account_share_one_limiter(sb: Sandbox) -> None:
    assert client_for(sb).limiter is client_for(sb).limiter
    other = PlivoClient(sb.base_url, "SA" + "C" * 18, "token-other")
    assert other.limiter is not client_for(sb).limiter


async def test_wire_format_basic_auth_user_agent_query_and_json_bodies():
    import base64
    import json

    from plivo_mcp import __version__

    sb = Sandbox(db=":memory:")
    recorder = WireRecorder(sb.app)
    sb.app = recorder  # type: ignore[assignment]
    sb.start()
    client = PlivoClient(sb.base_url, sb.auth_id, sb.auth_token)
    try:
        await client.get("Application/", {"limit": 5, "app_name": "x"})
        created = await client.post("Subaccount/", {"name": "wire", "enabled": True})
        await client.delete(f"Subaccount/{created['auth_id']}/", {"cascade": False})
    finally:
        await client.aclose()
        sb.stop()
    get, post, delete = recorder.requests
    expected_auth = b"Basic " + base64.b64encode(f"{sb.auth_id}:{sb.auth_token}".encode())
    for request in (get, post, delete):
        assert request["headers"][b"authorization"] == expected_auth
        assert request["headers"][b"user-agent"] == f"plivo-mcp/{__version__}".encode()
        assert request["path"].startswith(f"/v1/Account/{sb.auth_id}/")
    assert get["method"] == "GET" and b"limit=5" in get["query"] and b"app_name=x" in get["query"]
    assert b"".join(get["body"]) == b""
    assert post["headers"][b"content-type"] == b"application/json"
    assert json.loads(b"".join(post["body"])) == {"name": "wire", "enabled": True}
    assert delete["method"] == "DELETE" and json.loads(b"".join(delete["body"])) == {"cascade": False}


async def test_cookies_an_upstream_sets_are_not_sent_back() -> None:
    # Plivo authenticates every request; a cookie (a load balancer's, say) must not tie one conversation's
    # requests to another's. The sandbox sets none, so a tiny upstream on loopback does.
    async def account(request: Any) -> JSONResponse:
        answer = JSONResponse({"cookie_received": request.headers.get("cookie")})
        answer.set_cookie("AWSALB", "sticky-node-7")
        return answer

    app = Starlette(routes=[Route("/v1/Account/{auth_id}/", account)])
    with serving(app) as url:
        client = PlivoClient(url, "MA" + "C" * 18, "token-cookie")
        try:
            assert await client.get("") == {"cookie_received": None}
            assert await client.get("") == {"cookie_received": None}
        finally:
            await client.aclose()


async def test_a_write_refused_at_connect_says_nothing_was_sent() -> None:
    import socket

    # A port held bound but not listening: the connection is refused before any byte of the write leaves.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        client = RecordingClient(f"http://127.0.0.1:{held.getsockname()[1]}", "MA" + "A" * 18, "token-xyz")
        with pytest.raises(PlivoToolError) as caught:
            await client.post("Application/", {"app_name": "x"})
    body = caught.value.to_body()
    assert body["code"] == "upstream_error" and "ConnectError" in body["error"]
    assert "nothing was sent" in body["hint"].lower() and "may have been applied" not in body["hint"]
    assert client.waits == []  # writes are still never retried


async def test_a_write_whose_connect_timed_out_says_nothing_was_sent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("connect timed out", request=request)  # the sandbox cannot delay a connect

    with pytest.raises(PlivoToolError) as caught:
        await mocked(handler).post("Application/", {"app_name": "x"})
    assert caught.value.code == "timeout" and "nothing was sent" in caught.value.hint.lower()  # type: ignore[operator]


async def test_a_write_that_timed_out_after_sending_may_have_been_applied() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    with pytest.raises(PlivoToolError) as caught:
        await mocked(handler).post("Application/", {"app_name": "x"})
    assert caught.value.code == "timeout" and "may have been applied" in caught.value.hint  # type: ignore[operator]


async def test_a_redirect_is_answered_not_followed() -> None:
    # A redirect from the API is unexpected: following it would send the credentials wherever it points.
    followed: list[str] = []

    async def moved(request: Any) -> JSONResponse:
        return JSONResponse({}, status_code=302, headers={"Location": "/elsewhere/"})

    async def elsewhere(request: Any) -> JSONResponse:
        followed.append(request.headers.get("authorization", ""))
        return JSONResponse({"auth_id": "followed"})

    app = Starlette(routes=[Route("/v1/Account/{auth_id}/", moved), Route("/elsewhere/", elsewhere)])
    with serving(app) as url:
        client = RecordingClient(url, "MA" + "D" * 18, "token-redirect")
        try:
            with pytest.raises(PlivoToolError) as caught:
                await client.get("")
        finally:
            await client.aclose()
    assert caught.value.code == "upstream_error" and followed == []


async def test_requests_go_through_the_configured_proxy_with_its_credentials(sb: Sandbox) -> None:
    # PLIVO_MCP_PROXY: a forward proxy on loopback that relays to the sandbox and keeps what it was sent.
    import base64

    import httpx

    relayed: list[dict[bytes, bytes]] = []

    async def proxy(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        relayed.append(dict(scope["headers"]))
        query = scope["query_string"].decode()
        # A proxy is sent the absolute URL; uvicorn hands it over as the path with h11 and as the path alone
        # with httptools: take the path either way.
        path = "/" + scope["path"].split("://", 1)[1].split("/", 1)[1] if "://" in scope["path"] else scope["path"]
        async with httpx.AsyncClient() as upstream:
            answer = await upstream.request(
                scope["method"], f"{sb.base_url}{path}" + (f"?{query}" if query else ""),
                headers={"Authorization": dict(scope["headers"])[b"authorization"].decode()})
        await send({"type": "http.response.start", "status": answer.status_code,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": answer.content})

    with serving(proxy) as proxy_url:
        client = PlivoClient(sb.base_url, sb.auth_id, sb.auth_token,
                             proxy=proxy_url.replace("http://", "http://relay:relay-secret@"))
        try:
            assert (await client.get(""))["auth_id"] == sb.auth_id
        finally:
            await client.aclose()
    assert len(relayed) == 1
    assert relayed[0][b"proxy-authorization"] == b"Basic " + base64.b64encode(b"relay:relay-secret")
    assert relayed[0][b"host"] == sb.base_url.removeprefix("http://").encode()


def test_the_pool_closes_its_connections_when_its_event_loop_ends(sb: Sandbox) -> None:
    # Nobody has to remember to close the shared pool: its sockets are closed on its own loop as that loop
    # shuts down, so no "Unclosed client session" error is logged when a server exits or a test ends.
    client = PlivoClient(sb.base_url, sb.auth_id, sb.auth_token)

    async def one_call() -> Any:
        await client.get("")
        return client._pool._http

    transport = asyncio.run(one_call())
    assert transport.closed


def test_the_proxy_variables_apply_unless_no_proxy_exempts_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # As httpx honoured them: read once per pool, not per request.
    from plivo_mcp.client import _proxy_from_env

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert _proxy_from_env("https://api.plivo.com") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://egress.internal:3128")
    assert _proxy_from_env("https://api.plivo.com") == "http://egress.internal:3128"
    assert _proxy_from_env("http://127.0.0.1:8070") is None  # only https was given a proxy
    monkeypatch.setenv("NO_PROXY", "api.plivo.com")
    assert _proxy_from_env("https://api.plivo.com") is None


async def test_lookup_host_is_a_second_base_url_with_the_same_credentials(sb: Sandbox) -> None:
    # The Lookup API lives on its own host (https://lookup.plivo.com/v1/Number/{number}?type=carrier): a tiny
    # upstream on loopback stands for it, the sandbox for the REST API, one client for both.
    seen: list[dict[str, Any]] = []

    async def number(request: Any) -> JSONResponse:
        seen.append({"path": request.url.path, "query": dict(request.query_params),
                     "authorization": request.headers.get("authorization")})
        return JSONResponse({"phone_number": request.path_params["number"], "carrier": {"name": "Test"}})

    app = Starlette(routes=[Route("/v1/Number/{number}", number)])
    with serving(app) as lookup_url:
        client = PlivoClient(sb.base_url, sb.auth_id, sb.auth_token, lookup_url=lookup_url)
        other = client.for_credentials(sb.auth_id, sb.auth_token)
        try:
            before = sb.request_count
            answer = await client.request("GET", "Number/14155550100", params={"type": "carrier"}, host="lookup")
            assert sb.request_count == before  # not the API's host
            assert (await client.get(""))["auth_id"] == sb.auth_id  # the API's host, same client
            await other.request("GET", "Number/14155550101", params={"type": "carrier"}, host="lookup")
            with pytest.raises(PlivoToolError) as caught:
                await client.request("GET", "Number/../Account", host="lookup")
            assert caught.value.code == "invalid_argument"  # path checks hold on either host
        finally:
            await client.aclose()
    import base64

    assert answer == {"phone_number": "14155550100", "carrier": {"name": "Test"}}
    expected_auth = "Basic " + base64.b64encode(f"{sb.auth_id}:{sb.auth_token}".encode()).decode()
    assert seen == [{"path": "/v1/Number/14155550100", "query": {"type": "carrier"}, "authorization": expected_auth},
                    {"path": "/v1/Number/14155550101", "query": {"type": "carrier"}, "authorization": expected_auth}]


async def test_multipart_uploads_arrive_as_form_fields_and_files() -> None:
    from plivo_mcp.client import FileUpload

    async def media(request: Any) -> JSONResponse:
        form = await request.form()
        files = [{"name": name, "filename": value.filename, "type": value.content_type,
                  "content": (await value.read()).decode("latin-1")}
                 for name, value in form.multi_items() if not isinstance(value, str)]
        texts = [[name, value] for name, value in form.multi_items() if isinstance(value, str)]
        return JSONResponse({"files": files, "texts": texts, "ctype": request.headers["content-type"][:19]})

    app = Starlette(routes=[Route("/v1/Account/{auth_id}/Media/", media, methods=["POST"])])
    png = b"\x89PNG\r\n\x1a\n\x00binary"
    with serving(app) as url:
        client = PlivoClient(url, "MA" + "M" * 18, "token-multipart")
        try:
            answer = await client.request("POST", "Media/", multipart=[
                ("file", FileUpload("a.png", png, "image/png")), ("file", FileUpload("b.txt", b"hi", "text/plain")),
                ("alias", 'Café "main"')])
        finally:
            await client.aclose()
    assert answer["ctype"] == "multipart/form-data"
    assert answer["files"] == [
        {"name": "file", "filename": "a.png", "type": "image/png", "content": png.decode("latin-1")},
        {"name": "file", "filename": "b.txt", "type": "text/plain", "content": "hi"}]
    assert answer["texts"] == [["alias", 'Café "main"']]


def test_the_proxy_is_looked_up_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    from plivo_mcp.client import AiohttpTransport

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://egress.internal:3128")
    monkeypatch.setenv("NO_PROXY", "lookup.plivo.com")

    async def proxies() -> tuple[str | None, str | None]:
        transport = AiohttpTransport("https://api.plivo.com", timeout_s=5, proxy=None)
        try:
            return (transport._proxy_for("https://api.plivo.com/v1/Account/x/"),
                    transport._proxy_for("https://lookup.plivo.com/v1/Number/1"))
        finally:
            await transport.aclose()

    assert asyncio.run(proxies()) == ("http://egress.internal:3128", None)
