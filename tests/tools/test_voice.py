"""Voice tools through an MCP client against the sandbox (lifecycle moved with `sb.clock.advance`)."""

import datetime as dt
from decimal import Decimal

import pytest
from mcp import Client
from mcp.types import ElicitResult

from plivo_mcp.sandbox import Sandbox
from plivo_mcp.sandbox.arrivals import Arrivals
from plivo_mcp.sandbox.clock import SandboxClock
from plivo_mcp.shaping import records, utc_basic
from tests.helpers import call, err, ok, server_for
from tests.test_guard import answering, two_step

pytestmark = pytest.mark.anyio

FROM = "14155550100"
TO_US = "14155552671"
TO_GB = "447700900123"
LONG = "14155550104"  # the sandbox's long call: an hour of talk
ANSWER = "https://example.com/answer"


def calls_of(sb: Sandbox) -> list[dict]:
    return sb.store.snapshot()["calls"]


def state(sb: Sandbox) -> dict:
    """The sandbox's state with every call that has ended by now settled (the app settles before each request,
    so an unsettled snapshot would differ from the next one without anything having been done)."""
    sb.store.catch_up()
    return sb.store.snapshot()


def credit(sb: Sandbox) -> Decimal:
    return Decimal(next(a["cash_credits"] for a in sb.store.snapshot()["accounts"] if a["auth_id"] == sb.auth_id))


@pytest.fixture
def sb():
    """A sandbox whose clock moves only when a test advances it: the lifecycle steps are seconds apart, so a
    slow run must not see a queued call ring or a ringing call answer on its own. Its app records the method of
    every request (`deletes`)."""
    sandbox = Sandbox(db=":memory:", clock=SandboxClock(start=dt.datetime.now()))
    sandbox.app = Arrivals(sandbox.app)  # type: ignore[assignment]  # every request still reaches the sandbox
    with sandbox:
        yield sandbox


def deletes(sb: Sandbox) -> int:
    """DELETE requests the sandbox has received (hang-ups and cancels)."""
    return list(sb.app.methods).count("DELETE")  # type: ignore[attr-defined]


async def placed(client: Client, to: str = LONG) -> str:
    """A call made through make_call (token path); its uuid."""
    _, done = await two_step(client, "make_call", {"from_number": FROM, "to": [to], "answer_url": ANSWER})
    return done["request_uuid"]


async def test_make_call_previews_cost_then_calls_once(client, sb):
    args = {"from_number": FROM, "to": [TO_US, "+" + TO_GB, TO_US], "answer_url": ANSWER, "time_limit": 90}
    before = sb.store.snapshot()
    preview = await ok(client, "make_call", args)
    assert sb.store.snapshot() == before
    shown = preview["preview"]
    assert shown["recipients"] == 2 and shown["answer_url"] == ANSWER  # duplicates are one call
    rates = {r["to"]: r["rate_per_min_usd"] for r in shown["first"]}
    assert rates == {TO_US: "0.01200", TO_GB: "0.03250"}  # the sandbox's US 1415 and GB 447 prefix rates
    # 90 s is two started minutes per recipient
    assert Decimal(shown["max_cost_usd"]) == (Decimal("0.012") + Decimal("0.0325")) * 2
    assert Decimal(shown["credit_after_max_cost_usd"]) == credit(sb) - Decimal(shown["max_cost_usd"])
    done = await ok(client, "make_call", {**args, "confirmation_token": preview["confirmation_token"]})
    assert len(done["request_uuid"]) == 2 and done["message"] == "calls fired"
    assert sorted(c["to_number"] for c in calls_of(sb)) == sorted([TO_US, TO_GB])


async def test_make_call_by_elicitation_asks_for_the_number(sb):
    seen: list[str] = []
    async with Client(server_for(sb), elicitation_callback=answering(TO_US, seen=seen)) as c:
        done = await ok(c, "make_call", {"from_number": FROM, "to": [TO_US], "answer_url": ANSWER})
    assert f"Type {TO_US} to confirm" in seen[-1] and "0.01200" in seen[-1]
    assert [c["call_uuid"] for c in calls_of(sb)] == [done["request_uuid"]]


async def test_make_call_refusals_change_nothing(client, sb):
    before = sb.store.snapshot()
    bad = [
        ({"from_number": FROM, "to": [], "answer_url": ANSWER}, "to"),
        ({"from_number": FROM, "to": ["12"], "answer_url": ANSWER}, "to"),
        ({"from_number": FROM, "to": [TO_US], "answer_url": "ftp://x"}, "answer_url"),
        ({"from_number": FROM, "to": [TO_US], "answer_url": ANSWER, "time_limit": 0}, "time_limit"),
        # no pricing for Germany in the sandbox, none for +81 anywhere: no cost to show, no call
        ({"from_number": FROM, "to": ["4930123456"], "answer_url": ANSWER}, "to"),
        ({"from_number": FROM, "to": ["81312345678"], "answer_url": ANSWER}, "to"),
    ]
    for args, parameter in bad:
        error = await err(client, "make_call", args)
        assert error["parameter"] == parameter, (args, error)
    assert sb.store.snapshot() == before


async def test_get_call_once_completed(client, sb):
    call_uuid = await placed(client, TO_US)
    error = await err(client, "get_call", {"call_uuid": call_uuid})
    assert error["code"] == "not_found" and "list_live_calls" in error["hint"]
    sb.clock.advance(70)
    cdr = await ok(client, "get_call", {"call_uuid": call_uuid})
    assert cdr["bill_duration"] == 60 and cdr["hangup_cause_name"] == "Normal Hangup" and cdr["total_amount"]
    assert "resource_uri" not in cdr and cdr["_data"] == "untrusted"
    error = await err(client, "get_call", {"call_uuid": "not-a-uuid"})
    assert error["parameter"] == "call_uuid"


@pytest.fixture
def history():
    with Sandbox(db=":memory:", seed_history=True) as sandbox:
        yield sandbox


async def test_list_calls_filters(history):
    async with Client(server_for(history)) as client:
        await check_list_calls(client)


async def check_list_calls(client):
    page = await ok(client, "list_calls", {"limit": 20})
    assert page["page"]["returned"] == 20 and page["page"]["next_offset"] == 20
    item = records(page)[0]
    assert set(item) <= {"call_uuid", "end_time", "call_direction", "from_number", "to_number", "bill_duration",
                         "total_amount", "hangup_cause_name"}
    inbound = await ok(client, "list_calls", {"direction": "inbound", "fields": "hangup_source"})
    assert records(inbound) and all(i["call_direction"] == "inbound" and "hangup_source" in i
                                    for i in records(inbound))
    long = await ok(client, "list_calls", {"min_bill_duration": 300})
    assert records(long) and all(i["bill_duration"] >= 300 for i in records(long))
    busy = await ok(client, "list_calls", {"hangup_cause_code": 3010})
    assert all(i["hangup_cause_name"] == "Busy Line" for i in records(busy))
    newest = records(page)[0]
    cdr = await ok(client, "get_call", {"call_uuid": newest["call_uuid"]})
    assert newest["end_time"] == utc_basic(cdr["end_time"]) and newest["end_time"].endswith("Z")  # same instant
    end = dt.datetime.fromisoformat(newest["end_time"])
    window = await ok(client, "list_calls", {"ended_after": (end - dt.timedelta(seconds=1)).isoformat(),
                                             "ended_before": (end + dt.timedelta(seconds=1)).isoformat()})
    assert newest["call_uuid"] in [i["call_uuid"] for i in records(window)]
    # a time copied from a list, as it is written there, is a filter read as that instant (an hour off either
    # way would find more calls, or none)
    since_newest = await ok(client, "list_calls", {"ended_after": newest["end_time"]})
    assert [i["call_uuid"] for i in records(since_newest)] == [newest["call_uuid"]]
    error = await err(client, "list_calls", {"ended_after": "2026-01-02T00:00:00", "ended_before": "2026-01-01"})
    assert error["parameter"] == "ended_after"
    error = await err(client, "list_calls", {"ended_after": "yesterday"})
    assert error["parameter"] == "ended_after"
    error = await err(client, "list_calls", {"ended_before": 1767225600})  # not read as a Unix time
    assert error["parameter"] == "ended_before" and "ISO datetime" in error["error"]
    error = await err(client, "list_calls", {"ended_after": "2026-01-01T00:00:00Z",
                                             "ended_before": "2026-03-01T00:00:00Z"})
    assert error["code"] == "invalid_argument"  # the API's 30-day limit


async def test_list_live_and_queued_calls(client, sb):
    call_uuid = await placed(client)
    queued = await ok(client, "list_live_calls", {"status": "queued"})
    assert [i["call_uuid"] for i in records(queued)] == [call_uuid]
    assert records(await ok(client, "list_live_calls")) == []
    sb.clock.advance(10)
    live = await ok(client, "list_live_calls", {"to_number": LONG[:4]})
    (item,) = records(live)
    assert item["call_status"] == "in-progress" and item["to"] == LONG and item["from"] == FROM
    assert item["session_start"] and isinstance(item["duration_so_far_s"], int)
    assert records(await ok(client, "list_live_calls", {"to_number": "44"})) == []


async def test_hangup_previews_parties_then_ends_the_call(client, sb):
    call_uuid = await placed(client)
    sb.clock.advance(10)
    preview, done = await two_step(client, "hangup_call", {"call_uuid": call_uuid})
    shown = preview["preview"]
    assert shown["to"] == LONG and shown["from"] == FROM and shown["call_status"] == "in-progress"
    assert shown["started_utc"]
    assert done["hung_up"] == call_uuid
    cdr = await ok(client, "get_call", {"call_uuid": call_uuid})
    assert cdr["hangup_source"] == "API Request"


async def test_hangup_of_a_call_that_ended_since_the_preview_is_state_changed(client, sb):
    call_uuid = await placed(client, TO_US)
    sb.clock.advance(6)
    preview = await ok(client, "hangup_call", {"call_uuid": call_uuid})
    sb.clock.advance(120)  # it ends while the person reads the preview
    before = state(sb)
    is_error, body = await call(client, "hangup_call", {"call_uuid": call_uuid,
                                                        "confirmation_token": preview["confirmation_token"]})
    error = body["error"]
    assert is_error and error["code"] == "state_changed" and error["now"] == "call_ended"
    assert "ended at" in error["error"] and "Normal Hangup" in error["error"] and error["parameter"] == "call_uuid"
    assert body["_data"] == "untrusted"  # the cause is the account's text
    assert deletes(sb) == 0 and state(sb) == before
    # Asked afresh, with no preview behind it: the call simply ended.
    error = await err(client, "hangup_call", {"call_uuid": call_uuid})
    assert error["code"] == "call_ended" and error["parameter"] == "call_uuid"
    error = await err(client, "hangup_call", {"call_uuid": "00000000-0000-4000-8000-000000000000"})
    assert error["code"] == "not_found"
    assert deletes(sb) == 0 and state(sb) == before


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_hangup_of_a_call_that_ends_while_the_person_is_asked_is_state_changed(sb, mode):
    async with Client(server_for(sb)) as plain:
        call_uuid = await placed(plain, TO_US)
    sb.clock.advance(6)
    asked: list[str] = []
    after_the_end: list[dict] = []

    async def answer_once_it_ended(context, params) -> ElicitResult:
        asked.append(params.message)
        sb.clock.advance(120)  # the call ends while the dialog is open
        after_the_end.append(state(sb))
        return ElicitResult(action="accept", content={"confirm": TO_US})

    async with Client(server_for(sb), mode=mode, elicitation_callback=answer_once_it_ended) as c:
        is_error, body = await call(c, "hangup_call", {"call_uuid": call_uuid})
    error = body["error"]
    assert is_error and error["code"] == "state_changed" and error["now"] == "call_ended", body
    assert "ended at" in error["error"] and "Normal Hangup" in error["error"] and body["_data"] == "untrusted"
    assert len(asked) == 1 and f"Type {TO_US} to confirm" in asked[0]  # asked once, about the live call
    assert deletes(sb) == 0 and state(sb) == after_the_end[0]
    cdr = next(c for c in calls_of(sb) if c["call_uuid"] == call_uuid)
    assert cdr["cause_source"] != "API Request"  # it ended on its own, not by this tool


async def test_hangup_of_a_call_answered_after_the_preview_is_state_changed(client, sb):
    call_uuid = await placed(client)
    sb.clock.advance(3)  # ringing
    preview = await ok(client, "hangup_call", {"call_uuid": call_uuid})
    assert preview["preview"]["call_status"] == "ringing"
    sb.clock.advance(5)  # answered now
    before = state(sb)
    error = await err(client, "hangup_call", {"call_uuid": call_uuid,
                                              "confirmation_token": preview["confirmation_token"]})
    assert error["code"] == "state_changed" and error["preview"]["call_status"] == "in-progress"
    assert state(sb) == before
    await ok(client, "hangup_call", {"call_uuid": call_uuid, "confirmation_token": error["confirmation_token"]})


async def test_cancel_a_queued_request(client, sb):
    call_uuid = await placed(client)
    error = await err(client, "hangup_call", {"call_uuid": call_uuid})
    assert error["code"] == "wrong_state" and "cancel_call_request" in error["hint"]
    preview, done = await two_step(client, "cancel_call_request", {"request_uuid": call_uuid})
    assert preview["preview"]["to"] == LONG and done["cancelled"] == call_uuid
    sb.clock.advance(1)
    cdr = await ok(client, "get_call", {"call_uuid": call_uuid})
    assert cdr["hangup_cause_name"] == "Cancelled"


async def test_cancel_of_a_ringing_call_points_to_hangup(client, sb):
    call_uuid = await placed(client)
    sb.clock.advance(3)
    before = sb.store.snapshot()
    error = await err(client, "cancel_call_request", {"request_uuid": call_uuid})
    assert error["code"] == "wrong_state" and "hangup_call" in error["hint"]
    assert sb.store.snapshot() == before


async def test_cancel_of_a_request_that_rang_since_the_preview_is_state_changed(client, sb):
    call_uuid = await placed(client)
    preview = await ok(client, "cancel_call_request", {"request_uuid": call_uuid})
    sb.clock.advance(3)  # queued no more: it is ringing
    before = state(sb)
    error = await err(client, "cancel_call_request", {"request_uuid": call_uuid,
                                                      "confirmation_token": preview["confirmation_token"]})
    assert error["code"] == "state_changed" and error["now"] == "wrong_state" and "hangup_call" in error["hint"]
    assert deletes(sb) == 0 and state(sb) == before


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_hangup_and_cancel_by_elicitation(sb, mode):
    async with Client(server_for(sb)) as plain:
        live = await placed(plain)
        sb.clock.advance(10)
        queued = await placed(plain)
    async with Client(server_for(sb), mode=mode, elicitation_callback=answering(LONG)) as c:
        await ok(c, "hangup_call", {"call_uuid": live})
        await ok(c, "cancel_call_request", {"request_uuid": queued})
    sources = {c["call_uuid"]: c["cause_source"] for c in calls_of(sb)}
    assert sources[live] == sources[queued] == "API Request"
