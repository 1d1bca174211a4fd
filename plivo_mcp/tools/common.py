"""The vocabulary every resource module shares: parameter types, and two helpers handlers repeat.

Each parameter type carries the API's constraint and a short description, so every tool's input schema is
generated from type hints and stays flat (one argument per API parameter). The tool machinery itself (spec,
decorator, answers, schema trimming) is beneath this, in plivo_mcp/core/.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from plivo_mcp.errors import PlivoToolError, invalid_argument

if TYPE_CHECKING:

    from plivo_mcp.client import PlivoClient

# --- parameter types -------------------------------------------------------------------------------------
# Real clients send some values in their own form: the MCP Inspector's CLI parses `app_id=123` into a JSON
# number, people type `us`. Ids and numbers are `["string", "integer"]` in the schema and an integer is taken as
# its digits, up to 2**53: past that a JavaScript client has already rounded it (74286672997330179 arrives as
# 74286672997330180, another application), so it is refused by name with a request to send a string.
MAX_EXACT_JSON_INTEGER = 2**53 - 1


def _digits_of_integer(value: Any) -> Any:
    """A JSON integer given for an id or number, as its digits; the pattern check follows as for a string."""
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_EXACT_JSON_INTEGER:
            raise ValueError("as a JSON number this is beyond 2**53, where clients may already have rounded it "
                             "to another id: send it as a string")
        return str(value)
    return value


def _ascii_upper(value: Any) -> Any:
    # ASCII only: "ß".upper() is "SS", a country code nobody typed.
    return value.upper() if isinstance(value, str) and value.isascii() else value


def matching(pattern: str, what: str) -> AfterValidator:
    """A format check the server applies without advertising the regex: the description says the format in
    fewer tokens than the pattern (every tool's schema is read by the assistant on every conversation)."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"must be {what}")
        return value

    return AfterValidator(check)


# List answers give times in ISO 8601 basic form (plivo_mcp/shaping.py `utc_basic`); pydantic reads only the
# extended form, so a time copied from a list into a filter is read here first.
_ISO_BASIC = re.compile(r"^\d{8}T\d{6}(\.\d{1,6})?(Z|[+-]\d\d(:?\d\d)?)?$")


def iso_basic_datetime(value: Any) -> Any:
    """A datetime in ISO 8601 basic form (`20261129T131206Z`) as a datetime; anything else unchanged."""
    if isinstance(value, str) and _ISO_BASIC.match(value):
        return dt.datetime.fromisoformat(value)
    return value


def _printable_name(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise ValueError("must not contain control or invisible formatting characters")
    return value


Limit = Annotated[int, Field(ge=1, le=20, description="Page size.")]
Offset = Annotated[int, Field(ge=0, le=100000, description="Items to skip.")]
AllPages = Annotated[bool, Field(description="Fetch every page (to max_items).")]
MaxItems = Annotated[int, Field(ge=1, le=1000, description="Cap for all_pages.")]
Fields = Annotated[str | None, Field(description="More fields, comma-separated, or 'all'.")]
SubaccountId = Annotated[str, Field(pattern=r"^SA[A-Z0-9]{18}$", description="Subaccount auth id.")]
# The constraints come first so that they stay in the JSON schema; the validator runs before them.
_STRING_OR_INTEGER = {"type": ["string", "integer"]}
_ID = matching(r"^[0-9]{1,20}$", "1 to 20 digits")
AppId = Annotated[str, Field(description="Application id (digits).", json_schema_extra=_STRING_OR_INTEGER),
                  BeforeValidator(_digits_of_integer), _ID]
EndpointId = Annotated[str, Field(description="Endpoint id (digits).", json_schema_extra=_STRING_OR_INTEGER),
                       BeforeValidator(_digits_of_integer), _ID]
Number = Annotated[str, Field(description="Phone number, E.164 digits.", json_schema_extra=_STRING_OR_INTEGER),
                   BeforeValidator(_digits_of_integer), matching(r"^\+?[1-9][0-9]{5,15}$", "E.164 digits: "
                                                                 "an optional + then 6 to 16 digits, no leading 0")]
CountryIso = Annotated[str, Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166 alpha-2 country, e.g. US."),
                       BeforeValidator(_ascii_upper)]
HttpUrl = Annotated[str, Field(pattern=r"^https?://[^\s/?#]+[^\s]*$", max_length=2048,
                               json_schema_extra={"format": "uri"}, description="http(s) URL.")]
HttpMethod = Literal["GET", "POST"]
# What the real API takes ("Test Application", "0.8522478089992022"); the sandbox applies the same rule.
AppName = Annotated[str, AfterValidator(_printable_name),
                    Field(min_length=1, max_length=200, description="Application name.")]


def changes(parameter: str, message: str | None = None, **fields: Any) -> dict[str, Any]:
    """The fields an update was given (None means "keep"); none at all is an error naming `parameter`."""
    given = {k: v for k, v in fields.items() if v is not None}
    if not given:
        raise invalid_argument(parameter, message or f"give at least one of {', '.join(fields)}")
    return given


async def get_named(client: PlivoClient, path: str, parameter: str) -> dict[str, Any]:
    """GET a resource an argument names; a failure (not found, say) names that argument."""
    try:
        return await client.get(path)
    except PlivoToolError as exc:
        exc.parameter = parameter
        raise
