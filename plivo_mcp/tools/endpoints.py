"""SIP endpoint tools. Passwords are write-only: never echoed in answers or logs."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from plivo_mcp.core.deps import Deps
from plivo_mcp.core.spec import Toolset, tool
from plivo_mcp.shaping import changed, clean
from plivo_mcp.tools.common import (
    AppId,
    EndpointId,
    changes,
)
from plivo_mcp.tools.listing import ListPage

SUMMARY_FIELDS = ("endpoint_id", "username", "alias", "application", "sip_registered", "sub_account")
Password = Annotated[str, Field(min_length=5, max_length=128, description="SIP password, 5+ characters.")]
Alias = Annotated[str, Field(min_length=1, max_length=100, description="Display name.")]


@tool(title="List endpoints", read_only=True, idempotent=True)
async def list_endpoints(deps: Deps, *, page: ListPage) -> dict[str, Any]:
    """List SIP endpoints, newest first."""
    return await page.of(deps, "Endpoint/", {}, SUMMARY_FIELDS)


@tool(title="Get endpoint", read_only=True, idempotent=True)
async def get_endpoint(deps: Deps, endpoint_id: EndpointId) -> dict[str, Any]:
    """Get one SIP endpoint and its registration."""
    return clean(await deps.client.get(f"Endpoint/{endpoint_id}/"))


@tool(title="Create endpoint")
async def create_endpoint(
    deps: Deps,
    username: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]*$", max_length=40, description=(
        "Letters and digits, starting with a letter; Plivo appends 12 digits."))],
    password: Password,
    alias: Alias,
    app_id: Annotated[AppId | None, Field(description="Application to attach.")] = None,
) -> dict[str, Any]:
    """Create a SIP endpoint. Returns its endpoint_id and full username."""
    data = await deps.client.post("Endpoint/", {
        "username": username, "password": password, "alias": alias, "app_id": app_id, **deps.async_callback})
    return changed(data, endpoint_id=data.get("endpoint_id"), username=data.get("username"), alias=alias)


@tool(title="Update endpoint", idempotent=True)
async def update_endpoint(
    deps: Deps,
    endpoint_id: EndpointId,
    password: Annotated[Password | None, Field(description="New SIP password, 5+ characters.")] = None,
    alias: Annotated[Alias | None, Field(description="New display name.")] = None,
    app_id: Annotated[AppId | None, Field(description="Attach to this application.")] = None,
) -> dict[str, Any]:
    """Change an endpoint's password, alias or application."""
    body = changes("alias", password=password, alias=alias, app_id=app_id)
    data = await deps.client.post(f"Endpoint/{endpoint_id}/", {**body, **deps.async_callback})
    return changed(data, endpoint_id=endpoint_id, updated=sorted(body))


async def preview_delete_endpoint(deps: Deps, endpoint_id: str, **_: Any) -> dict[str, Any]:
    endpoint = clean(await deps.client.get(f"Endpoint/{endpoint_id}/"))
    return {
        "action": f"Delete SIP endpoint {endpoint.get('username')} ({endpoint_id})",
        "alias": endpoint.get("alias"),
        "application": endpoint.get("application"),
        "registered_now": endpoint.get("sip_registered"),
        "reversible": False,
        "confirm_with": endpoint.get("username"),
    }


@tool(title="Delete endpoint", destructive=True, idempotent=True, preview=preview_delete_endpoint)
async def delete_endpoint(
    deps: Deps,
    endpoint_id: EndpointId,
) -> dict[str, Any]:
    """Delete a SIP endpoint; phones registered with it stop working."""
    data = await deps.client.delete(f"Endpoint/{endpoint_id}/", deps.async_callback)
    return changed(data, deleted=endpoint_id)


TOOLSET = Toolset(
    name="endpoints",
    description="SIP endpoints: list, create, update, delete.",
    tools=[list_endpoints, get_endpoint, create_endpoint, update_endpoint, delete_endpoint],
    # Off by default: the default surface is read on every conversation (6,000 tokens at most, README
    # "Tools and toolsets"); every operation stays reachable through the catalog, guarded alike.
    default=False,
)
