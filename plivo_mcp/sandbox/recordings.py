"""Recording: list (subaccount, call_uuid, from/to number, conference_name, add_time and
recording_storage_duration ranges), get, delete. Recordings are made by recording a live call
(`POST Call/{uuid}/Record/`, in calls.py) and by the seeded history.

Also the voice resources' shared time handling (calls.py builds on it): times are kept in UTC as
`YYYY-MM-DD HH:MM:SS.ffffff` (sortable text), filters are read in UTC, and answers are written in the main
account's timezone (`2017-05-22 21:36:14+05:30`), as the API does.

A recording exists from the moment its call starts recording, but, as on the API, it is listed (and can be
got) only once it has ended: at its `time_limit`, when recording is stopped, or when the call ends, whichever
comes first. Its end is kept up to date by calls.py when a call or a recording is stopped early, so a
recording's visibility is read straight off the clock (nothing runs in the background).
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plivo_mcp.sandbox.accounts import Accounts
from plivo_mcp.sandbox.router import ApiError, Ctx, Resource, Result, deleted, found, opt_int, opt_str, page
from plivo_mcp.sandbox.storage import Database, PagedRows, Row, Storage, Table

UTC = dt.UTC
DEFAULT_WINDOW = dt.timedelta(days=7)  # no time filter: the last 7 days
MAX_RANGE = dt.timedelta(days=30)  # a wider range is a 400; one bound only spans 30 days from it
RETENTION = dt.timedelta(days=90)  # nothing older is ever listed
STORAGE_RATE = 0.0004  # per rounded minute and month, as in the fixtures
_SUFFIXES = ("__gt", "__gte", "__lt", "__lte")


# ---- time -----------------------------------------------------------------------------------------------------

def utc_now(db: Database) -> dt.datetime:
    """The sandbox clock's "now" as a naive UTC datetime (the clock gives local time)."""
    return db.clock().astimezone(UTC).replace(tzinfo=None)


def stamp(t: dt.datetime) -> str:
    """How a time is stored: naive UTC, microseconds always present, so text order is time order."""
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def unstamp(v: str) -> dt.datetime:
    return dt.datetime.strptime(v, "%Y-%m-%d %H:%M:%S.%f")


def account_zone(ctx: Ctx) -> dt.tzinfo:
    """The main account's timezone, in which the API writes record times (UTC if it names none we know)."""
    row = ctx.db.storage(Accounts).get(ctx.main_id)
    try:
        return ZoneInfo(row["timezone"]) if row and row["timezone"] else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_text(v: str | None, zone: dt.tzinfo, micro: bool = False) -> str | None:
    """A stored time as the API writes it: `2017-05-22 17:49:40+05:30` (with microseconds for add_time)."""
    if v is None:
        return None
    t = unstamp(v).replace(tzinfo=UTC).astimezone(zone)
    return t.isoformat(sep=" ", timespec="microseconds" if micro else "seconds")


def parse_filter_time(params: dict[str, Any], name: str) -> dt.datetime | None:
    """A filter time, `YYYY-MM-DD[ HH:MM[:ss[.uuuuuu]]]` in UTC (an explicit offset is honoured)."""
    v = opt_str(params, name)
    if v is None or v == "":
        return None
    try:
        t = dt.datetime.fromisoformat(v.strip())
    except ValueError:
        raise ApiError(400, f"{name} must be a time like 'YYYY-MM-DD HH:MM[:ss[.uuuuuu]]' (UTC)") from None
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def time_window(params: dict[str, Any], name: str, now: dt.datetime,
                column: str | None = None) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause of a `field` time filter with the API's window rules: none given -> the last 7 days;
    a range over 30 days -> 400; one bound only -> 30 days from (or up to) it; never older than 90 days.
    `name` itself (no suffix) matches times that start with the given text ("2024-05-01" is that day).
    `column`: the SQL column filtered (default `name`)."""
    field = column or name
    exact = opt_str(params, name)
    bounds = {s: parse_filter_time(params, name + s) for s in _SUFFIXES}
    lower = bounds["__gt"] or bounds["__gte"]
    upper = bounds["__lt"] or bounds["__lte"]
    clauses: list[str] = [f"{field} >= ?"]
    args: list[Any] = [stamp(now - RETENTION)]
    if exact:
        clauses.append(f"substr({field}, 1, ?) = ?")
        args += [len(exact.strip()), exact.strip()]
    elif lower is None and upper is None:
        clauses.append(f"{field} >= ?")
        args.append(stamp(now - DEFAULT_WINDOW))
    elif lower is not None and upper is not None:
        if upper - lower > MAX_RANGE:
            raise ApiError(400, f"{name}: the range must not span more than 30 days")
    elif lower is not None:
        clauses.append(f"{field} <= ?")
        args.append(stamp(lower + MAX_RANGE))
    elif upper is not None:
        clauses.append(f"{field} >= ?")
        args.append(stamp(upper - MAX_RANGE))
    for suffix, op in (("__gt", ">"), ("__gte", ">="), ("__lt", "<"), ("__lte", "<=")):
        bound = bounds[suffix]
        if bound is not None:
            clauses.append(f"{field} {op} ?")
            args.append(stamp(bound))
    return " AND ".join(clauses), tuple(args)


def int_range(params: dict[str, Any], column: str, name: str | None = None) -> tuple[str, tuple[Any, ...]]:
    """WHERE clauses for an integer filter `name` and its __gt/__gte/__lt/__lte forms over SQL `column`."""
    name = name or column
    clauses: list[str] = []
    args: list[Any] = []
    for suffix, op in (("", "="), ("__gt", ">"), ("__gte", ">="), ("__lt", "<"), ("__lte", "<=")):
        v = opt_int(params, name + suffix)
        if v is not None:
            clauses.append(f"{column} {op} ?")
            args.append(v)
    return " AND ".join(clauses), tuple(args)


# ---- storage --------------------------------------------------------------------------------------------------

RECORDINGS = Table(
    name="recordings", key="recording_id", owned=True,
    # started/ended: UTC stamps; ended is the planned end until then (kept up to date by calls.py)
    create="""CREATE TABLE IF NOT EXISTS recordings (
        recording_id TEXT PRIMARY KEY, owner TEXT NOT NULL, call_uuid TEXT NOT NULL, from_number TEXT NOT NULL,
        to_number TEXT NOT NULL, conference_name TEXT NOT NULL, recording_type TEXT NOT NULL,
        recording_format TEXT NOT NULL, started TEXT NOT NULL, ended TEXT NOT NULL)""",
)


class Recordings(Storage):
    tables = (RECORDINGS,)

    def insert(self, c: sqlite3.Connection, row: dict[str, Any]) -> None:
        cols = ("recording_id", "owner", "call_uuid", "from_number", "to_number", "conference_name",
                "recording_type", "recording_format", "started", "ended")
        c.execute(f"INSERT INTO recordings({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                  tuple(row[k] for k in cols))

    def end_early(self, c: sqlite3.Connection, call_uuid: str, at: str, recording_id: str | None = None) -> int:
        """Recordings of `call_uuid` still running at `at` end then (one of them with `recording_id`)."""
        sql, args = "UPDATE recordings SET ended=? WHERE call_uuid=? AND ended>?", [at, call_uuid, at]
        if recording_id:
            sql, args = sql + " AND recording_id=?", [*args, recording_id]
        return c.execute(sql, args).rowcount

    def running(self, call_uuid: str, now: str) -> list[Row]:
        return self.db.query("SELECT * FROM recordings WHERE call_uuid=? AND started<=? AND ended>?",
                             (call_uuid, now, now))

    def get(self, owners: list[str], recording_id: str, now: str) -> Row | None:
        return self.db.one(f"SELECT * FROM recordings WHERE recording_id=? AND ended<=? AND owner IN "
                           f"({','.join('?' * len(owners))})", (recording_id, now, *owners))

    def delete(self, recording_id: str) -> None:
        with self.db.tx() as c:
            c.execute("DELETE FROM recordings WHERE recording_id=?", (recording_id,))


# ---- the paths ------------------------------------------------------------------------------------------------

def recording_url(auth_id: str, recording_id: str, fmt: str) -> str:
    return f"https://media.plivo.com/v1/Account/{auth_id}/Recording/{recording_id}.{fmt}"


def render(ctx: Ctx, row: Row, zone: dt.tzinfo, now: dt.datetime) -> dict[str, Any]:
    started, ended = unstamp(row["started"]), unstamp(row["ended"])
    start_ms = started.replace(tzinfo=UTC).timestamp() * 1000
    end_ms = ended.replace(tzinfo=UTC).timestamp() * 1000
    rounded = max(60, math.ceil((end_ms - start_ms) / 60000) * 60)
    return {
        "add_time": local_text(row["ended"], zone, micro=True), "call_uuid": row["call_uuid"],
        "conference_name": row["conference_name"], "from_number": row["from_number"],
        "monthly_recording_storage_amount": round(STORAGE_RATE * rounded / 60, 5),
        "recording_duration_ms": f"{end_ms - start_ms:.5f}", "recording_end_ms": f"{round(end_ms):.5f}",
        "recording_format": row["recording_format"], "recording_id": row["recording_id"],
        "recording_start_ms": f"{round(start_ms):.5f}", "recording_storage_duration": (now - ended).days,
        "recording_storage_rate": STORAGE_RATE, "recording_type": row["recording_type"],
        "recording_url": recording_url(ctx.caller, row["recording_id"], row["recording_format"]),
        "resource_uri": ctx.uri("Recording", row["recording_id"]), "to_number": row["to_number"],
        "rounded_recording_duration": rounded,
    }


_TEXT_FILTERS = ("call_uuid", "from_number", "to_number", "conference_name")
_LIST_FILTERS = ("subaccount", *_TEXT_FILTERS, "conference_uuid", "mpc_name", "mpc_uuid",
                 *(f"add_time{s}" for s in _SUFFIXES), "recording_storage_duration",
                 *(f"recording_storage_duration{s}" for s in _SUFFIXES))


def list_(ctx: Ctx) -> Result:
    owners = ctx.owner_filter()
    now = utc_now(ctx.db)
    # add_time is the recording's end: filter on `ended`, and only on recordings that have ended.
    window, window_args = time_window(ctx.params, "add_time", now, column="ended")
    clauses = [f"owner IN ({','.join('?' * len(owners))})", "ended <= ?", window]
    args: list[Any] = [*owners, stamp(now), *window_args]
    for name in _TEXT_FILTERS:
        v = opt_str(ctx.params, name)
        if v:
            clauses.append(f"{name} = ?")
            args.append(v)
    # Only call recordings are made in the sandbox: a conference or MPC id matches none of them.
    if any(opt_str(ctx.params, n) for n in ("conference_uuid", "mpc_name", "mpc_uuid")):
        clauses.append("0")
    days, days_args = int_range(ctx.params, "CAST(julianday(?) - julianday(ended) AS INTEGER)",
                                "recording_storage_duration")
    if days:
        # each comparison reads `now` once more, in the same order as its placeholders
        clauses.append(days)
        for v in days_args:
            args += [stamp(now), v]
    rows = PagedRows(ctx.db, "recordings", " AND ".join(clauses), tuple(args), order="ended")
    zone = account_zone(ctx)
    return page(ctx, "Recording", rows, lambda r: render(ctx, r, zone, now), _LIST_FILTERS)


def _existing(ctx: Ctx, recording_id: str) -> Row:
    return found(ctx.db.storage(Recordings).get(ctx.owners, recording_id, stamp(utc_now(ctx.db))))


def get(ctx: Ctx, recording_id: str) -> Result:
    row = _existing(ctx, recording_id)
    return 200, {"api_id": ctx.api_id, **render(ctx, row, account_zone(ctx), utc_now(ctx.db))}


def delete(ctx: Ctx, recording_id: str) -> Result:
    _existing(ctx, recording_id)
    ctx.db.storage(Recordings).delete(recording_id)
    return deleted(ctx)


RESOURCE = Resource(
    paths={
        "Recording/": {"GET": list_},
        "Recording/{id}/": {"GET": get, "DELETE": delete},
    },
    storage=Recordings,
)
