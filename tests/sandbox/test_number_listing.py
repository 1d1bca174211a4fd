"""Listing numbers: every filter keeps exactly the numbers whose shown values match it, pages come out newest
first, and a page reads only its own rows (listing cost does not grow with the account's numbers)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plivo_mcp.sandbox import Sandbox

# What each `type` / `number_type` filter value keeps, by the number_type a Number shows.
SHOWN_TYPE = {"fixed": "local", "local": "local", "mobile": "mobile", "tollfree": "tollfree", "national": "national"}
# Documented filter values -> the value a Number shows.
TENDLC = {"unregistered": "UNREGISTERED", "in_progress": "PROCESSING", "registered": "COMPLETED"}
TF_VERIFICATION = {"unverified": "UNVERIFIED", "pending_verification": "PENDING_VERIFICATION", "verified": "VERIFIED"}
ALIASES = ("Front Desk", "front desk", "Ünïcode Désk", "ÜNÏCODE DÉSK", "", None)
RENEWALS = ("2024-03-01", "2024-03-15", "2024-04-01")


def _all_pages(api: Any, params: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    objects: list[dict[str, Any]] = []
    total = -1
    while True:
        r = api.get("/Number/", params={**params, "limit": 20, "offset": len(objects)})
        assert r.status_code == 200, r.text
        body = r.json()
        total = body["meta"]["total_count"]
        objects += body["objects"]
        if body["meta"]["next"] is None:
            return objects, total


def _shown_filter(objects: list[dict[str, Any]], params: dict[str, Any], sub_uri: str) -> list[dict[str, Any]]:
    """The filter as the API documents it, applied to the Number objects as shown."""
    keep = objects
    for name in ("type", "number_type"):
        if params.get(name):
            keep = [o for o in keep if o["number_type"] == SHOWN_TYPE[params[name].lower()]]
    if params.get("number_startswith"):
        keep = [o for o in keep if o["number"].startswith(params["number_startswith"])]
    if "alias" in params:
        keep = [o for o in keep if (o["alias"] or "").lower() == params["alias"].lower()]
    for service in filter(None, (params.get("services") or "").split(",")):
        keep = [o for o in keep if o[f"{service}_enabled"]]
    ops = {"": str.__eq__, "__lt": str.__lt__, "__lte": str.__le__, "__gt": str.__gt__, "__gte": str.__ge__}
    for suffix, op in ops.items():
        if f"renewal_date{suffix}" in params:
            keep = [o for o in keep if op(o["renewal_date"], params[f"renewal_date{suffix}"])]
    if params.get("cnam_lookup"):
        keep = [o for o in keep if o["cnam_lookup"] == params["cnam_lookup"].lower()]
    if params.get("tendlc_registration_status"):
        keep = [o for o in keep if o["tendlc_registration_status"] == TENDLC[params["tendlc_registration_status"]]]
    if params.get("tendlc_campaign_id"):
        keep = [o for o in keep if o["tendlc_campaign_id"] == params["tendlc_campaign_id"]]
    if params.get("toll_free_sms_verification"):
        keep = [o for o in keep
                if o["toll_free_sms_verification"] == TF_VERIFICATION[params["toll_free_sms_verification"]]]
    if params.get("subaccount"):
        keep = [o for o in keep if o["sub_account"] == sub_uri]
    return keep


@pytest.fixture
def stocked(sb: Sandbox, http_for) -> tuple[Sandbox, str]:
    """Every number of the inventory rented, some by a subaccount, with a spread of aliases, renewal dates and
    CNAM lookup settings."""
    sa, _ = sb.store.create_subaccount(sb.auth_id, "branch")
    items = [i for iso in ("US", "GB", "IN", "CA", "AU") for i in sb.store.search_inventory(iso)]
    numbers = [i["number"] for i in items]
    api = http_for(sb)
    for k, item in enumerate(items):
        sb.store.rent_number(sa if k % 5 == 0 else sb.auth_id, item["number"], alias=ALIASES[k % len(ALIASES)])
        if k % 3 == 0 and item["country_iso"] == "US" and item["type"] in ("fixed", "tollfree"):
            assert api.post(f"/Number/{item['number']}/", json={"cnam_lookup": "enabled"}).status_code == 202
    with sb.store._tx() as c:  # test set-up: renewal dates no API call sets
        for k, number in enumerate(numbers):
            c.execute("UPDATE numbers SET renewal_date=? WHERE number=?", (RENEWALS[k % len(RENEWALS)], number))
    return sb, sa


FILTERS: list[dict[str, Any]] = [
    {}, {"type": "local"}, {"type": "LOCAL"}, {"type": "fixed"}, {"type": "mobile"}, {"type": "tollfree"},
    {"type": "national"}, {"number_type": "tollfree"}, {"type": "local", "number_type": "mobile"},
    {"number_startswith": "1"}, {"number_startswith": "44"}, {"number_startswith": "1415"},
    {"number_startswith": ""}, {"alias": "front desk"}, {"alias": "FRONT DESK"}, {"alias": "ünïcode désk"},
    {"alias": ""}, {"services": "sms"}, {"services": "voice,mms"}, {"services": "mms,sms"},
    {"renewal_date": "2024-03-15"}, {"renewal_date__lt": "2024-03-15"}, {"renewal_date__lte": "2024-03-15"},
    {"renewal_date__gt": "2024-03-15"}, {"renewal_date__gte": "2024-03-15"},
    {"renewal_date__gt": "2024-03-01", "renewal_date__lt": "2024-04-01"},
    {"cnam_lookup": "enabled"}, {"cnam_lookup": "disabled"}, {"cnam_lookup": "ENABLED"},
    {"tendlc_registration_status": "unregistered"}, {"tendlc_registration_status": "registered"},
    {"tendlc_registration_status": "in_progress"}, {"tendlc_campaign_id": "CMPAIGN1"},
    {"toll_free_sms_verification": "unverified"}, {"toll_free_sms_verification": "verified"},
    {"toll_free_sms_verification": "pending_verification"}, {"subaccount": "SUB"},
    {"subaccount": "SUB", "type": "local", "services": "sms"},
    {"type": "tollfree", "services": "sms", "cnam_lookup": "disabled", "renewal_date__gte": "2024-03-15"},
]


def test_every_filter_keeps_the_numbers_whose_shown_values_match(stocked: tuple[Sandbox, str], http_for) -> None:
    sb, sa = stocked
    api = http_for(sb)
    everything, total = _all_pages(api, {})
    assert total == len(everything) > 80
    assert len({o["number"] for o in everything}) == total
    sub_uri = f"/v1/Account/{sb.auth_id}/Subaccount/{sa}/"
    for params in FILTERS:
        params = {k: sa if v == "SUB" else v for k, v in params.items()}
        got, total = _all_pages(api, params)
        expected = _shown_filter(everything, params, sub_uri)
        assert [o["number"] for o in got] == [o["number"] for o in expected], params
        assert total == len(expected), params
    # The filters that pick something are not all empty (the cases above are not vacuous).
    assert _all_pages(api, {"cnam_lookup": "enabled"})[1] > 0
    assert _all_pages(api, {"alias": "ünïcode désk"})[1] > 0


def test_numbers_are_listed_newest_first(sb: Sandbox, http_for) -> None:
    rented = [sb.store.rent_number(sb.auth_id) for _ in range(25)]
    objects, total = _all_pages(http_for(sb), {})
    assert total == 25 and [o["number"] for o in objects] == rented[::-1]


def test_a_page_of_numbers_decodes_only_its_own_rows(sb: Sandbox, http_for,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    template = sb.store.search_inventory("US")[0]
    numbers = [f"1555{i:07d}" for i in range(300)]
    with sb.store._tx() as c:  # test set-up: more numbers on sale than the seeded inventory holds
        for number in numbers:
            c.execute("INSERT INTO inventory(number, country_iso, data) VALUES (?,?,?)",
                      (number, "US", json.dumps({**template, "number": number})))
    for number in numbers:
        sb.store.rent_number(sb.auth_id, number)
    decoded: list[str] = []
    real_loads = json.loads

    def counting_loads(text: Any, *args: Any, **kwargs: Any) -> Any:
        value = real_loads(text, *args, **kwargs)
        if isinstance(value, dict) and "country_iso" in value and "number" in value:
            decoded.append(value["number"])  # a number's stored inventory data
        return value

    monkeypatch.setattr(json, "loads", counting_loads)
    r = http_for(sb).get("/Number/", params={"limit": 20, "offset": 100, "services": "voice"})
    assert r.status_code == 200 and r.json()["meta"]["total_count"] == 300
    assert [o["number"] for o in r.json()["objects"]] == numbers[::-1][100:120]
    assert len(decoded) <= 20, f"{len(decoded)} rows decoded for a page of 20"
