"""The command line as a process: what `serve` says at start, its log level, and sandbox state with --db."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from plivo_mcp.shaping import records
from tests.helpers import clean_env, ok


def log_lines_until_serving(args: list[str], **env: str) -> list[dict[str, Any]]:
    """Start `plivo-mcp` with `args`, read its JSON log lines up to the "serving" one, then stop it."""
    proc = subprocess.Popen([sys.executable, "-m", "plivo_mcp", *args], env=clean_env(**env),
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(60, proc.kill)  # bounded even if the server never logs "serving"
    watchdog.start()
    lines: list[dict[str, Any]] = []
    try:
        for raw in proc.stderr:
            lines.append(json.loads(raw))
            if lines[-1].get("event") == "serving":
                break
    finally:
        watchdog.cancel()
        proc.terminate()
        proc.communicate(timeout=30)
    return lines


def test_http_serve_logs_the_plivo_api_url_at_start() -> None:
    lines = log_lines_until_serving(["serve", "--sandbox", "--transport", "http", "--port", "0"])
    assert lines and lines[-1]["event"] == "serving" and lines[-1]["transport"] == "http"
    urls = [line["api_url"] for line in lines if "api_url" in line]
    assert urls and urls[0].startswith("http://127.0.0.1:"), lines


def test_stdio_serve_logs_the_plivo_api_url_at_start() -> None:
    lines = log_lines_until_serving(["serve", "--sandbox"])
    assert lines[-1]["event"] == "serving" and lines[-1]["api_url"].startswith("http://127.0.0.1:")


@pytest.mark.anyio
async def test_serve_sandbox_with_db_keeps_state_across_sessions(tmp_path: Path) -> None:
    # Clients that open a new session (a new process) per call see what the previous one created.
    db = tmp_path / "sandbox.db"
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "plivo_mcp", "serve", "--sandbox", "--db", str(db)],
                                   env=clean_env(PLIVO_MCP_LOG_LEVEL="warning"))
    async with Client(params) as first:
        created = await ok(first, "create_subaccount", {"name": "Kept Across Sessions"})
    async with Client(params) as second:
        listed = await ok(second, "list_subaccounts", {})
    assert created["auth_id"] in {item["auth_id"] for item in records(listed)}


def test_serve_db_without_sandbox_or_unopenable_is_a_configuration_error(tmp_path: Path) -> None:
    for args, says in ((["serve", "--db", str(tmp_path / "x.db")], "--db needs --sandbox"),
                       (["serve", "--sandbox", "--db", str(tmp_path / "missing" / "x.db")], "--db")):
        proc = subprocess.run([sys.executable, "-m", "plivo_mcp", *args], env=clean_env(), capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert proc.returncode == 2 and proc.stdout == ""
        (line,) = proc.stderr.strip().splitlines()
        assert says in line, line


# --- logging ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["DEBUG", "Info"])
def test_log_level_is_accepted_in_any_case(level: str) -> None:
    lines = log_lines_until_serving(["serve", "--sandbox"], PLIVO_MCP_LOG_LEVEL=level)
    assert lines and lines[-1]["event"] == "serving"


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "auto"])  # the handshake era (most clients today) and 2026-07-28
async def test_http_logs_one_line_per_call_without_the_sdks_per_request_noise(mode: str) -> None:
    from tests.test_http import _free_port, mcp_client

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "plivo_mcp", "serve", "--sandbox", "--transport", "http",
                             "--port", str(port)], env=clean_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:  # readiness: the process must import and bind; poll its health endpoint, bounded
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the HTTP server did not become healthy in 30 s"
            time.sleep(0.05)
        async with mcp_client(url, token=None, mode=mode) as client:
            await client.list_tools()
            for _ in range(5):
                await ok(client, "get_account")
    finally:
        proc.terminate()
        stderr = proc.communicate(timeout=30)[1]
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert [line["tool"] for line in lines if line["event"] == "tool_call"] == ["get_account"] * 5
    noise = [line for line in lines if line["event"].startswith("Terminating session")]
    assert not noise, f"{len(noise)} of {len(lines)} log lines are the SDK's per-request session noise"
