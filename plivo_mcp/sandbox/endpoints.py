"""Endpoint (SIP endpoints): create, list, get, update, delete. Passwords are stored, never returned."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import sqlite3
import string
from typing import Any

from plivo_mcp.sandbox.applications import Applications, RefersToApplications, app_ref
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
from plivo_mcp.sandbox.storage import PagedRows, Row, StoreError, Table, owned_by, random_digits

# ---- storage --------------------------------------------------------------------------------------------------

ENDPOINTS = Table(
    name="endpoints", key="endpoint_id", owned=True,
    create="""CREATE TABLE IF NOT EXISTS endpoints (
        endpoint_id TEXT PRIMARY KEY, owner TEXT NOT NULL, username TEXT NOT NULL UNIQUE, password TEXT NOT NULL,
        alias TEXT NOT NULL, app_id TEXT, created TEXT NOT NULL)""",
    added_columns=(
        # SIP registration, set through the sandbox's admin path; sip_expires is "YYYY-MM-DD HH:MM:SS" by the
        # sandbox's clock.
        ("sip_contact", "TEXT"),
        ("sip_user_agent", "TEXT"),
        ("sip_expires", "TEXT"),
    ),
)
SIP_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class Endpoints(RefersToApplications):
    tables = (ENDPOINTS,)

    def create(self, owner_auth_id: str, username: str, password: str, alias: str, app_id: str | None = None) -> str:
        """Returns the new endpoint_id; the stored username is `username` + 12 digits, as the API does."""
        with self.db.tx() as c:
            endpoint_id = random_digits(14)
            while c.execute("SELECT 1 FROM endpoints WHERE endpoint_id=?", (endpoint_id,)).fetchone():
                endpoint_id = random_digits(14)
            full = username + self.db.clock().strftime("%y%m%d%H%M%S")
            while c.execute("SELECT 1 FROM endpoints WHERE username=?", (full,)).fetchone():
                full = username + "".join(secrets.choice(string.digits) for _ in range(12))
            if app_id is None:
                app_id = self.db.storage(Applications).default_app(c, owner_auth_id, "default_endpoint_app")
            c.execute("INSERT INTO endpoints(endpoint_id, owner, username, password, alias, app_id, created)"
                      " VALUES (?,?,?,?,?,?,?)", (endpoint_id, owner_auth_id, full, password, alias, app_id,
                                                  self.db.today()))
        return endpoint_id

    def get(self, owners: list[str], endpoint_id: str) -> Row | None:
        where, args = owned_by(owners)
        return self.db.one(f"SELECT * FROM endpoints WHERE endpoint_id=? AND {where}", (endpoint_id, *args))

    def find(self, owners: list[str]) -> PagedRows:
        return PagedRows(self.db, "endpoints", *owned_by(owners))

    def update(self, endpoint_id: str, fields: dict[str, Any]) -> None:
        self.db.update_row("endpoints", {"endpoint_id": endpoint_id}, fields)

    def delete(self, endpoint_id: str) -> None:
        with self.db.tx() as c:
            if c.execute("DELETE FROM endpoints WHERE endpoint_id=?", (endpoint_id,)).rowcount == 0:
                raise StoreError(404, "not found")

    def register(self, endpoint_id: str, contact: str, user_agent: str, expires_s: int) -> None:
        expires = (self.db.clock() + dt.timedelta(seconds=expires_s)).strftime(SIP_TIME_FORMAT)
        self.db.update_row("endpoints", {"endpoint_id": endpoint_id},
                           {"sip_contact": contact, "sip_user_agent": user_agent, "sip_expires": expires})

    def unregister(self, endpoint_id: str) -> None:
        self.db.update_row("endpoints", {"endpoint_id": endpoint_id},
                           {"sip_contact": None, "sip_user_agent": None, "sip_expires": None})

    def sip_registered(self, row: Row) -> bool:
        """Registered: a contact whose registration has not expired by the sandbox's clock."""
        return bool(row.get("sip_contact") and row.get("sip_expires")
                    and row["sip_expires"] > self.db.clock().strftime(SIP_TIME_FORMAT))

    def application_deleted(self, c: sqlite3.Connection, app_id: str, cascade: bool,
                            replacement: str | None) -> None:
        if cascade:
            c.execute("DELETE FROM endpoints WHERE app_id=?", (app_id,))
        else:
            c.execute("UPDATE endpoints SET app_id=? WHERE app_id=?", (replacement, app_id))


# ---- the paths ------------------------------------------------------------------------------------------------

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
    if ctx.db.storage(Endpoints).sip_registered(row):
        return {"sip_contact": row["sip_contact"], "sip_expires": row["sip_expires"], "sip_registered": "true",
                "sip_user_agent": row["sip_user_agent"]}
    return {"sip_contact": None, "sip_expires": None, "sip_registered": "false", "sip_user_agent": None}


def _password(ctx: Ctx, required: bool) -> str | None:
    pw = req_str(ctx.params, "password") if required else opt_str(ctx.params, "password")
    if pw is not None and len(pw) < 5:
        raise ApiError(400, "password must be at least 5 characters")
    return pw


def create(ctx: Ctx) -> Result:
    username = req_str(ctx.params, "username")
    if not _USERNAME_RE.match(username):
        raise ApiError(400, "username must start with a letter and contain only letters and digits")
    password = _password(ctx, True)
    alias = req_str(ctx.params, "alias")
    app_id = app_ref(ctx) or None
    assert password is not None
    endpoint_id = ctx.db.storage(Endpoints).create(ctx.caller, username, password, alias, app_id)
    row = ctx.db.storage(Endpoints).get([ctx.caller], endpoint_id)
    assert row is not None
    return 201, {"username": row["username"], "alias": alias, "message": "created", "endpoint_id": endpoint_id,
                 "api_id": ctx.api_id}


def list_(ctx: Ctx) -> Result:
    rows = ctx.db.storage(Endpoints).find(ctx.owner_filter())
    return page(ctx, "Endpoint", rows, lambda r: render(ctx, r), ("subaccount",))


def _existing(ctx: Ctx, endpoint_id: str) -> dict[str, Any]:
    return found(ctx.db.storage(Endpoints).get(ctx.owners, endpoint_id))


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
    ctx.db.storage(Endpoints).update(endpoint_id, fields)
    return changed(ctx)


def delete(ctx: Ctx, endpoint_id: str) -> Result:
    _existing(ctx, endpoint_id)
    ctx.db.storage(Endpoints).delete(endpoint_id)
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
    ctx.db.storage(Endpoints).register(endpoint_id, contact, user_agent, expires)
    view = _registration(ctx, _existing(ctx, endpoint_id))
    return 200, {"api_id": ctx.api_id, "message": "registered", "endpoint_id": endpoint_id, **view}


def unregister(ctx: Ctx, endpoint_id: str) -> Result:
    _existing(ctx, endpoint_id)
    ctx.db.storage(Endpoints).unregister(endpoint_id)
    return 200, {"api_id": ctx.api_id, "message": "unregistered", "endpoint_id": endpoint_id}


RESOURCE = Resource(
    paths={
        "Endpoint/": {"GET": list_, "POST": create},
        "Endpoint/{id}/": {"GET": get, "POST": update, "DELETE": delete},
    },
    admin={"endpoints/{id}/register": register, "endpoints/{id}/unregister": unregister},
    storage=Endpoints,
)
