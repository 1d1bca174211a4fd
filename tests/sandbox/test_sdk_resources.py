"""Application, Endpoint, Number, PhoneNumber and Pricing through the official plivo SDK."""

from __future__ import annotations

import pytest
from plivo import exceptions

from plivo_mcp.sandbox import Sandbox


def test_application_crud_and_filters(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    sa, _ = sb.store.create_subaccount(sb.auth_id, "apps")
    created = client.applications.create(app_name="support-line", answer_url="https://example.com/answer")
    assert created.message == "created" and len(created.app_id) == 17 and created.app_id.isdigit()
    app = client.applications.get(created.app_id)
    assert app.app_name == "support-line"
    assert app.hangup_url == "https://example.com/answer"  # defaults to answer_url
    assert app.sip_uri == f"sip:{created.app_id}@app.plivo.com"
    assert app.sub_account is None and app.answer_method == "POST"
    client.applications.create(app_name="support_sub", answer_url="https://example.com/a", subaccount=sa)
    client.applications.create(app_name="billing", answer_url="http://example.com/b", answer_method="GET")

    assert client.applications.update(created.app_id, answer_url="https://example.com/v2",
                                      answer_method="GET").message == "changed"
    app = client.applications.get(created.app_id)
    assert (app.answer_url, app.answer_method) == ("https://example.com/v2", "GET")

    names = [a.app_name for a in client.applications.list()]
    assert names == ["billing", "support_sub", "support-line"]  # newest first
    assert [a.app_name for a in client.applications.list(app_name="support")] == ["support_sub", "support-line"]
    by_sub = client.applications.list(subaccount=sa)
    assert [a.app_name for a in by_sub] == ["support_sub"]
    assert by_sub[0].sub_account == f"/v1/Account/{sb.auth_id}/Subaccount/{sa}/"

    with pytest.raises(exceptions.ValidationError):
        client.applications.create(app_name="bad\tname", answer_url="https://example.com/a")
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.applications.get("99999999999999999")


def _app_with_endpoints(sb: Sandbox) -> tuple[str, list[str]]:
    app_id = sb.store.create_application(sb.auth_id, "doomed", "https://example.com/a")
    eps = [sb.store.create_endpoint(sb.auth_id, f"user{i}", "secret1", f"User {i}", app_id=app_id)
           for i in range(2)]
    return app_id, eps


def test_application_delete_cascade_true(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    app_id, eps = _app_with_endpoints(sb)
    client.applications.delete(app_id)  # cascade defaults to true
    for ep in eps:
        with pytest.raises(exceptions.ResourceNotFoundError):
            client.endpoints.get(ep)


def test_application_delete_cascade_false_moves_endpoints(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    app_id, eps = _app_with_endpoints(sb)
    target = sb.store.create_application(sb.auth_id, "heir", "https://example.com/h")
    client.applications.delete(app_id, cascade=False, new_endpoint_application=target)
    for ep in eps:
        assert client.endpoints.get(ep).application == f"/v1/Account/{sb.auth_id}/Application/{target}/"
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.applications.get(app_id)


def test_application_delete_cascade_false_orphans_endpoints(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    app_id, eps = _app_with_endpoints(sb)
    client.applications.delete(app_id, cascade=False)
    for ep in eps:
        assert client.endpoints.get(ep).application is None


def test_application_delete_unknown_heir_changes_nothing(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    app_id, _ = _app_with_endpoints(sb)
    before = sb.store.snapshot()
    with pytest.raises(exceptions.ValidationError):
        client.applications.delete(app_id, cascade=False, new_endpoint_application="12345678901234567")
    assert sb.store.snapshot() == before


def test_endpoint_crud(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    app_id = sb.store.create_application(sb.auth_id, "sip", "https://example.com/a")
    created = client.endpoints.create(username="alice", password="hunter22", alias="Alice", app_id=app_id)
    assert created.message == "created"
    assert created.username.startswith("alice") and len(created.username) == len("alice") + 12
    assert len(created.endpoint_id) == 14
    ep = client.endpoints.get(created.endpoint_id)
    assert ep.sip_registered == "false" and ep.alias == "Alice"
    assert ep.sip_uri == f"sip:{created.username}@phone.plivo.com"
    assert "password" not in ep.__dict__
    assert client.endpoints.update(created.endpoint_id, alias="Alicia", password="newpass1").message == "changed"
    assert client.endpoints.get(created.endpoint_id).alias == "Alicia"
    listed = client.endpoints.list()
    assert [e.endpoint_id for e in listed] == [created.endpoint_id]
    client.endpoints.delete(created.endpoint_id)
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.endpoints.get(created.endpoint_id)
    with pytest.raises(exceptions.ValidationError):
        client.endpoints.create(username="1bad", password="hunter22", alias="x")
    with pytest.raises(exceptions.ValidationError):
        client.endpoints.create(username="bob", password="shrt", alias="x")


def test_phone_number_search_buy_and_number_lifecycle(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    found = client.numbers.search(country_iso="US", type="tollfree")
    assert found.meta.total_count >= 5
    assert all(o.type == "tollfree" for o in found.objects)
    sf = client.numbers.search(country_iso="US", pattern="415", city="san francisco")
    assert sf.objects and all(o.number.startswith("1415") for o in sf.objects)
    number = sf.objects[0].number
    app_id = sb.store.create_application(sb.auth_id, "inbound", "https://example.com/a")
    bought = client.numbers.buy(number, app_id=app_id)
    assert bought.status == "fulfilled" and bought.numbers[0].number == number
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.numbers.buy(number)  # no longer for sale

    num = client.numbers.get(number)
    assert num.application == f"/v1/Account/{sb.auth_id}/Application/{app_id}/"
    assert num.number_type == "local" and num.country == "United States"
    assert client.numbers.update(number, alias="front-desk").message == "changed"
    assert client.numbers.get(number).alias == "front-desk"

    sa, _ = sb.store.create_subaccount(sb.auth_id, "numbers")
    other = sb.store.rent_number(sa, country_iso="GB")
    assert [n.number for n in client.numbers.list()] == [other, number]
    assert [n.number for n in client.numbers.list(subaccount=sa)] == [other]
    assert [n.number for n in client.numbers.list(number_startswith="44")] == [other]
    assert [n.number for n in client.numbers.list(alias="front-desk")] == [number]
    assert [n.number for n in client.numbers.list(type="local", services=["voice", "sms"])] == [other, number]
    renewal = num.renewal_date
    assert [n.number for n in client.numbers.list(renewal_date__gte=renewal)] == [other, number]
    assert client.numbers.list(renewal_date__lt=renewal).meta.total_count == 0

    client.numbers.update(number, subaccount=sa)
    assert client.numbers.get(number).sub_account == f"/v1/Account/{sb.auth_id}/Subaccount/{sa}/"

    client.numbers.delete(number)
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.numbers.get(number)
    with pytest.raises(exceptions.ValidationError):
        client.numbers.search(country_iso="usa")


def test_number_pagination(sb: Sandbox, plivo_for) -> None:
    rented = [sb.store.rent_number(sb.auth_id, country_iso="US") for _ in range(25)]
    client = plivo_for(sb)
    seen, offset, pages = [], 0, 0
    while True:
        resp = client.numbers.list(limit=10, offset=offset)
        seen += [n.number for n in resp]
        pages += 1
        if resp.meta.next is None:
            break
        offset = int(resp.meta.next.rsplit("offset=", 1)[1].split("&")[0])
    assert pages == 3 and seen == list(reversed(rented))


def test_pricing(sandbox: Sandbox, plivo_for) -> None:
    client = plivo_for(sandbox)
    us = client.pricing.get("US")
    assert us.country_iso == "US" and us.country_code == 1
    assert len(us.voice.outbound.rates) >= 60
    assert all(isinstance(r.prefix, list) for r in us.voice.outbound.rates)
    assert len(us.message.outbound_networks_list) >= 10
    for iso in ("GB", "IN", "CA", "AU"):
        assert client.pricing.get(iso).country_iso == iso
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.pricing.get("ZZ")


def test_subaccount_scoping(sb: Sandbox, plivo_for) -> None:
    sa1, tok1 = sb.store.create_subaccount(sb.auth_id, "one")
    sa2, _ = sb.store.create_subaccount(sb.auth_id, "two")
    main_app = sb.store.create_application(sb.auth_id, "main", "https://example.com/m")
    app1 = sb.store.create_application(sa1, "one", "https://example.com/1")
    app2 = sb.store.create_application(sa2, "two", "https://example.com/2")
    ep2 = sb.store.create_endpoint(sa2, "bob", "secret1", "Bob")
    n_main = sb.store.rent_number(sb.auth_id)
    n1 = sb.store.rent_number(sa1)

    sub = plivo_for(sb, sa1, tok1)
    assert [a.app_id for a in sub.applications.list()] == [app1]
    assert [n.number for n in sub.numbers.list()] == [n1]
    assert len(sub.endpoints.list()) == 0
    for call, arg in ((sub.applications.get, main_app), (sub.applications.get, app2),
                      (sub.endpoints.get, ep2), (sub.numbers.get, n_main)):
        with pytest.raises(exceptions.ResourceNotFoundError):
            call(arg)
    # A subaccount's creations are its own, and the main account sees them.
    created = sub.applications.create(app_name="mine", answer_url="https://example.com/x")
    main = plivo_for(sb)
    assert main.applications.get(created.app_id).sub_account == f"/v1/Account/{sb.auth_id}/Subaccount/{sa1}/"
    assert {a.app_id for a in main.applications.list()} == {main_app, app1, app2, created.app_id}
