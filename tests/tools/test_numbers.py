import pytest

from plivo_mcp.shaping import records
from tests.helpers import call, err, ok

pytestmark = pytest.mark.anyio


async def test_list_get_update_numbers(client, sb):
    sa, _ = sb.store.create_subaccount(sb.auth_id, "tenant")
    app_id = sb.store.create_application(sb.auth_id, "ivr", "https://example.com/a")
    n1 = sb.store.rent_number(sb.auth_id, country_iso="US", alias="front desk")
    n2 = sb.store.rent_number(sa, country_iso="US")
    listed = await ok(client, "list_numbers", {})
    assert {i["number"] for i in records(listed)} == {n1, n2}
    assert "resource_uri" not in records(listed)[0]
    by_sub = await ok(client, "list_numbers", {"subaccount": sa})
    assert [i["number"] for i in records(by_sub)] == [n2] and records(by_sub)[0]["sub_account"] == sa
    by_prefix = await ok(client, "list_numbers", {"number_startswith": n1[:6]})
    assert n1 in {i["number"] for i in records(by_prefix)}
    got = await ok(client, "get_number", {"number": "+" + n1})
    assert got["number"] == n1 and got["alias"] == "front desk"
    await ok(client, "update_number", {"number": n1, "app_id": app_id, "alias": "ivr line"})
    got = await ok(client, "get_number", {"number": n1})
    assert got["application"] == app_id and got["alias"] == "ivr line"


async def test_number_errors(client, sb):
    error = await err(client, "get_number", {"number": "12ab"})
    assert error["parameter"] == "number"
    error = await err(client, "get_number", {"number": "14155550000"})
    assert error["code"] == "not_found"
    error = await err(client, "update_number", {"number": "14155550000"})
    assert error["parameter"] == "app_id"
    error = await err(client, "list_numbers", {"services": "fax"})
    assert error["parameter"] == "services"


async def test_unrent_only_previews_without_confirmation(client, sb):
    number = sb.store.rent_number(sb.auth_id, country_iso="US")
    before = sb.store.snapshot()
    is_error, data = await call(client, "unrent_number", {"number": number})
    assert not is_error and data["status"] == "confirmation_required" and sb.store.snapshot() == before
