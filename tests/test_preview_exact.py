"""A person confirms what a preview says, so its counts and sums must be exact on large accounts, or say
plainly how much they cover (security issue 11, finding 8: a cascade delete of a subaccount with 1,000 numbers
previewed the rental of only the first 200).

Driven through a real MCP client against the sandbox; the expected figures are computed from the sandbox's
own rows, not from anything the server answered.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from mcp import Client

from plivo_mcp import paging
from plivo_mcp.paging import Progress, count_and_sample
from plivo_mcp.sandbox import Sandbox
from tests.helpers import clean_answer, ok, server_for
from tests.test_paging import NoTotalCount

pytestmark = pytest.mark.anyio

# Different rates, so the sum is not the count times one rate and a partial sum cannot match by luck.
RATES = ("0.80000", "1.00000", "0.35000", "2.50000", "0.01500", "4.00000", "1.20000")


def seed_numbers(sb: Sandbox, owner: str, count: int, app_id: str | None = None, prefix: str = "1555",
                 rates: tuple[str, ...] = RATES) -> None:
    """Rent `count` numbers to `owner` (the inventory holds only a few dozen, so more are put on sale first).

    Rows go in through the store in one transaction and are rented with the sandbox's own `rent_number`:
    buying 1,000 over HTTP would cost seconds of the suite for nothing this test is about.
    """
    template = sb.store.search_inventory("US")[0]
    numbers = [f"{prefix}{i:07d}" for i in range(count)]
    with sb.store._tx() as c:
        for i, number in enumerate(numbers):
            item = {**template, "number": number, "monthly_rental_rate": rates[i % len(rates)]}
            c.execute("INSERT INTO inventory(number, country_iso, data) VALUES (?,?,?)",
                      (number, "US", json.dumps(item)))
    for number in numbers:
        sb.store.rent_number(owner, number, app_id=app_id)


def rental_of(rows: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(r["data"]["monthly_rental_rate"]) for r in rows), Decimal(0))


def all_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(all_keys(v) for v in value.values()))
    return set()


def seed_subaccount(sb: Sandbox, numbers: int) -> str:
    """A subaccount with `numbers` numbers, 3 apps and 30 endpoints, then 200 newer main-account endpoints:
    the API cannot filter endpoints by subaccount, so the preview must scan past them to find the 30."""
    sa, _ = sb.store.create_subaccount(sb.auth_id, "Big Customer")
    for i in range(3):
        sb.store.create_application(sa, f"big_app_{i}", "https://example.com/a")
    for i in range(30):
        sb.store.create_endpoint(sa, f"bigdesk{i:02d}", "password1", f"Desk {i}")
    for i in range(200):
        sb.store.create_endpoint(sb.auth_id, f"main{i:03d}", "password1", f"Main {i}")
    seed_numbers(sb, sa, numbers)
    return sa


async def test_cascade_preview_counts_and_sums_every_one_of_1000_numbers(sb: Sandbox) -> None:
    sa = seed_subaccount(sb, 1000)
    rows = sb.store.list_numbers([sa])
    assert len(rows) == 1000
    expected = rental_of(rows)
    args = {"subaccount_id": sa, "cascade": True}
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with Client(server_for(sb)) as client:
        result = await client.call_tool("delete_subaccount", args, progress_callback=on_progress)
        assert not result.is_error
        answer = clean_answer(result.content[0].text)  # type: ignore[union-attr]
        assert answer["status"] == "confirmation_required"
        preview = answer["preview"]
        owned = preview["deleted_with_it"]
        assert owned["numbers"]["count"] == 1000
        assert preview["monthly_rental_stops_usd"] == f"{expected:.2f}"
        assert owned["endpoints"]["count"] == 30
        assert owned["applications"]["count"] == 3
        assert len(owned["numbers"]["first"]) <= 5  # a sample, not the list
        assert not {k for k in all_keys(preview) if "partial" in k}, preview  # everything was covered
        assert len(sb.store.list_numbers([sa])) == 1000  # the preview acted on nothing
        # One rising count over the three listings: 3 apps, 1,000 numbers, the account's 230 endpoints.
        progress = [p for p, _, _ in seen]
        assert progress == sorted(set(progress)) and progress[-1] == 3 + 1000 + 230, seen
        assert any(m and m.startswith("numbers: fetched") for _, _, m in seen), seen

        # The confirmation recomputes the preview: it must come out the same for the unchanged account.
        done = await ok(client, "delete_subaccount", {**args, "confirmation_token": answer["confirmation_token"]})
    assert done["deleted"] == sa
    assert sb.store.list_numbers([sa]) == [] and sb.store.account(sa) is None


async def test_a_listing_beyond_the_cap_is_called_partial_with_its_coverage(
        sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    # The cap is 10,000 items; 12,000 numbers would take the suite seconds, so the same code runs with a
    # cap of 100 against 150 numbers.
    monkeypatch.setattr(paging, "PREVIEW_MAX_ITEMS", 100)
    sa = seed_subaccount(sb, 150)
    rows = sb.store.list_numbers([sa])  # newest first, as the API pages them
    async with Client(server_for(sb)) as client:
        preview = (await ok(client, "delete_subaccount", {"subaccount_id": sa, "cascade": True}))["preview"]
    owned = preview["deleted_with_it"]
    assert owned["numbers"]["count"] == 150  # the count still comes from the API's total
    assert preview["monthly_rental_stops_usd"] == f"{rental_of(rows[:100]):.2f}"
    assert preview["monthly_rental_partial"] == "sum over 100 of 150 numbers; the other 50 are not included"
    # 230 endpoints on the account, only 100 scanned: whatever was found is a floor, and it says so.
    assert owned["endpoints"]["partial"] == "found among 100 of 230 endpoints on the account; more may be affected"


async def test_application_delete_preview_finds_links_past_the_first_200(
        sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    app = sb.store.create_application(sb.auth_id, "busy_pbx", "https://example.com/a")
    other = sb.store.create_application(sb.auth_id, "quiet_pbx", "https://example.com/b")
    # The API cannot filter by application, so the linked ones are the oldest, behind 200+ newer ones.
    for i in range(25):
        sb.store.create_endpoint(sb.auth_id, f"linked{i:02d}", "password1", f"Linked {i}", app)
    for i in range(210):
        sb.store.create_endpoint(sb.auth_id, f"other{i:03d}", "password1", f"Other {i}", other)
    seed_numbers(sb, sb.auth_id, 250, app_id=app, prefix="1556")
    seed_numbers(sb, sb.auth_id, 300, app_id=other, prefix="1557")
    linked_endpoints = [e for e in sb.store.snapshot()["endpoints"] if e["app_id"] == app]
    linked_numbers = [n for n in sb.store.list_numbers([sb.auth_id]) if n["app_id"] == app]
    assert (len(linked_endpoints), len(linked_numbers)) == (25, 250)
    async with Client(server_for(sb)) as client:
        for cascade in (True, False):
            preview = (await ok(client, "delete_application", {"app_id": app, "cascade": cascade}))["preview"]
            assert preview["endpoints"]["count"] == 25
            assert preview["numbers_left_without_application"]["count"] == 250
            assert not {k for k in all_keys(preview) if "partial" in k}, preview
        monkeypatch.setattr(paging, "PREVIEW_MAX_ITEMS", 100)  # the newest 100 of each list hold no link
        preview = (await ok(client, "delete_application", {"app_id": app}))["preview"]
    assert preview["endpoints"]["count"] == 0
    assert preview["endpoints"]["partial"] == ("found among 100 of 235 endpoints on the account; "
                                               "more may be affected")
    assert preview["numbers_left_without_application"]["partial"] == ("found among 100 of 550 numbers on the "
                                                                      "account; more may be affected")


async def test_a_number_without_a_readable_rate_is_named_not_counted_as_free(sb: Sandbox) -> None:
    sa, _ = sb.store.create_subaccount(sb.auth_id, "Odd Rates")
    seed_numbers(sb, sa, 3, rates=("0.80000", "", "1.00000"))
    async with Client(server_for(sb)) as client:
        preview = (await ok(client, "delete_subaccount", {"subaccount_id": sa, "cascade": True}))["preview"]
    assert preview["monthly_rental_stops_usd"] == "1.80"
    assert preview["monthly_rental_unknown"] == "rate unreadable for 1 of 3 numbers; not included in the sum"


async def test_without_a_total_the_count_walks_the_list_and_a_cut_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # The sandbox always sends meta.total_count; an API that did not is stood in for by a list object.
    whole = await count_and_sample(Progress(None), "numbers", NoTotalCount(45), "Number/")  # type: ignore[arg-type]
    assert whole.count == 45 and whole.partial_count("numbers") is None and whole.partial_sum("numbers") is None
    monkeypatch.setattr(paging, "PREVIEW_MAX_ITEMS", 30)
    cut = await count_and_sample(Progress(None), "numbers", NoTotalCount(45), "Number/")  # type: ignore[arg-type]
    assert cut.count == 30
    assert cut.partial_count("numbers") == ("counted over the first 30 numbers (the API did not say how many "
                                            "there are); there are more")
    assert cut.partial_sum("numbers") == ("sum over the first 30 numbers (the API did not say how many there "
                                          "are); the rest are not included")
