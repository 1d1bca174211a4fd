"""Streamable HTTP: the SDK's stateless JSON-response app behind a bearer-token check, plus `GET /healthz`.

Stateless (no `Mcp-Session-Id`) means any replica can answer any request, so replicas scale behind an
ordinary load balancer. Host/Origin checks (DNS rebinding) are always on: the SDK turns them off by itself
for a wildcard bind such as 0.0.0.0, so the settings here are always explicit.

Only imported when `serve --transport http` runs, or per-request credentials are enabled; starlette and uvicorn
are imported inside the functions that need them.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import socket
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Protocol

from plivo_mcp import __version__
from plivo_mcp.config import AUTH_ID_PATTERN
from plivo_mcp.hosts import is_loopback
from plivo_mcp.log_throttle import REJECTIONS, LogThrottle

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from plivo_mcp.config import Settings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]



class HttpHost(Protocol):
    """The server as this module needs it, without importing it (the server imports this module)."""

    @property
    def config(self) -> Settings: ...

    @property
    def specs(self) -> Mapping[str, Any]: ...

    def streamable_http_app(self, *args: Any, **kwargs: Any) -> Any: ...


MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
AUTH_ID_HEADER = "x-plivo-auth-id"
AUTH_TOKEN_HEADER = "x-plivo-auth-token"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")



def allowed_hosts_for(bind_host: str, extra: Iterable[str] = ()) -> list[str]:
    """Host header values accepted: loopback names, a concrete bind address, and the operator's names.

    A name given without a port is accepted with any port too (a proxy may or may not forward one).
    """
    names = [*_LOOPBACK_NAMES]
    if bind_host not in ("0.0.0.0", "::", "") and not is_loopback(bind_host):
        names.append(f"[{bind_host}]" if ":" in bind_host else bind_host)
    out: list[str] = []
    for name in [*names, *extra]:
        out.append(name)
        if not name.endswith(":*") and not _has_port(name):
            out.append(f"{name}:*")
    return list(dict.fromkeys(out))


def _has_port(host: str) -> bool:
    tail = host.rsplit("]", 1)[-1] if host.startswith("[") else host
    return ":" in tail


# host[:port] as RFC 9110 allows it in Host: a name or IPv4 address without ':', or a bracketed IPv6 address.
_AUTHORITY = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[^\[\]:/@\s]+)(?::[0-9]{1,5})?")
_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://" + _AUTHORITY.pattern)
# Headers whose value decides who the caller is or where the request is meant to go: exactly one each.
_SINGLE_HEADERS = {b"authorization": "Authorization", b"host": "Host", b"origin": "Origin",
                   AUTH_ID_HEADER.encode(): "X-Plivo-Auth-Id", AUTH_TOKEN_HEADER.encode(): "X-Plivo-Auth-Token"}


def _repeated(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The name of the first identity header sent more than once, if any."""
    seen: set[bytes] = set()
    for name, _ in headers:
        if name in _SINGLE_HEADERS:
            if name in seen:
                return _SINGLE_HEADERS[name]
            seen.add(name)
    return None


def allowed_origins_for(extra: Iterable[str] = ()) -> list[str]:
    """Browser origins accepted: local pages (any port) and the operator's exact origins. No Origin passes."""
    local = [f"http://{name}" for name in _LOOPBACK_NAMES]
    return list(dict.fromkeys([*local, *(f"{o}:*" for o in local), *(o.rstrip("/") for o in extra)]))


async def _respond(send: Send, status: int, body: dict[str, Any], headers: Iterable[tuple[bytes, bytes]] = ()
                   ) -> None:
    payload = json.dumps(body, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": payload})




def _clip(value: bytes | str | None, limit: int = 100) -> str | None:
    """A header value for a log line: request text, so cut short."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return text if len(text) <= limit else f"{text[:limit]}..."


class Gate:
    """Pure ASGI layer in front of the SDK app: health check, bearer token, well-formed identity headers, POST
    only on /mcp, per-request credential headers; every refusal (its own or the SDK's) logged at a bounded rate.

    Pure ASGI (not BaseHTTPMiddleware) so lifespan events reach the SDK app, which starts its session manager
    there, and responses are not buffered.
    """

    def __init__(self, app: ASGIApp, *, token: str | None, allow_request_credentials: bool,
                 rejections: LogThrottle = REJECTIONS) -> None:
        self.app = app
        self._token_digest = hashlib.sha256(token.encode()).digest() if token else None
        self._allow_request_credentials = allow_request_credentials
        self._rejections = rejections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == HEALTH_PATH and scope["method"] in ("GET", "HEAD"):
            await _respond(send, 200, {"status": "ok", "version": __version__})
            return
        raw_headers = scope.get("headers") or []
        headers = dict(raw_headers)
        refusal = self._refusal(scope, raw_headers, headers)
        if refusal is not None:
            status, body, extra_headers = refusal
            self._rejections.log("http_rejected", body["error"], status=status, method=_clip(scope["method"], 16),
                                 path=_clip(scope["path"]))
            await _respond(send, status, body, extra_headers)
            return

        async def observed(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 400:
                self._inner_rejected(scope, headers, message["status"])
            await send(message)

        await self.app(scope, receive, observed)

    def _refusal(self, scope: Scope, raw_headers: Iterable[tuple[bytes, bytes]], headers: dict[bytes, bytes]
                 ) -> tuple[int, dict[str, str], list[tuple[bytes, bytes]]] | None:
        """(status, body, headers) of the answer that refuses this request, or None to pass it on."""
        doubled = _repeated(raw_headers)
        if doubled is not None:
            # The gate and the SDK read headers differently (last value vs first): one value or a refusal.
            return 400, {"error": "repeated_header", "hint": f"send one {doubled} header"}, []
        if self._token_digest is not None and not self._authorized(headers.get(b"authorization", b"")):
            return (401, {"error": "unauthorized", "hint": "send Authorization: Bearer <PLIVO_MCP_HTTP_TOKEN>"},
                    [(b"www-authenticate", b'Bearer realm="plivo-mcp"')])
        # The SDK's `name:*` patterns accept anything after the colon; only a numeric port may follow a name.
        if not _AUTHORITY.fullmatch(headers.get(b"host", b"").decode("latin-1")):
            return 421, {"error": "invalid_host", "hint": "the Host header is not host[:port]"}, []
        origin = headers.get(b"origin")
        if origin is not None and not _ORIGIN.fullmatch(origin.decode("latin-1")):
            return 403, {"error": "invalid_origin", "hint": "the Origin header is not scheme://host[:port]"}, []
        if scope["path"] == MCP_PATH and scope["method"] != "POST":
            # Stateless JSON mode has no server-initiated stream (GET) and no session to end (DELETE); the SDK
            # would hold a GET open as an event stream that never carries anything.
            return (405, {"error": "method_not_allowed", "hint": "this server answers POST on /mcp only"},
                    [(b"allow", b"POST")])
        problem = self._credential_problem(headers)
        if problem is not None:
            return 400, {"error": "bad_credentials_headers", "hint": problem}, []
        return None

    def _inner_rejected(self, scope: Scope, headers: dict[bytes, bytes], status: int) -> None:
        fields: dict[str, Any] = {"status": status, "method": _clip(scope["method"], 16), "path": _clip(scope["path"])}
        if status == 421:
            fields["host"] = _clip(headers.get(b"host"))  # what to add to PLIVO_MCP_ALLOWED_HOSTS, if legitimate
        elif status == 403:
            fields["origin"] = _clip(headers.get(b"origin"))
        try:
            reason = HTTPStatus(status).name.lower()
        except ValueError:
            reason = f"status_{status}"
        self._rejections.log("http_rejected", reason, **fields)

    def _authorized(self, header: bytes) -> bool:
        scheme, _, value = header.partition(b" ")
        # compare_digest on equal-length digests: no early exit on the first differing byte, no length leak.
        return (scheme.lower() == b"bearer" and self._token_digest is not None
                and hmac.compare_digest(hashlib.sha256(value.strip()).digest(), self._token_digest))

    def _credential_problem(self, headers: dict[bytes, bytes]) -> str | None:
        auth_id = headers.get(AUTH_ID_HEADER.encode())
        token = headers.get(AUTH_TOKEN_HEADER.encode())
        if auth_id is None and token is None:
            return None
        if not self._allow_request_credentials:
            return ("this server does not accept per-request Plivo credentials "
                    "(the operator can enable PLIVO_MCP_ALLOW_REQUEST_CREDENTIALS)")
        if auth_id is None or token is None:
            return "send both X-Plivo-Auth-Id and X-Plivo-Auth-Token, or neither"
        if not AUTH_ID_PATTERN.match(auth_id.decode("latin-1")):
            return "X-Plivo-Auth-Id must be MA or SA followed by 18 upper-case letters or digits"
        if len(token) < 8 or any(c in token for c in b" \t"):
            return "X-Plivo-Auth-Token is malformed"
        return None


def build_http_app(server: HttpHost, *, host: str = "127.0.0.1", allowed_hosts: Iterable[str] = (),
                   allowed_origins: Iterable[str] = ()) -> ASGIApp:
    """The ASGI app `serve --transport http` runs: MCP at /mcp, GET /healthz, everything behind the gate."""
    from mcp.server.transport_security import TransportSecuritySettings

    config = server.config
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=allowed_hosts_for(host, [*config.allowed_hosts, *allowed_hosts]),
        allowed_origins=allowed_origins_for([*config.allowed_origins, *allowed_origins]),
    )
    inner = server.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True, json_response=True,
                                       transport_security=security, host=host)
    return Gate(inner, token=config.http_token, allow_request_credentials=config.allow_request_credentials)


def serve_http(server: HttpHost, config: Settings, *, host: str, port: int, allowed_hosts: Iterable[str] = (),
               allowed_origins: Iterable[str] = ()) -> int:
    """Run uvicorn until interrupted. Refuses a non-loopback bind without a token, or a port it cannot listen on,
    with one line on stderr and exit status 2."""
    if refused_bind(config, host):
        return 2
    import uvicorn

    from plivo_mcp.http_connections import plan_connections, throttle_library_logs

    max_connections, backlog = plan_connections(config.http_max_connections)
    try:
        # Bound here rather than by uvicorn, which reports a busy port as a logged traceback and exit status 3.
        sock = _listening_socket(host, port, backlog)
    except OSError as exc:
        print(f"plivo-mcp: cannot listen on {host}:{port}: {exc.strerror or exc}. Choose another with --port, "
              "or stop what holds it.", file=sys.stderr)
        return 2
    from plivo_mcp.logs import get_logger

    log = get_logger()
    if not config.http_token:
        log.warning("http_without_token", host=host, hint="any local process can call the tools")
    if max_connections < config.http_max_connections:
        log.warning("http_max_connections_lowered", configured=config.http_max_connections, used=max_connections,
                    hint="the open-file limit (ulimit -n) is too low for PLIVO_MCP_HTTP_MAX_CONNECTIONS")
    throttle_library_logs(REJECTIONS)
    app = build_http_app(server, host=host, allowed_hosts=allowed_hosts, allowed_origins=allowed_origins)
    bound = sock.getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host
    log.info("serving", transport="http", url=f"http://{url_host}:{bound}{MCP_PATH}", tools=len(server.specs),
             api_url=config.plivo_api_url, read_only=config.read_only,
             auth="bearer" if config.http_token else "none",
             request_credentials=config.allow_request_credentials, max_connections=max_connections)
    with sock, contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled
        uvicorn.Server(uvicorn_config(app, config, max_connections, backlog)).run(sockets=[sock])
    return 0


def refused_bind(config: Settings, host: str) -> bool:
    """True, after one line on stderr, for a non-loopback bind without a token (serve_http and --workers)."""
    if config.http_token or is_loopback(host):
        return False
    print(f"plivo-mcp: refusing to serve HTTP on {host} without PLIVO_MCP_HTTP_TOKEN: anyone who can reach "
          "it could use your Plivo account. Set a token or bind 127.0.0.1.", file=sys.stderr)
    return True


def uvicorn_config(app: ASGIApp, config: Settings, max_connections: int, backlog: int) -> Any:
    """uvicorn's settings for one serving process: this one, or each process of `--workers` (workers.py)."""
    import uvicorn

    from plivo_mcp.http_connections import ConnectionLimits, protocol_for

    limits = ConnectionLimits(request_timeout_s=config.http_request_timeout_s, max_connections=max_connections)
    # log_config=None: uvicorn logs through the root logger, which configure_logging sent to stderr as JSON.
    return uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", server_header=False,
                          http=protocol_for(limits),
                          # typed int, used as a float delay: a fraction of a second works (tests use it)
                          timeout_keep_alive=config.http_idle_timeout_s,  # type: ignore[arg-type]
                          backlog=backlog)


def _listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on accepted sockets whose proto says TCP, and without
    # it every small answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


# --- per-request credentials ------------------------------------------------------------------------------
def request_credentials(ctx: Context) -> tuple[str, str] | None:
    """The (auth id, token) a request carried in X-Plivo-Auth-Id / X-Plivo-Auth-Token, if it came over HTTP."""
    try:
        request = ctx.request_context.request
    except ValueError:  # outside a request (a direct call in a test)
        return None
    headers = getattr(request, "headers", None)
    if headers is None:  # stdio, in-memory
        return None
    auth_id, token = headers.get(AUTH_ID_HEADER), headers.get(AUTH_TOKEN_HEADER)
    if not auth_id or not token:
        return None
    return auth_id, token
