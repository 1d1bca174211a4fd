"""The shared parameter types (plivo_mcp/tools/common.py) as clients really send them, through an MCP client.

Real clients differ from the schema's canonical form: the MCP Inspector's CLI turns `app_id=123` into a JSON
number, people type `us`, the real API's application names have spaces, and clients that convert schemas to
strict mode (the OpenAI Agents SDK) send `null` for every optional argument they leave out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from plivo_mcp.sandbox import Sandbox
from plivo_mcp.shaping import records
from tests.helpers import call, err, ok

pytestmark = pytest.mark.anyio


# --- ids and numbers as JSON numbers ----------------------------------------------------------------------

async def test_ids_and_numbers_sent_as_json_integers_are_accepted(sb: Sandbox, client: Client) -> None:
    app_id = sb.store.create_application(sb.auth_id, "ivr", "https://example.com/answer")
    endpoint_id = sb.store.create_endpoint(sb.auth_id, "alice", "secret123", "Alice", app_id=app_id)
    number = sb.store.rent_number(sb.auth_id, alias="front desk")
    endpoint = await ok(client, "get_endpoint", {"endpoint_id": int(endpoint_id)})
    assert endpoint["endpoint_id"] == endpoint_id
    rented = await ok(client, "get_number", {"number": int(number.removeprefix("+"))})
    assert rented["number"] == number.removeprefix("+") and rented["alias"] == "front desk"
    # An application id as a small integer passes validation and is looked up as its digits.
    error = await err(client, "get_application", {"app_id": 4242})
    assert error["code"] == "not_found"


async def test_an_id_too_large_for_an_exact_json_number_is_refused_by_name(sb: Sandbox, client: Client) -> None:
    # 74286672997330179 parsed as a JavaScript number is 74286672997330180: a different application.
    app_id = sb.store.create_application(sb.auth_id, "ivr", "https://example.com/answer")
    error = await err(client, "get_application", {"app_id": int(app_id)})
    assert error["code"] == "invalid_argument" and error["parameter"] == "app_id"
    assert "send it as a string" in error["error"]
    assert (await ok(client, "get_application", {"app_id": app_id}))["app_id"] == app_id  # the string form works


async def test_the_schemas_say_ids_and_numbers_may_be_integers(client: Client) -> None:
    tools = {t.name: t.input_schema["properties"] for t in (await client.list_tools()).tools}
    for tool, parameter in (("get_application", "app_id"), ("get_endpoint", "endpoint_id"), ("get_number", "number"),
                            ("update_number", "app_id"), ("delete_application", "new_endpoint_application")):
        assert tools[tool][parameter]["type"] == ["string", "integer"], (tool, parameter)
    assert tools["get_subaccount"]["subaccount_id"]["type"] == "string"  # SA...: never a number


@pytest.mark.parametrize("value", [True, -5, 1.5])
async def test_ids_keep_refusing_what_is_not_a_positive_integer(client: Client, value: Any) -> None:
    error = await err(client, "get_endpoint", {"endpoint_id": value})
    assert error["code"] == "invalid_argument" and error["parameter"] == "endpoint_id"


async def test_country_iso_accepts_lower_case(client: Client) -> None:
    pricing = await ok(client, "get_pricing", {"country_iso": "us"})
    assert pricing["country_iso"] == "US"
    found = await ok(client, "search_phone_numbers", {"country_iso": "gb", "limit": 1})
    assert found["page"]["returned"] == 1


@pytest.mark.parametrize("value", ["ß", "u", "USA", "u1"])
async def test_country_iso_still_refuses_what_is_no_country_code(client: Client, value: str) -> None:
    # "ß".upper() is "SS" (South Sudan): only ASCII letters are upper-cased.
    error = await err(client, "get_pricing", {"country_iso": value})
    assert error["parameter"] == "country_iso"


# --- application names as the real API takes them ---------------------------------------------------------

@pytest.mark.parametrize("name", ["Test Application", "Demo Conference", "0.8522478089992022", "Café – ground floor",
                                  "x" * 200])
async def test_application_names_the_real_api_accepts_are_sent_on(sb: Sandbox, client: Client, name: str) -> None:
    for tool, args in (("create_application", {"app_name": name, "answer_url": "https://example.com/a"}),
                       ("list_applications", {"app_name": name})):
        sent_before = sb.request_count
        is_error, data = await call(client, tool, args)
        # This server lets the name through to the API (the sandbox applies the same rule on its own side; an
        # answer from it carries an api_id, a refusal by this server's validation never does).
        assert sb.request_count == sent_before + 1, data
        assert not is_error or data["error"].get("api_id"), data


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "tab\there", "new\nline", "zero\u200bwidth", "bidi\u202e"])
async def test_application_names_that_are_refused_by_name(sb: Sandbox, client: Client, name: str) -> None:
    before = sb.store.snapshot()
    error = await err(client, "create_application", {"app_name": name, "answer_url": "https://example.com/a"})
    assert error["code"] == "invalid_argument" and error["parameter"] == "app_name"
    assert sb.store.snapshot() == before


# --- null for every optional argument (strict-mode clients) -----------------------------------------------

def calls_for(sb: Sandbox) -> tuple[str, str, str]:
    """A completed call, a live one and a queued request (the sandbox's clock is frozen: see `sb` below)."""
    import httpx

    with httpx.Client(base_url=f"{sb.base_url}/v1/Account/{sb.auth_id}/", auth=(sb.auth_id, sb.auth_token)) as http:
        def make(to: str) -> str:
            body = {"from": "14155550100", "to": to, "answer_url": "https://example.com/a"}
            return http.post("Call/", json=body).raise_for_status().json()["request_uuid"]

        completed, live = make("14155552671"), make("14155550104")  # ...104: an hour-long call
        sb.clock.advance(70)
        return completed, live, make("14155552671")


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A sandbox whose clock moves only when advanced: the queued request stays queued however slow the run."""
    import datetime as dt

    from plivo_mcp.sandbox.clock import SandboxClock

    with Sandbox(db=":memory:", clock=SandboxClock(start=dt.datetime.now())) as sandbox:
        yield sandbox


def required_arguments(sb: Sandbox) -> dict[str, dict[str, Any]]:
    """Valid values for every tool's required arguments, on objects seeded in `sb`."""
    sa, _ = sb.store.create_subaccount(sb.auth_id, "Strict Tenant")
    app_id = sb.store.create_application(sb.auth_id, "strict", "https://example.com/answer")
    endpoint_id = sb.store.create_endpoint(sb.auth_id, "strict", "secret123", "Strict", app_id=app_id)
    number = sb.store.rent_number(sb.auth_id)
    for_sale = sb.store.snapshot()["inventory"][0]["number"]
    import httpx

    message_uuid = httpx.post(f"{sb.base_url}/v1/Account/{sb.auth_id}/Message/", auth=(sb.auth_id, sb.auth_token),
                              json={"src": number, "dst": "14155550123", "text": "hi"}).json()["message_uuid"][0]
    completed, live, queued = calls_for(sb)
    return {
        "send_message": {"src": number, "dst": ["14155550123"], "text": "hi"},
        "get_message": {"message_uuid": message_uuid}, "list_message_media": {"message_uuid": message_uuid},
        "make_call": {"from_number": number, "to": ["14155552671"], "answer_url": "https://example.com/a"},
        "get_call": {"call_uuid": completed}, "hangup_call": {"call_uuid": live},
        "cancel_call_request": {"request_uuid": queued},
        "get_application": {"app_id": app_id}, "update_application": {"app_id": app_id},
        "delete_application": {"app_id": app_id},
        "create_application": {"app_name": "strict_two", "answer_url": "https://example.com/a"},
        "get_endpoint": {"endpoint_id": endpoint_id}, "update_endpoint": {"endpoint_id": endpoint_id},
        "delete_endpoint": {"endpoint_id": endpoint_id},
        "create_endpoint": {"username": "strictly", "password": "secret123", "alias": "Strictly"},
        "get_number": {"number": number}, "update_number": {"number": number}, "unrent_number": {"number": number},
        "buy_phone_number": {"number": for_sale},
        "search_phone_numbers": {"country_iso": "US"}, "get_pricing": {"country_iso": "US"},
        "describe_operation": {"operation_id": "call.create"}, "call_operation": {"operation_id": "call.list_live"},
        "get_subaccount": {"subaccount_id": sa}, "update_subaccount": {"subaccount_id": sa},
        "delete_subaccount": {"subaccount_id": sa}, "create_subaccount": {"name": "Strict Two"},
    }


async def test_every_optional_argument_may_be_null(sb: Sandbox, client: Client) -> None:
    required = required_arguments(sb)
    answers = {}
    for tool in (await client.list_tools()).tools:
        optional = set(tool.input_schema["properties"]) - set(tool.input_schema.get("required", []))
        args = {**required.get(tool.name, {}), **dict.fromkeys(optional)}
        is_error, data = await call(client, tool.name, args)
        if is_error:  # only "nothing to change" from an update given no field: never a null refused
            message = data["error"]["error"]
            assert tool.name.startswith("update_") and "give" in message and "Input should" not in message, data
        answers[tool.name] = data
    # null meant "not given": the defaults applied
    assert answers["list_applications"]["page"]["limit"] == 20 and answers["list_applications"]["page"]["offset"] == 0
    assert answers["delete_application"]["status"] == "confirmation_required"
    assert answers["delete_application"]["preview"]["cascade"] is True
    created = next(a for a in sb.store.snapshot()["accounts"] if a["name"] == "Strict Two")
    assert created["enabled"] == 0  # create_subaccount's enabled defaults to false


async def test_a_required_argument_sent_as_null_is_still_refused_by_name(client: Client) -> None:
    error = await err(client, "get_application", {"app_id": None})
    assert error["code"] == "invalid_argument" and error["parameter"] == "app_id"


async def test_offset_has_an_upper_bound(client: Client) -> None:
    error = await err(client, "list_applications", {"offset": 100001})
    assert error["code"] == "invalid_argument" and error["parameter"] == "offset"
    page = await ok(client, "list_applications", {"offset": 100000})
    assert records(page) == [] and page["page"]["offset"] == 100000
