"""Input schemas as pydantic generates them, trimmed to what an assistant needs: same constraints, fewer tokens."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

UNREACHED_MAX_LENGTH = 1024
UNREACHED_MAXIMUM = 100_000  # e.g. an offset: the server still refuses more, by name


def compact_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Trim what pydantic generates to what an assistant needs: same constraints, fewer tokens.

    Drops the auto-generated titles and folds `anyOf[T, null]` (an optional argument) into T: leaving an
    argument out is how a caller says "not given", and the server still accepts an explicit null. A URL or a date
    shows as its `format` without the regex; length caps and maximums no assistant would reach (>= 1024, >= 100,000)
    and defaults that say "off" or "from the start" (false, 0) are left out:
    the server still validates both exactly, and names the parameter if a value breaks them.
    """

    def fold(prop: dict[str, Any]) -> dict[str, Any]:
        prop = {k: v for k, v in prop.items() if k != "title"}
        options = prop.get("anyOf")
        if isinstance(options, list):
            non_null = [o for o in options if o != {"type": "null"}]
            if len(non_null) == 1 and len(non_null) < len(options):
                inner = {k: v for k, v in non_null[0].items() if k != "title"}
                outer = {k: v for k, v in prop.items() if k != "anyOf"}
                prop = {**inner, **outer}
                if prop.get("default", 0) is None:
                    del prop["default"]
        if prop.get("format") in ("uri", "date"):
            prop.pop("pattern", None)
        if prop.get("maxLength", 0) >= UNREACHED_MAX_LENGTH:
            del prop["maxLength"]
        if prop.get("maximum", 0) >= UNREACHED_MAXIMUM:
            del prop["maximum"]
        if "enum" in prop and prop.get("type") == "string":
            del prop["type"]  # the enum's values say it
        if prop.get("default", True) in (False, 0) and prop.get("type") in ("boolean", "integer"):
            del prop["default"]  # what leaving the argument out means anyway: off, or from the start
        return prop

    out = {k: v for k, v in schema.items() if k != "title"}
    out["properties"] = {name: fold(p) for name, p in schema.get("properties", {}).items()}
    return out


def without_null_options(arguments: dict[str, Any] | None, required: Iterable[str]) -> dict[str, Any]:
    """The arguments with every optional one sent as null left out: null means "not given", the default applies.

    Clients that convert schemas to strict mode (the OpenAI Agents SDK) make every argument required and send
    null for each optional one they leave out; an optional integer or boolean would refuse it. One rule here,
    before validation, covers every tool's options (limit, offset, all_pages, max_items, enabled, cascade...).
    A required argument sent as null stays, and is refused by name.
    """
    keep = set(required)
    return {name: value for name, value in (arguments or {}).items() if value is not None or name in keep}
