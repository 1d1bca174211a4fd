"""The one function that runs every tool, as the SDK sees it: resolve the dependencies, pass the guard, call the
handler, encode the answer. Cross-cutting work lives here once, so each handler reads as its intent."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from plivo_mcp.core.answers import answer, error_result, name_unsafe_argument, unexpected_failure
from plivo_mcp.core.deps import deps_for, host_of
from plivo_mcp.core.sdk import with_signature
from plivo_mcp.core.spec import ToolSpec
from plivo_mcp.errors import PlivoToolError
from plivo_mcp.secrets import SECRET_KEYS, add_request_secrets

# The guard's two parameters on a guarded tool: the visible token and the hidden confirmation (a resolver).
TOKEN_PARAM, CONFIRMED_PARAM = "confirmation_token", "confirmed"
MAX_SECRET_DEPTH = 8


def tool_function(spec: ToolSpec, guard_params: Sequence[inspect.Parameter] = ()
                  ) -> Callable[..., Awaitable[CallToolResult]]:
    """The function the SDK registers for `spec`: its signature is the tool's arguments (bundles flat), plus
    the request context, plus `guard_params` for a guarded tool."""

    async def run(ctx: Context, **arguments: Any) -> CallToolResult:
        host = host_of(ctx)
        # A password argument, at any depth (call_operation's `arguments.password`), is masked wherever it shows
        # up in this call's answer and log lines.
        add_request_secrets(secret_values(arguments))
        try:
            deps = deps_for(ctx)
            if spec.guarded:
                token, confirmed = arguments.pop(TOKEN_PARAM, None), arguments.pop(CONFIRMED_PARAM, None)
                if spec.guards(arguments):
                    held = await host.guard.authorize(spec, deps, arguments, token, confirmed)
                    if held is not None:
                        return answer(held, reveal=host.config.reveal_secrets)  # the preview and its token
            data = await spec.handler(deps, **spec.pack(arguments))
        except PlivoToolError as exc:
            return error_result(name_unsafe_argument(exc, arguments))
        except Exception as exc:  # a bug or an answer shape we did not foresee: still a clean answer
            return error_result(unexpected_failure(spec.name, exc))
        return answer(data, reveal=host.config.reveal_secrets)

    context = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
    return with_signature(run, spec.name, [*spec.parameters(), *guard_params, context], spec.handler.__doc__)


def secret_values(arguments: Any, depth: int = 0) -> Iterator[str]:
    """The string values under a secret key (password, auth_token, ...) anywhere in `arguments`."""
    if depth > MAX_SECRET_DEPTH:  # arguments are JSON a caller sent: bounded, but not by us
        return
    if isinstance(arguments, list):
        for item in arguments:
            yield from secret_values(item, depth + 1)
    elif isinstance(arguments, dict):
        for key, value in arguments.items():
            if isinstance(key, str) and key.lower() in SECRET_KEYS and isinstance(value, str):
                yield value
            elif isinstance(value, dict | list):
                yield from secret_values(value, depth + 1)
