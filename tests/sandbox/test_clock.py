"""The sandbox clock follows real time and moves forward on purpose, never back."""

from __future__ import annotations

import datetime as dt

import pytest

from plivo_mcp.sandbox import Sandbox
from plivo_mcp.sandbox.clock import SandboxClock


def test_a_fixed_start_plus_advances() -> None:
    clock = SandboxClock(start=dt.datetime(2026, 1, 31, 12, 0))
    assert clock() == dt.datetime(2026, 1, 31, 12, 0)
    assert clock.advance(90) == dt.datetime(2026, 1, 31, 12, 1, 30)
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_the_sandbox_runs_on_it_by_default() -> None:
    sb = Sandbox()
    before = sb.clock()
    sb.clock.advance(3600)  # type: ignore[attr-defined]
    assert sb.clock() - before >= dt.timedelta(hours=1)
    assert sb.store.clock is sb.clock
