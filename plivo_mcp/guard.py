"""The confirmation guard in front of every destructive or costly tool.

Until confirmation flows exist, a guarded tool never acts on a single call: it refuses, and says so.
"""

from __future__ import annotations

from typing import Any

from plivo_mcp.errors import PlivoToolError


class Guard:
    async def check(self, spec: Any, arguments: dict[str, Any]) -> None:
        raise PlivoToolError(
            "confirmation_required",
            f"{spec.name} is destructive or costly and needs a confirmed preview; this server version "
            "cannot confirm yet, so nothing was done.",
            hint="Do this in the Plivo console, or upgrade plivo-mcp to a version with confirmations.")
