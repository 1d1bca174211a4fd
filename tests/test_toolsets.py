"""Which tools a server offers, through a real MCP client: toolsets, the additive --tools list, and read-only
mode and subaccount credentials on top (they always win). The expected sets are derived from the toolsets
the tool modules declare, never from a hand-kept list."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from mcp import Client

from plivo_mcp.config import ConfigError, load_settings
from plivo_mcp.server import EVERY_TOOL, build_server
from plivo_mcp.tools import TOOLSETS
from tests.conftest import REPO_ROOT
from tests.helpers import clean_env, err

pytestmark = pytest.mark.anyio
BY_NAME = {t.name: t for t in TOOLSETS}


def names_in(*toolsets: str) -> set[str]:
    return {spec.name for name in toolsets for spec in BY_NAME[name].tools}


async def offered(**settings: Any) -> list[str]:
    config = load_settings(PLIVO_AUTH_ID=settings.pop("auth_id", "MASANDBOXDEMO0000001"),
                           PLIVO_AUTH_TOKEN="toolset-token", PLIVO_API_URL="http://127.0.0.1:9", **settings)
    async with Client(build_server(config)) as client:
        return [t.name for t in (await client.list_tools()).tools]


def test_every_tool_belongs_to_exactly_one_toolset_and_names_are_unique() -> None:
    names = [spec.name for t in TOOLSETS for spec in t.tools]
    assert len(names) == len(set(names)) == len(EVERY_TOOL)
    assert len({t.name for t in TOOLSETS}) == len(TOOLSETS)
    assert all(t.description and t.tools for t in TOOLSETS)


async def test_default_is_the_default_toolsets_in_declared_order() -> None:
    expected = [spec.name for t in TOOLSETS if t.default for spec in t.tools]
    assert await offered() == expected
    assert await offered(PLIVO_MCP_TOOLSETS="default") == expected
    assert set(await offered(PLIVO_MCP_TOOLSETS="all")) == set(EVERY_TOOL)


async def test_the_catalog_is_on_by_default_and_the_configuration_toolsets_are_not() -> None:
    # The default surface reaches every operation through the catalog within 6,000 tokens
    # (tests/test_token_budget.py); the toolsets left out stay one flag away, and their operations in the catalog.
    assert {t.name for t in TOOLSETS if not t.default} == {"subaccounts", "applications", "endpoints", "recordings"}
    default = set(await offered())
    assert names_in("catalog") <= default and not names_in("subaccounts", "applications", "endpoints") & default
    assert set(await offered(PLIVO_MCP_TOOLSETS="default,applications")) == default | names_in("applications")


async def test_named_toolsets_and_additive_tools() -> None:
    assert set(await offered(PLIVO_MCP_TOOLSETS="account,pricing")) == names_in("account", "pricing")
    both = await offered(PLIVO_MCP_TOOLSETS="numbers", PLIVO_MCP_TOOLS="get_pricing,get_account")
    assert set(both) == names_in("numbers") | {"get_pricing", "get_account"}
    # Order stays the declared one whatever order the operator wrote: tools/list is deterministic.
    assert both == [n for n in EVERY_TOOL if n in set(both)]
    assert await offered(PLIVO_MCP_TOOLS="get_pricing") == ["get_pricing"]  # tools alone: only those
    assert set(await offered(PLIVO_MCP_TOOLSETS="Numbers, PRICING")) == names_in("numbers", "pricing")


async def test_read_only_and_subaccount_credentials_always_win() -> None:
    read_only = await offered(PLIVO_MCP_TOOLSETS="all", PLIVO_MCP_TOOLS="delete_endpoint", read_only=True)
    # call_operation stays in read-only mode: it refuses every operation that is not a read itself.
    assert set(read_only) == {n for n, spec in EVERY_TOOL.items() if spec.read_only} | {"call_operation"}
    sub = await offered(auth_id="SASANDBOXDEMO0000001", PLIVO_MCP_TOOLSETS="subaccounts,account")
    assert set(sub) == names_in("account")


async def test_a_tool_left_out_is_refused_by_name_with_the_reason(sandbox) -> None:
    from tests.helpers import server_for

    async with Client(server_for(sandbox, PLIVO_MCP_TOOLSETS="pricing")) as client:
        error = await err(client, "get_account")
    assert error["code"] == "tool_unavailable" and "PLIVO_MCP_TOOLSETS" in error["error"]


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("PLIVO_MCP_TOOLSETS", "numbers,nope", "unknown toolset nope"),
    ("PLIVO_MCP_TOOLS", "get_acount", "unknown tool get_acount"),
])
def test_unknown_names_are_refused_at_build(variable: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as caught:
        build_server(load_settings(PLIVO_AUTH_ID="MASANDBOXDEMO0000001", PLIVO_AUTH_TOKEN="toolset-token",
                                   **{variable: value}))
    valid = ", ".join(BY_NAME) if "TOOLSETS" in variable else "get_account"
    assert valid in str(caught.value)


@pytest.mark.slow
def test_cli_unknown_toolset_exits_2_with_one_line_listing_the_valid_ones() -> None:
    proc = subprocess.run([sys.executable, "-m", "plivo_mcp", "serve", "--sandbox", "--toolsets", "numbers,bogus"],
                          cwd=REPO_ROOT, env=clean_env(), capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "bogus" in lines[0] and "all, default, account" in lines[0], lines
