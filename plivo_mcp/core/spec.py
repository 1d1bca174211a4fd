"""A tool's definition, the toolset it belongs to, and parameter bundles.

A resource module declares its tools with `@tool(...)` (which returns a `ToolSpec`; nothing is registered as a
side effect) and one `Toolset` listing them; `plivo_mcp/tools/__init__.py` names every toolset in one list.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, get_type_hints

Handler = Callable[..., Awaitable[Any]]
Preview = Callable[..., Awaitable[dict[str, Any]]]
# Whether one call of a guarded tool needs confirmation, from its arguments (None: every call does).
GuardWhen = Callable[[dict[str, Any]], bool]


class ParamBundle:
    """Parameters that several tools share, declared once as a dataclass of `Annotated` fields.

    A handler takes one bundle parameter (keyword-only, e.g. `*, page: ListPage`); the tool's input schema shows
    the bundle's fields flat, in its place, and the handler receives them packed in one object.
    """


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    handler: Handler
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False
    main_account_only: bool = False
    # For guarded tools: computes from live state what the call will do (see plivo_mcp/guard.py).
    preview: Preview | None = None
    # For a tool whose calls are guarded or not by their arguments (call_operation: by the operation's class):
    # the guard stands in front of a call only when this says so. A call it lets through is never previewed,
    # elicited or asked for a token.
    guard_when: GuardWhen | None = None
    # Offered in read-only mode although it can write, because it refuses every write itself, by name
    # (call_operation: a read operation is allowed, any other refused before anything is sent).
    refuses_writes_when_read_only: bool = False

    @property
    def guarded(self) -> bool:
        """Whether the tool has a guard at all (its schema then takes a confirmation_token)."""
        return self.preview is not None

    def guards(self, arguments: dict[str, Any]) -> bool:
        """Whether this call, with these arguments, must pass the guard."""
        return self.preview is not None and (self.guard_when is None or self.guard_when(arguments))

    @property
    def description(self) -> str:
        # The untrusted-data marker is explained once, in the server's instructions: every answer carries it.
        return " ".join((self.handler.__doc__ or "").split())

    def parameters(self) -> list[inspect.Parameter]:
        """The arguments a caller gives, in schema order: the handler's, bundles expanded, `deps` left out."""
        hints = get_type_hints(self.handler, include_extras=True)
        out: list[inspect.Parameter] = []
        for param in list(inspect.signature(self.handler).parameters.values())[1:]:  # the first is deps
            annotation = hints.get(param.name, param.annotation)
            if isinstance(annotation, type) and issubclass(annotation, ParamBundle):
                out += bundle_parameters(annotation)
            else:
                out.append(param.replace(annotation=annotation, kind=inspect.Parameter.KEYWORD_ONLY))
        return out

    @functools.cached_property
    def _bundles(self) -> dict[str, tuple[type[ParamBundle], list[str]]]:
        # Read once per tool: resolving type hints costs more than the rest of a call's own work.
        hints = get_type_hints(self.handler)
        return {name: (annotation, [f.name for f in dataclasses.fields(annotation)])  # type: ignore[arg-type]
                for name, annotation in hints.items()
                if isinstance(annotation, type) and issubclass(annotation, ParamBundle)}

    def pack(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The caller's flat arguments as the handler takes them: each bundle's fields in its object."""
        if not self._bundles:
            return arguments
        packed = dict(arguments)
        for name, (bundle, fields) in self._bundles.items():
            packed[name] = bundle(**{n: packed.pop(n) for n in fields if n in packed})
        return packed


def bundle_parameters(bundle: type[ParamBundle]) -> list[inspect.Parameter]:
    hints = get_type_hints(bundle, include_extras=True)
    return [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[f.name],
                              default=f.default if f.default is not dataclasses.MISSING else inspect.Parameter.empty)
            for f in dataclasses.fields(bundle)]  # type: ignore[arg-type]


def tool(*, title: str, read_only: bool = False, destructive: bool = False, idempotent: bool = False,
         main_account_only: bool = False, preview: Preview | None = None, guard_when: GuardWhen | None = None,
         refuses_writes_when_read_only: bool = False) -> Callable[[Handler], ToolSpec]:
    """Declare a handler as a tool. The handler takes the typed dependencies first (`deps: Deps`), then its
    arguments, and returns plain data; the core turns that into the answer (masking, compact JSON, errors).
    A tool with a `preview` is guarded: it acts only once that preview is confirmed (plivo_mcp/guard.py);
    with `guard_when` too, only the calls it names are (the others go straight to the handler)."""

    def decorate(handler: Handler) -> ToolSpec:
        return ToolSpec(name=handler.__name__, title=title, handler=handler, read_only=read_only,
                        destructive=destructive, idempotent=idempotent, main_account_only=main_account_only,
                        preview=preview, guard_when=guard_when,
                        refuses_writes_when_read_only=refuses_writes_when_read_only)

    return decorate


@dataclass(frozen=True)
class Toolset:
    """A group of tools an operator turns on or off together (`--toolsets`)."""

    name: str
    description: str
    tools: Sequence[ToolSpec]
    default: bool = True
