"""plivo-mcp: an MCP server for managing a Plivo account from an AI assistant."""

__version__ = "0.1.0"
