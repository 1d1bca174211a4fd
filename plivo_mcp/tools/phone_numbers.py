"""Tools for Plivo's inventory of numbers for sale: search, and buy (which costs money)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from plivo_mcp.core.deps import Deps
from plivo_mcp.core.spec import Toolset, tool
from plivo_mcp.errors import PlivoToolError
from plivo_mcp.shaping import changed
from plivo_mcp.tools.common import (
    AppId,
    CountryIso,
    Number,
    get_named,
)
from plivo_mcp.tools.listing import ListPage
from plivo_mcp.tools.numbers import Services, digits

SUMMARY_FIELDS = ("number", "type", "region", "city", "monthly_rental_rate", "setup_rate", "voice_enabled",
                  "sms_enabled", "mms_enabled", "restriction")


@tool(title="Search phone numbers", read_only=True, idempotent=True)
async def search_phone_numbers(
    deps: Deps,
    country_iso: CountryIso,
    type: Annotated[Literal["fixed", "mobile", "tollfree", "any"] | None,
                    Field(description="Number type (default any).")] = None,
    pattern: Annotated[str | None, Field(pattern=r"^[0-9*]{1,15}$", description="Digits; * is a wildcard.")] = None,
    region: Annotated[str | None, Field(max_length=100, description="Region or state name.")] = None,
    services: Services = None,
    city: Annotated[str | None, Field(max_length=100, description="City name.")] = None,
    *,
    page: ListPage,
) -> dict[str, Any]:
    """Search numbers for sale in a country, with their cost."""
    return await page.of(deps, "PhoneNumber/", {
        "country_iso": country_iso, "type": type, "pattern": pattern, "region": region,
        "services": services, "city": city,
    }, SUMMARY_FIELDS)


# Calling code -> countries to search, longest codes first when matching. Buying without a price is refused.
CALLING_CODES = {"1": ("US", "CA"), "44": ("GB",), "91": ("IN",), "61": ("AU",), "49": ("DE",), "33": ("FR",),
                 "34": ("ES",), "39": ("IT",), "31": ("NL",), "65": ("SG",), "52": ("MX",), "55": ("BR",)}


async def find_in_inventory(deps: Deps, number: str) -> dict[str, Any] | None:
    client = deps.client
    for code in sorted(CALLING_CODES, key=len, reverse=True):
        if not number.startswith(code):
            continue
        for iso in CALLING_CODES[code]:
            data = await client.get("PhoneNumber/", {"country_iso": iso, "pattern": number[len(code):],
                                                     "limit": 20})
            for item in data.get("objects") or []:
                if item.get("number") == number:
                    return {**item, "country_iso": iso}
    return None


async def preview_buy_phone_number(deps: Deps, number: str, app_id: str | None = None,
                                   **_: Any) -> dict[str, Any]:
    number = digits(number)
    item = await find_in_inventory(deps, number)
    if item is None:
        raise PlivoToolError("not_found", f"{number} was not found in Plivo's inventory, so its cost "
                             "cannot be shown; nothing was bought.", parameter="number",
                             hint="Pick a number from search_phone_numbers.")
    if app_id is not None:
        await get_named(deps.client, f"Application/{app_id}/", "app_id")
    return {
        "action": f"Buy number {item['number']} ({item.get('type')}, {item.get('region') or item['country_iso']})",
        "setup_cost_usd": item.get("setup_rate"),
        "monthly_rental_usd": item.get("monthly_rental_rate"),
        "attach_to_application": app_id,
        "confirm_with": item["number"],
    }


@tool(title="Buy phone number", destructive=False, preview=preview_buy_phone_number)
async def buy_phone_number(
    deps: Deps,
    number: Number,
    app_id: Annotated[AppId | None, Field(description="Application to attach.")] = None,
) -> dict[str, Any]:
    """Rent a number from search_phone_numbers; costs setup plus monthly rental."""
    number = digits(number)
    data = await deps.client.post(f"PhoneNumber/{number}/", {
        "app_id": app_id, **deps.async_callback})
    return changed(data, number=number, status=data.get("status"), numbers=data.get("numbers"))


TOOLSET = Toolset(
    name="phone_numbers",
    description="Numbers for sale: search, and buy (costs money).",
    tools=[search_phone_numbers, buy_phone_number],
)
