"""PhoneNumber: search the inventory and buy a number onto the caller's account."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from plivo_mcp.sandbox.applications import app_ref
from plivo_mcp.sandbox.data import COUNTRIES, NANP_COUNTRIES, nanp_rate_center
from plivo_mcp.sandbox.numbers import Numbers, cnam_lookup_param, refuse_cnam, services_filter
from plivo_mcp.sandbox.router import ApiError, Ctx, Resource, Result, opt_bool, opt_str, page, req_country_iso

_TYPES = ("fixed", "mobile", "tollfree", "any", "local")
_PUBLIC_KEYS = ("number", "country", "city", "region", "type", "sub_type", "prefix", "rate_center", "lata",
                "monthly_rental_rate", "setup_rate", "sms_enabled", "mms_enabled", "voice_enabled", "sms_rate",
                "mms_rate", "voice_rate", "restriction", "restriction_text")


def render(ctx: Ctx, item: dict[str, Any]) -> dict[str, Any]:
    out = {k: item.get(k) for k in _PUBLIC_KEYS}
    out["resource_uri"] = ctx.uri("PhoneNumber", item["number"])
    return out


def _nanp_filters(ctx: Ctx, iso: str) -> tuple[str | None, str | None, str | None, bool]:
    """lata, rate_center, npanxx and local_calling_area, checked ("" means not given, as omitted by SDKs)."""
    lata = opt_str(ctx.params, "lata") or None
    if lata is not None and not re.fullmatch(r"\d{1,5}", lata):
        raise ApiError(400, "lata must be a LATA number, e.g. 722")
    rate_center = opt_str(ctx.params, "rate_center") or None
    npanxx = opt_str(ctx.params, "npanxx") or None
    if npanxx is not None:
        if not re.fullmatch(r"\d{6}", npanxx):
            raise ApiError(400, "npanxx must be 6 digits: an area code and an exchange, e.g. 415555")
        if iso not in NANP_COUNTRIES:
            raise ApiError(400, "npanxx applies only to US and CA numbers")
    local = bool(opt_bool(ctx.params, "local_calling_area"))
    if local and npanxx is None:
        raise ApiError(400, "local_calling_area needs npanxx: the area is that of the given NPANXX")
    return lata, rate_center, npanxx, local


def search(ctx: Ctx) -> Result:
    iso = req_country_iso(ctx.params)
    ntype = (opt_str(ctx.params, "type") or "any").lower()
    if ntype not in _TYPES:
        raise ApiError(400, "type must be one of fixed, mobile, tollfree, any")
    pattern = opt_str(ctx.params, "pattern")
    if pattern is not None and not re.fullmatch(r"[0-9A-Za-z*?]*", pattern):
        raise ApiError(400, "pattern may contain only digits, letters, '*' and '?'")
    region = (opt_str(ctx.params, "region") or "").lower()
    city = (opt_str(ctx.params, "city") or "").lower()
    services = services_filter(ctx)
    lata, rate_center, npanxx, local = _nanp_filters(ctx, iso)
    eligible = opt_bool(ctx.params, "eligible")
    items = ctx.db.storage(Numbers).search_inventory(iso)
    code = str(COUNTRIES[iso][1]) if iso in COUNTRIES else ""
    if ntype not in ("any",):
        want = "fixed" if ntype == "local" else ntype
        items = [i for i in items if i["type"] == want]
    if pattern:
        # As the API: numbers starting with country code + pattern; '*' and '?' are wildcards.
        items = [i for i in items if fnmatch.fnmatchcase(i["number"][len(code):], pattern + "*")]
    if region:
        items = [i for i in items if region in (i["region"] or "").lower()]
    if city:
        items = [i for i in items if city in (i["city"] or "").lower()]
    for s in services:
        items = [i for i in items if i[f"{s}_enabled"]]
    if lata is not None:
        items = [i for i in items if i["lata"] is not None and i["lata"] == int(lata)]
    if rate_center is not None:
        items = [i for i in items if (i["rate_center"] or "").lower() == rate_center.lower()]
    if npanxx is not None and local:
        # The local calling area of an NPANXX: every number of its rate center (see data.nanp_rate_center).
        area = nanp_rate_center(iso, npanxx[:3])
        items = [i for i in items if area is not None and i["rate_center"] == area]
    elif npanxx is not None:
        items = [i for i in items if i["number"][len(code):len(code) + 6] == npanxx]
    if eligible:
        # Eligible: buyable without address or identity proof. Sandbox numbers carry no restriction.
        items = [i for i in items if i["restriction"] is None]
    filters = ("country_iso", "type", "pattern", "region", "city", "services", "lata", "rate_center", "npanxx",
               "local_calling_area", "eligible")
    return page(ctx, "PhoneNumber", items, lambda i: render(ctx, i), filters)


def buy(ctx: Ctx, number: str) -> Result:
    if not re.fullmatch(r"\d{6,16}", number):
        raise ApiError(400, "number must contain only digits")
    item = ctx.db.storage(Numbers).inventory_item(number)
    if item is None:
        raise ApiError(404, "not found: number is not available")
    app_id = app_ref(ctx) or None
    refuse_cnam(ctx)
    cnam_lookup = cnam_lookup_param(ctx, item)
    ha_enable = bool(opt_bool(ctx.params, "ha_enable"))
    fallback = ctx.db.storage(Numbers).buy(ctx.caller, number, payer=ctx.main_id, app_id=app_id,
                                          cnam_lookup=cnam_lookup, ha_enable=ha_enable)
    bought: dict[str, Any] = {"number": number, "status": "Success"}
    if fallback is not None:
        bought["fallback_number"] = fallback
    return 201, {"api_id": ctx.api_id, "message": "created", "numbers": [bought], "status": "fulfilled"}


RESOURCE = Resource(paths={"PhoneNumber/": {"GET": search}, "PhoneNumber/{id}/": {"POST": buy}})
