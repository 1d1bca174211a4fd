"""`plivo-mcp demo` is the README's first command: it must run end to end on a fresh machine."""

from __future__ import annotations

import subprocess
import sys


def test_demo_transcript_shows_the_session_and_one_guarded_delete():
    proc = subprocess.run([sys.executable, "-m", "plivo_mcp", "demo"], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "== 24 tools over stdio against the embedded sandbox" in out
    for step in ("create_subaccount", "create_application", "list_subaccounts", "list_applications",
                 "get_pricing"):
        assert f">> {step} " in out, step
    preview_at = out.index('"status": "confirmation_required"')
    refused_at = out.index('"code": "invalid_confirmation"')
    deleted_at = out.index('"deleted": ')
    gone_at = out.rindex('"code": "not_found"')
    assert preview_at < refused_at < deleted_at < gone_at
