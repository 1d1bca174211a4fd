import pytest
from mcp import Client

from plivo_mcp.shaping import records
from tests.helpers import call, err, ok, server_for

pytestmark = pytest.mark.anyio


async def test_create_get_update_application(client, sb):
    created = await ok(client, "create_application", {
        "app_name": "support-line", "answer_url": "https://example.com/answer", "answer_method": "GET"})
    app_id = created["app_id"]
    assert len(app_id) == 17 and app_id.isdigit()
    got = await ok(client, "get_application", {"app_id": app_id})
    assert got["app_name"] == "support-line" and got["answer_method"] == "GET"
    assert got["hangup_url"] == "https://example.com/answer"  # defaults to answer_url
    assert "resource_uri" not in got
    upd = await ok(client, "update_application", {"app_id": app_id, "message_url": "https://example.com/sms"})
    assert upd["updated"] == ["message_url"]
    got = await ok(client, "get_application", {"app_id": app_id})
    assert got["message_url"] == "https://example.com/sms"


async def test_list_applications_filters_and_links(client, sb):
    sa, _ = sb.store.create_subaccount(sb.auth_id, "tenant")
    sb.store.create_application(sb.auth_id, "main_app", "https://example.com/a")
    sb.store.create_application(sa, "tenant_app", "https://example.com/b")
    sb.store.create_application(sa, "tenant_other", "https://example.com/c")
    everything = await ok(client, "list_applications", {})
    assert everything["page"]["total_count"] == 3
    by_sub = await ok(client, "list_applications", {"subaccount": sa})
    assert {i["app_name"] for i in records(by_sub)} == {"tenant_app", "tenant_other"}
    assert all(i["sub_account"] == sa for i in records(by_sub))  # link compacted to the SA id
    by_name = await ok(client, "list_applications", {"app_name": "tenant_o"})
    assert [i["app_name"] for i in records(by_name)] == ["tenant_other"]


async def test_application_bad_input_named_before_any_request(client, sb):
    count = sb.request_count
    for args, parameter in [
        ({"app_name": "bad\tname", "answer_url": "https://example.com"}, "app_name"),
        ({"app_name": "ok", "answer_url": "ftp://example.com"}, "answer_url"),
        ({"app_name": "ok", "answer_url": "https://example.com", "answer_method": "PUT"}, "answer_method"),
        ({"app_name": "ok"}, "answer_url"),
    ]:
        error = await err(client, "create_application", args)
        assert error["code"] == "invalid_argument" and error["parameter"] == parameter, error
    error = await err(client, "list_applications", {"limit": 21})
    assert error["parameter"] == "limit"
    error = await err(client, "list_applications", {"offset": -1})
    assert error["parameter"] == "offset"
    error = await err(client, "update_application", {"app_id": "123"})
    assert error["parameter"] == "answer_url"
    error = await err(client, "get_application", {"app_id": "../Subaccount"})
    assert error["parameter"] == "app_id"
    assert sb.request_count == count


async def test_application_not_found(client, sb):
    error = await err(client, "get_application", {"app_id": "12345678901234567"})
    assert error["code"] == "not_found" and error["status"] == 404 and error["hint"]


async def test_delete_application_only_previews_without_confirmation(client, sb):
    app_id = sb.store.create_application(sb.auth_id, "keep", "https://example.com/a")
    before = sb.store.snapshot()
    is_error, data = await call(client, "delete_application", {"app_id": app_id})
    assert not is_error and data["status"] == "confirmation_required"
    assert sb.store.snapshot() == before


async def test_impossible_delete_is_refused_before_any_preview_or_request(client, sb):
    app_id = sb.store.create_application(sb.auth_id, "keep", "https://example.com/a")
    other = sb.store.create_application(sb.auth_id, "other", "https://example.com/b")
    count = sb.request_count
    for args in ({"app_id": app_id, "new_endpoint_application": other},  # cascade defaults to true
                 {"app_id": app_id, "cascade": False, "new_endpoint_application": app_id}):
        error = await err(client, "delete_application", args)
        assert error["code"] == "invalid_argument" and error["parameter"] == "new_endpoint_application"
        assert "confirmation_token" not in error
    assert sb.request_count == count


async def test_async_writes_report_to_the_operators_callback(sb):
    async with Client(server_for(sb, PLIVO_MCP_CALLBACK_URL="http://127.0.0.1:9/cb")) as client:
        data = await ok(client, "create_application", {"app_name": "later", "answer_url": "https://example.com/a"})
    assert data["async"] is True and data["api_id"] and "PLIVO_MCP_CALLBACK_URL" in data["message"]


async def test_a_callback_or_any_unknown_argument_is_refused_by_name(client, sb):
    count = sb.request_count
    error = await err(client, "create_application", {
        "app_name": "later", "answer_url": "https://example.com/a", "callback_url": "http://127.0.0.1:9/cb"})
    assert error["parameter"] == "callback_url" and "PLIVO_MCP_CALLBACK_URL" in error["hint"]
    error = await err(client, "list_applications", {"app_nmae": "typo", "limit": 5})
    assert error["parameter"] == "app_nmae" and "app_name" in error["error"]
    assert sb.request_count == count
