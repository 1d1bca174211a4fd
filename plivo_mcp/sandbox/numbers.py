"""Number (numbers rented on the account): list with filters, get, update, unrent; and the storage of the numbers
for sale (the inventory, which PhoneNumber searches and buys from)."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from plivo_mcp.sandbox import data
from plivo_mcp.sandbox.accounts import Accounts, money
from plivo_mcp.sandbox.applications import Applications, RefersToApplications, app_ref
from plivo_mcp.sandbox.data import COUNTRIES
from plivo_mcp.sandbox.router import ApiError, Ctx, Resource, Result, changed, deleted, found, opt_str, page
from plivo_mcp.sandbox.storage import PagedRows, Row, StoreError, Table, owned_by

# ---- storage --------------------------------------------------------------------------------------------------

NUMBERS = Table(
    name="numbers", key="number", owned=True,
    # `data`: the number's inventory item (JSON), as it was on sale.
    create="""CREATE TABLE IF NOT EXISTS numbers (
        number TEXT PRIMARY KEY, owner TEXT NOT NULL, alias TEXT, app_id TEXT, added_on TEXT NOT NULL,
        renewal_date TEXT NOT NULL, data TEXT NOT NULL)""",
    added_columns=(
        ("cnam_lookup", "TEXT"),  # "enabled" / "disabled"; NULL where CNAM lookup does not apply
        ("ha_enabled", "INTEGER NOT NULL DEFAULT 0"),
        ("fallback_number", "TEXT"),  # the inventory number held for this one when ha_enabled
    ),
)
INVENTORY = Table(
    name="inventory", key="number",
    create="""CREATE TABLE IF NOT EXISTS inventory (
        number TEXT PRIMARY KEY, country_iso TEXT NOT NULL, data TEXT NOT NULL)""",
    added_columns=(("reserved_for", "TEXT"),),  # a rented number this one is the high-availability fallback of
)


# A condition on numbers rows, in SQL, with its arguments.
Condition = tuple[str, tuple[Any, ...]]
NO_NUMBER: Condition = ("0", ())


def _data(key: str) -> str:
    """SQL for a field of a numbers row's inventory data (`key` comes from code, never from a caller)."""
    return f"json_extract(data, '$.{key}')"


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


@dataclass(frozen=True)
class Scope:
    """The numbers a property of the Number applies to (the API shows null on the others), by inventory data:
    country, type and, for messaging properties, SMS capability. `applies` and `sql` are the same test, on one
    number's data and on the numbers table."""

    countries: tuple[str, ...]
    types: tuple[str, ...]
    sms_only: bool = False

    def applies(self, item: dict[str, Any]) -> bool:
        return bool(item["country_iso"] in self.countries and item["type"] in self.types
                    and (not self.sms_only or item["sms_enabled"]))

    def sql(self) -> Condition:
        test = (f"{_data('country_iso')} IN ({_marks(self.countries)})"
                f" AND {_data('type')} IN ({_marks(self.types)})")
        if self.sms_only:
            test += f" AND {_data('sms_enabled')}"
        return test, (*self.countries, *self.types)


CNAM_LOOKUP = Scope(countries=("US",), types=("fixed", "tollfree"))
TENDLC = Scope(countries=("US",), types=("fixed",), sms_only=True)
TOLL_FREE_VERIFICATION = Scope(countries=("US", "CA"), types=("tollfree",), sms_only=True)


def one_month_after(day: dt.date) -> dt.date:
    """The same day of the next month, or that month's last day when it is shorter (Jan 31 -> Feb 28 or 29):
    when a number bought on `day` renews."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _number_row(row: Row) -> Row:
    """A numbers row with its inventory data (JSON text in the table) decoded."""
    row = dict(row)
    row["data"] = json.loads(row["data"])
    return row


class Numbers(RefersToApplications):
    """Numbers rented by an account, and the inventory they come from and go back to."""

    tables = (NUMBERS, INVENTORY)

    def seed(self, c: sqlite3.Connection) -> None:
        if c.execute("SELECT 1 FROM meta WHERE key='inventory_seeded'").fetchone() is None:
            for item in data.build_inventory():
                c.execute("INSERT OR IGNORE INTO inventory(number, country_iso, data) VALUES (?,?,?)",
                          (item["number"], item["country_iso"], json.dumps(item)))
            c.execute("INSERT INTO meta(key, value) VALUES ('inventory_seeded', '1')")

    def search_inventory(self, country_iso: str) -> list[dict[str, Any]]:
        return [json.loads(r["data"]) for r in
                self.db.query("SELECT data FROM inventory WHERE country_iso=? AND reserved_for IS NULL"
                              " ORDER BY number", (country_iso,))]

    def inventory_item(self, number: str) -> dict[str, Any] | None:
        row = self.db.one("SELECT data FROM inventory WHERE number=? AND reserved_for IS NULL", (number,))
        return json.loads(row["data"]) if row else None

    def rent(self, owner_auth_id: str, number: str | None = None, country_iso: str = "US",
             app_id: str | None = None, alias: str | None = None) -> str:
        """Moves a number from the inventory onto `owner_auth_id`; any free one of the country if not given.
        A seeding helper: nothing is charged (buying through the API is `buy`)."""
        with self.db.tx() as c:
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

    def buy(self, owner_auth_id: str, number: str, payer: str, app_id: str | None = None,
            cnam_lookup: str | None = None, ha_enable: bool = False) -> str | None:
        """Rents `number` as the API's buy does, in one transaction: the setup fee and the first month's rental
        come off `payer`'s cash_credits (the main account: subaccounts share its balance), or nothing happens.
        With `ha_enable` a second number of the same country and type (same area code first) is held for it as
        its fallback, at no charge; returns that number."""
        with self.db.tx() as c:
            row = c.execute("SELECT number, data FROM inventory WHERE number=? AND reserved_for IS NULL",
                            (number,)).fetchone()
            if row is None:
                raise StoreError(404, "not found: number is not available")
            item = json.loads(row["data"])
            fallback = self._pick_fallback(c, item) if ha_enable else None
            if ha_enable and fallback is None:
                raise StoreError(400, f"ha_enable: no fallback number is available for {number}")
            self.db.storage(Accounts).charge(c, payer, money(item["setup_rate"]), money(item["monthly_rental_rate"]))
            self._rent(c, owner_auth_id, number, row["data"], app_id, None, cnam_lookup, fallback)
            return fallback

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
            app_id = self.db.storage(Applications).default_app(c, owner, "default_number_app")
        if cnam_lookup is None and CNAM_LOOKUP.applies(item):
            cnam_lookup = "disabled"
        today = self.db.clock().date()
        renewal = one_month_after(today)
        c.execute("INSERT INTO numbers(number, owner, alias, app_id, added_on, renewal_date, data, cnam_lookup,"
                  " ha_enabled, fallback_number) VALUES (?,?,?,?,?,?,?,?,?,?)",
                  (number, owner, alias, app_id, today.isoformat(), renewal.isoformat(), raw, cnam_lookup,
                   int(fallback is not None), fallback))
        c.execute("DELETE FROM inventory WHERE number=?", (number,))
        if fallback is not None:
            c.execute("UPDATE inventory SET reserved_for=? WHERE number=?", (number, fallback))

    def get(self, owners: list[str], number: str) -> Row | None:
        where, args = owned_by(owners)
        row = self.db.one(f"SELECT * FROM numbers WHERE number=? AND {where}", (number, *args))
        return _number_row(row) if row else None

    def find(self, owners: list[str], conditions: Sequence[Condition] = ()) -> PagedRows:
        """Numbers of `owners` meeting every condition, newest first, paged in SQL (only a page is decoded)."""
        where, args = owned_by(owners)
        sql = " AND ".join([where, *(f"({test})" for test, _ in conditions)])
        return PagedRows(self.db, "numbers", sql, (*args, *(a for _, more in conditions for a in more)),
                         convert=_number_row)

    def all_of(self, owners: list[str]) -> list[Row]:
        """Every number of `owners`, newest first, decoded."""
        return self.find(owners)[:]

    def update(self, number: str, fields: dict[str, Any]) -> None:
        self.db.update_row("numbers", {"number": number}, fields)

    def unrent(self, number: str) -> None:
        with self.db.tx() as c:
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

    def application_deleted(self, c: sqlite3.Connection, app_id: str, cascade: bool,
                            replacement: str | None) -> None:
        c.execute("UPDATE numbers SET app_id=NULL WHERE app_id=?", (app_id,))

    def subaccount_deleted(self, c: sqlite3.Connection, sa: str, parent: str, cascade: bool) -> None:
        if not cascade:
            c.execute("UPDATE numbers SET owner=? WHERE owner=?", (parent, sa))
            return
        # The numbers of a subaccount deleted with cascade go back on sale.
        for row in c.execute("SELECT number, data FROM numbers WHERE owner=?", (sa,)).fetchall():
            self._return_to_inventory(c, row["number"], row["data"])


# ---- the paths ------------------------------------------------------------------------------------------------

NUMBER_TYPES = {"fixed": "local", "local": "local", "mobile": "mobile", "tollfree": "tollfree",
                "national": "national"}
_SERVICES = ("voice", "sms", "mms")
_RENEWAL_OPS = {"renewal_date": "=", "renewal_date__lt": "<", "renewal_date__lte": "<=", "renewal_date__gt": ">",
                "renewal_date__gte": ">="}
# Filter value (as documented for List numbers) -> the value the Number object shows.
_TENDLC_FILTER = {"unregistered": "UNREGISTERED", "in_progress": "PROCESSING", "registered": "COMPLETED"}
# What every number the scope applies to shows: the sandbox links none to a 10DLC campaign or a verification.
_TENDLC_SHOWN = "UNREGISTERED"
_TF_VERIFICATION_SHOWN = "UNVERIFIED"
_TF_VERIFICATION_FILTER = {"unverified": "UNVERIFIED", "pending_verification": "PENDING_VERIFICATION",
                           "verified": "VERIFIED"}
CNAM_LOOKUP_VALUES = ("enabled", "disabled")
# Filters an SDK can send about data the sandbox does not keep: refused by name rather than ignored.
_UNSUPPORTED_FILTERS = {
    "toll_free_sms_verification_order_status": "the sandbox keeps no toll-free verification orders",
    "cnam": "the sandbox keeps no caller ID names (CNAM)",
}
_LIST_FILTERS = ("type", "number_type", "number_startswith", "subaccount", "alias", "services", "cnam_lookup",
                 "tendlc_registration_status", "tendlc_campaign_id", "toll_free_sms_verification", *_RENEWAL_OPS)


def _compliance(row: dict[str, Any]) -> dict[str, Any]:
    """The Number's messaging-compliance and CNAM properties, as the API scopes them: 10DLC for SMS-enabled US
    local numbers, toll-free verification for SMS-enabled US/CA toll-free numbers, CNAM lookup for US local and
    toll-free numbers (null elsewhere). The sandbox links no number to a 10DLC campaign or verification."""
    d = row["data"]
    return {
        "cnam_lookup": (row["cnam_lookup"] or "disabled") if CNAM_LOOKUP.applies(d) else None,
        "tendlc_campaign_id": None,
        "tendlc_registration_status": _TENDLC_SHOWN if TENDLC.applies(d) else None,
        "toll_free_sms_verification": _TF_VERIFICATION_SHOWN if TOLL_FREE_VERIFICATION.applies(d) else None,
    }


def _compliance_filters(ctx: Ctx) -> list[Condition]:
    """The compliance and CNAM filters, as conditions matching the values `_compliance` shows."""
    conditions: list[Condition] = []
    cnam_lookup = _choice_filter(ctx, "cnam_lookup", {v: v for v in CNAM_LOOKUP_VALUES})
    if cnam_lookup is not None:
        scope, args = CNAM_LOOKUP.sql()
        conditions.append((f"{scope} AND COALESCE(NULLIF(cnam_lookup, ''), 'disabled') = ?", (*args, cnam_lookup)))
    tendlc = _choice_filter(ctx, "tendlc_registration_status", _TENDLC_FILTER)
    if tendlc is not None:
        conditions.append(TENDLC.sql() if tendlc == _TENDLC_SHOWN else NO_NUMBER)
    if opt_str(ctx.params, "tendlc_campaign_id"):
        conditions.append(NO_NUMBER)
    tf_verification = _choice_filter(ctx, "toll_free_sms_verification", _TF_VERIFICATION_FILTER)
    if tf_verification is not None:
        conditions.append(TOLL_FREE_VERIFICATION.sql() if tf_verification == _TF_VERIFICATION_SHOWN else NO_NUMBER)
    return conditions


def render(ctx: Ctx, row: dict[str, Any]) -> dict[str, Any]:
    d = row["data"]
    iso = d["country_iso"]
    return {
        "added_on": row["added_on"], "active": True, "alias": row["alias"],
        "application": ctx.uri("Application", row["app_id"]) if row["app_id"] else None,
        "carrier": "Plivo", "city": d["city"], "compliance_application_id": None,
        "compliance_status": None, "country": COUNTRIES[iso][0], "mms_enabled": d["mms_enabled"],
        "mms_rate": d["mms_rate"], "monthly_rental_rate": d["monthly_rental_rate"], "number": row["number"],
        "number_type": NUMBER_TYPES[d["type"]], "region": d["region"], "renewal_date": row["renewal_date"],
        "resource_uri": ctx.uri("Number", row["number"]), "sms_enabled": d["sms_enabled"],
        "sms_rate": d["sms_rate"], "sub_account": ctx.account_uri(row["owner"]),
        "voice_enabled": d["voice_enabled"], "voice_rate": d["voice_rate"], **_compliance(row),
        # High availability (buy with ha_enable): the number held as this one's fallback.
        "ha_enabled": bool(row["ha_enabled"]), "fallback_number": row["fallback_number"],
    }


def cnam_lookup_param(ctx: Ctx, item: dict[str, Any]) -> str | None:
    """`cnam_lookup` checked for the number it would apply to (its inventory data); None when not given."""
    v = opt_str(ctx.params, "cnam_lookup") or None
    if v is None:
        return None
    if v.lower() not in CNAM_LOOKUP_VALUES:
        raise ApiError(400, "cnam_lookup must be enabled or disabled")
    if not CNAM_LOOKUP.applies(item):
        raise ApiError(400, "cnam_lookup applies only to US local and toll-free numbers")
    return v.lower()


def refuse_cnam(ctx: Ctx) -> None:
    """plivo-go can send `cnam` (a caller-ID name) on update and buy: refused by name rather than dropped."""
    if opt_str(ctx.params, "cnam"):
        raise ApiError(400, "cnam is not supported: the sandbox keeps no caller ID names (CNAM)")


def services_filter(ctx: Ctx) -> list[str]:
    raw = opt_str(ctx.params, "services")
    if not raw:
        return []
    wanted = [s.strip().lower() for s in raw.split(",") if s.strip()]
    if any(s not in _SERVICES for s in wanted):
        raise ApiError(400, "services must be a comma-separated list of voice, sms, mms")
    return wanted


def _date(ctx: Ctx, name: str) -> str | None:
    v = opt_str(ctx.params, name)
    if v is None:
        return None
    try:
        return dt.date.fromisoformat(v).isoformat()
    except ValueError:
        raise ApiError(400, f"{name} must be a date in YYYY-MM-DD format") from None


def _type_filter(ctx: Ctx, name: str) -> str | None:
    ntype = opt_str(ctx.params, name) or None
    if ntype is not None and ntype.lower() not in NUMBER_TYPES:
        raise ApiError(400, f"{name} must be one of local, mobile, tollfree, national")
    return NUMBER_TYPES[ntype.lower()] if ntype else None


def _choice_filter(ctx: Ctx, name: str, choices: dict[str, str]) -> str | None:
    """A filter with documented values (any case); returns the value the Number object shows for it."""
    v = opt_str(ctx.params, name) or None
    if v is None:
        return None
    if v.lower() not in choices:
        raise ApiError(400, f"{name} must be one of {', '.join(choices)}")
    return choices[v.lower()]


def list_(ctx: Ctx) -> Result:
    for name, why in _UNSUPPORTED_FILTERS.items():
        if opt_str(ctx.params, name):
            raise ApiError(400, f"{name} filter is not supported: {why}")
    owners = ctx.owner_filter()
    types = [t for t in (_type_filter(ctx, "type"), _type_filter(ctx, "number_type")) if t]
    starts = opt_str(ctx.params, "number_startswith")
    if starts is not None and not re.fullmatch(r"\d*", starts):
        raise ApiError(400, "number_startswith must contain only digits")
    conditions: list[Condition] = []
    for want in types:
        stored = tuple(t for t, shown in NUMBER_TYPES.items() if shown == want)
        conditions.append((f"{_data('type')} IN ({_marks(stored)})", stored))
    if starts:
        conditions.append(("substr(number, 1, ?) = ?", (len(starts), starts)))
    alias = opt_str(ctx.params, "alias")
    if alias is not None:
        conditions.append(("unicode_lower(COALESCE(alias, '')) = ?", (alias.lower(),)))
    for service in services_filter(ctx):  # one of _SERVICES
        conditions.append((_data(f"{service}_enabled"), ()))
    for name, op in _RENEWAL_OPS.items():
        when = _date(ctx, name)
        if when is not None:
            conditions.append((f"renewal_date {op} ?", (when,)))
    conditions += _compliance_filters(ctx)
    rows = ctx.db.storage(Numbers).find(owners, conditions)
    return page(ctx, "Number", rows, lambda r: render(ctx, r), _LIST_FILTERS)


def _existing(ctx: Ctx, number: str) -> dict[str, Any]:
    return found(ctx.db.storage(Numbers).get(ctx.owners, number))


def get(ctx: Ctx, number: str) -> Result:
    return 200, {"api_id": ctx.api_id, **render(ctx, _existing(ctx, number))}


def update(ctx: Ctx, number: str) -> Result:
    row = _existing(ctx, number)
    refuse_cnam(ctx)
    fields: dict[str, Any] = {}
    cnam_lookup = cnam_lookup_param(ctx, row["data"])
    if cnam_lookup is not None:
        fields["cnam_lookup"] = cnam_lookup
    app_id = app_ref(ctx)
    if app_id is not None:
        fields["app_id"] = app_id or None
    alias = opt_str(ctx.params, "alias")
    if alias is not None:
        fields["alias"] = alias
    cannot_reassign = ApiError(403, "subaccount credentials cannot reassign numbers")
    sa = ctx.subaccount_param(cannot_reassign)
    if sa == "" and ctx.is_sub:
        raise cannot_reassign
    if sa is not None:
        fields["owner"] = sa or ctx.caller  # "" hands the number back to the main account
    ctx.db.storage(Numbers).update(number, fields)
    return changed(ctx)


def delete(ctx: Ctx, number: str) -> Result:
    _existing(ctx, number)
    ctx.db.storage(Numbers).unrent(number)
    return deleted(ctx)


RESOURCE = Resource(
    paths={"Number/": {"GET": list_}, "Number/{id}/": {"GET": get, "POST": update, "DELETE": delete}},
    storage=Numbers,
)
