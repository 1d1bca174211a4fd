"""get_usage through a real MCP client against a seeded sandbox: every figure equals what the sandbox's own rows
give (computed here from `sb.store.snapshot()`, not through the API), partial figures say so, and a bad period
names its parameter."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from mcp import Client

from plivo_mcp.sandbox import Sandbox
from plivo_mcp.sms import country_of
from plivo_mcp.tools.usage import period_of
from tests.helpers import err, ok, server_for

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def history():
    with Sandbox(db=":memory:", seed_history=True) as sandbox:
        yield sandbox


def expected(sb: Sandbox, start: dt.datetime, end: dt.datetime) -> dict:
    """The period's figures straight from the sandbox's tables (all seeded records are final)."""
    rows = sb.store.snapshot()
    lo, hi = start.timestamp(), end.timestamp()
    messages = [r for r in rows["messages"] if lo <= r["t"] < hi]
    out = [r for r in messages if r["direction"] == "outbound"]
    naive = (start.astimezone(dt.UTC).replace(tzinfo=None), end.astimezone(dt.UTC).replace(tzinfo=None))
    calls = [r for r in rows["calls"] if r["settled"]
             and naive[0] <= dt.datetime.strptime(r["end_time"], "%Y-%m-%d %H:%M:%S.%f") < naive[1]]
    out_calls = [r for r in calls if r["direction"] == "outbound"]
    countries = Counter(r["country_iso"] for r in out)
    call_countries = Counter("SIP" if r["to_number"].startswith("sip:") else country_of(r["to_number"])
                             for r in out_calls)
    return {
        "messages": {"total": len(messages), "outbound": len(out), "inbound": len(messages) - len(out),
                     "outbound_by_state": dict(Counter(r["outcome"] for r in out)),
                     "spend_usd": f"{sum(Decimal(r['total_amount']) for r in messages):.5f}",
                     "top": countries.most_common(5),
                     "failures": sum(1 for r in out if r["outcome"] in ("failed", "undelivered"))},
        "calls": {"total": len(calls), "outbound": len(out_calls), "inbound": len(calls) - len(out_calls),
                  "spend_usd": f"{sum(Decimal(r['total_amount']) for r in calls):.5f}",
                  "billed_minutes": sum(r["billed_duration"] // 60 for r in calls),
                  "answered": sum(1 for r in calls if r["bill_duration"] > 0),
                  "top": call_countries.most_common(5)},
    }


def whole_seconds(t: dt.datetime) -> dt.datetime:
    return t.replace(microsecond=0)


async def test_usage_totals_equal_the_sandbox_rows(history):
    now = whole_seconds(history.clock().replace(tzinfo=dt.UTC))
    start, end = now - dt.timedelta(days=10), now - dt.timedelta(days=1)
    async with Client(server_for(history)) as client:
        answer = await ok(client, "get_usage", {"since": start.isoformat(), "until": end.isoformat()})
    want = expected(history, start, end)
    msgs, calls = answer["messages"], answer["calls"]
    assert want["messages"]["total"] > 1000 and want["calls"]["total"] > 30  # the period holds real traffic
    for key in ("total", "outbound", "inbound", "outbound_by_state", "spend_usd"):
        assert msgs[key] == want["messages"][key], key
    assert [(c["country"], c["count"]) for c in msgs["top_countries"]] == want["messages"]["top"]
    assert sum(msgs["failure_causes"].values()) == want["messages"]["failures"]
    for key in ("total", "outbound", "inbound", "spend_usd", "billed_minutes"):
        assert calls[key] == want["calls"][key], key
    assert calls["by_outcome"]["answered"] == want["calls"]["answered"]
    assert sum(calls["by_outcome"].values()) == want["calls"]["total"]
    assert sorted((c["country"], c["count"]) for c in calls["top_countries"]) == sorted(want["calls"]["top"])
    assert answer["spend_usd"] == f"{Decimal(msgs['spend_usd']) + Decimal(calls['spend_usd']):.5f}"
    assert "partial" not in answer and answer["_data"] == "untrusted"


async def test_default_period_is_the_last_7_days(history):
    async with Client(server_for(history)) as client:
        answer = await ok(client, "get_usage")
    start = dt.datetime.fromisoformat(answer["period"]["since"])
    end = dt.datetime.fromisoformat(answer["period"]["until"])
    assert end - start == dt.timedelta(days=7)
    want = expected(history, start.replace(microsecond=0), end)
    assert answer["calls"]["total"] == want["calls"]["total"] > 0
    assert answer["messages"]["total"] == want["messages"]["total"] > 0


async def test_small_max_items_says_what_is_partial(history):
    now = whole_seconds(history.clock().replace(tzinfo=dt.UTC))
    start, end = now - dt.timedelta(days=10), now - dt.timedelta(days=1)
    async with Client(server_for(history)) as client:
        answer = await ok(client, "get_usage", {"since": start.isoformat(), "until": end.isoformat(),
                                                "max_items": 100})
    want = expected(history, start, end)
    # Counts come from filter queries: exact whatever max_items is.
    assert answer["messages"]["total"] == want["messages"]["total"]
    assert answer["calls"]["outbound"] == want["calls"]["outbound"]
    partial = " | ".join(answer["partial"])
    assert f"100 of {want['messages']['total']} messages" in partial
    assert f"the other {want['messages']['total'] - 100} are not included" in partial
    assert answer["messages"]["spend_usd"] != want["messages"]["spend_usd"]  # a partial sum, said to be one


@pytest.mark.parametrize(("args", "parameter", "words"), [
    ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until", "after since"),
    ({"since": "DAYS31"}, "since", "30 days"),
    ({"since": "DAYS100", "until": "DAYS95"}, "since", "90 days"),
    ({"since": "last week"}, "since", ""),
    ({"max_items": 0}, "max_items", ""),
])
async def test_bad_period_names_the_parameter(history, args, parameter, words):
    now = history.clock().replace(tzinfo=dt.UTC)
    args = {k: (now - dt.timedelta(days=int(v[4:]))).isoformat() if str(v).startswith("DAYS") else v
            for k, v in args.items()}
    async with Client(server_for(history)) as client:
        error = await err(client, "get_usage", args)
    assert error["parameter"] == parameter and words in error["error"]


def test_the_period_ends_after_the_last_fraction_of_a_second():
    """The API filters in whole seconds: a default end of now, truncated, would leave out a call that ended in
    the current second (the demo's call did)."""
    now = dt.datetime(2026, 3, 1, 12, 0, 0, 500000, tzinfo=dt.UTC)
    start, end = period_of(None, None, now)
    assert end == dt.datetime(2026, 3, 1, 12, 0, 1, tzinfo=dt.UTC) and end - start == dt.timedelta(days=7)
