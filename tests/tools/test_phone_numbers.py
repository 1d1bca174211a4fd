import pytest

from plivo_mcp.shaping import records
from tests.helpers import call, err, ok

pytestmark = pytest.mark.anyio


async def test_search_phone_numbers(client, sb):
    page = await ok(client, "search_phone_numbers", {"country_iso": "US", "limit": 5})
    assert page["page"]["returned"] == 5 and page["page"]["next_offset"] == 5
    item = records(page)[0]
    assert item["number"] and item["monthly_rental_rate"] and "resource_uri" not in item
    tollfree = await ok(client, "search_phone_numbers", {"country_iso": "US", "type": "tollfree"})
    assert records(tollfree) and all(i["type"] == "tollfree" for i in records(tollfree))


async def test_search_errors(client, sb):
    error = await err(client, "search_phone_numbers", {"country_iso": "USA"})
    assert error["parameter"] == "country_iso"
    error = await err(client, "search_phone_numbers", {"country_iso": "US", "type": "satellite"})
    assert error["parameter"] == "type"


async def test_buy_only_previews_without_confirmation(client, sb):
    page = await ok(client, "search_phone_numbers", {"country_iso": "US", "limit": 1})
    before = sb.store.snapshot()
    is_error, data = await call(client, "buy_phone_number", {"number": records(page)[0]["number"]})
    assert not is_error and data["status"] == "confirmation_required"
    assert sb.store.snapshot() == before
