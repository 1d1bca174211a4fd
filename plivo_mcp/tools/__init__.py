"""Tool modules, one per Plivo resource. Importing this package registers every tool, in this order."""

from plivo_mcp.tools import (  # noqa: F401  (imported for their registrations)
    account,
    applications,
    endpoints,
    numbers,
    phone_numbers,
    pricing,
    subaccounts,
)
from plivo_mcp.tools.common import REGISTRY, ToolSpec

__all__ = ["REGISTRY", "ToolSpec"]
