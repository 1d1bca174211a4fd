"""The command line as a process: what `serve` says at start, its log level, and sandbox state with --db."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

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
    assert created["auth_id"] in {item["auth_id"] for item in listed["items"]}


def test_serve_db_without_sandbox_or_unopenable_is_a_configuration_error(tmp_path: Path) -> None:
    for args, says in ((["serve", "--db", str(tmp_path / "x.db")], "--db needs --sandbox"),
                       (["serve", "--sandbox", "--db", str(tmp_path / "missing" / "x.db")], "--db")):
        proc = subprocess.run([sys.executable, "-m", "plivo_mcp", *args], env=clean_env(), capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert proc.returncode == 2 and proc.stdout == ""
        (line,) = proc.stderr.strip().splitlines()
        assert says in line, line
