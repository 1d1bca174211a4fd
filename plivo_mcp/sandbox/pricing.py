"""Pricing: `GET Pricing/?country_iso=XX` from the static seed in data.py."""

from __future__ import annotations

import copy
import re

from plivo_mcp.sandbox.data import PRICING
from plivo_mcp.sandbox.http import ApiError, Ctx, Result, opt_str


def get(ctx: Ctx) -> Result:
    iso = opt_str(ctx.params, "country_iso")
    if not iso:
        raise ApiError(400, "country_iso parameter is missing")
    if not re.fullmatch(r"[A-Z]{2}", iso):
        raise ApiError(400, "country_iso must be two upper-case letters (ISO 3166 alpha-2)")
    pricing = PRICING.get(iso)
    if pricing is None:
        raise ApiError(404, "not found: no pricing for this country")
    return 200, {"api_id": ctx.api_id, **copy.deepcopy(pricing)}
