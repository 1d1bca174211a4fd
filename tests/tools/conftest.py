"""MCP clients wired to a fresh sandbox: the server under test talks to it over real loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from mcp import Client

from plivo_mcp.sandbox import Sandbox
from tests.helpers import server_for


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    sandbox = Sandbox(db=":memory:")
    sandbox.start(host="127.0.0.1", port=0)
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
async def client(sb: Sandbox) -> AsyncIterator[Client]:
    async with Client(server_for(sb)) as c:
        yield c


