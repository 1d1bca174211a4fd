"""Endpoint (SIP endpoints): create, list, get, update, delete. Passwords are stored, never returned."""

from __future__ import annotations

import re
from typing import Any

from plivo_mcp.sandbox.router import (
    ApiError,
    Ctx,
    Resource,
    Result,
    changed,
    deleted,
    found,
    has_invisible_chars,
    opt_int,
    opt_str,
    page,
    req_str,
)

_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,49}$")


def render(ctx: Ctx, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "alias": row["alias"],
        "application": ctx.uri("Application", row["app_id"]) if row["app_id"] else None,
        "endpoint_id": row["endpoint_id"], "resource_uri": ctx.uri("Endpoint", row["endpoint_id"]),
        # The API reports registration as the string "true"/"false"; contact data only while registered.
        **_registration(ctx, row), "sip_uri": f"sip:{row['username']}@phone.plivo.com",
        "sub_account": ctx.account_uri(row["owner"]), "username": row["username"],
    }


def _registration(ctx: Ctx, row: dict[str, Any]) -> dict[str, Any]:
    if ctx.store.sip_registered(row):
        return {"sip_contact": row["sip_contact"], "sip_expires": row["sip_expires"], "sip_registered": "true",
                "sip_user_agent": row["sip_user_agent"]}
    return {"sip_contact": None, "sip_expires": None, "sip_registered": "false", "sip_user_agent": None}


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


# ---- sandbox admin: SIP registration (POST /sandbox/endpoints/{endpoint_id}/register | unregister) ------------

_SIP_CONTACT_RE = re.compile(r"^sips?:\S+$")
_MAX_EXPIRES_S = 86400


def _short_text(ctx: Ctx, name: str, default: str, what: str) -> str:
    v = opt_str(ctx.params, name) or default
    if len(v) > 255 or has_invisible_chars(v):
        raise ApiError(400, f"{name} must be {what}, at most 255 characters, without control characters")
    return v


def register(ctx: Ctx, endpoint_id: str) -> Result:
    """As a SIP phone registering with this endpoint's credentials would: `contact` (a sip: or sips: URI; default
    on loopback), `user_agent`, `expires` (seconds, 1 to 86400, default 3600) counted on the sandbox's clock."""
    row = _existing(ctx, endpoint_id)
    contact = _short_text(ctx, "contact", f"sip:{row['username']}@127.0.0.1:5060;ob", "a SIP URI (sip:user@host)")
    if not _SIP_CONTACT_RE.match(contact):
        raise ApiError(400, "contact must be a SIP URI (sip:user@host[:port]), without spaces")
    user_agent = _short_text(ctx, "user_agent", "plivo-mcp sandbox", "text")
    expires = opt_int(ctx.params, "expires")
    expires = 3600 if expires is None else expires
    if not 1 <= expires <= _MAX_EXPIRES_S:
        raise ApiError(400, f"expires must be between 1 and {_MAX_EXPIRES_S} seconds")
    ctx.store.register_endpoint(endpoint_id, contact, user_agent, expires)
    view = _registration(ctx, _existing(ctx, endpoint_id))
    return 200, {"api_id": ctx.api_id, "message": "registered", "endpoint_id": endpoint_id, **view}


def unregister(ctx: Ctx, endpoint_id: str) -> Result:
    _existing(ctx, endpoint_id)
    ctx.store.unregister_endpoint(endpoint_id)
    return 200, {"api_id": ctx.api_id, "message": "unregistered", "endpoint_id": endpoint_id}


RESOURCE = Resource(
    paths={
        "Endpoint/": {"GET": list_, "POST": create},
        "Endpoint/{id}/": {"GET": get, "POST": update, "DELETE": delete},
    },
    admin={"endpoints/{id}/register": register, "endpoints/{id}/unregister": unregister},
)
