"""Voice tools: make calls (costly, guarded), call records (CDRs), live and queued calls, hang up, cancel."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from plivo_mcp.core.deps import Deps
from plivo_mcp.core.spec import Toolset, tool
from plivo_mcp.errors import PlivoToolError, invalid_argument
from plivo_mcp.shaping import changed, clean, table
from plivo_mcp.tools.common import HttpUrl, Limit, Number, Offset, SubaccountId, iso_basic_datetime, matching
from plivo_mcp.tools.listing import ListPage
from plivo_mcp.tools.numbers import digits
from plivo_mcp.tools.phone_numbers import CALLING_CODES

# A CDR page is read by the assistant: who, when, how long, what it cost and why it ended. `fields` adds the rest.
SUMMARY_FIELDS = ("call_uuid", "end_time", "call_direction", "from_number", "to_number", "bill_duration",
                  "total_amount", "hangup_cause_name")
DEFAULT_TIME_LIMIT_S = 14400  # the API's default: four hours
PREVIEW_RECIPIENTS = 5  # recipients named in a preview; the count covers them all

CallUuid = Annotated[str, Field(description="Call UUID."), matching(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", "a UUID")]
Destination = Annotated[str, matching(r"^(\+?[1-9][0-9]{5,15}|sip:[^@\s<>]+@[A-Za-z0-9.\-]+(:\d+)?)$",
                                      "E.164 digits or a sip: URI")]
Direction = Annotated[Literal["inbound", "outbound"] | None, Field(description="Call direction.")]
DigitsPrefix = Annotated[str | None, Field(description="Number or its prefix."),
                         matching(r"^\+?[0-9]{1,15}$", "digits, optionally after a +")]


def _iso_text(value: Any) -> Any:
    # pydantic would read a JSON number as seconds since 1970: a time must be written out, as the schema says.
    if value is not None and not isinstance(value, str | dt.datetime):
        raise ValueError("must be an ISO datetime string, e.g. 2026-01-31T12:00:00Z")
    return iso_basic_datetime(value)


When = Annotated[dt.datetime | None, Field(description="ISO datetime, UTC unless an offset is given."),
                 BeforeValidator(_iso_text)]


def api_time(value: dt.datetime | None) -> str | None:
    """A filter time as the API reads it: `YYYY-MM-DD HH:MM:SS` in UTC."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S")


# --- make a call ----------------------------------------------------------------------------------------------

class Rates:
    """Outbound voice rates per destination from live pricing (GET Pricing/), each country fetched once."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._pricing: dict[str, dict[str, Any] | None] = {}

    async def _outbound(self, iso: str) -> dict[str, Any]:
        if iso not in self._pricing:
            try:
                data = await self.deps.client.get("Pricing/", {"country_iso": iso})
            except PlivoToolError as exc:
                if exc.code not in ("not_found", "invalid_argument"):
                    raise
                data = None
            self._pricing[iso] = ((data or {}).get("voice") or {}).get("outbound") or {}
        return self._pricing[iso] or {}

    async def rate(self, destination: str) -> tuple[str, str] | None:
        """(per-minute rate in USD, country iso) of the longest matching dial prefix, or None if unpriced.

        A sip: URI is priced at the US `ip` rate (an assumption: SIP calls are not priced per country)."""
        if destination.startswith("sip:"):
            rate = ((await self._outbound("US")).get("ip") or {}).get("rate")
            return (rate, "SIP") if rate is not None else None
        best: tuple[int, str, str] | None = None
        for code in sorted(CALLING_CODES, key=len, reverse=True):
            if not destination.startswith(code):
                continue
            for iso in CALLING_CODES[code]:
                for entry in (await self._outbound(iso)).get("rates") or []:
                    if entry.get("origination_prefix") not in (None, [""], []):
                        continue
                    for prefix in entry.get("prefix") or []:
                        if destination.startswith(prefix) and (best is None or len(prefix) > best[0]):
                            best = (len(prefix), str(entry.get("rate")), iso)
            break  # the longest calling code that matches decides the countries
        return (best[1], best[2]) if best else None


def _money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


async def preview_make_call(deps: Deps, from_number: str, to: list[str], answer_url: str,
                            time_limit: int | None = None, **_: Any) -> dict[str, Any]:
    recipients = list(dict.fromkeys(t if t.startswith("sip:") else digits(t) for t in to))
    limit_s = time_limit or DEFAULT_TIME_LIMIT_S
    minutes = math.ceil(limit_s / 60)
    rates = Rates(deps)
    per_recipient: list[dict[str, Any]] = []
    total = Decimal(0)
    for destination in recipients:
        priced = await rates.rate(destination)
        if priced is None:
            raise invalid_argument("to", f"no voice rate was found for {destination}, so the call's cost cannot "
                                   "be shown; nothing was called")
        rate, iso = priced
        total += Decimal(rate) * minutes
        per_recipient.append({"to": destination, "country": iso, "rate_per_min_usd": rate})
    account = await deps.client.get("")
    credit = _money(account.get("cash_credits"))
    return {
        "action": f"Call {len(recipients)} recipient(s) from {digits(from_number)}",
        "recipients": len(recipients),
        "first": per_recipient[:PREVIEW_RECIPIENTS],
        "answer_url": answer_url,
        "time_limit_s": limit_s,
        "max_cost_usd": f"{total:.5f}",
        "max_cost_basis": f"rate x {minutes} min (time_limit, per started minute) x each recipient",
        "credit_usd": account.get("cash_credits"),
        "credit_after_max_cost_usd": f"{credit - total:.5f}" if credit is not None else None,
        "confirm_with": recipients[0] if len(recipients) == 1 else f"{len(recipients)} calls",
    }


@tool(title="Make call", preview=preview_make_call)
async def make_call(
    deps: Deps,
    from_number: Annotated[Number, Field(description="Caller ID: a number on the account.")],
    to: Annotated[list[Destination], Field(min_length=1, max_length=1000, description=(
        "Recipients: E.164 numbers or sip: URIs."))],
    answer_url: Annotated[HttpUrl, Field(description="URL of the call's XML.")],
    time_limit: Annotated[int | None, Field(ge=1, le=DEFAULT_TIME_LIMIT_S, description=(
        "Max seconds (default 14400)."))] = None,
    ring_timeout: Annotated[int | None, Field(ge=1, le=3600, description="Ring for at most, s.")] = None,
    caller_name: Annotated[str | None, Field(max_length=50, description="Caller name shown.")] = None,
) -> dict[str, Any]:
    """Call one or more numbers; costs per minute."""
    recipients = list(dict.fromkeys(t if t.startswith("sip:") else digits(t) for t in to))
    data = await deps.client.post("Call/", {
        "from": digits(from_number), "to": "<".join(recipients), "answer_url": answer_url,
        "time_limit": time_limit, "ring_timeout": ring_timeout,
        "caller_name": caller_name})
    return changed(data, request_uuid=data.get("request_uuid") if data else None)


# --- call records -----------------------------------------------------------------------------------------------

@tool(title="Get call", read_only=True, idempotent=True)
async def get_call(deps: Deps, call_uuid: CallUuid) -> dict[str, Any]:
    """Get a completed call's record (CDR): times, parties, duration, cost, hangup cause."""
    try:
        return clean(await deps.client.get(f"Call/{call_uuid}/"))
    except PlivoToolError as exc:
        exc.parameter = "call_uuid"
        if exc.code == "not_found":
            exc.hint = "Records exist once a call completes; for an ongoing call use list_live_calls."
        raise


@tool(title="List calls", read_only=True, idempotent=True)
async def list_calls(
    deps: Deps,
    direction: Direction = None,
    from_number: DigitsPrefix = None,
    to_number: DigitsPrefix = None,
    ended_after: Annotated[When, Field(description="Ended at/after (UTC unless offset).")] = None,
    ended_before: Annotated[When, Field(description="Ended at/before.")] = None,
    hangup_cause_code: Annotated[int | None, Field(ge=0, description="Hangup cause code.")] = None,
    min_bill_duration: Annotated[int | None, Field(ge=0, description="Min billed seconds.")] = None,
    subaccount: Annotated[SubaccountId | None, Field(description="Only this subaccount's.")] = None,
    *,
    page: ListPage,
) -> dict[str, Any]:
    """List completed calls (CDRs), newest first; default the last 7 days."""
    if ended_after and ended_before and ended_after > ended_before:
        raise invalid_argument("ended_after", "must not be later than ended_before")
    return await page.of(deps, "Call/", {
        "call_direction": direction, "from_number": from_number and digits(from_number),
        "to_number": to_number and digits(to_number), "end_time__gte": api_time(ended_after),
        "end_time__lte": api_time(ended_before), "hangup_cause_code": hangup_cause_code,
        "bill_duration__gte": min_bill_duration, "subaccount": subaccount,
    }, SUMMARY_FIELDS)


# --- live and queued calls --------------------------------------------------------------------------------------

def seconds_since(session_start: Any) -> int | None:
    """Whole seconds from a live call's `session_start` (UTC, no offset) to now; None if unreadable."""
    try:
        start = dt.datetime.fromisoformat(str(session_start))
    except ValueError:
        return None
    start = start.replace(tzinfo=dt.UTC) if start.tzinfo is None else start
    return max(0, int((dt.datetime.now(dt.UTC) - start).total_seconds()))


def _ongoing(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: data.get(k) for k in ("call_uuid", "call_status", "direction", "from", "to", "caller_name",
                                    "session_start") if data.get(k) not in (None, "")}
    if "session_start" in out:
        out["duration_so_far_s"] = seconds_since(out["session_start"])
    return out


@tool(title="List live calls", read_only=True, idempotent=True)
async def list_live_calls(
    deps: Deps,
    status: Annotated[Literal["live", "queued"], Field(description="Which calls.")] = "live",
    from_number: DigitsPrefix = None,
    to_number: DigitsPrefix = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    """List ongoing calls, or queued requests."""
    listed = await deps.client.get("Call/", {
        "status": status, "from_number": from_number and digits(from_number),
        "to_number": to_number and digits(to_number), "limit": limit, "offset": offset})
    uuids = listed.get("calls") or []
    items, ended = [], 0
    for call_uuid in uuids:
        try:
            items.append(_ongoing(await deps.client.get(f"Call/{call_uuid}/", {"status": status})))
        except PlivoToolError as exc:
            if exc.code != "not_found":
                raise
            ended += 1  # it ended between the list and the look-up
    answer = table(items)
    answer["page"] = {"offset": offset, "limit": limit, "returned": len(items),
                      "next_offset": offset + limit if len(uuids) == limit else None}
    if ended:
        answer["ended_meanwhile"] = ended
    return answer


async def _ended_error(deps: Deps, call_uuid: str, what: str) -> PlivoToolError:
    """The clear answer for a call that is not (or no longer) `what`: what became of it, if anything is known."""
    for status in ("live", "queued"):
        if status == what:
            continue
        try:
            data = await deps.client.get(f"Call/{call_uuid}/", {"status": status})
        except PlivoToolError as exc:
            if exc.code != "not_found":
                raise
            continue
        other = "cancel_call_request" if status == "queued" else "hangup_call"
        return PlivoToolError("wrong_state", f"Call {call_uuid} is {data.get('call_status') or status}, not "
                              f"{what}; nothing was done.", parameter="call_uuid", hint=f"Use {other}.")
    try:
        cdr = await deps.client.get(f"Call/{call_uuid}/")
    except PlivoToolError as exc:
        if exc.code != "not_found":
            raise
        return PlivoToolError("not_found", f"No call {call_uuid} was found on this account; nothing was done.",
                              parameter="call_uuid", hint="Find ongoing calls with list_live_calls.")
    return PlivoToolError("call_ended", f"Call {call_uuid} is no longer {what}: it ended at {cdr.get('end_time')} "
                          f"({cdr.get('hangup_cause_name')}); nothing was done.", parameter="call_uuid",
                          account_text=True, hint="Nothing to do; get_call shows its record.")


async def _get_ongoing(deps: Deps, call_uuid: str, status: str, what: str) -> dict[str, Any]:
    try:
        return await deps.client.get(f"Call/{call_uuid}/", {"status": status})
    except PlivoToolError as exc:
        if exc.code != "not_found":
            raise
    raise await _ended_error(deps, call_uuid, what)


async def preview_hangup_call(deps: Deps, call_uuid: str, **_: Any) -> dict[str, Any]:
    live = await _get_ongoing(deps, call_uuid, "live", "live")
    # The start time, not a ticking "seconds so far": the preview must read the same at confirmation unless the
    # call itself changed (answered, ended).
    return {
        "action": f"Hang up live call {call_uuid}",
        "call_status": live.get("call_status"),
        "direction": live.get("direction"),
        "from": live.get("from"),
        "to": live.get("to"),
        "started_utc": live.get("session_start"),
        "confirm_with": live.get("to"),
    }


@tool(title="Hang up call", destructive=True, preview=preview_hangup_call)
async def hangup_call(deps: Deps, call_uuid: CallUuid) -> dict[str, Any]:
    """End a live call now."""
    return changed(await deps.client.delete(f"Call/{call_uuid}/"), hung_up=call_uuid)


async def preview_cancel_call_request(deps: Deps, request_uuid: str, **_: Any) -> dict[str, Any]:
    queued = await _get_ongoing(deps, request_uuid, "queued", "queued")
    return {
        "action": f"Cancel queued call request {request_uuid} (the call is never placed)",
        "from": queued.get("from"),
        "to": queued.get("to"),
        "confirm_with": queued.get("to"),
    }


@tool(title="Cancel call request", destructive=True, preview=preview_cancel_call_request)
async def cancel_call_request(
    deps: Deps,
    request_uuid: Annotated[CallUuid, Field(description="Request UUID from make_call.")],
) -> dict[str, Any]:
    """Cancel a queued call request before it rings."""
    return changed(await deps.client.delete(f"Request/{request_uuid}/"), cancelled=request_uuid)


TOOLSET = Toolset(
    name="voice",
    description="Calls: make (costs money), records, live calls, hang up.",
    tools=[make_call, get_call, list_calls, list_live_calls, hangup_call, cancel_call_request],
)
