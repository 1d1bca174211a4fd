"""What a resource module uses to declare its paths (`Resource`) and answer a request: the request context
(`Ctx`), `ApiError`, the parameter parsers (values as the SDKs send them), the list-page builder and the usual
answers.

Resource modules import this module; it imports none of them (the app reaches them through routes.py).
"""

from __future__ import annotations

import functools
import re
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from plivo_mcp.sandbox.accounts import Accounts
from plivo_mcp.sandbox.storage import Database, Storage

SUBACCOUNT_ID_RE = re.compile(r"^SA[A-Z0-9]{18}$")


class ApiError(Exception):
    """Raised by handlers; becomes `{"api_id", "error"}` with the given status."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


@dataclass
class Ctx:
    """Everything a resource handler needs about one authenticated request."""

    db: Database
    caller: str  # the authenticated account id (MA… or SA…)
    caller_row: dict[str, Any]
    params: dict[str, Any]
    api_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def is_sub(self) -> bool:
        return self.caller_row["parent"] is not None

    @property
    def main_id(self) -> str:
        return self.caller_row["parent"] or self.caller

    @functools.cached_property
    def owners(self) -> list[str]:
        """Accounts whose resources the caller sees: itself, and a main account's subaccounts."""
        return [self.caller] if self.is_sub else [self.caller, *self.db.storage(Accounts).subaccount_ids(self.caller)]

    def uri(self, *parts: str) -> str:
        """Resource URI under the caller's account, always ending in `/`."""
        return "/".join(["/v1/Account", self.caller, *parts]) + "/"

    def account_uri(self, auth_id: str) -> str | None:
        """`sub_account` value: the subaccount's URI under its main account, or None for the main account."""
        if auth_id.startswith("SA"):
            return f"/v1/Account/{self.main_id}/Subaccount/{auth_id}/"
        return None

    def subaccount_param(self, not_own: ApiError) -> str | None:
        """The `subaccount` parameter, checked: None or "" as given, else an id the caller may name (a
        subaccount its own id, else `not_own` is raised; a main account one of its subaccounts)."""
        sa = opt_str(self.params, "subaccount")
        if not sa:
            return sa
        check_subaccount_id(sa)
        if self.is_sub:
            if sa != self.caller:
                raise not_own
        elif self.db.storage(Accounts).get_subaccount(self.caller, sa) is None:
            raise ApiError(400, "invalid subaccount: no such subaccount")
        return sa

    def owner_filter(self) -> list[str]:
        """Owners matching the optional `subaccount` list filter."""
        sa = self.subaccount_param(ApiError(400, "invalid subaccount: not this account"))
        return [sa] if sa else self.owners


Result = tuple[int, dict[str, Any] | None]
# Called with the Ctx, and the object id when the path has one.
Handler = Callable[..., Result]


@dataclass(frozen=True)
class Resource:
    """What one resource module adds to the sandbox, as its `RESOURCE`, listed in routes.py.

    `paths`: path under `/v1/Account/{auth_id}/` -> {HTTP method: handler}; the path is "" (the account
    itself), "Name/" (the collection), "Name/{id}/" (one object, whose id the handler gets) or "Name/{id}/Sub/"
    (an action on one object, or a collection under it, e.g. Call/{id}/Record/ or Message/{id}/Media/; the
    handler gets the object's id).
    `admin`: path under `/sandbox/` -> handler of a POST, for what no SDK can do against the real API; the path
    is "collection/{id}/action".
    `storage`: the class of its tables and queries (a storage.Storage), if it keeps any of its own.
    """

    paths: dict[str, dict[str, Handler]]
    admin: dict[str, Handler] = field(default_factory=dict)
    storage: type[Storage] | None = None


# ---- parameter helpers ----------------------------------------------------------------------------------------

def opt_str(params: dict[str, Any], name: str) -> str | None:
    v = params.get(name)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        raise ApiError(400, f"{name} must be a string")
    return str(v)


def req_str(params: dict[str, Any], name: str) -> str:
    v = opt_str(params, name)
    if v is None or v.strip() == "":
        raise ApiError(400, f"{name} parameter is missing")
    return v


def has_invisible_chars(v: str) -> bool:
    """Any character of a Unicode "C" category: control, format (zero-width, bidi), unassigned, private use."""
    return any(unicodedata.category(ch).startswith("C") for ch in v)


def opt_bool(params: dict[str, Any], name: str) -> bool | None:
    v = params.get(name)
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    raise ApiError(400, f"{name} must be true or false")


def opt_int(params: dict[str, Any], name: str) -> int | None:
    v = params.get(name)
    if v is None:
        return None
    if isinstance(v, bool):
        raise ApiError(400, f"{name} must be an integer")
    if isinstance(v, int):
        return v
    if isinstance(v, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", v):
        return int(v)
    raise ApiError(400, f"{name} must be an integer")


def opt_method(params: dict[str, Any], name: str) -> str | None:
    v = opt_str(params, name)
    if v is None:
        return None
    if v.upper() not in ("GET", "POST"):
        raise ApiError(400, f"{name} must be GET or POST")
    return v.upper()


def is_http_url(v: str) -> bool:
    try:
        parts = urlsplit(v)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in v


def opt_url(params: dict[str, Any], name: str, allow_empty: bool = True) -> str | None:
    v = opt_str(params, name)
    if v is None or (allow_empty and v == ""):
        return v
    if not is_http_url(v):
        raise ApiError(400, f"{name} is not a valid URL")
    return v


def check_subaccount_id(v: str, name: str = "subaccount") -> str:
    if not SUBACCOUNT_ID_RE.match(v):
        raise ApiError(400, f"invalid {name}: expected SA followed by 18 upper-case letters or digits")
    return v


def req_country_iso(params: dict[str, Any]) -> str:
    iso = opt_str(params, "country_iso")
    if not iso:
        raise ApiError(400, "country_iso parameter is missing")
    if not re.fullmatch(r"[A-Z]{2}", iso):
        raise ApiError(400, "country_iso must be two upper-case letters (ISO 3166 alpha-2)")
    return iso


# ---- answers --------------------------------------------------------------------------------------------------

class Rows(Protocol):
    """What `page` reads: a list, or a `PagedRows` that counts and reads one window in SQL."""

    def __len__(self) -> int: ...

    def __getitem__(self, window: slice, /) -> Sequence[Any]: ...


def page(ctx: Ctx, resource: str, rows: Rows, render: Callable[[Any], dict[str, Any]],
         filters: tuple[str, ...] = ()) -> Result:
    """A list response: validates limit/offset, slices, and builds meta with relative next/previous URLs."""
    limit = opt_int(ctx.params, "limit")
    offset = opt_int(ctx.params, "offset")
    limit = 20 if limit is None else limit
    offset = 0 if offset is None else offset
    if not 1 <= limit <= 20:
        raise ApiError(400, "limit must be between 1 and 20")
    if offset < 0:
        raise ApiError(400, "offset must be 0 or more")
    total = len(rows)
    kept = [(k, str(ctx.params[k]).lower() if isinstance(ctx.params[k], bool) else str(ctx.params[k]))
            for k in filters if ctx.params.get(k) is not None]
    base = ctx.uri(resource)

    def link(off: int) -> str:
        return base + "?" + urlencode([("limit", limit), ("offset", off), *kept])

    meta = {
        "limit": limit, "offset": offset, "total_count": total,
        "next": link(offset + limit) if offset + limit < total else None,
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
    }
    return 200, {"api_id": ctx.api_id, "meta": meta, "objects": [render(r) for r in rows[offset:offset + limit]]}


def found(row: dict[str, Any] | None) -> dict[str, Any]:
    """The row, or the API's 404 for an object that does not exist (or is not the caller's to see)."""
    if row is None:
        raise ApiError(404, "not found")
    return row


def changed(ctx: Ctx) -> Result:
    return 202, {"api_id": ctx.api_id, "message": "changed"}


def deleted(ctx: Ctx) -> Result:
    return 204, None
