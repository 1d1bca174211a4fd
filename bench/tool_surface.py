"""Figure 1, tool surface cost: what each tool costs an assistant's context before any call is made.

A tool's cost is the o200k_base tokens of its compact JSON as served in tools/list (name, title, description,
inputSchema, annotations). Baseline, measured in the same run: the same tools with the input schemas the SDK
generates by default (pydantic titles, anyOf-with-null for optional arguments), i.e. before compaction.
The floor row is the same surface with every description cut to one token: what the parameters the API
takes, their constraints and the four annotations cost by themselves.

The default surface reaches every operation of the API through the catalog's three tools; its cost per reachable
operation (the surface's tokens over the catalog's operations plus the first-class tools no catalog entry covers)
is set beside Twilio's generated server, one tool per operation.

    python bench/tool_surface.py                  # measure and print
    python bench/tool_surface.py --write-budget   # also write tests/token_budget.json (+10% headroom)
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from _util import (
    MAX_DEFAULT_SURFACE_TOKENS,
    ROOT,
    TARGET_AVERAGE_TOOL_TOKENS,
    TWILIO_TOKENS,
    TWILIO_TOOLS,
    RawStdio,
    compact,
    serve_command,
    server_env,
    table,
    tokens,
    tool_cost,
)

BUDGET_FILE = ROOT / "tests" / "token_budget.json"
HEADROOM = 1.10
TARGET_AVERAGE = TARGET_AVERAGE_TOOL_TOKENS
# Dummy credentials: listing tools never calls the API.
AUTH_ID, AUTH_TOKEN, API_URL = "MASANDBOXDEMO0000001", "sandbox_demo_token_not_secret_0000000000", "http://127.0.0.1:9"


def served_tools() -> tuple[list[dict], int]:
    """tools/list from a real `plivo-mcp serve` over stdio, and the byte size of that answer on the wire."""
    with RawStdio(serve_command(), env=server_env(API_URL, AUTH_ID, AUTH_TOKEN)) as peer:
        peer.initialize()
        result = peer.request("tools/list")
        return result["tools"], peer.last_answer_bytes


def sdk_default_costs() -> dict[str, int]:
    """Same tools, schemas exactly as the SDK would generate them without our compaction."""
    from plivo_mcp.config import load_settings
    from plivo_mcp.server import build_server, sdk_tool

    server = build_server(load_settings(PLIVO_AUTH_ID=AUTH_ID, PLIVO_AUTH_TOKEN=AUTH_TOKEN, PLIVO_API_URL=API_URL))
    costs = {}
    for spec in server.specs.values():
        tool = sdk_tool(spec)
        served = {"name": tool.name, "title": tool.title, "description": tool.description,
                  "inputSchema": tool.parameters,
                  "annotations": tool.annotations.model_dump(by_alias=True, exclude_none=True)}
        costs[spec.name] = tokens(compact(served))
    return costs


def floor_cost(tool: dict) -> int:
    """The same tool with its own and every parameter's description cut to one token.

    What the interface itself costs (names, titles, parameters, constraints, the four annotations) before any
    word of description: no rewording can take a tool below this.
    """
    schema = tool["inputSchema"]
    bare = {**tool, "description": "x", "inputSchema": {
        **schema, "properties": {p: {**s, "description": "x"} for p, s in schema.get("properties", {}).items()}}}
    return tool_cost(bare)


def reachable_operations(offered: list[str]) -> tuple[int, int, int]:
    """(operations reachable, of them catalog operations, of them first-class tools no catalog entry covers)."""
    from plivo_mcp.catalog import catalog

    ops = catalog().operations.values()
    covered = {op.tool for op in ops if op.tool}
    if "call_operation" not in offered:
        return len(offered), 0, len(offered)
    first_class = [name for name in offered if name not in covered and name not in CATALOG_TOOLS]
    return len(ops) + len(first_class), len(ops), len(first_class)


CATALOG_TOOLS = ("search_operations", "describe_operation", "call_operation")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-budget", action="store_true", help=f"write {BUDGET_FILE.relative_to(ROOT)}")
    args = parser.parse_args()

    tools, list_bytes = served_tools()
    baseline = sdk_default_costs()
    costs = {t["name"]: tool_cost(t) for t in tools}
    undescribed = [f"{t['name']}.{p}" for t in tools for p, s in t["inputSchema"].get("properties", {}).items()
                   if not s.get("description")]
    params = sum(len(t["inputSchema"].get("properties", {})) for t in tools)

    if args.write_budget:
        budget = {name: math.ceil(cost * HEADROOM) for name, cost in sorted(costs.items())}
        BUDGET_FILE.write_text(json.dumps(budget, indent=2) + "\n")
        print(f"wrote {BUDGET_FILE.relative_to(ROOT)} ({len(budget)} tools, +{HEADROOM - 1:.0%} headroom)")

    per_tool = [(name, len(next(t for t in tools if t["name"] == name)["inputSchema"].get("properties", {})),
                 cost, baseline.get(name, "-"), f"{baseline[name] / cost:.2f}x" if name in baseline else "-")
                for name, cost in sorted(costs.items(), key=lambda kv: -kv[1])]
    total, base_total = sum(costs.values()), sum(baseline[n] for n in costs if n in baseline)
    average = total / len(costs)
    floor_average = sum(floor_cost(t) for t in tools) / len(tools)
    verdict = f"<= {TARGET_AVERAGE} ({'met' if average <= TARGET_AVERAGE else 'MISSED'})"
    total_met = total <= MAX_DEFAULT_SURFACE_TOKENS
    reachable, in_catalog, uncovered = reachable_operations(list(costs))
    twilio_per_operation = TWILIO_TOKENS / TWILIO_TOOLS
    print(table("Per tool (o200k_base tokens)", ["tool", "params", "tokens", "SDK default", "saved"], per_tool))
    print()
    print(table("Tool surface cost", ["figure", "plivo-mcp", "SDK-default schemas (same run)", "ratio", "target"], [
        ("tools", len(costs), len(baseline), "", ""),
        ("parameters (all described)", f"{params} ({params - len(undescribed)} described)", "", "", "all"),
        ("total tokens (the default surface)", total, base_total, f"{base_total / total:.2f}x fewer",
         f"<= {MAX_DEFAULT_SURFACE_TOKENS} ({'met' if total_met else 'MISSED'})"),
        ("average tokens per tool", round(average, 1), round(base_total / len(costs), 1),
         f"{base_total / total:.2f}x fewer", verdict),
        ("floor: every description one token", round(floor_average, 1), "", "", ""),
        ("largest tool", f"{per_tool[0][0]} {per_tool[0][2]}", "", "", ""),
        ("tools/list answer bytes", list_bytes, "", "", ""),
    ]))
    print()
    print(table("Tokens per reachable operation", ["figure", "plivo-mcp default surface",
                                                    "Twilio's generated server (issue 17)", "ratio"], [
        ("operations reachable", f"{reachable} ({in_catalog} in the catalog + {uncovered} first-class tools "
                                 "it does not cover)", TWILIO_TOOLS, ""),
        ("surface tokens", total, f"~{TWILIO_TOKENS:,}", f"{TWILIO_TOKENS / total:.1f}x fewer"),
        ("tokens per reachable operation", round(total / reachable, 1), round(twilio_per_operation, 1),
         f"{twilio_per_operation / (total / reachable):.1f}x fewer"),
    ]))
    return 0 if average <= TARGET_AVERAGE and total_met and not undescribed else 1


if __name__ == "__main__":
    sys.exit(main())
