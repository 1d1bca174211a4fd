"""Tool modules, one per Plivo resource; each declares its toolset. This list names every toolset, in the order
`tools/list` serves them."""

from __future__ import annotations

from plivo_mcp.core.spec import Toolset
from plivo_mcp.tools import (
    account,
    applications,
    catalog,
    endpoints,
    messaging,
    numbers,
    phone_numbers,
    pricing,
    recordings,
    subaccounts,
    usage,
    voice,
)

TOOLSETS: tuple[Toolset, ...] = (
    account.TOOLSET,
    subaccounts.TOOLSET,
    applications.TOOLSET,
    endpoints.TOOLSET,
    numbers.TOOLSET,
    phone_numbers.TOOLSET,
    pricing.TOOLSET,
    messaging.TOOLSET,
    voice.TOOLSET,
    usage.TOOLSET,
    catalog.TOOLSET,
    recordings.TOOLSET,
)
