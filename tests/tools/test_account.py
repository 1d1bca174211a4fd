import pytest

from tests.helpers import call, err, ok, server_for

pytestmark = pytest.mark.anyio


async def test_get_account_is_compact(client, sb):
    data = await ok(client, "get_account")
    assert data["auth_id"] == sb.auth_id
    assert "resource_uri" not in data and "api_id" not in data
    assert {"name", "cash_credits", "billing_mode", "timezone"} <= set(data)


async def test_update_account_changes_only_given_fields(client, sb):
    before = await ok(client, "get_account")
    data = await ok(client, "update_account", {"city": "Austin", "timezone": "America/Chicago"})
    assert data["updated"] == ["city", "timezone"]
    after = await ok(client, "get_account")
    assert after["city"] == "Austin" and after["timezone"] == "America/Chicago"
    assert after["name"] == before["name"]


async def test_update_account_needs_a_field_and_sends_nothing(client, sb):
    count = sb.request_count
    error = await err(client, "update_account", {})
    assert error["code"] == "invalid_argument" and error["parameter"] == "name"
    assert sb.request_count == count


async def test_bad_credentials_are_auth_failed(sb):
    from mcp import Client

    async with Client(server_for(sb, auth_token="wrong-token-value")) as c:
        is_error, data = await call(c, "get_account")
    assert is_error and data["error"]["code"] == "auth_failed" and data["error"]["status"] == 401
    assert "wrong-token-value" not in str(data)
