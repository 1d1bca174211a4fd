"""Search over the catalog: the 40 plain-language tasks of bench/search_quality.py must find their operation in the
top 3 at least 90% of the time (a ranking regression fails here), and the search's own contract."""

from __future__ import annotations

import dataclasses

from bench.search_quality import TARGET_TOP3, TASKS, evaluate
from plivo_mcp.catalog import catalog, parse
from plivo_mcp.catalog.search import search, words


def test_top3_hit_rate_of_the_40_tasks_meets_the_target() -> None:
    assert len(TASKS) == 40
    result = evaluate()
    misses = "\n".join(f"{task!r}: wanted {expected}, got {found}" for task, expected, found in result.misses)
    assert result.top3 >= TARGET_TOP3, f"top-3 {result.top3:.1%} < {TARGET_TOP3:.0%}; misses:\n{misses}"


def test_people_s_words_reach_the_api_s() -> None:
    cat = catalog()

    def first(query: str, **kw: str) -> str:
        return search(cat, query, limit=1, **kw)[0].id

    assert first("hang up the call") == "call.hangup"  # "hang up" is the summary's; hangup the id's
    assert first("buy a number") == "phone_number.buy"
    assert first("remove someone from the conference") == "conference.member_kick"
    assert first("sms a customer") == "message.create"
    assert words("Recordings recorded, muting muted") == words("recording record mute mute")


def test_empty_query_lists_in_catalog_order_and_resource_filters() -> None:
    cat = catalog()
    assert search(cat, "", limit=3) == list(cat.operations.values())[:3]
    in_conference = search(cat, "", resource="conference", limit=100)
    assert in_conference and all(op.resource == "conference" for op in in_conference)
    assert {op.resource for op in search(cat, "record", resource="call")} == {"call"}
    assert len(search(cat, "call", limit=5)) == 5


def test_words_that_match_nothing_find_nothing() -> None:
    assert search(catalog(), "zebra xylophone") == []
    assert search(catalog(), "the of and") == list(catalog().operations.values())[:10]  # only stop words: no query


def test_another_catalog_gets_its_own_index() -> None:
    """The index is kept per catalog object: a catalog parsed elsewhere (a test's) is not answered from the
    package's index."""
    raw = {"resources": {"thing": "Things."}, "operations": [
        {"id": "thing.frobnicate", "resource": "thing", "summary": "Frobnicate a thing.", "method": "POST",
         "path": "Thing/", "class": "write"}]}
    small = parse(raw)
    assert [op.id for op in search(small, "frobnicate")] == ["thing.frobnicate"]
    assert search(catalog(), "frobnicate") == []
    renamed = dataclasses.replace(small, operations={})
    assert search(renamed, "frobnicate") == []
