"""The byte layer under the SDK's stdio transport: the process's pipes read and written on the event loop.

The SDK's `stdio_server()` frames, validates and serialises JSON-RPC; left to itself it also reads stdin and
writes stdout through anyio's worker threads, three thread hand-offs per call that cost more than the rest of
a tool call (bench/call_overhead.py). Given pipes, as every MCP client spawns its server with, this module
hands it loop-native streams instead: the SDK's own `stdin`/`stdout` parameters, the same framing. Anything
else (a terminal, a file, Windows) keeps the SDK's default.

Like the SDK's default, it points fd 0 at the null device and fd 1 at stderr while serving, so a stray
`print` or a child process cannot write into the JSON-RPC stream.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

# One JSON-RPC message per line; no real message comes near this. A longer line is skipped and the SDK sees
# an empty one instead, which it drops as malformed, as it does any unreadable line: reading goes on.
MAX_LINE_BYTES = 64 * 1024 * 1024
OVERSIZED_LINE = "\n"


def _is_pipe(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def loop_native_stdio_possible() -> bool:
    return sys.platform != "win32" and _is_pipe(0) and _is_pipe(1)


class _Lines:
    """What the SDK iterates for stdin: decoded lines, ending at EOF."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        try:
            line = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            line = exc.partial  # the last message may come without its newline
        except asyncio.LimitOverrunError:
            await self._skip_line()
            return OVERSIZED_LINE
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", errors="replace")

    async def _skip_line(self) -> None:
        while True:
            try:
                await self._reader.readuntil(b"\n")
                return
            except asyncio.LimitOverrunError as exc:
                await self._reader.readexactly(exc.consumed)
            except asyncio.IncompleteReadError:
                return


class _Writer:
    """What the SDK writes stdout through: write, then flush waits for the pipe to take it."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, text: str) -> None:
        self._writer.write(text.encode("utf-8"))

    async def flush(self) -> None:
        await self._writer.drain()


def _divert(fd: int, path: str, flags: int) -> None:
    target = os.open(path, flags)
    try:
        os.dup2(target, fd)
    finally:
        os.close(target)


@asynccontextmanager
async def loop_native_stdio() -> AsyncIterator[tuple[Any, Any]]:
    """(stdin, stdout) for `stdio_server(stdin=..., stdout=...)`, with fd 0/1 diverted while serving."""
    loop = asyncio.get_running_loop()
    wire_in, wire_out = os.dup(0), os.dup(1)
    saved_in, saved_out = os.dup(0), os.dup(1)
    in_transport = out_transport = None
    try:
        _divert(0, os.devnull, os.O_RDONLY)
        try:
            os.dup2(2, 1)
        except OSError:  # no stderr to divert to
            _divert(1, os.devnull, os.O_WRONLY)
        reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
        in_transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                                       os.fdopen(wire_in, "rb", 0))
        out_transport, out_protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin,
                                                                    os.fdopen(wire_out, "wb", 0))
        writer = asyncio.StreamWriter(out_transport, out_protocol, None, loop)
        yield _Lines(reader), _Writer(writer)
    finally:
        for transport in (in_transport, out_transport):
            if transport is not None:
                transport.close()
        # The pipes were made non-blocking for the loop; whoever holds them next expects blocking ones.
        for fd, saved in ((0, saved_in), (1, saved_out)):
            os.set_blocking(saved, True)
            os.dup2(saved, fd)
            os.close(saved)
