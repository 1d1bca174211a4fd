"""Tools for Plivo's inventory of numbers for sale: search, and buy (which costs money)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from plivo_mcp.paging import fetch_pages
from plivo_mcp.shaping import changed, page_of
from plivo_mcp.tools.common import (
    AllPages,
    AppId,
    CallbackMethod,
    CallbackUrl,
    CountryIso,
    Fields,
    Limit,
    MaxItems,
    Number,
    Offset,
    api,
    plivo_tool,
)
from plivo_mcp.tools.numbers import Services, digits

SUMMARY_FIELDS = ("number", "type", "region", "city", "monthly_rental_rate", "setup_rate", "voice_enabled",
                  "sms_enabled", "mms_enabled", "restriction")


@plivo_tool(title="Search phone numbers", read_only=True, idempotent=True)
async def search_phone_numbers(
    ctx: Context,
    country_iso: CountryIso,
    type: Annotated[Literal["fixed", "mobile", "tollfree", "any"] | None,
                    Field(description="Number type (default any).")] = None,
    pattern: Annotated[str | None, Field(pattern=r"^[0-9*]{1,15}$", description="Digits; * is a wildcard.")] = None,
    region: Annotated[str | None, Field(max_length=100, description="Region or state name.")] = None,
    services: Services = None,
    city: Annotated[str | None, Field(max_length=100, description="City name.")] = None,
    limit: Limit = 20,
    offset: Offset = 0,
    fields: Fields = None,
    all_pages: AllPages = False,
    max_items: MaxItems = 200,
) -> dict[str, Any]:
    """Search numbers available to buy in a country, with monthly and setup cost."""
    data = await fetch_pages(api(ctx), "PhoneNumber/", {
        "country_iso": country_iso, "type": type, "pattern": pattern, "region": region,
        "services": services, "city": city,
    }, limit=limit, offset=offset, all_pages=all_pages, max_items=max_items, ctx=ctx)
    return page_of(data, SUMMARY_FIELDS, fields)


@plivo_tool(title="Buy phone number", destructive=False, guarded=True)
async def buy_phone_number(
    ctx: Context,
    number: Number,
    app_id: Annotated[AppId | None, Field(description="Application to attach.")] = None,
    callback_url: CallbackUrl = None,
    callback_method: CallbackMethod = None,
) -> dict[str, Any]:
    """Rent a number found by search_phone_numbers; costs setup plus monthly rental. Needs confirmation."""
    data = await api(ctx).post(f"PhoneNumber/{digits(number)}/", {
        "app_id": app_id, "callback_url": callback_url, "callback_method": callback_method})
    return changed(data, number=digits(number), status=data.get("status"), numbers=data.get("numbers"))
