"""Recording through the official plivo SDK: recording a live call makes one (start/stop, time_limit, the call
ending), then list with filters, get and delete."""

from __future__ import annotations

import json
from typing import Any

import pytest
from plivo import exceptions

from plivo_mcp.sandbox import Sandbox
from plivo_mcp.sandbox.calls import ANSWER_S, QUEUED_S
from tests.conftest import FIXTURES_DIR

FROM = "+14155550100"
LONG = "14155550104"  # magic: a call that talks for an hour


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES_DIR / name).read_text())


def answered_call(sb: Sandbox, client: Any, to: str = LONG) -> str:
    uuid = client.calls.create(from_=FROM, to_=to, answer_url="https://example.com/a").request_uuid
    sb.clock.advance(ANSWER_S)  # type: ignore[attr-defined]
    return uuid


def test_record_a_live_call_then_list_get_delete(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    uuid = answered_call(sb, client)
    started = client.calls.record(uuid, file_format="wav")
    assert started.message == "call recording started"
    assert set(fixture("liveCallRecordCreateResponse.json")) <= set(started.__dict__)
    assert started.url.endswith(f"/Recording/{started.recording_id}.wav")
    assert client.recordings.list().meta.total_count == 0  # listed once it has ended
    sb.clock.advance(12.5)  # type: ignore[attr-defined]
    client.calls.record_stop(uuid)  # stop_recording() wants its callback args

    rec = client.recordings.get(started.recording_id)
    assert set(fixture("recordingGetResponse.json")) - {"conference_name"} <= set(rec.__dict__)
    assert (rec.call_uuid, rec.recording_format, rec.recording_type) == (uuid, "wav", "call")
    assert (rec.from_number, rec.to_number) == (FROM, LONG)
    assert float(rec.recording_duration_ms) == pytest.approx(12500, abs=50)
    assert rec.rounded_recording_duration == 60 and rec.recording_storage_duration == 0
    listed = client.recordings.list(call_uuid=uuid)
    assert [r.recording_id for r in listed] == [started.recording_id]
    assert client.recordings.list(call_uuid="other").meta.total_count == 0

    client.recordings.delete(started.recording_id)
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.recordings.get(started.recording_id)
    assert client.recordings.list().meta.total_count == 0


def test_a_recording_ends_at_its_time_limit_or_with_its_call(sb: Sandbox, plivo_for) -> None:
    client = plivo_for(sb)
    uuid = answered_call(sb, client)
    capped = client.calls.record(uuid, time_limit=5).recording_id
    sb.clock.advance(5)  # type: ignore[attr-defined]
    assert float(client.recordings.get(capped).recording_duration_ms) == pytest.approx(5000, abs=50)
    running = client.calls.record(uuid).recording_id  # default 60 s
    sb.clock.advance(3)  # type: ignore[attr-defined]
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.recordings.get(running)
    client.calls.hangup(uuid)
    assert float(client.recordings.get(running).recording_duration_ms) == pytest.approx(3000, abs=50)


def test_only_an_answered_live_call_can_be_recorded(sb: Sandbox, plivo_for, http_for) -> None:
    client = plivo_for(sb)
    uuid = client.calls.create(from_=FROM, to_=LONG, answer_url="https://example.com/a").request_uuid
    sb.clock.advance(QUEUED_S + 1)  # type: ignore[attr-defined]
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.calls.record(uuid)  # still ringing
    sb.clock.advance(ANSWER_S)  # type: ignore[attr-defined]
    bad = http_for(sb).post(f"Call/{uuid}/Record/", json={"file_format": "ogg"})
    assert bad.status_code == 400 and "file_format" in bad.json()["error"]
    with pytest.raises(exceptions.ResourceNotFoundError):
        client.calls.record("no-such-call")
    assert sb.store.snapshot()["recordings"] == []


def test_recording_list_filters_window_and_scoping(sb: Sandbox, plivo_for, http_for) -> None:
    sa, token = sb.store.create_subaccount(sb.auth_id, "team")
    main, sub = plivo_for(sb), plivo_for(sb, sa, token)
    old_call = answered_call(sb, main)
    old = main.calls.record(old_call, time_limit=10).recording_id
    sb.clock.advance(10)  # type: ignore[attr-defined]
    main.calls.hangup(old_call)
    sb.clock.advance(8 * 86400)  # type: ignore[attr-defined]
    sub_call = answered_call(sb, sub, to="14155550104")
    theirs = sub.calls.record(sub_call, time_limit=10).recording_id
    sb.clock.advance(10)  # type: ignore[attr-defined]

    assert [r.recording_id for r in main.recordings.list()] == [theirs]  # the old one is outside 7 days
    assert [r.recording_id for r in sub.recordings.list()] == [theirs]
    assert [r.recording_id for r in main.recordings.list(subaccount=sa)] == [theirs]
    with pytest.raises(exceptions.ResourceNotFoundError):
        sub.recordings.get(old)
    assert main.recordings.get(old).recording_storage_duration == 8
    http = http_for(sb)
    aged = http.get("Recording/", params={"recording_storage_duration__gte": 7,
                                          "add_time__gt": "2000-01-01"}).json()
    assert aged["meta"]["total_count"] == 0  # a one-sided bound spans 30 days from 2000: nothing
    recent = main.recordings.get(theirs).add_time
    since = http.get("Recording/", params={"add_time__lte": recent[:10] + " 23:59:59"}).json()["objects"]
    assert [r["recording_id"] for r in since] == [theirs, old]  # one upper bound: the 30 days before it
    gt7 = http.get("Recording/", params={"add_time__lte": recent[:10] + " 23:59:59",
                                         "recording_storage_duration__gt": 7}).json()["objects"]
    assert [r["recording_id"] for r in gt7] == [old]
    wide = http.get("Recording/", params={"add_time__gt": "2024-01-01", "add_time__lt": "2024-03-01"})
    assert wide.status_code == 400 and "add_time" in wide.json()["error"]
