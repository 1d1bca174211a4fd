"""The tool surface is an interface: names, schemas and annotations change only on purpose.

Run with UPDATE_SNAPSHOTS=1 to rewrite tests/snapshots/tools/*.json after a deliberate change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from plivo_mcp.config import load_settings
from plivo_mcp.server import EVERY_TOOL, build_server
from plivo_mcp.tools import TOOLSETS

pytestmark = pytest.mark.anyio
SNAPSHOTS = Path(__file__).parent / "snapshots" / "tools"
# Derived from the toolsets the tool modules declare (the snapshots are what pins the interface itself).
EXPECTED_TOOLS = {spec.name for toolset in TOOLSETS if toolset.default for spec in toolset.tools}
GUARDED = {name for name, spec in EVERY_TOOL.items() if spec.guarded}
COSTLY = {"buy_phone_number", "make_call", "send_message"}  # guarded because they spend money, not because they destroy
HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")



async def listed_tools(**overrides: Any) -> list[dict[str, Any]]:
    config = load_settings(PLIVO_AUTH_ID=overrides.pop("auth_id", "MASANDBOXDEMO0000001"),
                           PLIVO_AUTH_TOKEN="snapshot-token", PLIVO_API_URL="http://127.0.0.1:9", **overrides)
    async with Client(build_server(config)) as client:
        result = await client.list_tools()
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in result.tools]


async def test_tool_names_are_exactly_the_interface():
    assert {t["name"] for t in await listed_tools()} == EXPECTED_TOOLS


async def test_snapshots_match():
    tools = await listed_tools(PLIVO_MCP_TOOLSETS="all")  # every tool's interface, on by default or not
    if os.environ.get("UPDATE_SNAPSHOTS"):
        for stale in SNAPSHOTS.glob("*.json"):
            stale.unlink()
        for tool in tools:
            (SNAPSHOTS / f"{tool['name']}.json").write_text(json.dumps(tool, indent=2, sort_keys=True) + "\n")
    on_disk = {p.stem for p in SNAPSHOTS.glob("*.json")}
    assert on_disk == {t["name"] for t in tools}, "tool added or removed: update the snapshots deliberately"
    for tool in tools:
        expected = json.loads((SNAPSHOTS / f"{tool['name']}.json").read_text())
        assert tool == expected, f"{tool['name']} changed: review, then UPDATE_SNAPSHOTS=1"


async def test_every_tool_is_annotated_titled_and_described():
    for tool in await listed_tools(PLIVO_MCP_TOOLSETS="all"):
        annotations = tool.get("annotations", {})
        for hint in HINTS:
            assert isinstance(annotations.get(hint), bool), f"{tool['name']} lacks {hint}"
        assert tool.get("title") and "title" not in annotations, tool["name"]  # said once, at the top level
        assert 20 <= len(tool["description"]) <= 200 and tool["description"].count(". ") <= 2, tool["name"]
        schema = tool["inputSchema"]
        assert schema["type"] == "object"
        for name, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{tool['name']}.{name} lacks a description"
            assert "$ref" not in json.dumps(prop), f"{tool['name']}.{name} is not flat"
        if annotations["readOnlyHint"]:
            assert annotations["destructiveHint"] is False
        if tool["name"].startswith("create_"):
            assert annotations["destructiveHint"] is False  # additive writes say so explicitly
        if tool["name"] in GUARDED - COSTLY:
            assert annotations["destructiveHint"] is True


async def test_api_constraints_are_in_the_schemas():
    tools = {t["name"]: t["inputSchema"]["properties"] for t in await listed_tools(PLIVO_MCP_TOOLSETS="all")}
    assert tools["list_applications"]["limit"]["maximum"] == 20
    assert tools["list_applications"]["limit"]["minimum"] == 1
    assert tools["list_numbers"]["offset"]["minimum"] == 0
    assert tools["get_subaccount"]["subaccount_id"]["pattern"] == "^SA[A-Z0-9]{18}$"
    assert tools["get_pricing"]["country_iso"]["pattern"] == "^[A-Za-z]{2}$"  # lower case is upper-cased
    assert tools["create_application"]["answer_method"]["enum"] == ["GET", "POST"]
    assert tools["create_application"]["answer_url"]["format"] == "uri"
    assert tools["create_application"]["app_name"]["maxLength"] == 200
    # Callbacks are the operator's (PLIVO_MCP_CALLBACK_URL): no assistant can receive one.
    assert not any("callback_url" in props or "callback_method" in props for props in tools.values())


async def test_no_force_or_confirm_argument():
    for tool in await listed_tools(PLIVO_MCP_TOOLSETS="all"):
        assert not {"force", "confirm", "confirmed"} & set(tool["inputSchema"].get("properties", {}))


async def test_subaccount_credentials_hide_subaccount_management():
    names = {t["name"] for t in await listed_tools(auth_id="SASANDBOXDEMO0000001", PLIVO_MCP_TOOLSETS="all")}
    assert not any("subaccount" in n for n in names) and "get_account" in names


async def test_read_only_mode_lists_only_read_only_tools():
    tools = await listed_tools(read_only=True)
    # call_operation stays: it may write, so it is not annotated read-only, but it refuses every operation that is
    # not a read by itself in this mode (tests/tools/test_catalog.py).
    refuses_itself = {name for name, spec in EVERY_TOOL.items() if spec.refuses_writes_when_read_only}
    assert refuses_itself == {"call_operation"}
    assert tools and all(t["annotations"]["readOnlyHint"] or t["name"] in refuses_itself for t in tools)
    assert {t["name"] for t in tools} == {name for name in EXPECTED_TOOLS
                                         if EVERY_TOOL[name].read_only or name in refuses_itself}
