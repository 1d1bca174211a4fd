"""Number (numbers rented on the account): list with filters, get, update, unrent."""

from __future__ import annotations

import datetime as dt
import operator
import re
from typing import Any

from plivo_mcp.sandbox.data import COUNTRIES
from plivo_mcp.sandbox.endpoints import app_ref
from plivo_mcp.sandbox.router import ApiError, Ctx, Resource, Result, changed, deleted, found, opt_str, page
from plivo_mcp.sandbox.store import cnam_lookup_applies

NUMBER_TYPES = {"fixed": "local", "local": "local", "mobile": "mobile", "tollfree": "tollfree",
                "national": "national"}
_SERVICES = ("voice", "sms", "mms")
_RENEWAL_OPS = {"renewal_date": operator.eq, "renewal_date__lt": operator.lt, "renewal_date__lte": operator.le,
                "renewal_date__gt": operator.gt, "renewal_date__gte": operator.ge}
# Filter value (as documented for List numbers) -> the value the Number object shows.
_TENDLC_FILTER = {"unregistered": "UNREGISTERED", "in_progress": "PROCESSING", "registered": "COMPLETED"}
_TF_VERIFICATION_FILTER = {"unverified": "UNVERIFIED", "pending_verification": "PENDING_VERIFICATION",
                           "verified": "VERIFIED"}
CNAM_LOOKUP_VALUES = ("enabled", "disabled")
# Filters an SDK can send about data the sandbox does not keep: refused by name rather than ignored.
_UNSUPPORTED_FILTERS = {
    "toll_free_sms_verification_order_status": "the sandbox keeps no toll-free verification orders",
    "cnam": "the sandbox keeps no caller ID names (CNAM)",
}
_LIST_FILTERS = ("type", "number_type", "number_startswith", "subaccount", "alias", "services", "cnam_lookup",
                 "tendlc_registration_status", "tendlc_campaign_id", "toll_free_sms_verification", *_RENEWAL_OPS)


def _compliance(row: dict[str, Any]) -> dict[str, Any]:
    """The Number's messaging-compliance and CNAM properties, as the API scopes them: 10DLC for SMS-enabled US
    local numbers, toll-free verification for SMS-enabled US/CA toll-free numbers, CNAM lookup for US local and
    toll-free numbers (null elsewhere). The sandbox links no number to a 10DLC campaign or verification."""
    d = row["data"]
    iso, ntype, sms = d["country_iso"], d["type"], d["sms_enabled"]
    return {
        "cnam_lookup": (row["cnam_lookup"] or "disabled") if cnam_lookup_applies(d) else None,
        "tendlc_campaign_id": None,
        "tendlc_registration_status": "UNREGISTERED" if iso == "US" and ntype == "fixed" and sms else None,
        "toll_free_sms_verification": "UNVERIFIED" if iso in ("US", "CA") and ntype == "tollfree" and sms else None,
    }


def render(ctx: Ctx, row: dict[str, Any]) -> dict[str, Any]:
    d = row["data"]
    iso = d["country_iso"]
    return {
        "added_on": row["added_on"], "active": True, "alias": row["alias"],
        "application": ctx.uri("Application", row["app_id"]) if row["app_id"] else None,
        "carrier": "Plivo", "city": d["city"], "compliance_application_id": None,
        "compliance_status": None, "country": COUNTRIES[iso][0], "mms_enabled": d["mms_enabled"],
        "mms_rate": d["mms_rate"], "monthly_rental_rate": d["monthly_rental_rate"], "number": row["number"],
        "number_type": NUMBER_TYPES[d["type"]], "region": d["region"], "renewal_date": row["renewal_date"],
        "resource_uri": ctx.uri("Number", row["number"]), "sms_enabled": d["sms_enabled"],
        "sms_rate": d["sms_rate"], "sub_account": ctx.account_uri(row["owner"]),
        "voice_enabled": d["voice_enabled"], "voice_rate": d["voice_rate"], **_compliance(row),
        # High availability (buy with ha_enable): the number held as this one's fallback.
        "ha_enabled": bool(row["ha_enabled"]), "fallback_number": row["fallback_number"],
    }


def cnam_lookup_param(ctx: Ctx, item: dict[str, Any]) -> str | None:
    """`cnam_lookup` checked for the number it would apply to (its inventory data); None when not given."""
    v = opt_str(ctx.params, "cnam_lookup") or None
    if v is None:
        return None
    if v.lower() not in CNAM_LOOKUP_VALUES:
        raise ApiError(400, "cnam_lookup must be enabled or disabled")
    if not cnam_lookup_applies(item):
        raise ApiError(400, "cnam_lookup applies only to US local and toll-free numbers")
    return v.lower()


def refuse_cnam(ctx: Ctx) -> None:
    """plivo-go can send `cnam` (a caller-ID name) on update and buy: refused by name rather than dropped."""
    if opt_str(ctx.params, "cnam"):
        raise ApiError(400, "cnam is not supported: the sandbox keeps no caller ID names (CNAM)")


def services_filter(ctx: Ctx) -> list[str]:
    raw = opt_str(ctx.params, "services")
    if not raw:
        return []
    wanted = [s.strip().lower() for s in raw.split(",") if s.strip()]
    if any(s not in _SERVICES for s in wanted):
        raise ApiError(400, "services must be a comma-separated list of voice, sms, mms")
    return wanted


def _date(ctx: Ctx, name: str) -> str | None:
    v = opt_str(ctx.params, name)
    if v is None:
        return None
    try:
        return dt.date.fromisoformat(v).isoformat()
    except ValueError:
        raise ApiError(400, f"{name} must be a date in YYYY-MM-DD format") from None


def _type_filter(ctx: Ctx, name: str) -> str | None:
    ntype = opt_str(ctx.params, name) or None
    if ntype is not None and ntype.lower() not in NUMBER_TYPES:
        raise ApiError(400, f"{name} must be one of local, mobile, tollfree, national")
    return NUMBER_TYPES[ntype.lower()] if ntype else None


def _choice_filter(ctx: Ctx, name: str, choices: dict[str, str]) -> str | None:
    """A filter with documented values (any case); returns the value the Number object shows for it."""
    v = opt_str(ctx.params, name) or None
    if v is None:
        return None
    if v.lower() not in choices:
        raise ApiError(400, f"{name} must be one of {', '.join(choices)}")
    return choices[v.lower()]


def list_(ctx: Ctx) -> Result:
    for name, why in _UNSUPPORTED_FILTERS.items():
        if opt_str(ctx.params, name):
            raise ApiError(400, f"{name} filter is not supported: {why}")
    owners = ctx.owner_filter()
    types = [t for t in (_type_filter(ctx, "type"), _type_filter(ctx, "number_type")) if t]
    starts = opt_str(ctx.params, "number_startswith")
    if starts is not None and not re.fullmatch(r"\d*", starts):
        raise ApiError(400, "number_startswith must contain only digits")
    alias = opt_str(ctx.params, "alias")
    services = services_filter(ctx)
    dates = {name: _date(ctx, name) for name in _RENEWAL_OPS}
    wanted = {
        "cnam_lookup": _choice_filter(ctx, "cnam_lookup", {v: v for v in CNAM_LOOKUP_VALUES}),
        "tendlc_registration_status": _choice_filter(ctx, "tendlc_registration_status", _TENDLC_FILTER),
        "tendlc_campaign_id": opt_str(ctx.params, "tendlc_campaign_id") or None,
        "toll_free_sms_verification": _choice_filter(ctx, "toll_free_sms_verification", _TF_VERIFICATION_FILTER),
    }
    rows = ctx.store.list_numbers(owners)
    for want in types:
        rows = [r for r in rows if NUMBER_TYPES[r["data"]["type"]] == want]
    if starts:
        rows = [r for r in rows if r["number"].startswith(starts)]
    if alias is not None:
        rows = [r for r in rows if (r["alias"] or "").lower() == alias.lower()]
    for s in services:
        rows = [r for r in rows if r["data"][f"{s}_enabled"]]
    for name, when in dates.items():
        if when is not None:
            op = _RENEWAL_OPS[name]
            rows = [r for r in rows if op(r["renewal_date"], when)]
    for key, value in wanted.items():
        if value is not None:
            rows = [r for r in rows if _compliance(r)[key] == value]
    return page(ctx, "Number", rows, lambda r: render(ctx, r), _LIST_FILTERS)


def _existing(ctx: Ctx, number: str) -> dict[str, Any]:
    return found(ctx.store.get_number(ctx.owners, number))


def get(ctx: Ctx, number: str) -> Result:
    return 200, {"api_id": ctx.api_id, **render(ctx, _existing(ctx, number))}


def update(ctx: Ctx, number: str) -> Result:
    row = _existing(ctx, number)
    refuse_cnam(ctx)
    fields: dict[str, Any] = {}
    cnam_lookup = cnam_lookup_param(ctx, row["data"])
    if cnam_lookup is not None:
        fields["cnam_lookup"] = cnam_lookup
    app_id = app_ref(ctx)
    if app_id is not None:
        fields["app_id"] = app_id or None
    alias = opt_str(ctx.params, "alias")
    if alias is not None:
        fields["alias"] = alias
    cannot_reassign = ApiError(403, "subaccount credentials cannot reassign numbers")
    sa = ctx.subaccount_param(cannot_reassign)
    if sa == "" and ctx.is_sub:
        raise cannot_reassign
    if sa is not None:
        fields["owner"] = sa or ctx.caller  # "" hands the number back to the main account
    ctx.store.update_number(number, fields)
    return changed(ctx)


def delete(ctx: Ctx, number: str) -> Result:
    _existing(ctx, number)
    ctx.store.unrent_number(number)
    return deleted(ctx)


RESOURCE = Resource(paths={
    "Number/": {"GET": list_},
    "Number/{id}/": {"GET": get, "POST": update, "DELETE": delete},
})
