"""Account and Subaccount through the official plivo SDK."""

from __future__ import annotations

import pytest
from plivo import exceptions

from plivo_mcp.sandbox import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Sandbox


def test_demo_credentials_shape() -> None:
    assert len(DEMO_AUTH_ID) == 20 and DEMO_AUTH_ID.startswith("MA")
    assert len(DEMO_AUTH_TOKEN) == 40 and ("_" in DEMO_AUTH_TOKEN or "-" in DEMO_AUTH_TOKEN)


def test_account_get_and_update(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    acct = client.account.get()
    assert acct.auth_id == sb.auth_id
    assert acct.name == "Sandbox Demo"
    resp = client.account.update(name="Renamed", city="Austin")
    assert resp.message == "changed"
    acct = client.account.get()
    assert (acct.name, acct.city, acct.address) == ("Renamed", "Austin", "")


def test_subaccount_crud(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    created = client.subaccounts.create(name="team-a", enabled=True)
    assert created.message == "created" and created.auth_id.startswith("SA") and len(created.auth_token) == 40
    sub = client.subaccounts.get(created.auth_id)
    assert (sub.name, sub.enabled, sub.auth_token) == ("team-a", True, created.auth_token)
    assert sub.account == f"/v1/Account/{sb.auth_id}/"
    assert client.subaccounts.update(created.auth_id, "team-b", enabled=False).message == "changed"
    sub = client.subaccounts.get(created.auth_id)
    assert (sub.name, sub.enabled) == ("team-b", False)
    assert sub.modified is not None
    second = client.subaccounts.create(name="team-c")
    listed = client.subaccounts.list()
    assert [s.auth_id for s in listed] == [second.auth_id, created.auth_id]  # newest first
    assert listed.meta.total_count == 2
    assert client.subaccounts.get(second.auth_id).enabled is False  # enabled defaults to false
    client.subaccounts.delete(created.auth_id)
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.subaccounts.get(created.auth_id)


def _seed_sub_resources(sb: Sandbox, sa: str) -> tuple[str, str, str]:
    app_id = sb.store.create_application(sa, "sub-app", "https://example.com/answer")
    ep_id = sb.store.create_endpoint(sa, "alice", "secret1", "Alice", app_id=app_id)
    number = sb.store.rent_number(sa, country_iso="US", app_id=app_id)
    return app_id, ep_id, number


def test_subaccount_delete_cascade_false_moves_to_main(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    sa, _ = sb.store.create_subaccount(sb.auth_id, "mover")
    app_id, ep_id, number = _seed_sub_resources(sb, sa)
    client.subaccounts.delete(sa)  # cascade defaults to false
    assert client.applications.get(app_id).sub_account is None
    assert client.endpoints.get(ep_id).sub_account is None
    assert client.numbers.get(number).sub_account is None
    assert sb.store.account(sa) is None


def test_subaccount_delete_cascade_true_deletes(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    sa, _ = sb.store.create_subaccount(sb.auth_id, "goner")
    app_id, ep_id, number = _seed_sub_resources(sb, sa)
    client.subaccounts.delete(sa, cascade=True)
    for call, arg in ((client.applications.get, app_id), (client.endpoints.get, ep_id),
                      (client.numbers.get, number)):
        with pytest.raises(exceptions.ResourceNotFoundError):
            call(arg)
    assert sb.store.inventory_item(number) is not None  # released numbers go back on sale


def test_subaccount_pagination_follows_meta_next(sb: Sandbox, plivo_for) -> None:
    ids = [sb.store.create_subaccount(sb.auth_id, f"s{i}")[0] for i in range(23)]
    client = plivo_for(sb)
    first = client.subaccounts.list()
    assert len(first) == 20 and first.meta.next.endswith("limit=20&offset=20")
    assert first.meta.previous is None
    second = client.subaccounts.list(offset=20)
    assert len(second) == 3 and second.meta.next is None
    assert second.meta.previous.endswith("offset=0")
    assert [s.auth_id for s in [*first, *second]] == list(reversed(ids))


def test_subaccount_credentials_cannot_manage_subaccounts(sb: Sandbox, plivo_for) -> None:
    sa, token = sb.store.create_subaccount(sb.auth_id, "limited")
    sub_client = plivo_for(sb, sa, token)
    # (Not .list(): plivo-python itself crashes with AttributeError on any error answer to a list call.)
    with pytest.raises(exceptions.ForbiddenError):
        sub_client.subaccounts.create(name="nested")
    with pytest.raises(exceptions.ForbiddenError):
        sub_client.subaccounts.get(sa)
    acct = sub_client.account.get()
    assert acct.auth_id == sa and acct.name == "limited"


def test_disabled_subaccount_and_bad_credentials_fail_auth(sb: Sandbox, plivo_for) -> None:
    sa, token = sb.store.create_subaccount(sb.auth_id, "off", enabled=False)
    with pytest.raises(exceptions.AuthenticationError):
        plivo_for(sb, sa, token).account.get()
    with pytest.raises(exceptions.AuthenticationError):
        plivo_for(sb, sb.auth_id, "wrong_token_wrong_token_wrong_token_0000").account.get()


def test_sdk_validation_error_on_400(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    with pytest.raises(exceptions.ValidationError):
        client.subaccounts.create(name="")
