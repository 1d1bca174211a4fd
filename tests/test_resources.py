"""Resources: plivo://account and plivo://pricing/{country_iso}, read through an MCP client against the sandbox,
agreeing with the tools that answer the same questions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS

from plivo_mcp.sandbox import Sandbox
from tests.helpers import ok, server_for

pytestmark = pytest.mark.anyio




@pytest.fixture(params=["auto", "legacy"])
async def client(sb: Sandbox, request: pytest.FixtureRequest) -> AsyncIterator[Client]:
    async with Client(server_for(sb), mode=request.param) as c:
        yield c


async def read_json(client: Client, uri: str) -> dict:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert content.mime_type == "application/json"
    return json.loads(content.text)  # type: ignore[union-attr]


async def test_resources_are_listed(client: Client) -> None:
    resources = (await client.list_resources()).resources
    assert [(str(r.uri), r.name, r.mime_type) for r in resources] == [("plivo://account", "account",
                                                                       "application/json")]
    templates = (await client.list_resource_templates()).resource_templates
    assert [(t.uri_template, t.name) for t in templates] == [("plivo://pricing/{country_iso}", "pricing")]
    assert all(r.description for r in [*resources, *templates])


async def test_account_resource_is_the_account_summary(client: Client, sb: Sandbox) -> None:
    account = await read_json(client, "plivo://account")
    assert account == await ok(client, "get_account")
    assert account["auth_id"] == sb.auth_id and "cash_credits" in account
    raw = (await client.read_resource("plivo://account")).contents[0].text  # type: ignore[union-attr]
    assert sb.auth_token not in raw


async def test_pricing_resource_matches_the_pricing_tool(client: Client) -> None:
    us = await read_json(client, "plivo://pricing/US")
    assert us == await ok(client, "get_pricing", {"country_iso": "US"})
    assert us["country_iso"] == "US" and us["currency"] == "USD" and us["sms"]["out"] is not None
    assert (await read_json(client, "plivo://pricing/gb"))["country_iso"] == "GB"


async def test_unknown_or_malformed_country_is_invalid_params(client: Client) -> None:
    for uri, words in (("plivo://pricing/ZZ", "no pricing"), ("plivo://pricing/USA", "two letters")):
        with pytest.raises(MCPError) as caught:
            await client.read_resource(uri)
        assert caught.value.error.code == INVALID_PARAMS, uri
        assert words in caught.value.error.message


async def test_upstream_failure_is_reported_without_secrets(client: Client, sb: Sandbox) -> None:
    sb.faults.push_statuses([500] * 10, methods={"GET"})
    try:
        with pytest.raises(MCPError) as caught:
            await client.read_resource("plivo://account")
    finally:
        sb.faults.clear()
    assert caught.value.error.code == INTERNAL_ERROR
    assert "upstream_error" in caught.value.error.message
    assert sb.auth_token not in caught.value.error.message
