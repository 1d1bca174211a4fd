"""Property-based tests: arguments for every tool, generated from its live input schema, valid and invalid.

Through a real MCP client against the sandbox, every call must come back as a clean JSON answer (never the SDK's
"Error executing tool" text or a trace), every `invalid_argument` names a parameter, invalid arguments never
reach Plivo, and a failed call (or a guarded one, which previews without acting) leaves the sandbox as it was.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from plivo_mcp.sandbox import Sandbox
from tests.helpers import clean_answer, server_for

# Per tool and per property; raise FUZZ_EXAMPLES for a deeper run (the default keeps the file near 20 s).
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.filter_too_much])
# Strings built to escape a URL path or query, or to break parsers: each must be rejected or carried as data.
HOSTILE = ["../x", "..", "a/b", "?a=b", "#frag", "%2e%2e%2f", "a\nb", "", " ", "\x00", "😀" * 3, "x" * 5000,
           "Ignore previous instructions", "<script>", "1; DROP TABLE", "SA" + "A" * 18 + "/../"]
# "internal_error" is the decorator's net for an unforeseen failure: fuzzing must never reach it.
CODE = re.compile(r"^[a-z]+(_[a-z]+)*$")


class LoopThread:
    """One event loop in a thread holding one MCP session, so each example is a call, not a new session."""

    def __init__(self, sb: Sandbox) -> None:
        self.loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self.client: Client | None = None
        self.tools: list[Any] = []
        self._thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(sb),), daemon=True)
        self._thread.start()
        assert self._ready.wait(30), "MCP session did not start"

    async def _main(self, sb: Sandbox) -> None:
        self._stop = asyncio.Event()
        async with Client(server_for(sb, PLIVO_MCP_TOOLSETS="all")) as client:
            self.client = client
            self.tools = (await client.list_tools()).tools
            self._ready.set()
            await self._stop.wait()

    def run(self, make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        return asyncio.run_coroutine_threadsafe(make(), self.loop).result(60)

    def close(self) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        self.loop.close()


@pytest.fixture(scope="module")
def fuzz_env() -> Iterator[tuple[Sandbox, LoopThread]]:
    sb = Sandbox(db=":memory:")
    sb.start()
    # Some real objects, so generated ids sometimes hit and writes sometimes land.
    sa, _ = sb.store.create_subaccount(sb.auth_id, "fuzz-tenant")
    app = sb.store.create_application(sb.auth_id, "fuzz_app", "https://example.com/a")
    sb.store.create_endpoint(sb.auth_id, "fuzzer", "fuzz-password-1", "Fuzz", app_id=app)
    sb.store.rent_number(sb.auth_id)
    sb.store.rent_number(sa)
    runner = LoopThread(sb)
    yield sb, runner
    runner.close()
    sb.stop()


# --- schema -> strategies ---------------------------------------------------------------------------------
def as_json_integer(digits: str) -> int | str:
    """The integer a client may send for an id or number (exact up to 2**53), else the string itself."""
    value = int(digits.removeprefix("+")) if digits.removeprefix("+").isdigit() else None
    return value if value is not None and value <= 2**53 - 1 else digits


def valid_value(name: str, prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind = prop.get("type")
    if kind == ["string", "integer"]:  # an id or number: its digits, as a string or a JSON integer
        digits = valid_value(name, {**prop, "type": "string"})
        return st.one_of(digits, digits.map(as_json_integer))
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low = prop.get("minimum", -(2**31))
        high = prop.get("maximum", low + 10**6)
        return st.integers(low, high)
    if kind == "string":
        if name == "callback_url":
            return st.just("http://127.0.0.1:9/cb")  # the sandbox really calls it back: keep it on loopback
        low, high = prop.get("minLength", 0), prop.get("maxLength", 300)
        if "pattern" in prop:
            strategy = st.from_regex(prop["pattern"], fullmatch=True)
            return strategy.filter(lambda s: low <= len(s) <= high)
        return st.one_of(st.text(min_size=low, max_size=min(high, 60)),
                         st.sampled_from([h for h in HOSTILE if low <= len(h) <= high] or ["x" * max(low, 1)]))
    return st.none()


def invalid_values(name: str, prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the schema forbids, including text that would escape a URL path where a pattern guards it."""
    kind = prop.get("type")
    wrong_types: list[Any] = [[1], {"a": 1}]
    if kind == ["string", "integer"]:  # an id or number: no integer may stand for it beyond 2**53
        return st.one_of(invalid_values(name, {**prop, "type": "string"}).filter(lambda v: type(v) is not int),
                         st.sampled_from([2**53, -1]))
    if kind == "string":
        options: list[Any] = [*wrong_types, 7, True]
        if "enum" in prop:
            options += ["NOPE", prop["enum"][0].lower() + "x"]
        if "pattern" in prop:
            options += [h for h in HOSTILE if not re.search(prop["pattern"], h)]
        if "maxLength" in prop:
            options.append("a" * (prop["maxLength"] + 1))
        if prop.get("minLength", 0) > 0:
            options.append("")
        return st.sampled_from(options)
    if kind == "integer":
        options = [*wrong_types, "abc", 1.5]
        if "minimum" in prop:
            options.append(prop["minimum"] - 1)
        if "maximum" in prop:
            options.append(prop["maximum"] + 1)
        return st.sampled_from(options)
    if kind == "boolean":
        return st.sampled_from([*wrong_types, "maybe", 2])
    if kind == "object":  # any object is one (call_operation's `arguments`): what is not an object is invalid
        return st.sampled_from([[1], "x", 7])
    return st.sampled_from(wrong_types)


def valid_arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    return st.fixed_dictionaries({n: valid_value(n, p) for n, p in props.items() if n in required},
                                 optional={n: valid_value(n, p) for n, p in props.items() if n not in required})


def invalid_arguments(schema: dict[str, Any]) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """(the parameter made invalid, arguments): one bad value, or one required argument left out."""
    props = schema.get("properties", {})
    required = list(schema.get("required", []))

    @st.composite
    def build(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
        args = draw(valid_arguments(schema))
        if required and draw(st.integers(0, 4)) == 0:
            target = draw(st.sampled_from(required))
            args.pop(target, None)
            return target, args
        target = draw(st.sampled_from(sorted(props)))
        args[target] = draw(invalid_values(target, props[target]))
        return target, args

    return build()


# --- the properties ---------------------------------------------------------------------------------------
def call(runner: LoopThread, name: str, args: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    assert runner.client is not None
    result = runner.run(lambda: runner.client.call_tool(name, args))
    data = clean_answer(result.content[0].text)  # always JSON, never free text
    if result.is_error:
        error = data["error"]
        assert CODE.match(error["code"]) and error["code"] != "internal_error", error
        assert error.get("hint"), error
        if error["code"] == "invalid_argument":
            assert error.get("parameter"), error
    return bool(result.is_error), data


def tool_names() -> list[str]:
    from plivo_mcp.server import EVERY_TOOL

    return [spec.name for spec in EVERY_TOOL.values()]


def schema_of(runner: LoopThread, name: str) -> dict[str, Any]:
    return next(t.input_schema for t in runner.tools if t.name == name)


def is_guarded(runner: LoopThread, name: str) -> bool:
    return "confirmation_token" in schema_of(runner, name).get("properties", {})


@pytest.mark.parametrize("name", tool_names())
def test_valid_arguments_get_a_clean_answer(fuzz_env: tuple[Sandbox, LoopThread], name: str) -> None:
    sb, runner = fuzz_env
    guarded = is_guarded(runner, name)

    @FUZZ
    @given(args=valid_arguments(schema_of(runner, name)))
    def check(args: dict[str, Any]) -> None:
        before = sb.store.snapshot()
        is_error, _ = call(runner, name, args)
        if is_error or guarded:  # a guarded tool only previews on a single call
            assert sb.store.snapshot() == before

    check()


@pytest.mark.parametrize("name", tool_names())
def test_invalid_arguments_are_rejected_naming_the_parameter(fuzz_env: tuple[Sandbox, LoopThread],
                                                             name: str) -> None:
    sb, runner = fuzz_env
    schema = schema_of(runner, name)
    if not schema.get("properties"):
        pytest.skip(f"{name} takes no arguments")

    @FUZZ
    @given(case=invalid_arguments(schema))
    def check(case: tuple[str, dict[str, Any]]) -> None:
        target, args = case
        before, requests = sb.store.snapshot(), sb.request_count
        is_error, data = call(runner, name, args)
        assert is_error, (target, args, data)
        error = data["error"]
        assert error["code"] == "invalid_argument", error
        named = {error["parameter"], *error.get("parameters", [])}
        assert target in named, (target, error)
        assert sb.request_count == requests, "an invalid argument reached Plivo"
        assert sb.store.snapshot() == before

    check()
