import json

import pytest

from plivo_mcp.shaping import records
from tests.helpers import call, err, ok

pytestmark = pytest.mark.anyio

PASSWORD = "s3cret-sip-pass"


async def test_endpoint_lifecycle_never_echoes_password(client, sb):
    app_id = sb.store.create_application(sb.auth_id, "pbx", "https://example.com/a")
    created = await ok(client, "create_endpoint", {
        "username": "alice", "password": PASSWORD, "alias": "Alice desk", "app_id": app_id})
    endpoint_id = created["endpoint_id"]
    assert created["username"].startswith("alice") and len(created["username"]) == len("alice") + 12
    got = await ok(client, "get_endpoint", {"endpoint_id": endpoint_id})
    assert got["alias"] == "Alice desk" and got["application"] == app_id
    listed = await ok(client, "list_endpoints", {})
    assert records(listed)[0]["endpoint_id"] == endpoint_id
    upd = await ok(client, "update_endpoint", {"endpoint_id": endpoint_id, "alias": "Alice", "password": "n3w-pass"})
    assert upd["updated"] == ["alias", "password"]
    got = await ok(client, "get_endpoint", {"endpoint_id": endpoint_id})
    assert got["alias"] == "Alice"
    for answer in (created, got, listed, upd):
        assert PASSWORD not in json.dumps(answer) and "n3w-pass" not in json.dumps(answer)


async def test_endpoint_bad_input(client, sb):
    count = sb.request_count
    error = await err(client, "create_endpoint", {"username": "1abc", "password": "longenough", "alias": "x"})
    assert error["parameter"] == "username"
    error = await err(client, "create_endpoint", {"username": "abc", "password": "shrt", "alias": "x"})
    assert error["parameter"] == "password" and "shrt" not in json.dumps(error)
    error = await err(client, "update_endpoint", {"endpoint_id": "123"})
    assert error["parameter"] == "alias"
    assert sb.request_count == count
    error = await err(client, "get_endpoint", {"endpoint_id": "99999999999999"})
    assert error["code"] == "not_found"


async def test_delete_endpoint_only_previews_without_confirmation(client, sb):
    endpoint_id = sb.store.create_endpoint(sb.auth_id, "bob", "password1", "Bob")
    before = sb.store.snapshot()
    is_error, data = await call(client, "delete_endpoint", {"endpoint_id": endpoint_id})
    assert not is_error and data["status"] == "confirmation_required" and sb.store.snapshot() == before
