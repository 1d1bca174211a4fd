"""`plivo-mcp demo` is the README's first command: it must run end to end on a fresh machine."""

from __future__ import annotations

import re
import subprocess
import sys

from plivo_mcp.tools import TOOLSETS


def test_demo_transcript_shows_the_session_and_both_confirmation_paths():
    proc = subprocess.run([sys.executable, "-m", "plivo_mcp", "demo"], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    from plivo_mcp.demo import DEMO_TOOLSETS

    names = DEMO_TOOLSETS.split(",")
    default_tools = sum(len(ts.tools) for ts in TOOLSETS if ts.default or ts.name in names)
    assert f"== {default_tools} tools (--toolsets {DEMO_TOOLSETS}) over stdio against the embedded sandbox" in out
    kinds = dict(re.findall(r"^  (\w+) +(read|write|guarded) ", out, flags=re.MULTILINE))
    assert len(kinds) == default_tools
    assert {name for name, kind in kinds.items() if kind == "guarded"} == {
        "delete_subaccount", "delete_application", "unrent_number", "buy_phone_number",
        "send_message", "make_call", "hangup_call", "cancel_call_request", "call_operation"}
    assert 'Marked "_data"' not in out.split(">>", 1)[0]  # the table keeps to what each tool does
    for step in ("create_subaccount", "create_application", "list_subaccounts", "list_applications",
                 "get_pricing"):
        assert f">> {step} " in out, step
    # The token path: the preview as readable lines, the token shortened, a forged token refused, then the delete.
    preview_at = out.index('"status": "confirmation_required"')
    assert "preview, as the person sees it:\n  | Delete application acme_ivr (" in out
    assert "  | - reversible: False" in out
    tokens = set(re.findall(r'"confirmation_token": "([^"]*)"', out)) - {"forged.token"}
    assert len(tokens) == 1 and all(len(token) == 13 and token.endswith("…") for token in tokens), tokens
    refused_at = out.index('"code": "invalid_confirmation"')
    deleted_at = out.index('"deleted": ')
    gone_at = out.index('"code": "not_found"', deleted_at)
    assert preview_at < refused_at < deleted_at < gone_at
    # The elicitation path: the person reads the same kind of preview and types the name; then it is gone.
    asked_at = out.index("the client shows the person:\n  | Delete application acme_old_ivr (")
    typed_at = out.index("  | Type acme_old_ivr to confirm.\nthe person types: acme_old_ivr", asked_at)
    second_delete_at = out.index('"deleted": ', typed_at)
    assert gone_at < asked_at < second_delete_at < out.index('"code": "not_found"', second_delete_at)
    # Messaging: the cost preview, then the message queued, then its delivery state.
    cost_at = out.index("preview, as the person sees it:\n  | Send a sms from ")
    assert "  | - estimated cost usd: 0.04750" in out and "  | - credit after usd: " in out
    queued_at = out.index('"message": "message(s) queued"', cost_at)
    assert queued_at < out.index('"message_state": "delivered"', queued_at)
    # Voice: the call's cost preview, its record once the busy line ends it, then the period's usage with it.
    call_cost_at = out.index("preview, as the person sees it:\n  | Call 1 recipient(s) from ")
    fired_at = out.index('"message": "call fired"', call_cost_at)
    record_at = out.index('"hangup_cause_name": "Busy Line"', fired_at)
    usage_at = out.index(">> get_usage {}", record_at)
    assert '"Busy Line": 1' in out[usage_at:] and '"delivered": 2' in out[usage_at:]
