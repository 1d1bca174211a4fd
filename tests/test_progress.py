"""Progress notifications on multi-page work, over a real wire (stdio subprocess), and the helper's promise
never to fail the call it reports on."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.server.mcpserver import Context

from plivo_mcp.paging import report_progress
from plivo_mcp.sandbox import Sandbox
from tests.conftest import REPO_ROOT
from tests.helpers import TESTED_TOOLSETS

pytestmark = pytest.mark.anyio



@pytest.mark.slow
async def test_list_all_pages_reports_progress_over_stdio_when_asked() -> None:
    sb = Sandbox(db=":memory:")
    sb.start()
    try:
        for i in range(45):
            sb.store.create_application(sb.auth_id, f"app-{i:02d}", "https://example.com/answer")
        env = {**os.environ, "PLIVO_AUTH_ID": sb.auth_id, "PLIVO_AUTH_TOKEN": sb.auth_token,
               "PLIVO_API_URL": sb.base_url, "PLIVO_MCP_LOG_LEVEL": "warning",
               "PLIVO_MCP_TOOLSETS": TESTED_TOOLSETS}
        params = StdioServerParameters(command=sys.executable, args=["-m", "plivo_mcp", "serve"], cwd=str(REPO_ROOT),
                                       env=env)
        seen: list[tuple[float, float | None, str | None]] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            seen.append((progress, total, message))

        # legacy: the progress token travels in the request's _meta and comes back as notifications/progress.
        async with Client(params, mode="legacy") as client:
            result = await client.call_tool("list_applications", {"all_pages": True},
                                            progress_callback=on_progress)
            assert not result.is_error
            assert [p for p, _, _ in seen][-1] == 45
            assert all(total == 45 for _, total, _ in seen) and len(seen) == 3
            assert seen[-1][2] == "fetched 45 of 45"

            before = len(seen)
            quiet = await client.call_tool("list_applications", {"all_pages": True})  # no token: no progress
            assert not quiet.is_error and len(seen) == before
    finally:
        sb.stop()


async def test_progress_never_fails_the_call() -> None:
    await report_progress(None, 1, 2)  # no context at all
    await report_progress(Context(), 1, 2, "outside a request")  # the SDK raises; the helper swallows

    class Broken:
        async def report_progress(self, *args: Any) -> None:
            raise ConnectionResetError("client went away")

    await report_progress(Broken(), 3, None, "x")  # type: ignore[arg-type]
