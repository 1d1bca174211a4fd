"""Subaccount: create, list, get, update, delete (cascade default false). Subaccounts are rows of the accounts
table (see accounts.py).

Only a main account manages subaccounts; a subaccount's credentials get 403 on every Subaccount/ path (the
SDK raises ForbiddenError), which is more informative than pretending the path does not exist.
"""

from __future__ import annotations

from typing import Any

from plivo_mcp.sandbox.accounts import Accounts
from plivo_mcp.sandbox.router import (
    ApiError,
    Ctx,
    Resource,
    Result,
    changed,
    check_subaccount_id,
    deleted,
    found,
    opt_bool,
    opt_str,
    page,
    req_str,
)


def _main_only(ctx: Ctx) -> None:
    if ctx.is_sub:
        raise ApiError(403, "subaccount credentials cannot manage subaccounts")


def _render(ctx: Ctx, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "account": ctx.uri(), "auth_id": row["auth_id"], "auth_token": row["auth_token"],
        "created": row["created"], "enabled": bool(row["enabled"]), "modified": row["modified"],
        "name": row["name"], "new_auth_token": row["auth_token"], "resource_uri": ctx.uri("Subaccount", row["auth_id"]),
    }


def _name(ctx: Ctx) -> str:
    name = req_str(ctx.params, "name")
    if len(name) > 100:
        raise ApiError(400, "name must be at most 100 characters")
    return name


def create(ctx: Ctx) -> Result:
    _main_only(ctx)
    name = _name(ctx)
    enabled = opt_bool(ctx.params, "enabled")
    auth_id, token = ctx.db.storage(Accounts).create_subaccount(ctx.caller, name, bool(enabled))
    return 201, {"api_id": ctx.api_id, "auth_id": auth_id, "auth_token": token, "message": "created"}


def list_(ctx: Ctx) -> Result:
    _main_only(ctx)
    return page(ctx, "Subaccount", ctx.db.storage(Accounts).list_subaccounts(ctx.caller), lambda r: _render(ctx, r))


def _existing(ctx: Ctx, sa: str) -> dict[str, Any]:
    _main_only(ctx)
    check_subaccount_id(sa, "subaccount id")
    return found(ctx.db.storage(Accounts).get_subaccount(ctx.caller, sa))


def get(ctx: Ctx, sa: str) -> Result:
    return 200, {"api_id": ctx.api_id, **_render(ctx, _existing(ctx, sa))}


def update(ctx: Ctx, sa: str) -> Result:
    _existing(ctx, sa)
    fields: dict[str, Any] = {}
    if opt_str(ctx.params, "name") is not None:
        fields["name"] = _name(ctx)
    enabled = opt_bool(ctx.params, "enabled")
    if enabled is not None:
        fields["enabled"] = int(enabled)
    if not fields:
        raise ApiError(400, "name parameter is missing")
    ctx.db.storage(Accounts).update_subaccount(ctx.caller, sa, fields)
    return changed(ctx)


def delete(ctx: Ctx, sa: str) -> Result:
    _existing(ctx, sa)
    cascade = opt_bool(ctx.params, "cascade")
    ctx.db.storage(Accounts).delete_subaccount(ctx.caller, sa, bool(cascade))
    return deleted(ctx)


RESOURCE = Resource(paths={
    "Subaccount/": {"GET": list_, "POST": create},
    "Subaccount/{id}/": {"GET": get, "POST": update, "DELETE": delete},
})
