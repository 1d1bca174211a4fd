"""Account: `GET /` and `POST /`.

A subaccount's credentials on `GET /` get the subaccount's own view (its id, name and URI, with the parent's
billing settings), since the SDK's `account.get()` is how a subaccount client learns who it is. Changing the
account (`POST /`) is reserved to the main account: a subaccount gets 403.
"""

from __future__ import annotations

from plivo_mcp.sandbox.accounts import Accounts
from plivo_mcp.sandbox.router import ApiError, Ctx, Resource, Result, changed, opt_str

_FIELDS = ("name", "city", "address", "state", "timezone")


def get(ctx: Ctx) -> Result:
    row = ctx.caller_row
    main = (ctx.db.storage(Accounts).get(ctx.main_id) or row) if ctx.is_sub else row
    return 200, {
        "account_type": main["account_type"], "address": main["address"], "api_id": ctx.api_id,
        "auth_id": ctx.caller, "auto_recharge": bool(main["auto_recharge"]), "billing_mode": main["billing_mode"],
        "cash_credits": main["cash_credits"], "city": main["city"], "name": row["name"],
        "resource_uri": ctx.uri(), "state": main["state"], "timezone": main["timezone"],
    }


def update(ctx: Ctx) -> Result:
    if ctx.is_sub:
        raise ApiError(403, "subaccount credentials cannot modify the account")
    fields = {k: v for k in _FIELDS if (v := opt_str(ctx.params, k)) is not None}
    if not fields:
        raise ApiError(400, "one of name, city, address, state, timezone is required")
    if "name" in fields and not fields["name"].strip():
        raise ApiError(400, "name must not be empty")
    ctx.db.storage(Accounts).update(ctx.caller, fields)
    return changed(ctx)


RESOURCE = Resource(paths={"": {"GET": get, "POST": update}}, storage=Accounts)
