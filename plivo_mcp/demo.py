"""`plivo-mcp demo`: real MCP client sessions against `plivo-mcp serve --sandbox`, printed as a transcript.

Two sessions share one sandbox (`--db` in a temporary directory): the first is a client that cannot ask the
person (the two-step confirmation token), the second one that can (elicitation: the person's own answer).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from plivo_mcp.shaping import records

TOKEN_SHOWN = 12  # characters of a confirmation token the transcript shows; the rest is noise to a reader
# The default toolsets plus the two the story needs that are off by default (a customer's subaccount and its
# application): the operator's --toolsets, shown in the transcript's first line.
DEMO_TOOLSETS = "default,subaccounts,applications"


def short_token(token: Any) -> Any:
    return f"{token[:TOKEN_SHOWN]}…" if isinstance(token, str) and len(token) > TOKEN_SHOWN else token


def preview_lines(tool: str, preview: dict[str, Any]) -> list[str]:
    """The preview as the lines a person reads (the elicitation dialog's text, without its "Type ..." prompt)."""
    from plivo_mcp.guard import render_preview

    return render_preview(tool, {**preview, "confirm_with": ""}).splitlines()[:-1]


def tool_kind(tool: Any) -> str:
    """read, write, or guarded: acts only once a preview is confirmed (deletes, unrent, buy)."""
    if "confirmation_token" in (tool.input_schema.get("properties") or {}):
        return "guarded"
    return "read" if tool.annotations and tool.annotations.read_only_hint else "write"


def answer_of(result: Any) -> Any:
    """A tool answer's JSON, as the assistant reads it (its first, text, content block)."""
    return json.loads(result.content[0].text)


def print_answer(tool: str, data: dict[str, Any]) -> None:
    """JSON, except that tokens are shortened and a preview is shown as the lines a person would read."""
    shown = {k: short_token(v) if k == "confirmation_token" else v for k, v in data.items()}
    error = shown.get("error")
    preview = shown.pop("preview", None) or (error.pop("preview", None) if isinstance(error, dict) else None)
    print(json.dumps(shown, indent=2, ensure_ascii=False)[:1800])
    if isinstance(preview, dict):
        print("preview, as the person sees it:")
        for line in preview_lines(tool, preview):
            print(f"  | {line}")


def server_params(db: Path) -> Any:
    from mcp.client.stdio import StdioServerParameters

    return StdioServerParameters(command=sys.executable,
                                 args=["-m", "plivo_mcp", "serve", "--sandbox", "--db", str(db),
                                       "--toolsets", DEMO_TOOLSETS],
                                 env={"PLIVO_MCP_LOG_LEVEL": "warning"})


async def _session(db: Path) -> None:
    from mcp import Client

    async with Client(server_params(db)) as client:

        async def call(name: str, args: dict[str, Any], quiet_error: bool = False) -> dict[str, Any]:
            result = await client.call_tool(name, args)
            data = answer_of(result)
            if quiet_error and result.is_error:
                return data  # a poll that is not there yet: the transcript shows the answer it waits for
            shown_args = {k: short_token(v) if k == "confirmation_token" else v for k, v in args.items()}
            print(f"\n>> {name} {json.dumps(shown_args, ensure_ascii=False)}{'  [error]' if result.is_error else ''}")
            print_answer(name, data)
            return data

        tools = (await client.list_tools()).tools
        print(f"== {len(tools)} tools (--toolsets {DEMO_TOOLSETS}) over stdio against the embedded sandbox "
              "(guarded: acts only once a preview is confirmed)")
        from plivo_mcp.core.answers import ACCOUNT_DATA_NOTE

        for tool in tools:
            description = (tool.description or "").replace(ACCOUNT_DATA_NOTE, "").strip()
            print(f"  {tool.name:<22} {tool_kind(tool):<8} {description}")
        await call("get_account", {})
        sub = await call("create_subaccount", {"name": "Acme Support", "enabled": True})
        app = await call("create_application", {"app_name": "acme_ivr", "answer_url": "https://example.com/answer",
                                                "subaccount": sub["auth_id"]})
        await call("create_application", {"app_name": "acme_old_ivr", "answer_url": "https://example.com/old"})
        await call("list_subaccounts", {})
        await call("list_applications", {"subaccount": sub["auth_id"]})
        await call("get_pricing", {"country_iso": "US"})
        print("\n== A guarded delete from a client that cannot ask the person: the first call only previews and "
              "returns a token; nothing is deleted without it.")
        preview = await call("delete_application", {"app_id": app["app_id"]})
        await call("get_application", {"app_id": app["app_id"]})
        print("\n== A wrong token is refused, and nothing happens:")
        await call("delete_application", {"app_id": app["app_id"], "confirmation_token": "forged.token"})
        print("\n== The person agreed to the preview: the same call with its token acts.")
        await call("delete_application", {"app_id": app["app_id"],
                                          "confirmation_token": preview["confirmation_token"]})
        await call("get_application", {"app_id": app["app_id"]})
        await _messaging(call)


async def _messaging(call: Any) -> None:
    """Buy a sender number, send a message after its cost preview, and follow its state to delivery."""
    import anyio

    print("\n== Messaging: a number to send from (buying is guarded too), then a message whose cost is previewed "
          "from live pricing and the account's credit before anything is sent.")
    found = await call("search_phone_numbers", {"country_iso": "US", "type": "fixed", "limit": 1})
    number = records(found)[0]["number"]
    buy = await call("buy_phone_number", {"number": number})
    await call("buy_phone_number", {"number": number, "confirmation_token": buy["confirmation_token"]})
    args = {"src": number, "dst": ["14155550123", "447700900123"], "text": "Your table for 2 is booked for 8pm."}
    preview = await call("send_message", args)
    sent = await call("send_message", {**args, "confirmation_token": preview["confirmation_token"]})
    print("\n== Its state moves on the sandbox's clock (real time), queued -> sent -> delivered:")
    for _ in range(20):
        state = await call("get_message", {"message_uuid": sent["message_uuid"][0]})
        if state.get("message_state") not in ("queued", "sent"):
            break
        await anyio.sleep(1)  # a person polling the API: states move within seconds
    await call("list_messages", {})
    await _voice(call, number)


async def _voice(call: Any, number: str) -> None:
    """Place a call after its cost preview, read its record once it ends, then the period's usage and spend."""
    import anyio

    print("\n== Voice: a call previewed with its most possible cost before it is placed; 1415555 0101 is the "
          "sandbox's busy line, so it ends within seconds (a real call's record waits for its hangup).")
    args = {"from_number": number, "to": ["14155550101"], "answer_url": "https://example.com/answer",
            "time_limit": 120}
    preview = await call("make_call", args)
    placed = await call("make_call", {**args, "confirmation_token": preview["confirmation_token"]})
    record: dict[str, Any] = {}
    for _ in range(15):
        await anyio.sleep(1)  # a person waiting for the call to end: its record exists once it has
        record = await call("get_call", {"call_uuid": placed["request_uuid"]}, quiet_error=True)
        if "error" not in record:
            break
    if "error" in record:
        await call("get_call", {"call_uuid": placed["request_uuid"]})  # show why it is still missing
    print("\n== What happened and what it cost, calls and messages together (default: the last 7 days):")
    await call("get_usage", {})


async def _asking_session(db: Path) -> None:
    """A client that can ask the person (elicitation): the person reads the preview and types the name."""
    from mcp import Client
    from mcp.types import ElicitResult

    async def ask_the_person(context: Any, params: Any) -> ElicitResult:
        print("the client shows the person:")
        for line in params.message.splitlines():
            print(f"  | {line}")
        field = next(iter(params.requested_schema.get("properties") or {"confirm": None}))
        print(f"the person types: {answer}")
        return ElicitResult(action="accept", content={field: answer})

    answer = ""
    async with Client(server_params(db), elicitation_callback=ask_the_person) as client:
        print("\n== The same kind of delete from a client that can ask the person (elicitation): the person reads "
              "the preview and must type the application's name. This is the human-in-the-loop path.")
        listed = answer_of(await client.call_tool("list_applications", {"app_name": "acme_old"}))
        (old,) = records(listed)
        answer = old["app_name"]
        print(f"\n>> delete_application {json.dumps({'app_id': old['app_id']})}")
        result = await client.call_tool("delete_application", {"app_id": old["app_id"]})
        print_answer("delete_application", answer_of(result))
        gone = await client.call_tool("get_application", {"app_id": old["app_id"]})
        print(f"\n>> get_application {json.dumps({'app_id': old['app_id']})}{'  [error]' if gone.is_error else ''}")
        print_answer("get_application", answer_of(gone))


def run_demo() -> int:
    import anyio

    with tempfile.TemporaryDirectory(prefix="plivo-mcp-demo-") as tmp:
        db = Path(tmp) / "sandbox.db"  # both sessions (two server processes) share this sandbox state
        anyio.run(_session, db)
        anyio.run(_asking_session, db)
    return 0
