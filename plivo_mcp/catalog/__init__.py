"""The operation catalog: every Plivo REST operation as data (operations.json), read once, on first use.

An operation is what one SDK method does on the wire: an HTTP method, a path template under a host, parameters
(each with its place: path, query or body), and a class (read, write, destructive, costly) that decides whether
the guard stands in front of it. The catalog tools (plivo_mcp/tools/catalog.py) search it, describe it and call it
through one generic path; the sandbox serves what no resource module of its own implements from the same data
(plivo_mcp/sandbox/generic.py); tests/catalog/test_sdk_oracle.py holds every entry to what plivo-python sends.

Nothing here is imported on the server's start path: the catalog tools import it when first called.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

OpClass = Literal["read", "write", "destructive", "costly"]
# "file": an upload in a multipart operation, given as {"filename", "content_base64", "content_type"} (never a
# path: a server must not read its own disk on a caller's say-so).
ParamType = Literal["string", "integer", "number", "boolean", "array", "object", "file"]
Place = Literal["path", "query", "body"]
Host = Literal["api", "lookup"]
GUARDED_CLASSES = frozenset({"destructive", "costly"})
_TEMPLATE_FIELD = re.compile(r"\{([a-z_0-9]+)\}")


@dataclass(frozen=True)
class Param:
    """One parameter, named as it goes on the wire (`from`, not the SDK's `from_`)."""

    name: str
    type: ParamType
    place: Place
    required: bool = False
    description: str = ""
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    items: ParamType | None = None  # the element type of an array
    default: Any = None  # what the API assumes when the parameter is left out (informative; never sent)
    # A valid value: what describe_operation shows, what the SDK-oracle and call-every-operation tests send, and
    # (for a path parameter) the id of the object the sandbox's generic simulation seeds, so that every
    # operation can be exercised end to end.
    example: Any = None


@dataclass(frozen=True)
class Operation:
    id: str  # "<resource>.<action>", e.g. "conference.member_mute"
    resource: str  # a key of Catalog.resources
    summary: str  # one line, plain words an assistant would search with
    method: Literal["GET", "POST", "DELETE", "PATCH"]
    path: str  # template relative to the host's base, `{name}` for a path parameter, e.g. "Call/{call_uuid}/Play/"
    op_class: OpClass
    params: tuple[Param, ...] = ()
    host: Host = "api"  # api: {PLIVO_API_URL}/v1/Account/{auth_id}/ ; lookup: {PLIVO_LOOKUP_URL}/v1/
    fixed_query: dict[str, str] = field(default_factory=dict)  # always sent, e.g. {"status": "live"}
    # Always sent in the body: what tells two operations on one method and path apart (a powerpack's
    # buy_add_number is add_number plus {"rent": "true"}) or what the API needs beyond the path (starting a
    # multi-party call is {"status": "active"}). Never a caller's parameter.
    fixed_body: dict[str, Any] = field(default_factory=dict)
    multipart: bool = False  # sent as multipart/form-data (file uploads) rather than JSON
    sdk: str | None = None  # the plivo-python method, as OPERATIONS.md names it, e.g. "calls.play"
    tool: str | None = None  # the first-class tool that does the same, when there is one
    main_account_only: bool = False  # a subaccount's credentials cannot do it (the API answers 401/403)
    cost_note: str | None = None  # for a costly operation: what it spends, where the pricing API does not say
    list_fields: tuple[str, ...] = ()  # a list answer's item fields kept by default (the rest via `fields`)

    @property
    def guarded(self) -> bool:
        return self.op_class in GUARDED_CLASSES

    @property
    def is_list(self) -> bool:
        return self.method == "GET" and any(p.name == "limit" for p in self.params)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def render_path(self, values: dict[str, Any]) -> str:
        """The path with each `{name}` replaced by `values[name]` (already checked to be plain segments)."""
        return _TEMPLATE_FIELD.sub(lambda m: str(values[m.group(1)]), self.path)


@dataclass(frozen=True)
class Catalog:
    resources: dict[str, str]  # name -> one-line description
    operations: dict[str, Operation]  # by id, in file order

    def get(self, op_id: str) -> Operation | None:
        return self.operations.get(op_id)

    def reader_of(self, op: Operation) -> Operation | None:
        """The GET on the same path as `op` (what a destructive call will remove), if the API has one."""
        return next((o for o in self.operations.values()
                     if o.method == "GET" and o.path == op.path and o.host == op.host and not o.fixed_query), None)


def _param(raw: dict[str, Any], method: str, path: str) -> Param:
    name = raw["name"]
    default_place: Place = "path" if f"{{{name}}}" in path else "query" if method == "GET" else "body"
    return Param(
        name=name, type=raw["type"], place=raw.get("in", default_place), required=raw.get("required", False)
        or default_place == "path", description=raw.get("description", ""),
        enum=tuple(raw["enum"]) if "enum" in raw else None, minimum=raw.get("minimum"), maximum=raw.get("maximum"),
        max_length=raw.get("max_length"), pattern=raw.get("pattern"), items=raw.get("items"),
        default=raw.get("default"), example=raw.get("example"))


def _operation(raw: dict[str, Any]) -> Operation:
    method, path = raw["method"], raw["path"]
    return Operation(
        id=raw["id"], resource=raw["resource"], summary=raw["summary"], method=method, path=path,
        op_class=raw["class"], params=tuple(_param(p, method, path) for p in raw.get("params", ())),
        host=raw.get("host", "api"), fixed_query=dict(raw.get("fixed_query", {})),
        fixed_body=dict(raw.get("fixed_body", {})),
        multipart=raw.get("multipart", False), sdk=raw.get("sdk"), tool=raw.get("tool"),
        main_account_only=raw.get("main_account_only", False), cost_note=raw.get("cost_note"),
        list_fields=tuple(raw.get("list_fields", ())))


def parse(data: dict[str, Any]) -> Catalog:
    """A catalog from its JSON form; raises ValueError naming the entry that is not well formed."""
    ops: dict[str, Operation] = {}
    for raw in data["operations"]:
        try:
            op = _operation(raw)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"catalog entry {raw.get('id', raw)!r}: missing or bad field {exc}") from None
        if op.id in ops:
            raise ValueError(f"catalog entry {op.id!r} appears twice")
        if op.resource not in data["resources"]:
            raise ValueError(f"catalog entry {op.id!r}: unknown resource {op.resource!r}")
        missing = set(_TEMPLATE_FIELD.findall(op.path)) - {p.name for p in op.params if p.place == "path"}
        if missing:
            raise ValueError(f"catalog entry {op.id!r}: path parameter(s) {sorted(missing)} not declared")
        ops[op.id] = op
    return Catalog(resources=dict(data["resources"]), operations=ops)


@functools.cache
def catalog() -> Catalog:
    """The package's catalog (plivo_mcp/catalog/operations.json), parsed once per process."""
    text = resources.files(__package__).joinpath("operations.json").read_text(encoding="utf-8")
    return parse(json.loads(text))
