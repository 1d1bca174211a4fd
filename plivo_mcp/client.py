"""The one HTTP client to the Plivo REST API: BasicAuth, pooling, pacing, retries, error mapping.

Reliability rules, all kept here so every tool (and every page of a fan-out) gets them:
- every request waits for a slot of the account's shared rate limiter (ratelimit.py), so bursts queue;
- GETs are retried (tenacity) on 429/502/503/504, lost connections and unreadable 2xx bodies, at most
  `retry_attempts` times, with jittered exponential backoff that honours Retry-After up to a cap;
- POST and DELETE are sent exactly once: a lost answer to a create must not create twice;
- every path is checked segment by segment, so no argument can change the path or the query.

Two hosts, one client: the REST API (`{PLIVO_API_URL}/v1/Account/{auth_id}/...`) and the Lookup API
(`{PLIVO_LOOKUP_URL}/v1/...`), with the same credentials, pool, pacing and rules.

The wire is aiohttp's: at the HTTP benchmark's load it costs ~0.2 ms of CPU per request, against ~2 ms for
httpx's pool and ~0.8 ms for httpx2 (bench/upstream_clients.py, README "Performance"). aiohttp and tenacity are
imported on first use, not at start-up, to keep the server's cold start light.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol
from urllib.parse import urlencode

from plivo_mcp import __version__
from plivo_mcp.errors import PlivoToolError, from_status, invalid_argument
from plivo_mcp.ratelimit import LIMITERS, RateLimiter, limiter_for
from plivo_mcp.secrets import basic_auth_form

if TYPE_CHECKING:
    import ssl

    import aiohttp
    from tenacity import RetryCallState

    from plivo_mcp.config import Settings
    from plivo_mcp.shared_state import RedisState, SharedRateLimiter

USER_AGENT = f"plivo-mcp/{__version__}"
DEFAULT_LOOKUP_URL = "https://lookup.plivo.com"
Host = Literal["api", "lookup"]  # which base URL a path is under (plivo_mcp/catalog: Operation.host)
# Anything placed into a URL path must be a single plain segment: no '/', '?', '#', '%', and not '.' or '..'.
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_+\-.@]{1,128}$")
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_CONNECTIONS = 20  # what one bulk listing keeps in flight
KEEPALIVE_S = 5.0  # an idle connection is dropped after this (httpx's default, which the client used before)
_CHECK_WRITE = "The write may have been applied: check with a get or list before repeating it."
_NOT_SENT = "Nothing was sent to Plivo (the connection could not be opened): retry once it is reachable."


class UnsafePathSegment(PlivoToolError):
    """A value that would change the request's path or query. `value` lets the caller name the argument."""

    def __init__(self, value: str, parameter: str = "path") -> None:
        base = invalid_argument(parameter, "must be a plain identifier (letters, digits, '+', '-', '_', '.')")
        super().__init__(base.code, base.message, parameter=parameter, hint=base.hint)
        self.value = value

    def named(self, parameter: str) -> UnsafePathSegment:
        return UnsafePathSegment(self.value, parameter)


def path_segment(value: str, parameter: str) -> str:
    if not isinstance(value, str) or not _SAFE_SEGMENT.match(value) or value in (".", ".."):
        raise UnsafePathSegment(str(value), parameter)
    return value


def checked_path(path: str) -> str:
    """`path` relative to the account ('' or 'Resource/' or 'Resource/id/'), each segment a plain identifier."""
    segments = path.split("/")
    if segments and segments[-1] == "":
        segments.pop()  # the API's trailing slash
    for segment in segments:
        path_segment(segment, "path")
    return path


class _Transient(Exception):
    """A failure a GET may retry; carries the error to report if the retries run out."""

    def __init__(self, error: PlivoToolError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


class Answer(NamedTuple):
    """One answer from the API, read whole: what `_decode` maps to data or an error."""

    status: int
    headers: Mapping[str, str]  # case-insensitive
    content: bytes


class Transport(Protocol):
    """What a pool sends requests through: aiohttp's session in production, a mock in tests (tests/helpers.py)."""

    async def send(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Answer: ...

    async def aclose(self) -> None: ...


class AiohttpTransport:
    """One aiohttp session: a keep-alive connection pool to the API and one SSL context, on one event loop.

    As httpx was set up before: no redirects followed, no cookies kept (Plivo authenticates every request; a
    cookie a load balancer sets would only tie later requests, from whichever conversation, to it), a proxy from
    PLIVO_MCP_PROXY or else from HTTP(S)_PROXY/NO_PROXY, certifi's CA bundle unless SSL_CERT_FILE/SSL_CERT_DIR
    name others, the same connect, pool-wait and read timeouts.
    """

    def __init__(self, base_url: str, *, timeout_s: float, proxy: str | None) -> None:
        import aiohttp

        # connect: waiting for a free pooled connection plus opening one (httpx's pool and connect timeouts).
        timeout = aiohttp.ClientTimeout(total=None, connect=timeout_s, sock_connect=min(timeout_s, 10.0),
                                        sock_read=timeout_s)
        connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_S,
                                         ssl=_ssl_context())
        # trust_env stays off: aiohttp would then read ~/.netrc and the proxy variables in a worker thread on
        # every request; the proxy is looked up once here instead.
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
        # aiohttp quietly sends a GET or DELETE a second time when the connection drops before the answer
        # (aio-libs/aiohttp#10790: no public switch; its own TestClient turns it off this way). A DELETE must go
        # out exactly once, and GETs are retried by this client's policy, which counts and paces the attempts.
        self._session._retry_connection = False
        self._proxy = proxy
        # By origin (scheme and host): the API's and the Lookup API's, both from the settings, so two at most.
        self._env_proxies: dict[str, str | None] = {}
        self._closer = _close_with_the_loop(self._session)

    @property
    def closed(self) -> bool:
        return self._session.closed

    async def send(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        from yarl import URL

        # encoded=True: the URL is built from checked path segments and an encoded query; yarl must not requote.
        async with self._session.request(method, URL(url, encoded=True), data=body, headers=headers,
                                         proxy=self._proxy_for(url), allow_redirects=False) as response:
            return Answer(response.status, response.headers, await response.read())

    def _proxy_for(self, url: str) -> str | None:
        if self._proxy:
            return self._proxy
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._env_proxies:
            self._env_proxies[origin] = _proxy_from_env(origin)
        return self._env_proxies[origin]

    async def aclose(self) -> None:
        await self._session.close()


def _close_with_the_loop(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Close `session` on its own loop when that loop shuts down, if nobody closed it before.

    A session's sockets can only be closed on its loop; left open, aiohttp logs "Unclosed client session" at
    error level when the session is collected (the server's exit, every test's end). An event loop closes the
    async generators still open on it when it shuts down (asyncio.run, anyio.run and uvicorn all do), and one
    dropped while the loop runs is closed on the next turn: this generator is started here, so the loop tracks
    it, and it closes the session in its `finally`.
    """

    async def closer() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await session.close()

    generator = closer()
    with contextlib.suppress(StopIteration):  # the step ends at the `yield`: the loop now tracks the generator
        generator.asend(None).send(None)
    return generator


class HttpPool:
    """One connection pool to the API for every credential pair: credentials travel per request.

    A pool per tenant would build an SSL context and hold connections for each caller a multi-tenant server
    ever saw; one pool keeps that cost flat however many tenants there are. A pool is bound to the event loop it
    was opened on, so a new loop (tests, a restarted server) gets a new one.
    """

    def __init__(self, base_url: str, *, timeout_s: float = 30.0, proxy: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._proxy = proxy
        self._http: Transport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def client(self) -> Transport:
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is not loop:
            self._http = AiohttpTransport(self.base_url, timeout_s=self.timeout_s, proxy=self._proxy)
            self._loop = loop
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None


class PlivoClient:
    """Async client for `/v1/Account/{auth_id}/...` with one set of credentials, over a (shared) pool."""

    def __init__(self, base_url: str, auth_id: str, auth_token: str, *, timeout_s: float = 30.0,
                 proxy: str | None = None, retry_attempts: int = 3, retry_base_s: float = 0.5,
                 retry_max_wait_s: float = 10.0, rate_limit: int = 300, rate_window_s: float = 5.0,
                 pool: HttpPool | None = None, shared: RedisState | None = None,
                 lookup_url: str = DEFAULT_LOOKUP_URL) -> None:
        self.base_url = base_url.rstrip("/")
        self.lookup_url = lookup_url.rstrip("/")
        self.auth_id = auth_id
        self._authorization = f"Basic {basic_auth_form(auth_id, auth_token)}"
        self._account_path = f"/v1/Account/{auth_id}/"
        self._pool = pool or HttpPool(self.base_url, timeout_s=timeout_s, proxy=proxy)
        self._timeout_s = timeout_s
        self.retry_attempts = max(1, retry_attempts)
        self.retry_base_s = retry_base_s
        self.retry_max_wait_s = retry_max_wait_s
        self.rate_window_s = rate_window_s
        self._limiter_key = (self.base_url, auth_id, auth_token, rate_limit, rate_window_s)
        self._shared = shared  # pacing shared with every process using the same Redis (PLIVO_MCP_REDIS_URL)
        self._sleep = asyncio.sleep  # between retries; tests swap it to record the backoff without waiting

    @classmethod
    def from_settings(cls, config: Settings, auth_id: str | None = None, auth_token: str | None = None,
                      pool: HttpPool | None = None) -> PlivoClient:
        """A client with the operator's timeouts, retries and pacing (other credentials, a shared pool if given)."""
        shared = None
        if config.redis_url:
            from plivo_mcp.shared_state import redis_state

            shared = redis_state(config)
        return cls(config.plivo_api_url, auth_id or config.plivo_auth_id, auth_token or config.plivo_auth_token,
                   timeout_s=config.timeout_s, proxy=config.proxy, retry_attempts=config.retry_attempts,
                   retry_base_s=config.retry_base_s, retry_max_wait_s=config.retry_max_wait_s,
                   rate_limit=config.rate_limit, rate_window_s=config.rate_window_s, pool=pool, shared=shared,
                   lookup_url=config.plivo_lookup_url)

    def for_credentials(self, auth_id: str, auth_token: str) -> PlivoClient:
        """A client for other credentials with the same settings, over this client's pool."""
        return PlivoClient(self.base_url, auth_id, auth_token, timeout_s=self._timeout_s,
                           retry_attempts=self.retry_attempts, retry_base_s=self.retry_base_s,
                           retry_max_wait_s=self.retry_max_wait_s, rate_limit=self._limiter_key[3],
                           rate_window_s=self._limiter_key[4], pool=self._pool, shared=self._shared,
                           lookup_url=self.lookup_url)

    def _client(self) -> Transport:
        return self._pool.client()

    @property
    def limiter(self) -> RateLimiter | SharedRateLimiter:
        """This credential pair's limiter. Keyed by the pair, not the auth id alone: auth ids are not secret,
        and calls made with a wrong token must not spend the budget of the account they name. Looked up per
        request, because the registry drops idle limiters (a held one could then be a stale second copy).
        With Redis, the pair's budget lives there, shared by every process (shared_state.SharedRateLimiter)."""
        if self._shared is not None:
            from plivo_mcp.shared_state import SharedRateLimiter

            return SharedRateLimiter(self._shared, *self._limiter_key)
        return limiter_for(*self._limiter_key)

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.request("GET", path, params=params) or {}

    async def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.request("POST", path, body=body) or {}

    async def delete(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any] | None:
        return await self.request("DELETE", path, body=body)

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      body: dict[str, Any] | None = None, host: Host = "api",
                      multipart: Sequence[FormField] | None = None, once: bool = False) -> dict[str, Any] | None:
        """One request. `host` picks the base URL: "api" (the account's path under PLIVO_API_URL) or "lookup"
        (PLIVO_LOOKUP_URL/v1/). `multipart` sends the body as multipart/form-data (uploads) instead of JSON.
        `once` sends a GET exactly once, as every write is (a read that is charged must not be repeated)."""
        checked_path(path)
        query = {k: _wire(v) for k, v in (params or {}).items() if v is not None}
        payload: dict[str, Any] | Sequence[FormField] = (
            multipart if multipart is not None else {k: v for k, v in (body or {}).items() if v is not None})
        if method != "GET" or once:
            try:
                return await self._send(method, path, query, payload, host)
            except _Transient as exc:
                raise exc.error from None
        return await self._get_with_retries(path, query, host)

    async def _get_with_retries(self, path: str, query: dict[str, Any], host: Host = "api"
                                ) -> dict[str, Any] | None:
        # The first attempt goes out before any retry machinery: setting up tenacity costs about as much as
        # the rest of this client's work on a call (bench/call_overhead.py), and most GETs succeed first time.
        try:
            return await self._send("GET", path, query, {}, host)
        except _Transient as exc:
            first_failure = exc
        from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

        attempts = 0
        retrying = AsyncRetrying(
            # tenacity's stubs type `|` for its own stop classes only; a plain callable combines the same way.
            stop=stop_after_attempt(self.retry_attempts) | self._retry_after_beyond_cap,  # type: ignore[operator]
            wait=self._backoff, retry=retry_if_exception_type(_Transient), reraise=True, sleep=self._sleep)
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    if attempts == 1:
                        raise first_failure  # tenacity's attempt 1 is the one already made
                    return await self._send("GET", path, query, {}, host)
        except _Transient as exc:
            error = exc.error
            if attempts > 1:
                error.extra["retried"] = attempts - 1
                error.message = f"{error.message} (after {attempts} attempts)"
            raise error from None
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _retry_after_beyond_cap(self, state: RetryCallState) -> bool:
        # Waiting less than Plivo asked would only earn another 429: give the assistant the wait instead.
        exc = state.outcome.exception() if state.outcome else None
        return isinstance(exc, _Transient) and (exc.retry_after or 0) > self.retry_max_wait_s

    def _backoff(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        # Jitter spreads out concurrent calls that failed together, so they do not retry in lockstep.
        backoff = self.retry_base_s * 2 ** (state.attempt_number - 1) * random.uniform(0.5, 1.0)
        if isinstance(exc, _Transient) and exc.retry_after:
            backoff = exc.retry_after + random.uniform(0, self.retry_base_s)
        return min(backoff, self.retry_max_wait_s)

    async def _send(self, method: str, path: str, query: dict[str, Any],
                    payload: dict[str, Any] | Sequence[FormField], host: Host = "api") -> dict[str, Any] | None:
        import aiohttp

        is_read = method == "GET"
        base = self._pool.base_url + self._account_path if host == "api" else f"{self.lookup_url}/v1/"
        url = base + path + (f"?{urlencode(query)}" if query else "")
        headers = {"Authorization": self._authorization}
        body = None
        if isinstance(payload, dict):
            if not is_read:  # writes always carry a JSON object, {} when there is nothing to send
                body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
                headers["Content-Type"] = "application/json"
        else:
            body, headers["Content-Type"] = await multipart_body(payload)
        try:
            async with self.limiter.slot():
                answer = await self._client().send(method, url, body, headers)
        except aiohttp.ConnectionTimeoutError:
            # No connection opened (or came free in the pool) in time, so no byte of the request left: a write
            # can simply be repeated.
            raise _Transient(PlivoToolError(
                "timeout", "the connection to Plivo timed out before the request was sent",
                hint="Retry; check PLIVO_API_URL, the network or proxy if this keeps happening." if is_read
                else _NOT_SENT)) from None
        except (aiohttp.ServerTimeoutError, TimeoutError):
            raise PlivoToolError("timeout", f"Plivo did not answer within {self._timeout_s:g}s",
                                 hint="Retry; raise PLIVO_MCP_TIMEOUT if this keeps happening." if is_read
                                 else _CHECK_WRITE) from None
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError, aiohttp.ClientProxyConnectionError,
                aiohttp.ClientHttpProxyError) as exc:
            raise PlivoToolError("upstream_error", f"could not reach Plivo: {_failure(exc)}",
                                 hint="Check PLIVO_API_URL and PLIVO_MCP_PROXY.") from None
        except aiohttp.ClientConnectorError as exc:  # refused, unreachable, TLS handshake failed: nothing sent
            raise _Transient(PlivoToolError(
                "upstream_error", f"could not connect to Plivo ({_failure(exc)})",
                hint="Check PLIVO_API_URL, the network or proxy, then retry." if is_read else _NOT_SENT)) from None
        except aiohttp.ClientError as exc:
            raise _Transient(PlivoToolError(
                "upstream_error", f"the connection to Plivo failed before it answered ({_failure(exc)})",
                hint="Check PLIVO_API_URL, the network or proxy, then retry." if is_read
                else _CHECK_WRITE)) from None
        sent = [*query, *(payload if isinstance(payload, dict) else (name for name, _ in payload))]
        return self._decode(answer, is_read, sent)

    def _decode(self, response: Answer, is_read: bool, sent: list[str]) -> dict[str, Any] | None:
        status = response.status
        if status == 204:
            return None
        try:
            data = json.loads(response.content) if response.content else None
        except ValueError:  # not JSON, or not UTF-8/16/32 text at all
            data = None
        if 200 <= status < 300:
            if not isinstance(data, dict):
                what = "an empty body" if not response.content else "a body that is not a JSON object"
                error = PlivoToolError("upstream_error", f"Plivo answered {status} with {what}", status=status,
                                       hint="Retry later." if is_read else _CHECK_WRITE)
                raise _Transient(error)
            return data
        error_text = ""
        api_id = None
        if isinstance(data, dict):
            error_text = str(data.get("error") or data.get("message") or "")[:500]
            api_id = data.get("api_id") if isinstance(data.get("api_id"), str) else None
        extra: dict[str, Any] = {}
        retry_after = None
        if status == 429:
            retry_after = _seconds(response.headers.get("Retry-After"))
            extra["retry_after_seconds"] = retry_after if retry_after is not None else self.rate_window_s
        if status == 401:
            LIMITERS.forget(*self._limiter_key[:3])
        error = from_status(status, error_text, api_id, **extra)
        if status in (400, 422):
            error.parameter = _named_in(error_text, sent)
        if status in RETRY_STATUSES:
            raise _Transient(error, retry_after)
        raise error


class FileUpload(NamedTuple):
    """A file part of a multipart request: its name for the server, its bytes and their media type."""

    filename: str
    content: bytes
    content_type: str


# One field of a multipart body: text, or a file. A name may repeat (several files under `file`).
FormField = tuple[str, "str | FileUpload"]


class _Collected:
    """Where aiohttp's multipart writer writes its bytes: the body is built whole, then sent like any other
    (the Transport protocol takes bytes, and a write is sent once, so there is nothing to stream twice)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    async def write(self, chunk: bytes) -> None:
        self.chunks.append(bytes(chunk))


async def multipart_body(fields: Sequence[FormField]) -> tuple[bytes, str]:
    """A multipart/form-data body (aiohttp's writer: boundaries, quoting, headers) and its Content-Type."""
    import aiohttp

    writer = aiohttp.MultipartWriter("form-data")
    for name, value in fields:
        if isinstance(value, FileUpload):
            part = writer.append(value.content, {"Content-Type": value.content_type})
            part.set_content_disposition("form-data", name=name, filename=value.filename)
        else:
            part = writer.append(value, {"Content-Type": "text/plain; charset=utf-8"})
            part.set_content_disposition("form-data", name=name)
    collected = _Collected()
    await writer.write(collected)  # type: ignore[arg-type]  # only write() is used: see _Collected
    return b"".join(collected.chunks), writer.content_type


def _failure(exc: BaseException) -> str:
    """What went wrong on the wire, named as this client has always named it (httpx's names), whichever library
    raised it: error messages, logs and `plivo-mcp check` read the same."""
    import aiohttp

    for kind, name in ((aiohttp.ConnectionTimeoutError, "ConnectTimeout"), (TimeoutError, "ReadTimeout"),
                       (aiohttp.ClientProxyConnectionError, "ProxyError"), (aiohttp.ClientHttpProxyError, "ProxyError"),
                       (aiohttp.InvalidURL, "UnsupportedProtocol"), (aiohttp.NonHttpUrlClientError,
                                                                    "UnsupportedProtocol"),
                       (aiohttp.ClientConnectorError, "ConnectError"),
                       (aiohttp.ServerDisconnectedError, "RemoteProtocolError"),
                       (aiohttp.ClientResponseError, "RemoteProtocolError"),  # an answer that is not HTTP
                       (aiohttp.ClientPayloadError, "ReadError"), (aiohttp.ClientOSError, "ReadError")):
        if isinstance(exc, kind):
            return name
    return type(exc).__name__


def _ssl_context() -> ssl.SSLContext:
    """Verified TLS against certifi's CA bundle, as httpx did; SSL_CERT_FILE / SSL_CERT_DIR, when set, name the
    CAs instead (OpenSSL reads them for the default context). One per pool, not one per request or tenant."""
    import ssl

    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context()
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _proxy_from_env(base_url: str) -> str | None:
    """The proxy HTTP(S)_PROXY / ALL_PROXY name for the API's scheme, unless NO_PROXY exempts its host."""
    from urllib.parse import urlsplit
    from urllib.request import getproxies, proxy_bypass

    parts = urlsplit(base_url)
    proxies = getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or proxy_bypass(parts.hostname or ""):
        return None
    return proxy


def _named_in(error_text: str, sent: list[str]) -> str | None:
    """The argument Plivo's 400 is about, when its text names one we sent (it usually does)."""
    for key in sorted(sent, key=len, reverse=True):
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(key)}(?![A-Za-z0-9_])", error_text):
            return key
    return None


def _seconds(value: str | None) -> float | None:
    """Retry-After as seconds; the HTTP-date form is not used by Plivo and is treated as absent."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < 86400 else None


def _wire(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
