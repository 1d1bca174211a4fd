"""The one function that runs every tool, as the SDK sees it: resolve the dependencies, pass the guard, call the
handler, encode the answer. Cross-cutting work lives here once, so each handler reads as its intent."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
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


def tool_function(spec: ToolSpec, guard_params: Sequence[inspect.Parameter] = ()
                  ) -> Callable[..., Awaitable[CallToolResult]]:
    """The function the SDK registers for `spec`: its signature is the tool's arguments (bundles flat), plus
    the request context, plus `guard_params` for a guarded tool."""

    async def run(ctx: Context, **arguments: Any) -> CallToolResult:
        host = host_of(ctx)
        # A password argument is masked wherever it shows up in this call's answer and log lines.
        add_request_secrets(v for k, v in arguments.items() if k in SECRET_KEYS and isinstance(v, str))
        try:
            deps = deps_for(ctx)
            if spec.guarded:
                token, confirmed = arguments.pop(TOKEN_PARAM, None), arguments.pop(CONFIRMED_PARAM, None)
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
