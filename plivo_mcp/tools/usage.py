"""Usage tool: one call answers "what happened and what did it cost" for a period, over calls and messages.

Counts come from filter queries (`limit=1`, the API's `meta.total_count`): one request each, exact whatever the
volume. Spend, top countries and failure causes need the records themselves: they are summed over every record
when the period holds at most `max_items` of a kind (paged concurrently under the rate limiter, with progress);
past that the answer's `partial` names each figure that covers only the newest `max_items` and how many records
it covers. Nothing is estimated.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import Field

from plivo_mcp.core.deps import Deps
from plivo_mcp.core.spec import Toolset, tool
from plivo_mcp.errors import invalid_argument
from plivo_mcp.paging import Listing, Progress
from plivo_mcp.sms import country_of
from plivo_mcp.tools.voice import When, api_time

DEFAULT_PERIOD = dt.timedelta(days=7)
MAX_PERIOD = dt.timedelta(days=30)  # the CDR API's largest range per query
MAX_AGE = dt.timedelta(days=90)  # MDRs (and CDRs) can be listed this far back, no further
TOP = 5
MESSAGE_STATES = ("delivered", "undelivered", "failed", "sent", "queued")


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except (InvalidOperation, ValueError):
        return Decimal(0)


def period_of(since: dt.datetime | None, until: dt.datetime | None,
              now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The [since, until) period in UTC: default the 7 days up to now; at most 30 days, within the last 90."""
    def utc(value: dt.datetime) -> dt.datetime:
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

    # Whole seconds, as the API's filters read them: the end rounded up, or a record from the last fraction of a
    # second (a call that just ended, with the default end of now) would fall outside the period asked for.
    end = utc(until) if until else now
    if end.microsecond:
        end = end.replace(microsecond=0) + dt.timedelta(seconds=1)
    start = (utc(since) if since else end - DEFAULT_PERIOD).replace(microsecond=0)
    if start >= end:
        raise invalid_argument("until", "must be after since")
    if end - start > MAX_PERIOD:
        raise invalid_argument("since", "the period must not span more than 30 days (the call records API's "
                               "range); ask for each 30 days in turn")
    if start < now - MAX_AGE:
        raise invalid_argument("since", "records can be read for the last 90 days only")
    return start, end


async def _count(deps: Deps, path: str, params: dict[str, Any]) -> int:
    data = await deps.client.get(path, {**params, "limit": 1, "offset": 0})
    return int((data.get("meta") or {}).get("total_count") or 0)


def _top(counter: Counter[str], spend: dict[str, Decimal]) -> list[dict[str, Any]]:
    return [{"country": k, "count": n, "spend_usd": f"{spend[k]:.5f}"} for k, n in counter.most_common(TOP)]


def _partial(listing: Listing, noun: str, what: str) -> str | None:
    why = listing.partial_sum(noun)
    return f"{what}: {why} (raise max_items to cover them)" if why else None


def summarise_messages(listing: Listing) -> dict[str, Any]:
    """Spend, top destination countries and failure causes from the records listed."""
    spend, by_country, country_spend, causes = Decimal(0), Counter[str](), dict[str, Decimal](), Counter[str]()
    for record in listing.items:
        amount = _money(record.get("total_amount"))
        spend += amount
        if record.get("message_direction") == "outbound":
            iso = str(record.get("destination_country_iso2") or "unknown")
            by_country[iso] += 1
            country_spend[iso] = country_spend.get(iso, Decimal(0)) + amount
            if record.get("message_state") in ("undelivered", "failed"):
                causes[f"{record.get('error_code')} {record.get('error_message') or ''}".strip()] += 1
    return {"spend_usd": f"{spend:.5f}", "top_countries": _top(by_country, country_spend),
            "failure_causes": dict(causes.most_common())}


def summarise_calls(listing: Listing) -> dict[str, Any]:
    """Outcomes, billed minutes, spend, top destination countries and failure causes from the CDRs listed."""
    spend, minutes = Decimal(0), 0
    outcomes, by_country, country_spend, causes = Counter[str](), Counter[str](), dict[str, Decimal](), Counter[str]()
    for record in listing.items:
        amount = _money(record.get("total_amount"))
        spend += amount
        minutes += int(record.get("billed_duration") or 0) // 60
        answered = int(record.get("bill_duration") or 0) > 0
        cause = str(record.get("hangup_cause_name") or "unknown")
        outcomes["answered" if answered else cause] += 1
        if not answered:
            causes[cause] += 1
        if record.get("call_direction") == "outbound":
            to = str(record.get("to_number") or "")
            iso = "SIP" if to.startswith("sip:") else country_of(to.lstrip("+")) or "unknown"
            by_country[iso] += 1
            country_spend[iso] = country_spend.get(iso, Decimal(0)) + amount
    return {"by_outcome": dict(outcomes.most_common()), "billed_minutes": minutes, "spend_usd": f"{spend:.5f}",
            "top_countries": _top(by_country, country_spend), "failure_causes": dict(causes.most_common())}


@tool(title="Get usage", read_only=True, idempotent=True)
async def get_usage(
    deps: Deps,
    since: When = None,
    until: When = None,
    max_items: Annotated[int, Field(ge=1, le=20000, description="Most records summed per kind.")] = 5000,
) -> dict[str, Any]:
    """Calls and messages in a period (default the last 7 days, at most 30): counts by direction and outcome,
    spend, top countries, failure causes."""
    start, end = period_of(since, until, dt.datetime.now(dt.UTC))
    mdr = {"message_time__gte": api_time(start), "message_time__lt": api_time(end)}
    cdr = {"end_time__gte": api_time(start), "end_time__lt": api_time(end)}
    count_queries = [("Message/", {**mdr, "message_direction": d}) for d in ("outbound", "inbound")]
    count_queries += [("Message/", {**mdr, "message_direction": "outbound", "message_state": s})
                      for s in MESSAGE_STATES]
    count_queries += [("Call/", {**cdr, "call_direction": d}) for d in ("outbound", "inbound")]
    counts = await asyncio.gather(*(_count(deps, path, params) for path, params in count_queries))
    out_msgs, in_msgs, *states = counts[:2 + len(MESSAGE_STATES)]
    out_calls, in_calls = counts[-2:]

    progress = Progress(deps.ctx)
    messages = await progress.listing("messages", deps.client, "Message/", mdr, max_items=max_items)
    calls = await progress.listing("calls", deps.client, "Call/", cdr, max_items=max_items)
    message_figures = summarise_messages(messages)
    call_figures = summarise_calls(calls)
    answer: dict[str, Any] = {
        "period": {"since": start.isoformat(), "until": end.isoformat()},
        "messages": {"total": out_msgs + in_msgs, "outbound": out_msgs, "inbound": in_msgs,
                     "outbound_by_state": {s: n for s, n in zip(MESSAGE_STATES, states, strict=True) if n},
                     **message_figures},
        "calls": {"total": out_calls + in_calls, "outbound": out_calls, "inbound": in_calls, **call_figures},
        "spend_usd": f"{_money(message_figures['spend_usd']) + _money(call_figures['spend_usd']):.5f}",
    }
    partial = [p for p in (_partial(messages, "messages", "messages spend, countries, failure causes"),
                           _partial(calls, "calls", "calls outcomes, minutes, spend, countries, failure causes"))
               if p]
    if partial:
        answer["partial"] = partial
    return answer


TOOLSET = Toolset(
    name="usage",
    description="Usage and spend over calls and messages for a period.",
    tools=[get_usage],
)
