"""The catalog toolset (search_operations, describe_operation, call_operation) through a real MCP client against
the sandbox.

The tests that iterate the catalog are generic: they cover whatever operations.json holds, on the examples it
gives (the sandbox's generic simulation seeds the objects they name, per account).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import Client

from plivo_mcp.catalog import Catalog, Operation, Param, catalog, parse
from plivo_mcp.sandbox import Sandbox
from plivo_mcp.shaping import records
from plivo_mcp.tools import catalog as catalog_tools
from plivo_mcp.tools import voice
from tests.helpers import WireRecorder, call, err, ok, server_for
from tests.test_guard import answering, two_step

pytestmark = pytest.mark.anyio

FROM, TO_US, ANSWER = "14155550100", "14155552671", "https://example.com/answer"
CALL_ARGS = {"from": FROM, "to": TO_US, "answer_url": ANSWER}
CLASS_ORDER = {"read": 0, "write": 1, "costly": 2, "destructive": 3}  # nothing is removed before it is used


def ops() -> list[Operation]:
    return list(catalog().operations.values())


# The API's async mode: Plivo, and the sandbox, post the result to callback_url, and nothing but loopback may be
# reached from a test (an operation's own callback URLs are only stored, but none is needed here either).
ASYNC_MODE = ("callback_url", "callback_method")


def example_arguments(op: Operation, *, synthesize: bool = False, required_only: bool = False
                      ) -> dict[str, Any] | None:
    """Every parameter that has an example (`required_only`: every required one), with it; None when a required
    one has none (unless `synthesize`: then a value of the right type, enough to exercise a refusal). Never the
    async mode's callback."""
    args: dict[str, Any] = {}
    for param in op.params:
        if (param.name in ASYNC_MODE or required_only) and not param.required:
            continue
        if param.example is not None:
            args[param.name] = param.example
        elif param.required:
            if not synthesize:
                return None
            args[param.name] = synthetic(param)
    return args


def synthetic(param: Param) -> Any:
    if param.enum:
        return param.enum[0]
    return {"integer": int(param.minimum or 1), "number": param.minimum or 1, "boolean": True, "array": [],
            "object": {}, "file": {"filename": "a.txt", "content_base64": "aGk=", "content_type": "text/plain"}
            }.get(param.type, "x1")


@pytest.fixture
def wired() -> Iterator[tuple[Sandbox, WireRecorder]]:
    """A fresh sandbox whose every request is recorded (method, path, query) as it arrived."""
    sb = Sandbox(db=":memory:")
    recorder = WireRecorder(sb.app)
    sb.app = recorder  # type: ignore[assignment]
    sb.start()
    try:
        yield sb, recorder
    finally:
        sb.stop()


def writes(recorder: WireRecorder) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in recorder.requests if r["method"] != "GET"]


@pytest.fixture
def extra_operations(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Add test-only operations to the catalog (resource `testonly`), for cases the catalog's own entries may not
    hold (a main-account-only read, a password argument); the tools' caches are emptied around it."""

    def add(*raw_ops: dict[str, Any]) -> Catalog:
        from importlib import resources

        data = json.loads(resources.files("plivo_mcp.catalog").joinpath("operations.json").read_text())
        data["resources"]["testonly"] = "Operations only the tests add."
        data["operations"] += [{"resource": "testonly", **raw} for raw in raw_ops]
        patched = parse(data)
        monkeypatch.setattr("plivo_mcp.catalog.catalog", lambda: patched)
        clear()
        return patched

    def clear() -> None:
        catalog_tools.visible.cache_clear()
        catalog_tools.arguments_model.cache_clear()

    yield add
    clear()


ENDPOINT_CREATE = {"id": "testonly.endpoint_create", "summary": "Create a SIP endpoint.", "method": "POST",
                   "path": "Endpoint/", "class": "write", "params": [
                       {"name": "username", "type": "string", "required": True},
                       {"name": "password", "type": "string", "required": True},
                       {"name": "alias", "type": "string", "required": True}]}
ENDPOINT_GET = {"id": "testonly.endpoint_get", "summary": "Get a SIP endpoint.", "method": "GET",
                "path": "Endpoint/{endpoint_id}/", "class": "read", "params": [
                    {"name": "endpoint_id", "type": "string"}]}
ENDPOINT_DELETE = {"id": "testonly.endpoint_delete", "summary": "Delete a SIP endpoint.", "method": "DELETE",
                   "path": "Endpoint/{endpoint_id}/", "class": "destructive", "params": [
                       {"name": "endpoint_id", "type": "string"}]}
SUBACCOUNT_LIST = {"id": "testonly.subaccount_list", "summary": "List subaccounts.", "method": "GET",
                   "path": "Subaccount/", "class": "read", "main_account_only": True, "params": [
                       {"name": "limit", "type": "integer", "minimum": 1, "maximum": 20}]}


# --- search and describe --------------------------------------------------------------------------------------------

async def test_search_lists_resources_then_one_line_per_operation(sandbox):
    async with Client(server_for(sandbox)) as client:
        listing = await ok(client, "search_operations")
        for name, text in catalog().resources.items():
            count = sum(op.resource == name for op in ops())
            assert f"{name}: {text} ({count} ops)" in listing["resources"]
        found = await ok(client, "search_operations", {"resource": "call", "limit": 50})
        expected = [op for op in ops() if op.resource == "call"]
        assert len(found["operations"]) == len(expected)
        by_id = {line.split(" ")[0]: line for line in found["operations"]}
        create = by_id["call.create"]
        assert create.startswith("call.create [costly] ") and create.endswith("-> use tool make_call")
        query = await ok(client, "search_operations", {"query": "kick a conference member"})
        assert query["operations"][0].startswith("conference.member_kick [destructive]")
        error = await err(client, "search_operations", {"resource": "calls"})
        assert error["parameter"] == "resource" and "call, conference" in error["error"]
    # A first-class tool the server does not offer is not pointed to.
    async with Client(server_for(sandbox, PLIVO_MCP_TOOLSETS="catalog")) as client:
        found = await ok(client, "search_operations", {"resource": "call", "limit": 50})
    assert not any("-> use tool" in line for line in found["operations"])


async def test_describe_gives_every_operation_its_argument_schema(sandbox):
    async with Client(server_for(sandbox)) as client:
        for op in ops():
            described = await ok(client, "describe_operation", {"operation_id": op.id})
            assert (described["method"], described["path"], described["class"]) == (op.method, op.path,
                                                                                       op.op_class)
            assert list(described["arguments"]["properties"]) == [p.name for p in op.params], op.id
            assert described["arguments"].get("required", []) == [p.name for p in op.params if p.required]
            assert (described["confirmation"] != "none") == op.guarded, op.id
        create = await ok(client, "describe_operation", {"operation_id": "call.create"})
        assert create["tool"] == "make_call" and create["arguments"]["properties"]["time_limit"]["maximum"] == 14400
        lookup = await ok(client, "describe_operation", {"operation_id": "lookup.get"})
        assert lookup["host"] == "lookup" and lookup["cost_note"]
        error = await err(client, "describe_operation", {"operation_id": "call.creat"})
    assert error["parameter"] == "operation_id" and "closest: call.create" in error["error"]


# --- validation before any request ----------------------------------------------------------------------------------

async def test_bad_arguments_are_refused_by_name_and_nothing_is_sent(wired):
    sb, recorder = wired
    cases = [
        ("call.create", {**CALL_ARGS, "bogus": 1}, "arguments.bogus", "takes no argument bogus"),
        ("call.create", {"from": FROM, "to": TO_US}, "arguments.answer_url", "Field required"),
        ("call.create", {**CALL_ARGS, "time_limit": 0}, "arguments.time_limit", "greater than or equal to 1"),
        ("call.create", {**CALL_ARGS, "time_limit": "long"}, "arguments.time_limit", "integer"),
        ("call.play", {"call_uuid": "../../Account", "urls": "https://e.com/a.mp3"}, "arguments.call_uuid",
         "plain identifier"),
        ("call.play", {"call_uuid": "abc", "urls": "https://e.com/a.mp3", "legs": "all"}, "arguments.legs",
         "'aleg', 'bleg' or 'both'"),
        ("lookup.get", {"number": "1?type=x"}, "arguments.number", "plain identifier"),
    ]
    async with Client(server_for(sb)) as client:
        for op_id, args, parameter, says in cases:
            error = await err(client, "call_operation", {"operation_id": op_id, "arguments": args})
            assert error["code"] == "invalid_argument" and error["parameter"] == parameter, (op_id, error)
            assert says in error["error"], error
        error = await err(client, "call_operation", {"operation_id": "call.create", "arguments": {"time_limit": 0}})
        assert set(error["parameters"]) == {"arguments.from", "arguments.to", "arguments.answer_url",
                                            "arguments.time_limit"}
        error = await err(client, "call_operation", {"operation_id": "call.play", "arguments": {}, "fields": "x"})
        assert error["parameter"] == "fields"
        error = await err(client, "call_operation", {"operation_id": "nope.nothing"})
        assert error["parameter"] == "operation_id"
        # Every operation: an unknown argument and (where there are some) the required ones left out.
        for op in ops():
            error = await err(client, "call_operation", {"operation_id": op.id, "arguments": {"zz_unknown": 1}})
            assert "arguments.zz_unknown" in error["error"], op.id
            required = [p.name for p in op.params if p.required]
            if required:
                assert f"arguments.{required[0]}" in error["parameters"] if "parameters" in error \
                    else error["parameter"] == f"arguments.{required[0]}", op.id
    assert recorder.requests == []


# --- every operation, end to end ------------------------------------------------------------------------------------

# Paths the sandbox's own resource modules serve: their objects are made by the test, not seeded from the catalog's
# examples (the generic simulation seeds those of every other resource, per account).
REAL_KINDS = frozenset({"", "Subaccount", "Application", "Endpoint", "Number", "PhoneNumber", "Message", "Call",
                        "Request", "Recording", "Pricing"})


@pytest.fixture
def frozen() -> Iterator[Sandbox]:
    """A sandbox whose clock moves only when the test advances it: a queued call stays queued, a live one live."""
    import datetime as dt

    from plivo_mcp.sandbox.clock import SandboxClock

    with Sandbox(db=":memory:", clock=SandboxClock(start=dt.datetime.now())) as sandbox:
        yield sandbox


def real_objects(sb: Sandbox) -> dict[str, Any]:
    """One object of each resource the sandbox implements itself, none attached to another (so that deleting one
    removes nothing else): a subaccount, application, endpoint, rented number and one for sale, a message, a
    completed call, a live one being recorded (then not), and a queued request."""
    from tests.test_parameter_types import calls_for

    number = sb.store.rent_number(sb.auth_id)
    api = httpx.Client(base_url=f"{sb.base_url}/v1/Account/{sb.auth_id}/", auth=(sb.auth_id, sb.auth_token),
                       timeout=10)
    with api:
        message = api.post("Message/", json={"src": number, "dst": "14155550123", "text": "hi"})
        completed, live, _ = calls_for(sb)
        recording = api.post(f"Call/{live}/Record/", json={"time_limit": 5}).raise_for_status().json()
        sb.clock.advance(10)  # the recording ends; the hour-long call goes on
        queued = api.post("Call/", json={"from": number, "to": "14155552671", "answer_url": ANSWER}).json()
        # An audio stream of the live call (its stream_id), where the sandbox serves streams.
        stream = api.post(f"Call/{live}/Stream/", json={"service_url": "wss://example.com/s"})
    rented = {n["number"] for n in sb.store.snapshot().get("numbers", [])}
    return {
        "subaccount_id": sb.store.create_subaccount(sb.auth_id, "Catalog Tenant")[0],
        "app_id": sb.store.create_application(sb.auth_id, "catalog_app", "https://example.com/a"),
        "endpoint_id": sb.store.create_endpoint(sb.auth_id, "catalog", "password1", "Catalog"),
        "number": number, "src": number, "from": number,
        "for_sale": next(i["number"] for i in sb.store.snapshot()["inventory"] if i["number"] not in rented),
        "message_uuid": message.raise_for_status().json()["message_uuid"][0],
        "recording_id": recording["recording_id"], "completed": completed, "live": live,
        "request_uuid": queued["request_uuid"], "queued": queued["request_uuid"],
        **({"stream_id": stream.json()["stream_id"]} if stream.status_code == 201 else {}),
    }


def on_real_objects(op: Operation, args: dict[str, Any], real: dict[str, Any]) -> dict[str, Any]:
    """The arguments with the test's objects in place of the examples, for an operation on a resource the sandbox
    implements itself."""
    kind = op.path.split("/")[0]
    if op.host != "api" or kind not in REAL_KINDS:
        return args
    out = dict(args)
    for name in args:
        if name == "call_uuid":
            cdr = op.method == "GET" and op.path == "Call/{call_uuid}/" and not op.fixed_query
            out[name] = real["queued" if op.fixed_query.get("status") == "queued" else "completed" if cdr else "live"]
        elif name == "number" and kind == "PhoneNumber":
            out[name] = real["for_sale"]
        elif name in real:
            out[name] = real[name]
    return out


def depth_first(op: Operation) -> tuple[int, int]:
    """Reads, writes, costly, then destructive operations, each deepest path first: nothing is removed before an
    operation on it or under it (a conference's member before the conference)."""
    return CLASS_ORDER[op.op_class], -op.path.count("/")


async def test_every_operation_answers_through_call_operation(frozen):
    sb = frozen
    real = real_objects(sb)
    succeeded, failed, pending = [], {}, {}
    server = server_for(sb, PLIVO_MCP_TOOLSETS="all")
    main = server.client
    async with Client(server) as client:
        for op in sorted(ops(), key=depth_first):
            args = example_arguments(op, required_only=True)
            if args is None:
                pending[op.id] = "a required parameter has no example"
                continue
            if op.method != "GET" and not any(p.required or p.place == "path" for p in op.params):
                args = example_arguments(op) or {}  # a write with nothing required needs something (account)
            # An operation on a resource the sandbox simulates from the catalog runs on a fresh subaccount, which
            # has its own seeded examples: one that removes a conference member leaves the next its own member.
            server.client = main
            if op.host == "api" and op.path.split("/")[0] not in REAL_KINDS and not op.main_account_only:
                server.client = main.for_credentials(*sb.store.create_subaccount(sb.auth_id, f"for {op.id}"))
            # The required arguments (optional filters name objects no account has), plus what the first-class
            # tool doing the same takes (a message's sender and text are optional to the API, not to a send).
            first_class = catalog_tools._FIRST_CLASS.get(op.tool or "")
            for name in first_class.required if first_class else ():
                param = op.param(name)
                if param is not None and param.example is not None:
                    args.setdefault(name, param.example)
            request = {"operation_id": op.id, "arguments": on_real_objects(op, args, real)}
            is_error, data = await call(client, "call_operation", request)
            if op.guarded and not is_error:
                assert data["status"] == "confirmation_required" and data["done"] is False, op.id
                is_error, data = await call(client, "call_operation",
                                            {**request, "confirmation_token": data["confirmation_token"]})
            if is_error:
                failed[op.id] = data["error"]
            else:
                assert data["_data"] == "untrusted" and data.get("status") != "confirmation_required", op.id
                succeeded.append(op.id)
    assert {"call.list_live", "call.hangup", "message.create", "application.delete"} <= set(succeeded), {
        op_id: (e["code"], e["error"][:100]) for op_id, e in failed.items()}
    assert not pending and not failed, {"pending": pending,
                                        "failed": {k: (e["code"], e["error"][:90]) for k, e in failed.items()}}
    assert len(succeeded) == len(ops())


async def test_lists_are_paged_and_projected_like_a_first_class_tool(extra_operations, wired):
    sb, _ = wired
    for i in range(3):
        sb.store.create_endpoint(sb.auth_id, f"desk{i}", "password1", f"Desk {i}")
    extra_operations({"id": "testonly.endpoint_list", "summary": "List SIP endpoints.", "method": "GET",
                      "path": "Endpoint/", "class": "read", "params": [
                          {"name": "limit", "type": "integer", "minimum": 1, "maximum": 20},
                          {"name": "offset", "type": "integer", "minimum": 0}]})
    async with Client(server_for(sb)) as client:
        page = await ok(client, "call_operation", {"operation_id": "testonly.endpoint_list",
                                                   "arguments": {"limit": 2}})
        assert page["page"]["returned"] == 2 and page["page"]["next_offset"] == 2 and page["page"]["total_count"] == 3
        columns = set(page["columns"]) | set(page.get("every_row", {}))
        assert {"endpoint_id", "username"} <= columns and "resource_uri" not in columns and len(columns) <= 8
        assert "password" not in columns  # not in the default projection
        more = await ok(client, "call_operation", {"operation_id": "testonly.endpoint_list",
                                                   "arguments": {"limit": 2}, "fields": "sip_uri"})
        assert all("sip_uri" in i for i in records(more))
        error = await err(client, "call_operation", {"operation_id": "testonly.endpoint_list", "fields": "nope"})
        assert error["parameter"] == "fields"
        # A list under its own key beside `meta` (10DLC brands, say) is a list all the same.
        brands = await ok(client, "call_operation", {"operation_id": "brand.list"})
        assert "brands" not in brands and "brand_id" in brands["columns"] and brands["page"]["returned"] >= 1
        everything = await ok(client, "call_operation", {"operation_id": "brand.list", "fields": "all"})
        assert "authorized_contact" in everything["columns"] + list(everything.get("every_row", {}))


# --- guards -----------------------------------------------------------------------------------------------------------

async def test_every_guarded_operation_refuses_without_confirmation_and_changes_nothing(wired):
    sb, recorder = wired
    guarded = [op for op in ops() if op.guarded]
    assert {op.op_class for op in guarded} == {"destructive", "costly"}
    async with Client(server_for(sb)) as plain, \
            Client(server_for(sb), elicitation_callback=answering(None, action="decline")) as declining:
        for op in guarded:
            args = example_arguments(op, synthesize=True)
            request = {"operation_id": op.id, "arguments": args}
            reader = catalog().reader_of(op)
            readable = readable_state(sb, op, args) if reader is not None else None
            before, seen = sb.store.snapshot(), len(recorder.requests)
            is_error, data = await call(plain, "call_operation", request)
            if is_error:  # refused before any preview: its object is not there, or a value has no price
                assert data["error"]["code"] in ("not_found", "invalid_argument"), (op.id, data)
            else:
                assert data["status"] == "confirmation_required" and data["done"] is False, op.id
            error = await err(declining, "call_operation", request)
            assert error["code"] in ("not_confirmed", "not_found", "invalid_argument"), (op.id, error)
            arrived = recorder.requests[seen:]
            assert not [r for r in arrived if r["method"] != "GET"], f"{op.id}: a write reached the sandbox"
            own_path = "/v1/" + ("" if op.host == "lookup" else f"Account/{sb.auth_id}/") + \
                catalog_tools.build_request(op, catalog_tools.validated(op, args)).path
            assert not [r for r in arrived if r["method"] == op.method and r["path"] == own_path], op.id
            assert sb.store.snapshot() == before, op.id
            if reader is not None:
                assert readable_state(sb, op, args) == readable, f"{op.id}: its resource changed"


def readable_state(sb: Sandbox, op: Operation, args: dict[str, Any]) -> tuple[int, Any]:
    """What a GET on the operation's path answers (status and body without its api_id), straight from the sandbox."""
    path = catalog_tools.build_request(op, catalog_tools.validated(op, args)).path
    base = f"{sb.base_url}/v1/" + ("" if op.host == "lookup" else f"Account/{sb.auth_id}/")
    answer = httpx.get(base + path, auth=(sb.auth_id, sb.auth_token), timeout=10)
    body = answer.json() if answer.content else None
    return answer.status_code, {k: v for k, v in (body or {}).items() if k != "api_id"}


async def test_costly_operation_reuses_the_first_class_preview_then_acts_once(sb):
    async with Client(server_for(sb)) as client:
        request = {"operation_id": "call.create", "arguments": {**CALL_ARGS, "to": f"{TO_US}<447700900123"}}
        preview, done = await two_step(client, "call_operation", request)
    shown = preview["preview"]
    assert shown["operation"] == "call.create" and shown["recipients"] == 2
    assert {r["to"]: r["rate_per_min_usd"] for r in shown["first"]} == {TO_US: "0.01200", "447700900123": "0.03250"}
    assert done["operation"] == "call.create" and len(done["request_uuid"]) == 2
    assert sorted(c["to_number"] for c in sb.store.snapshot()["calls"]) == sorted([TO_US, "447700900123"])


async def test_destructive_preview_shows_the_live_resource_or_refuses(extra_operations, sb):
    extra_operations(ENDPOINT_GET, ENDPOINT_DELETE)
    endpoint_id = sb.store.create_endpoint(sb.auth_id, "desk", "password1", "Front desk")
    async with Client(server_for(sb)) as client:
        request = {"operation_id": "testonly.endpoint_delete", "arguments": {"endpoint_id": endpoint_id}}
        preview = await ok(client, "call_operation", request)
        shown = preview["preview"]
        assert shown["will_remove"]["alias"] == "Front desk" and "resource_uri" not in shown["will_remove"]
        assert shown["request"] == {"method": "DELETE", "path": f"Endpoint/{endpoint_id}/"}
        done = await ok(client, "call_operation", {**request, "confirmation_token": preview["confirmation_token"]})
        assert done == {"_data": "untrusted", "operation": "testonly.endpoint_delete", "endpoint_id": endpoint_id}
        assert endpoint_id not in {e["endpoint_id"] for e in sb.store.snapshot()["endpoints"]}
        before = sb.store.snapshot()
        error = await err(client, "call_operation", request)  # gone: nothing to remove, nothing sent
        assert error["code"] == "not_found" and error["parameter"] == "arguments.endpoint_id"
        assert sb.store.snapshot() == before
    # A person confirms by typing the object's id (the path's last parameter).
    other = sb.store.create_endpoint(sb.auth_id, "desk2", "password1", "Back desk")
    seen: list[str] = []
    async with Client(server_for(sb), elicitation_callback=answering(other, seen=seen)) as asking:
        await ok(asking, "call_operation", {"operation_id": "testonly.endpoint_delete",
                                            "arguments": {"endpoint_id": other}})
    assert f"Type {other} to confirm" in seen[-1] and "Back desk" in seen[-1]
    assert other not in {e["endpoint_id"] for e in sb.store.snapshot()["endpoints"]}


async def test_reads_and_writes_are_never_guarded(extra_operations, sb):
    extra_operations(ENDPOINT_CREATE, ENDPOINT_GET)
    asked: list[str] = []
    async with Client(server_for(sb), elicitation_callback=answering("x", seen=asked)) as client:
        await ok(client, "call_operation", {"operation_id": "call.list_live"})
        created = await ok(client, "call_operation", {"operation_id": "testonly.endpoint_create", "arguments": {
            "username": "zoe", "password": "zoe-secret-1", "alias": "Zoe"}})
        assert created["message"] and created["endpoint_id"]
        read = await ok(client, "call_operation", {"operation_id": "testonly.endpoint_get",
                                                   "arguments": {"endpoint_id": created["endpoint_id"]}})
        assert read["alias"] == "Zoe"
    assert asked == []  # no elicitation for a read or a plain write


async def test_every_token_misuse_is_refused_and_changes_nothing(wired):
    sb, recorder = wired
    server = server_for(sb)
    create = {"operation_id": "call.create", "arguments": CALL_ARGS}
    kick = {"operation_id": "conference.member_kick", "arguments": {"conference_name": "room1", "member_id": "all"}}
    async with Client(server) as client:
        token = (await ok(client, "call_operation", create))["confirmation_token"]
        kick_token = (await ok(client, "call_operation", kick))["confirmation_token"]
        tool_token = (await ok(client, "make_call", {"from_number": FROM, "to": [TO_US],
                                                     "answer_url": ANSWER}))["confirmation_token"]
        misuse = {
            "another operation": (kick, token, "arguments differ"),
            "other arguments": ({**create, "arguments": {**CALL_ARGS, "to": "447700900123"}}, token,
                                "arguments differ"),
            "an extra argument": ({**create, "arguments": {**CALL_ARGS, "time_limit": 60}}, token, "arguments differ"),
            "the first-class tool's token": (create, tool_token, "issued for make_call"),
            "garbage": (create, "not-a-token", "signature"),
        }
        for label, (request, bad, says) in misuse.items():
            before, seen = sb.store.snapshot(), len(recorder.requests)
            error = await err(client, "call_operation", {**request, "confirmation_token": bad})
            assert error["code"] == "invalid_confirmation" and says in error["error"], (label, error)
            assert recorder.requests[seen:] == [] and sb.store.snapshot() == before, label
        # A call_operation token does not open the first-class tool either.
        error = await err(client, "make_call", {"from_number": FROM, "to": [TO_US], "answer_url": ANSWER,
                                                "confirmation_token": token})
        assert error["code"] == "invalid_confirmation" and "issued for call_operation" in error["error"]

        await ok(client, "call_operation", {**create, "confirmation_token": token})
        calls = len(sb.store.snapshot()["calls"])
        before, seen = sb.store.snapshot(), len(recorder.requests)
        error = await err(client, "call_operation", {**create, "confirmation_token": token})  # reuse
        assert error["code"] == "invalid_confirmation" and "already been used" in error["error"]
        assert writes_since(recorder, seen) == [] and len(sb.store.snapshot()["calls"]) == calls

        real_clock = server.guard.clock
        server.guard.clock = lambda: real_clock() + server.guard.ttl_s + 1
        before, seen = sb.store.snapshot(), len(recorder.requests)
        error = await err(client, "call_operation", {**kick, "confirmation_token": kick_token})
        assert error["code"] == "invalid_confirmation" and "expired" in error["error"]
        assert recorder.requests[seen:] == [] and sb.store.snapshot() == before


def writes_since(recorder: WireRecorder, seen: int) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in recorder.requests[seen:] if r["method"] != "GET"]


async def test_decline_and_a_wrong_answer_do_nothing(wired):
    sb, recorder = wired
    create = {"operation_id": "call.create", "arguments": CALL_ARGS}
    for callback in (answering(None, action="decline"), answering(None, action="cancel"), answering("999")):
        async with Client(server_for(sb), elicitation_callback=callback) as client:
            error = await err(client, "call_operation", create)
        assert error["code"] == "not_confirmed"
    assert writes(recorder) == [] and sb.store.snapshot()["calls"] == []
    async with Client(server_for(sb), elicitation_callback=answering(TO_US)) as client:
        done = await ok(client, "call_operation", create)
    assert [c["call_uuid"] for c in sb.store.snapshot()["calls"]] == [done["request_uuid"]]


# --- read-only mode, subaccounts, toolsets ----------------------------------------------------------------------------

async def test_read_only_mode_refuses_every_non_read_operation_by_name(wired):
    sb, recorder = wired
    asked: list[str] = []
    async with Client(server_for(sb, PLIVO_MCP_READ_ONLY="1"),
                      elicitation_callback=answering("x", seen=asked)) as client:
        offered = {t.name for t in (await client.list_tools()).tools}
        assert {"search_operations", "describe_operation", "call_operation"} <= offered
        assert "make_call" not in offered
        found = await ok(client, "search_operations", {"resource": "call", "limit": 50})
        assert all(" [read] " in line for line in found["operations"])
        for op in ops():
            if op.op_class == "read":
                continue
            args = example_arguments(op, synthesize=True)
            error = await err(client, "call_operation", {"operation_id": op.id, "arguments": args})
            assert error["code"] == "tool_unavailable" and op.id in error["error"] and "read-only" in error["error"]
            assert error["parameter"] == "operation_id"
            described = await ok(client, "describe_operation", {"operation_id": op.id})
            assert described["available"] is False
        assert recorder.requests == [] and asked == []
        await ok(client, "call_operation", {"operation_id": "call.list_live"})


async def test_subaccount_credentials_hide_and_refuse_main_account_operations(extra_operations, wired):
    sb, recorder = wired
    patched = extra_operations(SUBACCOUNT_LIST)
    main_only = [op for op in patched.operations.values() if op.main_account_only]
    sa, sa_token = sb.store.create_subaccount(sb.auth_id, "Tenant")
    async with Client(server_for(sb, auth_id=sa, auth_token=sa_token)) as client:
        listed = await ok(client, "search_operations", {"resource": "testonly"})
        assert "testonly.subaccount_list" not in json.dumps(listed)
        for op in main_only:
            found = await ok(client, "search_operations", {"query": op.summary, "limit": 50})
            assert not any(line.startswith(f"{op.id} ") for line in found["operations"]), op.id
            seen = len(recorder.requests)
            error = await err(client, "call_operation", {"operation_id": op.id,
                                                         "arguments": example_arguments(op, synthesize=True)})
            assert error["code"] == "tool_unavailable" and "main-account" in error["error"], op.id
            assert recorder.requests[seen:] == []
    async with Client(server_for(sb)) as main:
        listed = await ok(main, "search_operations", {"resource": "testonly"})
        assert listed["operations"][0].startswith("testonly.subaccount_list")
        page = await ok(main, "call_operation", {"operation_id": "testonly.subaccount_list"})
        assert records(page)[0]["name"] == "Tenant"


async def test_toolsets_can_leave_the_catalog_out(sandbox):
    async with Client(server_for(sandbox, PLIVO_MCP_TOOLSETS="account")) as client:
        offered = {t.name for t in (await client.list_tools()).tools}
        error = await err(client, "call_operation", {"operation_id": "call.list_live"})
    assert not offered & {"search_operations", "describe_operation", "call_operation"}
    assert error["code"] == "tool_unavailable" and "PLIVO_MCP_TOOLSETS" in error["error"]


# --- secrets, uploads, the lookup host --------------------------------------------------------------------------------

async def test_a_password_in_arguments_is_masked_in_answers(extra_operations, sb):
    extra_operations(ENDPOINT_CREATE)
    secret = "Zq-Secret-Endpoint-99"
    async with Client(server_for(sb)) as client:
        # The alias carries the secret too, and the answer echoes the alias: the secret given as
        # arguments.password is masked wherever it shows up in this call's answer.
        created = await client.call_tool("call_operation", {"operation_id": "testonly.endpoint_create",
                                                            "arguments": {"username": "ann", "password": secret,
                                                                          "alias": secret}})
        refused = await client.call_tool("call_operation", {"operation_id": "testonly.endpoint_create",
                                                            "arguments": {"username": "bad name!", "password": secret,
                                                                          "alias": secret}})
    assert json.loads(created.content[0].text)["alias"] == "***t-99"  # type: ignore[union-attr]
    error = json.loads(refused.content[0].text)["error"]  # type: ignore[union-attr]
    assert error["parameter"] == "arguments.username"  # Plivo's 400 names the argument as the caller gave it
    for answer in (created, refused):
        assert secret not in answer.content[0].text  # type: ignore[union-attr]
        assert secret not in json.dumps(answer.structured_content)
    assert sb.store.snapshot()["endpoints"][0]["alias"] == secret  # masked in the answer, sent as given


async def test_a_file_argument_is_validated_and_sent_as_multipart(extra_operations, wired):
    sb, recorder = wired
    extra_operations({"id": "testonly.media_upload", "summary": "Upload media.", "method": "POST",
                      "path": "Media/", "class": "write", "multipart": True, "params": [
                          {"name": "file", "type": "array", "items": "file", "required": True},
                          {"name": "note", "type": "string"}]})
    upload = {"filename": "a.png", "content_base64": base64.b64encode(b"\x89PNG-bytes").decode(),
              "content_type": "image/png"}
    async with Client(server_for(sb)) as client:
        for bad, parameter in (({"filename": "../etc/passwd", "content_base64": "aGk="}, "arguments.file"),
                               ({"filename": "a.txt", "content_base64": "not base64!"}, "arguments.file"),
                               ({"filename": "a.txt", "content_base64": "aGk=", "path": "/etc/passwd"},
                                "arguments.file")):
            error = await err(client, "call_operation", {"operation_id": "testonly.media_upload",
                                                         "arguments": {"file": [bad]}})
            assert error["parameter"] == parameter, error
        assert recorder.requests == []
        await call(client, "call_operation", {"operation_id": "testonly.media_upload",
                                              "arguments": {"file": [upload], "note": "logo"}})
    (sent,) = recorder.requests
    body = b"".join(sent["body"])
    assert sent["method"] == "POST" and sent["path"] == f"/v1/Account/{sb.auth_id}/Media/"
    assert sent["headers"][b"content-type"].startswith(b"multipart/form-data; boundary=")
    assert b'name="file"; filename="a.png"' in body and b"\x89PNG-bytes" in body and b"logo" in body


async def test_lookup_goes_to_the_lookup_host_with_the_accounts_credentials(wired):
    sb, recorder = wired
    request = {"operation_id": "lookup.get", "arguments": {"number": TO_US, "type": "carrier"}}
    async with Client(server_for(sb)) as client:
        preview = await ok(client, "call_operation", request)
        assert preview["preview"]["request"] == {"method": "GET", "path": f"Number/{TO_US}", "host": "lookup",
                                                 "query": {"type": "carrier"}}
        assert preview["preview"]["not_shown"].startswith("the cost: ")
        assert recorder.requests == []  # a costly read is not sent before it is confirmed
        is_error, answer = await call(client, "call_operation",
                                      {**request, "confirmation_token": preview["confirmation_token"]})
    (sent,) = recorder.requests
    assert (sent["method"], sent["path"], sent["query"]) == ("GET", f"/v1/Number/{TO_US}", b"type=carrier")
    expected_auth = b"Basic " + base64.b64encode(f"{sb.auth_id}:{sb.auth_token}".encode())
    assert sent["headers"][b"authorization"] == expected_auth
    assert not is_error and answer["_data"] == "untrusted", answer
    assert answer["carrier"] and TO_US in json.dumps(answer)


async def test_a_costly_read_is_sent_once_even_when_it_fails_transiently(wired):
    sb, recorder = wired
    request = {"operation_id": "lookup.get", "arguments": {"number": TO_US, "type": "carrier"}}
    async with Client(server_for(sb)) as client:
        token = (await ok(client, "call_operation", request))["confirmation_token"]
        sb.faults.push_statuses([503, 503, 503], methods={"GET"})  # a plain read would be retried through these
        error = await err(client, "call_operation", {**request, "confirmation_token": token})
        assert error["code"] == "upstream_error" and error["status"] == 503
        reads = await ok(client, "call_operation", {"operation_id": "call.list_live"})  # 2 faults left: retried
    assert [r["path"] for r in recorder.requests].count(f"/v1/Number/{TO_US}") == 1
    assert reads["calls"] == [] and len(recorder.requests) == 4


async def test_per_request_subaccount_credentials_hide_main_account_operations(extra_operations, sb):
    from tests.test_http import http_server, mcp_client

    extra_operations(SUBACCOUNT_LIST)
    sa, sa_token = sb.store.create_subaccount(sb.auth_id, "Tenant")
    with http_server(sb, PLIVO_MCP_ALLOW_REQUEST_CREDENTIALS=True) as (url, _):
        async with mcp_client(url, headers={"X-Plivo-Auth-Id": sa, "X-Plivo-Auth-Token": sa_token}) as tenant:
            listed = await ok(tenant, "search_operations", {"resource": "testonly"})
            error = await err(tenant, "call_operation", {"operation_id": "testonly.subaccount_list"})
        async with mcp_client(url) as main:
            main_listed = await ok(main, "search_operations", {"resource": "testonly"})
    assert listed["operations"] == [] and error["code"] == "tool_unavailable" and "main-account" in error["error"]
    assert main_listed["operations"][0].startswith("testonly.subaccount_list")


async def test_first_class_preview_mapping_matches_the_tools():
    # The previews reused for catalog operations take the tool's own parameter names.
    import inspect

    for name, first_class in catalog_tools._FIRST_CLASS.items():
        assert first_class.spec.name == name and first_class.spec.preview is not None
        accepted = set(inspect.signature(first_class.spec.preview).parameters)
        assert set(first_class.names) <= accepted, name
    assert catalog_tools._FIRST_CLASS["make_call"].spec is voice.make_call
    # ... and are fed from arguments the operation really has: every guarded operation a first-class tool does.
    covered = [op for op in ops() if op.guarded and op.tool and catalog_tools._FIRST_CLASS[op.tool].spec.guarded]
    assert {op.tool for op in covered} == set(catalog_tools._FIRST_CLASS)
    for op in covered:
        names = {p.name for p in op.params}
        assert set(catalog_tools._FIRST_CLASS[op.tool].names.values()) <= names, op.id


async def test_fields_narrow_an_object_answer_and_an_unknown_field_is_named(sandbox):
    async with Client(server_for(sandbox)) as client:
        brand = await ok(client, "call_operation", {"operation_id": "brand.get", "arguments": {"brand_id": "BPL3KN9"},
                                                    "fields": "brand_id,registration_status"})
        error = await err(client, "call_operation", {"operation_id": "brand.get",
                                                     "arguments": {"brand_id": "BPL3KN9"}, "fields": "colour"})
    assert brand["brand"] == {"brand_id": "BPL3KN9", "registration_status": "COMPLETED"}, brand
    assert error["parameter"] == "fields" and "colour" in error["error"]


async def test_the_log_line_names_the_operation_called(sandbox, monkeypatch):
    from plivo_mcp import server as server_module

    class Lines:  # the server's logger is made once per process: record what the server hands it
        def __init__(self) -> None:
            self.entries: list[dict[str, Any]] = []

        def info(self, event: str, **fields: Any) -> None:
            self.entries.append({"event": event, **fields})

    lines = Lines()
    monkeypatch.setattr(server_module, "_log", lambda: lines)
    async with Client(server_for(sandbox)) as client:
        await ok(client, "call_operation", {"operation_id": "conference.list"})
    calls = [entry for entry in lines.entries if entry["event"] == "tool_call"]
    assert [(c["tool"], c.get("operation")) for c in calls] == [("call_operation", "conference.list")]
