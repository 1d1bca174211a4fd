"""`Store`: the sandbox's Database with the storage of every resource in routes.py, and the shortcuts that tests,
benchmarks and the runner use to seed and inspect it.

Each shortcut only hands over to the resource's own storage (see storage.py for the core, and each resource
module for its tables): a new resource needs none here unless tests seed it directly.
"""

from __future__ import annotations

from typing import Any

from plivo_mcp.sandbox.accounts import Accounts
from plivo_mcp.sandbox.applications import Applications
from plivo_mcp.sandbox.endpoints import Endpoints
from plivo_mcp.sandbox.numbers import Numbers, one_month_after
from plivo_mcp.sandbox.routes import RESOURCES
from plivo_mcp.sandbox.storage import Clock, Database, Row, StoreError

__all__ = ["Store", "StoreError", "one_month_after"]


class Store(Database):
    """All sandbox state. Methods taking `owners` restrict to resources owned by those account ids."""

    def __init__(self, db: str = ":memory:", clock: Clock | None = None) -> None:
        super().__init__(db, clock, [r.storage for r in RESOURCES if r.storage is not None])

    # Tests write what no API call can (a setup fee on an inventory number...) in one transaction.
    _tx = Database.tx

    def ensure_main_account(self, auth_id: str, auth_token: str, name: str = "Sandbox Demo") -> None:
        self.storage(Accounts).ensure_main_account(auth_id, auth_token, name)

    def account(self, auth_id: str) -> Row | None:
        return self.storage(Accounts).get(auth_id)

    def update_account(self, auth_id: str, fields: dict[str, Any]) -> None:
        self.storage(Accounts).update(auth_id, fields)

    def create_subaccount(self, parent_auth_id: str, name: str, enabled: bool = True) -> tuple[str, str]:
        """Returns (auth_id, auth_token)."""
        return self.storage(Accounts).create_subaccount(parent_auth_id, name, enabled)

    def get_subaccount(self, parent: str, auth_id: str) -> Row | None:
        return self.storage(Accounts).get_subaccount(parent, auth_id)

    def create_application(self, owner_auth_id: str, app_name: str, answer_url: str, **fields: Any) -> str:
        """Returns the new app_id. `fields` are optional application columns (see applications.APP_FIELDS)."""
        return self.storage(Applications).create(owner_auth_id, app_name, answer_url, **fields)

    def get_application(self, owners: list[str], app_id: str) -> Row | None:
        return self.storage(Applications).get(owners, app_id)

    def create_endpoint(self, owner_auth_id: str, username: str, password: str, alias: str,
                        app_id: str | None = None) -> str:
        """Returns the new endpoint_id; the stored username is `username` + 12 digits, as the API does."""
        return self.storage(Endpoints).create(owner_auth_id, username, password, alias, app_id)

    def get_endpoint(self, owners: list[str], endpoint_id: str) -> Row | None:
        return self.storage(Endpoints).get(owners, endpoint_id)

    def rent_number(self, owner_auth_id: str, number: str | None = None, country_iso: str = "US",
                    app_id: str | None = None, alias: str | None = None) -> str:
        """Moves a number from the inventory onto `owner_auth_id` (any free one of the country if not given),
        charging nothing."""
        return self.storage(Numbers).rent(owner_auth_id, number, country_iso, app_id, alias)

    def get_number(self, owners: list[str], number: str) -> Row | None:
        return self.storage(Numbers).get(owners, number)

    def list_numbers(self, owners: list[str]) -> list[Row]:
        """Every number of `owners`, newest first, its inventory data decoded."""
        return self.storage(Numbers).all_of(owners)

    def search_inventory(self, country_iso: str) -> list[dict[str, Any]]:
        return self.storage(Numbers).search_inventory(country_iso)

    def inventory_item(self, number: str) -> dict[str, Any] | None:
        return self.storage(Numbers).inventory_item(number)
