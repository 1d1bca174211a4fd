"""Message: send (`POST Message/`), get, list with the documented filters and windows, a message's media; the
sandbox-only ways to receive an inbound message and to seed a few weeks of past traffic.

Lifecycle without background work: a message keeps the time it was queued (`t`, epoch seconds) and the outcome
its destination decides; its state is read off the sandbox clock whenever it is looked at (see clock.py):
queued for the first second, then sent (or failed), then after three seconds its outcome. The outcome is
deterministic: the magic destinations below fail or go undelivered on purpose (as Twilio's test numbers do);
every other destination is delivered.

Accounting as the API does it: units from the encoding (GSM-7 160 characters, 153 per part when split; UCS-2
70, 67 per part), the rate per unit from the sandbox's pricing for the destination country, total_amount =
units x rate, taken off the main account's cash_credits (subaccounts share it) when the message is queued.

Sandbox assumptions, marked as such: MDRs carry the body as `text` (null when `log` is false, as for content
the API does not keep); times are shown in UTC; WhatsApp is priced at a flat rate per message.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import sqlite3
import uuid
from decimal import Decimal
from typing import Any

from plivo_mcp.sandbox.accounts import money
from plivo_mcp.sandbox.data import PRICING
from plivo_mcp.sandbox.numbers import Numbers
from plivo_mcp.sandbox.router import (
    ApiError,
    Ctx,
    Resource,
    Result,
    found,
    opt_bool,
    opt_int,
    opt_str,
    opt_url,
    page,
    req_str,
)
from plivo_mcp.sandbox.storage import PagedRows, Row, Storage, Table, owned_by
from plivo_mcp.sms import country_of, too_long, units_of

MESSAGES = Table(
    name="messages", key="message_uuid", owned=True,
    # t: when it was queued (epoch seconds); outcome: its final state; media: JSON list of media objects.
    create="""CREATE TABLE IF NOT EXISTS messages (
        message_uuid TEXT PRIMARY KEY, owner TEXT NOT NULL, direction TEXT NOT NULL, type TEXT NOT NULL,
        from_number TEXT NOT NULL, to_number TEXT NOT NULL, text TEXT, log INTEGER NOT NULL, units INTEGER NOT NULL,
        total_rate TEXT NOT NULL, total_amount TEXT NOT NULL, t REAL NOT NULL, outcome TEXT NOT NULL,
        error_code TEXT, country_iso TEXT, powerpack_id TEXT, media TEXT NOT NULL DEFAULT '[]')""",
)

QUEUED_S = 1.0  # queued -> sent (or failed)
SENT_S = 3.0  # sent -> delivered / undelivered
HISTORY_DAYS = 90  # lists reach back this far; an older bound is refused
DEFAULT_WINDOW_S = 24 * 3600  # no message_time filter: the last 24 hours
WHATSAPP_RATE = Decimal("0.00500")  # (sandbox) flat, per message
MMS_RATE = Decimal("0.01800")  # per message, US and Canada only

# Plivo's SMS error codes (the common ones) and what they mean.
ERROR_CODES: dict[str, str] = {
    "000": "Delivered", "10": "Invalid message", "20": "Network error", "30": "Spam detected",
    "40": "Invalid source number", "50": "Invalid destination number", "60": "Loop detected",
    "70": "Destination permanently unavailable", "80": "Destination temporarily unavailable",
    "90": "No route available", "100": "Prohibited by carrier", "110": "Message too long",
    "200": "Source number blocked by STOP from destination", "300": "Failed to dispatch message",
    "420": "Message expired", "900": "Insufficient credit", "1000": "Unknown error",
}
# Magic destinations: the outcome a message to each of them has, on purpose (+1 500 555 00NN).
MAGIC_DESTINATIONS: dict[str, tuple[str, str]] = {
    "15005550001": ("failed", "50"), "15005550002": ("undelivered", "70"),
    "15005550003": ("undelivered", "80"), "15005550004": ("failed", "200"),
    "15005550005": ("failed", "90"), "15005550006": ("failed", "30"),
}

MAX_WHATSAPP_CHARS = 4096


def sms_rate(iso: str) -> Decimal:
    return money(PRICING[iso]["message"]["outbound"]["rate"])


def masked(number: str) -> str:
    """A number with its last three digits hidden, as the API shows it for messages sent with log=false."""
    return number[:-3] + "XXX"


def _utc(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


def _utc_precise(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00:00")


_FILTER_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")


def parse_filter_time(name: str, value: str) -> float:
    """`YYYY-MM-DD HH:MM[:ss[.uuuuuu]]`, UTC, as epoch seconds."""
    value = value.strip()
    if not _FILTER_TIME.match(value):
        raise ApiError(400, f"{name} must be YYYY-MM-DD HH:MM[:ss[.uuuuuu]] (UTC)")
    fmt = "%Y-%m-%d %H:%M" + (":%S" if value.count(":") == 2 else "") + ("." + "%f" if "." in value else "")
    try:
        return dt.datetime.strptime(value, fmt).replace(tzinfo=dt.UTC).timestamp()
    except ValueError:
        raise ApiError(400, f"{name} is not a valid date and time") from None


def state_sql(now: float) -> str:
    """The state of a messages row at `now`, in SQL (the same rule as `state_at`)."""
    return (f"(CASE WHEN direction='inbound' THEN 'received' WHEN {now!r} - t < {QUEUED_S} THEN 'queued'"
            f" WHEN outcome='failed' THEN 'failed' WHEN {now!r} - t < {SENT_S} THEN 'sent' ELSE outcome END)")


def state_at(row: Row, now: float) -> str:
    if row["direction"] == "inbound":
        return "received"
    age = now - row["t"]
    if age < QUEUED_S:
        return "queued"
    if row["outcome"] == "failed":
        return "failed"
    return "sent" if age < SENT_S else str(row["outcome"])


# ---- storage --------------------------------------------------------------------------------------------------

class Messages(Storage):
    tables = (MESSAGES,)

    def now(self) -> float:
        return self.db.clock().timestamp()

    def insert(self, c: sqlite3.Connection, **row: Any) -> None:
        cols = ", ".join(row)
        c.execute(f"INSERT INTO messages({cols}) VALUES ({','.join('?' * len(row))})", tuple(row.values()))

    def get(self, owners: list[str], message_uuid: str) -> Row | None:
        where, args = owned_by(owners)
        return self.db.one(f"SELECT * FROM messages WHERE message_uuid=? AND {where}", (message_uuid, *args))

    def find(self, owners: list[str], conditions: list[tuple[str, tuple[Any, ...]]]) -> PagedRows:
        where, args = owned_by(owners)
        sql = " AND ".join([where, *(f"({test})" for test, _ in conditions)])
        return PagedRows(self.db, "messages", sql, (*args, *(a for _, more in conditions for a in more)))

    def seed_history(self, c: sqlite3.Connection, main_id: str) -> None:
        """The sandbox's sample history (`Sandbox(seed_history=True)`): three weeks of messages over the main
        account and its subaccounts, beside the calls' history."""
        subs = [row[0] for row in c.execute("SELECT auth_id FROM accounts WHERE parent=? ORDER BY auth_id",
                                            (main_id,))]
        self._write_history(c, [main_id, *subs], days=21, count=3000, seed=15)

    def write_history(self, owners: list[str], days: int = 21, count: int = 3000, seed: int = 15) -> int:
        """`count` past messages over the last `days`, deterministic for a given clock and `seed`: outbound and
        inbound, every country the sandbox prices, each outcome, spread over `owners`. Returns the count."""
        with self.db.tx() as c:
            self._write_history(c, owners, days, count, seed)
        return count

    def _write_history(self, c: sqlite3.Connection, owners: list[str], days: int, count: int, seed: int) -> None:
        rng = random.Random(seed)
        now = self.now()
        start = now - days * 86400
        senders = ["14155550100", "14155550101", "12125550142", "442071838750", "61280000000"]
        dests = {"US": "1415555", "CA": "1416555", "GB": "447700900", "IN": "9198450", "AU": "614123"}
        lengths = {"US": 11, "CA": 11, "GB": 12, "IN": 12, "AU": 11}
        texts = ["Your code is {n}", "Reminder: appointment at {n}:00", "Order {n} has shipped",
                 "Ваш код {n}", "Sale ends tonight! Reply STOP to opt out ({n})", "Thanks, see you then"]
        times = sorted(start + rng.random() * (days * 86400 - 60) for _ in range(count))
        for t in times:
            iso = rng.choices(list(dests), weights=[50, 10, 15, 20, 5])[0]
            to = dests[iso] + "".join(rng.choice("0123456789") for _ in range(lengths[iso] - len(dests[iso])))
            text = rng.choice(texts).format(n=rng.randint(1000, 9999))
            owner = rng.choice(owners)
            inbound = rng.random() < 0.2
            roll = rng.random()
            outcome, code = (("delivered", "000") if roll < 0.86 else ("undelivered", rng.choice(["70", "80"]))
                             if roll < 0.94 else ("failed", rng.choice(["30", "50", "90", "200", "300"])))
            units = units_of(text)
            rate = Decimal("0.00000") if inbound else sms_rate(iso)
            self.insert(c, message_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)), owner=owner,
                        direction="inbound" if inbound else "outbound", type="sms",
                        from_number=to if inbound else rng.choice(senders),
                        to_number=rng.choice(senders) if inbound else to, text=text, log=1, units=units,
                        total_rate=f"{rate:.5f}", total_amount=f"{rate * units:.5f}", t=t,
                        outcome="received" if inbound else outcome, error_code=None if inbound else code,
                        country_iso=iso, powerpack_id=None, media="[]")


# ---- rendering ------------------------------------------------------------------------------------------------

def render(ctx: Ctx, row: Row, now: float) -> dict[str, Any]:
    state = state_at(row, now)
    final = state in ("delivered", "undelivered", "failed", "received")
    sent_t = row["t"] + QUEUED_S
    updated_t = row["t"] + (0 if state == "queued" else QUEUED_S if state in ("sent", "failed") else SENT_S)
    code = row["error_code"] if final and row["direction"] == "outbound" else None
    logged = bool(row["log"])
    to_number = row["to_number"] if logged or row["direction"] == "inbound" else masked(row["to_number"])
    from_number = row["from_number"] if logged or row["direction"] == "outbound" else masked(row["from_number"])
    return {
        "error_code": code, "error_message": ERROR_CODES.get(code, "") if code and code != "000" else "",
        "from_number": from_number, "message_direction": row["direction"], "message_state": state,
        "message_time": _utc(row["t"]), "message_type": row["type"], "message_uuid": row["message_uuid"],
        "resource_uri": f"/v1/Account/{ctx.caller}/Message/{row['message_uuid']}/", "to_number": to_number,
        "total_amount": row["total_amount"], "total_rate": row["total_rate"], "units": row["units"],
        "powerpack_id": row["powerpack_id"], "requester_ip": "127.0.0.1",
        "is_domestic": row["country_iso"] == "US", "replaced_sender": "", "tendlc_campaign_id": None,
        "tendlc_registration_status": None, "destination_country_iso2": row["country_iso"],
        "destination_network": None, "carrier_fees": "0.00000", "carrier_fees_rate": "0.00000",
        "dlt_entity_id": None, "dlt_template_id": None, "dlt_template_category": None, "conversation_id": None,
        "conversation_origin": None, "conversation_expiration_timestamp": None, "log": logged,
        "message_sent_time": _utc_precise(sent_t) if state not in ("queued", "failed", "received") else None,
        "message_updated_time": _utc_precise(updated_t),
        "text": row["text"] if logged else None,
        "sub_account": ctx.account_uri(row["owner"]),
    }


# ---- send -----------------------------------------------------------------------------------------------------

_SANITISE = re.compile(r"[/\-.+() ]")


def _numbers(raw: str, name: str) -> list[str]:
    if raw.lstrip().startswith("["):
        raise ApiError(400, f"{name} must be one string of numbers joined with '<', not a list")
    out: list[str] = []
    for part in raw.split("<"):
        number = _SANITISE.sub("", part)
        if not re.fullmatch(r"[1-9][0-9]{6,14}", number):
            raise ApiError(400, f"{name}: {part.strip()!r} is not a phone number (E.164 digits)")
        if number not in out:
            out.append(number)
    return out


def _list_param(params: dict[str, Any], name: str) -> list[str]:
    v = params.get(name)
    if v is None or v == "" or v == []:
        return []
    if isinstance(v, str):
        items = [s.strip() for s in v.split(",") if s.strip()]
    elif isinstance(v, list) and all(isinstance(s, str) for s in v):
        items = v
    else:
        raise ApiError(400, f"{name} must be a list of strings")
    return items


def _sender(ctx: Ctx, numbers: Numbers) -> tuple[str, str | None]:
    """(from_number, powerpack_id): src or powerpack_uuid, exactly one."""
    src, powerpack = opt_str(ctx.params, "src"), opt_str(ctx.params, "powerpack_uuid")
    src, powerpack = src or None, powerpack or None
    if src and powerpack:
        raise ApiError(400, "give either src or powerpack_uuid, not both")
    if powerpack:
        rented = [n for n in numbers.all_of([ctx.caller]) if n["data"].get("sms_enabled")]
        if not rented:
            raise ApiError(400, "powerpack_uuid: the powerpack has no SMS-enabled number of this account")
        return rented[-1]["number"], powerpack
    if not src:
        raise ApiError(400, "src parameter is missing (or give powerpack_uuid)")
    sender = re.sub(r"[^A-Za-z0-9]", "", src)
    if sender.isdigit():
        if numbers.get([ctx.caller] if ctx.is_sub else ctx.owners, sender) is None:
            raise ApiError(400, f"src: {sender} is not a number this account rents")
        return sender, None
    if not 1 <= len(sender) <= 11 or not any(ch.isalpha() for ch in sender):
        raise ApiError(400, "src must be a rented number or an alphanumeric sender ID of 1 to 11 characters")
    return sender, None


def send(ctx: Ctx) -> Result:
    p = ctx.params
    numbers = ctx.db.storage(Numbers)
    dsts = _numbers(req_str(p, "dst"), "dst")
    mtype = (opt_str(p, "type") or "sms").lower()
    if mtype not in ("sms", "mms", "whatsapp"):
        raise ApiError(400, "type must be sms, mms or whatsapp")
    if mtype == "whatsapp" and opt_str(p, "powerpack_uuid"):
        raise ApiError(400, "src is required for whatsapp messages (powerpack_uuid cannot send them)")
    sender, powerpack = _sender(ctx, numbers)
    if sender in dsts:
        raise ApiError(400, "dst: the destination number cannot be the same as the source number")
    text = opt_str(p, "text") or ""
    media_urls = _list_param(p, "media_urls")
    media_ids = _list_param(p, "media_ids")
    for url in media_urls:
        opt_url({"media_urls": url}, "media_urls", allow_empty=False)
    if mtype == "sms":
        if not text:
            raise ApiError(400, "text parameter is missing (required for sms)")
        if media_urls or media_ids:
            raise ApiError(400, "media_urls and media_ids are for type mms")
        why = too_long(text)
        if why:
            raise ApiError(400, f"text is too long: {why}")
    elif mtype == "mms":
        if not text and not media_urls and not media_ids:
            raise ApiError(400, "an mms needs text, media_urls or media_ids")
        if len(media_urls) + len(media_ids) > 10:
            raise ApiError(400, "media_urls: at most 10 media per mms")
    elif len(text) > MAX_WHATSAPP_CHARS:
        raise ApiError(400, f"text is too long: at most {MAX_WHATSAPP_CHARS} characters for whatsapp")
    elif not text and p.get("template") is None and p.get("interactive") is None and p.get("location") is None:
        raise ApiError(400, "a whatsapp message needs text, template, interactive or location")
    log = opt_bool(p, "log")
    log = True if log is None else log
    opt_bool(p, "trackable")
    opt_url(p, "url")
    expiry = opt_int(p, "message_expiry")
    if expiry is not None and expiry <= 0:
        raise ApiError(400, "message_expiry must be a positive number of seconds")

    plan: list[tuple[str, str, int, Decimal]] = []
    for dst in dsts:
        iso = country_of(dst)
        if iso is None:
            raise ApiError(400, f"dst: the sandbox has no route or pricing for {dst}")
        if mtype == "mms" and iso not in ("US", "CA"):
            raise ApiError(400, f"dst: mms goes to US and Canadian numbers only ({dst} is {iso})")
        if not sender.isdigit() and iso in ("US", "CA"):
            raise ApiError(400, f"src: alphanumeric sender IDs cannot send to US or Canadian numbers ({dst})")
        if mtype == "sms":
            units, rate = units_of(text), sms_rate(iso)
        else:
            units, rate = 1, MMS_RATE if mtype == "mms" else WHATSAPP_RATE
        plan.append((dst, iso, units, rate))
    cost = sum((rate * units for _, _, units, rate in plan), Decimal(0))

    uuids: list[str] = []
    now = ctx.db.storage(Messages).now()
    with ctx.db.tx() as c:
        account = c.execute("SELECT cash_credits FROM accounts WHERE auth_id=?", (ctx.main_id,)).fetchone()
        credits = money(account["cash_credits"] if account else None)
        if credits < cost:
            raise ApiError(400, f"insufficient cash credits: the message(s) cost {cost:.5f} and cash_credits is "
                                f"{credits:.5f}")
        c.execute("UPDATE accounts SET cash_credits=? WHERE auth_id=?", (f"{credits - cost:.5f}", ctx.main_id))
        for dst, iso, units, rate in plan:
            message_uuid = str(uuid.uuid4())
            outcome, code = MAGIC_DESTINATIONS.get(dst, ("delivered", "000"))
            media = [_media(ctx.caller, message_uuid, u) for u in media_urls + media_ids]
            ctx.db.storage(Messages).insert(
                c, message_uuid=message_uuid, owner=ctx.caller, direction="outbound", type=mtype,
                from_number=sender, to_number=dst, text=text if log else None, log=int(log), units=units,
                total_rate=f"{rate:.5f}", total_amount=f"{rate * units:.5f}", t=now, outcome=outcome,
                error_code=code, country_iso=iso, powerpack_id=powerpack, media=json.dumps(media))
            uuids.append(message_uuid)
    return 202, {"api_id": ctx.api_id, "message": "message(s) queued", "message_uuid": uuids}


def _media(auth_id: str, message_uuid: str, source: str) -> dict[str, Any]:
    """A media object of a sent mms (its id derived from the message and the source, so stable)."""
    media_id = str(uuid.uuid5(uuid.NAMESPACE_URL, source + message_uuid))
    return {"content_type": _content_type(source), "media_id": media_id,
            "media_url": f"https://media.plivo.com/Account/{auth_id}/Message/{message_uuid}/Media/{media_id}",
            "message_uuid": message_uuid, "size": 1000 + len(source) * 37}


def _content_type(url: str) -> str:
    ext = url.rsplit(".", 1)[-1].lower() if "." in url.rsplit("/", 1)[-1] else ""
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
            "pdf": "application/pdf", "mp4": "video/mp4", "mp3": "audio/mpeg"}.get(ext, "application/octet-stream")


# ---- read -----------------------------------------------------------------------------------------------------

def get(ctx: Ctx, message_uuid: str) -> Result:
    storage = ctx.db.storage(Messages)
    row = found(storage.get(ctx.owners, message_uuid))
    return 200, {"api_id": ctx.api_id, **render(ctx, row, storage.now())}


_TIME_FILTERS = {"message_time": "=", "message_time__gt": ">", "message_time__gte": ">=",
                 "message_time__lt": "<", "message_time__lte": "<="}
_EQUAL_FILTERS = {"message_direction": "direction", "message_type": "type", "error_code": "error_code",
                  "powerpack_id": "powerpack_id", "destination_country_iso2": "country_iso"}
LIST_FILTERS = ("subaccount", "message_direction", "message_state", "message_type", "error_code", "powerpack_id",
                "from_number", "to_number", "destination_country_iso2", *_TIME_FILTERS)


def list_messages(ctx: Ctx) -> Result:
    storage = ctx.db.storage(Messages)
    now = storage.now()
    p = ctx.params
    conditions: list[tuple[str, tuple[Any, ...]]] = []
    bounded = False
    for name, op in _TIME_FILTERS.items():
        raw = opt_str(p, name)
        if not raw:
            continue
        t = parse_filter_time(name, raw)
        if t < now - HISTORY_DAYS * 86400:
            raise ApiError(400, f"{name}: messages can be listed for the last {HISTORY_DAYS} days only")
        bounded = True
        if op == "=":
            conditions.append(("t >= ? AND t < ?", (t, t + 1)))
        else:
            conditions.append((f"t {op} ?", (t,)))
    if not bounded:
        conditions.append(("t >= ?", (now - DEFAULT_WINDOW_S,)))
    direction = opt_str(p, "message_direction")
    if direction and direction not in ("inbound", "outbound"):
        raise ApiError(400, "message_direction must be inbound or outbound")
    mtype = opt_str(p, "message_type")
    if mtype and mtype not in ("sms", "mms", "whatsapp"):
        raise ApiError(400, "message_type must be sms, mms or whatsapp")
    for name, column in _EQUAL_FILTERS.items():
        value = opt_str(p, name)
        if value:
            conditions.append((f"{column} = ?", (value,)))
    state = opt_str(p, "message_state")
    if state:
        states = ("queued", "sent", "failed", "delivered", "undelivered", "rejected", "read", "received")
        if state not in states:
            raise ApiError(400, f"message_state must be one of {', '.join(states)}")
        conditions.append((f"{state_sql(now)} = ?", (state,)))
    if opt_str(p, "error_code"):
        # An error code is only shown once the message reached its final state.
        conditions.append((f"{state_sql(now)} IN ('delivered','undelivered','failed')", ()))
    for name in ("from_number", "to_number"):
        value = opt_str(p, name)
        if value:
            conditions.append((f"{name} = ? AND log = 1", (re.sub(r"[^0-9]", "", value),)))
    rows = storage.find(ctx.owner_filter(), conditions)
    return page(ctx, "Message", rows, lambda r: render(ctx, r, now), LIST_FILTERS)


def list_media(ctx: Ctx, message_uuid: str) -> Result:
    row = found(ctx.db.storage(Messages).get(ctx.owners, message_uuid))
    return 200, {"api_id": ctx.api_id, "message_uuid": message_uuid, "objects": json.loads(row["media"])}


# ---- sandbox admin: receive a message, seed history -----------------------------------------------------------

def receive(ctx: Ctx, number: str) -> Result:
    """POST /sandbox/Message/{number}/receive (from, text[, type, log]): a message arrives on a rented number
    of the caller's and is stored as an inbound MDR, as if someone had texted it."""
    row = ctx.db.storage(Numbers).get(ctx.owners, number)
    if row is None:
        raise ApiError(404, f"not found: {number} is not a number this account rents")
    sender = _numbers(req_str(ctx.params, "from"), "from")[0]
    text = opt_str(ctx.params, "text") or ""
    log = opt_bool(ctx.params, "log")
    log = True if log is None else log
    storage = ctx.db.storage(Messages)
    message_uuid = str(uuid.uuid4())
    with ctx.db.tx() as c:
        storage.insert(c, message_uuid=message_uuid, owner=row["owner"], direction="inbound", type="sms",
                       from_number=sender, to_number=number, text=text if log else None, log=int(log),
                       units=units_of(text) if text else 1, total_rate="0.00000", total_amount="0.00000",
                       t=storage.now(), outcome="received", error_code=None, country_iso=country_of(number),
                       powerpack_id=None, media="[]")
    return 201, {"api_id": ctx.api_id, "message": "message received", "message_uuid": [message_uuid]}


def seed_history(ctx: Ctx, days: str) -> Result:
    """POST /sandbox/Message/{days}/seed (count): past traffic over the last `days` days, spread over the
    caller and its subaccounts (main account only)."""
    if ctx.is_sub:
        raise ApiError(403, "only the main account can seed message history")
    if not days.isdigit() or not 1 <= int(days) <= HISTORY_DAYS:
        raise ApiError(400, f"days must be 1 to {HISTORY_DAYS}")
    count = opt_int(ctx.params, "count")
    count = 3000 if count is None else count
    if not 1 <= count <= 20000:
        raise ApiError(400, "count must be 1 to 20000")
    n = ctx.db.storage(Messages).write_history(ctx.owners, int(days), count)
    return 201, {"api_id": ctx.api_id, "message": "history seeded", "count": n}


RESOURCE = Resource(
    paths={"Message/": {"POST": send, "GET": list_messages}, "Message/{id}/": {"GET": get},
           "Message/{id}/Media/": {"GET": list_media}},
    admin={"Message/{id}/receive": receive, "Message/{id}/seed": seed_history},
    storage=Messages,
)
