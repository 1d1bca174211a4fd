"""all_pages on list tools: every item in the API's order, capped by max_items, fetched concurrently, with
progress, driven through MCP clients against the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from plivo_mcp.paging import MAX_IN_FLIGHT, fetch_pages
from plivo_mcp.sandbox import Sandbox
from plivo_mcp.shaping import records
from tests.helpers import err, ok, server_for

pytestmark = pytest.mark.anyio
SEEDED = 45



class InFlight:
    """ASGI wrapper around the sandbox app that records the most requests it served at once."""

    def __init__(self, app: Any) -> None:
        self.app, self.now, self.peak = app, 0, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """This module's sandbox: SEEDED applications, so listings span pages."""
    sb = Sandbox(db=":memory:")
    for i in range(SEEDED):
        sb.store.create_application(sb.auth_id, f"app-{i:02d}", "https://example.com/answer")
    with sb:
        yield sb


def names(answer: dict[str, Any]) -> list[str]:
    return [item["app_name"] for item in records(answer)]


NEWEST_FIRST = [f"app-{i:02d}" for i in reversed(range(SEEDED))]


async def test_all_pages_returns_every_item_newest_first_without_duplicates(client: Client, sb: Sandbox):
    before = sb.request_count
    answer = await ok(client, "list_applications", {"all_pages": True})
    assert names(answer) == NEWEST_FIRST
    assert len({item["app_id"] for item in records(answer)}) == SEEDED
    assert answer["page"]["returned"] == SEEDED and answer["page"]["total_count"] == SEEDED
    assert answer["page"]["next_offset"] is None
    assert sb.request_count - before == 3  # pages of 20, 20 and 5


async def test_without_all_pages_one_page_as_before(client: Client):
    answer = await ok(client, "list_applications", {"limit": 20})
    assert names(answer) == NEWEST_FIRST[:20]
    assert answer["page"]["next_offset"] == 20


async def test_max_items_cuts_and_next_offset_resumes_after_the_last_item(client: Client):
    head = await ok(client, "list_applications", {"all_pages": True, "max_items": 27})
    assert names(head) == NEWEST_FIRST[:27]
    assert head["page"]["returned"] == 27 and head["page"]["next_offset"] == 27
    tail = await ok(client, "list_applications", {"all_pages": True, "offset": head["page"]["next_offset"]})
    assert names(tail) == NEWEST_FIRST[27:]
    assert tail["page"]["offset"] == 27 and tail["page"]["next_offset"] is None


async def test_max_items_exactly_the_rest_needs_no_next_offset(client: Client):
    answer = await ok(client, "list_applications", {"all_pages": True, "offset": 5, "max_items": 40})
    assert names(answer) == NEWEST_FIRST[5:]
    assert answer["page"]["next_offset"] is None


@pytest.mark.parametrize("max_items", [0, 1001])
async def test_max_items_out_of_range_is_rejected(client: Client, max_items: int):
    error = await err(client, "list_applications", {"all_pages": True, "max_items": max_items})
    assert error["parameter"] == "max_items"


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_progress_is_reported_to_a_client_that_asks(sb: Sandbox, mode: str):
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with Client(server_for(sb), mode=mode) as c:  # type: ignore[arg-type]
        result = await c.call_tool("list_applications", {"all_pages": True}, progress_callback=on_progress)
    assert not result.is_error
    assert len(seen) == 3, seen  # one notification per page
    progress = [p for p, _, _ in seen]
    assert progress == sorted(progress) and progress[-1] == SEEDED
    assert all(total == SEEDED for _, total, _ in seen)


async def test_other_list_tools_take_all_pages(sb: Sandbox):
    for i in range(23):
        sb.store.create_endpoint(sb.auth_id, f"user{i:02d}", "secret123", f"alias {i}")
    async with Client(server_for(sb)) as c:
        endpoints = await ok(c, "list_endpoints", {"all_pages": True})
        assert endpoints["page"]["returned"] == 23 and endpoints["page"]["next_offset"] is None
        assert [e["alias"] for e in records(endpoints)] == [f"alias {i}" for i in reversed(range(23))]
        for i in range(6):  # more than max_items of each, so the cap has something to cut
            sb.store.create_subaccount(sb.auth_id, f"tenant {i}")
            sb.store.rent_number(sb.auth_id, alias=f"line {i}")
        for tool in ("list_subaccounts", "list_numbers"):
            answer = await ok(c, tool, {"all_pages": True, "max_items": 5})
            assert answer["page"]["returned"] <= 5
        inventory = await ok(c, "search_phone_numbers", {"country_iso": "US", "all_pages": True, "max_items": 30})
        assert 0 < inventory["page"]["returned"] <= 30


async def test_pages_are_fetched_concurrently_but_capped():
    sb = Sandbox(db=":memory:", latency_ms=20)
    seeded_apps = (MAX_IN_FLIGHT + 3) * 20  # more pages than may be in flight at once
    for i in range(seeded_apps):
        sb.store.create_application(sb.auth_id, f"bulk-{i:03d}", "https://example.com/answer")
    recorder = InFlight(sb.app)
    sb.app = recorder  # type: ignore[assignment]
    sb.start()
    try:
        async with Client(server_for(sb)) as c:
            answer = await ok(c, "list_applications", {"all_pages": True, "max_items": 1000})
    finally:
        sb.stop()
    assert answer["page"]["returned"] == seeded_apps
    assert 2 <= recorder.peak <= MAX_IN_FLIGHT


class FailSecondPage(InFlight):
    """Answers the page at offset 20 with a 400, as an API can when data changes between pages."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if b"offset=20" in scope.get("query_string", b""):
            from starlette.responses import JSONResponse

            await JSONResponse({"error": "page gone"}, status_code=400)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def test_a_failed_later_page_fails_the_call():
    sb = Sandbox(db=":memory:")
    for i in range(SEEDED):
        sb.store.create_application(sb.auth_id, f"app-{i:02d}", "https://example.com/answer")
    sb.app = FailSecondPage(sb.app)  # type: ignore[assignment]
    sb.start()
    try:
        async with Client(server_for(sb)) as c:
            error = await err(c, "list_applications", {"all_pages": True})
    finally:
        sb.stop()
    assert error["status"] == 400 and "page gone" in error["error"]


class NoTotalCount:
    """An API whose list meta lacks total_count (the sandbox always sends one): only `next` tells of more."""

    def __init__(self, items: int) -> None:
        self.items, self.calls = [{"id": i} for i in range(items)], 0

    async def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        await asyncio.sleep(0)
        start, limit = params["offset"], params["limit"]
        more = start + limit < len(self.items)
        return {"meta": {"offset": start, "limit": limit, "next": "more" if more else None},
                "objects": self.items[start:start + limit]}


async def test_without_total_count_pages_are_followed_one_by_one():
    api = NoTotalCount(50)
    data = await fetch_pages(api, "X/", {}, limit=20, offset=0, all_pages=True, max_items=45)  # type: ignore[arg-type]
    assert [o["id"] for o in data["objects"]] == list(range(45))
    assert data["meta"]["next"] and data["meta"]["limit"] == 45 and api.calls == 3
    whole = await fetch_pages(NoTotalCount(50), "X/", {}, limit=20, offset=0, all_pages=True,  # type: ignore[arg-type]
                              max_items=1000)
    assert len(whole["objects"]) == 50 and whole["meta"]["next"] is None


async def test_offset_past_the_end_is_an_empty_last_page(client: Client):
    answer = await ok(client, "list_applications", {"all_pages": True, "offset": 100})
    assert records(answer) == [] and answer["page"]["next_offset"] is None and answer["page"]["total_count"] == SEEDED
