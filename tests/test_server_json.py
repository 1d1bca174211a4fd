"""server.json against the official MCP registry's rules (schema 2025-12-11) and against the package itself.

The schema below is a transcription of the constraints in the registry's published server.schema.json
(2025-12-11: the 2025-10-17 package rules plus remote URL variables); the registry's own publishing rules
that the schema does not express (an exact version for a PyPI package, the PyPI index, the README's
mcp-name marker) are checked separately.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from typing import Any

import pytest
from jsonschema import Draft7Validator

from plivo_mcp import __version__
from plivo_mcp.config import Settings
from tests.conftest import REPO_ROOT

SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"

_INPUT = {
    "type": "object",
    "properties": {
        "description": {"type": "string"},
        "isRequired": {"type": "boolean"},
        "format": {"type": "string", "enum": ["string", "number", "boolean", "filepath"]},
        "value": {"type": "string"},
        "isSecret": {"type": "boolean"},
        "default": {"type": "string"},
        "placeholder": {"type": "string"},
        "choices": {"type": "array", "items": {"type": "string"}},
    },
}
_INPUT_WITH_VARIABLES = {"allOf": [{"$ref": "#/definitions/Input"}, {
    "type": "object", "properties": {"variables": {"type": "object",
                                                   "additionalProperties": {"$ref": "#/definitions/Input"}}}}]}
_URL = {"type": "string", "pattern": r"^(https?://[^\s]+|\{[a-zA-Z_][a-zA-Z0-9_]*\}[^\s]*)$"}
SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$ref": "#/definitions/ServerDetail",
    "definitions": {
        "Input": _INPUT,
        "InputWithVariables": _INPUT_WITH_VARIABLES,
        "KeyValueInput": {"allOf": [{"$ref": "#/definitions/InputWithVariables"}, {
            "type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}]},
        "PositionalArgument": {"allOf": [{"$ref": "#/definitions/InputWithVariables"}, {
            "type": "object", "required": ["type"],
            "properties": {"type": {"type": "string", "enum": ["positional"]}, "valueHint": {"type": "string"},
                           "isRepeated": {"type": "boolean"}},
            "anyOf": [{"required": ["valueHint"]}, {"required": ["value"]}]}]},
        "NamedArgument": {"allOf": [{"$ref": "#/definitions/InputWithVariables"}, {
            "type": "object", "required": ["type", "name"],
            "properties": {"type": {"type": "string", "enum": ["named"]}, "name": {"type": "string"},
                           "isRepeated": {"type": "boolean"}}}]},
        "Argument": {"anyOf": [{"$ref": "#/definitions/PositionalArgument"},
                               {"$ref": "#/definitions/NamedArgument"}]},
        "StdioTransport": {"type": "object", "required": ["type"],
                           "properties": {"type": {"type": "string", "enum": ["stdio"]}}},
        "StreamableHttpTransport": {"type": "object", "required": ["type", "url"], "properties": {
            "type": {"type": "string", "enum": ["streamable-http"]}, "url": _URL,
            "headers": {"type": "array", "items": {"$ref": "#/definitions/KeyValueInput"}}}},
        "SseTransport": {"type": "object", "required": ["type", "url"], "properties": {
            "type": {"type": "string", "enum": ["sse"]}, "url": _URL,
            "headers": {"type": "array", "items": {"$ref": "#/definitions/KeyValueInput"}}}},
        "Repository": {"type": "object", "required": ["url", "source"], "properties": {
            "url": {"type": "string", "format": "uri"}, "source": {"type": "string"}, "id": {"type": "string"},
            "subfolder": {"type": "string"}}},
        "Package": {
            "type": "object",
            "required": ["registryType", "identifier", "transport"],
            "properties": {
                "registryType": {"type": "string"},
                "registryBaseUrl": {"type": "string", "format": "uri"},
                "identifier": {"type": "string"},
                "version": {"type": "string", "minLength": 1, "maxLength": 255, "not": {"const": "latest"}},
                "fileSha256": {"type": "string", "pattern": "^[a-f0-9]{64}$"},
                "runtimeHint": {"type": "string"},
                "transport": {"anyOf": [{"$ref": "#/definitions/StdioTransport"},
                                        {"$ref": "#/definitions/StreamableHttpTransport"},
                                        {"$ref": "#/definitions/SseTransport"}]},
                "runtimeArguments": {"type": "array", "items": {"$ref": "#/definitions/Argument"}},
                "packageArguments": {"type": "array", "items": {"$ref": "#/definitions/Argument"}},
                "environmentVariables": {"type": "array", "items": {"$ref": "#/definitions/KeyValueInput"}},
            },
        },
        "ServerDetail": {
            "type": "object",
            "required": ["name", "description", "version"],
            "properties": {
                "$schema": {"type": "string", "format": "uri"},
                "name": {"type": "string", "minLength": 3, "maxLength": 200,
                         "pattern": "^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$"},
                "title": {"type": "string", "minLength": 1, "maxLength": 100},
                "description": {"type": "string", "minLength": 1, "maxLength": 100},
                "version": {"type": "string", "maxLength": 255},
                "websiteUrl": {"type": "string", "format": "uri"},
                "repository": {"$ref": "#/definitions/Repository"},
                "packages": {"type": "array", "items": {"$ref": "#/definitions/Package"}},
                "remotes": {"type": "array", "items": {"anyOf": [
                    {"$ref": "#/definitions/StreamableHttpTransport"}, {"$ref": "#/definitions/SseTransport"}]}},
                "_meta": {"type": "object"},
            },
        },
    },
}
_RANGE = re.compile(r"^[\^~<>=]|[*xX](\.|$)|\s|\|\|")


def registry_problems(doc: dict[str, Any]) -> list[str]:
    """Everything the registry would refuse: schema errors plus its publishing rules."""
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                for e in Draft7Validator(SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER).iter_errors(doc)]
    if doc.get("$schema") != SCHEMA_URL:
        problems.append(f"$schema must be {SCHEMA_URL}")
    if isinstance(doc.get("version"), str) and (doc["version"] == "latest" or _RANGE.search(doc["version"])):
        problems.append("version must be exact")
    for i, package in enumerate(doc.get("packages") or []):
        if package.get("registryType") in ("pypi", "npm", "nuget"):
            version = package.get("version")
            if not isinstance(version, str) or version == "latest" or _RANGE.search(version):
                problems.append(f"packages/{i}: a {package.get('registryType')} package needs an exact version")
        if package.get("registryType") == "pypi" and package.get("registryBaseUrl", "https://pypi.org") not in (
                "https://pypi.org",):
            problems.append(f"packages/{i}: PyPI packages must come from https://pypi.org")
    return problems


@pytest.fixture(scope="module")
def server_json() -> dict[str, Any]:
    return json.loads((REPO_ROOT / "server.json").read_text())


def test_server_json_passes_the_registry_rules(server_json: dict[str, Any]) -> None:
    assert registry_problems(server_json) == []
    assert len(server_json["description"]) <= 100


def test_versions_match_the_package(server_json: dict[str, Any]) -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert server_json["version"] == pyproject["version"] == __version__
    (package,) = [p for p in server_json["packages"] if p["registryType"] == "pypi"]
    assert package["identifier"] == pyproject["name"]
    assert package["version"] == __version__


def test_stdio_package_declares_its_environment_and_marks_the_token_secret(server_json: dict[str, Any]) -> None:
    (package,) = server_json["packages"]
    assert package["transport"] == {"type": "stdio"}
    env = {v["name"]: v for v in package["environmentVariables"]}
    assert env["PLIVO_AUTH_ID"]["isRequired"] and not env["PLIVO_AUTH_ID"]["isSecret"]
    assert env["PLIVO_AUTH_TOKEN"]["isRequired"] and env["PLIVO_AUTH_TOKEN"]["isSecret"]
    settings_names = {field.alias for field in Settings.model_fields.values()}
    assert set(env) <= settings_names, set(env) - settings_names  # only variables the server actually reads
    secret_fields = {f.alias for f in Settings.model_fields.values() if f.repr is False}
    assert all(env[name]["isSecret"] for name in secret_fields & set(env))


def test_readme_carries_the_pypi_ownership_marker(server_json: dict[str, Any]) -> None:
    assert f"<!-- mcp-name: {server_json['name']} -->" in (REPO_ROOT / "README.md").read_text()


@pytest.mark.parametrize(("break_it", "expected"), [
    (lambda d: d.pop("version"), "'version' is a required property"),
    (lambda d: d.update(name="plivo-mcp"), "does not match"),
    (lambda d: d.update(name="io.github.a/b/c"), "does not match"),
    (lambda d: d.update(description="x" * 101), "is too long"),
    (lambda d: d["packages"][0].update(version="latest"), "exact version"),
    (lambda d: d["packages"][0].update(version="^0.1.0"), "exact version"),
    (lambda d: d["packages"][0].pop("version"), "exact version"),
    (lambda d: d["packages"][0].pop("transport"), "'transport' is a required property"),
    (lambda d: d["packages"][0]["environmentVariables"][1].pop("name"), "'name' is a required property"),
    (lambda d: d["packages"][0].update(registryBaseUrl="https://test.pypi.org"), "https://pypi.org"),
    (lambda d: d.update({"$schema": SCHEMA_URL.replace("2025-12-11", "2025-07-09")}), "$schema"),
])
def test_the_check_rejects_what_the_registry_rejects(server_json: dict[str, Any], break_it: Any,
                                                     expected: str) -> None:
    broken = copy.deepcopy(server_json)
    break_it(broken)
    problems = registry_problems(broken)
    assert any(expected in p for p in problems), problems
