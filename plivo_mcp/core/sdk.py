"""Every use of the MCP SDK beyond its public surface, in one place, each with the reason.

tests/core/test_sdk_adapter.py checks each of these against the installed SDK, so an upgrade that breaks one
fails there, by name, rather than somewhere in a tool call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.tools.base import Tool
from mcp.server.mcpserver.tools.tool_manager import ToolManager

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context, MCPServer


def with_signature(fn: Callable[..., Any], name: str, params: list[inspect.Parameter], doc: str | None
                   ) -> Callable[..., Any]:
    """Give `fn(**kwargs)` the signature the SDK should see. The SDK derives a tool's input schema and argument
    validation from `inspect.signature`, which honours `__signature__`: one generic runner can then serve every
    tool with its own flat, typed arguments (and the guard's resolver parameter)."""
    fn.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]  # all keyword-only: any order
    fn.__annotations__ = {p.name: p.annotation for p in params}
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


class DeferredToolManager(ToolManager):
    """Builds the tools the first time any is needed (tools/list, tools/call), not at start-up.

    Building them (a pydantic argument model and a JSON schema per tool) is most of what this server adds to a
    bare MCPServer's start, and `initialize` needs none of it. The public `tools=` argument of MCPServer would
    build them in the constructor; this subclass keeps `ToolManager`'s behaviour and defers only the build, by
    turning its private `_tools` dict into a property.
    """

    def __init__(self, build: Callable[[], list[Tool]], warn_on_duplicate_tools: bool = True) -> None:
        self._build: Callable[[], list[Tool]] | None = build
        self._built: dict[str, Tool] | None = None
        super().__init__(warn_on_duplicate_tools)

    @property
    def _tools(self) -> dict[str, Tool]:
        if self._built is None:
            build, self._build = self._build, None
            self._built = {tool.name: tool for tool in (build() if build else [])}
        return self._built

    @_tools.setter
    def _tools(self, value: dict[str, Tool]) -> None:
        # ToolManager.__init__ assigns an empty dict: keep the build pending until the first read.
        if value or self._build is None:
            self._built = value


def install_tool_manager(server: MCPServer[Any], build: Callable[[], list[Tool]]) -> None:
    """Replace the server's private tool manager with a deferred one (see DeferredToolManager)."""
    server._tool_manager = DeferredToolManager(build, warn_on_duplicate_tools=server.settings.warn_on_duplicate_tools)


def lowlevel_server(server: MCPServer[Any]) -> Any:
    """The low-level server behind an MCPServer. `MCPServer.run_stdio_async` opens the SDK's own stdio streams
    (through worker threads); to serve loop-native pipes instead, and to answer every request received before
    stdin closed (plivo_mcp/stdio.py), the low-level server's `run` is called directly, as run_stdio_async does
    after opening its streams."""
    return server._lowlevel_server


# A guard's elicitation resolver and the tool body run in the same request with the same Context object; the
# preview the person saw is kept on it so the body can re-check the state against exactly that preview.
# Context has no public per-request storage, so the value goes in the instance's __dict__ under a private key.
_STASH_PREFIX = "plivo_mcp_"


def stash(ctx: Context, key: str, value: Any) -> None:
    ctx.__dict__[_STASH_PREFIX + key] = value


def stashed(ctx: Context, key: str) -> Any:
    return ctx.__dict__.get(_STASH_PREFIX + key)


