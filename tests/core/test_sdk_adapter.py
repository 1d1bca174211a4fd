"""Each private SDK attribute plivo_mcp/core/sdk.py relies on, checked against the installed SDK by name: an
upgrade that removes or changes one fails here, saying which, instead of somewhere inside a tool call."""

from __future__ import annotations

import inspect

import pytest
from mcp import Client
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.tools.tool_manager import ToolManager

from plivo_mcp.core.sdk import DeferredToolManager, install_tool_manager, stash, stashed, with_signature

pytestmark = pytest.mark.anyio


def test_mcpserver_keeps_its_tools_in_a_private_tool_manager() -> None:
    server = MCPServer("probe")
    assert isinstance(getattr(server, "_tool_manager", None), ToolManager), "MCPServer._tool_manager is gone"
    assert "_tools" in vars(ToolManager(False)), "ToolManager no longer keeps its tools in _tools"


def test_the_lowlevel_server_can_be_run_on_given_streams() -> None:
    low = getattr(MCPServer("probe"), "_lowlevel_server", None)
    assert low is not None, "MCPServer._lowlevel_server is gone"
    params = list(inspect.signature(low.run).parameters)
    assert params[:3] == ["read_stream", "write_stream", "initialization_options"], params
    assert callable(low.create_initialization_options)


def test_context_instances_take_per_request_values() -> None:
    ctx = Context(mcp_server=MCPServer("probe"))
    stash(ctx, "preview", {"a": 1})
    assert stashed(ctx, "preview") == {"a": 1}
    assert stashed(Context(mcp_server=MCPServer("probe")), "preview") is None


async def test_a_rewritten_signature_is_what_the_sdk_validates_and_a_deferred_build_serves() -> None:
    async def run(**kwargs: object) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(kwargs.items()))

    params = [inspect.Parameter("n", inspect.Parameter.KEYWORD_ONLY, annotation=int),
              inspect.Parameter("tag", inspect.Parameter.KEYWORD_ONLY, annotation=str, default="x")]
    fn = with_signature(run, "probe_tool", params, "A probe.")
    server = MCPServer("probe")
    built: list[bool] = []

    def build() -> list:
        from mcp.server.mcpserver.tools.base import Tool

        built.append(True)
        return [Tool.from_function(fn, name="probe_tool")]

    install_tool_manager(server, build)
    assert isinstance(server._tool_manager, DeferredToolManager) and not built
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
        assert [t.name for t in tools] == ["probe_tool"] and built == [True]
        assert tools[0].input_schema["required"] == ["n"]
        result = await client.call_tool("probe_tool", {"n": "3"})
        assert result.content[0].text == "n=3,tag=x"  # type: ignore[union-attr]
        refused = await client.call_tool("probe_tool", {"n": "three"})
        assert refused.is_error
