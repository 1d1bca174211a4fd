"""What the server costs an assistant's context, in o200k_base tokens: growth is a deliberate choice.

Each tool's cost is the compact JSON of what tools/list serves for it (name, title, description, inputSchema,
annotations). tests/token_budget.json holds each tool's ceiling; after a deliberate change, regenerate it with
`python bench/tool_surface.py --write-budget` (measured cost + 10%) and review the diff.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from bench._util import MAX_DEFAULT_SURFACE_TOKENS, tokens, tool_cost  # the same counting as bench/tool_surface.py
from bench._util import TARGET_AVERAGE_TOOL_TOKENS as TARGET_AVERAGE
from plivo_mcp.sandbox import Sandbox
from plivo_mcp.shaping import records
from tests.helpers import ok, server_for
from tests.test_tool_surface import listed_tools

pytestmark = pytest.mark.anyio
BUDGET = json.loads((Path(__file__).parent / "token_budget.json").read_text())




async def tool_costs() -> dict[str, int]:
    return {t["name"]: tool_cost(t) for t in await listed_tools()}


async def test_every_tool_stays_within_its_budget():
    costs = await tool_costs()
    assert set(costs) == set(BUDGET), "a tool was added or removed: give it a budget deliberately"
    over = {name: f"{cost} > {BUDGET[name]}" for name, cost in costs.items() if cost > BUDGET[name]}
    assert not over, f"over budget (shrink it, or raise the budget deliberately): {over}"


async def test_average_tool_cost_meets_the_target():
    costs = await tool_costs()
    assert sum(costs.values()) / len(costs) <= TARGET_AVERAGE


async def test_the_default_surface_reaches_every_operation_within_its_total():
    # Default toolsets plus the catalog's three tools, which reach every operation of the API (issue 17).
    costs = await tool_costs()
    assert {"search_operations", "describe_operation", "call_operation"} <= set(costs)
    assert sum(costs.values()) <= MAX_DEFAULT_SURFACE_TOKENS, f"default surface: {sum(costs.values())} tokens"


@pytest.fixture
def seeded() -> Iterator[Sandbox]:
    sb = Sandbox(db=":memory:", seed_history=True)  # CDRs for the page of calls
    apps = [sb.store.create_application(sb.auth_id, f"support-line-{i:02d}", f"https://voice.example.com/a/{i}")
            for i in range(20)]
    for i in range(20):
        sb.store.rent_number(sb.auth_id, app_id=apps[i] if i % 2 else None, alias=f"line {i:02d}")
    from plivo_mcp.sandbox.messages import Messages

    sb.store.storage(Messages).write_history([sb.auth_id], days=1, count=60)  # within the default 24-hour window
    with sb:
        yield sb


async def raw_tokens(sb: Sandbox, path: str, params: dict[str, Any]) -> int:
    import httpx

    async with httpx.AsyncClient(base_url=f"{sb.base_url}/v1/Account/{sb.auth_id}/",
                                 auth=(sb.auth_id, sb.auth_token)) as http:
        return tokens((await http.get(path, params=params)).text)


@pytest.mark.parametrize(("tool", "args", "path", "params", "at_least"), [
    ("list_applications", {"limit": 20}, "Application/", {"limit": 20}, 4.0),
    ("list_numbers", {"limit": 20}, "Number/", {"limit": 20}, 4.0),
    ("list_messages", {"limit": 20}, "Message/", {"limit": 20}, 4.0),
    ("get_pricing", {"country_iso": "US"}, "Pricing/", {"country_iso": "US"}, 8.0),
    # 2.7x as a list of dicts: a CDR summary is 8 fields of long values (uuid, zoned time) and the keys repeated
    # in every item were a third of it. Rows under one header and times in UTC basic form make it 4.3x.
    ("list_calls", {"limit": 20}, "Call/", {"limit": 20}, 4.0),
])
async def test_answers_cost_a_fraction_of_the_raw_api_json(seeded: Sandbox, tool: str, args: dict[str, Any],
                                                           path: str, params: dict[str, Any], at_least: float):
    async with Client(server_for(seeded)) as client:
        answer = await client.call_tool(tool, args)
    answer_tokens = tokens(answer.content[0].text)  # type: ignore[union-attr]
    assert await raw_tokens(seeded, path, params) / answer_tokens >= at_least


async def test_list_columns_leave_out_nulls_but_keep_fields_asked_for(seeded: Sandbox):
    async with Client(server_for(seeded)) as client:
        page = await ok(client, "list_numbers", {"limit": 20})
        asked = await ok(client, "list_numbers", {"limit": 20, "fields": "sub_account"})
    applications = [row[page["columns"].index("application")] for row in page["rows"]]
    assert len(applications) == 20 and applications.count(None) == 10  # set on half the numbers, null on the rest
    assert "sub_account" not in page["columns"] and "sub_account" not in page.get("every_row", {})  # null on all
    assert asked["every_row"]["sub_account"] is None  # asked for by name: shown, once


async def test_list_values_shared_by_every_row_are_stated_once(seeded: Sandbox):
    async with Client(server_for(seeded)) as client:
        page = await ok(client, "list_numbers", {"limit": 20})
        one = await ok(client, "list_numbers", {"limit": 1})
    assert page["every_row"]["country"] == "United States" and "country" not in page["columns"]
    assert len(page["rows"]) == 20 and all(len(row) == len(page["columns"]) for row in page["rows"])
    assert "every_row" not in one and "country" in one["columns"]  # one row: nothing to share
    assert records(page)[0] == {**page["every_row"], **dict(zip(page["columns"], page["rows"][0], strict=True))}
