"""Which tools a server offers: toolsets and an additive allow-list, then read-only mode and subaccount
credentials on top (they always win)."""

from __future__ import annotations

from collections.abc import Sequence

from plivo_mcp.config import ConfigError
from plivo_mcp.core.spec import Toolset, ToolSpec

ALL, DEFAULT = "all", "default"


def parse_names(text: str | Sequence[str] | None) -> list[str]:
    if text is None:
        return []
    parts = text.split(",") if isinstance(text, str) else [p for item in text for p in item.split(",")]
    return [p.strip().lower() for p in parts if p.strip()]


def chosen_toolsets(toolsets: Sequence[Toolset], names: list[str]) -> list[Toolset]:
    """`names` may hold toolset names, `all` and `default` (no names at all means `default`)."""
    known = {t.name: t for t in toolsets}
    unknown = [n for n in names if n not in known and n not in (ALL, DEFAULT)]
    if unknown:
        raise ConfigError(f"PLIVO_MCP_TOOLSETS / --toolsets: unknown toolset {', '.join(unknown)}; valid: "
                          f"{', '.join([ALL, DEFAULT, *known])}")
    wanted = set(names or [DEFAULT])
    return [t for t in toolsets if ALL in wanted or t.name in wanted or (DEFAULT in wanted and t.default)]


def select_tools(toolsets: Sequence[Toolset], *, toolset_names: list[str], tool_names: list[str],
                 read_only: bool, is_subaccount: bool) -> list[ToolSpec]:
    """The tools to offer, in a deterministic order (toolsets as listed, tools as their module lists them).

    `tool_names` adds single tools to the chosen toolsets (an allow-list on its own when no toolset is named
    and tools are: `--tools get_account` offers just that tool)."""
    every = {spec.name: spec for t in toolsets for spec in t.tools}
    unknown = [n for n in tool_names if n not in every]
    if unknown:
        raise ConfigError(f"PLIVO_MCP_TOOLS / --tools: unknown tool {', '.join(unknown)}; valid: "
                          f"{', '.join(every)}")
    sets = chosen_toolsets(toolsets, toolset_names) if toolset_names or not tool_names else []
    names = {spec.name for t in sets for spec in t.tools} | set(tool_names)
    return [spec for spec in every.values() if spec.name in names and allowed(spec, read_only, is_subaccount)]


def allowed(spec: ToolSpec, read_only: bool, is_subaccount: bool) -> bool:
    """Read-only mode hides every tool that writes (but one that refuses its writes itself); subaccount
    credentials hide main-account-only tools."""
    if read_only and not spec.read_only and not spec.refuses_writes_when_read_only:
        return False
    return not (spec.main_account_only and is_subaccount)
