"""The dependencies a tool handler (and a guard preview) receives, typed.

`ToolHost` is what the server provides; the core and the guard reach it through this protocol, so neither
imports the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from plivo_mcp.client import PlivoClient
    from plivo_mcp.config import Settings
    from plivo_mcp.core.spec import ToolSpec


@dataclass(frozen=True)
class Deps:
    client: PlivoClient  # this request's: per-request credentials when the operator allows them
    settings: Settings
    ctx: Context  # progress notifications, the client's capabilities

    @property
    def async_callback(self) -> dict[str, str]:
        """For a write the API can run asynchronously: the operator's callback URL and method, if set.

        No assistant can receive a callback, so the tools do not offer one; an operator who has an endpoint for
        Plivo's results sets PLIVO_MCP_CALLBACK_URL, and writes then run in the API's async mode."""
        url = self.settings.callback_url
        return {"callback_url": url, "callback_method": self.settings.callback_method} if url else {}


class ToolGuard(Protocol):
    async def authorize(self, spec: ToolSpec, deps: Deps, args: dict[str, Any], token: str | None,
                        confirmed: Any) -> dict[str, Any] | None: ...


class ToolHost(Protocol):
    config: Settings
    guard: ToolGuard
    specs: dict[str, ToolSpec]  # the tools this server offers, by name

    def client_for(self, ctx: Context) -> PlivoClient: ...


def host_of(ctx: Context) -> ToolHost:
    return cast("ToolHost", ctx.mcp_server)


def deps_for(ctx: Context) -> Deps:
    host = host_of(ctx)
    return Deps(client=host.client_for(ctx), settings=host.config, ctx=ctx)
