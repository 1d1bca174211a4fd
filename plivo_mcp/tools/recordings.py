"""Recording tools: list, get, and delete (guarded: the audio cannot be recovered)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import Field

from plivo_mcp.core.deps import Deps
from plivo_mcp.core.spec import Toolset, tool
from plivo_mcp.shaping import changed, clean
from plivo_mcp.tools.common import SubaccountId, get_named, matching
from plivo_mcp.tools.listing import ListPage
from plivo_mcp.tools.numbers import digits
from plivo_mcp.tools.voice import CallUuid, DigitsPrefix, When, api_time

SUMMARY_FIELDS = ("recording_id", "add_time", "call_uuid", "from_number", "to_number", "recording_duration_ms",
                  "recording_format", "recording_url")
RecordingId = Annotated[str, Field(description="Recording id."), matching(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", "a UUID")]


def duration_s(recording: dict[str, Any]) -> float | None:
    try:
        return round(float(Decimal(str(recording.get("recording_duration_ms"))) / 1000), 1)
    except (InvalidOperation, ValueError):
        return None


@tool(title="List recordings", read_only=True, idempotent=True)
async def list_recordings(
    deps: Deps,
    call_uuid: Annotated[CallUuid | None, Field(description="Only this call's.")] = None,
    from_number: DigitsPrefix = None,
    to_number: DigitsPrefix = None,
    added_after: Annotated[When, Field(description="Added at/after (UTC unless offset).")] = None,
    added_before: Annotated[When, Field(description="Added at/before.")] = None,
    subaccount: Annotated[SubaccountId | None, Field(description="Only this subaccount's.")] = None,
    *,
    page: ListPage,
) -> dict[str, Any]:
    """List call recordings, newest first. Default: last 7 days; a range spans at most 30."""
    return await page.of(deps, "Recording/", {
        "call_uuid": call_uuid, "from_number": from_number and digits(from_number),
        "to_number": to_number and digits(to_number), "add_time__gte": api_time(added_after),
        "add_time__lte": api_time(added_before), "subaccount": subaccount,
    }, SUMMARY_FIELDS)


@tool(title="Get recording", read_only=True, idempotent=True)
async def get_recording(deps: Deps, recording_id: RecordingId) -> dict[str, Any]:
    """Get one recording: its call, duration, audio URL and storage cost."""
    return clean(await get_named(deps.client, f"Recording/{recording_id}/", "recording_id"))


async def preview_delete_recording(deps: Deps, recording_id: str, **_: Any) -> dict[str, Any]:
    recording = await get_named(deps.client, f"Recording/{recording_id}/", "recording_id")
    return {
        "action": f"Delete recording {recording_id}",
        "call_uuid": recording.get("call_uuid"),
        "from": recording.get("from_number"),
        "to": recording.get("to_number"),
        "recorded": recording.get("add_time"),
        "duration_s": duration_s(recording),
        "reversible": "no: the audio cannot be recovered",
        # The first block of the id: enough to show the person read which recording it is.
        "confirm_with": recording_id.split("-")[0],
    }


@tool(title="Delete recording", destructive=True, idempotent=True, preview=preview_delete_recording)
async def delete_recording(deps: Deps, recording_id: RecordingId) -> dict[str, Any]:
    """Delete a recording's audio for good."""
    return changed(await deps.client.delete(f"Recording/{recording_id}/"), deleted=recording_id)


TOOLSET = Toolset(
    name="recordings",
    description="Call recordings: list, get, delete.",
    tools=[list_recordings, get_recording, delete_recording],
    default=False,
)
