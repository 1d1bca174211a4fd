"""How an SMS is counted, shared by the send tool's cost preview and the sandbox that bills it: the encoding a
text needs, its units (parts), and the country a destination number is in. Pure functions, no imports."""

from __future__ import annotations

import math

# GSM 03.38: the basic set (one septet each) and the extension table (two septets each).
_GSM_BASIC = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
MAX_GSM_CHARS, MAX_UCS2_CHARS = 1600, 737  # the API's limits per message


def encoding_of(text: str) -> tuple[str, int]:
    """("GSM-7", septets) or ("UCS-2", UTF-16 code units): what a text's length is counted in."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        return "GSM-7", sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
    return "UCS-2", len(text.encode("utf-16-le")) // 2


def units_of(text: str) -> int:
    """SMS parts: GSM-7 160 in one, 153 per part when split; UCS-2 70, 67 per part."""
    enc, n = encoding_of(text)
    single, part = (160, 153) if enc == "GSM-7" else (70, 67)
    return 1 if n <= single else math.ceil(n / part)


def too_long(text: str) -> str | None:
    """Why a text is over the API's limit, or None."""
    enc, n = encoding_of(text)
    limit = MAX_GSM_CHARS if enc == "GSM-7" else MAX_UCS2_CHARS
    return f"{n} {enc} characters, at most {limit}" if n > limit else None


# Canada's area codes (NANP numbers not in Canada are taken as US).
CANADA_AREA_CODES = frozenset(str(npa) for npa in (
    204, 226, 236, 249, 250, 263, 289, 306, 343, 354, 365, 367, 368, 382, 387, 403, 416, 418, 428, 431, 437, 438,
    450, 468, 474, 506, 514, 519, 548, 579, 581, 584, 587, 600, 604, 613, 639, 647, 672, 683, 705, 709, 742, 753,
    778, 780, 782, 807, 819, 825, 867, 873, 879, 902, 905))
_CALLING_CODES = (("91", "IN"), ("61", "AU"), ("44", "GB"), ("1", "US"))


def country_of(number: str) -> str | None:
    """The ISO country of an E.164 number (digits) among those priced here, or None."""
    for code, iso in _CALLING_CODES:
        if number.startswith(code):
            if iso == "US" and len(number) == 11 and number[1:4] in CANADA_AREA_CODES:
                return "CA"
            return iso
    return None
