"""Plivo-compatible sandbox API (Account, Subaccount, Application, Endpoint, Number, PhoneNumber, Pricing).

`Sandbox` serves it on loopback for tests, benchmarks, the demo and `plivo-mcp sandbox`.
"""

from plivo_mcp.sandbox.runner import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Sandbox

__all__ = ["DEMO_AUTH_ID", "DEMO_AUTH_TOKEN", "Sandbox"]
