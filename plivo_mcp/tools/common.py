"""The vocabulary every resource module shares: parameter types, and two helpers handlers repeat.

Each parameter type carries the API's constraint and a short description, so every tool's input schema is
generated from type hints and stays flat (one argument per API parameter). The tool machinery itself (spec,
decorator, answers, schema trimming) is beneath this, in plivo_mcp/core/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from plivo_mcp.errors import PlivoToolError, invalid_argument

if TYPE_CHECKING:

    from plivo_mcp.client import PlivoClient

# --- parameter types -------------------------------------------------------------------------------------
Limit = Annotated[int, Field(ge=1, le=20, description="Page size.")]
Offset = Annotated[int, Field(ge=0, description="Items to skip.")]
AllPages = Annotated[bool, Field(description="Fetch all pages from offset, up to max_items.")]
MaxItems = Annotated[int, Field(ge=1, le=1000, description="Item cap for all_pages.")]
Fields = Annotated[str | None, Field(description="Extra fields, comma-separated, or 'all'.")]
SubaccountId = Annotated[str, Field(pattern=r"^SA[A-Z0-9]{18}$", description="Subaccount auth id.")]
AppId = Annotated[str, Field(pattern=r"^[0-9]{1,20}$", description="Application id.")]
EndpointId = Annotated[str, Field(pattern=r"^[0-9]{1,20}$", description="Endpoint id.")]
Number = Annotated[str, Field(pattern=r"^\+?[1-9][0-9]{5,15}$", description="Phone number, E.164 digits.")]
CountryIso = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2 country, e.g. US.")]
HttpUrl = Annotated[str, Field(pattern=r"^https?://[^\s/?#]+[^\s]*$", max_length=2048,
                               json_schema_extra={"format": "uri"}, description="http(s) URL.")]
HttpMethod = Literal["GET", "POST"]
AppName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$", description="Letters, digits, - and _ only.")]
CallbackUrl = Annotated[str | None, Field(pattern=r"^https?://[^\s/?#]+[^\s]*$", max_length=2048,
                                          json_schema_extra={"format": "uri"},
                                          description="Async: Plivo posts the result here.")]
CallbackMethod = Annotated[HttpMethod | None, Field(description="callback_url method (default POST).")]


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
