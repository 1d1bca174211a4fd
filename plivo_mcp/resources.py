"""MCP resources: read-only context a client can attach without a tool call.

`plivo://account` is the account summary `get_account` answers with; `plivo://pricing/{country_iso}` is the
per-country summary `get_pricing` answers with. Both go through the same client (per-request credentials
included) and the same secret masking as the tools.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol, cast

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from plivo_mcp.errors import PlivoToolError
from plivo_mcp.shaping import clean
from plivo_mcp.tools.pricing import summarise_pricing

if TYPE_CHECKING:
    from collections.abc import Callable

    from mcp.server.mcpserver import MCPServer

    from plivo_mcp.client import PlivoClient
    from plivo_mcp.config import Settings


class ResourceHost(Protocol):
    """The server as this module needs it, without importing it (the server imports this module)."""

    @property
    def config(self) -> Settings: ...

    def resource(self, *args: Any, **kwargs: Any) -> Callable[..., Any]: ...

    def client_for(self, ctx: Context) -> PlivoClient: ...

ACCOUNT_URI = "plivo://account"
PRICING_URI = "plivo://pricing/{country_iso}"
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def _json(server: Any, data: Any) -> str:
    """Masked like a tool answer, and marked the same way: the account's text is data, not instructions."""
    from plivo_mcp.core.answers import compact_json, mark_account_data
    from plivo_mcp.secrets import mask_secrets

    return compact_json(mark_account_data(mask_secrets(data, reveal=server.config.reveal_secrets)))


def _resource_error(exc: PlivoToolError, uri: str) -> ResourceError:
    body = exc.to_body()
    text = f"{uri}: {body.get('code')}: {body.get('error')}"
    if exc.status == 404:
        return ResourceNotFoundError(text)
    return ResourceError(text + (f" ({body['hint']})" if body.get("hint") else ""))


# Static resources get no Context from the SDK; PlivoMCP.read_resource puts the request's here so the account
# resource is read with the request's own credentials (a multi-tenant server must never fall back to its own).
CURRENT_CONTEXT: ContextVar[Context | None] = ContextVar("plivo_mcp_resource_context", default=None)


@contextmanager
def reading_with(ctx: Context | None) -> Iterator[None]:
    token = CURRENT_CONTEXT.set(ctx)
    try:
        yield
    finally:
        CURRENT_CONTEXT.reset(token)


async def _account_json(server: ResourceHost) -> str:
    ctx = CURRENT_CONTEXT.get() or Context(mcp_server=cast("MCPServer[Any]", server))
    try:
        data = clean(await server.client_for(ctx).get(""))
    except PlivoToolError as exc:
        raise _resource_error(exc, ACCOUNT_URI) from None
    return _json(server, data)


async def pricing(country_iso: str, ctx: Context) -> str:
    """Rates in USD for one country: SMS and voice in/out, monthly number rental."""
    server = cast("ResourceHost", ctx.mcp_server)
    if not _COUNTRY.match(country_iso):
        raise ResourceNotFoundError(f"plivo://pricing/{country_iso}: country_iso must be two letters, e.g. US")
    iso = country_iso.upper()
    try:
        data = await server.client_for(ctx).get("Pricing/", {"country_iso": iso})
    except PlivoToolError as exc:
        raise _resource_error(exc, f"plivo://pricing/{iso}") from None
    return _json(server, summarise_pricing(data, None))


def register_resources(server: ResourceHost) -> None:
    async def account() -> str:
        """Account summary: name, type, billing mode, cash credits, timezone."""
        return await _account_json(server)

    server.resource(ACCOUNT_URI, name="account", title="Plivo account", mime_type="application/json",
                    description="The account's name, type, billing mode, cash credits and timezone.")(account)
    server.resource(PRICING_URI, name="pricing", title="Plivo pricing by country", mime_type="application/json",
                    description="Rates in USD for a country (ISO alpha-2): SMS, voice, number rental.")(pricing)
