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


# ---- 2. app_name: 1..200 characters, not blank, no control/format characters ------------------------------------

_GOOD_NAMES = ["Test Application", "Demo Conference", "0.8522478089992022", "Café line ☎", "x" * 200, "a"]
_BAD_NAMES = ["", "   ", "x" * 201, "tab\tname", "new\nline", "nul\x00", "zero\u200bwidth", "bidi\u202eflip"]


def test_app_names_the_api_accepts_are_accepted(sb: Sandbox, plivo_for, http_for) -> None:
    client = plivo_for(sb)
    for name in _GOOD_NAMES:
        created = client.applications.create(app_name=name, answer_url="https://example.com/a")
        assert client.applications.get(created.app_id).app_name == name
    # plivo-python's update does not send app_name; other clients do.
    api = http_for(sb)
    r = api.post(f"/Application/{created.app_id}/", json={"app_name": "Renamed Application"})
    assert r.status_code == 202, r.text
    assert client.applications.get(created.app_id).app_name == "Renamed Application"


@pytest.mark.parametrize("name", _BAD_NAMES)
def test_bad_app_names_are_400_naming_app_name(sb: Sandbox, plivo_for, http_for, name: str) -> None:
    from plivo import exceptions

    client = plivo_for(sb)
    app_id = sb.store.create_application(sb.auth_id, "keep", "https://example.com/a")
    before = sb.store.snapshot()
    with pytest.raises(exceptions.ValidationError, match="app_name"):
        client.applications.create(app_name=name, answer_url="https://example.com/a")
    r = http_for(sb).post(f"/Application/{app_id}/", json={"app_name": name})
    assert r.status_code == 400 and "app_name" in r.json()["error"], r.text
    assert sb.store.snapshot() == before
