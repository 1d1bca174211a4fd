"""Recording tools through an MCP client against a sandbox with seeded history (recordings are off by default)."""

import datetime as dt
from collections.abc import AsyncIterator, Iterator

import pytest
from mcp import Client

from plivo_mcp.sandbox import Sandbox
from plivo_mcp.shaping import records, utc_basic
from tests.helpers import err, ok, server_for
from tests.test_guard import answering, two_step

pytestmark = pytest.mark.anyio
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(db=":memory:", seed_history=True) as sandbox:
        yield sandbox


@pytest.fixture
async def client(sb: Sandbox) -> AsyncIterator[Client]:
    async with Client(server_for(sb, PLIVO_MCP_TOOLSETS="voice,recordings")) as c:
        yield c


def recording_ids(sb: Sandbox) -> set[str]:
    return {r["recording_id"] for r in sb.store.snapshot()["recordings"]}


async def test_recordings_are_off_by_default(sb):
    async with Client(server_for(sb)) as c:
        names = {t.name for t in (await c.list_tools()).tools}
    assert "list_calls" in names and not names & {"list_recordings", "get_recording", "delete_recording"}


async def test_list_and_get_recordings(client, sb):
    page = await ok(client, "list_recordings", {"limit": 5})
    assert page["page"]["returned"] == 5
    item = records(page)[0]
    assert set(item) <= {"recording_id", "add_time", "call_uuid", "from_number", "to_number",
                         "recording_duration_ms", "recording_format", "recording_url"}
    of_call = await ok(client, "list_recordings", {"call_uuid": item["call_uuid"]})
    assert {r["call_uuid"] for r in records(of_call)} == {item["call_uuid"]}
    added = dt.datetime.fromisoformat(item["add_time"])
    window = await ok(client, "list_recordings", {"added_after": (added - dt.timedelta(seconds=1)).isoformat(),
                                                  "added_before": (added + dt.timedelta(seconds=1)).isoformat()})
    assert item["recording_id"] in [r["recording_id"] for r in records(window)]
    one = await ok(client, "get_recording", {"recording_id": item["recording_id"]})
    assert one["recording_storage_rate"] is not None and one["_data"] == "untrusted"


async def test_recording_errors_name_the_parameter(client, sb):
    error = await err(client, "get_recording", {"recording_id": MISSING})
    assert error["code"] == "not_found" and error["parameter"] == "recording_id"
    error = await err(client, "get_recording", {"recording_id": "../Account"})
    assert error["parameter"] == "recording_id"
    error = await err(client, "list_recordings", {"from_number": "abc"})
    assert error["parameter"] == "from_number"
    before = sb.store.snapshot()
    error = await err(client, "delete_recording", {"recording_id": MISSING})
    assert error["code"] == "not_found" and error["parameter"] == "recording_id"
    assert sb.store.snapshot() == before


async def test_delete_recording_previews_then_deletes(client, sb):
    target = records(await ok(client, "list_recordings", {"limit": 1}))[0]
    before = sb.store.snapshot()
    preview = await ok(client, "delete_recording", {"recording_id": target["recording_id"]})
    assert sb.store.snapshot() == before
    shown = preview["preview"]
    assert shown["call_uuid"] == target["call_uuid"] and utc_basic(shown["recorded"]) == target["add_time"]
    assert shown["duration_s"] == float(target["recording_duration_ms"]) / 1000
    assert "cannot be recovered" in shown["reversible"]
    await ok(client, "delete_recording", {"recording_id": target["recording_id"],
                                          "confirmation_token": preview["confirmation_token"]})
    assert target["recording_id"] not in recording_ids(sb)
    error = await err(client, "get_recording", {"recording_id": target["recording_id"]})
    assert error["code"] == "not_found"


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_delete_recording_by_elicitation(sb, mode):
    recording_id = sorted(recording_ids(sb))[0]
    short = recording_id.split("-")[0]
    seen: list[str] = []
    async with Client(server_for(sb, PLIVO_MCP_TOOLSETS="recordings"), mode=mode,
                      elicitation_callback=answering(recording_id, seen=seen)) as c:
        before = sb.store.snapshot()
        error = await err(c, "delete_recording", {"recording_id": recording_id})  # the full id is not the answer
        assert error["code"] == "not_confirmed" and sb.store.snapshot() == before
    async with Client(server_for(sb, PLIVO_MCP_TOOLSETS="recordings"), mode=mode,
                      elicitation_callback=answering(short, seen=seen)) as c:
        await ok(c, "delete_recording", {"recording_id": recording_id})
    assert f"Type {short} to confirm" in seen[-1] and "cannot be recovered" in seen[-1]
    assert recording_id not in recording_ids(sb)


async def test_recording_deleted_after_the_preview_is_refused_cleanly(client, sb):
    recording_id = sorted(recording_ids(sb))[0]
    preview = await ok(client, "delete_recording", {"recording_id": recording_id})
    await two_step(client, "delete_recording", {"recording_id": recording_id})  # someone else deletes it
    before = sb.store.snapshot()
    error = await err(client, "delete_recording", {"recording_id": recording_id,
                                                   "confirmation_token": preview["confirmation_token"]})
    # what was confirmed no longer exists: the state changed since the preview (asked afresh it is not_found)
    assert error["code"] == "state_changed" and error["now"] == "not_found" and error["parameter"] == "recording_id"
    assert sb.store.snapshot() == before
    assert (await err(client, "delete_recording", {"recording_id": recording_id}))["code"] == "not_found"
