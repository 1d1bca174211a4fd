"""MCP clients wired to a fresh sandbox: the server under test talks to it over real loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from plivo_mcp.sandbox import Sandbox
from tests.helpers import server_for


@pytest.fixture
async def client(sb: Sandbox) -> AsyncIterator[Client]:
    async with Client(server_for(sb)) as c:
        yield c


