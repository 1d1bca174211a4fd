"""MCP prompts kept as Markdown files with a small front matter, loaded once at start-up.

File format (`prompts/<name>.md`):

    ---
    name: audit_account
    title: Audit the account
    description: One line shown in the client's prompt picker.
    tools: list_subaccounts, list_applications
    arguments:
      - name: country_iso
        description: ISO country code.
        required: false
        default: US
    ---
    Body. {country_iso} is replaced by the argument's value; other braces are left as they are.

The front matter is a fixed, small subset of YAML parsed here, so the wheel needs no YAML library.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp.server.mcpserver.prompts.base import Prompt

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class PromptFileError(ValueError):
    """A prompt file that does not follow the format; names the file and the problem."""


@dataclass(frozen=True)
class PromptArg:
    name: str
    description: str
    required: bool
    default: str | None = None


@dataclass(frozen=True)
class PromptFile:
    name: str
    title: str
    description: str
    tools: tuple[str, ...]
    arguments: tuple[PromptArg, ...]
    body: str
    path: Path = field(compare=False)

    def render(self, values: dict[str, Any]) -> str:
        """Fill the declared placeholders; a missing optional argument takes its default (or "")."""
        known = {a.name: (a.default or "") for a in self.arguments}
        known.update({k: str(v) for k, v in values.items() if k in known and v not in (None, "")})
        return _PLACEHOLDER.sub(lambda m: known.get(m.group(1), m.group(0)), self.body).strip() + "\n"


def prompts_dir() -> Path:
    """prompts/ inside the installed package (the wheel force-includes it), else the source checkout's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "prompts", here.parent / "prompts"):
        if candidate.is_dir() and any(candidate.glob("*.md")):
            return candidate
    return here / "prompts"


def _scalar(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _bool(value: str, where: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise PromptFileError(f"{where}: expected true or false, got {value!r}")
    return lowered == "true"


def parse_prompt_file(path: Path) -> PromptFile:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise PromptFileError(f"{path.name}: must start with a '---' front matter line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise PromptFileError(f"{path.name}: front matter is not closed with '---'") from None
    meta: dict[str, str] = {}
    args: list[dict[str, str]] = []
    in_args = False
    for lineno, raw in enumerate(lines[1:end], start=2):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        where = f"{path.name}:{lineno}"
        if not raw.startswith(" "):
            key, sep, value = raw.partition(":")
            if not sep:
                raise PromptFileError(f"{where}: expected 'key: value'")
            key = key.strip()
            in_args = key == "arguments"
            if in_args:
                if value.strip() not in ("", "[]"):
                    raise PromptFileError(f"{where}: arguments is a list of '- name: ...' items")
                continue
            meta[key] = _scalar(value)
            continue
        if not in_args:
            raise PromptFileError(f"{where}: unexpected indented line")
        item = raw.strip()
        if item.startswith("- "):
            args.append({})
            item = item[2:]
        elif not args:
            raise PromptFileError(f"{where}: an argument starts with '- name: ...'")
        key, sep, value = item.partition(":")
        if not sep:
            raise PromptFileError(f"{where}: expected 'key: value'")
        args[-1][key.strip()] = _scalar(value)

    name = meta.get("name") or path.stem
    if not _NAME.match(name):
        raise PromptFileError(f"{path.name}: name {name!r} must be lower_snake_case")
    if not meta.get("description"):
        raise PromptFileError(f"{path.name}: description is required")
    arguments = []
    for i, arg in enumerate(args):
        arg_name = arg.get("name", "")
        if not _NAME.match(arg_name):
            raise PromptFileError(f"{path.name}: argument {i + 1} needs a lower_snake_case name")
        arguments.append(PromptArg(name=arg_name, description=arg.get("description", ""),
                                   required=_bool(arg.get("required", "false"), f"{path.name}: {arg_name}"),
                                   default=arg.get("default")))
    body = "\n".join(lines[end + 1:])
    declared = {a.name for a in arguments}
    unknown = sorted(set(_PLACEHOLDER.findall(body)) - declared)
    if unknown:
        raise PromptFileError(f"{path.name}: body uses undeclared arguments {unknown}")
    tools = tuple(t.strip() for t in meta.get("tools", "").split(",") if t.strip())
    return PromptFile(name=name, title=meta.get("title") or name.replace("_", " ").capitalize(),
                      description=meta["description"], tools=tools, arguments=tuple(arguments), body=body,
                      path=path)


def load_prompt_files(directory: Path | None = None) -> list[PromptFile]:
    files = [parse_prompt_file(p) for p in sorted((directory or prompts_dir()).glob("*.md"))
             if p.name.lower() != "readme.md"]
    names = [f.name for f in files]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise PromptFileError(f"duplicate prompt names: {duplicates}")
    return files


def _renderer(prompt: PromptFile) -> Callable[..., str]:
    def render(**kwargs: Any) -> str:
        return prompt.render(kwargs)

    return render


@functools.cache
def _file_prompt_class() -> type[Prompt]:
    from mcp.server.mcpserver.prompts.base import Prompt
    from mcp.shared.exceptions import MCPError
    from mcp.types import INVALID_PARAMS

    class FilePrompt(Prompt):
        # The SDK reports a missing required argument as an internal error; it is the caller's INVALID_PARAMS.
        async def render(self, arguments: dict[str, Any] | None, context: Any) -> Any:
            given = arguments or {}
            missing = sorted(a.name for a in self.arguments or [] if a.required and not given.get(a.name))
            if missing:
                raise MCPError(code=INVALID_PARAMS,
                               message=f"prompt {self.name} needs argument(s): {', '.join(missing)}")
            return await super().render(arguments, context)

    return FilePrompt


def to_sdk_prompt(prompt: PromptFile) -> Prompt:
    from mcp.server.mcpserver.prompts.base import PromptArgument

    description = prompt.description
    if prompt.tools:
        description += f" Uses: {', '.join(prompt.tools)}."
    return _file_prompt_class()(
        name=prompt.name, title=prompt.title, description=description, fn=_renderer(prompt), context_kwarg=None,
        arguments=[PromptArgument(name=a.name, required=a.required,
                                  description=a.description + (f" Default: {a.default}." if a.default else ""))
                   for a in prompt.arguments])


def sdk_prompts(available_tools: Iterable[str], directory: Path | None = None) -> list[Prompt]:
    """Prompts whose tools are all offered (read-only mode drops the ones that need a write)."""
    offered = set(available_tools)
    return [to_sdk_prompt(p) for p in load_prompt_files(directory) if set(p.tools) <= offered]
