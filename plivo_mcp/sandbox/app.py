"""The sandbox's ASGI app: routing, BasicAuth, error bodies, rate limiting, fault injection and async callbacks.
What handlers use to read a request and answer it is in router.py.

Routing: the resource modules' paths (routes.py) and, for every catalog operation none of them implements, the
generic simulation's (generic.py), decided when the app is built. A request goes to the most specific path
pattern that matches it: literal segments before parameters, leftmost first, so `PhoneNumber/Compliance/` is not
`PhoneNumber/{number}/`. `GET /v1/Number/{number}` is the Lookup API's host (lookup.py), which a server reaches
with the sandbox's URL as its lookup base URL.

The app is a raw ASGI callable (using Starlette's Request/Response) rather than a Starlette router so that it
sees uvicorn's own `receive` and can drop a connection without answering, and so that 404/405 and trailing
slash handling behave like the API instead of like a web framework (no redirects).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from plivo_mcp.hosts import is_loopback
from plivo_mcp.sandbox import lookup
from plivo_mcp.sandbox.accounts import Accounts
from plivo_mcp.sandbox.faults import FaultPlan
from plivo_mcp.sandbox.generic import Pattern, Simulation, Upload, pattern_of
from plivo_mcp.sandbox.router import ApiError, Ctx, Handler, opt_method, opt_url
from plivo_mcp.sandbox.routes import RESOURCES
from plivo_mcp.sandbox.storage import Database, StoreError

if TYPE_CHECKING:
    from plivo_mcp.catalog import Catalog

log = logging.getLogger("plivo_mcp.sandbox")
T = TypeVar("T")

_REASONS = {400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found",
            405: "method not allowed", 409: "conflict", 429: "too many requests", 500: "internal server error",
            502: "bad gateway", 503: "service unavailable", 504: "gateway timeout"}
MALFORMED_BODY = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                  b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</cen")
# Bounds on what one request may make the sandbox hold: the API takes up to 10 media files of 2 MB each.
MAX_BODY_BYTES = 25 * 1024 * 1024
MAX_FORM_FILES = 20
MAX_FORM_FIELDS = 1000
MAX_PATH_SEGMENTS = 12  # under /v1/Account/{auth_id}/; the API's deepest path has 7


# ---- the app --------------------------------------------------------------------------------------------------

def _merged(tables: Iterable[dict[str, T]]) -> dict[str, T]:
    """One table of every resource's paths, each path declared by one resource only (two resources answering
    the same path would be a mistake in routes.py, not a choice)."""
    merged: dict[str, T] = {}
    for table in tables:
        clash = merged.keys() & table.keys()
        if clash:
            raise ValueError(f"sandbox paths declared twice: {sorted(clash)}")
        merged.update(table)
    return merged


def _json(status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None) -> Response:
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def _error(status: int, error: str, headers: dict[str, str] | None = None) -> Response:
    return _json(status, {"api_id": str(uuid.uuid4()), "error": error}, headers)


class RouteTable:
    """Path patterns -> {method: handler}. The most specific matching pattern owns a path (literal segments before
    parameters, leftmost first); a method it lacks is a 405, even when a less specific pattern has it."""

    def __init__(self, routes: Mapping[Pattern, Mapping[str, Handler]]) -> None:
        self.routes = dict(routes)
        self._by_length: dict[int, list[tuple[Pattern, Mapping[str, Handler]]]] = defaultdict(list)
        for pattern in sorted(self.routes, key=lambda p: tuple(s is None for s in p)):
            self._by_length[len(pattern)].append((pattern, self.routes[pattern]))

    def match(self, segments: Sequence[str]) -> tuple[Mapping[str, Handler], list[str]] | None:
        """The handlers of the path and the values of its parameters, in order."""
        for pattern, handlers in self._by_length.get(len(segments), ()):
            if all(p is None or p == s for p, s in zip(pattern, segments, strict=True)):
                return handlers, [s for p, s in zip(pattern, segments, strict=True) if p is None]
        return None


def _upload(value: str | UploadFile) -> str | Upload:
    if isinstance(value, str):
        return value
    return Upload(value.filename or "", value.size or 0, value.content_type or "application/octet-stream")


async def _form(headers: Headers, raw: bytes, multipart: bool) -> dict[str, Any]:
    """A form body's fields: text as str, files as `Upload` (name, size, type: their content is not kept); a name
    given several times (media's `file`) becomes a list."""
    async def stream() -> AsyncGenerator[bytes, None]:
        yield raw
        yield b""

    parser: FormParser | MultiPartParser = (
        MultiPartParser(headers, stream(), max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS) if multipart
        else FormParser(headers, stream(), max_fields=MAX_FORM_FIELDS))
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ApiError(400, f"malformed form body: {exc.message}") from None
    try:
        fields: dict[str, Any] = {}
        for key in form:
            values = [_upload(v) for v in form.getlist(key)]
            fields[key] = values[0] if len(values) == 1 else values
        return fields
    finally:
        await form.close()


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, f"request body larger than {MAX_BODY_BYTES // (1024 * 1024)} MB")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, f"request body larger than {MAX_BODY_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


class SandboxApp:
    """ASGI app over a Database (whose storages are those of routes.RESOURCES) and a FaultPlan. `catalog`: the
    operations the generic simulation serves where no resource module does (default: the package's catalog)."""

    def __init__(self, db: Database, faults: FaultPlan, rate_limit: int = 300, rate_window_s: float = 5.0,
                 catalog: Catalog | None = None) -> None:
        self.db = db
        self.faults = faults
        self.rate_limit = rate_limit
        self.rate_window_s = rate_window_s
        self.request_count = 0
        self._count_lock = threading.Lock()
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        real = {pattern_of(path): handlers for path, handlers in _merged(r.paths for r in RESOURCES).items()}
        if catalog is None:
            from plivo_mcp import catalog as catalog_module

            catalog = catalog_module.catalog()
        self.simulation = Simulation(catalog, real)
        routes: dict[Pattern, dict[str, Handler]] = {p: dict(h) for p, h in real.items()}
        for pattern, handlers in self.simulation.routes.items():
            routes.setdefault(pattern, {}).update(handlers)
        self.routes = RouteTable(routes)
        self._lookup_routes = RouteTable({("Number", None): {"GET": lookup.get}})
        self._admin_paths = _merged(r.admin for r in RESOURCES)
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        with self._count_lock:
            self.request_count += 1
        request = Request(scope, receive)
        method = request.method.upper()
        if request.url.path.startswith("/sandbox/"):
            # The fault plan and latency stand for Plivo's API; the admin path neither suffers nor consumes them.
            try:
                response = await self._handle_admin(request, method)
            except Exception:
                log.exception("sandbox admin handler failed")
                response = _error(500, "internal server error")
            await response(scope, receive, send)
            return
        if self.faults.latency_ms > 0:
            await asyncio.sleep(self.faults.latency_ms / 1000)
        fault = self.faults.take(method)
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 and fault.retry_after else None
            await _error(fault.status, _REASONS.get(fault.status, "error"), headers)(scope, receive, send)
            return
        if fault is not None and fault.kind == "malformed":
            await Response(MALFORMED_BODY, status_code=200, media_type="application/json")(scope, receive, send)
            return
        try:
            response = await self._handle(request, method)
        except Exception:  # a bug must still never leak a stack trace to the client
            log.exception("sandbox handler failed")
            response = _error(500, "internal server error")
        if fault is not None and fault.kind == "drop":
            await self._drop(receive, send)
            return
        await response(scope, receive, send)

    async def _drop(self, receive: Any, send: Any) -> None:
        # uvicorn's RequestResponseCycle owns the transport; closing it and marking the cycle disconnected
        # makes uvicorn skip its automatic 500, so the client sees the connection close with no answer.
        cycle = getattr(receive, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if cycle is not None and transport is not None:
            transport.close()
            cycle.disconnected = True
            return
        # Not under uvicorn: start a response and fail mid-body, which also loses the answer.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
        raise ConnectionAbortedError("connection dropped by fault plan")

    async def _handle(self, request: Request, method: str) -> Response:
        parts = [p for p in request.url.path.split("/") if p]
        if len(parts) == 3 and parts[:2] == ["v1", "Number"]:  # the Lookup API's host
            table, segments, path_id = self._lookup_routes, parts[1:], None
        elif len(parts) >= 3 and parts[:2] == ["v1", "Account"] and len(parts) <= 3 + MAX_PATH_SEGMENTS:
            table, segments, path_id = self.routes, parts[3:], parts[2]
        else:
            return _error(404, "not found")
        # Lifecycles read off the clock settle first (a call that has ended is paid for), so that every answer,
        # the account's credits included, sees the same state. Settling depends only on the clock, not on who
        # asks.
        self.db.catch_up()
        caller_row, err = self._authenticate(request, path_id)
        if err is not None:
            return err
        assert caller_row is not None
        if not self._allow(caller_row["auth_id"]):
            return _error(429, "too many requests")
        matched = table.match(segments)
        if matched is None:
            return _error(404, "not found")
        handlers, args = matched
        handler = handlers.get(method)
        if handler is None:
            return _error(405, "method not allowed",
                          {"Allow": ", ".join(sorted(handlers))})
        try:
            params = await self._params(request, method)
        except ApiError as e:
            return _error(e.status, e.error)
        ctx = Ctx(self.db, caller_row["auth_id"], caller_row, params)
        # An operation that takes callback_url as its own parameter (a masking session's) is not asynchronous.
        allows_async = getattr(handler, "allows_async", None)
        try:
            callback = (self._callback(params) if path_id is not None and (allows_async is None
                        or allows_async(params)) else None)
        except ApiError as e:
            return _error(e.status, e.error)
        try:
            status, body = handler(ctx, *args)
        except (ApiError, StoreError) as e:
            # With a callback_url the error is delivered asynchronously too, like any other result.
            status, body = e.status, {"api_id": ctx.api_id, "error": e.error}
        if callback is not None:
            self._spawn_callback(callback[0], callback[1], status, body)
            return _json(200, {"api_id": ctx.api_id, "message": "async api spawned"})
        return _json(status, body)

    async def _handle_admin(self, request: Request, method: str) -> Response:
        parts = [p for p in request.url.path.split("/") if p]
        # POST /sandbox/{collection}/{id}/{action}: the sandbox's own controls, for what the real API does not let a
        # client do (a SIP phone registering), outside /v1/ so that no SDK sends them.
        handler = self._admin_paths.get(f"{parts[1]}/{{id}}/{parts[3]}") if len(parts) == 4 else None
        if handler is None:
            return _error(404, "not found")
        if method != "POST":
            return _error(405, "method not allowed", {"Allow": "POST"})
        client = request.client
        if client is None or not is_loopback(client.host):
            return _error(403, "the sandbox admin paths answer only loopback clients")
        caller_row, err = self._authenticate(request, None)
        if err is not None:
            return err
        assert caller_row is not None
        if not self._allow(caller_row["auth_id"]):
            return _error(429, "too many requests")
        try:
            ctx = Ctx(self.db, caller_row["auth_id"], caller_row, await self._params(request, method))
            status, body = handler(ctx, parts[2])
        except (ApiError, StoreError) as e:
            return _error(e.status, e.error)
        return _json(status, body)

    def _authenticate(self, request: Request, path_id: str | None) -> tuple[dict[str, Any] | None, Response | None]:
        """The account of the BasicAuth credentials; `path_id`, when given, must be that account."""
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or not value.strip():
            return None, _json(401, {"error": "authentication credentials were not provided"})
        try:
            user, sep, token = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None, _error(401, "authentication failed: malformed Authorization header")
        if not sep:
            return None, _error(401, "authentication failed: malformed Authorization header")
        row = self.db.storage(Accounts).authenticate(user, token)
        if row is None:
            return None, _error(401, "authentication failed: invalid auth_id or auth_token")
        if path_id is not None and path_id != user:
            return None, _error(401, "authentication failed: auth_id in the URL does not match the credentials")
        return row, None

    def _allow(self, auth_id: str) -> bool:
        now = time.monotonic()
        with self._count_lock:
            hits = self._hits[auth_id]
            while hits and now - hits[0] >= self.rate_window_s:
                hits.popleft()
            if len(hits) >= self.rate_limit:
                return False
            hits.append(now)
            return True

    async def _params(self, request: Request, method: str) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        if method == "GET":
            # plivo-python sends Content-Type: application/json with an empty body on GETs; bodies are ignored.
            return params
        raw = await _read_body(request)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            params.update(await _form(request.headers, raw, ctype == "multipart/form-data"))
            return params
        if not raw.strip():
            return params
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "invalid JSON body") from None
        if body is None or body == "":
            # plivo-go encodes "no parameters" as the JSON `null` (json.Marshal(nil)), e.g. to unrent a number,
            # and a JSON "" is the same thing from clients that stringify an empty body.
            return params
        if not isinstance(body, dict):
            raise ApiError(400, "JSON body must be an object")
        params.update(body)
        return params

    @staticmethod
    def _callback(params: dict[str, Any]) -> tuple[str, str] | None:
        url = opt_url(params, "callback_url")
        # plivo-go sends both as "" on every Number update and buy (no omitempty): "" means "not given".
        method = (None if params.get("callback_method") == "" else opt_method(params, "callback_method")) or "POST"
        if not url:
            return None
        return url, method

    def _spawn_callback(self, url: str, method: str, status: int, body: dict[str, Any] | None) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(url, method, status, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _deliver(url: str, method: str, status: int, body: dict[str, Any] | None) -> None:
        payload = {"status": status, "body": body}
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                if method == "GET":
                    await client.get(url, params={"status": str(status), "body": json.dumps(body)})
                else:
                    await client.post(url, json=payload)
        except Exception as exc:  # delivery is best effort, like the API's
            log.warning("callback to %s failed: %s", url, exc)
