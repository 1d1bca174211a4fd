"""Tools for the phone numbers rented on the account."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from plivo_mcp.core.deps import Deps
from plivo_mcp.core.spec import Toolset, tool
from plivo_mcp.shaping import changed, clean
from plivo_mcp.tools.common import (
    AppId,
    Number,
    SubaccountId,
    changes,
    matching,
)
from plivo_mcp.tools.listing import ListPage

SUMMARY_FIELDS = ("number", "alias", "number_type", "country", "application", "sub_account",
                  "monthly_rental_rate", "renewal_date")
Services = Annotated[str | None, Field(description="Comma-joined: voice,sms,mms."),
                     matching(r"^(voice|sms|mms)(,(voice|sms|mms)){0,2}$", "voice, sms or mms, comma-joined")]
Date = Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"},
                                   description="YYYY-MM-DD.")]


def digits(number: str) -> str:
    return number.removeprefix("+")


@tool(title="List numbers", read_only=True, idempotent=True)
async def list_numbers(
    deps: Deps,
    type: Annotated[Literal["local", "tollfree", "mobile", "national", "fixed"] | None,
                    Field(description="Number type.")] = None,
    number_startswith: Annotated[str | None, Field(pattern=r"^[0-9]{1,15}$", description="Digits prefix.")] = None,
    subaccount: Annotated[SubaccountId | None, Field(description="Only this subaccount's.")] = None,
    alias: Annotated[str | None, Field(max_length=100, description="Exact alias.")] = None,
    services: Services = None,
    renewal_date: Annotated[Date, Field(description="Renews on this date.")] = None,
    renewal_date_before: Annotated[Date, Field(description="Renews before this date.")] = None,
    renewal_date_after: Annotated[Date, Field(description="Renews after this date.")] = None,
    *,
    page: ListPage,
) -> dict[str, Any]:
    """List rented numbers, newest first."""
    return await page.of(deps, "Number/", {
        "type": type, "number_startswith": number_startswith, "subaccount": subaccount, "alias": alias,
        "services": services, "renewal_date": renewal_date, "renewal_date__lt": renewal_date_before,
        "renewal_date__gt": renewal_date_after,
    }, SUMMARY_FIELDS)


@tool(title="Get number", read_only=True, idempotent=True)
async def get_number(deps: Deps, number: Number) -> dict[str, Any]:
    """Get one rented number: type, services, rates, app, renewal."""
    return clean(await deps.client.get(f"Number/{digits(number)}/"))


@tool(title="Update number", idempotent=True)
async def update_number(
    deps: Deps,
    number: Number,
    app_id: Annotated[AppId | None, Field(description="Route to this application.")] = None,
    subaccount: Annotated[SubaccountId | None, Field(description="Assign to this subaccount.")] = None,
    alias: Annotated[str | None, Field(min_length=1, max_length=100, description="Label.")] = None,
) -> dict[str, Any]:
    """Attach a number to an application or subaccount, or relabel it."""
    body = changes("app_id", app_id=app_id, subaccount=subaccount, alias=alias)
    number = digits(number)
    data = await deps.client.post(f"Number/{number}/", {**body, **deps.async_callback})
    return changed(data, number=number, updated=sorted(body))


async def preview_unrent_number(deps: Deps, number: str, **_: Any) -> dict[str, Any]:
    rented = clean(await deps.client.get(f"Number/{digits(number)}/"))
    return {
        "action": f"Release number {rented.get('number')} from the account",
        "alias": rented.get("alias"),
        "application": rented.get("application"),
        "sub_account": rented.get("sub_account"),
        "monthly_rental_stops_usd": rented.get("monthly_rental_rate"),
        "reversible": "no: once released, the number cannot be assumed recoverable",
        "confirm_with": rented.get("number"),
    }


@tool(title="Unrent number", destructive=True, idempotent=True, preview=preview_unrent_number)
async def unrent_number(
    deps: Deps,
    number: Number,
) -> dict[str, Any]:
    """Release a number from the account; it may not be recoverable."""
    number = digits(number)
    data = await deps.client.delete(f"Number/{number}/", deps.async_callback)
    return changed(data, released=number)


TOOLSET = Toolset(
    name="numbers",
    description="Rented phone numbers: list, attach, relabel, release.",
    tools=[list_numbers, get_number, update_number, unrent_number],
)
