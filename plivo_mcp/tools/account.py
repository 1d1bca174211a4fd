"""Account tools: the main account's (or the subaccount's) own details."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from plivo_mcp.shaping import changed, clean
from plivo_mcp.tools.common import CallbackMethod, CallbackUrl, api, changes, plivo_tool

Text = Annotated[str | None, Field(min_length=1, max_length=200)]


@plivo_tool(title="Get account", read_only=True, idempotent=True)
async def get_account(ctx: Context) -> dict[str, Any]:
    """Get the account's details: name, type, billing mode, cash credits, timezone."""
    return clean(await api(ctx).get(""))


@plivo_tool(title="Update account", idempotent=True)
async def update_account(
    ctx: Context,
    name: Annotated[Text, Field(description="Account name.")] = None,
    city: Annotated[Text, Field(description="City.")] = None,
    address: Annotated[Text, Field(description="Street address.")] = None,
    state: Annotated[Text, Field(description="State or region.")] = None,
    timezone: Annotated[Text, Field(description="IANA timezone, e.g. Europe/London.")] = None,
    callback_url: CallbackUrl = None,
    callback_method: CallbackMethod = None,
) -> dict[str, Any]:
    """Change the account's name, address or timezone; fields left out keep their value."""
    body = changes("name", name=name, city=city, address=address, state=state, timezone=timezone)
    data = await api(ctx).post("", {**body, "callback_url": callback_url, "callback_method": callback_method})
    return changed(data, updated=sorted(body))
