"""Pricing: `GET Pricing/?country_iso=XX` from the static seed in data.py."""

from __future__ import annotations

from plivo_mcp.sandbox.data import PRICING
from plivo_mcp.sandbox.router import ApiError, Ctx, Resource, Result, req_country_iso


def get(ctx: Ctx) -> Result:
    iso = req_country_iso(ctx.params)
    pricing = PRICING.get(iso)
    if pricing is None:
        raise ApiError(404, "not found: no pricing for this country")
    return 200, {"api_id": ctx.api_id, **pricing}


RESOURCE = Resource(paths={"Pricing/": {"GET": get}})
