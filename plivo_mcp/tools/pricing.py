"""Pricing tool: a compact per-country summary, with the outbound voice prefix rates on request."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from plivo_mcp.core.deps import Deps
from plivo_mcp.core.spec import Toolset, tool
from plivo_mcp.tools.common import CountryIso

MAX_PREFIX_RATES = 50


def _rate(node: Any) -> str | None:
    return node.get("rate") if isinstance(node, dict) else None


def summarise_pricing(data: dict[str, Any], prefix: str | None) -> dict[str, Any]:
    message = data.get("message") or {}
    voice = data.get("voice") or {}
    inbound, outbound = voice.get("inbound") or {}, voice.get("outbound") or {}
    kinds = ("local", "tollfree", "ip")
    rentals: dict[str, Any] = {}
    for kind, node in (data.get("phone_numbers") or {}).items():
        if not isinstance(node, dict):
            continue
        setups = {r.get("setup_rate") for r in node.get("rates") or [] if isinstance(r, dict)}
        setups.discard(None)
        setup = max(setups, key=lambda rate: float(str(rate))) if setups else None
        rentals[kind] = node.get("rate") if not setup or float(setup) == 0 else {
            "monthly": node.get("rate"), "setup": setup}
    prefix_rates = outbound.get("rates") or []
    summary: dict[str, Any] = {
        "country": data.get("country"),
        "country_iso": data.get("country_iso"),
        "country_code": data.get("country_code"),
        "currency": "USD",
        "sms": {"in": _rate(message.get("inbound")), "out": _rate(message.get("outbound"))},
        "voice_in": {k: _rate(inbound.get(k)) for k in kinds if k in inbound},
        "voice_out": {k: _rate(outbound.get(k)) for k in kinds if k in outbound},
        "number_rental_monthly": rentals,
        "voice_out_prefix_rates": len(prefix_rates),
    }
    if prefix is not None:
        matching = [
            {"prefix": ",".join(r.get("prefix") or []), "rate": r.get("rate")}
            for r in prefix_rates
            if any(p.startswith(prefix) for p in r.get("prefix") or [])
        ]
        summary["voice_out_rates"] = matching[:MAX_PREFIX_RATES]
        if len(matching) > MAX_PREFIX_RATES:
            summary["voice_out_rates_truncated"] = len(matching) - MAX_PREFIX_RATES
    return summary


@tool(title="Get pricing", read_only=True, idempotent=True)
async def get_pricing(
    deps: Deps,
    country_iso: CountryIso,
    prefix: Annotated[str | None, Field(pattern=r"^[0-9]{1,10}$", description=(
        "Also list outbound voice rates for dial prefixes starting with these digits."))] = None,
) -> dict[str, Any]:
    """Rates in USD for a country: SMS and voice in/out, monthly number rental. A null rate means not offered."""
    return summarise_pricing(await deps.client.get("Pricing/", {"country_iso": country_iso}), prefix)


TOOLSET = Toolset(
    name="pricing",
    description="Per-country rates: SMS, voice, number rental.",
    tools=[get_pricing],
)
