"""The one HTTP client to the Plivo REST API: BasicAuth, pooling, error mapping.

httpx is imported on first use, not at start-up, to keep the server's cold start close to a bare MCPServer.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import TYPE_CHECKING, Any

from plivo_mcp import __version__
from plivo_mcp.errors import PlivoToolError, from_status, invalid_argument

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"plivo-mcp/{__version__}"
# Anything placed into a URL path must be a single plain segment: no '/', '?', '#', '%', and not '.' or '..'.
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_+\-.@]{1,128}$")


def path_segment(value: str, parameter: str) -> str:
    if not _SAFE_SEGMENT.match(value) or value in (".", ".."):
        raise invalid_argument(parameter, "must be a plain identifier (letters, digits, '+', '-', '_', '.')")
    return value


class PlivoClient:
    """Async client for `/v1/Account/{auth_id}/...`; one per set of credentials, pooled per event loop."""

    def __init__(self, base_url: str, auth_id: str, auth_token: str, *, timeout_s: float = 30.0,
                 proxy: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth_id = auth_id
        self._auth = (auth_id, auth_token)
        self._timeout_s = timeout_s
        self._proxy = proxy
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def is_subaccount(self) -> bool:
        return self.auth_id.startswith("SA")

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        # A pool is bound to the loop it was opened on; a new loop (tests, a restarted server) gets a new one.
        if self._http is None or self._loop is not loop:
            import httpx

            self._http = httpx.AsyncClient(
                base_url=f"{self.base_url}/v1/Account/{self.auth_id}/",
                auth=httpx.BasicAuth(*self._auth),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                timeout=httpx.Timeout(self._timeout_s),
                proxy=self._proxy,
                limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            )
            self._loop = loop
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.request("GET", path, params=params) or {}

    async def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.request("POST", path, body=body) or {}

    async def delete(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any] | None:
        return await self.request("DELETE", path, body=body)

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      body: dict[str, Any] | None = None) -> dict[str, Any] | None:
        import httpx

        query = {k: _wire(v) for k, v in (params or {}).items() if v is not None}
        payload = {k: v for k, v in (body or {}).items() if v is not None}
        try:
            response = await self._client().request(
                method, path, params=query or None, json=payload if method != "GET" else None)
        except httpx.TimeoutException:
            raise PlivoToolError("timeout", f"Plivo did not answer within {self._timeout_s:g}s",
                                 hint="Retry; raise PLIVO_MCP_TIMEOUT if this keeps happening.") from None
        except httpx.HTTPError as exc:
            raise PlivoToolError("upstream_error", f"could not reach Plivo: {type(exc).__name__}",
                                 hint="Check PLIVO_API_URL, the network or proxy, then retry.") from None
        return _decode(response)


def _wire(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _decode(response: httpx.Response) -> dict[str, Any] | None:
    status = response.status_code
    if status == 204:
        return None
    try:
        data = response.json() if response.content else None
    except ValueError:
        data = None
    if 200 <= status < 300:
        if not isinstance(data, dict):
            raise PlivoToolError("upstream_error", f"Plivo answered {status} with a body that is not a JSON "
                                 "object", status=status, hint="Retry; if a write was attempted, check its "
                                 "effect with a get or list before repeating it.")
        return data
    error_text = ""
    api_id = None
    if isinstance(data, dict):
        error_text = str(data.get("error") or data.get("message") or "")
        api_id = data.get("api_id")
    extra: dict[str, Any] = {}
    if status == 429 and (retry_after := response.headers.get("Retry-After")):
        with contextlib.suppress(ValueError):
            extra["retry_after_seconds"] = float(retry_after)
    raise from_status(status, error_text, api_id, **extra)
