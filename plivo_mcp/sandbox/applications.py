"""Application: create, list (subaccount, app_name prefix), get, update, delete (cascade default true)."""

from __future__ import annotations

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

APP_NAME_MAX = 200
_METHODS = ("answer_method", "hangup_method", "fallback_method", "message_method")
_OPT_URLS = ("hangup_url", "fallback_answer_url", "message_url")
_BOOLS = ("default_number_app", "default_endpoint_app", "log_incoming_messages", "public_uri")


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
    app_id = ctx.store.create_application(owner, name, answer_url, **fields)
    return 201, {"api_id": ctx.api_id, "app_id": app_id, "message": "created"}


def list_(ctx: Ctx) -> Result:
    owners = ctx.owner_filter()
    rows = ctx.store.list_applications(owners, name_prefix=opt_str(ctx.params, "app_name"))
    return page(ctx, "Application", rows, lambda r: render(ctx, r), ("subaccount", "app_name"))


def _existing(ctx: Ctx, app_id: str) -> dict[str, Any]:
    return found(ctx.store.get_application(ctx.owners, app_id))


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
    ctx.store.update_application(app_id, fields, owner)
    return changed(ctx)


def delete(ctx: Ctx, app_id: str) -> Result:
    _existing(ctx, app_id)
    cascade = opt_bool(ctx.params, "cascade")
    cascade = True if cascade is None else cascade
    new_app = opt_str(ctx.params, "new_endpoint_application") or None
    if not cascade and new_app is not None:
        if new_app == app_id:
            raise ApiError(400, "new_endpoint_application must differ from the application being deleted")
        if ctx.store.get_application(ctx.owners, new_app) is None:
            raise ApiError(400, "new_endpoint_application: no such application")
    ctx.store.delete_application(app_id, cascade, None if cascade else new_app)
    return deleted(ctx)


RESOURCE = Resource(paths={
    "Application/": {"GET": list_, "POST": create},
    "Application/{id}/": {"GET": get, "POST": update, "DELETE": delete},
})
