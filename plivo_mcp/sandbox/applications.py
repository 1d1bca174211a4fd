"""Application: create, list (subaccount, app_name prefix), get, update, delete (cascade default true).

Endpoints and numbers name an application (app_id): their storages subclass `RefersToApplications` and are told,
in the same transaction, when one is deleted.
"""

from __future__ import annotations

import sqlite3
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
    opt_bool,
    opt_method,
    opt_str,
    opt_url,
    page,
)
from plivo_mcp.sandbox.storage import (
    PagedRows,
    Row,
    Storage,
    StoreError,
    Table,
    db_value,
    owned_by,
    random_digits,
    set_columns,
)

APP_NAME_MAX = 200
_METHODS = ("answer_method", "hangup_method", "fallback_method", "message_method")
_OPT_URLS = ("hangup_url", "fallback_answer_url", "message_url")
_BOOLS = ("default_number_app", "default_endpoint_app", "log_incoming_messages", "public_uri")


# ---- storage --------------------------------------------------------------------------------------------------

APPLICATIONS = Table(
    name="applications", key="app_id", owned=True,
    create="""CREATE TABLE IF NOT EXISTS applications (
        app_id TEXT PRIMARY KEY, owner TEXT NOT NULL, app_name TEXT NOT NULL, answer_url TEXT NOT NULL,
        answer_method TEXT NOT NULL, hangup_url TEXT NOT NULL, hangup_method TEXT NOT NULL,
        fallback_answer_url TEXT NOT NULL, fallback_method TEXT NOT NULL, message_url TEXT NOT NULL,
        message_method TEXT NOT NULL, default_number_app INTEGER NOT NULL, default_endpoint_app INTEGER NOT NULL,
        enabled INTEGER NOT NULL, public_uri INTEGER NOT NULL, log_incoming_messages INTEGER NOT NULL,
        created TEXT NOT NULL)""",
)
APP_FIELDS = ("app_name", "answer_url", "answer_method", "hangup_url", "hangup_method", "fallback_answer_url",
              "fallback_method", "message_url", "message_method", "default_number_app", "default_endpoint_app",
              "enabled", "public_uri", "log_incoming_messages")


class RefersToApplications(Storage):
    """Storage of rows that name an application by its app_id."""

    def application_deleted(self, c: sqlite3.Connection, app_id: str, cascade: bool,
                            replacement: str | None) -> None:
        """`app_id` is being deleted (in transaction `c`); `cascade` and `replacement` are the delete's
        `cascade` and `new_endpoint_application`, which the API applies to endpoints."""
        raise NotImplementedError


class Applications(Storage):
    tables = (APPLICATIONS,)

    def create(self, owner_auth_id: str, app_name: str, answer_url: str, **fields: Any) -> str:
        """Returns the new app_id. `fields` are optional application columns (see APP_FIELDS)."""
        row: dict[str, Any] = {
            "answer_method": "POST", "hangup_url": answer_url, "hangup_method": "POST",
            "fallback_answer_url": "", "fallback_method": "POST", "message_url": "", "message_method": "POST",
            "default_number_app": False, "default_endpoint_app": False, "enabled": True, "public_uri": False,
            "log_incoming_messages": True,
        }
        row.update({k: v for k, v in fields.items() if v is not None and k in APP_FIELDS})
        row["app_name"], row["answer_url"] = app_name, answer_url
        with self.db.tx() as c:
            app_id = random_digits(17)
            while c.execute("SELECT 1 FROM applications WHERE app_id=?", (app_id,)).fetchone():
                app_id = random_digits(17)
            self._clear_defaults(c, owner_auth_id, row)
            cols = ["app_id", "owner", *APP_FIELDS, "created"]
            vals = [app_id, owner_auth_id, *(db_value(row[k]) for k in APP_FIELDS), self.db.today()]
            c.execute(f"INSERT INTO applications({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", vals)
        return app_id

    @staticmethod
    def _clear_defaults(c: sqlite3.Connection, owner: str, row: dict[str, Any]) -> None:
        """An account has at most one default number app and one default endpoint app: a new one replaces it."""
        for flag in ("default_number_app", "default_endpoint_app"):
            if row.get(flag):
                c.execute(f"UPDATE applications SET {flag}=0 WHERE owner=?", (owner,))

    def get(self, owners: list[str], app_id: str) -> Row | None:
        where, args = owned_by(owners)
        return self.db.one(f"SELECT * FROM applications WHERE app_id=? AND {where}", (app_id, *args))

    def find(self, owners: list[str], name_prefix: str | None = None) -> PagedRows:
        where, owner_args = owned_by(owners)
        args: tuple[Any, ...] = owner_args
        if name_prefix:
            where, args = f"{where} AND substr(app_name, 1, ?) = ?", (*args, len(name_prefix), name_prefix)
        return PagedRows(self.db, "applications", where, args)

    def update(self, app_id: str, fields: dict[str, Any], owner: str | None = None) -> None:
        """`owner` moves the application to another account (subaccount reassignment)."""
        with self.db.tx() as c:
            cur = c.execute("SELECT owner FROM applications WHERE app_id=?", (app_id,)).fetchone()
            if cur is None:
                raise StoreError(404, "not found")
            new_owner = owner or cur["owner"]
            self._clear_defaults(c, new_owner, fields)
            sets = {k: db_value(v) for k, v in fields.items() if k in APP_FIELDS}
            sets["owner"] = new_owner
            set_columns(c, "applications", {"app_id": app_id}, sets)

    def delete(self, app_id: str, cascade: bool, new_endpoint_app: str | None) -> None:
        with self.db.tx() as c:
            if c.execute("SELECT 1 FROM applications WHERE app_id=?", (app_id,)).fetchone() is None:
                raise StoreError(404, "not found")
            self._deleted(c, app_id, cascade, new_endpoint_app)

    def _deleted(self, c: sqlite3.Connection, app_id: str, cascade: bool, replacement: str | None) -> None:
        for storage in self.db.storages:
            if isinstance(storage, RefersToApplications):
                storage.application_deleted(c, app_id, cascade, replacement)
        c.execute("DELETE FROM applications WHERE app_id=?", (app_id,))

    def default_app(self, c: sqlite3.Connection, owner: str, flag: str) -> str | None:
        """`owner`'s default application for new numbers (flag default_number_app) or endpoints
        (default_endpoint_app), if it has one."""
        row = c.execute(f"SELECT app_id FROM applications WHERE owner=? AND {flag}=1 ORDER BY rowid DESC",
                        (owner,)).fetchone()
        return row["app_id"] if row else None

    def subaccount_deleted(self, c: sqlite3.Connection, sa: str, parent: str, cascade: bool) -> None:
        owned = [r["app_id"] for r in c.execute("SELECT app_id FROM applications WHERE owner=?", (sa,)).fetchall()]
        if cascade:
            # The main account's endpoints and numbers pointing at a deleted app lose their application.
            for app_id in owned:
                self._deleted(c, app_id, cascade=False, replacement=None)
        else:
            # A moved default app would clash with the main account's own default, so moved apps drop it.
            c.execute("UPDATE applications SET default_number_app=0, default_endpoint_app=0 WHERE owner=?", (sa,))
            c.execute("UPDATE applications SET owner=? WHERE owner=?", (parent, sa))


def app_ref(ctx: Ctx, name: str = "app_id") -> str | None:
    """A visible application id from `name`; "" means "no application", None means "not given"."""
    app_id = opt_str(ctx.params, name)
    if app_id is None or app_id == "":
        return app_id
    if ctx.db.storage(Applications).get(ctx.owners, app_id) is None:
        raise ApiError(400, f"{name}: no such application")
    return app_id


# ---- the paths ------------------------------------------------------------------------------------------------

def render(ctx: Ctx, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "answer_method": row["answer_method"], "answer_url": row["answer_url"], "app_id": row["app_id"],
        "app_name": row["app_name"], "default_app": bool(row["default_number_app"]),
        "default_endpoint_app": bool(row["default_endpoint_app"]), "enabled": bool(row["enabled"]),
        "fallback_answer_url": row["fallback_answer_url"], "fallback_method": row["fallback_method"],
        "hangup_method": row["hangup_method"], "hangup_url": row["hangup_url"],
        "log_incoming_messages": bool(row["log_incoming_messages"]), "message_method": row["message_method"],
        "message_url": row["message_url"], "public_uri": bool(row["public_uri"]),
        "resource_uri": ctx.uri("Application", row["app_id"]), "sip_uri": f"sip:{row['app_id']}@app.plivo.com",
        "sub_account": ctx.account_uri(row["owner"]),
    }


def check_app_name(name: str) -> str:
    """The rule agreed with the MCP tool schema: 1 to 200 characters, not only whitespace, and no character of
    a Unicode "C" category (control, format, unassigned...). The reference's own example is "Test Application",
    so the letters-digits-dash rule of the docs is not what the API enforces."""
    if not 1 <= len(name) <= APP_NAME_MAX:
        raise ApiError(400, f"app_name must be 1 to {APP_NAME_MAX} characters")
    if not name.strip():
        raise ApiError(400, "app_name must not be blank")
    if has_invisible_chars(name):
        raise ApiError(400, "app_name must not contain control or invisible formatting characters")
    return name


def _app_name(ctx: Ctx) -> str | None:
    name = opt_str(ctx.params, "app_name")
    return None if name is None else check_app_name(name)


def _target_owner(ctx: Ctx) -> str | None:
    """The owner named by `subaccount`, validated; None when not given."""
    return ctx.subaccount_param(ApiError(400, "invalid subaccount: a subaccount can only use its own id")) or None


def _optional_fields(ctx: Ctx) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in _METHODS:
        fields[name] = opt_method(ctx.params, name)
    for name in _OPT_URLS:
        fields[name] = opt_url(ctx.params, name)
    for name in _BOOLS:
        fields[name] = opt_bool(ctx.params, name)
    return {k: v for k, v in fields.items() if v is not None}


def create(ctx: Ctx) -> Result:
    name = _app_name(ctx)
    if name is None:
        raise ApiError(400, "app_name parameter is missing")
    answer_url = opt_url(ctx.params, "answer_url", allow_empty=False)
    if not answer_url:
        raise ApiError(400, "answer_url parameter is missing")
    fields = _optional_fields(ctx)
    if not fields.get("hangup_url"):
        fields["hangup_url"] = answer_url
    owner = _target_owner(ctx) or ctx.caller
    app_id = ctx.db.storage(Applications).create(owner, name, answer_url, **fields)
    return 201, {"api_id": ctx.api_id, "app_id": app_id, "message": "created"}


def list_(ctx: Ctx) -> Result:
    owners = ctx.owner_filter()
    rows = ctx.db.storage(Applications).find(owners, name_prefix=opt_str(ctx.params, "app_name"))
    return page(ctx, "Application", rows, lambda r: render(ctx, r), ("subaccount", "app_name"))


def _existing(ctx: Ctx, app_id: str) -> dict[str, Any]:
    return found(ctx.db.storage(Applications).get(ctx.owners, app_id))


def get(ctx: Ctx, app_id: str) -> Result:
    return 200, {"api_id": ctx.api_id, **render(ctx, _existing(ctx, app_id))}


def update(ctx: Ctx, app_id: str) -> Result:
    row = _existing(ctx, app_id)
    fields = _optional_fields(ctx)
    name = _app_name(ctx)
    if name is not None:
        fields["app_name"] = name
    answer_url = opt_url(ctx.params, "answer_url", allow_empty=False)
    if answer_url is not None:
        fields["answer_url"] = answer_url
    if "hangup_url" in fields and fields["hangup_url"] == "":
        fields["hangup_url"] = answer_url or row["answer_url"]
    owner = _target_owner(ctx)
    ctx.db.storage(Applications).update(app_id, fields, owner)
    return changed(ctx)


def delete(ctx: Ctx, app_id: str) -> Result:
    _existing(ctx, app_id)
    cascade = opt_bool(ctx.params, "cascade")
    cascade = True if cascade is None else cascade
    new_app = opt_str(ctx.params, "new_endpoint_application") or None
    if not cascade and new_app is not None:
        if new_app == app_id:
            raise ApiError(400, "new_endpoint_application must differ from the application being deleted")
        if ctx.db.storage(Applications).get(ctx.owners, new_app) is None:
            raise ApiError(400, "new_endpoint_application: no such application")
    ctx.db.storage(Applications).delete(app_id, cascade, None if cascade else new_app)
    return deleted(ctx)


RESOURCE = Resource(
    paths={
        "Application/": {"GET": list_, "POST": create},
        "Application/{id}/": {"GET": get, "POST": update, "DELETE": delete},
    },
    storage=Applications,
)
