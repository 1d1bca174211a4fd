"""Storage of the accounts: the main account and its subaccounts, the owners of every other row.

Its own module rather than part of account.py or subaccounts.py (which serve the paths) because every request
reads it, before any resource: the app to authenticate, the router's Ctx to know whose rows the caller sees.
"""

from __future__ import annotations

import secrets
import sqlite3
import string
from decimal import Decimal, InvalidOperation
from typing import Any

from plivo_mcp.sandbox.storage import PagedRows, Row, Storage, StoreError, Table

_ALNUM_UPPER = string.ascii_uppercase + string.digits
_TOKEN_CHARS = string.ascii_letters + string.digits

ACCOUNTS = Table(
    name="accounts", key="auth_id",  # `parent`: NULL for the main account, its id for a subaccount
    create="""CREATE TABLE IF NOT EXISTS accounts (
        auth_id TEXT PRIMARY KEY, parent TEXT, auth_token TEXT NOT NULL, name TEXT NOT NULL,
        enabled INTEGER NOT NULL, created TEXT NOT NULL, modified TEXT,
        account_type TEXT, address TEXT, city TEXT, state TEXT, timezone TEXT, cash_credits TEXT,
        auto_recharge INTEGER, billing_mode TEXT)""",
)


def new_account_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALNUM_UPPER) for _ in range(18))


def new_token() -> str:
    return "".join(secrets.choice(_TOKEN_CHARS) for _ in range(40))


def money(v: Any) -> Decimal:
    """An amount as the API writes it ("250.00000"); anything unreadable counts as 0."""
    try:
        return Decimal(str(v or "0"))
    except InvalidOperation:
        return Decimal("0")


class Accounts(Storage):
    tables = (ACCOUNTS,)

    def ensure_main_account(self, auth_id: str, auth_token: str, name: str = "Sandbox Demo") -> None:
        with self.db.tx() as c:
            row = c.execute("SELECT auth_id FROM accounts WHERE auth_id=?", (auth_id,)).fetchone()
            if row is None:
                c.execute(
                    "INSERT INTO accounts(auth_id, parent, auth_token, name, enabled, created, modified,"
                    " account_type, address, city, state, timezone, cash_credits, auto_recharge, billing_mode)"
                    " VALUES (?,NULL,?,?,1,?,NULL,'standard','','','','America/Los_Angeles','250.00000',0,"
                    "'prepaid')", (auth_id, auth_token, name, self.db.today()))
            else:
                # The configured token wins, so a file database survives a credential change.
                c.execute("UPDATE accounts SET auth_token=? WHERE auth_id=?", (auth_token, auth_id))

    def get(self, auth_id: str) -> Row | None:
        return self.db.one("SELECT * FROM accounts WHERE auth_id=?", (auth_id,))

    def authenticate(self, auth_id: str, auth_token: str) -> Row | None:
        row = self.get(auth_id)
        if row is None or not secrets.compare_digest(row["auth_token"].encode(), auth_token.encode()):
            return None
        if row["parent"] is not None:
            parent = self.get(row["parent"])
            if not row["enabled"] or parent is None:
                return None
        return row

    def update(self, auth_id: str, fields: dict[str, Any]) -> None:
        self.db.update_row("accounts", {"auth_id": auth_id}, fields)

    def charge(self, c: sqlite3.Connection, payer: str, setup: Decimal, rental: Decimal) -> None:
        """Take a purchase off `payer`'s cash_credits inside the caller's transaction, or refuse it whole."""
        account = c.execute("SELECT cash_credits FROM accounts WHERE auth_id=?", (payer,)).fetchone()
        if account is None:
            raise StoreError(404, "not found")
        credits, cost = money(account["cash_credits"]), setup + rental
        if credits < cost:
            raise StoreError(400, f"insufficient cash credits: this number costs {cost:.5f} (setup fee {setup:.5f}"
                                  f" + first month's rental {rental:.5f}) and cash_credits is {credits:.5f}")
        c.execute("UPDATE accounts SET cash_credits=? WHERE auth_id=?", (f"{credits - cost:.5f}", payer))

    # ---- subaccounts ----------------------------------------------------------------------------------------

    def subaccount_ids(self, parent: str) -> list[str]:
        return [r["auth_id"] for r in self.db.query("SELECT auth_id FROM accounts WHERE parent=? ORDER BY rowid",
                                                    (parent,))]

    def create_subaccount(self, parent_auth_id: str, name: str, enabled: bool = True) -> tuple[str, str]:
        """Returns (auth_id, auth_token)."""
        auth_id, token = new_account_id("SA"), new_token()
        with self.db.tx() as c:
            c.execute(
                "INSERT INTO accounts(auth_id, parent, auth_token, name, enabled, created, modified)"
                " VALUES (?,?,?,?,?,?,NULL)", (auth_id, parent_auth_id, token, name, int(enabled), self.db.today()))
        return auth_id, token

    def list_subaccounts(self, parent: str) -> PagedRows:
        return PagedRows(self.db, "accounts", "parent=?", (parent,))

    def get_subaccount(self, parent: str, auth_id: str) -> Row | None:
        return self.db.one("SELECT * FROM accounts WHERE parent=? AND auth_id=?", (parent, auth_id))

    def update_subaccount(self, parent: str, auth_id: str, fields: dict[str, Any]) -> None:
        self.db.update_row("accounts", {"parent": parent, "auth_id": auth_id},
                           {**fields, "modified": self.db.today()})

    def delete_subaccount(self, parent: str, auth_id: str, cascade: bool) -> None:
        """Every resource's rows of the subaccount are deleted with it (`cascade`) or move to `parent`, in the
        same transaction (see Storage.subaccount_deleted)."""
        with self.db.tx() as c:
            if c.execute("SELECT 1 FROM accounts WHERE parent=? AND auth_id=?", (parent, auth_id)).fetchone() is None:
                raise StoreError(404, "not found")
            for storage in self.db.storages:
                storage.subaccount_deleted(c, auth_id, parent, cascade)
            c.execute("DELETE FROM accounts WHERE auth_id=?", (auth_id,))
