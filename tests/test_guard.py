"""The confirmation guard, driven through real MCP clients against the sandbox.

After every refused attempt the sandbox's state is compared with a snapshot taken before it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import ElicitResult, ErrorData

from plivo_mcp.sandbox import Sandbox
from plivo_mcp.shaping import records
from tests.helpers import call, err, forged_signature, ok, server_for

pytestmark = pytest.mark.anyio




def seed(sb: Sandbox) -> dict[str, Any]:
    """A subaccount with an app, an endpoint and a number; a main-account app with two endpoints."""
    sa, _ = sb.store.create_subaccount(sb.auth_id, "Acme Corp")
    sub_app = sb.store.create_application(sa, "acme_ivr", "https://example.com/a")
    sub_ep = sb.store.create_endpoint(sa, "acmedesk", "password1", "Acme desk", sub_app)
    sub_number = sb.store.rent_number(sa, country_iso="US", app_id=sub_app)
    app = sb.store.create_application(sb.auth_id, "main_pbx", "https://example.com/b")
    other_app = sb.store.create_application(sb.auth_id, "spare_pbx", "https://example.com/c")
    ep1 = sb.store.create_endpoint(sb.auth_id, "alice", "password1", "Alice", app)
    ep2 = sb.store.create_endpoint(sb.auth_id, "bob", "password2", "Bob", app)
    number = sb.store.rent_number(sb.auth_id, country_iso="US", app_id=app)
    return {"sa": sa, "sub_app": sub_app, "sub_ep": sub_ep, "sub_number": sub_number, "app": app,
            "other_app": other_app, "ep1": ep1, "ep2": ep2, "number": number}


def inventory_number(sb: Sandbox) -> str:
    rented = {n["number"] for n in sb.store.snapshot().get("numbers", [])}
    return next(i["number"] for i in sb.store.snapshot()["inventory"]
                if i["number"].startswith("1") and i["number"] not in rented)


def ids_of(sb: Sandbox, table: str, key: str) -> set[str]:
    return {row[key] for row in sb.store.snapshot()[table]}


def cases(ids: dict[str, Any], buyable: str) -> list[tuple[str, dict[str, Any]]]:
    # Ordered so that no step removes what a later step acts on (deleting the app cascades to ep1).
    return [
        ("delete_endpoint", {"endpoint_id": ids["ep1"]}),
        ("unrent_number", {"number": ids["number"]}),
        ("delete_application", {"app_id": ids["app"]}),
        ("delete_subaccount", {"subaccount_id": ids["sa"], "cascade": True}),
        ("buy_phone_number", {"number": buyable}),
    ]


# --- two-step token flow (a client without elicitation) ---------------------------------------------------

async def two_step(client: Client, tool: str, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    preview = await ok(client, tool, args)
    assert preview["status"] == "confirmation_required" and preview["done"] is False
    done = await ok(client, tool, {**args, "confirmation_token": preview["confirmation_token"]})
    return preview, done


async def test_every_guarded_tool_previews_then_acts_on_token(sb):
    ids = seed(sb)
    buyable = inventory_number(sb)
    async with Client(server_for(sb)) as client:
        for tool, args in cases(ids, buyable):
            before = sb.store.snapshot()
            preview = await ok(client, tool, args)
            assert preview["status"] == "confirmation_required", tool
            assert sb.store.snapshot() == before, f"{tool} acted on the preview call"
            await ok(client, tool, {**args, "confirmation_token": preview["confirmation_token"]})
            assert sb.store.snapshot() != before, f"{tool} did not act on the confirmed call"
    assert ids["sa"] not in ids_of(sb, "accounts", "auth_id")
    assert ids["app"] not in ids_of(sb, "applications", "app_id")
    assert buyable in ids_of(sb, "numbers", "number")


async def test_subaccount_cascade_preview_lists_blast_radius_and_deletes(sb):
    ids = seed(sb)
    async with Client(server_for(sb)) as client:
        preview, _ = await two_step(client, "delete_subaccount", {"subaccount_id": ids["sa"], "cascade": True})
    radius = preview["preview"]["deleted_with_it"]
    assert radius["applications"] == {"count": 1, "first": ["acme_ivr"]}
    assert radius["endpoints"]["count"] == 1 and radius["endpoints"]["first"][0].startswith("acmedesk")
    assert radius["numbers"] == {"count": 1, "first": [ids["sub_number"]]}
    assert float(preview["preview"]["monthly_rental_stops_usd"]) > 0
    assert ids["sub_app"] not in ids_of(sb, "applications", "app_id")
    assert ids["sub_number"] not in ids_of(sb, "numbers", "number")


async def test_subaccount_no_cascade_preview_says_what_moves(sb):
    ids = seed(sb)
    async with Client(server_for(sb)) as client:
        preview, _ = await two_step(client, "delete_subaccount", {"subaccount_id": ids["sa"]})
    assert preview["preview"]["cascade"] is False
    assert preview["preview"]["moved_to_main_account"]["applications"]["count"] == 1
    assert ids["sub_app"] in ids_of(sb, "applications", "app_id")  # moved, not deleted


async def test_application_previews_cascade_and_reattach(sb):
    ids = seed(sb)
    async with Client(server_for(sb)) as client:
        cascade = await ok(client, "delete_application", {"app_id": ids["app"]})
        assert cascade["preview"]["endpoints"]["count"] == 2
        assert cascade["preview"]["endpoints"]["effect"] == "deleted"
        assert cascade["preview"]["numbers_left_without_application"]["count"] == 1
        args = {"app_id": ids["app"], "cascade": False, "new_endpoint_application": ids["other_app"]}
        moved, _ = await two_step(client, "delete_application", args)
    assert "spare_pbx" in moved["preview"]["endpoints"]["effect"]
    assert {ids["ep1"], ids["ep2"]} <= ids_of(sb, "endpoints", "endpoint_id")


async def test_orphaning_preview(sb):
    ids = seed(sb)
    async with Client(server_for(sb)) as client:
        preview = await ok(client, "delete_application", {"app_id": ids["app"], "cascade": False})
    assert "orphaned" in preview["preview"]["endpoints"]["effect"]


async def test_unrent_and_buy_previews(sb):
    ids = seed(sb)
    async with Client(server_for(sb)) as client:
        unrent = await ok(client, "unrent_number", {"number": ids["number"]})
        assert "not be assumed recoverable" in unrent["preview"]["reversible"]
        assert unrent["preview"]["application"] == ids["app"]
        buy = await ok(client, "buy_phone_number", {"number": inventory_number(sb)})
        assert buy["preview"]["monthly_rental_usd"] and buy["preview"]["setup_cost_usd"] is not None
        error = await err(client, "buy_phone_number", {"number": "19999999999"})
        assert error["code"] == "not_found" and error["parameter"] == "number"


async def test_token_misuse_is_refused_and_changes_nothing(sb):
    ids = seed(sb)
    server = server_for(sb)
    async with Client(server) as client:
        args = {"endpoint_id": ids["ep1"]}
        token = (await ok(client, "delete_endpoint", args))["confirmation_token"]
        other_token = (await ok(client, "delete_endpoint", {"endpoint_id": ids["ep2"]}))["confirmation_token"]
        app_token = (await ok(client, "delete_application", {"app_id": ids["app"]}))["confirmation_token"]
        body, sig = token.split(".")
        forged_claims = json.loads(__import__("base64").urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        forged_claims["args"] = "0" * 32
        forged_body = __import__("base64").urlsafe_b64encode(json.dumps(forged_claims).encode()).decode().rstrip("=")
        misuse = {
            "other arguments": ("delete_endpoint", args, other_token),
            "another tool": ("delete_endpoint", args, app_token),
            "forged signature": ("delete_endpoint", args, forged_signature(body, sig)),
            "forged claims": ("delete_endpoint", args, forged_body + "." + sig),
            "garbage": ("delete_endpoint", args, "not-a-token"),
            "same token, other args": ("delete_endpoint", {"endpoint_id": ids["ep2"]}, token),
        }
        for label, (tool, call_args, bad) in misuse.items():
            before, requests = sb.store.snapshot(), sb.request_count
            error = await err(client, tool, {**call_args, "confirmation_token": bad})
            assert error["code"] == "invalid_confirmation", label
            assert error["parameter"] == "confirmation_token", label
            assert sb.request_count == requests, f"{label}: a refused token still reached Plivo"
            assert sb.store.snapshot() == before, label

        await ok(client, "delete_endpoint", {**args, "confirmation_token": token})
        assert ids["ep1"] not in ids_of(sb, "endpoints", "endpoint_id")
        before = sb.store.snapshot()
        error = await err(client, "delete_endpoint", {**args, "confirmation_token": token})  # reuse
        assert error["code"] in ("invalid_confirmation", "not_found")
        assert sb.store.snapshot() == before

        expiring = (await ok(client, "delete_endpoint", {"endpoint_id": ids["ep2"]}))["confirmation_token"]
        real_clock = server.guard.clock
        server.guard.clock = lambda: real_clock() + server.guard.ttl_s + 1
        before = sb.store.snapshot()
        error = await err(client, "delete_endpoint", {"endpoint_id": ids["ep2"], "confirmation_token": expiring})
        assert error["code"] == "invalid_confirmation" and "expired" in error["error"]
        assert sb.store.snapshot() == before


async def test_reused_token_is_refused_even_when_the_call_could_act_again(sb):
    ids = seed(sb)
    async with Client(server_for(sb)) as client:
        args = {"number": ids["number"]}
        token = (await ok(client, "unrent_number", args))["confirmation_token"]
        await ok(client, "unrent_number", {**args, "confirmation_token": token})
        sb.store.rent_number(sb.auth_id, number=ids["number"])  # the same number comes back
        before = sb.store.snapshot()
        error = await err(client, "unrent_number", {**args, "confirmation_token": token})
        assert error["code"] in ("invalid_confirmation", "state_changed")
        assert sb.store.snapshot() == before


async def test_token_from_another_account_is_refused(sb):
    seed(sb)
    sa2, token2 = sb.store.create_subaccount(sb.auth_id, "Other")
    sub_ep = sb.store.create_endpoint(sa2, "carol", "password3", "Carol")
    async with Client(server_for(sb)) as main_client:
        token = (await ok(main_client, "delete_endpoint", {"endpoint_id": sub_ep}))["confirmation_token"]
    sub_server = server_for(sb, auth_id=sa2, auth_token=token2, PLIVO_MCP_CONFIRM_SECRET="shared")
    sub_server.guard._key = server_for(sb).guard._key  # same key: only the account binding differs
    before = sb.store.snapshot()
    async with Client(sub_server) as sub_client:
        error = await err(sub_client, "delete_endpoint", {"endpoint_id": sub_ep, "confirmation_token": token})
    assert error["code"] == "invalid_confirmation" and sb.store.snapshot() == before


async def test_state_change_between_preview_and_confirmation(sb):
    ids = seed(sb)
    async with Client(server_for(sb)) as client:
        preview = await ok(client, "delete_application", {"app_id": ids["app"]})
        sb.store.create_endpoint(sb.auth_id, "dave", "password4", "Dave", ids["app"])  # blast radius grows
        before = sb.store.snapshot()
        error = await err(client, "delete_application", {"app_id": ids["app"],
                                                         "confirmation_token": preview["confirmation_token"]})
        assert error["code"] == "state_changed" and error["preview"]["endpoints"]["count"] == 3
        assert sb.store.snapshot() == before
        retry = {"app_id": ids["app"], "confirmation_token": error["confirmation_token"]}
        await ok(client, "delete_application", retry)
    assert ids["app"] not in ids_of(sb, "applications", "app_id")


async def test_shared_secret_lets_another_replica_accept_the_token(sb):
    ids = seed(sb)
    a = server_for(sb, PLIVO_MCP_CONFIRM_SECRET="replica-secret")
    b = server_for(sb, PLIVO_MCP_CONFIRM_SECRET="replica-secret")
    c = server_for(sb)  # random key
    async with Client(a) as ca:
        token = (await ok(ca, "delete_endpoint", {"endpoint_id": ids["ep1"]}))["confirmation_token"]
    async with Client(c) as cc:
        error = await err(cc, "delete_endpoint", {"endpoint_id": ids["ep1"], "confirmation_token": token})
        assert error["code"] == "invalid_confirmation"
    async with Client(b) as cb:
        await ok(cb, "delete_endpoint", {"endpoint_id": ids["ep1"], "confirmation_token": token})
    assert ids["ep1"] not in ids_of(sb, "endpoints", "endpoint_id")


# --- elicitation (a client that can ask the person) --------------------------------------------------------

def answering(text: str | None, action: str = "accept", seen: list[str] | None = None):
    async def callback(context: Any, params: Any) -> ElicitResult:
        if seen is not None:
            seen.append(params.message)
        if action != "accept":
            return ElicitResult(action=action)
        return ElicitResult(action="accept", content={"confirm": text})
    return callback


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_elicitation_confirms_each_guarded_tool(sb, mode):
    ids = seed(sb)
    buyable = inventory_number(sb)
    expected = {"delete_subaccount": "Acme Corp", "delete_application": "main_pbx",
                "unrent_number": ids["number"], "buy_phone_number": buyable}
    endpoints = sb.store.snapshot()["endpoints"]
    expected["delete_endpoint"] = next(e["username"] for e in endpoints if e["endpoint_id"] == ids["ep1"])
    for tool, args in cases(ids, buyable):
        seen: list[str] = []
        before = sb.store.snapshot()
        async with Client(server_for(sb), mode=mode, elicitation_callback=answering(expected[tool], seen=seen)) as c:
            data = await ok(c, tool, args)
        assert "confirmation_token" not in data, tool
        assert seen and f"Type {expected[tool]} to confirm" in seen[-1], tool
        assert sb.store.snapshot() != before, tool


@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_decline_and_cancel_do_nothing(sb, action):
    ids = seed(sb)
    before = sb.store.snapshot()
    async with Client(server_for(sb), elicitation_callback=answering(None, action=action)) as c:
        error = await err(c, "delete_subaccount", {"subaccount_id": ids["sa"], "cascade": True})
    assert error["code"] == "not_confirmed" and action in error["error"]
    assert sb.store.snapshot() == before


async def test_wrong_answer_does_nothing(sb):
    ids = seed(sb)
    before = sb.store.snapshot()
    async with Client(server_for(sb), elicitation_callback=answering(ids["sa"])) as c:
        # a cascade delete needs the subaccount's name, not its id
        error = await err(c, "delete_subaccount", {"subaccount_id": ids["sa"], "cascade": True})
    assert error["code"] == "not_confirmed" and sb.store.snapshot() == before


async def test_elicitation_failure_does_nothing(sb):
    ids = seed(sb)

    async def broken(context: Any, params: Any) -> ErrorData:
        return ErrorData(code=-32603, message="dialog crashed")  # how a client reports a failed prompt

    before = sb.store.snapshot()
    # Legacy era: the server's elicitation request fails, and the server answers with a refusal.
    async with Client(server_for(sb), mode="legacy", elicitation_callback=broken) as c:
        is_error, data = await call(c, "delete_endpoint", {"endpoint_id": ids["ep1"]})
    assert is_error and data["error"]["code"] == "not_confirmed"
    assert sb.store.snapshot() == before
    # 2026 era: the client gives up before retrying, so the server never gets a confirmed retry.
    async with Client(server_for(sb), mode="auto", elicitation_callback=broken) as c:
        with pytest.raises(MCPError):
            await call(c, "delete_endpoint", {"endpoint_id": ids["ep1"]})
    assert sb.store.snapshot() == before


async def test_token_is_not_a_way_around_elicitation(sb):
    ids = seed(sb)
    async with Client(server_for(sb)) as plain:
        token = (await ok(plain, "delete_endpoint", {"endpoint_id": ids["ep1"]}))["confirmation_token"]
    before = sb.store.snapshot()
    async with Client(server_for(sb), elicitation_callback=answering(None, action="decline")) as c:
        error = await err(c, "delete_endpoint", {"endpoint_id": ids["ep1"], "confirmation_token": token})
    assert error["code"] == "not_confirmed" and sb.store.snapshot() == before


async def test_elicit_only_mode_refuses_clients_that_cannot_ask(sb):
    ids = seed(sb)
    before = sb.store.snapshot()
    async with Client(server_for(sb, PLIVO_MCP_CONFIRM="elicit")) as c:
        for tool, args in cases(ids, inventory_number(sb)):
            error = await err(c, tool, args)
            assert error["code"] == "confirmation_unavailable", tool
            assert "confirmation_token" not in error
    assert sb.store.snapshot() == before
    async with Client(server_for(sb, PLIVO_MCP_CONFIRM="elicit"),
                      elicitation_callback=answering("main_pbx")) as c:
        await ok(c, "delete_application", {"app_id": ids["app"]})
    assert ids["app"] not in ids_of(sb, "applications", "app_id")


# --- read-only mode and subaccount credentials -------------------------------------------------------------

async def test_read_only_refuses_writes_even_if_called(sb):
    ids = seed(sb)
    before = sb.store.snapshot()
    async with Client(server_for(sb, read_only=True)) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert "delete_endpoint" not in names and "create_subaccount" not in names and "get_account" in names
        for tool, args in [("delete_endpoint", {"endpoint_id": ids["ep1"]}),
                           ("create_subaccount", {"name": "x"}), ("update_account", {"city": "Paris"})]:
            error = await err(c, tool, args)
            assert error["code"] == "tool_unavailable" and "read-only" in error["error"]
        await ok(c, "list_applications")
    assert sb.store.snapshot() == before


async def test_subaccount_credentials_cannot_manage_subaccounts(sb):
    ids = seed(sb)
    sa_token = next(a["auth_token"] for a in sb.store.snapshot()["accounts"] if a["auth_id"] == ids["sa"])
    before = sb.store.snapshot()
    async with Client(server_for(sb, auth_id=ids["sa"], auth_token=sa_token)) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert not any("subaccount" in n for n in names)
        error = await err(c, "delete_subaccount", {"subaccount_id": ids["sa"], "cascade": True})
        assert error["code"] == "tool_unavailable"
        apps = await ok(c, "list_applications")
        assert [a["app_id"] for a in records(apps)] == [ids["sub_app"]]
        # the guard works for a subaccount's own resources too
        preview = await ok(c, "delete_endpoint", {"endpoint_id": ids["sub_ep"]})
        assert preview["status"] == "confirmation_required"
        assert sb.store.snapshot() == before
        error = await err(c, "delete_endpoint", {"endpoint_id": ids["ep1"]})  # the main account's
        assert error["code"] == "not_found"
    assert sb.store.snapshot() == before


async def test_state_change_while_the_person_is_asked(sb):
    ids = seed(sb)
    messages: list[str] = []

    async def answer_after_a_change(context: Any, params: Any) -> ElicitResult:
        messages.append(params.message)
        if len(messages) == 1:  # someone attaches another endpoint while the dialog is open
            sb.store.create_endpoint(sb.auth_id, "erin", "password5", "Erin", ids["app"])
        return ElicitResult(action="accept", content={"confirm": "main_pbx"})

    # Legacy era: one request; the body re-reads the state and refuses, showing the fresh preview.
    async with Client(server_for(sb), mode="legacy", elicitation_callback=answer_after_a_change) as c:
        error = await err(c, "delete_application", {"app_id": ids["app"]})
    assert error["code"] == "state_changed" and error["preview"]["endpoints"]["count"] == 3
    assert ids["app"] in ids_of(sb, "applications", "app_id")

    # 2026 era: the retry renders a different question, so the person is asked again about the new state.
    messages.clear()
    sb.store.create_endpoint(sb.auth_id, "frank", "password6", "Frank", ids["app"])
    async with Client(server_for(sb), mode="auto", elicitation_callback=answer_after_a_change) as c:
        await ok(c, "delete_application", {"app_id": ids["app"]})
    assert len(messages) == 2 and '"count":4' in messages[0].replace(" ", "")
    assert '"count":5' in messages[1].replace(" ", "")
    assert ids["app"] not in ids_of(sb, "applications", "app_id")


async def test_concurrent_uses_of_one_token_send_exactly_one_write():
    """Single use holds under a burst: the token is reserved before the live preview is awaited."""
    import asyncio

    sb = Sandbox(db=":memory:")
    ids = seed(sb)
    deletes: list[str] = []
    app = sb.app

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "DELETE":
            deletes.append(scope["path"])
        await app(scope, receive, send)

    sb.app = counting  # type: ignore[assignment]  # every request still reaches the sandbox
    args = {"endpoint_id": ids["ep1"]}
    with sb:
        async with Client(server_for(sb)) as client:
            token = (await ok(client, "delete_endpoint", args))["confirmation_token"]
            results = await asyncio.gather(*[call(client, "delete_endpoint", {**args, "confirmation_token": token})
                                             for _ in range(10)])
    done = [body for is_error, body in results if not is_error]
    refused = [body["error"] for is_error, body in results if is_error]
    assert len(done) == 1, results
    assert len(refused) == 9 and {e["code"] for e in refused} == {"invalid_confirmation"}, refused
    assert len(deletes) == 1, deletes


# --- voice and recordings: the guarded tools that spend money or end a call ---------------------------------

CALL = {"from_number": "14155550100", "to": ["14155550104"], "answer_url": "https://example.com/answer"}


@pytest.fixture
def frozen() -> Any:
    """A sandbox whose clock moves only when the test advances it: a queued call stays queued however long the
    test takes (the lifecycle steps are seconds apart)."""
    import datetime as dt

    from plivo_mcp.sandbox.clock import SandboxClock

    with Sandbox(db=":memory:", clock=SandboxClock(start=dt.datetime.now())) as sandbox:
        yield sandbox


async def test_make_call_token_misuse_is_refused_and_calls_nobody(sb):
    server = server_for(sb)
    async with Client(server) as client:
        token = (await ok(client, "make_call", CALL))["confirmation_token"]
        other = {**CALL, "to": ["14155550102"]}
        other_token = (await ok(client, "make_call", other))["confirmation_token"]
        endpoint = sb.store.create_endpoint(sb.auth_id, "zed", "password9", "Zed")
        endpoint_token = (await ok(client, "delete_endpoint", {"endpoint_id": endpoint}))["confirmation_token"]
        body, sig = token.split(".")
        claims = json.loads(__import__("base64").urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims["args"] = "0" * 32
        forged = __import__("base64").urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        misuse = {
            "other arguments": (CALL, other_token),
            "another tool": (CALL, endpoint_token),
            "forged signature": (CALL, forged_signature(body, sig)),
            "forged claims": (CALL, forged + "." + sig),
            "garbage": (CALL, "not-a-token"),
            "same token, other recipients": (other, token),
            "same token, longer time limit": ({**CALL, "time_limit": 600}, token),
        }
        for label, (args, bad) in misuse.items():
            before, requests = sb.store.snapshot(), sb.request_count
            error = await err(client, "make_call", {**args, "confirmation_token": bad})
            assert error["code"] == "invalid_confirmation" and error["parameter"] == "confirmation_token", label
            assert sb.request_count == requests and sb.store.snapshot() == before, label

        await ok(client, "make_call", {**CALL, "confirmation_token": token})
        assert len(sb.store.snapshot()["calls"]) == 1
        before = sb.store.snapshot()
        error = await err(client, "make_call", {**CALL, "confirmation_token": token})  # reuse
        assert error["code"] == "invalid_confirmation" and "already been used" in error["error"]
        assert sb.store.snapshot() == before

        expiring = (await ok(client, "make_call", CALL))["confirmation_token"]
        real_clock = server.guard.clock
        server.guard.clock = lambda: real_clock() + server.guard.ttl_s + 1
        error = await err(client, "make_call", {**CALL, "confirmation_token": expiring})
        assert error["code"] == "invalid_confirmation" and "expired" in error["error"]
        assert sb.store.snapshot() == before


async def test_make_call_refused_when_credit_changed_since_the_preview(sb):
    async with Client(server_for(sb)) as client:
        preview = await ok(client, "make_call", CALL)
        sb.store.update_account(sb.auth_id, {"cash_credits": "10.00000"})
        before = sb.store.snapshot()
        error = await err(client, "make_call", {**CALL, "confirmation_token": preview["confirmation_token"]})
        assert error["code"] == "state_changed" and error["preview"]["credit_usd"] == "10.00000"
        assert sb.store.snapshot() == before


def _voice_cases(sb: Sandbox) -> list[tuple[str, dict[str, Any], str]]:
    """(tool, arguments, what the person types) for each guarded voice/recordings tool, on fresh state."""
    import httpx

    sb.store.seed_history(sb.auth_id)
    http = httpx.Client(base_url=f"{sb.base_url}/v1/Account/{sb.auth_id}/", auth=(sb.auth_id, sb.auth_token))
    with http:
        live = http.post("Call/", json={"from": "14155550100", "to": "14155550104",
                                        "answer_url": "https://e.com/a"}).json()["request_uuid"]
        sb.clock.advance(10)
        queued = http.post("Call/", json={"from": "14155550100", "to": "14155550104",
                                          "answer_url": "https://e.com/a"}).json()["request_uuid"]
    recording = sorted(r["recording_id"] for r in sb.store.snapshot()["recordings"])[0]
    return [("make_call", CALL, "14155550104"), ("hangup_call", {"call_uuid": live}, "14155550104"),
            ("cancel_call_request", {"request_uuid": queued}, "14155550104"),
            ("delete_recording", {"recording_id": recording}, recording.split("-")[0])]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_voice_tools_refuse_a_decline_or_wrong_answer_then_act_on_the_right_one(frozen, mode):
    for tool, args, expected in _voice_cases(frozen):
        for refusal in (answering(None, action="decline"), answering("nope")):
            frozen.store.catch_up()
            before = frozen.store.snapshot()
            async with Client(server_for(frozen, PLIVO_MCP_TOOLSETS="all"), mode=mode,
                              elicitation_callback=refusal) as c:
                assert (await err(c, tool, args))["code"] == "not_confirmed", tool
            frozen.store.catch_up()
            assert frozen.store.snapshot() == before, tool
        async with Client(server_for(frozen, PLIVO_MCP_TOOLSETS="all"), mode=mode,
                          elicitation_callback=answering(expected)) as c:
            await ok(c, tool, args)
        assert frozen.store.snapshot() != before, tool


async def test_voice_tools_preview_then_act_on_token(frozen):
    async with Client(server_for(frozen, PLIVO_MCP_TOOLSETS="all")) as client:
        for tool, args, _ in _voice_cases(frozen):
            frozen.store.catch_up()
            before = frozen.store.snapshot()
            preview = await ok(client, tool, args)
            assert preview["status"] == "confirmation_required", tool
            frozen.store.catch_up()
            assert frozen.store.snapshot() == before, f"{tool} acted on the preview call"
            await ok(client, tool, {**args, "confirmation_token": preview["confirmation_token"]})
            assert frozen.store.snapshot() != before, tool
