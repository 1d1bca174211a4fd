"""The server as a process: configuration errors, stdio hygiene, and a real stdio session."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from plivo_mcp.tools import TOOLSETS
from tests.helpers import clean_env

pytestmark = pytest.mark.anyio




@pytest.mark.parametrize(("env", "variable"), [
    ({}, "PLIVO_AUTH_ID"),
    ({"PLIVO_AUTH_ID": "XX123"}, "PLIVO_AUTH_ID"),
    ({"PLIVO_AUTH_ID": "MASANDBOXDEMO0000001"}, "PLIVO_AUTH_TOKEN"),
    ({"PLIVO_AUTH_ID": "MASANDBOXDEMO0000001", "PLIVO_AUTH_TOKEN": "tokentoken", "PLIVO_MCP_TIMEOUT": "soon"},
     "PLIVO_MCP_TIMEOUT"),
    ({"PLIVO_AUTH_ID": "MASANDBOXDEMO0000001", "PLIVO_AUTH_TOKEN": "tokentoken", "PLIVO_API_URL": "ftp://x"},
     "PLIVO_API_URL"),
])
def test_bad_configuration_exits_2_with_one_line(env, variable):
    proc = subprocess.run([sys.executable, "-m", "plivo_mcp", "serve"], env=clean_env(**env), capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0]
    if "AUTH" in variable:
        assert "--sandbox" in lines[0]


async def test_stdio_session_against_the_sandbox(sb):
    env = clean_env(PLIVO_AUTH_ID=sb.auth_id, PLIVO_AUTH_TOKEN=sb.auth_token, PLIVO_API_URL=sb.base_url)
    params = StdioServerParameters(command=sys.executable, args=["-m", "plivo_mcp"], env=env)
    async with Client(params) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == {spec.name for ts in TOOLSETS if ts.default for spec in ts.tools}
        result = await client.call_tool("update_account", {"name": "Over stdio"})
        assert not result.is_error, result
        result = await client.call_tool("get_number", {"number": "19995550100"})
        assert result.is_error and json.loads(result.content[0].text)["error"]["code"] == "not_found"
    assert any(a["name"] == "Over stdio" for a in sb.store.snapshot()["accounts"])


def test_stdout_is_only_json_rpc_and_logs_are_json_on_stderr(sb):
    env = clean_env(PLIVO_AUTH_ID=sb.auth_id, PLIVO_AUTH_TOKEN=sb.auth_token, PLIVO_API_URL=sb.base_url)
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_account", "arguments": {}}},
    ]
    proc = subprocess.Popen([sys.executable, "-m", "plivo_mcp", "serve"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for req in requests:
            proc.stdin.write(json.dumps(req) + "\n")
            proc.stdin.flush()
        answers = [json.loads(proc.stdout.readline()), json.loads(proc.stdout.readline())]
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    stderr = proc.stderr.read()
    assert answers[1]["id"] == 2 and not answers[1]["result"]["isError"]
    log_lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert log_lines and all(entry["event"] for entry in log_lines)
    calls = [entry for entry in log_lines if entry["event"] == "tool_call"]
    assert [(c["tool"], c["outcome"]) for c in calls] == [("get_account", "ok")]
    assert not [entry for entry in log_lines if entry.get("logger") == "httpx"]  # one line per call, not per request
    assert sb.auth_token not in stderr


def test_cli_version_and_sandbox_flag_without_subcommand():
    out = subprocess.run([sys.executable, "-m", "plivo_mcp", "--version"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("plivo-mcp ")


async def test_an_unknown_tool_gets_the_json_error_shape(client: Client) -> None:
    result = await client.call_tool("send_fax", {"to": "+14155550100"})
    assert result.is_error
    error = json.loads(result.content[0].text)["error"]  # JSON, not the SDK's plain "Unknown tool" text
    assert error["code"] == "unknown_tool" and "send_fax" in error["error"]
    assert "tools/list" in error["hint"]
    long_name = "x" * 5000
    result = await client.call_tool(long_name, {})
    error = json.loads(result.content[0].text)["error"]
    assert error["code"] == "unknown_tool" and len(error["error"]) < 300  # the name is echoed, not all of it
