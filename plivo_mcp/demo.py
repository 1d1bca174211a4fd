"""`plivo-mcp demo`: a real MCP client session against `plivo-mcp serve --sandbox`, printed as a transcript."""

from __future__ import annotations

import json
import sys
from typing import Any


async def _session() -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "plivo_mcp", "serve", "--sandbox"],
                                   env={"PLIVO_MCP_LOG_LEVEL": "warning"})
    async with Client(params) as client:

        async def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
            result = await client.call_tool(name, args)
            data = json.loads(result.content[0].text)  # type: ignore[union-attr]
            print(f"\n>> {name} {json.dumps(args)}{'  [error]' if result.is_error else ''}")
            print(json.dumps(data, indent=2)[:1800])
            return data

        tools = (await client.list_tools()).tools
        print(f"== {len(tools)} tools over stdio against the embedded sandbox")
        for tool in tools:
            hints = tool.annotations
            kind = "read" if hints and hints.read_only_hint else (
                "DESTRUCTIVE" if hints and hints.destructive_hint else "write")
            print(f"  {tool.name:<22} {kind:<11} {tool.description}")
        await call("get_account", {})
        sub = await call("create_subaccount", {"name": "Acme Support", "enabled": True})
        app = await call("create_application", {"app_name": "acme_ivr", "answer_url": "https://example.com/answer",
                                                "subaccount": sub["auth_id"]})
        await call("list_subaccounts", {})
        await call("list_applications", {"subaccount": sub["auth_id"]})
        await call("get_pricing", {"country_iso": "US"})
        print("\n== A guarded delete: the first call only previews; nothing is deleted without the token.")
        preview = await call("delete_application", {"app_id": app["app_id"]})
        await call("get_application", {"app_id": app["app_id"]})
        print("\n== A wrong token is refused, and nothing happens:")
        await call("delete_application", {"app_id": app["app_id"], "confirmation_token": "forged.token"})
        print("\n== The person agreed to the preview: the same call with its token acts.")
        await call("delete_application", {"app_id": app["app_id"],
                                          "confirmation_token": preview["confirmation_token"]})
        await call("get_application", {"app_id": app["app_id"]})


def run_demo() -> int:
    import anyio

    anyio.run(_session)
    return 0
