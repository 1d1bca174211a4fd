"""What the official SDKs send and ask for, done by the sandbox: bodies, names, filters, settings, money, SIP."""

from __future__ import annotations

import pytest

from plivo_mcp.sandbox import Sandbox

# ---- 1. a DELETE body of JSON "" or null means "no parameters" ---------------------------------------------------


@pytest.mark.parametrize("body", [b'""', b"null", b"", b"{}", b" null \n"])
def test_delete_with_empty_json_body_is_no_parameters(sb: Sandbox, http_for, body: bytes) -> None:
    # plivo-go sends json.Marshal(nil) ("null") when a DELETE has no parameters, e.g. to unrent a number.
    api = http_for(sb)
    number = sb.store.rent_number(sb.auth_id)
    r = api.request("DELETE", f"/Number/{number}/", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 204, r.text
    assert sb.store.get_number([sb.auth_id], number) is None
    # ...and on a DELETE whose defaults matter: an Application's cascade stays true.
    app_id = sb.store.create_application(sb.auth_id, "gone", "https://example.com/a")
    ep = sb.store.create_endpoint(sb.auth_id, "dora", "secret1", "Dora", app_id=app_id)
    r = api.request("DELETE", f"/Application/{app_id}/", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 204, r.text
    assert sb.store.get_endpoint([sb.auth_id], ep) is None


@pytest.mark.parametrize("body", [b"[]", b'"x"', b"3", b"true"])
def test_other_non_object_bodies_still_400(sb: Sandbox, http_for, body: bytes) -> None:
    api = http_for(sb)
    number = sb.store.rent_number(sb.auth_id)
    before = sb.store.snapshot()
    r = api.request("DELETE", f"/Number/{number}/", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "JSON body must be an object" in r.json()["error"]
    assert sb.store.snapshot() == before


def test_empty_callback_fields_mean_no_callback(sb: Sandbox, http_for) -> None:
    # plivo-go's NumberUpdateParams and PhoneNumberCreateParams carry callback_url/callback_method without
    # omitempty, so every update and buy from it sends them as "".
    api = http_for(sb)
    number = sb.store.rent_number(sb.auth_id)
    r = api.post(f"/Number/{number}/", json={"alias": "desk", "callback_url": "", "callback_method": ""})
    assert r.status_code == 202, r.text
    assert sb.store.get_number([sb.auth_id], number)["alias"] == "desk"
    r = api.post(f"/Number/{number}/", json={"alias": "x", "callback_url": "", "callback_method": "PUT"})
    assert r.status_code == 400 and "callback_method" in r.json()["error"]
