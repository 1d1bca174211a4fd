"""`plivo-mcp check`: one authenticated request (GET Account), so a new setup fails here, not mid-conversation.

It uses the same client, timeouts and proxy as `serve`, without retries: the point is to say at once what is
wrong. The token is never printed (only the variable to fix).
"""

from __future__ import annotations

import sys
from typing import Any

# Exit statuses, documented in `plivo-mcp check --help` and the README.
EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_AUTH = 3
EXIT_UNREACHABLE = 4

EXIT_CODES_HELP = ("exit status: 0 the account answered; 2 configuration error (a variable missing or malformed); "
                   "3 authentication refused (PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN); 4 the API could not be reached "
                   "or answered something else")


def run_check() -> int:
    from plivo_mcp.config import ConfigError, load_settings

    try:
        config = load_settings()
    except ConfigError as exc:
        print(f"plivo-mcp check: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if not config.plivo_auth_id:  # a multi-tenant HTTP setup may hold no account of its own
        print("plivo-mcp check: PLIVO_AUTH_ID is not set: nothing to check (this server relies on per-request "
              "credentials)", file=sys.stderr)
        return EXIT_CONFIG
    import anyio

    return anyio.run(_check, config)


async def _check(config: Any) -> int:
    from plivo_mcp.client import PlivoClient
    from plivo_mcp.errors import PlivoToolError

    client = PlivoClient.from_settings(config)
    client.retry_attempts = 1  # a diagnosis, not a conversation: report the first failure as it is
    url = f"{client.base_url}/v1/Account/{client.auth_id}/"
    try:
        account = await client.get("")
    except PlivoToolError as exc:
        return _report_failure(exc, url, config)
    finally:
        await client.aclose()
    name = account.get("name") or "(no name)"
    kind = account.get("account_type") or ("subaccount" if config.is_subaccount else "unknown")
    credit = account.get("cash_credits")
    print(f"plivo-mcp check: OK, GET {url} answered 200\n"
          f"  account:      {name} ({account.get('auth_id') or client.auth_id})\n"
          f"  account type: {kind}\n"
          f"  cash credit:  {f'{credit} USD' if credit is not None else '(not shown for this account)'}")
    return EXIT_OK


def _without_token(text: str, config: Any) -> str:
    """`text` with the token masked, also in its Basic-auth form, should an error page echo either."""
    import base64

    from plivo_mcp.secrets import mask_value

    token = config.plivo_auth_token
    basic = base64.b64encode(f"{config.plivo_auth_id}:{token}".encode()).decode()
    return text.replace(basic, mask_value(basic)).replace(token, mask_value(token))


def _report_failure(exc: Any, url: str, config: Any) -> int:
    detail = _without_token(exc.message, config)
    if exc.status in (401, 403):
        print(f"plivo-mcp check: authentication failed: GET {url} answered HTTP {exc.status} ({detail}). "
              "Fix PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN: copy both from the Plivo console (a subaccount's own pair "
              "works too).", file=sys.stderr)
        return EXIT_AUTH
    if exc.status is not None:
        print(f"plivo-mcp check: GET {url} answered HTTP {exc.status} ({detail}). Check PLIVO_API_URL "
              f"(now {config.plivo_api_url}).", file=sys.stderr)
        return EXIT_UNREACHABLE
    # The proxy URL itself may carry a password: name the variable only.
    via = " through PLIVO_MCP_PROXY" if config.proxy else ""
    print(f"plivo-mcp check: could not reach GET {url}{via}: {detail}. Check PLIVO_API_URL "
          f"(now {config.plivo_api_url}){', PLIVO_MCP_PROXY' if config.proxy else ''} and the network; "
          "PLIVO_MCP_TIMEOUT sets how long to wait.", file=sys.stderr)
    return EXIT_UNREACHABLE
