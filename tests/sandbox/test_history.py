"""The seeded history (`Sandbox(seed_history=True)`): deterministic, cheap, a few weeks of CDRs and recordings
across countries, outcomes and subaccounts, read through the official SDK like any other."""

from __future__ import annotations

import datetime as dt

from plivo_mcp.sandbox import Sandbox
from plivo_mcp.sandbox.calls import CALLS_PER_DAY, HISTORY_DAYS
from plivo_mcp.sandbox.clock import SandboxClock

START = dt.datetime(2026, 3, 10, 12, 0)


def _history(sb: Sandbox) -> tuple[list[dict], list[dict]]:
    snap = sb.store.snapshot()
    return snap["calls"], snap["recordings"]


def test_history_is_deterministic_cheap_and_off_by_default() -> None:
    first = Sandbox(clock=SandboxClock(start=START), seed_history=True)
    second = Sandbox(clock=SandboxClock(start=START), seed_history=True)
    assert _history(first) == _history(second)
    calls, recordings = _history(first)
    assert len(calls) == HISTORY_DAYS * CALLS_PER_DAY and recordings
    messages = first.store.snapshot()["messages"]
    assert len(messages) == 3000 and messages == second.store.snapshot()["messages"]  # beside the calls
    assert _history(Sandbox(clock=SandboxClock(start=START))) == ([], [])
    first.store.seed_history(first.auth_id)  # once per database
    assert len(_history(first)[0]) == len(calls) and len(first.store.snapshot()["messages"]) == 3000
    assert {c["cause_name"] for c in calls} >= {"Normal Hangup", "Busy Line", "No Answer", "End Of XML Instructions"}
    assert {c["network_group"] for c in calls} >= {"United States", "United Kingdom", "India", "SIP"}
    assert {c["direction"] for c in calls} == {"inbound", "outbound"}
    assert len({c["owner"] for c in calls}) == 3  # the main account and two subaccounts
    tokens = {a["auth_id"]: a["auth_token"] for a in first.store.snapshot()["accounts"]}
    other = {a["auth_id"]: a["auth_token"] for a in second.store.snapshot()["accounts"]}
    subs = [a for a in tokens if a.startswith("SA")]
    assert len(subs) == 2 and subs == [a for a in other if a.startswith("SA")]  # same ids...
    assert all(tokens[a] != other[a] for a in subs)  # ...but tokens nobody can derive


def test_history_through_the_sdk(plivo_for) -> None:
    with Sandbox(seed_history=True) as sb:
        client = plivo_for(sb)
        week = client.calls.list()
        assert 0 < week.meta.total_count < HISTORY_DAYS * CALLS_PER_DAY  # the default window: 7 days
        cdr = client.calls.get(week.objects[0].call_uuid)
        assert cdr.end_time and cdr.hangup_cause_name
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=HISTORY_DAYS + 1)).strftime("%Y-%m-%d %H:%M")
        assert client.calls.list(end_time__gte=since).meta.total_count == HISTORY_DAYS * CALLS_PER_DAY
        busy = client.calls.list(end_time__gte=since, hangup_cause_code=3010)
        assert busy.meta.total_count > 0 and all(c.bill_duration == 0 for c in busy.objects)
        subs = client.subaccounts.list()
        sa = subs.objects[0]
        sub = plivo_for(sb, sa.auth_id, sa.auth_token)
        theirs = sub.calls.list(end_time__gte=since).meta.total_count
        assert 0 < theirs == client.calls.list(end_time__gte=since, subaccount=sa.auth_id).meta.total_count
        rec = client.recordings.list(add_time__gte=since)
        assert rec.meta.total_count > 0
        assert client.recordings.get(rec.objects[0].recording_id).call_uuid
