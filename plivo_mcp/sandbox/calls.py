"""Call: make a call (`POST Call/`), CDRs (get, list with the API's filters and default window), live and queued
calls (`?status=live|queued`), hang up (`DELETE Call/{uuid}/`, or every ongoing call with `DELETE Call/`),
cancel a queued request (`DELETE Request/{request_uuid}/`), and record a live call (`POST`/`DELETE
Call/{uuid}/Record/`, which makes a recording: recordings.py).

Lifecycle, read off the sandbox clock whenever a call is looked at (nothing runs in the background; tests move
the clock with `sb.clock.advance(seconds)`), in seconds after `POST Call/`:

    0-2 queued | 2-6 ringing | 6 answered: in-progress | 66 completed (60 s of talk), hangup "Normal Hangup"
    (4000, source Callee); `time_limit` (default 14400) cuts the talk short ("Time Limit Reached", 4020, Plivo).

The destination picks the outcome. Magic destinations (any country code, by the last seven digits; 555-01XX is
reserved for fiction in North America, so no real US/CA number is one):

    ...5550101 busy: rings 2-5 s, then "Busy Line" (3010, Callee), nothing billed
    ...5550102 no answer: rings until ring_timeout (default 120 s) runs out, "No Answer" (3020, Plivo)
    ...5550103 failed: never rings, ends at 1 s, "Invalid Destination Address" (2010, Error)
    ...5550104 long: talks for an hour (or time_limit), to practise live-call actions on

A `ring_timeout` shorter than the 4 s of ringing makes any call a no-answer. Hanging up by API ends a call at
once: "Normal Hangup" (4000) when answered, else "Cancelled" (1010), source "API Request". Cause names other
than "End Of XML Instructions" (4010) and the codes are the sandbox's choice (unverified against the API).

Pricing: the per-minute rate is the destination's `voice.outbound` rate from the sandbox's Pricing (data.py):
`ip` for `sip:` URIs, `tollfree` for toll-free numbers (US/CA 800, 833, ... 888; the local rate where the
country has no toll-free rate), else the longest matching prefix. Billing is per started minute:
billed_duration = bill_duration rounded up to 60 s, total_amount = total_rate x billed minutes. A destination
in a country the sandbox has no pricing for is refused (400), as is a call when the main account's
cash_credits is not above zero. When a call completes its amount is taken off the main account's
cash_credits (a subaccount's calls too), once: calls are settled by `catch_up`, which the app runs before each
request, so any answer (Account included) reflects every call that has ended by then.

CDRs exist only for completed calls: `GET Call/{uuid}/` of a call still queued or live is 404 (ask with
`?status=live` / `?status=queued`). call_uuid equals request_uuid (as in the live-call fixture).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
import uuid
from decimal import Decimal
from typing import Any

from plivo_mcp.sandbox.accounts import money, new_token
from plivo_mcp.sandbox.data import COUNTRIES, PRICING
from plivo_mcp.sandbox.recordings import (
    Recordings,
    account_zone,
    int_range,
    local_text,
    recording_url,
    stamp,
    time_window,
    unstamp,
    utc_now,
)
from plivo_mcp.sandbox.router import (
    ApiError,
    Ctx,
    Resource,
    Result,
    deleted,
    opt_bool,
    opt_int,
    opt_method,
    opt_str,
    opt_url,
    page,
    req_str,
)
from plivo_mcp.sandbox.storage import PagedRows, Row, Storage, Table

# ---- the lifecycle --------------------------------------------------------------------------------------------

QUEUED_S = 2.0  # queued until then, then ringing
ANSWER_S = 6.0  # an answered call is answered then
TALK_S = 60  # an ordinary call talks this long
LONG_TALK_S = 3600  # the "long" magic destination
BUSY_END_S = 5.0
FAILED_END_S = 1.0
DEFAULT_TIME_LIMIT = 14400
DEFAULT_RING_TIMEOUT = 120
MAX_DESTINATIONS = 1000

NORMAL = ("Normal Hangup", 4000, "Callee")
TIME_LIMIT = ("Time Limit Reached", 4020, "Plivo")
BUSY = ("Busy Line", 3010, "Callee")
NO_ANSWER = ("No Answer", 3020, "Plivo")
FAILED = ("Invalid Destination Address", 2010, "Error")
API_HANGUP = ("Normal Hangup", 4000, "API Request")
API_CANCEL = ("Cancelled", 1010, "API Request")
END_OF_XML = ("End Of XML Instructions", 4010, "Answer XML")

MAGIC = {"5550101": "busy", "5550102": "no-answer", "5550103": "failed", "5550104": "long"}
TOLLFREE_PREFIXES = {"US": ("1800", "1833", "1844", "1855", "1866", "1877", "1888"),
                     "CA": ("1800", "1833", "1844", "1855", "1866", "1877", "1888"),
                     "GB": ("44800",), "AU": ("611800",)}


def plan(outcome: str, time_limit: int, ring_timeout: int) -> dict[str, Any]:
    """When a call answers and ends (seconds after it was made) and why, from its outcome."""
    if outcome in ("answered", "long") and ring_timeout < ANSWER_S - QUEUED_S:
        outcome = "no-answer"
    if outcome == "busy":
        return {"answer_s": None, "end_s": BUSY_END_S, "cause": BUSY}
    if outcome == "no-answer":
        return {"answer_s": None, "end_s": QUEUED_S + ring_timeout, "cause": NO_ANSWER}
    if outcome == "failed":
        return {"answer_s": None, "end_s": FAILED_END_S, "cause": FAILED}
    talk = LONG_TALK_S if outcome == "long" else TALK_S
    cause = NORMAL if talk <= time_limit else TIME_LIMIT
    return {"answer_s": ANSWER_S, "end_s": ANSWER_S + min(talk, time_limit), "cause": cause}


def state_at(row: Row, now: dt.datetime) -> str:
    """queued, ringing, in-progress or completed, read off the clock."""
    if row["settled"]:
        return "completed"
    elapsed = (now - unstamp(row["initiated"])).total_seconds()
    if elapsed >= row["end_s"]:
        return "completed"
    if row["answer_s"] is not None and elapsed >= row["answer_s"]:
        return "in-progress"
    return "ringing" if elapsed >= QUEUED_S else "queued"


# ---- pricing --------------------------------------------------------------------------------------------------

def _prefix_table() -> list[tuple[str, str, str]]:
    """(prefix, iso, rate), longest prefix first; for the shared +1, the US before Canada."""
    rows = []
    for iso, pricing in PRICING.items():
        for entry in pricing["voice"]["outbound"]["rates"]:
            if entry["origination_prefix"] != [""]:
                continue
            for prefix in entry["prefix"]:
                rows.append((prefix, iso, entry["rate"]))
    order = list(PRICING)
    return sorted(rows, key=lambda r: (-len(r[0]), order.index(r[1])))


_PREFIXES = _prefix_table()


def rate_for(destination: str) -> tuple[str, str, str]:
    """(per-minute rate, country iso or "", kind local|tollfree|sip) of a destination, or 400."""
    if destination.startswith("sip:"):
        return PRICING["US"]["voice"]["outbound"]["ip"]["rate"], "", "sip"
    for prefix, iso, rate in _PREFIXES:
        if destination.startswith(prefix):
            outbound = PRICING[iso]["voice"]["outbound"]
            if any(destination.startswith(p) for p in TOLLFREE_PREFIXES.get(iso, ())):
                return outbound["tollfree"]["rate"] or rate, iso, "tollfree"
            return rate, iso, "local"
    raise ApiError(400, f"to: the sandbox has no voice pricing for {destination} (it prices calls to "
                        f"{', '.join(PRICING)} and sip: URIs)")


def outcome_of(destination: str) -> str:
    if destination.startswith("sip:"):
        return "answered"
    return MAGIC.get(destination[-7:], "answered")


# ---- storage --------------------------------------------------------------------------------------------------

CALLS = Table(
    name="calls", key="call_uuid", owned=True,
    # initiated/answer_time/end_time: UTC stamps. answer_s/end_s: the plan, seconds after initiated (an API
    # hang-up rewrites end_s and the cause). settled: the CDR fields below it are final and the call is paid.
    create="""CREATE TABLE IF NOT EXISTS calls (
        call_uuid TEXT PRIMARY KEY, owner TEXT NOT NULL, direction TEXT NOT NULL, from_number TEXT NOT NULL,
        to_number TEXT NOT NULL, caller_name TEXT NOT NULL, answer_url TEXT NOT NULL, parent_call_uuid TEXT,
        initiated TEXT NOT NULL, answer_s REAL, end_s REAL NOT NULL, cause_name TEXT NOT NULL,
        cause_code INTEGER NOT NULL, cause_source TEXT NOT NULL, total_rate TEXT NOT NULL,
        network_group TEXT NOT NULL, settled INTEGER NOT NULL DEFAULT 0, answer_time TEXT, end_time TEXT,
        call_duration INTEGER, bill_duration INTEGER, billed_duration INTEGER, total_amount TEXT);
        CREATE INDEX IF NOT EXISTS calls_ongoing ON calls(settled) WHERE settled=0""",
    # The index keeps catch_up (run before every request) from reading every CDR ever made.
)


def cost(bill_duration: int, rate: str) -> tuple[int, str]:
    """(billed_duration, total_amount): per started minute."""
    billed = math.ceil(bill_duration / 60) * 60
    return billed, f"{Decimal(rate) * billed / 60:.5f}"


class Calls(Storage):
    tables = (CALLS,)

    def create(self, c: sqlite3.Connection, row: dict[str, Any]) -> None:
        cols = list(row)
        c.execute(f"INSERT INTO calls({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                  tuple(row.values()))

    def catch_up(self) -> None:
        """Settle every call that has ended by now: final CDR fields, and its amount off the payer's credits."""
        now = utc_now(self.db)
        pending = self.db.query("SELECT * FROM calls WHERE settled=0")
        due = [r for r in pending if state_at(r, now) == "completed"]
        if not due:
            return
        with self.db.tx() as c:
            for r in due:
                if c.execute("SELECT settled FROM calls WHERE call_uuid=?", (r["call_uuid"],)).fetchone()[0]:
                    continue  # settled meanwhile by another thread
                self._settle(c, r)

    def _settle(self, c: sqlite3.Connection, r: Row) -> None:
        start = unstamp(r["initiated"])
        end = start + dt.timedelta(seconds=r["end_s"])
        answered = r["answer_s"] is not None and r["end_s"] > r["answer_s"]
        talk = round(r["end_s"] - r["answer_s"]) if answered else 0
        billed, amount = cost(talk, r["total_rate"])
        c.execute("UPDATE calls SET settled=1, answer_time=?, end_time=?, call_duration=?, bill_duration=?, "
                  "billed_duration=?, total_amount=? WHERE call_uuid=?",
                  (stamp(start + dt.timedelta(seconds=r["answer_s"])) if answered else None, stamp(end), talk,
                   talk, billed, amount, r["call_uuid"]))
        charge(c, r["owner"], Decimal(amount))

    def seed_history(self, c: sqlite3.Connection, main_id: str) -> None:
        seed_history(self.db, c, main_id)  # recordings too: they are recordings of these calls

    def get(self, owners: list[str], call_uuid: str) -> Row | None:
        return self.db.one(f"SELECT * FROM calls WHERE call_uuid=? AND owner IN ({','.join('?' * len(owners))})",
                           (call_uuid, *owners))

    def ongoing(self, owners: list[str]) -> list[Row]:
        return self.db.query(f"SELECT * FROM calls WHERE settled=0 AND owner IN ({','.join('?' * len(owners))}) "
                             "ORDER BY initiated DESC, rowid DESC", tuple(owners))

    def end_now(self, row: Row, now: dt.datetime) -> None:
        """Hang up (or cancel) a call that has not ended, by API, at `now`."""
        elapsed = max(0.0, (now - unstamp(row["initiated"])).total_seconds())
        answered = row["answer_s"] is not None and elapsed >= row["answer_s"]
        name, code, source = API_HANGUP if answered else API_CANCEL
        with self.db.tx() as c:
            c.execute("UPDATE calls SET end_s=?, cause_name=?, cause_code=?, cause_source=? WHERE call_uuid=? "
                      "AND settled=0", (elapsed, name, code, source, row["call_uuid"]))
            self.db.storage(Recordings).end_early(c, row["call_uuid"], stamp(now))
        self.catch_up()


def payer(c: sqlite3.Connection, owner: str) -> str:
    """The main account that pays for `owner`'s calls."""
    row = c.execute("SELECT parent FROM accounts WHERE auth_id=?", (owner,)).fetchone()
    return row["parent"] if row and row["parent"] else owner


def charge(c: sqlite3.Connection, owner: str, amount: Decimal) -> None:
    """A completed call is paid even if that takes credits below zero: it has happened (the API lets a call
    that has started run on, and refuses only new calls)."""
    if not amount:
        return
    main = payer(c, owner)
    row = c.execute("SELECT cash_credits FROM accounts WHERE auth_id=?", (main,)).fetchone()
    if row is not None:
        c.execute("UPDATE accounts SET cash_credits=? WHERE auth_id=?",
                  (f"{money(row['cash_credits']) - amount:.5f}", main))


# ---- validation -----------------------------------------------------------------------------------------------

_NUMBER_JUNK = re.compile(r"[\s\-().+/]")
_SIP_URI = re.compile(r"^sip:[^@\s<>]+@[A-Za-z0-9.\-]+(:\d+)?$")
_SEND_DIGITS = re.compile(r"^[0-9*#wW]*(@\d+)?$")
_SIP_HEADERS = re.compile(r"^[A-Za-z0-9\-_]+=[^,=]*(,[A-Za-z0-9\-_]+=[^,=]*)*$")


def phone_number(v: str, name: str) -> str:
    """E.164 digits (the separators the API strips removed), or 400 naming the parameter."""
    digits = _NUMBER_JUNK.sub("", v)
    if not digits.isdigit() or not 7 <= len(digits) <= 15:
        raise ApiError(400, f"{name}: {v!r} is not a phone number (country code and number, up to 15 digits)"
                            " or a sip: URI")
    return digits


def destinations(raw: str) -> list[str]:
    """The `to` list: numbers (digits) and sip: URIs joined with `<`, duplicates dropped, at most 1000."""
    out: list[str] = []
    for part in raw.split("<"):
        part = part.strip()
        if not part:
            raise ApiError(400, "to: empty destination (several destinations are joined with '<')")
        dest = part if _SIP_URI.match(part) else phone_number(part, "to")
        if dest not in out:
            out.append(dest)
    if len(out) > MAX_DESTINATIONS:
        raise ApiError(400, f"to: at most {MAX_DESTINATIONS} destinations in one request")
    return out


def _int_in(ctx: Ctx, name: str, lo: int, hi: int, default: int | None = None) -> int | None:
    v = opt_int(ctx.params, name)
    if v is None:
        return default
    if not lo <= v <= hi:
        raise ApiError(400, f"{name} must be between {lo} and {hi}")
    return v


def _validate_options(ctx: Ctx) -> None:
    """The optional parameters the sandbox does not act on, checked as the API documents them."""
    for name in ("answer_method", "ring_method", "hangup_method", "fallback_method", "machine_detection_method"):
        opt_method(ctx.params, name)
    for name in ("ring_url", "hangup_url", "fallback_url", "machine_detection_url"):
        opt_url(ctx.params, name)
    digits = opt_str(ctx.params, "send_digits")
    if digits and not _SEND_DIGITS.match(digits):
        raise ApiError(400, "send_digits may hold only 0-9, *, #, w (0.5 s) and W (1 s), optionally @duration")
    opt_bool(ctx.params, "send_on_preanswer")
    md = opt_str(ctx.params, "machine_detection")
    if md and md not in ("true", "hangup"):
        raise ApiError(400, "machine_detection must be true or hangup")
    _int_in(ctx, "machine_detection_time", 2000, 10000)
    _int_in(ctx, "hangup_on_ring", 1, DEFAULT_TIME_LIMIT)
    headers = opt_str(ctx.params, "sip_headers")
    if headers and not _SIP_HEADERS.match(headers):
        raise ApiError(400, "sip_headers must be 'name=value' pairs joined with commas")


# ---- the paths ------------------------------------------------------------------------------------------------

def create(ctx: Ctx) -> Result:
    source = req_str(ctx.params, "from")
    from_number = source.strip() if _SIP_URI.match(source.strip()) else phone_number(source, "from")
    if source.strip().startswith("+"):
        from_number = "+" + from_number
    tos = destinations(req_str(ctx.params, "to"))
    if from_number.lstrip("+") in tos:
        raise ApiError(400, "from and to must differ: a call cannot be made to its own caller ID")
    answer_url = opt_url(ctx.params, "answer_url", allow_empty=False)
    if not answer_url:
        raise ApiError(400, "answer_url parameter is missing")
    caller_name = opt_str(ctx.params, "caller_name") or ""
    if len(caller_name) > 50:
        raise ApiError(400, "caller_name must be at most 50 characters")
    time_limit = _int_in(ctx, "time_limit", 1, DEFAULT_TIME_LIMIT, DEFAULT_TIME_LIMIT)
    ring_timeout = _int_in(ctx, "ring_timeout", 0, 3600, DEFAULT_RING_TIMEOUT)
    assert time_limit is not None and ring_timeout is not None
    _validate_options(ctx)
    parent = opt_str(ctx.params, "parent_call_uuid") or None
    if parent and opt_bool(ctx.params, "error_if_parent_not_found"):
        row = ctx.db.storage(Calls).get(ctx.owners, parent)
        if row is None or state_at(row, utc_now(ctx.db)) == "completed":
            raise ApiError(400, "parent_call_uuid: no ongoing call with that uuid")
    priced = [rate_for(t) for t in tos]
    now = utc_now(ctx.db)
    calls = ctx.db.storage(Calls)
    with ctx.db.tx() as c:
        main = payer(c, ctx.caller)
        credits = c.execute("SELECT cash_credits FROM accounts WHERE auth_id=?", (main,)).fetchone()
        if credits is None or money(credits["cash_credits"]) <= 0:
            raise ApiError(400, "insufficient cash credits: add credit to make calls")
        uuids = []
        for to, (rate, iso, kind) in zip(tos, priced, strict=True):
            call_uuid = str(uuid.uuid4())
            p = plan(outcome_of(to), time_limit, ring_timeout)
            calls.create(c, {
                "call_uuid": call_uuid, "owner": ctx.caller, "direction": "outbound", "from_number": from_number,
                "to_number": to, "caller_name": caller_name, "answer_url": answer_url, "parent_call_uuid": parent,
                "initiated": stamp(now), "answer_s": p["answer_s"], "end_s": p["end_s"],
                "cause_name": p["cause"][0], "cause_code": p["cause"][1], "cause_source": p["cause"][2],
                "total_rate": rate, "network_group": "SIP" if kind == "sip" else COUNTRIES[iso][0],
            })
            uuids.append(call_uuid)
    if len(uuids) == 1:
        return 201, {"api_id": ctx.api_id, "message": "call fired", "request_uuid": uuids[0]}
    return 201, {"api_id": ctx.api_id, "message": "calls fired", "request_uuid": uuids}


def render_cdr(ctx: Ctx, row: Row, zone: dt.tzinfo) -> dict[str, Any]:
    return {
        "answer_time": local_text(row["answer_time"], zone), "bill_duration": row["bill_duration"],
        "billed_duration": row["billed_duration"], "call_direction": row["direction"],
        "call_duration": row["call_duration"], "call_uuid": row["call_uuid"],
        "end_time": local_text(row["end_time"], zone), "from_number": row["from_number"],
        "initiation_time": local_text(row["initiated"], zone), "parent_call_uuid": row["parent_call_uuid"],
        "resource_uri": ctx.uri("Call", row["call_uuid"]), "to_number": row["to_number"],
        "total_amount": row["total_amount"], "total_rate": row["total_rate"],
        "hangup_cause_name": row["cause_name"], "hangup_cause_code": row["cause_code"],
        "hangup_source": row["cause_source"], "stir_verification": "Not Applicable", "stir_attestation": None,
        "source_ip": None, "voice_network_group": row["network_group"], "cnam_lookup": None,
        "conference_uuid": None,
    }


def _status(ctx: Ctx) -> str | None:
    status = opt_str(ctx.params, "status")
    if status in (None, ""):
        return None
    if status not in ("live", "queued"):
        raise ApiError(400, "status must be live or queued (without it: completed calls)")
    return status


def _direction(ctx: Ctx) -> str | None:
    v = opt_str(ctx.params, "call_direction")
    if v and v not in ("inbound", "outbound"):
        raise ApiError(400, "call_direction must be inbound or outbound")
    return v or None


_CDR_FILTERS = ("subaccount", "call_direction", "from_number", "to_number", "parent_call_uuid", "bill_duration",
                *(f"bill_duration{s}" for s in ("__gt", "__gte", "__lt", "__lte")), "end_time",
                *(f"end_time{s}" for s in ("__gt", "__gte", "__lt", "__lte")), "hangup_cause_code",
                "hangup_source", "stir_verification")


def list_(ctx: Ctx) -> Result:
    status = _status(ctx)
    if status is not None:
        return _list_ids(ctx, status)
    owners = ctx.owner_filter()
    now = utc_now(ctx.db)
    window, window_args = time_window(ctx.params, "end_time", now)
    clauses = [f"owner IN ({','.join('?' * len(owners))})", "settled=1", window]
    args: list[Any] = [*owners, *window_args]
    direction = _direction(ctx)
    if direction:
        clauses.append("direction=?")
        args.append(direction)
    for name in ("from_number", "to_number"):
        v = opt_str(ctx.params, name)
        if v:  # exact or prefix; a leading + is not part of the stored number
            clauses.append(f"(substr(ltrim({name}, '+'), 1, ?) = ?)")
            args += [len(v.lstrip("+")), v.lstrip("+")]
    for name, column in (("parent_call_uuid", "parent_call_uuid"), ("hangup_source", "cause_source")):
        v = opt_str(ctx.params, name)
        if v:
            clauses.append(f"{column}=?")
            args.append(v)
    code = opt_int(ctx.params, "hangup_cause_code")
    if code is not None:
        clauses.append("cause_code=?")
        args.append(code)
    stir = opt_str(ctx.params, "stir_verification")
    if stir and stir != "Not Applicable":
        clauses.append("0")  # every sandbox call is "Not Applicable"
    bill, bill_args = int_range(ctx.params, "bill_duration")
    if bill:
        clauses.append(bill)
        args += bill_args
    rows = PagedRows(ctx.db, "calls", " AND ".join(clauses), tuple(args), order="end_time")
    zone = account_zone(ctx)
    return page(ctx, "Call", rows, lambda r: render_cdr(ctx, r, zone), _CDR_FILTERS)


def _list_ids(ctx: Ctx, status: str) -> Result:
    """`{"api_id", "calls": [call_uuid, ...]}` of the live (ringing or in-progress) or queued calls."""
    limit = _int_in(ctx, "limit", 1, 20, 20)
    offset = opt_int(ctx.params, "offset") or 0
    if offset < 0:
        raise ApiError(400, "offset must be 0 or more")
    now = utc_now(ctx.db)
    direction = _direction(ctx)
    wanted = ("ringing", "in-progress") if status == "live" else ("queued",)
    picked = []
    for r in ctx.db.storage(Calls).ongoing(ctx.owners):
        if state_at(r, now) not in wanted or (direction and r["direction"] != direction):
            continue
        if status == "live" and not _matches_numbers(ctx, r):
            continue
        picked.append(r["call_uuid"])
    assert limit is not None
    return 200, {"api_id": ctx.api_id, "calls": picked[offset:offset + limit]}


def _matches_numbers(ctx: Ctx, r: Row) -> bool:
    for name, column in (("from_number", "from_number"), ("to_number", "to_number")):
        v = opt_str(ctx.params, name)
        if v and not r[column].lstrip("+").startswith(v.lstrip("+")):
            return False
    return True


def _not_found(what: str) -> ApiError:
    return ApiError(404, f"not found: {what}")


def get(ctx: Ctx, call_uuid: str) -> Result:
    status = _status(ctx)
    row = ctx.db.storage(Calls).get(ctx.owners, call_uuid)
    now = utc_now(ctx.db)
    state = state_at(row, now) if row else None
    if status == "live":
        if row is None or state not in ("ringing", "in-progress"):
            raise _not_found("no live call with that uuid")
        return 200, {"api_id": ctx.api_id, **_render_ongoing(row, state), "session_start":
                     stamp(unstamp(row["initiated"]) + dt.timedelta(seconds=QUEUED_S)),
                     "answer_url": row["answer_url"], "parent_call_uuid": row["parent_call_uuid"],
                     "stir_verification": "Not Applicable", "stir_attestation": None}
    if status == "queued":
        if row is None or state != "queued":
            raise _not_found("no queued call with that uuid")
        return 200, {"api_id": ctx.api_id, **_render_ongoing(row, state)}
    if row is None:
        raise _not_found("no call with that uuid")
    if state != "completed":
        raise _not_found(f"the call is {state}: its record exists once it completes (ask with status=live or "
                         "status=queued meanwhile)")
    return 200, {"api_id": ctx.api_id, **render_cdr(ctx, row, account_zone(ctx))}


def _render_ongoing(row: Row, state: str | None) -> dict[str, Any]:
    return {"call_status": state, "call_uuid": row["call_uuid"], "caller_name": row["caller_name"],
            "direction": row["direction"], "from": row["from_number"], "to": row["to_number"],
            "request_uuid": row["call_uuid"]}


def _ongoing(ctx: Ctx, call_uuid: str, states: tuple[str, ...], what: str) -> Row:
    row = ctx.db.storage(Calls).get(ctx.owners, call_uuid)
    if row is None or state_at(row, utc_now(ctx.db)) not in states:
        raise _not_found(what)
    return row


def hangup(ctx: Ctx, call_uuid: str) -> Result:
    """Ends a live call, or cancels a queued one (documented), with hangup source "API Request"."""
    row = _ongoing(ctx, call_uuid, ("queued", "ringing", "in-progress"), "no ongoing call with that uuid")
    ctx.db.storage(Calls).end_now(row, utc_now(ctx.db))
    return deleted(ctx)


def hangup_all(ctx: Ctx) -> Result:
    """`DELETE Call/`: every ongoing call of the caller (a main account's subaccounts' too) ends."""
    calls = ctx.db.storage(Calls)
    now = utc_now(ctx.db)
    for row in calls.ongoing(ctx.owners):
        if state_at(row, now) != "completed":
            calls.end_now(row, now)
    return deleted(ctx)


def cancel_request(ctx: Ctx, request_uuid: str) -> Result:
    row = _ongoing(ctx, request_uuid, ("queued",), "no queued request with that uuid (a call that has started "
                   "ringing is hung up with DELETE Call/{uuid}/)")
    ctx.db.storage(Calls).end_now(row, utc_now(ctx.db))
    return deleted(ctx)


def record(ctx: Ctx, call_uuid: str) -> Result:
    row = _ongoing(ctx, call_uuid, ("in-progress",), "no answered live call with that uuid")
    time_limit = _int_in(ctx, "time_limit", 1, DEFAULT_TIME_LIMIT, 60)
    assert time_limit is not None
    fmt = opt_str(ctx.params, "file_format") or "mp3"
    if fmt not in ("mp3", "wav"):
        raise ApiError(400, "file_format must be mp3 or wav")
    channels = opt_str(ctx.params, "record_channel_type")
    if channels and channels not in ("mono", "stereo"):
        raise ApiError(400, "record_channel_type must be mono or stereo")
    ttype = opt_str(ctx.params, "transcription_type")
    if ttype and ttype not in ("auto", "hybrid"):
        raise ApiError(400, "transcription_type must be auto or hybrid")
    opt_url(ctx.params, "transcription_url")
    opt_method(ctx.params, "transcription_method")
    now = utc_now(ctx.db)
    call_end = unstamp(row["initiated"]) + dt.timedelta(seconds=row["end_s"])
    recording_id = str(uuid.uuid4())
    with ctx.db.tx() as c:
        ctx.db.storage(Recordings).insert(c, {
            "recording_id": recording_id, "owner": row["owner"], "call_uuid": call_uuid,
            "from_number": row["from_number"], "to_number": row["to_number"], "conference_name": "",
            "recording_type": "call", "recording_format": fmt, "started": stamp(now),
            "ended": stamp(min(now + dt.timedelta(seconds=time_limit), call_end)),
        })
    return 202, {"api_id": ctx.api_id, "url": recording_url(ctx.caller, recording_id, fmt),
                 "message": "call recording started", "recording_id": recording_id}


def record_stop(ctx: Ctx, call_uuid: str) -> Result:
    """Stops every recording of the call, or the one whose `URL` is given."""
    row = _ongoing(ctx, call_uuid, ("in-progress",), "no answered live call with that uuid")
    now = stamp(utc_now(ctx.db))
    url = opt_str(ctx.params, "URL") or opt_str(ctx.params, "url")
    recordings = ctx.db.storage(Recordings)
    running = recordings.running(row["call_uuid"], now)
    if url:
        running = [r for r in running if recording_url(ctx.caller, r["recording_id"], r["recording_format"]) == url]
        if not running:
            raise _not_found("no recording of this call is running at that URL")
    with ctx.db.tx() as c:
        for r in running:
            recordings.end_early(c, row["call_uuid"], now, r["recording_id"])
    return deleted(ctx)


RESOURCE = Resource(
    paths={
        "Call/": {"GET": list_, "POST": create, "DELETE": hangup_all},
        "Call/{id}/": {"GET": get, "DELETE": hangup},
        "Call/{id}/Record/": {"POST": record, "DELETE": record_stop},
        "Request/{id}/": {"DELETE": cancel_request},
    },
    storage=Calls,
)


# ---- seeded history -------------------------------------------------------------------------------------------

HISTORY_DAYS = 21
CALLS_PER_DAY = 6
HISTORY_SUBACCOUNTS = ("Support team", "Sales team")
# (destination, weight): the countries the sandbox prices, a toll-free number and a SIP endpoint
_HISTORY_DESTINATIONS = (("14155550{:03d}", 5), ("12125550{:03d}", 3), ("447700900{:03d}", 2),
                         ("91980000{:04d}", 2), ("14165550{:03d}", 1), ("61491570{:03d}", 1),
                         ("18005550{:03d}", 1), ("sip:agent{:03d}@phone.plivo.com", 1))
_HISTORY_OUTCOMES = (("answered", 14), ("busy", 2), ("no-answer", 2), ("failed", 1), ("api", 1))
_OUR_NUMBERS = ("14155550100", "14155550199")


def _history_subaccounts(c: sqlite3.Connection, main_id: str, rng: Any) -> list[str]:
    """The main account's first two subaccounts, made (with ids derived from the seed) when it has fewer."""
    have = [r["auth_id"] for r in c.execute("SELECT auth_id FROM accounts WHERE parent=? ORDER BY rowid LIMIT 2",
                                            (main_id,))]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    for name in HISTORY_SUBACCOUNTS[len(have):]:
        auth_id = "SA" + "".join(rng.choice(alphabet) for _ in range(18))
        token = new_token()  # random: a token derived from the seed could be computed from the main auth id
        created = c.execute("SELECT created FROM accounts WHERE auth_id=?", (main_id,)).fetchone()["created"]
        c.execute("INSERT INTO accounts(auth_id, parent, auth_token, name, enabled, created, modified) "
                  "VALUES (?,?,?,?,1,?,NULL)", (auth_id, main_id, token, name, created))
        have.append(auth_id)
    return have


def seed_history(db: Any, c: sqlite3.Connection, main_id: str) -> None:
    """HISTORY_DAYS days of completed calls before now (CALLS_PER_DAY a day: outbound and inbound, the
    sandbox's countries, every outcome, the main account and two subaccounts) and recordings of about a quarter
    of the answered ones. Deterministic for a given main account and clock; history does not touch credits."""
    import random

    rng = random.Random(f"plivo-sandbox-history:{main_id}")
    owners = [main_id, main_id, main_id, *_history_subaccounts(c, main_id, rng)]
    now = utc_now(db)
    dests = [d for d, w in _HISTORY_DESTINATIONS for _ in range(w)]
    outcomes = [o for o, w in _HISTORY_OUTCOMES for _ in range(w)]
    call_rows: list[tuple[Any, ...]] = []
    recording_rows: list[tuple[Any, ...]] = []
    for day in range(HISTORY_DAYS, 0, -1):
        for _ in range(CALLS_PER_DAY):
            start = now - dt.timedelta(days=day, seconds=rng.randrange(0, 86400 - 7200))
            other = rng.choice(dests).format(rng.randrange(200, 999))
            inbound = rng.random() < 0.2 and not other.startswith("sip:")
            outcome = rng.choice(outcomes)
            talk = rng.randrange(15, 900)
            p = plan("answered" if outcome == "api" else outcome, DEFAULT_TIME_LIMIT, DEFAULT_RING_TIMEOUT)
            cause = p["cause"]
            if p["answer_s"] is not None:
                p["end_s"] = p["answer_s"] + talk
                cause = API_HANGUP if outcome == "api" else rng.choice((NORMAL, NORMAL, END_OF_XML))
            rate, iso, kind = rate_for(other)
            if inbound:
                inbound_rates = PRICING[iso]["voice"]["inbound"]
                rate = (inbound_rates["tollfree" if kind == "tollfree" else "local"]["rate"]
                        or inbound_rates["local"]["rate"])
            answered = p["answer_s"] is not None
            bill = talk if answered else 0
            billed, amount = cost(bill, rate)
            call_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            owner = rng.choice(owners)
            ours = _OUR_NUMBERS[len(call_rows) % 2]
            call_rows.append((
                call_uuid, owner, "inbound" if inbound else "outbound", other if inbound else "+" + ours,
                ours if inbound else other, "", "https://example.com/answer", None, stamp(start), p["answer_s"],
                p["end_s"], cause[0], cause[1], "Caller" if inbound and cause == NORMAL else cause[2], rate,
                "SIP" if kind == "sip" else COUNTRIES[iso][0], 1,
                stamp(start + dt.timedelta(seconds=p["answer_s"])) if answered else None,
                stamp(start + dt.timedelta(seconds=p["end_s"])), bill, bill, billed, amount))
            if answered and rng.random() < 0.25:
                rec_start = start + dt.timedelta(seconds=p["answer_s"])
                recording_rows.append((
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)), owner, call_uuid, call_rows[-1][3],
                    call_rows[-1][4], "", "call", "mp3", stamp(rec_start),
                    stamp(rec_start + dt.timedelta(seconds=min(talk, rng.randrange(10, 300))))))
    c.executemany(f"INSERT INTO calls({', '.join(_CALL_COLUMNS)}) VALUES ({', '.join('?' * len(_CALL_COLUMNS))})",
                  call_rows)
    c.executemany("INSERT INTO recordings(recording_id, owner, call_uuid, from_number, to_number, conference_name,"
                  " recording_type, recording_format, started, ended) VALUES (?,?,?,?,?,?,?,?,?,?)", recording_rows)


_CALL_COLUMNS = ("call_uuid", "owner", "direction", "from_number", "to_number", "caller_name", "answer_url",
                 "parent_call_uuid", "initiated", "answer_s", "end_s", "cause_name", "cause_code", "cause_source",
                 "total_rate", "network_group", "settled", "answer_time", "end_time", "call_duration",
                 "bill_duration", "billed_duration", "total_amount")
