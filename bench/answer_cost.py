"""Figure 2, answer cost: tokens of the tool's answer against the raw Plivo JSON for the same data.

Same sandbox, same data, same run: a page of 20 applications, of 20 subaccounts, of 20 numbers, of 20 messages,
of 20 call records (the sandbox's seeded history), and US pricing, fetched once raw (the API body, compact as
Plivo sends it) and once through the MCP tool (the text block the assistant reads). Also checks that every id,
name, state and time in the raw page is still in the answer, in the row for its object.

    python bench/answer_cost.py
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from _util import table, tokens

# (figure, tool, tool arguments, API path, API query, the fields that must survive)
CASES: list[tuple[str, str, dict[str, Any], str, dict[str, Any], tuple[str, ...]]] = [
    ("page of 20 applications", "list_applications", {"limit": 20}, "Application/", {"limit": 20},
     ("app_id", "app_name", "enabled")),
    ("page of 20 subaccounts", "list_subaccounts", {"limit": 20}, "Subaccount/", {"limit": 20},
     ("auth_id", "name", "enabled")),
    ("page of 20 numbers", "list_numbers", {"limit": 20}, "Number/", {"limit": 20},
     ("number", "alias", "application")),
    ("page of 20 messages (MDRs)", "list_messages", {"limit": 20}, "Message/", {"limit": 20},
     ("message_uuid", "message_time", "message_state", "to_number", "error_code")),
    ("page of 20 call records", "list_calls", {"limit": 20}, "Call/", {"limit": 20},
     ("call_uuid", "end_time", "to_number", "bill_duration", "total_amount", "hangup_cause_name")),
    ("US pricing", "get_pricing", {"country_iso": "US"}, "Pricing/", {"country_iso": "US"}, ()),
]
TARGETS = {"US pricing": 8.0}
LIST_TARGET = 4.0


def seed(sb: Any) -> None:
    from plivo_mcp.sandbox.accounts import Accounts

    store, owner = sb.store, sb.auth_id
    apps = [store.create_application(owner, f"support-line-{i:02d}", f"https://voice.example.com/answer/{i}",
                                     hangup_url=f"https://voice.example.com/hangup/{i}")
            for i in range(20)]
    for i in range(20):
        store.create_subaccount(owner, f"Customer {i:02d} Ltd", enabled=i % 3 != 0)
    for i in range(20):
        store.rent_number(owner, app_id=apps[i] if i % 2 else None, alias=f"line {i:02d}")
    from plivo_mcp.sandbox.messages import Messages

    # a day of traffic over the account and its subaccounts (the default list window is the last 24 hours)
    store.storage(Messages).write_history([owner, *store.storage(Accounts).subaccount_ids(owner)], days=1, count=60)


def kept(raw: dict[str, Any], answer: dict[str, Any], fields: tuple[str, ...]) -> str:
    """Every raw object's id/name/state/time value is in the answer's row for it (a link shortened to the bare id,
    a time as the same instant in UTC, a value shared by every row stated once)."""
    from plivo_mcp.shaping import compact_links, records, utc_basic

    objects, rows = raw.get("objects") or [], records(answer)
    if len(rows) != len(objects):
        return f"NO ({len(rows)} rows for {len(objects)} objects)"
    missing = 0
    for obj, row in zip(objects, rows, strict=True):
        for field in fields:
            value = obj.get(field)
            if value is not None and row.get(field) != (utc_basic(value) if field.endswith("_time")
                                                        else compact_links(value)):
                missing += 1
    return "yes" if missing == 0 else f"NO ({missing} missing)"


async def measure() -> list[tuple[Any, ...]]:
    import httpx
    from mcp import Client

    from plivo_mcp.config import load_settings
    from plivo_mcp.sandbox import Sandbox
    from plivo_mcp.server import build_server

    sb = Sandbox(db=":memory:", seed_history=True)
    seed(sb)
    url = sb.start()
    rows = []
    try:
        # Applications and subaccounts are off by default since the catalog: named here, as an operator would.
        server = build_server(load_settings(PLIVO_AUTH_ID=sb.auth_id, PLIVO_AUTH_TOKEN=sb.auth_token,
                                            PLIVO_API_URL=url, PLIVO_MCP_TOOLSETS="default,subaccounts,applications"))
        async with Client(server) as client, httpx.AsyncClient(
                base_url=f"{url}/v1/Account/{sb.auth_id}/", auth=(sb.auth_id, sb.auth_token)) as http:
            for label, tool, args, path, query, fields in CASES:
                raw_text = (await http.get(path, params=query)).text
                result = await client.call_tool(tool, args)
                assert not result.is_error, result
                answer_text = result.content[0].text  # type: ignore[union-attr]
                raw_tokens, answer_tokens = tokens(raw_text), tokens(answer_text)
                ratio = raw_tokens / answer_tokens
                target = TARGETS.get(label, LIST_TARGET)
                rows.append((label, raw_tokens, answer_tokens, f"{ratio:.2f}x fewer",
                             f">= {target:g}x ({'met' if ratio >= target else 'MISSED'})",
                             kept(json.loads(raw_text), json.loads(answer_text), fields) if fields else "n/a"))
    finally:
        sb.stop()
    return rows


def main() -> int:
    rows = asyncio.run(measure())
    print(table("Answer cost (o200k_base tokens)",
                ["data", "raw Plivo JSON", "plivo-mcp answer", "ratio", "target", "ids/names/state kept"], rows))
    return 0 if all("met" in r[4] and not str(r[5]).startswith("NO") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
