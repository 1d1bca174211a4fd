"""SQLite storage for the sandbox: accounts, applications, endpoints, numbers and the number inventory.

One connection shared by the HTTP thread and the caller's thread, guarded by a lock: sqlite3 objects are not
safe for concurrent use, and the sandbox's load is small enough that serialising is not a bottleneck. Every
write runs in one `BEGIN IMMEDIATE` transaction so a failed request changes nothing and two processes sharing a
file database cannot interleave half-writes.

Ownership model: every application, endpoint and number has an `owner` (a main account MA… or one of its
subaccounts SA…). A main account sees its own resources and its subaccounts'; a subaccount sees only its own.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import secrets
import sqlite3
import string
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from plivo_mcp.sandbox import data

_ALNUM_UPPER = string.ascii_uppercase + string.digits
_TOKEN_CHARS = string.ascii_letters + string.digits

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS accounts (
    auth_id TEXT PRIMARY KEY, parent TEXT, auth_token TEXT NOT NULL, name TEXT NOT NULL,
    enabled INTEGER NOT NULL, created TEXT NOT NULL, modified TEXT,
    account_type TEXT, address TEXT, city TEXT, state TEXT, timezone TEXT, cash_credits TEXT,
    auto_recharge INTEGER, billing_mode TEXT);
CREATE TABLE IF NOT EXISTS applications (
    app_id TEXT PRIMARY KEY, owner TEXT NOT NULL, app_name TEXT NOT NULL, answer_url TEXT NOT NULL,
    answer_method TEXT NOT NULL, hangup_url TEXT NOT NULL, hangup_method TEXT NOT NULL,
    fallback_answer_url TEXT NOT NULL, fallback_method TEXT NOT NULL, message_url TEXT NOT NULL,
    message_method TEXT NOT NULL, default_number_app INTEGER NOT NULL, default_endpoint_app INTEGER NOT NULL,
    enabled INTEGER NOT NULL, public_uri INTEGER NOT NULL, log_incoming_messages INTEGER NOT NULL,
    created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS endpoints (
    endpoint_id TEXT PRIMARY KEY, owner TEXT NOT NULL, username TEXT NOT NULL UNIQUE, password TEXT NOT NULL,
    alias TEXT NOT NULL, app_id TEXT, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS numbers (
    number TEXT PRIMARY KEY, owner TEXT NOT NULL, alias TEXT, app_id TEXT, added_on TEXT NOT NULL,
    renewal_date TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inventory (number TEXT PRIMARY KEY, country_iso TEXT NOT NULL, data TEXT NOT NULL);
"""
# Columns added after the first release, added on open when missing: a new database gets them the same way as
# a file database made by an older sandbox, so there is one definition of each.
_ADDED_COLUMNS = (
    ("numbers", "cnam_lookup", "TEXT"),  # "enabled" / "disabled"; NULL where CNAM lookup does not apply
    ("numbers", "ha_enabled", "INTEGER NOT NULL DEFAULT 0"),
    ("numbers", "fallback_number", "TEXT"),  # the inventory number held for this one when ha_enabled
    ("inventory", "reserved_for", "TEXT"),  # a rented number this one is the high-availability fallback of
    # SIP registration, set through the sandbox's admin path; sip_expires is "YYYY-MM-DD HH:MM:SS" by the clock.
    ("endpoints", "sip_contact", "TEXT"),
    ("endpoints", "sip_user_agent", "TEXT"),
    ("endpoints", "sip_expires", "TEXT"),
)
SIP_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

APP_FIELDS = ("app_name", "answer_url", "answer_method", "hangup_url", "hangup_method", "fallback_answer_url",
              "fallback_method", "message_url", "message_method", "default_number_app", "default_endpoint_app",
              "enabled", "public_uri", "log_incoming_messages")



class PagedRows:
    """A list result, newest first, paged in SQL: len() counts and a slice reads only that window.

    Converting every row of a large list for each 20-item page made the sandbox, not the client, the
    bottleneck of bulk listing.
    """

    def __init__(self, store: Store, table: str, where: str, args: tuple[Any, ...]) -> None:
        self._store, self._table, self._where, self._args = store, table, where, args

    def __len__(self) -> int:
        row = self._store._one(f"SELECT COUNT(*) AS n FROM {self._table} WHERE {self._where}", self._args)
        return int(row["n"]) if row else 0

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        start, stop = window.start or 0, window.stop
        limit = -1 if stop is None else max(0, stop - start)
        return self._store._query(f"SELECT * FROM {self._table} WHERE {self._where} ORDER BY rowid DESC "
                                  "LIMIT ? OFFSET ?", (*self._args, limit, start))


class StoreError(Exception):
    """A write refused because its target vanished or clashes (mapped to 404/400 by the HTTP layer)."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


def cnam_lookup_applies(item: dict[str, Any]) -> bool:
    """CNAM lookup is a setting of US local and toll-free numbers; the API shows null for any other."""
    return bool(item["country_iso"] == "US" and item["type"] in ("fixed", "tollfree"))


Clock = Callable[[], dt.datetime]


def one_month_after(day: dt.date) -> dt.date:
    """The same day of the next month, or that month's last day when it is shorter (Jan 31 -> Feb 28 or 29):
    when a number bought on `day` renews."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _money(v: Any) -> Decimal:
    try:
        return Decimal(str(v or "0"))
    except InvalidOperation:
        return Decimal("0")


def new_account_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALNUM_UPPER) for _ in range(18))


def new_token() -> str:
    return "".join(secrets.choice(_TOKEN_CHARS) for _ in range(40))


def _digits(n: int) -> str:
    return secrets.choice("123456789") + "".join(secrets.choice(string.digits) for _ in range(n - 1))


class Store:
    """All sandbox state. Methods taking `owners` restrict to resources owned by those account ids."""

    def __init__(self, db: str = ":memory:", clock: Clock | None = None) -> None:
        """`clock` gives the sandbox's "now" (local time; default the system clock): dates it writes (created,
        added_on, renewal_date...) and SIP registration expiry follow it, so tests need not depend on the date."""
        self.clock: Clock = clock or dt.datetime.now
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(db, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._conn.row_factory = sqlite3.Row
        if db != ":memory:" and not db.startswith("file::memory:"):
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        # executescript commits implicitly, so the schema goes outside any explicit transaction.
        with self._lock:
            self._conn.executescript(_SCHEMA)
        with self._tx() as c:
            for table, column, decl in _ADDED_COLUMNS:
                if column not in {r["name"] for r in c.execute(f"PRAGMA table_info({table})")}:
                    c.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
            if c.execute("SELECT 1 FROM meta WHERE key='inventory_seeded'").fetchone() is None:
                for item in data.build_inventory():
                    c.execute("INSERT OR IGNORE INTO inventory(number, country_iso, data) VALUES (?,?,?)",
                              (item["number"], item["country_iso"], json.dumps(item)))
                c.execute("INSERT INTO meta(key, value) VALUES ('inventory_seeded', '1')")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _today(self) -> str:
        return self.clock().date().isoformat()

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, args).fetchall()]

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> dict[str, Any] | None:
        rows = self._query(sql, args)
        return rows[0] if rows else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table, ordered by key: equal snapshots mean nothing changed."""
        keys = {"accounts": "auth_id", "applications": "app_id", "endpoints": "endpoint_id",
                "numbers": "number", "inventory": "number", "meta": "key"}
        return {t: self._query(f"SELECT * FROM {t} ORDER BY {k}") for t, k in keys.items()}

    # ---- accounts -------------------------------------------------------------------------------------------

    def ensure_main_account(self, auth_id: str, auth_token: str, name: str = "Sandbox Demo") -> None:
        with self._tx() as c:
            row = c.execute("SELECT auth_id FROM accounts WHERE auth_id=?", (auth_id,)).fetchone()
            if row is None:
                c.execute(
                    "INSERT INTO accounts(auth_id, parent, auth_token, name, enabled, created, modified,"
                    " account_type, address, city, state, timezone, cash_credits, auto_recharge, billing_mode)"
                    " VALUES (?,NULL,?,?,1,?,NULL,'standard','','','','America/Los_Angeles','250.00000',0,"
                    "'prepaid')", (auth_id, auth_token, name, self._today()))
            else:
                # The configured token wins, so a file database survives a credential change.
                c.execute("UPDATE accounts SET auth_token=? WHERE auth_id=?", (auth_token, auth_id))

    def account(self, auth_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM accounts WHERE auth_id=?", (auth_id,))

    def authenticate(self, auth_id: str, auth_token: str) -> dict[str, Any] | None:
        row = self.account(auth_id)
        if row is None or not secrets.compare_digest(row["auth_token"].encode(), auth_token.encode()):
            return None
        if row["parent"] is not None:
            parent = self.account(row["parent"])
            if not row["enabled"] or parent is None:
                return None
        return row

    def subaccount_ids(self, parent: str) -> list[str]:
        return [r["auth_id"] for r in self._query("SELECT auth_id FROM accounts WHERE parent=? ORDER BY rowid",
                                                  (parent,))]

    def update_account(self, auth_id: str, fields: dict[str, Any]) -> None:
        self._update_row("accounts", {"auth_id": auth_id}, fields)

    # ---- subaccounts ----------------------------------------------------------------------------------------

    def create_subaccount(self, parent_auth_id: str, name: str, enabled: bool = True) -> tuple[str, str]:
        """Returns (auth_id, auth_token)."""
        auth_id, token = new_account_id("SA"), new_token()
        with self._tx() as c:
            c.execute(
                "INSERT INTO accounts(auth_id, parent, auth_token, name, enabled, created, modified)"
                " VALUES (?,?,?,?,?,?,NULL)", (auth_id, parent_auth_id, token, name, int(enabled), self._today()))
        return auth_id, token

    def list_subaccounts(self, parent: str) -> PagedRows:
        return PagedRows(self, "accounts", "parent=?", (parent,))

    def get_subaccount(self, parent: str, auth_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM accounts WHERE parent=? AND auth_id=?", (parent, auth_id))

    def update_subaccount(self, parent: str, auth_id: str, fields: dict[str, Any]) -> None:
        self._update_row("accounts", {"parent": parent, "auth_id": auth_id}, {**fields, "modified": self._today()})

    def delete_subaccount(self, parent: str, auth_id: str, cascade: bool) -> None:
        with self._tx() as c:
            if c.execute("SELECT 1 FROM accounts WHERE parent=? AND auth_id=?", (parent, auth_id)).fetchone() is None:
                raise StoreError(404, "not found")
            if cascade:
                # Main-account endpoints/numbers pointing at a deleted app lose their application.
                for table in ("endpoints", "numbers"):
                    c.execute(f"UPDATE {table} SET app_id=NULL WHERE app_id IN "
                              "(SELECT app_id FROM applications WHERE owner=?)", (auth_id,))
                c.execute("DELETE FROM applications WHERE owner=?", (auth_id,))
                c.execute("DELETE FROM endpoints WHERE owner=?", (auth_id,))
                for row in c.execute("SELECT number, data FROM numbers WHERE owner=?", (auth_id,)).fetchall():
                    self._return_to_inventory(c, row["number"], row["data"])
            else:
                # A moved default app would clash with the main account's own default, so moved apps drop it.
                c.execute("UPDATE applications SET default_number_app=0, default_endpoint_app=0 WHERE owner=?",
                          (auth_id,))
                for table in ("applications", "endpoints", "numbers"):
                    c.execute(f"UPDATE {table} SET owner=? WHERE owner=?", (parent, auth_id))
            c.execute("DELETE FROM accounts WHERE auth_id=?", (auth_id,))

    # ---- applications ---------------------------------------------------------------------------------------

    def create_application(self, owner_auth_id: str, app_name: str, answer_url: str, **fields: Any) -> str:
        """Returns the new app_id. `fields` are optional application columns (see APP_FIELDS)."""
        row: dict[str, Any] = {
            "answer_method": "POST", "hangup_url": answer_url, "hangup_method": "POST",
            "fallback_answer_url": "", "fallback_method": "POST", "message_url": "", "message_method": "POST",
            "default_number_app": False, "default_endpoint_app": False, "enabled": True, "public_uri": False,
            "log_incoming_messages": True,
        }
        row.update({k: v for k, v in fields.items() if v is not None and k in APP_FIELDS})
        row["app_name"], row["answer_url"] = app_name, answer_url
        with self._tx() as c:
            app_id = _digits(17)
            while c.execute("SELECT 1 FROM applications WHERE app_id=?", (app_id,)).fetchone():
                app_id = _digits(17)
            self._clear_defaults(c, owner_auth_id, row)
            cols = ["app_id", "owner", *APP_FIELDS, "created"]
            vals = [app_id, owner_auth_id, *(self._db(row[k]) for k in APP_FIELDS), self._today()]
            c.execute(f"INSERT INTO applications({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", vals)
        return app_id

    @staticmethod
    def _db(v: Any) -> Any:
        return int(v) if isinstance(v, bool) else v

    @staticmethod
    def _clear_defaults(c: sqlite3.Connection, owner: str, row: dict[str, Any]) -> None:
        for flag in ("default_number_app", "default_endpoint_app"):
            if row.get(flag):
                c.execute(f"UPDATE applications SET {flag}=0 WHERE owner=?", (owner,))

    def get_application(self, owners: list[str], app_id: str) -> dict[str, Any] | None:
        marks = ",".join("?" * len(owners))
        return self._one(f"SELECT * FROM applications WHERE app_id=? AND owner IN ({marks})", (app_id, *owners))

    def list_applications(self, owners: list[str], name_prefix: str | None = None) -> PagedRows:
        marks = ",".join("?" * len(owners))
        where, args = f"owner IN ({marks})", tuple(owners)
        if name_prefix:
            where, args = f"{where} AND substr(app_name, 1, ?) = ?", (*args, len(name_prefix), name_prefix)
        return PagedRows(self, "applications", where, args)

    def update_application(self, app_id: str, fields: dict[str, Any], owner: str | None = None) -> None:
        """`owner` moves the application to another account (subaccount reassignment)."""
        with self._tx() as c:
            cur = c.execute("SELECT owner FROM applications WHERE app_id=?", (app_id,)).fetchone()
            if cur is None:
                raise StoreError(404, "not found")
            new_owner = owner or cur["owner"]
            self._clear_defaults(c, new_owner, fields)
            sets = {k: self._db(v) for k, v in fields.items() if k in APP_FIELDS}
            sets["owner"] = new_owner
            self._set(c, "applications", {"app_id": app_id}, sets)

    def delete_application(self, app_id: str, cascade: bool, new_endpoint_app: str | None) -> None:
        with self._tx() as c:
            if c.execute("SELECT 1 FROM applications WHERE app_id=?", (app_id,)).fetchone() is None:
                raise StoreError(404, "not found")
            if cascade:
                c.execute("DELETE FROM endpoints WHERE app_id=?", (app_id,))
            else:
                c.execute("UPDATE endpoints SET app_id=? WHERE app_id=?", (new_endpoint_app, app_id))
            c.execute("UPDATE numbers SET app_id=NULL WHERE app_id=?", (app_id,))
            c.execute("DELETE FROM applications WHERE app_id=?", (app_id,))

    def _default_app(self, c: sqlite3.Connection, owner: str, flag: str) -> str | None:
        row = c.execute(f"SELECT app_id FROM applications WHERE owner=? AND {flag}=1 ORDER BY rowid DESC",
                        (owner,)).fetchone()
        return row["app_id"] if row else None

    # ---- endpoints ------------------------------------------------------------------------------------------

    def create_endpoint(self, owner_auth_id: str, username: str, password: str, alias: str,
                        app_id: str | None = None) -> str:
        """Returns the new endpoint_id; the stored username is `username` + 12 digits, as the API does."""
        with self._tx() as c:
            endpoint_id = _digits(14)
            while c.execute("SELECT 1 FROM endpoints WHERE endpoint_id=?", (endpoint_id,)).fetchone():
                endpoint_id = _digits(14)
            full = username + self.clock().strftime("%y%m%d%H%M%S")
            while c.execute("SELECT 1 FROM endpoints WHERE username=?", (full,)).fetchone():
                full = username + "".join(secrets.choice(string.digits) for _ in range(12))
            if app_id is None:
                app_id = self._default_app(c, owner_auth_id, "default_endpoint_app")
            c.execute("INSERT INTO endpoints(endpoint_id, owner, username, password, alias, app_id, created)"
                      " VALUES (?,?,?,?,?,?,?)", (endpoint_id, owner_auth_id, full, password, alias, app_id,
                                                  self._today()))
        return endpoint_id

    def get_endpoint(self, owners: list[str], endpoint_id: str) -> dict[str, Any] | None:
        marks = ",".join("?" * len(owners))
        return self._one(f"SELECT * FROM endpoints WHERE endpoint_id=? AND owner IN ({marks})",
                         (endpoint_id, *owners))

    def list_endpoints(self, owners: list[str]) -> PagedRows:
        marks = ",".join("?" * len(owners))
        return PagedRows(self, "endpoints", f"owner IN ({marks})", tuple(owners))

    def update_endpoint(self, endpoint_id: str, fields: dict[str, Any]) -> None:
        self._update_row("endpoints", {"endpoint_id": endpoint_id}, fields)

    def register_endpoint(self, endpoint_id: str, contact: str, user_agent: str, expires_s: int) -> None:
        expires = (self.clock() + dt.timedelta(seconds=expires_s)).strftime(SIP_TIME_FORMAT)
        self._update_row("endpoints", {"endpoint_id": endpoint_id},
                         {"sip_contact": contact, "sip_user_agent": user_agent, "sip_expires": expires})

    def unregister_endpoint(self, endpoint_id: str) -> None:
        self._update_row("endpoints", {"endpoint_id": endpoint_id},
                         {"sip_contact": None, "sip_user_agent": None, "sip_expires": None})

    def sip_registered(self, row: dict[str, Any]) -> bool:
        """Registered: a contact whose registration has not expired by the sandbox's clock."""
        return bool(row.get("sip_contact") and row.get("sip_expires")
                    and row["sip_expires"] > self.clock().strftime(SIP_TIME_FORMAT))

    def delete_endpoint(self, endpoint_id: str) -> None:
        with self._tx() as c:
            if c.execute("DELETE FROM endpoints WHERE endpoint_id=?", (endpoint_id,)).rowcount == 0:
                raise StoreError(404, "not found")

    # ---- numbers & inventory --------------------------------------------------------------------------------

    def search_inventory(self, country_iso: str) -> list[dict[str, Any]]:
        return [json.loads(r["data"]) for r in
                self._query("SELECT data FROM inventory WHERE country_iso=? AND reserved_for IS NULL ORDER BY number",
                            (country_iso,))]

    def inventory_item(self, number: str) -> dict[str, Any] | None:
        row = self._one("SELECT data FROM inventory WHERE number=? AND reserved_for IS NULL", (number,))
        return json.loads(row["data"]) if row else None

    def rent_number(self, owner_auth_id: str, number: str | None = None, country_iso: str = "US",
                    app_id: str | None = None, alias: str | None = None) -> str:
        """Moves a number from the inventory onto `owner_auth_id`; any free one of the country if not given.
        A seeding helper: nothing is charged (buying through the API is `buy_number`)."""
        with self._tx() as c:
            if number is None:
                row = c.execute("SELECT number, data FROM inventory WHERE country_iso=? AND reserved_for IS NULL"
                                " ORDER BY number LIMIT 1", (country_iso,)).fetchone()
            else:
                row = c.execute("SELECT number, data FROM inventory WHERE number=? AND reserved_for IS NULL",
                                (number,)).fetchone()
            if row is None:
                raise StoreError(404, "not found")
            self._rent(c, owner_auth_id, row["number"], row["data"], app_id, alias)
            return str(row["number"])

    def buy_number(self, owner_auth_id: str, number: str, payer: str, app_id: str | None = None,
                   cnam_lookup: str | None = None, ha_enable: bool = False) -> str | None:
        """Rents `number` as the API's buy does, in one transaction: the setup fee and the first month's rental
        come off `payer`'s cash_credits (the main account: subaccounts share its balance), or nothing happens.
        With `ha_enable` a second number of the same country and type (same area code first) is held for it as
        its fallback, at no charge; returns that number."""
        with self._tx() as c:
            row = c.execute("SELECT number, data FROM inventory WHERE number=? AND reserved_for IS NULL",
                            (number,)).fetchone()
            if row is None:
                raise StoreError(404, "not found: number is not available")
            item = json.loads(row["data"])
            fallback = self._pick_fallback(c, item) if ha_enable else None
            if ha_enable and fallback is None:
                raise StoreError(400, f"ha_enable: no fallback number is available for {number}")
            self._charge(c, payer, _money(item["setup_rate"]), _money(item["monthly_rental_rate"]))
            self._rent(c, owner_auth_id, number, row["data"], app_id, None, cnam_lookup, fallback)
            return fallback

    @staticmethod
    def _charge(c: sqlite3.Connection, payer: str, setup: Decimal, rental: Decimal) -> None:
        account = c.execute("SELECT cash_credits FROM accounts WHERE auth_id=?", (payer,)).fetchone()
        if account is None:
            raise StoreError(404, "not found")
        credits, cost = _money(account["cash_credits"]), setup + rental
        if credits < cost:
            raise StoreError(400, f"insufficient cash credits: this number costs {cost:.5f} (setup fee {setup:.5f}"
                                  f" + first month's rental {rental:.5f}) and cash_credits is {credits:.5f}")
        c.execute("UPDATE accounts SET cash_credits=? WHERE auth_id=?", (f"{credits - cost:.5f}", payer))

    @staticmethod
    def _pick_fallback(c: sqlite3.Connection, item: dict[str, Any]) -> str | None:
        candidates = [json.loads(r["data"]) for r in c.execute(
            "SELECT data FROM inventory WHERE country_iso=? AND number<>? AND reserved_for IS NULL ORDER BY number",
            (item["country_iso"], item["number"]))]
        same_type = [i for i in candidates if i["type"] == item["type"]]
        same_type.sort(key=lambda i: (i["prefix"] != item["prefix"], i["rate_center"] != item["rate_center"]))
        return same_type[0]["number"] if same_type else None

    def _rent(self, c: sqlite3.Connection, owner: str, number: str, raw: str, app_id: str | None,
              alias: str | None, cnam_lookup: str | None = None, fallback: str | None = None) -> None:
        item = json.loads(raw)
        if app_id is None:
            app_id = self._default_app(c, owner, "default_number_app")
        if cnam_lookup is None and cnam_lookup_applies(item):
            cnam_lookup = "disabled"
        today = self.clock().date()
        renewal = one_month_after(today)
        c.execute("INSERT INTO numbers(number, owner, alias, app_id, added_on, renewal_date, data, cnam_lookup,"
                  " ha_enabled, fallback_number) VALUES (?,?,?,?,?,?,?,?,?,?)",
                  (number, owner, alias, app_id, today.isoformat(), renewal.isoformat(), raw, cnam_lookup,
                   int(fallback is not None), fallback))
        c.execute("DELETE FROM inventory WHERE number=?", (number,))
        if fallback is not None:
            c.execute("UPDATE inventory SET reserved_for=? WHERE number=?", (number, fallback))

    def get_number(self, owners: list[str], number: str) -> dict[str, Any] | None:
        marks = ",".join("?" * len(owners))
        row = self._one(f"SELECT * FROM numbers WHERE number=? AND owner IN ({marks})", (number, *owners))
        return self._number_row(row) if row else None

    @staticmethod
    def _number_row(row: dict[str, Any]) -> dict[str, Any]:
        row = dict(row)
        row["data"] = json.loads(row["data"])
        return row

    def list_numbers(self, owners: list[str]) -> list[dict[str, Any]]:
        marks = ",".join("?" * len(owners))
        return [self._number_row(r) for r in
                self._query(f"SELECT * FROM numbers WHERE owner IN ({marks}) ORDER BY rowid DESC", tuple(owners))]

    def update_number(self, number: str, fields: dict[str, Any]) -> None:
        self._update_row("numbers", {"number": number}, fields)

    def _update_row(self, table: str, where: dict[str, Any], fields: dict[str, Any]) -> None:
        """Set `fields` on the one row `where` picks, or 404. Column names come from the handlers, never from
        a caller."""
        if not fields:
            return
        with self._tx() as c:
            if self._set(c, table, where, fields) == 0:
                raise StoreError(404, "not found")

    @staticmethod
    def _set(c: sqlite3.Connection, table: str, where: dict[str, Any], fields: dict[str, Any]) -> int:
        sets = ", ".join(f"{k}=?" for k in fields)
        match = " AND ".join(f"{k}=?" for k in where)
        return c.execute(f"UPDATE {table} SET {sets} WHERE {match}", (*fields.values(), *where.values())).rowcount

    def unrent_number(self, number: str) -> None:
        with self._tx() as c:
            row = c.execute("SELECT number, data FROM numbers WHERE number=?", (number,)).fetchone()
            if row is None:
                raise StoreError(404, "not found")
            self._return_to_inventory(c, row["number"], row["data"])

    @staticmethod
    def _return_to_inventory(c: sqlite3.Connection, number: str, raw: str) -> None:
        c.execute("DELETE FROM numbers WHERE number=?", (number,))
        c.execute("UPDATE inventory SET reserved_for=NULL WHERE reserved_for=?", (number,))
        c.execute("INSERT OR REPLACE INTO inventory(number, country_iso, data) VALUES (?,?,?)",
                  (number, json.loads(raw)["country_iso"], raw))
