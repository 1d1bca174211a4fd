"""The catalog toolset: every operation of the Plivo API through three tools (search, describe, call), for a few
tools' worth of context.

`call_operation` is held to what a first-class tool is held to: its `arguments` are validated against the
operation's schema before anything is sent (errors name `arguments.<name>`), the request goes through the one
client (pacing, retries for GETs only, error mapping, per-request credentials), answers are shaped like the
other tools' (lists paged and projected, noise dropped, writes summarised), masked and marked by the runner. A
destructive or costly operation passes the same guard as a first-class tool (a preview, then elicitation or the
signed single-use token, bound to this tool, the operation and its arguments); reads and writes do not.
Read-only mode allows read operations only; subaccount credentials cannot reach main-account-only ones.

The catalog (plivo_mcp/catalog) is read on the first call, not at start-up.
"""

from __future__ import annotations

import base64
import binascii
import functools
import inspect
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

from plivo_mcp.client import FileUpload, FormField, path_segment
from plivo_mcp.config import is_subaccount_id
from plivo_mcp.core.deps import Deps, host_of
from plivo_mcp.core.spec import Toolset, ToolSpec, tool
from plivo_mcp.errors import PlivoToolError, invalid_argument
from plivo_mcp.shaping import NOISE_KEYS, changed, clean, page_of, parse_fields
from plivo_mcp.tools import applications, endpoints, messaging, numbers, phone_numbers, recordings, subaccounts, voice
from plivo_mcp.tools.common import Fields

if TYPE_CHECKING:
    from plivo_mcp.catalog import Catalog, Operation, Param

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # per file; Plivo's own limits are lower (e.g. 5 MB for media)
DEFAULT_LIST_FIELDS = 8  # item fields kept by default when the catalog names none for a list
# Counters that move while a resource lives (a conference's run time): left out of a removal preview, which must
# read the same at confirmation unless the resource itself changed.
_TICKING = re.compile(r"(run_time|duration|elapsed|so_far|current_time)$")

OperationId = Annotated[str, Field(min_length=1, max_length=100, description="Id from search_operations.")]


# --- which operations a caller may see and do ---------------------------------------------------------------------

def _catalog() -> Catalog:
    from plivo_mcp.catalog import catalog

    return catalog()


def is_subaccount(deps: Deps) -> bool:
    """The operator's credentials, or this request's (X-Plivo-Auth-Id), are a subaccount's."""
    return is_subaccount_id(deps.client.auth_id)


def refusal(op: Operation, deps: Deps) -> PlivoToolError | None:
    """Why this server or these credentials may not call `op`, if they may not."""
    if deps.settings.read_only and op.op_class != "read":
        return PlivoToolError("tool_unavailable", f"{op.id} is a {op.op_class} operation and the server is read-only "
                              "(PLIVO_MCP_READ_ONLY / --read-only); nothing was sent.", parameter="operation_id",
                              hint="Only read operations can be called here.")
    if op.main_account_only and is_subaccount(deps):
        return PlivoToolError("tool_unavailable", f"{op.id} needs main-account credentials and these are a "
                              "subaccount's; nothing was sent.", parameter="operation_id")
    return None


@functools.cache
def visible(read_only: bool, subaccount: bool) -> Catalog:
    """The catalog as a caller sees it: read-only mode shows reads only, a subaccount no main-account-only
    operation. Four variants at most, built once each."""
    from plivo_mcp.catalog import Catalog

    cat = _catalog()
    ops = {op_id: op for op_id, op in cat.operations.items()
           if not (read_only and op.op_class != "read") and not (subaccount and op.main_account_only)}
    return Catalog(resources=cat.resources, operations=ops)


def _visible(deps: Deps) -> Catalog:
    return visible(deps.settings.read_only, is_subaccount(deps))


def offered_tool(op: Operation, deps: Deps) -> str | None:
    """The first-class tool that does `op`, if this server offers it to this caller."""
    spec = host_of(deps.ctx).specs.get(op.tool or "")
    if spec is None or (spec.main_account_only and is_subaccount(deps)):
        return None
    return spec.name


def find_operation(operation_id: str) -> Operation:
    cat = _catalog()
    op = cat.get(operation_id)
    if op is None:
        import difflib  # only for a mistyped id: not on the start path

        closest = difflib.get_close_matches(operation_id, list(cat.operations), n=5, cutoff=0.4)
        shown = operation_id if len(operation_id) <= 64 else f"{operation_id[:64]}..."
        error = invalid_argument("operation_id", f"no operation {shown!r}"
                                 + (f"; closest: {', '.join(closest)}" if closest else ""))
        error.hint = "search_operations finds operations by words; nothing was sent."
        raise error
    return op


# --- search and describe --------------------------------------------------------------------------------------------

def _line(op: Operation, deps: Deps) -> str:
    line = f"{op.id} [{op.op_class}] {op.summary}"
    tool_name = offered_tool(op, deps)
    return f"{line} -> use tool {tool_name}" if tool_name else line


@tool(title="Search operations", read_only=True, idempotent=True)
async def search_operations(
    deps: Deps,
    query: Annotated[str | None, Field(max_length=200, description="Words, e.g. 'mute conference member'.")] = None,
    resource: Annotated[str | None, Field(max_length=40, description="Resource name.")] = None,
    limit: Annotated[int, Field(ge=1, le=50, description="Max results.")] = 10,
) -> dict[str, Any]:
    """Find Plivo API operations by words and/or resource (none: list the resources)."""
    from plivo_mcp.catalog.search import search

    cat = _visible(deps)
    if not (query and query.strip()) and resource is None:
        counts: dict[str, int] = {}
        for op in cat.operations.values():
            counts[op.resource] = counts.get(op.resource, 0) + 1
        return {"resources": [f"{name}: {text} ({counts[name]} ops)" for name, text in cat.resources.items()
                              if counts.get(name)],
                "next_step": "search_operations with words or a resource; describe_operation for arguments."}
    if resource is not None and resource not in cat.resources:
        raise invalid_argument("resource", f"no resource {resource[:40]!r}; valid: {', '.join(cat.resources)}")
    found = search(cat, query or "", resource, limit)
    answer: dict[str, Any] = {"operations": [_line(op, deps) for op in found]}
    if not (query and query.strip()):
        total = sum(1 for op in cat.operations.values() if op.resource == resource)
        if total > len(found):
            answer["more"] = f"{total - len(found)} more: raise limit"
    if not found:
        answer["hint"] = "No match: try other words, or no query to list the resources."
    return answer


def param_schema(param: Param) -> dict[str, Any]:
    """One parameter as JSON schema, compact: what an assistant needs to fill it in."""
    if param.type == "file":
        out: dict[str, Any] = {"type": "object", "properties": {
            "filename": {"type": "string"}, "content_base64": {"type": "string"},
            "content_type": {"type": "string"}}, "required": ["filename", "content_base64"]}
    else:
        out = {"type": param.type}
    if param.items:
        out["items"] = {"type": "object" if param.items == "file" else param.items}
    for key, value in (("description", param.description), ("enum", list(param.enum) if param.enum else None),
                       ("minimum", param.minimum), ("maximum", param.maximum),
                       ("maxLength" if param.type == "string" else "maxItems", param.max_length),
                       ("pattern", param.pattern), ("default", param.default)):
        if value not in (None, ""):
            out[key] = value
    if param.example is not None:
        out["examples"] = [param.example]
    return out


def arguments_schema(op: Operation) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": {p.name: param_schema(p) for p in op.params}}
    required = [p.name for p in op.params if p.required]
    if required:
        schema["required"] = required
    return schema


@tool(title="Describe operation", read_only=True, idempotent=True)
async def describe_operation(deps: Deps, operation_id: OperationId) -> dict[str, Any]:
    """An operation's method, path, class and the JSON schema of its arguments."""
    op = find_operation(operation_id)
    out: dict[str, Any] = {
        "id": op.id, "summary": op.summary, "method": op.method, "path": op.path, "host": op.host,
        "class": op.op_class,
        "confirmation": "required: a preview first, then the person's confirmation" if op.guarded else "none",
    }
    if op.fixed_query:
        out["always_sent"] = op.fixed_query
    if op.cost_note:
        out["cost_note"] = op.cost_note
    if op.multipart:
        out["upload"] = "multipart: give each file as {filename, content_base64, content_type}"
    tool_name = offered_tool(op, deps)
    if tool_name:
        out["tool"] = tool_name
    why = refusal(op, deps)
    if why is not None:
        out["available"] = False
        out["why"] = why.message.replace("; nothing was sent.", "")
    out["arguments"] = arguments_schema(op)
    return out


# --- validating the arguments of one operation ----------------------------------------------------------------------

def _file_name(value: str) -> str:
    if any(ord(c) < 32 or c in '"\\/' for c in value):
        raise ValueError("must be a file name without quotes, slashes or control characters")
    return value


def _base64(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be base64 (the file's bytes, encoded)") from None
    return value


class Uploaded:
    """What a validated file argument gives: the file part to send (see `file_argument`)."""

    filename: str
    content_base64: str
    content_type: str

    def upload(self) -> FileUpload:
        return FileUpload(self.filename, base64.b64decode(self.content_base64), self.content_type)


@functools.cache
def file_argument() -> type[BaseModel]:
    """An uploaded file as a caller gives it: never a path (a server must not read its disk on a caller's say).
    Built on first use: the first pydantic model of a process costs ~25 ms (pydantic loads its plugin machinery),
    and start-up needs none of it."""

    class FileArgument(BaseModel, Uploaded):
        model_config = ConfigDict(extra="forbid")
        filename: Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_file_name)]
        content_base64: Annotated[str, Field(min_length=1, max_length=(MAX_UPLOAD_BYTES * 4) // 3 + 4),
                                  AfterValidator(_base64)]
        content_type: Annotated[str, Field(pattern=r"^[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+$")] = (
            "application/octet-stream")

    return FileArgument


def _type(name: str | None) -> Any:
    if name == "file":
        return file_argument()
    return {"string": str, "integer": int, "number": int | float, "boolean": bool,
            "object": dict[str, Any]}.get(name or "", Any)


def _field(param: Param) -> tuple[Any, Any]:
    """(annotation, default) of one parameter: its type, enum and bounds, under its wire name."""
    if param.enum:
        base: Any = Literal[param.enum]  # the catalog's values, known at run time
    elif param.type == "array":
        base = list[_type(param.items)]  # type: ignore[misc]
    else:
        base = _type(param.type)
    constraints = {"ge": param.minimum, "le": param.maximum, "max_length": param.max_length,
                   "pattern": param.pattern if param.type == "string" else None}
    given: dict[str, Any] = {k: v for k, v in constraints.items() if v is not None}
    if param.required:
        return Annotated[base, Field(alias=param.name, **given)], ...
    return Annotated[base | None, Field(alias=param.name, **given)], None


@functools.cache
def arguments_model(op_id: str) -> type[BaseModel]:
    """The pydantic model of an operation's arguments, built once per operation (the catalog bounds them).
    Fields are named f0, f1... with the wire names as aliases: `from` and `type` are no Python names."""
    op = _catalog().operations[op_id]
    fields = {f"f{i}": _field(param) for i, param in enumerate(op.params)}
    config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)  # an id sent as a JSON number is its digits
    return create_model(f"Arguments_{op_id.replace('.', '_')}", __config__=config, **fields)  # type: ignore[call-overload]


def _invalid(op: Operation, exc: ValidationError) -> PlivoToolError:
    takes = ", ".join(p.name for p in op.params) or "no arguments"
    problems, parameters = [], []
    for e in exc.errors():
        loc = [str(part) for part in e["loc"]]
        name = f"arguments.{'.'.join(loc)}" if loc else "arguments"
        parameters.append(f"arguments.{loc[0]}" if loc else "arguments")
        message = f"{op.id} takes no argument {loc[-1]}; it takes {takes}" if e["type"] == "extra_forbidden" \
            else e["msg"]
        problems.append(f"{name}: {message}")
    error = invalid_argument(parameters[0] if parameters else "arguments", "")
    error.message = "; ".join(problems)
    if len(set(parameters)) > 1:
        error.extra["parameters"] = sorted(set(parameters))
    return error


def validated(op: Operation, arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments given, checked against the operation's schema, by wire name (leaving out the ones not
    given: the API's defaults apply). Path parameters must be plain segments. Raises invalid_argument."""
    try:
        model = arguments_model(op.id).model_validate(arguments)
    except ValidationError as exc:
        raise _invalid(op, exc) from None
    values: dict[str, Any] = {}
    for i, param in enumerate(op.params):
        value = getattr(model, f"f{i}")
        if value is None:
            continue
        if param.place == "path":
            value = path_segment(str(value), f"arguments.{param.name}")
        values[param.name] = value
    return values


# --- the request ------------------------------------------------------------------------------------------------------

@dataclass
class Request:
    op: Operation
    values: dict[str, Any]  # validated arguments, by wire name
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    multipart: list[FormField] | None = None

    @property
    def path_values(self) -> dict[str, Any]:
        return {p.name: self.values[p.name] for p in self.op.params if p.place == "path"}

    def shown(self) -> dict[str, Any]:
        """The exact request, as a person reads it in a preview (a file by its name, type and size)."""
        out: dict[str, Any] = {"method": self.op.method, "path": self.path}
        if self.op.host != "api":
            out["host"] = self.op.host
        if self.query:
            out["query"] = self.query
        if self.multipart is not None:
            out["multipart"] = [[name, {"filename": v.filename, "content_type": v.content_type,
                                        "bytes": len(v.content)} if isinstance(v, FileUpload) else v]
                                for name, v in self.multipart]
        elif self.body:
            out["body"] = self.body
        return out


def _query_value(value: Any) -> Any:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return value


def _form_fields(name: str, value: Any) -> list[FormField]:
    if isinstance(value, Uploaded):
        return [(name, value.upload())]
    if isinstance(value, list):
        return [field_ for item in value for field_ in _form_fields(name, item)]
    if isinstance(value, bool):
        return [(name, "true" if value else "false")]
    if isinstance(value, dict):
        return [(name, json.dumps(value, separators=(",", ":"), ensure_ascii=False))]
    return [(name, str(value))]


def build_request(op: Operation, values: dict[str, Any]) -> Request:
    request = Request(op, values, op.render_path(values), query=dict(op.fixed_query))
    form: list[FormField] = []
    for name, value in op.fixed_body.items():  # always sent: it tells this operation apart on its method and path
        if op.multipart:
            form += _form_fields(name, value)
        else:
            request.body[name] = value
    for param in op.params:
        if param.name not in values or param.place == "path":
            continue
        value = values[param.name]
        if param.place == "query":
            request.query[param.name] = _query_value(value)
        elif op.multipart:
            form += _form_fields(param.name, value)
        else:
            request.body[param.name] = value.model_dump() if isinstance(value, BaseModel) else value
    if op.multipart:
        request.multipart = form
    return request


def prepare(deps: Deps, operation_id: str, arguments: dict[str, Any] | None, fields: str | None) -> Request:
    """Everything that needs no API call, in order: the operation exists, this caller may call it, `fields`
    and the arguments are valid. A call refused here has sent nothing."""
    op = find_operation(operation_id)
    why = refusal(op, deps)
    if why is not None:
        raise why
    if fields is not None and op.method != "GET":
        raise invalid_argument("fields", f"{op.id} is not a list; only list answers are projected")
    parse_fields(fields)
    return build_request(op, validated(op, arguments or {}))


async def send(deps: Deps, request: Request) -> dict[str, Any] | None:
    try:
        # A costly read (a number lookup is charged per query) is sent once, like a write: a retry after a lost
        # answer could be charged again.
        return await deps.client.request(request.op.method, request.path, params=request.query,
                                         body=request.body, host=request.op.host, multipart=request.multipart,
                                         once=request.op.op_class == "costly")
    except PlivoToolError as exc:
        if exc.parameter in request.values:  # Plivo's 400 names a wire name: the caller gave it in `arguments`
            exc.parameter = f"arguments.{exc.parameter}"
        raise


# --- answers ----------------------------------------------------------------------------------------------------------

_ID_KEY = re.compile(r"(^id$|_id$|uuid$|^number$)")
_NAME_KEY = re.compile(r"(^name$|_name$|^alias$|^username$)")
_STATE_KEY = re.compile(r"(status|state)$")
_TIME_KEY = re.compile(r"(_time$|_on$|^created|^date|_date$)")


def default_list_fields(objects: list[dict[str, Any]]) -> list[str]:
    """Item fields kept when the catalog names none: ids, names, state, times (at most eight), in the items' order."""
    first = [k for k in (objects[0] if objects else {}) if k not in NOISE_KEYS]
    ranked = sorted(((rank, i, key) for i, key in enumerate(first)
                     for rank, pattern in enumerate((_ID_KEY, _NAME_KEY, _STATE_KEY, _TIME_KEY))
                     if pattern.search(key)), key=lambda t: (t[0], t[1]))
    chosen: list[str] = []
    for _, _, key in ranked:
        if key not in chosen and len(chosen) < DEFAULT_LIST_FIELDS:
            chosen.append(key)
    return [k for k in first if k in chosen]


def list_items(data: dict[str, Any]) -> list[Any] | None:
    """The items of a paged list answer: `objects`, or (10DLC, compliance...) the one list of objects beside `meta`."""
    if not isinstance(data.get("meta"), dict):
        return None
    if isinstance(data.get("objects"), list):
        return data["objects"]
    lists = [v for k, v in data.items() if k != "meta" and isinstance(v, list) and all(isinstance(i, dict) for i in v)]
    return lists[0] if len(lists) == 1 else None


def projected(data: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """One object's answer, narrowed to `fields` when asked (a field it does not have is named, not skipped)."""
    asked = parse_fields(fields)
    if not asked:  # none asked, or 'all'
        return data
    if len(data) == 1 and isinstance(inner := next(iter(data.values())), dict):  # {"brand": {...}}: its fields
        return {key: projected(inner, fields) for key in data}
    unknown = asked - set(data)
    if unknown:
        error = invalid_argument("fields", f"unknown field(s) {', '.join(sorted(unknown))}; "
                                 f"available: {', '.join(sorted(data))}")
        error.hint = "The read was made and changed nothing: call again with fields from the available ones."
        raise error
    return {k: data[k] for k in data if k in asked}


def shaped(request: Request, data: dict[str, Any] | None, fields: str | None) -> dict[str, Any]:
    op = request.op
    if op.method == "GET":
        data = data or {}
        items = list_items(data)
        if items is not None:
            dicts = [o for o in items if isinstance(o, dict)]
            return page_of({"meta": data["meta"], "objects": items}, op.list_fields or default_list_fields(dicts),
                           fields)
        return projected(clean(data), fields)
    # The ids the path named, then whatever the API answered (ids it made, state), noise dropped; the message last.
    touched = {"operation": op.id, **request.path_values,
               **{k: v for k, v in clean(data or {}).items() if k != "message"}}
    return changed(data, **touched)


# --- previews (destructive and costly operations) ------------------------------------------------------------------

def _joined(value: Any) -> list[str]:
    return [part for part in str(value).split("<") if part]


@dataclass(frozen=True)
class FirstClass:
    """A first-class tool whose preview a catalog operation reuses, and how to feed it from the operation's
    arguments: a call through the catalog is then previewed exactly as through the tool."""

    spec: ToolSpec
    names: dict[str, str]  # the tool's parameter -> the operation's argument (wire name)
    joined: tuple[str, ...] = ()  # tool parameters that take a list, where the wire takes one '<'-joined string

    @property
    def required(self) -> list[str]:
        """The operation's arguments the preview cannot do without."""
        assert self.spec.preview is not None
        return [self.names[p.name] for p in list(inspect.signature(self.spec.preview).parameters.values())[1:]
                if p.default is inspect.Parameter.empty and p.kind is not inspect.Parameter.VAR_KEYWORD]

    def arguments(self, values: dict[str, Any]) -> dict[str, Any] | None:
        """The preview's arguments, or None when one it requires was not given (then the generic preview)."""
        if not all(wire in values for wire in self.required):
            return None
        args = {tool_name: values[wire] for tool_name, wire in self.names.items() if wire in values}
        for name in self.joined:
            if name in args:
                args[name] = _joined(args[name])
        return args


_FIRST_CLASS = {fc.spec.name: fc for fc in (
    FirstClass(voice.make_call, {"from_number": "from", "to": "to", "answer_url": "answer_url",
                                 "time_limit": "time_limit"}, joined=("to",)),
    FirstClass(messaging.send_message, {"src": "src", "dst": "dst", "text": "text", "type": "type",
                                        "media_urls": "media_urls"}, joined=("dst",)),
    FirstClass(phone_numbers.buy_phone_number, {"number": "number", "app_id": "app_id"}),
    FirstClass(voice.hangup_call, {"call_uuid": "call_uuid"}),
    FirstClass(voice.cancel_call_request, {"request_uuid": "request_uuid"}),
    FirstClass(numbers.unrent_number, {"number": "number"}),
    FirstClass(endpoints.delete_endpoint, {"endpoint_id": "endpoint_id"}),
    FirstClass(recordings.delete_recording, {"recording_id": "recording_id"}),
    FirstClass(applications.delete_application, {"app_id": "app_id", "cascade": "cascade",
                                                 "new_endpoint_application": "new_endpoint_application"}),
    FirstClass(subaccounts.delete_subaccount, {"subaccount_id": "subaccount_id", "cascade": "cascade"}),
)}


async def _first_class_preview(deps: Deps, request: Request) -> dict[str, Any] | None:
    first_class = _FIRST_CLASS.get(request.op.tool or "")
    args = first_class.arguments(request.values) if first_class is not None else None
    if first_class is None or args is None:
        return None
    assert first_class.spec.preview is not None
    try:
        preview = await first_class.spec.preview(deps, **args)
    except PlivoToolError as exc:
        # The tool's parameter names are not this caller's: name the argument it gave (the object the path names
        # when the tool's error names one of its own that has no counterpart).
        path_params = list(request.path_values)
        wire = first_class.names.get(exc.parameter or "") or (path_params[0] if exc.parameter and
                                                              len(path_params) == 1 else None)
        if wire is not None:
            exc.parameter = f"arguments.{wire}"
        raise
    return {"operation": request.op.id, **preview}


def _confirm_with(request: Request) -> str:
    """What the person types: the object the path names (its last parameter), else the operation's id."""
    path_values = list(request.path_values.values())
    return str(path_values[-1]) if path_values else request.op.id


async def _live_resource(deps: Deps, request: Request, reader: Operation) -> dict[str, Any]:
    try:
        data = await deps.client.request("GET", request.path, host=reader.host)
    except PlivoToolError as exc:
        if exc.code == "not_found":
            names = list(request.path_values)
            raise PlivoToolError("not_found", f"{request.op.id}: {request.path} was not found, so there is nothing "
                                 "to remove; nothing was sent.", parameter=f"arguments.{names[-1]}" if names else None,
                                 hint=f"Check the id with {reader.id}.") from None
        raise
    return {k: v for k, v in clean(data or {}).items() if not _TICKING.search(k)}


async def preview_call_operation(deps: Deps, operation_id: str, arguments: dict[str, Any] | None = None,
                                 fields: str | None = None, **_: Any) -> dict[str, Any]:
    request = prepare(deps, operation_id, arguments, fields)  # nothing is previewed that would be refused
    op = request.op
    first_class = await _first_class_preview(deps, request)
    if first_class is not None:
        return first_class
    preview: dict[str, Any] = {"action": f"{op.summary.rstrip('.')} ({op.id}, {op.op_class})",
                               "request": request.shown()}
    reader = _catalog().reader_of(op) if op.op_class == "destructive" else None
    if reader is not None:
        preview["will_remove"] = await _live_resource(deps, request, reader)
    if op.op_class == "costly":
        preview["not_shown"] = f"the cost: {op.cost_note or 'the pricing API does not give this operation a price'}"
    return {**preview, "confirm_with": _confirm_with(request)}


def needs_confirmation(arguments: dict[str, Any]) -> bool:
    """The guard stands in front of destructive and costly operations only (an unknown id is refused by name)."""
    operation_id = arguments.get("operation_id")
    op = _catalog().get(operation_id) if isinstance(operation_id, str) else None
    return op is not None and op.guarded


@tool(title="Call operation", destructive=True, preview=preview_call_operation, guard_when=needs_confirmation,
      refuses_writes_when_read_only=True)
async def call_operation(
    deps: Deps,
    operation_id: OperationId,
    arguments: Annotated[dict[str, Any] | None, Field(description="The operation's arguments by name.")] = None,
    fields: Fields = None,
) -> dict[str, Any]:
    """Call an operation with its arguments; destructive or costly ones are previewed and need confirmation."""
    request = prepare(deps, operation_id, arguments, fields)
    return shaped(request, await send(deps, request), fields)


TOOLSET = Toolset(
    name="catalog",
    description="Every Plivo API operation: search, describe, call (guarded by class).",
    tools=[search_operations, describe_operation, call_operation],
)
