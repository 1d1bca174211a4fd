"""The sandbox's SQLite storage core: the connection, transactions, query helpers, the clock, and the registry of
each resource's tables.

One connection shared by the HTTP thread and the caller's thread, guarded by a lock: sqlite3 objects are not
safe for concurrent use, and the sandbox's load is small enough that serialising is not a bottleneck. Every
write runs in one `BEGIN IMMEDIATE` transaction so a failed request changes nothing and two processes sharing a
file database cannot interleave half-writes.

Each resource keeps its tables and queries in its own module, as a `Storage` subclass named by its `Resource`
in routes.py. The Database creates those tables when it opens (and adds the columns added since, so that a file
database made by an older sandbox gains them), shows them in `snapshot()`, and keeps one instance of each
Storage, which handlers reach with `db.storage(TheClass)`.

Ownership model: every application, endpoint and number has an `owner` (a main account MA… or one of its
subaccounts SA…). A main account sees its own resources and its subaccounts'; a subaccount sees only its own.
When a subaccount is deleted each Storage is told (`subaccount_deleted`), and moves or deletes its rows.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
import string
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

Clock = Callable[[], dt.datetime]
Row = dict[str, Any]
S = TypeVar("S", bound="Storage")


class StoreError(Exception):
    """A write refused because its target vanished or clashes (mapped to 404/400 by the HTTP layer)."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


@dataclass(frozen=True)
class Table:
    """One table of a resource: how to create it, and the columns added to it since the first release (added on
    open when missing: a new database gets them the same way as a file database made by an older sandbox, so
    there is one definition of each). `owned`: its rows have an `owner` account (see `Storage`)."""

    name: str
    key: str  # its primary key: snapshot() orders rows by it
    create: str  # CREATE TABLE IF NOT EXISTS …
    added_columns: tuple[tuple[str, str], ...] = ()  # (column, declaration)
    owned: bool = False


class Storage:
    """A resource's tables and queries over the shared Database. A subclass declares `tables` and overrides the
    hooks that concern its rows; it holds no state besides the database (one instance per Database)."""

    tables: ClassVar[tuple[Table, ...]] = ()

    def __init__(self, db: Database) -> None:
        self.db = db

    def seed(self, c: sqlite3.Connection) -> None:
        """Called each time the database opens, in the transaction that adds missing columns."""

    def seed_history(self, c: sqlite3.Connection, main_id: str) -> None:
        """Write this resource's sample history for `main_id` (only when the sandbox is asked to, e.g.
        `Sandbox(seed_history=True)`): deterministic, relative to the clock, once per database."""

    def catch_up(self) -> None:
        """Called before each request is handled: write down what the clock has made final since (a call that
        has ended is settled and paid), so that every resource's answer sees it."""

    def subaccount_deleted(self, c: sqlite3.Connection, sa: str, parent: str, cascade: bool) -> None:
        """Subaccount `sa` of `parent` is being deleted: with `cascade` its rows go with it, else they move to
        the main account. This default does that for every `owned` table; override where more is involved."""
        for table in self.tables:
            if not table.owned:
                continue
            if cascade:
                c.execute(f"DELETE FROM {table.name} WHERE owner=?", (sa,))
            else:
                c.execute(f"UPDATE {table.name} SET owner=? WHERE owner=?", (parent, sa))


_META = Table("meta", "key", "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")


class Database:
    """The connection and the registered Storages (each resource's), created by the Database in that order."""

    def __init__(self, db: str = ":memory:", clock: Clock | None = None,
                 storages: Sequence[type[Storage]] = ()) -> None:
        """`clock` gives the sandbox's "now" (local time; default the system clock): dates it writes (created,
        added_on, renewal_date...) and SIP registration expiry follow it, so tests need not depend on the date."""
        self.clock: Clock = clock or dt.datetime.now
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(db, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._conn.row_factory = sqlite3.Row
        if db != ":memory:" and not db.startswith("file::memory:"):
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        # Python's str.lower in SQL, for comparisons that ignore case as the handlers' Python code does:
        # SQLite's own lower() folds ASCII letters only.
        self._conn.create_function("unicode_lower", 1, _lower, deterministic=True)
        self._storages: dict[type[Storage], Storage] = {cls: cls(self) for cls in storages}
        self.tables: tuple[Table, ...] = (_META, *(t for s in self._storages.values() for t in s.tables))
        # executescript commits implicitly, so the schema goes outside any explicit transaction.
        with self._lock:
            self._conn.executescript(";\n".join(t.create for t in self.tables) + ";")
        with self.tx() as c:
            for table in self.tables:
                have = {r["name"] for r in c.execute(f"PRAGMA table_info({table.name})")}
                for column, decl in table.added_columns:
                    if column not in have:
                        c.execute(f"ALTER TABLE {table.name} ADD COLUMN {column} {decl}")
            for storage in self._storages.values():
                storage.seed(c)

    def storage(self, cls: type[S]) -> S:
        """The Storage of that class (registered through routes.py)."""
        found = self._storages.get(cls)
        if not isinstance(found, cls):
            raise LookupError(f"{cls.__name__} is not registered: is its resource in routes.RESOURCES?")
        return found

    @property
    def storages(self) -> list[Storage]:
        return list(self._storages.values())

    def seed_history(self, main_id: str) -> None:
        """Every Storage's sample history for `main_id`, in one transaction, once per database."""
        with self.tx() as c:
            key = f"history_seeded:{main_id}"
            if c.execute("SELECT 1 FROM meta WHERE key=?", (key,)).fetchone():
                return
            c.execute("INSERT INTO meta(key, value) VALUES (?, '1')", (key,))
            for storage in self._storages.values():
                storage.seed_history(c, main_id)

    def catch_up(self) -> None:
        """Every Storage's `catch_up`, in registration order."""
        for storage in self._storages.values():
            storage.catch_up()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it happens, or (on any exception) none of it."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def today(self) -> str:
        return self.clock().date().isoformat()

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[Row]:
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, args).fetchall()]

    def one(self, sql: str, args: tuple[Any, ...] = ()) -> Row | None:
        rows = self.query(sql, args)
        return rows[0] if rows else None

    def update_row(self, table: str, where: dict[str, Any], fields: dict[str, Any]) -> None:
        """Set `fields` on the one row `where` picks, or 404. Column names come from the handlers, never from
        a caller."""
        if not fields:
            return
        with self.tx() as c:
            if set_columns(c, table, where, fields) == 0:
                raise StoreError(404, "not found")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def snapshot(self) -> dict[str, list[Row]]:
        """Every row of every table, ordered by key: equal snapshots mean nothing changed."""
        return {t.name: self.query(f"SELECT * FROM {t.name} ORDER BY {t.key}") for t in self.tables}


def _lower(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def set_columns(c: sqlite3.Connection, table: str, where: dict[str, Any], fields: dict[str, Any]) -> int:
    """UPDATE `table` SET `fields` WHERE `where` (column names from code, never from a caller); rows changed."""
    sets = ", ".join(f"{k}=?" for k in fields)
    match = " AND ".join(f"{k}=?" for k in where)
    return c.execute(f"UPDATE {table} SET {sets} WHERE {match}", (*fields.values(), *where.values())).rowcount


def owned_by(owners: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """A WHERE clause (and its arguments) matching rows owned by any of `owners`."""
    return f"owner IN ({','.join('?' * len(owners))})", tuple(owners)


class PagedRows:
    """A list result, newest first, paged in SQL: len() counts and a slice reads only that window.

    Converting every row of a large list for each 20-item page made the sandbox, not the client, the
    bottleneck of bulk listing. Newest means last inserted, unless `order` names a column (a call created early
    can end late, and seeded history is inserted oldest first).
    """

    def __init__(self, db: Database, table: str, where: str, args: tuple[Any, ...],
                 convert: Callable[[Row], Row] | None = None, order: str | None = None) -> None:
        self._db, self._table, self._where, self._args, self._convert = db, table, where, args, convert
        self._order = f"{order} DESC, rowid DESC" if order else "rowid DESC"

    def __len__(self) -> int:
        row = self._db.one(f"SELECT COUNT(*) AS n FROM {self._table} WHERE {self._where}", self._args)
        return int(row["n"]) if row else 0

    def __getitem__(self, window: slice) -> list[Row]:
        start, stop = window.start or 0, window.stop
        limit = -1 if stop is None else max(0, stop - start)
        rows = self._db.query(f"SELECT * FROM {self._table} WHERE {self._where} ORDER BY {self._order} "
                              "LIMIT ? OFFSET ?", (*self._args, limit, start))
        return rows if self._convert is None else [self._convert(r) for r in rows]


def db_value(v: Any) -> Any:
    """A value as SQLite stores it: booleans as 0/1."""
    return int(v) if isinstance(v, bool) else v


def random_digits(n: int) -> str:
    """n random digits, the first not 0: the shape of the API's numeric ids."""
    return secrets.choice("123456789") + "".join(secrets.choice(string.digits) for _ in range(n - 1))
