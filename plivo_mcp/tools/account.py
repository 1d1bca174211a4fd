"""Account tools: the main account's (or the subaccount's) own details."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from plivo_mcp.core.deps import Deps
from plivo_mcp.core.spec import Toolset, tool
from plivo_mcp.shaping import changed, clean
from plivo_mcp.tools.common import changes

Text = Annotated[str | None, Field(min_length=1, max_length=200)]


@tool(title="Get account", read_only=True, idempotent=True)
async def get_account(deps: Deps) -> dict[str, Any]:
    """Get the account: name, type, billing, cash credits, timezone."""
    return clean(await deps.client.get(""))


@tool(title="Update account", idempotent=True)
async def update_account(
    deps: Deps,
    name: Annotated[Text, Field(description="Account name.")] = None,
    city: Annotated[Text, Field(description="City.")] = None,
    address: Annotated[Text, Field(description="Street address.")] = None,
    state: Annotated[Text, Field(description="State or region.")] = None,
    timezone: Annotated[Text, Field(description="IANA timezone, e.g. Europe/London.")] = None,
) -> dict[str, Any]:
    """Change the account's name, address or timezone."""
    body = changes("name", name=name, city=city, address=address, state=state, timezone=timezone)
    data = await deps.client.post("", {**body, **deps.async_callback})
    return changed(data, updated=sorted(body))


TOOLSET = Toolset(
    name="account",
    description="The account's own details: name, address, timezone, credit.",
    tools=[get_account, update_account],
)
