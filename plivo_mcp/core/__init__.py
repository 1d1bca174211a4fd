"""The tool core: what every tool stands on, beneath `tools/` and the guard.

- `spec`: a tool's definition (`ToolSpec`, made by the `tool` decorator), toolsets, parameter bundles;
- `deps`: the typed dependencies a handler receives (the client for this request, the settings, the context);
- `answers`: answer and error encoding (masking, the untrusted-data marker, compact JSON);
- `schema`: trimming generated input schemas to what an assistant needs;
- `runner`: the one function that runs every tool (guard, handler, answer), as the SDK sees it;
- `sdk`: the few places that need a private attribute of the MCP SDK, each with the reason.

Nothing here imports `plivo_mcp.tools` or `plivo_mcp.guard`.
"""
