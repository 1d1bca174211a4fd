"""What deleting a subaccount or an application does to the rows of other resources (each resource's storage is
told and acts on its own rows, in the deleting transaction)."""

from __future__ import annotations

from plivo_mcp.sandbox import Sandbox


def _rows(sb: Sandbox, table: str, key: str) -> dict[str, dict]:
    return {row[key]: row for row in sb.store.snapshot()[table]}


def test_subaccount_deleted_with_cascade_unlinks_the_main_accounts_rows_from_its_apps(sb: Sandbox, http_for) -> None:
    sa, token = sb.store.create_subaccount(sb.auth_id, "leaving")
    sa_app = sb.store.create_application(sa, "theirs", "https://example.com/a")
    endpoint = sb.store.create_endpoint(sb.auth_id, "desk", "secret1", "Desk", app_id=sa_app)
    number = sb.store.rent_number(sb.auth_id, app_id=sa_app)
    fixed = [i["number"] for i in sb.store.search_inventory("US") if i["type"] == "fixed"]
    bought = http_for(sb, sa, token).post(f"/PhoneNumber/{fixed[0]}/", json={"ha_enable": True})
    fallback = bought.json()["numbers"][0]["fallback_number"]

    assert http_for(sb).delete(f"/Subaccount/{sa}/", params={"cascade": "true"}).status_code == 204
    # The main account's endpoint and number stay, without the deleted application.
    assert _rows(sb, "endpoints", "endpoint_id")[endpoint]["app_id"] is None
    assert _rows(sb, "numbers", "number")[number]["app_id"] is None
    assert sa_app not in _rows(sb, "applications", "app_id")
    # The subaccount's number and the fallback held for it are on sale again.
    inventory = _rows(sb, "inventory", "number")
    assert fixed[0] in inventory and inventory[fallback]["reserved_for"] is None


def test_subaccount_deleted_without_cascade_hands_over_its_apps_without_their_default_flags(
        sb: Sandbox, http_for) -> None:
    main_default = sb.store.create_application(sb.auth_id, "main", "https://example.com/m",
                                               default_number_app=True, default_endpoint_app=True)
    sa, _ = sb.store.create_subaccount(sb.auth_id, "leaving")
    sa_default = sb.store.create_application(sa, "theirs", "https://example.com/a",
                                             default_number_app=True, default_endpoint_app=True)
    endpoint = sb.store.create_endpoint(sa, "desk", "secret1", "Desk")  # gets the subaccount's default app

    assert http_for(sb).delete(f"/Subaccount/{sa}/").status_code == 204
    apps = _rows(sb, "applications", "app_id")
    assert apps[sa_default]["owner"] == sb.auth_id
    assert (apps[sa_default]["default_number_app"], apps[sa_default]["default_endpoint_app"]) == (0, 0)
    assert (apps[main_default]["default_number_app"], apps[main_default]["default_endpoint_app"]) == (1, 1)
    moved = _rows(sb, "endpoints", "endpoint_id")[endpoint]
    assert (moved["owner"], moved["app_id"]) == (sb.auth_id, sa_default)
