"""The route table: every resource of the sandbox, one line each. The only module that names them all.

Adding a resource is writing its module (paths and handlers declared as its `RESOURCE`; see pricing.py for
the smallest, applications.py for a full one) and adding that here. Every catalog operation none of them
implements is served by the generic simulation (generic.py), whose paths the app computes from the catalog.
"""

from __future__ import annotations

from plivo_mcp.sandbox import (
    account,
    applications,
    calls,
    endpoints,
    generic,
    messages,
    numbers,
    phone_numbers,
    pricing,
    recordings,
    subaccounts,
)
from plivo_mcp.sandbox.router import Resource

RESOURCES: tuple[Resource, ...] = (
    account.RESOURCE,
    subaccounts.RESOURCE,
    applications.RESOURCE,
    endpoints.RESOURCE,
    numbers.RESOURCE,
    phone_numbers.RESOURCE,
    pricing.RESOURCE,
    calls.RESOURCE,
    recordings.RESOURCE,
    messages.RESOURCE,
    generic.RESOURCE,  # last: its storage's table of every generic object
)
