"""`plivo-mcp check`, run as a process: the account it found, or exactly what failed and what to fix."""

from __future__ import annotations

import socket
import subprocess
import sys

from plivo_mcp.sandbox import Sandbox
from tests.helpers import clean_env


def check(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "plivo_mcp", "check"], env=clean_env(**env), capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def closed_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on leaving: connecting to it is refused


def test_check_prints_the_account_it_found(sb: Sandbox) -> None:
    sb.store.update_account(sb.auth_id, {"name": "Acme Telecom"})
    (account,) = sb.store.snapshot()["accounts"]
    assert account["name"] == "Acme Telecom"
    proc = check(PLIVO_AUTH_ID=sb.auth_id, PLIVO_AUTH_TOKEN=sb.auth_token, PLIVO_API_URL=sb.base_url)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"GET {sb.base_url}/v1/Account/{sb.auth_id}/ answered 200" in out
    assert f"account:      {account['name']} ({sb.auth_id})" in out
    assert f"account type: {account['account_type']}" in out
    assert f"cash credit:  {account['cash_credits']} USD" in out
    assert sb.auth_token not in out + proc.stderr


def test_check_with_a_wrong_token_names_the_variables_and_exits_3(sb: Sandbox) -> None:
    wrong = "not-the-right-token-0123456789"
    proc = check(PLIVO_AUTH_ID=sb.auth_id, PLIVO_AUTH_TOKEN=wrong, PLIVO_API_URL=sb.base_url)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert f"GET {sb.base_url}/v1/Account/{sb.auth_id}/ answered HTTP 401" in line
    assert "PLIVO_AUTH_TOKEN" in line
    assert wrong not in line and sb.auth_token not in line


def test_check_against_an_unreachable_url_says_which_url_and_exits_4() -> None:
    url = f"http://127.0.0.1:{closed_loopback_port()}"
    token = "sandbox_demo_token_not_secret_0000000000"
    proc = check(PLIVO_AUTH_ID="MASANDBOXDEMO0000001", PLIVO_AUTH_TOKEN=token, PLIVO_API_URL=url,
                 PLIVO_MCP_TIMEOUT="5")
    assert proc.returncode == 4, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert f"could not reach GET {url}/v1/Account/MASANDBOXDEMO0000001/" in line
    assert "ConnectError" in line and f"PLIVO_API_URL (now {url})" in line
    assert token not in line


def test_check_with_missing_configuration_exits_2() -> None:
    proc = check()
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "PLIVO_AUTH_ID" in line


def test_check_help_documents_the_exit_codes() -> None:
    proc = subprocess.run([sys.executable, "-m", "plivo_mcp", "check", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for code in ("0 the account answered", "2 configuration error", "3 authentication refused",
                 "4 the API could not be reached"):
        assert code in text


def test_an_error_text_that_echoes_the_token_never_prints_it() -> None:
    # No sandbox answer echoes credentials; a proxy's or a broken gateway's error page might.
    import base64

    from plivo_mcp.check import _without_token
    from plivo_mcp.config import load_settings

    token = "echoed-token-0123456789"
    config = load_settings(PLIVO_AUTH_ID="MASANDBOXDEMO0000001", PLIVO_AUTH_TOKEN=token)
    basic = base64.b64encode(f"MASANDBOXDEMO0000001:{token}".encode()).decode()
    shown = _without_token(f"bad credentials {token}; Authorization: Basic {basic}", config)
    assert token not in shown and basic not in shown and "***6789" in shown
