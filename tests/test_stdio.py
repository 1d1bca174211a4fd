"""The stdio byte layer (plivo_mcp/stdio.py): the server's pipes read and written on its event loop."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from plivo_mcp.shaping import records
from plivo_mcp.stdio import OVERSIZED_LINE, _Lines
from plivo_mcp.tools import TOOLSETS
from tests.helpers import TESTED_TOOLSETS, clean_env

# A PlivoMCP with one extra tool that writes around the protocol: print() to stdout and a child process that
# inherits fd 1. It also reports how many threads the server runs: the loop-native path needs none besides
# the main one (the SDK's default reads and writes the pipes from worker threads).
NOISY_SERVER = textwrap.dedent("""
    import os, sys, threading
    from plivo_mcp.config import load_settings
    from plivo_mcp.server import build_server

    server = build_server(load_settings(PLIVO_AUTH_ID="MASANDBOXDEMO0000001",
                                        PLIVO_AUTH_TOKEN="sandbox_demo_token_not_secret_0000000000",
                                        PLIVO_API_URL="http://127.0.0.1:9"))

    async def noisy() -> str:
        print("stray print", flush=True)
        os.system("echo stray child")
        return str(threading.active_count())

    server.add_tool(noisy)
    server.run("stdio")
    print("stdout is back after serving", flush=True)
""")


def rpc(id_: int, method: str, params: dict) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": params}) + "\n"


def test_stray_output_goes_to_stderr_and_stdout_is_restored_after(tmp_path: Path) -> None:
    script = tmp_path / "noisy_server.py"
    script.write_text(NOISY_SERVER)
    proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        proc.stdin.write(rpc(1, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                               "clientInfo": {"name": "t", "version": "1"}}))
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        proc.stdin.write("this line is not JSON\n")
        proc.stdin.write(rpc(2, "tools/call", {"name": "noisy", "arguments": {}}))
        proc.stdin.flush()
        answers = [json.loads(proc.stdout.readline()) for _ in range(2)]  # every line on stdout is JSON-RPC
    finally:
        rest, stderr = proc.communicate(timeout=60)  # closes stdin: EOF ends the session
    assert proc.returncode == 0, stderr
    assert rest == "stdout is back after serving\n"
    assert [a["id"] for a in answers] == [1, 2]
    result = answers[1]["result"]
    assert not result["isError"] and result["content"][0]["text"] == "1"
    assert "stray print" in stderr and "stray child" in stderr


async def lines_from(chunks: list[bytes], limit: int) -> list[str]:
    reader = asyncio.StreamReader(limit=limit)

    async def feed() -> None:
        for chunk in chunks:
            reader.feed_data(chunk)
            await asyncio.sleep(0)
        reader.feed_eof()

    feeder = asyncio.ensure_future(feed())
    lines = [line async for line in _Lines(reader)]
    await feeder
    return lines


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_lines_split_across_reads_oversized_and_unterminated(anyio_backend: str) -> None:
    chunks = [b'{"a":', b'1}\n', b"x" * 100, b"y" * 100 + b"\n", "{\"é\":2}\n".encode(), b'{"last":3}']
    lines = await lines_from(chunks, limit=64)
    # The oversized line becomes one empty line, which the SDK drops as malformed; nothing else is lost.
    assert lines == ['{"a":1}\n', OVERSIZED_LINE, '{"é":2}\n', '{"last":3}']


@pytest.mark.anyio
async def test_an_answer_larger_than_the_pipe_buffer_arrives_whole(sb) -> None:
    # ~150 KB of answer against a 64 KiB pipe: the writer must wait for the client to read, not drop or hang.
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    for i in range(1000):
        sb.store.create_application(sb.auth_id, f"bulk-{i:04d}", f"https://voice.example.com/answer/{i}")
    env = clean_env(PLIVO_AUTH_ID=sb.auth_id, PLIVO_AUTH_TOKEN=sb.auth_token, PLIVO_API_URL=sb.base_url,
                    PLIVO_MCP_RATE_LIMIT="100000", PLIVO_MCP_TOOLSETS=TESTED_TOOLSETS)
    params = StdioServerParameters(command=sys.executable, args=["-m", "plivo_mcp"], env=env)
    async with Client(params) as client:
        result = await client.call_tool("list_applications", {"all_pages": True, "max_items": 1000,
                                                              "fields": "all"})
    assert not result.is_error
    text = result.content[0].text
    assert len(text) > 2 * 64 * 1024
    names = [item["app_name"] for item in records(json.loads(text))]
    assert sorted(names) == [f"bulk-{i:04d}" for i in range(1000)]


@pytest.mark.parametrize("stdout_kind", ["pipe", "file"])  # loop-native pipes, and the SDK's own stdio path
def test_requests_in_flight_when_stdin_closes_are_answered_before_exit(stdout_kind: str, tmp_path: Path) -> None:
    # `printf '...' | plivo-mcp serve --sandbox`: stdin ends right after the last request, while the tool calls
    # (held up by 200 ms of sandbox latency) are still running. Every request gets its answer, then the process ends.
    requests = [
        rpc(1, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                              "clientInfo": {"name": "t", "version": "1"}}),
        json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n",
        rpc(2, "tools/list", {}),
        rpc(3, "tools/call", {"name": "get_account", "arguments": {}}),
        rpc(4, "tools/call", {"name": "list_numbers", "arguments": {"limit": 1}}),
    ]
    out_path = tmp_path / "stdout.jsonl"
    with out_path.open("w") as out_file:
        proc = subprocess.run(
            [sys.executable, "-m", "plivo_mcp", "serve", "--sandbox", "--sandbox-latency-ms", "200"],
            input="".join(requests), stdout=subprocess.PIPE if stdout_kind == "pipe" else out_file,
            stderr=subprocess.PIPE, text=True, timeout=60, env=clean_env(PLIVO_MCP_LOG_LEVEL="warning"))
    stdout = proc.stdout if stdout_kind == "pipe" else out_path.read_text()
    assert proc.returncode == 0, proc.stderr
    answers = {a["id"]: a for a in map(json.loads, stdout.splitlines())}
    assert sorted(answers) == [1, 2, 3, 4], stdout[-2000:]
    assert len(answers[2]["result"]["tools"]) == sum(len(ts.tools) for ts in TOOLSETS if ts.default)
    for call_id in (3, 4):
        assert "error" not in answers[call_id] and not answers[call_id]["result"]["isError"], answers[call_id]
    assert json.loads(answers[3]["result"]["content"][0]["text"])["auth_id"] == "MASANDBOXDEMO0000001"


def test_a_confirmation_asked_after_stdin_closed_fails_closed_and_is_answered(sb) -> None:
    # The client declared elicitation, asked for a guarded delete, and closed its input: the server's question
    # can never be answered. The call is answered "not confirmed", nothing is deleted, and the process ends.
    app_id = sb.store.create_application(sb.auth_id, "ivr", "https://example.com/answer")
    requests = [
        rpc(1, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {"elicitation": {}},
                              "clientInfo": {"name": "t", "version": "1"}}),
        json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n",
        rpc(2, "tools/call", {"name": "delete_application", "arguments": {"app_id": app_id}}),
    ]
    env = clean_env(PLIVO_AUTH_ID=sb.auth_id, PLIVO_AUTH_TOKEN=sb.auth_token, PLIVO_API_URL=sb.base_url,
                    PLIVO_MCP_TOOLSETS=TESTED_TOOLSETS)
    proc = subprocess.run([sys.executable, "-m", "plivo_mcp", "serve"], input="".join(requests),
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    messages = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [m.get("method") for m in messages if "method" in m] == ["elicitation/create"]
    (answer,) = [m for m in messages if m.get("id") == 2 and "method" not in m]
    assert answer["result"]["isError"]
    assert json.loads(answer["result"]["content"][0]["text"])["error"]["code"] == "not_confirmed"
    assert sb.store.get_application([sb.auth_id], app_id) is not None
