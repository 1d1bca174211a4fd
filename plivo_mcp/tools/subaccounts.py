"""Subaccount tools (main account credentials only). Subaccount auth tokens are masked in every answer."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import Field

from plivo_mcp.core.deps import Deps
from plivo_mcp.core.spec import Toolset, tool
from plivo_mcp.errors import invalid_argument
from plivo_mcp.paging import Progress, collect_linked, count_and_sample
from plivo_mcp.shaping import changed, clean, sample
from plivo_mcp.tools.common import (
    SubaccountId,
)
from plivo_mcp.tools.listing import ListPage

SUMMARY_FIELDS = ("auth_id", "name", "enabled", "created")
Name = Annotated[str, Field(min_length=1, max_length=200, description="Subaccount name.")]


@tool(title="List subaccounts", read_only=True, idempotent=True, main_account_only=True)
async def list_subaccounts(deps: Deps, *, page: ListPage) -> dict[str, Any]:
    """List subaccounts, newest first."""
    return await page.of(deps, "Subaccount/", {}, SUMMARY_FIELDS)


@tool(title="Get subaccount", read_only=True, idempotent=True, main_account_only=True)
async def get_subaccount(deps: Deps, subaccount_id: SubaccountId) -> dict[str, Any]:
    """Get one subaccount; its auth tokens are masked."""
    return clean(await deps.client.get(f"Subaccount/{subaccount_id}/"))


@tool(title="Create subaccount", main_account_only=True)
async def create_subaccount(
    deps: Deps,
    name: Name,
    enabled: Annotated[bool, Field(description="Enable it now (API default false).")] = False,
) -> dict[str, Any]:
    """Create a subaccount (disabled unless enabled=true); returns its auth id."""
    data = await deps.client.post("Subaccount/", {"name": name, "enabled": enabled, **deps.async_callback})
    return changed(data, auth_id=data.get("auth_id"), auth_token=data.get("auth_token"), name=name,
                   enabled=enabled)


@tool(title="Update subaccount", idempotent=True, main_account_only=True)
async def update_subaccount(
    deps: Deps,
    subaccount_id: SubaccountId,
    name: Annotated[str | None, Field(min_length=1, max_length=200, description="New name.")] = None,
    enabled: Annotated[bool | None, Field(description="Enable or disable it.")] = None,
) -> dict[str, Any]:
    """Rename, enable or disable a subaccount."""
    if name is None and enabled is None:
        raise invalid_argument("name", "give name and/or enabled")
    client = deps.client
    # The API requires name on update; keep the current one. It is not echoed: a write's answer carries only
    # the caller's own arguments, never unmarked account text.
    current = name if name is not None else (await client.get(f"Subaccount/{subaccount_id}/")).get("name")
    data = await client.post(f"Subaccount/{subaccount_id}/", {
        "name": current, "enabled": enabled, **deps.async_callback})
    return changed(data, auth_id=subaccount_id, name=name, enabled=enabled)


def monthly_rental(numbers: list[dict[str, Any]]) -> tuple[Decimal, int]:
    """The exact sum of the numbers' monthly rental rates (decimal: no float drift over thousands), and how
    many had no readable rate, so that a preview can say so instead of counting them as free."""
    total, unpriced = Decimal(0), 0
    for number in numbers:
        try:
            rate = Decimal(str(number.get("monthly_rental_rate")))
        except InvalidOperation:
            rate = Decimal("NaN")
        if rate.is_finite():
            total += rate
        else:
            unpriced += 1
    return total, unpriced


async def preview_delete_subaccount(deps: Deps, subaccount_id: str, cascade: bool = False,
                                    **_: Any) -> dict[str, Any]:
    # A person confirms these figures, so each is exact: counts are the API's totals and the rental is summed
    # over every number (paged concurrently under the rate limiter); past PREVIEW_MAX_ITEMS a figure says
    # how much it covers instead of understating in silence.
    client = deps.client
    progress = Progress(deps.ctx)
    sub = await client.get(f"Subaccount/{subaccount_id}/")
    owner = {"subaccount": subaccount_id}
    apps = await count_and_sample(progress, "applications", client, "Application/", owner)
    # Only a cascade stops rental, and only the sum needs every number; a move needs the count and a sample.
    numbers = await (progress.listing("numbers", client, "Number/", owner) if cascade
                     else count_and_sample(progress, "numbers", client, "Number/", owner))
    # The API cannot list endpoints by subaccount: the account's whole list is searched.
    endpoints, searched = await collect_linked(progress, "endpoints", client, "Endpoint/", "sub_account",
                                               subaccount_id)
    owned = {"applications": sample(apps.items, "app_name", apps.count, apps.partial_count("applications")),
             "endpoints": sample(endpoints, "username", partial=searched.partial_search("endpoints")),
             "numbers": sample(numbers.items, "number", numbers.count, numbers.partial_count("numbers"))}
    preview: dict[str, Any] = {
        "action": f"Delete subaccount {sub.get('name')} ({subaccount_id})"
                  + (" and everything it owns" if cascade else ""),
        "subaccount": {"auth_id": subaccount_id, "name": sub.get("name"), "enabled": sub.get("enabled")},
        "cascade": cascade,
        ("deleted_with_it" if cascade else "moved_to_main_account"): owned,
        "monthly_rental_stops_usd": "0.00",
    }
    if cascade:
        rental, unpriced = monthly_rental(numbers.items)
        preview["monthly_rental_stops_usd"] = f"{rental:.2f}"
        if numbers.cut_short:
            preview["monthly_rental_partial"] = numbers.partial_sum("numbers")
        if unpriced:
            preview["monthly_rental_unknown"] = (f"rate unreadable for {unpriced} of {len(numbers.items)} numbers; "
                                                 "not included in the sum")
    return {
        **preview,
        "reversible": False,
        # A cascade wipes a customer's whole setup: the person must type its name, not just paste an id.
        "confirm_with": sub.get("name") if cascade else subaccount_id,
    }


@tool(title="Delete subaccount", destructive=True, idempotent=True, main_account_only=True,
            preview=preview_delete_subaccount)
async def delete_subaccount(
    deps: Deps,
    subaccount_id: SubaccountId,
    cascade: Annotated[bool, Field(description="Also delete its apps, endpoints, numbers (default false: "
                                               "they move to the main account).")] = False,
) -> dict[str, Any]:
    """Delete a subaccount; without cascade its resources move to the main account."""
    data = await deps.client.delete(f"Subaccount/{subaccount_id}/", {
        "cascade": cascade, **deps.async_callback})
    return changed(data, deleted=subaccount_id, cascade=cascade)


TOOLSET = Toolset(
    name="subaccounts",
    description="Subaccounts: list, create, rename, enable, delete (main account only).",
    tools=[list_subaccounts, get_subaccount, create_subaccount, update_subaccount, delete_subaccount],
    # Off by default: the default surface is read on every conversation (6,000 tokens at most, README
    # "Tools and toolsets"); every operation stays reachable through the catalog, guarded alike.
    default=False,
)
