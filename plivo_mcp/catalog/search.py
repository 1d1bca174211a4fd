"""Ranked search over the catalog: plain-language words and/or a resource -> the best matching operations."""

from __future__ import annotations

import re

from plivo_mcp.catalog import Catalog, Operation

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower().replace("_", " ")))


def search(cat: Catalog, query: str, resource: str | None = None, limit: int = 10) -> list[Operation]:
    """Operations of `resource` (all when None) ranked by how well they match `query` (all, in catalog order,
    when the query is empty)."""
    ops = [op for op in cat.operations.values() if resource is None or op.resource == resource]
    wanted = words(query)
    if not wanted:
        return ops[:limit]
    scored = [(len(wanted & words(f"{op.id} {op.resource} {op.summary}")), i, op) for i, op in enumerate(ops)]
    return [op for score, _, op in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0][:limit]
