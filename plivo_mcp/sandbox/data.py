"""Seed data: per-country pricing and a phone-number inventory.

Everything is generated deterministically (fixed seeds) so the sandbox answers the same on every run and tests
can rely on counts. The US pricing is deliberately long, like the real API's, so that a summary of it is much
smaller than the raw JSON.
"""

from __future__ import annotations

import random
from typing import Any

# iso -> (country name as Pricing reports it, calling code, name as PhoneNumber search reports it)
COUNTRIES: dict[str, tuple[str, int, str]] = {
    "US": ("United States", 1, "UNITED STATES"),
    "GB": ("United Kingdom", 44, "UNITED KINGDOM"),
    "IN": ("India", 91, "INDIA"),
    "CA": ("Canada", 1, "CANADA"),
    "AU": ("Australia", 61, "AUSTRALIA"),
}

_US_PREFIX_RATES: list[tuple[str, str]] = [
    ("1", "0.01200"), ("1201", "0.01200"), ("1202", "0.01200"), ("1203", "0.01200"), ("1205", "0.01350"),
    ("1206", "0.01200"), ("1207", "0.01400"), ("1208", "0.01550"), ("1209", "0.01200"), ("1210", "0.01200"),
    ("1212", "0.01200"), ("1213", "0.01200"), ("1214", "0.01200"), ("1215", "0.01200"), ("1216", "0.01250"),
    ("1217", "0.01450"), ("1218", "0.01600"), ("1219", "0.01250"), ("1224", "0.01200"), ("1225", "0.01350"),
    ("1228", "0.01500"), ("1229", "0.01500"), ("1231", "0.01450"), ("1234", "0.01250"), ("1239", "0.01200"),
    ("1240", "0.01200"), ("1248", "0.01200"), ("1251", "0.01400"), ("1252", "0.01400"), ("1253", "0.01200"),
    ("1254", "0.01350"), ("1256", "0.01400"), ("1260", "0.01350"), ("1262", "0.01250"), ("1267", "0.01200"),
    ("1269", "0.01350"), ("1270", "0.01500"), ("1276", "0.01650"), ("1281", "0.01200"), ("1301", "0.01200"),
    ("1302", "0.01300"), ("1303", "0.01200"), ("1304", "0.01700"), ("1305", "0.01200"), ("1307", "0.01900"),
    ("1308", "0.01850"), ("1309", "0.01400"), ("1310", "0.01200"), ("1312", "0.01200"), ("1313", "0.01200"),
    ("1340", "0.02400"), ("1406", "0.01950"), ("1415", "0.01200"), ("1512", "0.01200"), ("1605", "0.02100"),
    ("1617", "0.01200"), ("1671", "0.09500"), ("1670", "0.11000"), ("1684", "0.21500"), ("1701", "0.02050"),
    ("1787", "0.02600"), ("1808", "0.03400"), ("1900", "0.60300"), ("1907", "0.17900"), ("1939", "0.02600"),
    ("1976", "0.45000"),
]

_US_NETWORKS: list[tuple[str, str]] = [
    ("US", "0.00650"), ("United States - AT&T Mobility", "0.00650"), ("United States - T-Mobile", "0.00650"),
    ("United States - Verizon Wireless", "0.00650"), ("United States - US Cellular", "0.00700"),
    ("United States - Sprint", "0.00650"), ("United States - Cricket Wireless", "0.00650"),
    ("United States - Boost Mobile", "0.00650"), ("United States - Metro by T-Mobile", "0.00650"),
    ("United States - Google Voice", "0.00700"), ("United States - Bandwidth", "0.00700"),
    ("United States - Cellcom", "0.00750"), ("United States - Appalachian Wireless", "0.00800"),
    ("United States - Carolina West Wireless", "0.00800"), ("United States - Inland Cellular", "0.00800"),
    ("United States - Viaero Wireless", "0.00800"), ("United States - GCI Communication", "0.00900"),
    ("United States - Union Telephone", "0.00800"),
]


def _rates_block(rate: str, rental: str, setup: str, caps: list[list[str]]) -> dict[str, Any]:
    return {"rate": rate, "rates": [{"capabilities": c, "rental_rate": rental, "setup_rate": setup} for c in caps]}


def _pricing(iso: str) -> dict[str, Any]:
    name, code, _ = COUNTRIES[iso]
    if iso == "US":
        prefix_rates = [{"prefix": [p], "origination_prefix": [""], "rate": r} for p, r in _US_PREFIX_RATES]
        # The real API lists origination-dependent rates for the base prefix too.
        prefix_rates.append({"prefix": ["1"], "origination_prefix": ["1232", "1434", "1652"], "rate": "0.01500"})
        return {
            "country": name, "country_code": code, "country_iso": iso,
            "message": {"inbound": {"rate": "0.00000"}, "outbound": {"rate": "0.00650"},
                        "outbound_networks_list": [{"group_name": g, "rate": r} for g, r in _US_NETWORKS]},
            "phone_numbers": {
                "local": _rates_block("0.80000", "0.80", "0.00", [["voice", "sms", "mms"], ["voice"]]),
                "tollfree": _rates_block("1.00000", "1.00", "0.00", [["voice", "sms"]]),
                "mobile": _rates_block("1.00000", "1.00", "0.00", [["voice", "sms"]]),
            },
            "voice": {
                "inbound": {"ip": {"rate": "0.00300"}, "local": {"rate": "0.00850"},
                            "tollfree": {"rate": "0.02100"}},
                "outbound": {"ip": {"rate": "0.00300"}, "local": {"rate": "0.01200"},
                             "tollfree": {"rate": "0.00300"}, "rates": prefix_rates},
            },
        }
    per_country: dict[str, dict[str, Any]] = {
        "GB": {"sms_out": "0.04100", "local": "1.20000", "mobile": "1.50000", "tollfree": "3.00000",
               "in_local": "0.00400", "in_tf": "0.03500", "out_local": "0.01650",
               "prefixes": [("44", "0.01650"), ("447", "0.03250"), ("4470", "0.25000"), ("4476", "0.21000"),
                            ("44800", "0.00000"), ("44845", "0.06800"), ("44870", "0.06500"),
                            ("449", "0.55000")],
               "networks": [("United Kingdom - EE", "0.04100"), ("United Kingdom - Vodafone", "0.04100"),
                            ("United Kingdom - O2", "0.04100"), ("United Kingdom - Three", "0.04100")]},
        "IN": {"sms_out": "0.00250", "local": "4.00000", "mobile": None, "tollfree": None,
               "in_local": "0.00500", "in_tf": None, "out_local": "0.01200",
               "prefixes": [("91", "0.01200"), ("917", "0.01250"), ("918", "0.01250"), ("919", "0.01250")],
               "networks": [("India - Airtel", "0.00250"), ("India - Jio", "0.00250"),
                            ("India - Vodafone Idea", "0.00250"), ("India - BSNL", "0.00250")]},
        "CA": {"sms_out": "0.00500", "local": "0.80000", "mobile": None, "tollfree": "1.00000",
               "in_local": "0.00850", "in_tf": "0.02100", "out_local": "0.01100",
               "prefixes": [("1", "0.01100"), ("1867", "0.04500"), ("1403", "0.01100"), ("1416", "0.01100"),
                            ("1604", "0.01100"), ("1514", "0.01100")],
               "networks": [("Canada - Rogers", "0.00500"), ("Canada - Bell", "0.00500"),
                            ("Canada - Telus", "0.00500")]},
        "AU": {"sms_out": "0.04500", "local": "3.00000", "mobile": "6.00000", "tollfree": "18.00000",
               "in_local": "0.00700", "in_tf": "0.05500", "out_local": "0.02300",
               "prefixes": [("61", "0.02300"), ("614", "0.04800"), ("611", "0.35000"), ("6113", "0.40000")],
               "networks": [("Australia - Telstra", "0.04500"), ("Australia - Optus", "0.04500"),
                            ("Australia - Vodafone", "0.04500")]},
    }
    c = per_country[iso]
    numbers: dict[str, Any] = {"local": _rates_block(c["local"], c["local"][:4], "0.00", [["voice", "sms"]])}
    if c["mobile"]:
        numbers["mobile"] = _rates_block(c["mobile"], c["mobile"][:4], "0.00", [["voice", "sms"]])
    numbers["tollfree"] = ({"rate": c["tollfree"]} if c["tollfree"] else {"rate": None})
    return {
        "country": name, "country_code": code, "country_iso": iso,
        "message": {"inbound": {"rate": "0.00000"}, "outbound": {"rate": c["sms_out"]},
                    "outbound_networks_list": [{"group_name": g, "rate": r} for g, r in c["networks"]]},
        "phone_numbers": numbers,
        "voice": {
            "inbound": {"ip": {"rate": "0.00300"}, "local": {"rate": c["in_local"]},
                        "tollfree": {"rate": c["in_tf"]}},
            "outbound": {"ip": {"rate": "0.00300"}, "local": {"rate": c["out_local"]},
                         "tollfree": {"rate": None},
                         "rates": [{"prefix": [p], "origination_prefix": [""], "rate": r}
                                   for p, r in c["prefixes"]]},
        },
    }


PRICING: dict[str, dict[str, Any]] = {iso: _pricing(iso) for iso in COUNTRIES}

# (area prefix after the country code, region, city, rate_center, lata)
_US_LOCAL = [
    ("415", "California", "San Francisco", "SNFC CNTRL", 722), ("212", "New York", "New York", "NWYRCYZN01", 132),
    ("312", "Illinois", "Chicago", "CHCGOZN", 358), ("512", "Texas", "Austin", "AUSTIN", 558),
    ("206", "Washington", "Seattle", "SEATTLE", 674), ("305", "Florida", "Miami", "MIAMI", 460),
    ("617", "Massachusetts", "Boston", "BOSTON", 128), ("303", "Colorado", "Denver", "DENVER", 656),
]
_OTHER_LOCAL: dict[str, list[tuple[str, str, str]]] = {
    "GB": [("20", "London", "London"), ("161", "Greater Manchester", "Manchester"),
           ("121", "West Midlands", "Birmingham")],
    "IN": [("80", "Karnataka", "Bangalore"), ("22", "Maharashtra", "Mumbai")],
    "CA": [("416", "Ontario", "Toronto"), ("604", "British Columbia", "Vancouver"),
           ("514", "Quebec", "Montreal")],
    "AU": [("2", "New South Wales", "Sydney"), ("3", "Victoria", "Melbourne")],
}
_MOBILE_PREFIX = {"US": "332", "GB": "7700", "IN": "98", "CA": "437", "AU": "4"}
# Canadian rate centers (no LATA is reported for them). The mobile prefix 437 is a Toronto overlay.
_CA_RATE_CENTERS = {"416": "TORONTO", "604": "VANCOUVER", "514": "MONTREAL", "437": "TORONTO"}
NANP_COUNTRIES = ("US", "CA")
# In the sandbox a rate center is a property of the area code (NPA): every exchange (NXX) of an area code is in
# the same rate center, and the US mobile prefix 332 shares New York's. Real rate centers are per NPANXX.
_NANP_RATE_CENTERS: dict[tuple[str, str], str] = {
    **{("US", area): rc for area, _, _, rc, _ in _US_LOCAL}, ("US", _MOBILE_PREFIX["US"]): "NWYRCYZN01",
    **{("CA", area): rc for area, rc in _CA_RATE_CENTERS.items()},
}


def nanp_rate_center(iso: str, npa: str) -> str | None:
    """The rate center of an area code of the US or Canada, or None when the sandbox has none for it."""
    return _NANP_RATE_CENTERS.get((iso, npa))
_TOLLFREE_PREFIX = {"US": ["800", "833", "844", "855", "866", "877", "888"], "GB": ["800"], "CA": ["888"],
                    "AU": ["1800"]}


def _item(iso: str, number: str, ntype: str, prefix: str, region: str, city: str, rate_center: str | None,
          lata: int | None, rental: str, sms: bool, mms: bool) -> dict[str, Any]:
    return {
        "number": number, "country": COUNTRIES[iso][2], "country_iso": iso, "city": city, "region": region,
        "type": ntype, "sub_type": "local" if ntype == "fixed" else ntype, "prefix": prefix,
        "rate_center": rate_center, "lata": lata, "monthly_rental_rate": rental, "setup_rate": "0.00000",
        "sms_enabled": sms, "mms_enabled": mms, "voice_enabled": True,
        "sms_rate": "0.00650" if sms else "0.00000", "mms_rate": "0.01800" if mms else "0.00000",
        "voice_rate": "0.00850", "restriction": None, "restriction_text": None,
    }


def build_inventory() -> list[dict[str, Any]]:
    """Numbers for sale. US has 48 (fixed, mobile, tollfree); the others a handful each."""
    rng = random.Random(20240601)
    items: list[dict[str, Any]] = []

    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    for area, region, city, rc, lata in _US_LOCAL:
        for _ in range(4):
            num = f"1{area}{rng.choice('23456789')}{digits(6)}"
            items.append(_item("US", num, "fixed", area, f"{region}, UNITED STATES", city, rc, lata,
                               "0.80000", True, True))
    for _ in range(8):
        num = f"1{_MOBILE_PREFIX['US']}{rng.choice('23456789')}{digits(6)}"
        items.append(_item("US", num, "mobile", _MOBILE_PREFIX["US"], "New York, UNITED STATES", "New York",
                           "NWYRCYZN01", 132, "1.00000", True, False))
    for i in range(8):
        area = _TOLLFREE_PREFIX["US"][i % len(_TOLLFREE_PREFIX["US"])]
        num = f"1{area}{rng.choice('23456789')}{digits(6)}"
        items.append(_item("US", num, "tollfree", area, "UNITED STATES", "", None, None, "1.00000", True, False))
    for iso, locs in _OTHER_LOCAL.items():
        code = str(COUNTRIES[iso][1])
        rental = PRICING[iso]["phone_numbers"]["local"]["rate"]
        for area, region, city in locs:
            for _ in range(3):
                num = f"{code}{area}{digits(10 - len(area) if iso != 'CA' else 7)}"
                items.append(_item(iso, num, "fixed", area, f"{region}, {COUNTRIES[iso][2]}", city,
                                   nanp_rate_center(iso, area), None, rental, iso != "IN", False))
        mp = _MOBILE_PREFIX[iso]
        for _ in range(2):
            num = f"{code}{mp}{digits(10 - len(mp) if iso != 'CA' else 7)}"
            items.append(_item(iso, num, "mobile", mp, COUNTRIES[iso][2], "", nanp_rate_center(iso, mp), None,
                               PRICING[iso]["phone_numbers"].get("mobile", {}).get("rate") or rental, True, False))
        for area in _TOLLFREE_PREFIX.get(iso, []):
            num = f"{code}{area}{digits(6)}"
            items.append(_item(iso, num, "tollfree", area, COUNTRIES[iso][2], "", None, None,
                               PRICING[iso]["phone_numbers"]["tollfree"]["rate"] or "1.00000", False, False))
    return items
