"""SIP endpoint tools. Passwords are write-only: never echoed in answers or logs."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from plivo_mcp.paging import fetch_pages
from plivo_mcp.shaping import changed, clean, page_of
from plivo_mcp.tools.common import (
    AllPages,
    AppId,
    CallbackMethod,
    CallbackUrl,
    EndpointId,
    Fields,
    Limit,
    MaxItems,
    Offset,
    api,
    changes,
    plivo_tool,
)

SUMMARY_FIELDS = ("endpoint_id", "username", "alias", "application", "sip_registered", "sub_account")
Password = Annotated[str, Field(min_length=5, max_length=128, description="SIP password, 5+ characters.")]
Alias = Annotated[str, Field(min_length=1, max_length=100, description="Display name.")]


@plivo_tool(title="List endpoints", read_only=True, idempotent=True)
async def list_endpoints(ctx: Context, limit: Limit = 20, offset: Offset = 0, fields: Fields = None,
                         all_pages: AllPages = False, max_items: MaxItems = 200) -> dict[str, Any]:
    """List SIP endpoints, newest first."""
    data = await fetch_pages(api(ctx), "Endpoint/", {}, limit=limit, offset=offset, all_pages=all_pages,
                             max_items=max_items, ctx=ctx)
    return page_of(data, SUMMARY_FIELDS, fields)


@plivo_tool(title="Get endpoint", read_only=True, idempotent=True)
async def get_endpoint(ctx: Context, endpoint_id: EndpointId) -> dict[str, Any]:
    """Get one SIP endpoint with its registration state."""
    return clean(await api(ctx).get(f"Endpoint/{endpoint_id}/"))


@plivo_tool(title="Create endpoint")
async def create_endpoint(
    ctx: Context,
    username: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]*$", max_length=40, description=(
        "Letters and digits, starting with a letter; Plivo appends 12 digits."))],
    password: Password,
    alias: Alias,
    app_id: Annotated[AppId | None, Field(description="Application to attach.")] = None,
    callback_url: CallbackUrl = None,
    callback_method: CallbackMethod = None,
) -> dict[str, Any]:
    """Create a SIP endpoint. Returns its endpoint_id and full username."""
    data = await api(ctx).post("Endpoint/", {
        "username": username, "password": password, "alias": alias, "app_id": app_id,
        "callback_url": callback_url, "callback_method": callback_method})
    return changed(data, endpoint_id=data.get("endpoint_id"), username=data.get("username"), alias=alias)


@plivo_tool(title="Update endpoint", idempotent=True)
async def update_endpoint(
    ctx: Context,
    endpoint_id: EndpointId,
    password: Annotated[Password | None, Field(description="New SIP password, 5+ characters.")] = None,
    alias: Annotated[Alias | None, Field(description="New display name.")] = None,
    app_id: Annotated[AppId | None, Field(description="Attach to this application.")] = None,
    callback_url: CallbackUrl = None,
    callback_method: CallbackMethod = None,
) -> dict[str, Any]:
    """Change an endpoint's password, alias or application."""
    body = changes("alias", password=password, alias=alias, app_id=app_id)
    data = await api(ctx).post(f"Endpoint/{endpoint_id}/", {
        **body, "callback_url": callback_url, "callback_method": callback_method})
    return changed(data, endpoint_id=endpoint_id, updated=sorted(body))


async def preview_delete_endpoint(ctx: Context, endpoint_id: str, **_: Any) -> dict[str, Any]:
    endpoint = clean(await api(ctx).get(f"Endpoint/{endpoint_id}/"))
    return {
        "action": f"Delete SIP endpoint {endpoint.get('username')} ({endpoint_id})",
        "alias": endpoint.get("alias"),
        "application": endpoint.get("application"),
        "registered_now": endpoint.get("sip_registered"),
        "reversible": False,
        "confirm_with": endpoint.get("username"),
    }


@plivo_tool(title="Delete endpoint", destructive=True, idempotent=True, preview=preview_delete_endpoint)
async def delete_endpoint(
    ctx: Context,
    endpoint_id: EndpointId,
    callback_url: CallbackUrl = None,
    callback_method: CallbackMethod = None,
) -> dict[str, Any]:
    """Delete a SIP endpoint; phones registered with it stop working. Needs confirmation."""
    data = await api(ctx).delete(f"Endpoint/{endpoint_id}/", {
        "callback_url": callback_url, "callback_method": callback_method})
    return changed(data, deleted=endpoint_id)
