import pytest

from plivo_mcp.shaping import records
from tests.helpers import call, err, ok

pytestmark = pytest.mark.anyio


async def test_create_get_update_subaccount_masks_token(client, sb):
    created = await ok(client, "create_subaccount", {"name": "Acme"})
    sa = created["auth_id"]
    assert sa.startswith("SA") and len(sa) == 20
    assert created["enabled"] is False  # the API's default, stated in the answer
    real_token = next(a for a in sb.store.snapshot()["accounts"] if a["auth_id"] == sa)["auth_token"]
    assert real_token not in str(created) and created["auth_token"].startswith("***")

    got = await ok(client, "get_subaccount", {"subaccount_id": sa})
    assert got["name"] == "Acme" and got["auth_id"] == sa
    assert real_token not in str(got) and got["auth_token"] == "***" + real_token[-4:]
    assert got["account"] == sb.auth_id  # parent link compacted from its URI

    await ok(client, "update_subaccount", {"subaccount_id": sa, "enabled": True})
    got = await ok(client, "get_subaccount", {"subaccount_id": sa})
    assert got["enabled"] is True and got["name"] == "Acme"


async def test_list_subaccounts_pages_with_next_offset(client, sb):
    for i in range(23):
        sb.store.create_subaccount(sb.auth_id, f"cust{i:02d}")
    first = await ok(client, "list_subaccounts", {})
    assert first["page"] == {"offset": 0, "limit": 20, "returned": 20, "total_count": 23, "next_offset": 20}
    assert records(first)[0]["name"] == "cust22"  # newest first
    assert set(records(first)[0]) == {"auth_id", "name", "enabled", "created"}
    second = await ok(client, "list_subaccounts", {"offset": first["page"]["next_offset"]})
    assert second["page"]["returned"] == 3 and second["page"]["next_offset"] is None
    names = {i["name"] for i in records(first) + records(second)}
    assert len(names) == 23


async def test_list_fields_all_and_unknown(client, sb):
    sb.store.create_subaccount(sb.auth_id, "one")
    full = await ok(client, "list_subaccounts", {"fields": "all"})
    item = records(full)[0]
    assert "modified" in item and "resource_uri" not in item and item["auth_token"].startswith("***")
    more = await ok(client, "list_subaccounts", {"fields": "modified"})
    assert set(records(more)[0]) == {"auth_id", "name", "enabled", "created", "modified"}
    error = await err(client, "list_subaccounts", {"fields": "colour"})
    assert error["parameter"] == "fields" and "colour" in error["error"]


async def test_subaccount_errors_name_the_problem(client, sb):
    error = await err(client, "get_subaccount", {"subaccount_id": "SA123"})
    assert error["code"] == "invalid_argument" and error["parameter"] == "subaccount_id"
    error = await err(client, "get_subaccount", {"subaccount_id": "SA" + "Z" * 18})
    assert error["code"] == "not_found" and error["status"] == 404
    error = await err(client, "update_subaccount", {"subaccount_id": "SA" + "Z" * 18})
    assert error["parameter"] == "name"
    error = await err(client, "create_subaccount", {})
    assert error["parameter"] == "name"


async def test_delete_subaccount_only_previews_without_confirmation(client, sb):
    sa, _ = sb.store.create_subaccount(sb.auth_id, "keep")
    before = sb.store.snapshot()
    is_error, data = await call(client, "delete_subaccount", {"subaccount_id": sa, "cascade": True})
    assert not is_error and data["status"] == "confirmation_required" and data["confirmation_token"]
    assert sb.store.snapshot() == before
