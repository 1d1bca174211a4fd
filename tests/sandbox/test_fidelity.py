"""What the official SDKs send and ask for, done by the sandbox: bodies, names, filters, settings, money, SIP."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import httpx
import pytest
from plivo import exceptions

from plivo_mcp.sandbox import Sandbox
from plivo_mcp.sandbox.store import one_month_after

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


# ---- 4. cnam_lookup and ha_enable are stored, shown and checked ---------------------------------------------------

def _first(sb: Sandbox, iso: str, kind: str) -> str:
    return next(i["number"] for i in sb.store.search_inventory(iso) if i["type"] == kind)


def test_cnam_lookup_on_buy_and_update(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    local, tollfree = _first(sb, "US", "fixed"), _first(sb, "US", "tollfree")
    client.numbers.buy(local, cnam_lookup="enabled")
    client.numbers.buy(tollfree)
    assert client.numbers.get(local).cnam_lookup == "enabled"
    assert client.numbers.get(tollfree).cnam_lookup == "disabled"
    assert [o.number for o in client.numbers.list(cnam_lookup="enabled")] == [local]

    assert client.numbers.update(tollfree, cnam_lookup="enabled").message == "changed"
    assert client.numbers.update(local, cnam_lookup="disabled").message == "changed"
    assert client.numbers.get(tollfree).cnam_lookup == "enabled"
    assert client.numbers.get(local).cnam_lookup == "disabled"


def test_cnam_lookup_refused_by_name_where_it_does_not_apply(sb: Sandbox, plivo_for, http_for) -> None:
    client = plivo_for(sb)
    gb = sb.store.rent_number(sb.auth_id, country_iso="GB")
    local = sb.store.rent_number(sb.auth_id, _first(sb, "US", "fixed"))
    for_sale_gb = sb.store.search_inventory("GB")[0]["number"]
    before = sb.store.snapshot()
    with pytest.raises(exceptions.ValidationError, match="cnam_lookup"):
        client.numbers.update(gb, cnam_lookup="enabled")
    with pytest.raises(exceptions.ValidationError, match="cnam_lookup"):
        client.numbers.update(local, cnam_lookup="on")
    with pytest.raises(exceptions.ValidationError, match="cnam_lookup"):
        client.numbers.buy(for_sale_gb, cnam_lookup="enabled")
    with pytest.raises(exceptions.ValidationError, match="cnam_lookup"):
        client.numbers.buy(_first(sb, "US", "fixed"), cnam_lookup="yes")
    r = http_for(sb).post(f"/Number/{local}/", json={"cnam": "ACME"})  # plivo-go's caller-ID name
    assert r.status_code == 400 and "cnam" in r.json()["error"]
    assert sb.store.snapshot() == before


def test_ha_enable_reserves_a_fallback_number(sb: Sandbox, plivo_for, http_for) -> None:
    client = plivo_for(sb)
    number = _first(sb, "US", "fixed")
    bought = client.numbers.buy(number, ha_enable=True)
    fallback = bought.numbers[0].fallback_number
    assert fallback and fallback != number and fallback[:4] == number[:4]  # same area code, as in the fixture
    got = client.numbers.get(number)
    assert got.ha_enabled is True and got.fallback_number == fallback
    # The fallback is held for this number: no longer for sale, not a second rented number.
    assert fallback not in {o.number for o in client.numbers.search(country_iso="US", pattern=number[1:4])}
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.numbers.buy(fallback)
    assert [o.number for o in client.numbers.list()] == [number]
    # Without ha_enable there is no fallback.
    plain = client.numbers.buy(_first(sb, "US", "tollfree"))
    assert "fallback_number" not in plain.numbers[0].__dict__
    assert client.numbers.get(plain.numbers[0].number).ha_enabled is False
    # Unrenting releases the fallback too.
    client.numbers.delete(number)
    assert fallback in {o.number for o in client.numbers.search(country_iso="US", pattern=number[1:4])}

    before = sb.store.snapshot()
    r = http_for(sb).post(f"/PhoneNumber/{_first(sb, 'US', 'fixed')}/", json={"ha_enable": "sometimes"})
    assert r.status_code == 400 and "ha_enable" in r.json()["error"]
    assert sb.store.snapshot() == before


def test_ha_enable_without_a_spare_number_changes_nothing(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    tollfree = [i["number"] for i in sb.store.search_inventory("GB") if i["type"] == "tollfree"]
    assert len(tollfree) == 1  # GB has one toll-free number for sale: nothing to fall back on
    before = sb.store.snapshot()
    with pytest.raises(exceptions.ValidationError, match="ha_enable"):
        client.numbers.buy(tollfree[0], ha_enable=True)
    assert sb.store.snapshot() == before


def test_a_database_from_an_older_sandbox_gains_the_new_columns(tmp_path, plivo_for) -> None:
    db = str(tmp_path / "old.db")
    with Sandbox(db=db) as old:
        number = old.store.rent_number(old.auth_id, _first(old, "US", "fixed"))
    old.store.close()
    conn = sqlite3.connect(db)  # undo the columns to get the layout an older sandbox wrote
    for table, column in (("numbers", "cnam_lookup"), ("numbers", "ha_enabled"), ("numbers", "fallback_number"),
                          ("inventory", "reserved_for")):
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.commit()
    conn.close()
    with Sandbox(db=db) as sb:
        client = plivo_for(sb)
        got = client.numbers.get(number)
        assert (got.cnam_lookup, got.ha_enabled, got.fallback_number) == ("disabled", False, None)
        assert client.numbers.buy(_first(sb, "US", "fixed"), ha_enable=True).numbers[0].fallback_number
    sb.store.close()


# ---- 5. buying costs money; renewal is the same day next month, by the sandbox's clock --------------------------

@pytest.mark.parametrize(("day", "renews"), [
    ("2023-01-31", "2023-02-28"), ("2024-01-31", "2024-02-29"), ("2024-01-30", "2024-02-29"),
    ("2024-01-29", "2024-02-29"), ("2024-01-28", "2024-02-28"), ("2024-02-29", "2024-03-29"),
    ("2023-03-31", "2023-04-30"), ("2023-08-31", "2023-09-30"), ("2023-12-31", "2024-01-31"),
    ("2023-12-01", "2024-01-01"), ("2023-06-15", "2023-07-15"), ("1900-01-31", "1900-02-28"),
    ("2000-01-31", "2000-02-29"), ("2023-10-31", "2023-11-30"),
])
def test_one_month_after(day: str, renews: str) -> None:
    assert one_month_after(dt.date.fromisoformat(day)) == dt.date.fromisoformat(renews)


def test_buying_dates_come_from_the_sandbox_clock(plivo_for) -> None:
    with Sandbox(clock=lambda: dt.datetime(2024, 1, 31, 23, 59, 59)) as sb:
        client = plivo_for(sb)
        number = _first(sb, "US", "fixed")
        client.numbers.buy(number)
        got = client.numbers.get(number)
        assert (got.added_on, got.renewal_date) == ("2024-01-31", "2024-02-29")
        sa = client.subaccounts.create(name="dated").auth_id
        assert client.subaccounts.get(sa).created == "2024-01-31"


def _cash(client: Any) -> str:
    return client.account.get().cash_credits


def test_buying_takes_setup_fee_and_first_rental_from_main_account_credits(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    assert _cash(client) == "250.00000"
    local = _first(sb, "US", "fixed")  # 0.80000 a month, no setup fee
    client.numbers.buy(local)
    assert _cash(client) == "249.20000"
    # A setup fee is charged on top of the first month's rental.
    tollfree = _first(sb, "US", "tollfree")
    with sb.store._tx() as c:  # test set-up: give this number a setup fee
        c.execute("UPDATE inventory SET data=json_set(data, '$.setup_rate', '2.50000') WHERE number=?", (tollfree,))
    client.numbers.buy(tollfree)
    assert _cash(client) == "245.70000"  # 249.20 - (2.50 + 1.00)
    # A subaccount's purchase is billed to its main account.
    sa, token = sb.store.create_subaccount(sb.auth_id, "buyer")
    plivo_for(sb, sa, token).numbers.buy(_first(sb, "US", "fixed"))
    assert _cash(client) == "244.90000"
    assert _cash(plivo_for(sb, sa, token)) == "244.90000"


def test_buying_without_enough_credit_is_refused_and_changes_nothing(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    sb.store.update_account(sb.auth_id, {"cash_credits": "0.50000"})
    before = sb.store.snapshot()
    with pytest.raises(exceptions.ValidationError, match="insufficient cash credits"):
        client.numbers.buy(_first(sb, "US", "fixed"))
    assert sb.store.snapshot() == before
    sb.store.update_account(sb.auth_id, {"cash_credits": "0.80000"})  # exactly enough
    client.numbers.buy(_first(sb, "US", "fixed"))
    assert _cash(client) == "0.00000"


# ---- 6. SIP registration, set through the sandbox's admin path ----------------------------------------------------

class _Clock:
    def __init__(self) -> None:
            self.now = dt.datetime(2024, 5, 1, 12, 0, 0)

    def __call__(self) -> dt.datetime:
        return self.now


def _admin(sb: Sandbox, endpoint_id: str, action: str, auth: tuple[str, str] | None = None,
           **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{sb.base_url}/sandbox/endpoints/{endpoint_id}/{action}",
                      auth=auth or (sb.auth_id, sb.auth_token), timeout=10, **kwargs)


def test_registered_endpoint_shows_its_sip_registration(plivo_for) -> None:
    clock = _Clock()
    with Sandbox(clock=clock) as sb:
        client = plivo_for(sb)
        ep = client.endpoints.create(username="callme", password="secret1", alias="callme").endpoint_id
        r = _admin(sb, ep, "register", json={"contact": "sip:callme@122.172.71.207:57563;ob",
                                              "user_agent": "Telephone 1.1.4", "expires": 600})
        assert r.status_code == 200, r.text
        got = client.endpoints.get(ep)
        assert got.sip_registered == "true"
        assert got.sip_contact == "sip:callme@122.172.71.207:57563;ob"
        assert got.sip_user_agent == "Telephone 1.1.4"
        assert got.sip_expires == "2024-05-01 12:10:00"  # the fixture's "YYYY-MM-DD HH:MM:SS"
        assert [e.sip_registered for e in client.endpoints.list()] == ["true"]

        # A registration lapses when it expires...
        clock.now += dt.timedelta(seconds=601)
        lapsed = client.endpoints.get(ep)
        assert (lapsed.sip_registered, lapsed.sip_contact, lapsed.sip_expires) == ("false", None, None)
        # ...and ends when unregistered. Defaults: a contact on loopback, an hour, the sandbox as user agent.
        assert _admin(sb, ep, "register").status_code == 200
        got = client.endpoints.get(ep)
        assert got.sip_registered == "true" and got.sip_contact.startswith(f"sip:{got.username}@")
        assert got.sip_expires == "2024-05-01 13:10:01"
        assert _admin(sb, ep, "unregister").status_code == 200
        got = client.endpoints.get(ep)
        assert (got.sip_registered, got.sip_contact, got.sip_user_agent) == ("false", None, None)


def test_admin_registration_is_checked_and_scoped(sb: Sandbox, plivo_for) -> None:
    sa, token = sb.store.create_subaccount(sb.auth_id, "other")
    ep = sb.store.create_endpoint(sb.auth_id, "zed", "secret1", "Zed")
    before = sb.store.snapshot()
    for body, needle in (({"contact": "http://x"}, "contact"), ({"contact": "sip:a b@c"}, "contact"),
                         ({"expires": 0}, "expires"), ({"expires": 86401}, "expires"), ({"expires": "soon"}, "expires"),
                         ({"user_agent": "bad\x07agent"}, "user_agent"), ({"user_agent": "x" * 256}, "user_agent")):
        r = _admin(sb, ep, "register", json=body)
        assert r.status_code == 400 and needle in r.json()["error"], (body, r.text)
    # Another account's endpoint is not there for it; no credentials is 401; only POST; only known actions.
    assert _admin(sb, ep, "register", auth=(sa, token)).status_code == 404
    assert httpx.post(f"{sb.base_url}/sandbox/endpoints/{ep}/register", timeout=10).status_code == 401
    r = httpx.get(f"{sb.base_url}/sandbox/endpoints/{ep}/register", auth=(sb.auth_id, sb.auth_token), timeout=10)
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert _admin(sb, ep, "reboot").status_code == 404
    assert sb.store.snapshot() == before
    # The fault plan stands for Plivo's API: the admin path neither consumes nor suffers a fault.
    sb.faults.push_statuses([503], methods={"POST"})
    assert _admin(sb, ep, "register").status_code == 200
    assert sb.faults.pending == 1
    sb.faults.clear()
    assert plivo_for(sb).endpoints.get(ep).sip_registered == "true"


@pytest.mark.anyio
async def test_admin_path_refuses_non_loopback_clients(sb: Sandbox) -> None:
    ep = sb.store.create_endpoint(sb.auth_id, "far", "secret1", "Far")
    # Only an in-process transport can present a remote client address to the app (the sandbox binds loopback).
    transport = httpx.ASGITransport(app=sb.app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as remote:
        r = await remote.post(f"/sandbox/endpoints/{ep}/register", auth=(sb.auth_id, sb.auth_token))
    assert r.status_code == 403 and "loopback" in r.json()["error"]
    assert sb.store.get_endpoint([sb.auth_id], ep)["sip_contact"] is None
