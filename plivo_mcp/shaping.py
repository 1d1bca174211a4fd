"""Answer shaping: what the assistant reads should cost few tokens and keep ids, names, state and links."""

from __future__ import annotations

import datetime as dt
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


# Flags that mark a rare exception: in a summary they are shown only when set.
SET_ONLY_FLAGS = frozenset({"default_app", "default_number_app", "default_endpoint_app"})


def unremarkable(key: str, value: Any) -> bool:
    """A summary field that says nothing (null, or an exception flag that is off): a column of nothing else is
    left out, fewer tokens.

    Fields asked for by name are always shown, so an assistant that wants the null can have it.
    """
    return value is None or (value is False and key in SET_ONLY_FLAGS)


def page_of(data: dict[str, Any], default_fields: Iterable[str], fields: str | None = None) -> dict[str, Any]:
    """A Plivo list (`meta` + `objects`) as a `table` of the summary fields plus those asked for (`fields`), and
    `page` with `next_offset` null on the last page."""
    meta = data.get("meta") or {}
    objects = data.get("objects") or []
    if not isinstance(meta, dict) or not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise unexpected_shape("list")
    records = [clean(o) for o in objects]
    answer = table(records, _columns(records, list(default_fields), parse_fields(fields) if records else set()))
    offset = int(meta.get("offset") or 0)
    limit = int(meta.get("limit") or len(records) or 20)
    total = meta.get("total_count")
    next_offset = offset + limit if meta.get("next") else None
    if next_offset is None and total is not None and offset + len(records) < int(total) and records:
        next_offset = offset + len(records)
    answer["page"] = {"offset": offset, "limit": limit, "returned": len(records), "total_count": total,
                      "next_offset": next_offset}
    return answer


def _columns(records: list[dict[str, Any]], default_fields: list[str], extra: set[str] | None) -> list[str]:
    """`default_fields` that say something in at least one record, plus the `extra` ones asked for (None: every
    field but the noise). Asking for a field no record of the page has is an error naming it."""
    known = list(dict.fromkeys(key for record in records for key in record))
    if extra is None:
        return known
    unknown = extra - set(known)
    if unknown:
        raise invalid_argument("fields", f"unknown field(s) {', '.join(sorted(unknown))}; "
                               f"available: {', '.join(sorted(known))}")
    wanted = [*default_fields, *sorted(extra - set(default_fields))]
    return [k for k in wanted
            if k in extra or any(k in record and not unremarkable(k, record[k]) for record in records)]


# Plivo's timestamps: `2026-11-29 05:12:06-08:00` (some with microseconds), in the account's time zone.
_PLIVO_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d:\d\d$")


def utc_basic(value: Any) -> Any:
    """A Plivo timestamp as the same instant in UTC, ISO 8601 basic form (`20261129T131206Z`, the iCalendar
    form): 7 tokens instead of 16. Anything else is returned unchanged."""
    if not isinstance(value, str) or not _PLIVO_TIME.match(value):
        return value
    instant = dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    fraction = f".{instant.microsecond:06d}" if instant.microsecond else ""
    return f"{instant:%Y%m%dT%H%M%S}{fraction}Z"


def _cell(key: str, value: Any) -> Any:
    # Only fields that are times by name: an alias or a name that happens to look like one is account text.
    return utc_basic(value) if key.endswith("_time") else value


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b  # 1 == True in Python; not in the answer


def table(records: list[dict[str, Any]], columns: list[str] | None = None) -> dict[str, Any]:
    """Records as one header and a row of values each: `{"every_row"?, "columns", "rows"}`.

    The keys are written once instead of once per record (a page of 20 costs a fraction of the tokens). A field a
    record lacks is null in its row. A column whose value is the same in every row (of two or more) is stated
    once in `every_row` rather than repeated. Times (`*_time` fields) are UTC in ISO 8601 basic form. `columns`
    defaults to every field of any record, in first-seen order. `records()` turns it back into dicts.
    """
    if columns is None:
        columns = list(dict.fromkeys(key for record in records for key in record))
    rows = [[_cell(key, record.get(key)) for key in columns] for record in records]
    shared = [j for j in range(len(columns)) if len(rows) > 1 and all(_same(row[j], rows[0][j]) for row in rows)]
    answer: dict[str, Any] = {}
    if shared:
        answer["every_row"] = {columns[j]: rows[0][j] for j in shared}
    kept = [j for j in range(len(columns)) if j not in shared]
    answer["columns"] = [columns[j] for j in kept]
    answer["rows"] = [[row[j] for j in kept] for row in rows]
    return answer


def records(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """A `table` answer's rows as dicts again, each with the `every_row` values (for code that reads lists)."""
    shared = answer.get("every_row") or {}
    return [{**shared, **dict(zip(answer["columns"], row, strict=True))} for row in answer["rows"]]


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
