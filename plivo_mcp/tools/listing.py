"""The parameters every list tool shares, declared once (a `ParamBundle`: flat in the schema, one object in the
handler), and the one call that fetches a page, or every page, of a Plivo list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plivo_mcp.core.deps import Deps
from plivo_mcp.core.spec import ParamBundle
from plivo_mcp.paging import fetch_pages
from plivo_mcp.shaping import page_of
from plivo_mcp.tools.common import AllPages, Fields, Limit, MaxItems, Offset


@dataclass(frozen=True)
class ListPage(ParamBundle):
    limit: Limit = 20
    offset: Offset = 0
    fields: Fields = None
    all_pages: AllPages = False
    max_items: MaxItems = 200

    async def of(self, deps: Deps, path: str, params: dict[str, Any], summary_fields: tuple[str, ...]
                 ) -> dict[str, Any]:
        """This page (or with all_pages, every page up to max_items) of `path`, items projected to
        `summary_fields` plus the fields asked for."""
        data = await fetch_pages(deps.client, path, params, limit=self.limit, offset=self.offset,
                                 all_pages=self.all_pages, max_items=self.max_items, ctx=deps.ctx)
        return page_of(data, summary_fields, self.fields)
