import json

import pytest

from tests.helpers import err, ok

pytestmark = pytest.mark.anyio


async def test_pricing_summary_is_compact(client, sb):
    data = await ok(client, "get_pricing", {"country_iso": "US"})
    assert data["country_iso"] == "US" and data["country_code"] == 1
    assert data["sms"]["out"] and data["voice_out"]["local"] and data["voice_in"]["local"]
    assert data["number_rental_monthly"]["local"]
    assert data["voice_out_prefix_rates"] > 20 and "voice_out_rates" not in data


async def test_pricing_prefix_drill_down(client, sb):
    data = await ok(client, "get_pricing", {"country_iso": "US", "prefix": "1"})
    rates = data["voice_out_rates"]
    assert rates and all(any(p.startswith("1") for p in r["prefix"].split(",")) for r in rates)
    narrow = await ok(client, "get_pricing", {"country_iso": "US", "prefix": "1907"})
    assert 0 < len(narrow["voice_out_rates"]) < len(rates) or data.get("voice_out_rates_truncated")
    assert len(json.dumps(narrow)) < 4000


async def test_pricing_errors(client, sb):
    error = await err(client, "get_pricing", {"country_iso": "usa"})
    assert error["parameter"] == "country_iso"
    error = await err(client, "get_pricing", {"country_iso": "ZZ"})
    assert error["code"] in ("not_found", "invalid_argument") and error["status"] in (400, 404)
    error = await err(client, "get_pricing", {"country_iso": "US", "prefix": "1a"})
    assert error["parameter"] == "prefix"
