"""The route table: every resource module is in it, and no path is declared twice."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import plivo_mcp.sandbox
from plivo_mcp.sandbox.app import SandboxApp
from plivo_mcp.sandbox.faults import FaultPlan
from plivo_mcp.sandbox.router import Resource
from plivo_mcp.sandbox.routes import RESOURCES
from plivo_mcp.sandbox.store import Store


def test_every_resource_module_is_in_the_route_table() -> None:
    declared = {}
    for info in pkgutil.iter_modules(plivo_mcp.sandbox.__path__):
        module = importlib.import_module(f"plivo_mcp.sandbox.{info.name}")
        if isinstance(getattr(module, "RESOURCE", None), Resource):
            declared[info.name] = module.RESOURCE
    assert len(declared) >= 7, "the resource modules were not found"
    missing = [name for name, resource in declared.items() if resource not in RESOURCES]
    assert missing == [], f"resource modules left out of routes.RESOURCES: {missing}"


def test_a_path_declared_by_two_resources_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import plivo_mcp.sandbox.app as app_module

    twice = Resource(paths={"Application/": {"GET": lambda ctx: (200, None)}})
    monkeypatch.setattr(app_module, "RESOURCES", (*RESOURCES, twice))
    with pytest.raises(ValueError, match="Application/"):
        SandboxApp(Store(), FaultPlan())
