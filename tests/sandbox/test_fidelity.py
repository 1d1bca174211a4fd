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


# ---- 3. every search / list filter the SDKs send is applied (or refused by name) ----------------------------------

def _us_inventory(sb: Sandbox) -> list[dict]:
    return sb.store.search_inventory("US")


def test_phone_number_search_lata_rate_center_npanxx_local_calling_area(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    inventory = _us_inventory(sb)
    everything = client.numbers.search(country_iso="US").meta.total_count
    assert everything == len(inventory)

    by_lata = client.numbers.search(country_iso="US", lata=722)
    assert 0 < by_lata.meta.total_count < everything
    assert all(o.lata == 722 for o in by_lata.objects)

    by_rc = client.numbers.search(country_iso="US", rate_center="nwyrcyzn01")  # case does not matter
    assert 0 < by_rc.meta.total_count < everything
    assert all(o.rate_center == "NWYRCYZN01" for o in by_rc.objects)

    fixed_212 = next(i["number"] for i in inventory if i["number"].startswith("1212"))
    npanxx = fixed_212[1:7]
    exact = client.numbers.search(country_iso="US", npanxx=npanxx)
    want = sorted(i["number"] for i in inventory if i["number"][1:7] == npanxx)
    assert sorted(o.number for o in exact.objects) == want and fixed_212 in want

    # The local calling area of a New York NPANXX is its rate center: other exchanges, and the 332 mobiles.
    area = client.numbers.search(country_iso="US", npanxx=npanxx, local_calling_area=True)
    assert area.meta.total_count > exact.meta.total_count
    assert all(o.rate_center == "NWYRCYZN01" for o in area.objects)
    assert {o.number[1:4] for o in area.objects} == {"212", "332"}
    assert client.numbers.search(country_iso="US", npanxx=npanxx, local_calling_area=False).meta.total_count \
        == exact.meta.total_count


def test_phone_number_search_eligible(sb: Sandbox, plivo_for) -> None:
    # Every sandbox number is free of restrictions, so all are eligible; the value is still checked.
    client = plivo_for(sb)
    found = client.numbers.search(country_iso="US", eligible=True)
    assert found.meta.total_count == len(_us_inventory(sb))
    assert all(o.restriction is None for o in found.objects)


@pytest.mark.parametrize(("params", "needle"), [
    ({"lata": "abc"}, "lata"),
    ({"npanxx": "41"}, "npanxx"),
    ({"npanxx": "4155551"}, "npanxx"),
    ({"local_calling_area": "true"}, "local_calling_area"),
    ({"npanxx": "415555", "local_calling_area": "maybe"}, "local_calling_area"),
    ({"country_iso": "GB", "npanxx": "207946"}, "npanxx"),
    ({"eligible": "perhaps"}, "eligible"),
])
def test_phone_number_search_bad_filters_are_400(sb: Sandbox, http_for, params: dict, needle: str) -> None:
    r = http_for(sb).get("/PhoneNumber/", params={"country_iso": "US", **params})
    assert r.status_code == 400 and needle in r.json()["error"], r.text


def _rent_mix(sb: Sandbox) -> dict[str, str]:
    inventory = sb.store.search_inventory("US")
    pick = {kind: next(i["number"] for i in inventory if i["type"] == kind) for kind in ("fixed", "tollfree", "mobile")}
    numbers = {kind: sb.store.rent_number(sb.auth_id, number) for kind, number in pick.items()}
    numbers["gb"] = sb.store.rent_number(sb.auth_id, country_iso="GB")
    return numbers


def test_number_list_status_filters(sb: Sandbox, plivo_for, http_for) -> None:
    client = plivo_for(sb)
    n = _rent_mix(sb)

    def listed(**filters: object) -> set[str]:
        return {o.number for o in client.numbers.list(**filters)}

    assert listed() == set(n.values())
    # CNAM lookup is a setting of US local and toll-free numbers only (null elsewhere).
    assert listed(cnam_lookup="disabled") == {n["fixed"], n["tollfree"]}
    assert listed(cnam_lookup="enabled") == set()
    # 10DLC registration concerns SMS-enabled US local numbers; none is linked to a campaign in the sandbox.
    assert listed(tendlc_registration_status="unregistered") == {n["fixed"]}
    assert listed(tendlc_registration_status="registered") == set()
    assert listed(tendlc_registration_status="in_progress") == set()
    assert listed(tendlc_campaign_id="CMPAIGN1") == set()
    # Toll-free SMS verification concerns SMS-enabled US/CA toll-free numbers.
    assert listed(toll_free_sms_verification="unverified") == {n["tollfree"]}
    assert listed(toll_free_sms_verification="verified") == set()
    got = {o.number: o for o in client.numbers.list()}
    assert got[n["tollfree"]].tendlc_registration_status is None
    assert got[n["tollfree"]].toll_free_sms_verification == "UNVERIFIED"
    assert got[n["fixed"]].toll_free_sms_verification is None
    assert got[n["gb"]].cnam_lookup is None and got[n["mobile"]].cnam_lookup is None

    api = http_for(sb)
    # plivo-go filters the type as number_type.
    r = api.get("/Number/", params={"number_type": "tollfree"})
    assert [o["number"] for o in r.json()["objects"]] == [n["tollfree"]]
    r = api.get("/Number/", params={"number_type": "local", "limit": 1})
    assert r.json()["meta"]["total_count"] == 2 and "number_type=local" in r.json()["meta"]["next"]


@pytest.mark.parametrize(("params", "needle"), [
    ({"number_type": "satellite"}, "number_type"),
    ({"cnam_lookup": "on"}, "cnam_lookup"),
    ({"tendlc_registration_status": "done"}, "tendlc_registration_status"),
    ({"toll_free_sms_verification": "yes"}, "toll_free_sms_verification"),
    ({"toll_free_sms_verification_order_status": "APPROVED"}, "toll_free_sms_verification_order_status"),
    ({"cnam": "ACME"}, "cnam"),
])
def test_number_list_bad_or_unsupported_filters_are_400(sb: Sandbox, http_for, params: dict, needle: str) -> None:
    sb.store.rent_number(sb.auth_id)
    r = http_for(sb).get("/Number/", params=params)
    assert r.status_code == 400 and needle in r.json()["error"], r.text
