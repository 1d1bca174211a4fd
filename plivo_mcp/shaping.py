"""Answer shaping: what the assistant reads should cost few tokens and keep ids, names, state and links."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from plivo_mcp.errors import PlivoToolError, invalid_argument

NOISE_KEYS = frozenset({"api_id", "resource_uri"})
# Resource URIs inside objects become the bare id they point at: same link, a fraction of the tokens.
_URI_LINK = re.compile(r"^/v1/Account/(?P<account>[A-Z0-9]+)/(?:(?P<kind>[A-Za-z]+)/(?P<id>[^/]+)/)?$")


def compact_links(value: Any) -> Any:
    if isinstance(value, str):
        m = _URI_LINK.match(value)
        if m:
            return m.group("id") or m.group("account")
    return value


def clean(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop transport noise and turn resource URIs into ids."""
    return {k: compact_links(v) for k, v in obj.items() if k not in NOISE_KEYS}


def parse_fields(fields: str | None) -> set[str] | None:
    """None keeps the default projection; 'all' keeps everything; otherwise extra field names."""
    if fields is None or not fields.strip():
        return set()
    names = {f.strip() for f in fields.split(",") if f.strip()}
    if "all" in names:
        return None
    for name in names:
        if not re.match(r"^[a-z_]{1,40}$", name):
            raise invalid_argument("fields", f"'{name}' is not a field name (use lower_case names, comma-separated)")
    return names


def _project(obj: dict[str, Any], default_fields: list[str], extra: set[str] | None,
             known: set[str]) -> dict[str, Any]:
    """Keep `default_fields` (minus unremarkable ones) plus the `extra` ones asked for (None: every field but
    the noise). `known` is every field any item of the page has: asking for one that this item lacks is fine."""
    cleaned = clean(obj)
    if extra is None:
        return cleaned
    unknown = extra - known
    if unknown:
        raise invalid_argument("fields", f"unknown field(s) {', '.join(sorted(unknown))}; "
                               f"available: {', '.join(sorted(cleaned))}")
    wanted = [*default_fields, *sorted(extra - set(default_fields))]
    return {k: cleaned[k] for k in wanted if k in cleaned and (k in extra or not unremarkable(k, cleaned[k]))}


# Flags that mark a rare exception: in a summary they are shown only when set.
SET_ONLY_FLAGS = frozenset({"default_app", "default_number_app", "default_endpoint_app"})


def unremarkable(key: str, value: Any) -> bool:
    """A summary field that says nothing (null, or an exception flag that is off): left out, fewer tokens.

    Fields asked for by name are always shown, so an assistant that wants the null can have it.
    """
    return value is None or (value is False and key in SET_ONLY_FLAGS)


def page_of(data: dict[str, Any], default_fields: Iterable[str], fields: str | None = None) -> dict[str, Any]:
    """A Plivo list (`meta` + `objects`) as `{"items", "page"}` with `next_offset` null on the last page."""
    meta = data.get("meta") or {}
    objects = data.get("objects") or []
    if not isinstance(meta, dict) or not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise unexpected_shape("list")
    default_fields = list(default_fields)
    extra = parse_fields(fields) if objects else set()
    known = set().union(*objects)
    items = [_project(o, default_fields, extra, known) for o in objects]
    offset = int(meta.get("offset") or 0)
    limit = int(meta.get("limit") or len(items) or 20)
    total = meta.get("total_count")
    next_offset = offset + limit if meta.get("next") else None
    if next_offset is None and total is not None and offset + len(items) < int(total) and items:
        next_offset = offset + len(items)
    return {"items": items, "page": {"offset": offset, "limit": limit, "returned": len(items),
                                     "total_count": total, "next_offset": next_offset}}


def unexpected_shape(what: str) -> PlivoToolError:
    return PlivoToolError("upstream_error", f"Plivo's {what} answer does not have the expected shape",
                          hint="Retry later; if it persists, the API may have changed.")


def changed(data: dict[str, Any] | None, **ids: Any) -> dict[str, Any]:
    """Answer for a write: the API's message (or the async notice) plus the ids that were touched. `data` is
    None when Plivo answered 204 (deletes)."""
    out: dict[str, Any] = {k: v for k, v in ids.items() if v is not None}
    data = data or {}
    message = data.get("message")
    if message == "async api spawned":
        out["async"] = True
        out["message"] = "accepted; Plivo sends the result to the operator's callback URL (PLIVO_MCP_CALLBACK_URL)"
        # The api_id is how the callback is matched to this call, so it is kept here only.
        out["api_id"] = data.get("api_id")
    elif message:
        out["message"] = message
    return out


SAMPLE_SIZE = 5  # names a person is shown to recognise what a change touches


def sample(items: list[dict[str, Any]], key: str, total: int | None = None,
           partial: str | None = None) -> dict[str, Any]:
    """How many a change touches and the `first` few of their names (a sample, never the whole list).

    `total` is the API's count when `items` is only the start of the list; `partial`, when given, says plainly
    that the count is a floor and how much of the account it was found in.
    """
    out: dict[str, Any] = {"count": len(items) if total is None else total,
                           "first": [i.get(key) for i in items[:SAMPLE_SIZE]]}
    if partial:
        out["partial"] = partial
    return out
