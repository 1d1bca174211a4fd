"""Number lookup, the API's second host: `GET /v1/Number/{number}?type=carrier` (no `/Account/` in the path, the
same BasicAuth). A server whose lookup base URL is the sandbox's URL reaches it there.

The answer has the shape of the SDKs' fixture (lookupGetResponse.json): phone_number, country {name, iso2, iso3},
format {e164, national, international, rfc3966}, carrier {mobile_country_code, mobile_network_code, name, type,
ported}, resource_uri. Errors have the lookup host's own shape, `{"api_id", "error_code", "message"}`
(go_lookupGetError.json): 404 for a number of no country the sandbox knows or of the wrong length, 400 for what is
not a phone number at all or an unknown `type`.

The carrier is made up, deterministically from the digits (the same number always answers the same): toll-free
prefixes are "toll-free", mobile ranges (GB 7..., IN 6-9..., AU 4...) "mobile", otherwise a fixed mix of mobile,
fixed and voip. A lookup costs nothing in the sandbox (Plivo charges each one).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from plivo_mcp.sandbox.router import Ctx, Result


@dataclass(frozen=True)
class _Country:
    iso2: str
    iso3: str
    name: str
    code: str
    lengths: tuple[int, ...]  # digits after the country code
    mcc: str
    trunk: str  # the national prefix ("0"), "" where there is none
    mobile_starts: tuple[str, ...] = ()


_COUNTRIES = (
    _Country("US", "USA", "United States", "1", (10,), "310", ""),
    _Country("CA", "CAN", "Canada", "1", (10,), "302", ""),
    _Country("GB", "GBR", "United Kingdom", "44", (10,), "234", "0", ("7",)),
    _Country("IN", "IND", "India", "91", (10,), "404", "0", ("6", "7", "8", "9")),
    _Country("AU", "AUS", "Australia", "61", (9,), "505", "0", ("4",)),
    _Country("FR", "FRA", "France", "33", (9,), "208", "0", ("6", "7")),
    _Country("DE", "DEU", "Germany", "49", (10, 11), "262", "0", ("15", "16", "17")),
    _Country("SG", "SGP", "Singapore", "65", (8,), "525", "", ("8", "9")),
)
_CA_AREAS = frozenset((  # Canada's area codes: the rest of +1 is the United States (and others, ignored)
    "204", "226", "236", "249", "250", "263", "289", "306", "343", "354", "365", "367", "368", "382", "403", "416",
    "418", "428", "431", "437", "438", "450", "468", "474", "506", "514", "519", "548", "579", "581", "584", "587",
    "604", "613", "639", "647", "672", "683", "705", "709", "742", "753", "778", "780", "782", "807", "819", "825",
    "867", "873", "879", "902", "905",
))
_NANP_TOLL_FREE = frozenset({"800", "833", "844", "855", "866", "877", "888"})
_CARRIERS = {
    "mobile": (("Cingular Wireless", "150"), ("T-Mobile USA", "260"), ("Verizon Wireless", "012")),
    "fixed": (("Level 3 Communications", ""), ("Lumen", "")),
    "voip": (("Bandwidth.com", ""),),
    "toll-free": (("Toll Free", ""),),
}


def _error(ctx: Ctx, status: int, message: str) -> Result:
    return status, {"api_id": ctx.api_id, "error_code": status, "message": message}


def _country(digits: str) -> tuple[_Country, str] | None:
    for c in _COUNTRIES:
        if digits.startswith(c.code) and len(digits) - len(c.code) in c.lengths:
            national = digits[len(c.code):]
            if c.code == "1" and (national[:3] in _CA_AREAS) != (c.iso2 == "CA"):
                continue
            return c, national
    return None


def _formats(c: _Country, national: str) -> dict[str, str]:
    e164 = f"+{c.code}{national}"
    if c.code == "1":
        a, b, n = national[:3], national[3:6], national[6:]
        return {"e164": e164, "national": f"({a}) {b}-{n}", "international": f"+1 {a}-{b}-{n}",
                "rfc3966": f"tel:+1-{a}-{b}-{n}"}
    return {"e164": e164, "national": f"{c.trunk}{national}", "international": f"+{c.code} {national}",
            "rfc3966": f"tel:+{c.code}-{national}"}


def _carrier(c: _Country, national: str) -> dict[str, str]:
    spread = int(hashlib.sha256(national.encode()).hexdigest(), 16)
    if c.code == "1" and national[:3] in _NANP_TOLL_FREE:
        line = "toll-free"
    elif c.mobile_starts:
        line = "mobile" if national.startswith(c.mobile_starts) else "fixed"
    else:
        line = ("mobile", "mobile", "mobile", "fixed", "fixed", "voip")[spread % 6]
    name, mnc = _CARRIERS[line][spread // 7 % len(_CARRIERS[line])]
    return {"mobile_country_code": c.mcc if line == "mobile" else "", "mobile_network_code": mnc,
            "name": name, "type": line, "ported": ("yes", "no", "no")[spread // 11 % 3]}


def get(ctx: Ctx, number: str) -> Result:
    info_type = ctx.params.get("type", "carrier")
    if info_type != "carrier":
        return _error(ctx, 400, "type must be carrier")
    digits = number[1:] if number.startswith("+") else number
    if not digits.isdigit() or not 7 <= len(digits) <= 15:
        return _error(ctx, 400, "number must be a phone number in E.164 form (digits, optionally after '+')")
    found = _country(digits)
    if found is None:
        return _error(ctx, 404, "Phone number is invalid or does not exist.")
    c, national = found
    formats = _formats(c, national)
    return 200, {
        "api_id": ctx.api_id, "phone_number": formats["e164"],
        "country": {"name": c.name, "iso2": c.iso2, "iso3": c.iso3}, "format": formats,
        "carrier": _carrier(c, national), "resource_uri": f"/v1/Number/{formats['e164']}?type=carrier",
    }
