"""The command line as a process: what `serve` says at start, its log level, and sandbox state with --db."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any

from tests.helpers import clean_env


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
