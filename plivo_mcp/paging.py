"""One list call that can walk every page: the first page says how many items there are, the rest are fetched
concurrently (paced by PlivoClient's rate limiter) and merged back in the API's order.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from plivo_mcp.shaping import SAMPLE_SIZE, compact_links, unexpected_shape

if TYPE_CHECKING:
    from plivo_mcp.client import PlivoClient

PAGE_SIZE = 20  # the API's largest page
# Bounds how many requests one call keeps open, so one bulk listing cannot take the whole connection pool
# or the rate budget from other calls in flight: 20 pages (400 items) in one round is 7% of the documented
# 300 requests per 5 s, and the shared limiter still paces them.
MAX_IN_FLIGHT = 20


class Reports(Protocol):
    """Where progress goes: the request's Context, or a `Progress` that joins several listings into one."""

    async def report_progress(self, progress: float, total: float | None = None,
                              message: str | None = None) -> None: ...


async def report_progress(ctx: Reports | None, done: float, total: float | None, message: str = "") -> None:
    """Tell the client how far a multi-page operation got, if it asked for progress.

    The SDK sends `notifications/progress` only when the request carried a progress token (or, in process,
    a progress callback) and does nothing otherwise. Progress is a courtesy: a client that went away or a
    context outside a request must never fail the operation, so every failure here is swallowed.
    """
    if ctx is None:
        return
    try:
        await ctx.report_progress(done, total, message or None)
    except Exception:
        from plivo_mcp.logs import get_logger

        get_logger().debug("progress_not_sent", done=done, total=total)


async def fetch_pages(client: PlivoClient, path: str, params: dict[str, Any], *, limit: int, offset: int,
                      all_pages: bool = False, max_items: int = 200, ctx: Reports | None = None
                      ) -> dict[str, Any]:
    """GET a Plivo list; with `all_pages`, every item from `offset` on, up to `max_items`.

    Returns a Plivo-shaped list (`meta` + `objects`) for `page_of`. When `max_items` cuts the listing short,
    `meta.next` is set and `meta.limit` equals the items returned, so `page_of` points `next_offset` just
    past the last item fetched; otherwise `next_offset` is null.
    """
    if not all_pages:
        return await client.get(path, {**params, "limit": limit, "offset": offset})
    first = await client.get(path, {**params, "limit": min(PAGE_SIZE, max_items), "offset": offset})
    meta = first.get("meta")
    if not isinstance(meta, dict) or not isinstance(first.get("objects"), list):
        return first  # not a list answer: page_of reports the shape, as for a single page
    objects: list[dict[str, Any]] = list(first["objects"])
    try:
        total = int(meta["total_count"])
    except (KeyError, TypeError, ValueError):
        return await _sequential(client, path, params, first, offset, max_items, ctx)
    end = max(offset + len(objects), min(total, offset + max_items))
    await report_progress(ctx, len(objects), end - offset, f"fetched {len(objects)} of {end - offset}")
    starts = list(range(offset + len(objects), end, PAGE_SIZE)) if objects else []
    pages = await _fetch_concurrently(client, path, params, starts, end, ctx, done=len(objects),
                                      target=end - offset)
    for page in pages:
        objects.extend(page.get("objects") or [])
    objects = objects[:max_items]
    fetched_to = offset + len(objects)
    more = fetched_to < total
    return {"meta": {"offset": offset, "limit": len(objects), "total_count": total, "next": True if more else None},
            "objects": objects}


async def _fetch_concurrently(client: PlivoClient, path: str, params: dict[str, Any], starts: list[int],
                              end: int, ctx: Reports | None, *, done: int, target: int
                              ) -> list[dict[str, Any]]:
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    progress = {"done": done}

    async def one(start: int) -> dict[str, Any]:
        async with gate:
            page = await client.get(path, {**params, "limit": min(PAGE_SIZE, end - start), "offset": start})
        progress["done"] += len(page.get("objects") or [])
        await report_progress(ctx, progress["done"], target, f"fetched {progress['done']} of {target}")
        return page

    tasks = [asyncio.ensure_future(one(start)) for start in starts]
    try:
        # gather keeps the pages in offset order whatever order they arrive in.
        return list(await asyncio.gather(*tasks))
    finally:
        # One failed page fails the call; the others stop instead of spending rate budget for nothing.
        for task in tasks:
            task.cancel()


async def _sequential(client: PlivoClient, path: str, params: dict[str, Any], first: dict[str, Any],
                      offset: int, max_items: int, ctx: Reports | None) -> dict[str, Any]:
    """Without a total_count the page count is unknown: follow `meta.next` one page at a time."""
    objects = list(first.get("objects") or [])
    meta = first.get("meta") or {}
    while meta.get("next") and len(objects) < max_items:
        page = await client.get(path, {**params, "limit": min(PAGE_SIZE, max_items - len(objects)),
                                       "offset": offset + len(objects)})
        got = page.get("objects") or []
        if not got:
            break
        objects.extend(got)
        meta = page.get("meta") or {}
        await report_progress(ctx, len(objects), None, f"fetched {len(objects)}")
    more = bool(meta.get("next"))
    return {"meta": {"offset": offset, "limit": len(objects), "total_count": None, "next": True if more else None},
            "objects": objects}


# Previews read whole listings: a person confirms the figures they show. The cap is far above a realistic
# account (500 pages, under a minute at the documented 300 requests per 5 s); past it a preview says how much
# its figures cover. Read at call time, so a test can lower it.
PREVIEW_MAX_ITEMS = 10_000


@dataclass(frozen=True)
class Listing:
    """The items of one list the API returned, and how many it says there are."""

    items: list[dict[str, Any]]
    total: int | None  # meta.total_count; None when the API did not say
    cut_short: bool  # the cap stopped the walk before the end of the list

    @property
    def count(self) -> int:
        """How many the list holds: the API's own total, never the number of items fetched."""
        return self.total if self.total is not None else len(self.items)

    def _covered(self, noun: str) -> str:
        if self.total is None:
            return f"the first {len(self.items)} {noun} (the API did not say how many there are)"
        return f"{len(self.items)} of {self.total} {noun}"

    def partial_count(self, noun: str) -> str | None:
        """None when `count` is exact (the API's total, or the whole list walked); otherwise what it counted."""
        if self.total is not None or not self.cut_short:
            return None
        return f"counted over {self._covered(noun)}; there are more"

    def partial_sum(self, noun: str) -> str | None:
        """None when a sum over `items` covers the whole list; otherwise how much it covers, plainly."""
        if not self.cut_short:
            return None
        rest = f"the other {self.total - len(self.items)}" if self.total is not None else "the rest"
        return f"sum over {self._covered(noun)}; {rest} are not included"

    def partial_search(self, noun: str) -> str | None:
        """None when a search of `items` covered the whole list; otherwise how much of it was searched."""
        if not self.cut_short:
            return None
        return f"found among {self._covered(noun)} on the account; more may be affected"


class Progress:
    """Several listings of one operation reported as one rising count.

    Passed to `fetch_pages` in place of the request context: each listing counts from zero, but a client may
    rely on progress only ever increasing, so each is offset by what the ones before it fetched and a
    report that would not increase is left out. One listing at a time: `listing` sets where the next counts from.
    """

    def __init__(self, ctx: Reports | None) -> None:
        self._ctx = ctx
        self._base: float = 0
        self._last: float = 0
        self.label = ""

    async def report_progress(self, progress: float, total: float | None = None,
                              message: str | None = None) -> None:
        done = self._base + progress
        if done <= self._last:
            return
        self._last = done
        await report_progress(self._ctx, done, None if total is None else self._base + total,
                              f"{self.label}: {message}" if self.label and message else message or "")

    async def listing(self, label: str, client: PlivoClient, path: str, params: dict[str, Any] | None = None,
                      max_items: int | None = None) -> Listing:
        self.label, self._base = label, self._last
        return await collect_items(client, path, params, max_items=max_items, ctx=self)


async def collect_items(client: PlivoClient, path: str, params: dict[str, Any] | None = None,
                        max_items: int | None = None, ctx: Reports | None = None) -> Listing:
    """Every object of a list, newest first, up to `max_items` (default PREVIEW_MAX_ITEMS), paged concurrently
    under the client's rate limiter, with the total the API reports."""
    cap = PREVIEW_MAX_ITEMS if max_items is None else max_items
    data = await fetch_pages(client, path, params or {}, limit=PAGE_SIZE, offset=0, all_pages=True,
                             max_items=cap, ctx=ctx)
    objects = data.get("objects")
    meta = data.get("meta")
    if not isinstance(objects, list) or not isinstance(meta, dict) or not all(isinstance(o, dict) for o in objects):
        raise unexpected_shape("list")
    total = meta.get("total_count")
    return Listing(items=list(objects), total=None if total is None else max(int(total), len(objects)),
                   cut_short=bool(meta.get("next")))


async def count_and_sample(progress: Progress, label: str, client: PlivoClient, path: str,
                           params: dict[str, Any] | None = None) -> Listing:
    """A list's count and its first few items, in one request when the API reports its total (it does)."""
    first = await progress.listing(label, client, path, params, max_items=SAMPLE_SIZE)
    if first.total is None and first.cut_short:  # no total: only walking the list can count it
        return await progress.listing(label, client, path, params)
    return first


async def collect_linked(progress: Progress, label: str, client: PlivoClient, path: str, link: str,
                         target_id: str) -> tuple[list[dict[str, Any]], Listing]:
    """The objects of a list whose `link` field points at `target_id` (the API has no filter for it), and
    the listing they were found in, which says whether that was the whole list."""
    listing = await progress.listing(label, client, path)
    return [o for o in listing.items if compact_links(o.get(link)) == target_id], listing
