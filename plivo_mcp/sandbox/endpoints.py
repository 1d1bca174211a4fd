"""Endpoint (SIP endpoints): create, list, get, update, delete. Passwords are stored, never returned."""

from __future__ import annotations

import re
from typing import Any

from plivo_mcp.sandbox.http import ApiError, Ctx, Result, changed, deleted, found, opt_str, page, req_str

_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,49}$")


def render(ctx: Ctx, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "alias": row["alias"],
        "application": ctx.uri("Application", row["app_id"]) if row["app_id"] else None,
        "endpoint_id": row["endpoint_id"], "resource_uri": ctx.uri("Endpoint", row["endpoint_id"]),
        # Never registered in the sandbox; the API reports these as the string "false" and empty contact data.
        "sip_contact": None, "sip_expires": None, "sip_registered": "false",
        "sip_uri": f"sip:{row['username']}@phone.plivo.com", "sip_user_agent": None,
        "sub_account": ctx.account_uri(row["owner"]), "username": row["username"],
    }


def _password(ctx: Ctx, required: bool) -> str | None:
    pw = req_str(ctx.params, "password") if required else opt_str(ctx.params, "password")
    if pw is not None and len(pw) < 5:
        raise ApiError(400, "password must be at least 5 characters")
    return pw


def app_ref(ctx: Ctx, name: str = "app_id") -> str | None:
    """A visible application id from `name`; "" means "no application", None means "not given"."""
    app_id = opt_str(ctx.params, name)
    if app_id is None or app_id == "":
        return app_id
    if ctx.store.get_application(ctx.owners, app_id) is None:
        raise ApiError(400, f"{name}: no such application")
    return app_id


def create(ctx: Ctx) -> Result:
    username = req_str(ctx.params, "username")
    if not _USERNAME_RE.match(username):
        raise ApiError(400, "username must start with a letter and contain only letters and digits")
    password = _password(ctx, True)
    alias = req_str(ctx.params, "alias")
    app_id = app_ref(ctx) or None
    assert password is not None
    endpoint_id = ctx.store.create_endpoint(ctx.caller, username, password, alias, app_id)
    row = ctx.store.get_endpoint([ctx.caller], endpoint_id)
    assert row is not None
    return 201, {"username": row["username"], "alias": alias, "message": "created", "endpoint_id": endpoint_id,
                 "api_id": ctx.api_id}


def list_(ctx: Ctx) -> Result:
    rows = ctx.store.list_endpoints(ctx.owner_filter())
    return page(ctx, "Endpoint", rows, lambda r: render(ctx, r), ("subaccount",))


def _existing(ctx: Ctx, endpoint_id: str) -> dict[str, Any]:
    return found(ctx.store.get_endpoint(ctx.owners, endpoint_id))


def get(ctx: Ctx, endpoint_id: str) -> Result:
    return 200, {"api_id": ctx.api_id, **render(ctx, _existing(ctx, endpoint_id))}


def update(ctx: Ctx, endpoint_id: str) -> Result:
    _existing(ctx, endpoint_id)
    fields: dict[str, Any] = {}
    password = _password(ctx, False)
    if password is not None:
        fields["password"] = password
    alias = opt_str(ctx.params, "alias")
    if alias is not None:
        if not alias.strip():
            raise ApiError(400, "alias must not be empty")
        fields["alias"] = alias
    app_id = app_ref(ctx)
    if app_id is not None:
        fields["app_id"] = app_id or None
    ctx.store.update_endpoint(endpoint_id, fields)
    return changed(ctx)


def delete(ctx: Ctx, endpoint_id: str) -> Result:
    _existing(ctx, endpoint_id)
    ctx.store.delete_endpoint(endpoint_id)
    return deleted(ctx)
