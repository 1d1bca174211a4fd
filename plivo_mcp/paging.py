"""One list call that can walk every page: the first page says how many items there are, the rest are fetched
concurrently (paced by PlivoClient's rate limiter) and merged back in the API's order.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from plivo_mcp.shaping import compact_links

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from plivo_mcp.client import PlivoClient

PAGE_SIZE = 20  # the API's largest page
# Bounds how many requests one call keeps open, so one bulk listing cannot take the whole connection pool
# or the rate budget from other calls in flight: 20 pages (400 items) in one round is 7% of the documented
# 300 requests per 5 s, and the shared limiter still paces them.
MAX_IN_FLIGHT = 20


async def report_progress(ctx: Context | None, done: int, total: int | None, message: str = "") -> None:
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
                      all_pages: bool = False, max_items: int = 200, ctx: Context | None = None
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
                              end: int, ctx: Context | None, *, done: int, target: int
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
                      offset: int, max_items: int, ctx: Context | None) -> dict[str, Any]:
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


async def collect_items(client: PlivoClient, path: str, params: dict[str, Any] | None = None,
                        max_items: int = 200) -> tuple[list[dict[str, Any]], int]:
    """Every object of a list (up to `max_items`), newest first, and the total the API reports."""
    data = await fetch_pages(client, path, params or {}, limit=PAGE_SIZE, offset=0, all_pages=True,
                             max_items=max_items)
    objects = list(data.get("objects") or [])
    total = (data.get("meta") or {}).get("total_count")
    return objects, max(int(total), len(objects)) if total is not None else len(objects)


async def collect_linked(client: PlivoClient, path: str, link: str, target_id: str) -> list[dict[str, Any]]:
    """Every object of a list whose `link` field points at `target_id`: the API has no filter for it."""
    objects, _ = await collect_items(client, path)
    return [o for o in objects if compact_links(o.get(link)) == target_id]
