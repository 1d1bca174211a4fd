"""Call through the official plivo SDK: make a call, its lifecycle on the sandbox clock, CDRs and their filters,
live and queued calls, hang up, cancel, and the magic destinations. The clock is moved, never slept on."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from plivo import exceptions

from plivo_mcp.sandbox import Sandbox
from plivo_mcp.sandbox.calls import ANSWER_S, QUEUED_S, TALK_S
from tests.conftest import FIXTURES_DIR

TO_US = "14155550123"
FROM = "+14155550100"
ANSWER_URL = "https://example.com/answer"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES_DIR / name).read_text())


def credits(client: Any) -> Decimal:
    return Decimal(client.account.get().cash_credits)


def make(client: Any, to: str = TO_US, **kw: Any) -> str:
    resp = client.calls.create(from_=FROM, to_=to, answer_url=ANSWER_URL, **kw)
    return resp.request_uuid


def test_a_call_goes_queued_ringing_in_progress_completed_and_is_paid(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    before = credits(client)
    resp = client.calls.create(from_=FROM, to_=TO_US, answer_url=ANSWER_URL)
    assert resp.message == "call fired" and isinstance(resp.request_uuid, str)
    assert set(fixture("callCreateResponse.json")) <= set(resp.__dict__)
    uuid = resp.request_uuid

    assert client.queued_calls.list_ids().calls == [uuid]
    queued = client.queued_calls.get(uuid)
    assert (queued.call_status, queued.to, queued.direction) == ("queued", TO_US, "outbound")
    assert client.live_calls.list_ids().calls == []
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.calls.get(uuid)  # no CDR until it completes

    sb.clock.advance(QUEUED_S + 0.5)  # type: ignore[attr-defined]
    assert client.live_calls.list_ids().calls == [uuid]
    assert client.live_calls.get(uuid).call_status == "ringing"
    sb.clock.advance(ANSWER_S - QUEUED_S)  # type: ignore[attr-defined]
    live = client.live_calls.get(uuid)
    assert live.call_status == "in-progress" and live.request_uuid == uuid
    assert set(fixture("liveCallGetResponse.json")) <= set(live.__dict__)
    assert client.queued_calls.list_ids().calls == []
    assert credits(client) == before  # nothing is charged before the call ends

    sb.clock.advance(TALK_S)  # type: ignore[attr-defined]
    # The Account answer already reflects the call that has ended, before any Call request looks at it.
    assert credits(client) == before - Decimal("0.01200")
    assert client.live_calls.list_ids().calls == []
    cdr = client.calls.get(uuid)
    assert set(fixture("callGetResponse.json")) <= set(cdr.__dict__)
    assert (cdr.call_duration, cdr.bill_duration, cdr.billed_duration) == (TALK_S, TALK_S, 60)
    assert (cdr.total_rate, cdr.total_amount) == ("0.01200", "0.01200")  # the US +1415 rate, one minute
    assert (cdr.hangup_cause_name, cdr.hangup_cause_code, cdr.hangup_source) == ("Normal Hangup", 4000, "Callee")
    assert cdr.answer_time is not None and cdr.end_time > cdr.answer_time > cdr.initiation_time
    assert (cdr.from_number, cdr.to_number, cdr.call_direction) == (FROM, TO_US, "outbound")
    assert cdr.resource_uri == f"/v1/Account/{sb.auth_id}/Call/{uuid}/"
    assert credits(client) == before - Decimal("0.01200")
    client.calls.get(uuid)
    assert credits(client) == before - Decimal("0.01200")  # paid once


def test_several_destinations_one_call_each(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    resp = client.calls.create(from_=FROM, to_="14155550124<sip:alice@phone.plivo.com<447700900123",
                               answer_url=ANSWER_URL)
    assert resp.message == "calls fired" and len(resp.request_uuid) == 3
    sb.clock.advance(ANSWER_S + TALK_S)  # type: ignore[attr-defined]
    rates = {client.calls.get(u).to_number: client.calls.get(u).total_rate for u in resp.request_uuid}
    # local by prefix, SIP at the ip rate, a UK mobile at its 447 prefix rate
    assert rates == {"14155550124": "0.01200", "sip:alice@phone.plivo.com": "0.00300", "447700900123": "0.03250"}


def test_tollfree_and_longer_calls_are_priced_per_started_minute(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    tollfree = make(client, to="18005550123")
    long_uuid = make(client, to="14155550104")  # magic: a long call
    sb.clock.advance(ANSWER_S + 150)  # type: ignore[attr-defined]
    client.calls.delete(long_uuid)  # 150 s of talk: 3 billed minutes
    sb.clock.advance(TALK_S)  # type: ignore[attr-defined]
    assert client.calls.get(tollfree).total_rate == "0.00300"
    cdr = client.calls.get(long_uuid)
    assert (cdr.bill_duration, cdr.billed_duration, cdr.total_amount) == (150, 180, "0.03600")
    assert (cdr.hangup_cause_name, cdr.hangup_source) == ("Normal Hangup", "API Request")


@pytest.mark.parametrize(("suffix", "cause", "ends_after"), [
    ("5550101", ("Busy Line", 3010, "Callee"), 5),
    ("5550102", ("No Answer", 3020, "Plivo"), QUEUED_S + 120),
    ("5550103", ("Invalid Destination Address", 2010, "Error"), 1),
])
def test_magic_destinations_end_unanswered_and_cost_nothing(sb: Sandbox, plivo_for, suffix: str,
                                                            cause: tuple[str, int, str], ends_after: float) -> None:
    client = plivo_for(sb)
    before = credits(client)
    uuid = make(client, to="1415" + suffix)
    sb.clock.advance(ends_after - 0.5)  # type: ignore[attr-defined]
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.calls.get(uuid)
    sb.clock.advance(1)  # type: ignore[attr-defined]
    cdr = client.calls.get(uuid)
    assert (cdr.hangup_cause_name, cdr.hangup_cause_code, cdr.hangup_source) == cause
    assert (cdr.answer_time, cdr.bill_duration, cdr.total_amount) == (None, 0, "0.00000")
    assert credits(client) == before


def test_ring_timeout_and_time_limit(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    short_ring = make(client, ring_timeout=2)  # hangs up before the 4 s of ringing are over
    capped = make(client, time_limit=30)
    sb.clock.advance(ANSWER_S + 30)  # type: ignore[attr-defined]
    assert client.calls.get(short_ring).hangup_cause_name == "No Answer"
    cdr = client.calls.get(capped)
    assert (cdr.bill_duration, cdr.hangup_cause_name) == (30, "Time Limit Reached")


def test_hang_up_a_live_call_and_cancel_a_queued_request(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    first = make(client)
    sb.clock.advance(QUEUED_S + 1)  # type: ignore[attr-defined]
    second = make(client)
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.calls.cancel(first)  # ringing: no longer a queued request
    client.calls.cancel(second)
    client.calls.hangup(first)
    assert client.live_calls.list_ids().calls == [] and client.queued_calls.list_ids().calls == []
    for uuid in (first, second):
        cdr = client.calls.get(uuid)  # ended at once: CDR there without moving the clock
        assert (cdr.hangup_cause_name, cdr.hangup_source, cdr.bill_duration) == ("Cancelled", "API Request", 0)
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.calls.hangup(first)  # already over


def test_delete_call_without_uuid_ends_every_ongoing_call(sb: Sandbox, http_for) -> None:
    http = http_for(sb)
    made = [http.post("Call/", json={"from": FROM, "to": t, "answer_url": ANSWER_URL}).json()["request_uuid"]
            for t in ("14155550104", "14155550125")]
    sb.clock.advance(ANSWER_S + 1)  # type: ignore[attr-defined]
    assert http.delete("Call/").status_code == 204
    assert http.get("Call/", params={"status": "live"}).json()["calls"] == []
    for uuid in made:
        assert http.get(f"Call/{uuid}/").json()["hangup_source"] == "API Request"


@pytest.mark.parametrize(("body", "names"), [
    ({"to": TO_US, "answer_url": ANSWER_URL}, "from"),
    ({"from": FROM, "answer_url": ANSWER_URL}, "to"),
    ({"from": FROM, "to": TO_US}, "answer_url"),
    ({"from": FROM, "to": TO_US, "answer_url": "not a url"}, "answer_url"),
    ({"from": FROM, "to": "['14155550123', '14155550124']", "answer_url": ANSWER_URL}, "to"),  # python's repr
    ({"from": FROM, "to": "14155550123<", "answer_url": ANSWER_URL}, "to"),
    ({"from": FROM, "to": FROM, "answer_url": ANSWER_URL}, "from and to"),
    ({"from": FROM, "to": "33612345678", "answer_url": ANSWER_URL}, "to"),  # no pricing for France
    ({"from": FROM, "to": TO_US, "answer_url": ANSWER_URL, "answer_method": "PUT"}, "answer_method"),
    ({"from": FROM, "to": TO_US, "answer_url": ANSWER_URL, "caller_name": "x" * 51}, "caller_name"),
    ({"from": FROM, "to": TO_US, "answer_url": ANSWER_URL, "time_limit": 0}, "time_limit"),
    ({"from": FROM, "to": TO_US, "answer_url": ANSWER_URL, "machine_detection_time": 100},
     "machine_detection_time"),
    ({"from": FROM, "to": TO_US, "answer_url": ANSWER_URL, "machine_detection": "yes"}, "machine_detection"),
    ({"from": FROM, "to": TO_US, "answer_url": ANSWER_URL, "send_digits": "12x"}, "send_digits"),
    ({"from": FROM, "to": TO_US, "answer_url": ANSWER_URL, "sip_headers": "novalue"}, "sip_headers"),
    ({"from": FROM, "to": TO_US, "answer_url": ANSWER_URL, "parent_call_uuid": "nope",
      "error_if_parent_not_found": True}, "parent_call_uuid"),
])
def test_bad_calls_are_refused_naming_the_parameter(sb: Sandbox, http_for, body: dict[str, Any],
                                                    names: str) -> None:
    http = http_for(sb)
    resp = http.post("Call/", json=body)
    assert resp.status_code == 400 and names in resp.json()["error"], resp.text
    assert sb.store.snapshot()["calls"] == []


def test_no_credit_no_call(sb: Sandbox, http_for) -> None:
    sb.store.update_account(sb.auth_id, {"cash_credits": "0.00000"})
    resp = http_for(sb).post("Call/", json={"from": FROM, "to": TO_US, "answer_url": ANSWER_URL})
    assert resp.status_code == 400 and "credit" in resp.json()["error"]


def test_cdr_list_filters_and_default_window(sb: Sandbox, plivo_for, http_for) -> None:
    client = plivo_for(sb)
    old = make(client, to="14155550126")
    sb.clock.advance(ANSWER_S + TALK_S)  # type: ignore[attr-defined]
    old_end = client.calls.get(old).end_time
    sb.clock.advance(8 * 86400)  # type: ignore[attr-defined]
    busy = make(client, to="14155550101")
    gb = make(client, to="442071234567")
    sb.clock.advance(ANSWER_S + TALK_S)  # type: ignore[attr-defined]

    listed = client.calls.list()
    assert [c.call_uuid for c in listed] == [gb, busy]  # newest end first; the 8-day-old call is outside 7 days
    assert listed.meta.total_count == 2
    assert [c.call_uuid for c in client.calls.list(hangup_cause_code=3010)] == [busy]
    assert [c.call_uuid for c in client.calls.list(to_number="44")] == [gb]  # prefix
    assert [c.call_uuid for c in client.calls.list(hangup_source="Callee")] == [gb, busy]
    http = http_for(sb)
    assert [c["call_uuid"] for c in http.get("Call/", params={"bill_duration__gt": 0}).json()["objects"]] == [gb]
    # One bound only: 30 days from it, so the old call is back.
    since = http.get("Call/", params={"end_time__gte": "2000-01-01 00:00"}).json()
    assert since["meta"]["total_count"] == 0  # older than the 90 days kept
    start = old_end[:10]
    found = http.get("Call/", params={"end_time__gte": start}).json()["objects"]
    assert [c["call_uuid"] for c in found] == [gb, busy, old]
    wide = http.get("Call/", params={"end_time__gte": start, "end_time__lte": "2099-01-01"})
    assert wide.status_code == 400 and "end_time" in wide.json()["error"]
    bad = http.get("Call/", params={"end_time__gt": "yesterday"})
    assert bad.status_code == 400 and "end_time__gt" in bad.json()["error"]
    assert http.get("Call/", params={"status": "done"}).status_code == 400


def test_a_subaccount_sees_and_ends_only_its_own_calls(sb: Sandbox, plivo_for) -> None:
    sa, token = sb.store.create_subaccount(sb.auth_id, "team")
    main, sub = plivo_for(sb), plivo_for(sb, sa, token)
    before = credits(main)
    mine = make(main, to="14155550104")
    theirs = make(sub, to="14155550104")
    sb.clock.advance(ANSWER_S + 1)  # type: ignore[attr-defined]
    assert sub.live_calls.list_ids().calls == [theirs]
    assert sorted(main.live_calls.list_ids().calls) == sorted([mine, theirs])
    with pytest.raises(exceptions.ResourceNotFoundError):
        sub.calls.hangup(mine)
    sb.clock.advance(59)  # type: ignore[attr-defined]
    sub.calls.hangup(theirs)
    main.calls.hangup(mine)
    assert [c.call_uuid for c in sub.calls.list()] == [theirs]
    assert [c.call_uuid for c in main.calls.list(subaccount=sa)] == [theirs]
    assert credits(main) == before - 2 * Decimal("0.01200")  # the main account pays for its subaccounts
