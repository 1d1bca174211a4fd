"""Messaging tools: send (guarded: it costs money, and the preview shows how much before anything is sent),
get, list, and a message's media.

Message bodies are the text anyone outside can put into the account (anyone can text a number): like all account
text they reach the assistant under `"_data":"untrusted"`, and list summaries leave them out unless asked for.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from plivo_mcp.core.deps import Deps
from plivo_mcp.core.spec import Toolset, tool
from plivo_mcp.errors import PlivoToolError, invalid_argument
from plivo_mcp.shaping import changed, clean, table
from plivo_mcp.sms import country_of, encoding_of, too_long, units_of
from plivo_mcp.tools.common import get_named, iso_basic_datetime, matching
from plivo_mcp.tools.listing import ListPage
from plivo_mcp.tools.numbers import digits

SUMMARY_FIELDS = ("message_uuid", "message_time", "message_direction", "message_state", "from_number",
                  "to_number", "units", "total_amount", "error_code")
SHOWN_RECIPIENTS = 5


MessageUuid = Annotated[str, Field(description="Message UUID."),
                        matching(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
                                 "a UUID")]
Sender = Annotated[str, Field(description="Rented number or alphanumeric sender ID."),
                   matching(r"^(\+?[1-9][0-9]{5,15}|[A-Za-z0-9]{0,10}[A-Za-z][A-Za-z0-9]{0,10})$",
                            "E.164 digits or 1 to 11 letters and digits")]
_E164 = matching(r"^\+?[1-9][0-9]{5,15}$", "E.164 digits: an optional + then 6 to 16 digits, no leading 0")
Phone = Annotated[str, _E164]
Recipients = Annotated[list[Phone], Field(min_length=1, max_length=100, description="Recipients (E.164).")]
MessageText = Annotated[str, Field(min_length=1, max_length=1600, description="Message text.")]
MediaUrls = Annotated[list[Annotated[str, matching(r"^https?://\S+$", "an http(s) URL")]] | None,
                      Field(max_length=10, description="MMS media URLs.")]
When = Annotated[dt.datetime | None, Field(description="ISO datetime, UTC by default."),
                 BeforeValidator(iso_basic_datetime)]


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise PlivoToolError("upstream_error", f"Plivo answered an amount that is not a number: {value!r}",
                             account_text=True) from None


def _recipients(dst: list[str], src: str) -> list[str]:
    out: list[str] = []
    for number in (digits(n) for n in dst):
        if number not in out:
            out.append(number)
    if digits(src) in out:
        raise invalid_argument("dst", "the sender cannot also be a recipient")
    return out


async def preview_send_message(deps: Deps, src: str, dst: list[str], text: str, type: str = "sms",
                               media_urls: list[str] | None = None, **_: Any) -> dict[str, Any]:
    recipients = _recipients(dst, src)
    if src.lstrip("+").isdigit():
        await get_named(deps.client, f"Number/{digits(src)}/", "src")  # a number the account does not rent: 404
    why = too_long(text)
    if why:
        raise invalid_argument("text", f"too long: {why}")
    encoding = encoding_of(text)[0]
    units = units_of(text) if type == "sms" else 1
    by_country: dict[str, int] = {}
    for number in recipients:
        iso = country_of(number)
        if iso is None:
            raise invalid_argument("dst", f"{number}: no pricing is known for its country; nothing was sent")
        if not src.lstrip("+").isdigit() and iso in ("US", "CA"):
            raise invalid_argument("src", f"an alphanumeric sender cannot send to US or Canadian numbers ({number})")
        by_country[iso] = by_country.get(iso, 0) + 1
    rates: dict[str, str] = {}
    total = Decimal(0)
    for iso, count in sorted(by_country.items()):
        pricing = await deps.client.get("Pricing/", {"country_iso": iso})
        rate = _money(((pricing.get("message") or {}).get("outbound") or {}).get("rate"))
        rates[iso] = f"{rate:.5f}"
        total += rate * units * count
    account = await deps.client.get("")
    credit = _money(account.get("cash_credits"))
    preview: dict[str, Any] = {
        "action": f"Send a {type} from {src} to {len(recipients)} recipient(s)",
        "recipients": {"count": len(recipients), "first": recipients[:SHOWN_RECIPIENTS]},
        "encoding": encoding, "units_per_message": units,
        "rate_per_unit_usd": rates,
        "estimated_cost_usd": f"{total:.5f}",
        "credit_after_usd": f"{credit - total:.5f}",
        "confirm_with": f"{total:.5f}",
    }
    if type == "mms":
        preview["left_out"] = ("MMS is billed per message at a rate the Pricing API does not publish; the cost "
                               "shown is at the SMS rate")
    return preview


@tool(title="Send message", destructive=False, preview=preview_send_message)
async def send_message(
    deps: Deps,
    src: Sender,
    dst: Recipients,
    text: MessageText,
    type: Annotated[Literal["sms", "mms"], Field(description="Type.")] = "sms",
    media_urls: MediaUrls = None,
    log: Annotated[bool, Field(description="Keep the text on record.")] = True,
) -> dict[str, Any]:
    """Send an SMS/MMS; costs money."""
    recipients = _recipients(dst, src)
    body: dict[str, Any] = {"src": digits(src) if src.lstrip("+").isdigit() else src,
                            "dst": "<".join(recipients), "text": text, "type": type, "log": log}
    if media_urls:
        body["media_urls"] = media_urls
    data = await deps.client.post("Message/", body)
    return changed(data, message_uuid=data.get("message_uuid"))


@tool(title="Get message", read_only=True, idempotent=True)
async def get_message(deps: Deps, message_uuid: MessageUuid) -> dict[str, Any]:
    """One message record (MDR): state, error code, units, cost and its text."""
    data = clean(await deps.client.get(f"Message/{message_uuid}/"))
    return {k: v for k, v in data.items() if v not in (None, "")}


def _utc(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S")


@tool(title="List messages", read_only=True, idempotent=True)
async def list_messages(
    deps: Deps,
    direction: Annotated[Literal["inbound", "outbound"] | None, Field(description="Direction.")] = None,
    state: Annotated[Literal["queued", "sent", "delivered", "undelivered", "failed", "received"] | None,
                     Field(description="State.")] = None,
    type: Annotated[Literal["sms", "mms", "whatsapp"] | None, Field(description="Type.")] = None,
    since: When = None,
    until: When = None,
    from_number: Annotated[Phone | None, Field(description="Sender.")] = None,
    to_number: Annotated[Phone | None, Field(description="Recipient.")] = None,
    error_code: Annotated[int | None, Field(description="Plivo error code.")] = None,
    subaccount: Annotated[str | None, Field(description="Subaccount auth id."),
                          matching(r"^SA[A-Z0-9]{18}$", "SA and 18 upper-case letters or digits")] = None,
    *,
    page: ListPage,
) -> dict[str, Any]:
    """List messages, newest first; default the last 24 hours."""
    if since is not None and until is not None and since >= until:
        raise invalid_argument("until", "must be after since")
    return await page.of(deps, "Message/", {
        "message_direction": direction, "message_state": state, "message_type": type,
        "message_time__gte": _utc(since) if since else None, "message_time__lt": _utc(until) if until else None,
        "from_number": digits(from_number) if from_number else None,
        "to_number": digits(to_number) if to_number else None, "error_code": error_code,
        "subaccount": subaccount,
    }, SUMMARY_FIELDS)


@tool(title="List message media", read_only=True, idempotent=True)
async def list_message_media(deps: Deps, message_uuid: MessageUuid) -> dict[str, Any]:
    """The media (MMS attachments) of one message."""
    data = await deps.client.get(f"Message/{message_uuid}/Media/")
    return table([clean(o) for o in data.get("objects") or [] if isinstance(o, dict)])


TOOLSET = Toolset(
    name="messaging",
    description="SMS/MMS: send (costs money, previewed), get, list, media.",
    tools=[send_message, get_message, list_messages, list_message_media],
)
