"""Raw HTTP behaviour: status codes, error bodies, parameter parsing, fixture key sets, no partial writes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from plivo_mcp.sandbox import Sandbox
from tests.conftest import FIXTURES_DIR


def _keys(name: str) -> set[str]:
    path = Path(FIXTURES_DIR) / name
    if not path.exists():
        pytest.skip(f"Plivo fixtures not found at {FIXTURES_DIR} (expected ../shared/plivo-api/fixtures)")
    return set(json.loads(path.read_text()))


def _obj_keys(name: str) -> set[str]:
    path = Path(FIXTURES_DIR) / name
    if not path.exists():
        pytest.skip(f"Plivo fixtures not found at {FIXTURES_DIR} (expected ../shared/plivo-api/fixtures)")
    return set(json.loads(path.read_text())["objects"][0])


def test_bodies_carry_fixture_keys(sb: Sandbox, http_for) -> None:
    api = http_for(sb)
    checks: list[tuple[str, httpx.Response]] = []
    checks.append(("accountGetResponse.json", api.get("/")))
    checks.append(("accountUpdateResponse.json", api.post("/", json={"name": "X"})))
    r = api.post("/Subaccount/", json={"name": "sub"})
    checks.append(("subaccountCreateResponse.json", r))
    sa = r.json()["auth_id"]
    checks.append(("subaccountGetResponse.json", api.get(f"/Subaccount/{sa}/")))
    checks.append(("subaccountUpdateResponse.json", api.post(f"/Subaccount/{sa}/", json={"name": "sub2"})))
    r = api.post("/Application/", json={"app_name": "a", "answer_url": "https://example.com/a"})
    checks.append(("applicationCreateResponse.json", r))
    app_id = r.json()["app_id"]
    checks.append(("applicationGetResponse.json", api.get(f"/Application/{app_id}/")))
    checks.append(("applicationModifyResponse.json",
                   api.post(f"/Application/{app_id}/", json={"answer_url": "https://example.com/b"})))
    r = api.post("/Endpoint/", json={"username": "zumba", "password": "secret1", "alias": "zumba"})
    checks.append(("endpointCreateResponse.json", r))
    ep = r.json()["endpoint_id"]
    checks.append(("endpointGetResponse.json", api.get(f"/Endpoint/{ep}/")))
    checks.append(("endpointUpdateResponse.json", api.post(f"/Endpoint/{ep}/", json={"alias": "z"})))
    search = api.get("/PhoneNumber/", params={"country_iso": "US"})
    number = search.json()["objects"][0]["number"]
    checks.append(("phoneNumberCreateResponse.json", api.post(f"/PhoneNumber/{number}/", json={})))
    checks.append(("numberGetResponse.json", api.get(f"/Number/{number}/")))
    checks.append(("numberUpdateResponse.json", api.post(f"/Number/{number}/", json={"alias": "x"})))
    checks.append(("pricingGetResponse.json", api.get("/Pricing/", params={"country_iso": "US"})))
    for fixture, resp in checks:
        assert resp.status_code < 300, (fixture, resp.text)
        missing = _keys(fixture) - set(resp.json())
        assert not missing, (fixture, missing)

    lists = [("subaccountListResponse.json", "/Subaccount/", {}),
             ("applicationListResponse.json", "/Application/", {}),
             ("endpointListResponse.json", "/Endpoint/", {}),
             ("numberListResponse.json", "/Number/", {}),
             ("phoneNumberListResponse.json", "/PhoneNumber/", {"country_iso": "US"})]
    for fixture, path, params in lists:
        body = api.get(path, params=params).json()
        assert set(body) >= _keys(fixture) and set(body["meta"]) == {"limit", "offset", "next", "previous",
                                                                        "total_count"}
        fixture_obj = _obj_keys(fixture) - {"prerequisites"}
        assert not fixture_obj - set(body["objects"][0]), fixture


def test_status_codes_and_error_shapes(sb: Sandbox, http_for) -> None:
    api = http_for(sb)
    r = api.put("/Application/")
    assert r.status_code == 405 and "error" in r.json() and "api_id" in r.json()
    r = api.delete("/Pricing/")
    assert r.status_code == 405
    r = api.get("/NoSuchThing/")
    assert r.status_code == 404 and r.json()["error"]
    r = api.get("/Application/123/")
    assert r.status_code == 404
    app = api.post("/Application/", json={"app_name": "x", "answer_url": "https://e.com/a"}).json()["app_id"]
    assert api.delete(f"/Application/{app}/").status_code == 204
    # without the trailing slash too
    assert api.get("/Application").status_code == 200
    r = httpx.get(f"{sb.base_url}/v1/Account/{sb.auth_id}/")
    assert r.status_code == 401 and r.json() == {"error": "authentication credentials were not provided"}
    r = httpx.get(f"{sb.base_url}/v1/Account/{sb.auth_id}/", auth=(sb.auth_id, "nope"))
    assert r.status_code == 401 and set(r.json()) == {"api_id", "error"}
    sa, tok = sb.store.create_subaccount(sb.auth_id, "s")
    r = httpx.get(f"{sb.base_url}/v1/Account/{sb.auth_id}/", auth=(sa, tok))
    assert r.status_code == 401  # path id must be the authenticated account


@pytest.mark.parametrize(("method", "path", "kwargs", "needle"), [
    ("POST", "/Application/", {"json": {"answer_url": "https://e.com/a"}}, "app_name"),
    ("POST", "/Application/", {"json": {"app_name": "ok", "answer_url": "ftp://e.com"}}, "answer_url"),
    ("POST", "/Application/", {"json": {"app_name": "ok", "answer_url": "https://e.com",
                                        "answer_method": "PUT"}}, "answer_method"),
    ("POST", "/Application/", {"json": {"app_name": "ok", "answer_url": "https://e.com",
                                        "subaccount": "SAbad"}}, "subaccount"),
    ("POST", "/Application/", {"json": {"app_name": ["x"], "answer_url": "https://e.com"}}, "app_name"),
    ("POST", "/Application/", {"json": {"app_name": "ok", "answer_url": "https://e.com",
                                        "public_uri": "maybe"}}, "public_uri"),
    ("GET", "/Application/", {"params": {"limit": "21"}}, "limit"),
    ("GET", "/Application/", {"params": {"limit": "0"}}, "limit"),
    ("GET", "/Application/", {"params": {"limit": "abc"}}, "limit"),
    ("GET", "/Application/", {"params": {"offset": "-1"}}, "offset"),
    ("GET", "/Pricing/", {}, "country_iso"),
    ("GET", "/Pricing/", {"params": {"country_iso": "us"}}, "country_iso"),
    ("GET", "/PhoneNumber/", {}, "country_iso"),
    ("GET", "/PhoneNumber/", {"params": {"country_iso": "US", "type": "satellite"}}, "type"),
    ("POST", "/Subaccount/", {"content": b"{not json", "headers": {"content-type": "application/json"}}, "JSON"),
    ("POST", "/Subaccount/", {"json": [1, 2]}, "JSON"),
    ("POST", "/Subaccount/", {"json": {"name": "x", "enabled": 3}}, "enabled"),
    ("POST", "/Endpoint/", {"json": {"username": "bob", "alias": "b"}}, "password"),
])
def test_bad_input_is_400_naming_the_parameter_and_changes_nothing(
        sb: Sandbox, http_for, method: str, path: str, kwargs: dict, needle: str) -> None:
    api = http_for(sb)
    before = sb.store.snapshot()
    r = api.request(method, path, **kwargs)
    assert r.status_code == 400, r.text
    body = r.json()
    assert needle in body["error"] and "api_id" in body
    assert sb.store.snapshot() == before


def test_string_booleans_null_and_repeated_path_ids(sb: Sandbox, http_for) -> None:
    api = http_for(sb)
    r = api.post("/Subaccount/", json={"name": "s", "enabled": "TRUE"})
    sa = r.json()["auth_id"]
    assert api.get(f"/Subaccount/{sa}/").json()["enabled"] is True
    r = api.post(f"/Subaccount/{sa}/", json={"auth_id": sa, "subaccount": sa, "name": "t", "enabled": "false"})
    assert r.status_code == 202
    assert api.get(f"/Subaccount/{sa}/").json()["enabled"] is False
    # null means "not given", as plivo-python sends it for account update
    assert api.post("/", json={"name": "New", "city": None, "address": None, "auth_id": sb.auth_id}).status_code == 202
    acct = api.get("/").json()
    assert (acct["name"], acct["city"]) == ("New", "")
    r = api.post("/Application/", json={"app_name": "f", "answer_url": "https://e.com", "unknown_key": 1,
                                        "hangup_url": None})
    app_id = r.json()["app_id"]
    assert api.get(f"/Application/{app_id}/").json()["hangup_url"] == "https://e.com"
    assert api.post(f"/Application/{app_id}/", json={"app_id": app_id, "public_uri": "true"}).status_code == 202
    assert api.get(f"/Application/{app_id}/").json()["public_uri"] is True
    # form-encoded and query-string parameters for DELETE (clients differ)
    ep = sb.store.create_endpoint(sb.auth_id, "carol", "secret1", "Carol", app_id=app_id)
    assert api.delete(f"/Application/{app_id}/", params={"cascade": "false"}).status_code == 204
    assert api.get(f"/Endpoint/{ep}/").json()["application"] is None
    r = api.post("/Subaccount/", data={"name": "formed", "enabled": "true"})
    assert r.status_code == 201


def test_meta_links_preserve_filters(sb: Sandbox, http_for) -> None:
    for i in range(22):
        sb.store.create_application(sb.auth_id, f"pre{i}", "https://e.com")
    api = http_for(sb)
    body = api.get("/Application/", params={"app_name": "pre", "limit": 10, "offset": 10}).json()
    assert body["meta"]["next"] == f"/v1/Account/{sb.auth_id}/Application/?limit=10&offset=20&app_name=pre"
    assert body["meta"]["previous"] == f"/v1/Account/{sb.auth_id}/Application/?limit=10&offset=0&app_name=pre"
    nxt = api.get(body["meta"]["next"].split(f"/{sb.auth_id}", 1)[1]).json()
    assert len(nxt["objects"]) == 2 and nxt["meta"]["next"] is None


def test_default_apps(sb: Sandbox, http_for) -> None:
    api = http_for(sb)
    a = api.post("/Application/", json={"app_name": "a", "answer_url": "https://e.com",
                                        "default_endpoint_app": True, "default_number_app": "true"}).json()["app_id"]
    b = api.post("/Application/", json={"app_name": "b", "answer_url": "https://e.com",
                                        "default_number_app": True}).json()["app_id"]
    assert api.get(f"/Application/{a}/").json()["default_app"] is False  # cleared by b
    assert api.get(f"/Application/{b}/").json()["default_app"] is True
    ep = api.post("/Endpoint/", json={"username": "dee", "password": "secret1", "alias": "d"}).json()["endpoint_id"]
    assert api.get(f"/Endpoint/{ep}/").json()["application"].endswith(f"/Application/{a}/")


def test_rate_limit() -> None:
    with Sandbox(rate_limit=5, rate_window_s=60.0) as sb, httpx.Client(
            base_url=f"{sb.base_url}/v1/Account/{sb.auth_id}", auth=(sb.auth_id, sb.auth_token)) as api:
        codes = [api.get("/").status_code for _ in range(7)]
        assert codes == [200] * 5 + [429] * 2
        r = api.get("/")
        assert r.json()["error"] == "too many requests" and "api_id" in r.json()
