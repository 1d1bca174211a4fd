"""The byte layer under the SDK's stdio transport: the process's pipes read and written on the event loop.

The SDK's `stdio_server()` frames, validates and serialises JSON-RPC; left to itself it also reads stdin and
writes stdout through anyio's worker threads, three thread hand-offs per call that cost more than the rest of
a tool call (bench/call_overhead.py). Given pipes, as every MCP client spawns its server with, this module
hands it loop-native streams instead: the SDK's own `stdin`/`stdout` parameters, the same framing. Anything
else (a terminal, a file, Windows) keeps the SDK's default.

Like the SDK's default, it points fd 0 at the null device and fd 1 at stderr while serving, so a stray
`print` or a child process cannot write into the JSON-RPC stream.

On either path, end of input waits for the answers still owed (`AnswersOwed`): the SDK's dispatcher cancels
every request in flight when its input ends, so `printf '<requests>' | plivo-mcp serve` lost all but the
first answers, although the client was still reading.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from types import TracebackType
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


# --- answers owed at end of input ------------------------------------------------------------------------
# Long enough for any call the server makes (timeouts and retries included); a client that wants the process
# gone sooner ends it, as the MCP lifecycle says, with SIGTERM.
DRAIN_TIMEOUT_S = 120.0


class AnswersOwed:
    """The requests each side still owes an answer to: the client's requests, and the server's to the client."""

    def __init__(self) -> None:
        import anyio

        self.to_client: set[Any] = set()  # ids of the client's requests not answered yet
        self.to_server: set[Any] = set()  # ids of the server's requests (elicitations) the client has not answered
        self._changed = anyio.Event()

    def _note(self) -> None:
        import anyio

        self._changed.set()
        self._changed = anyio.Event()

    def received(self, item: Any) -> None:
        from mcp.types import JSONRPCError, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse

        message = getattr(item, "message", None)
        if isinstance(message, JSONRPCRequest):
            self.to_client.add(message.id)
        elif isinstance(message, JSONRPCResponse | JSONRPCError):
            self.to_server.discard(message.id)
        elif isinstance(message, JSONRPCNotification) and message.method == "notifications/cancelled":
            # A request the client cancelled is never answered: nothing is owed for it any more.
            self.to_client.discard((message.params or {}).get("requestId"))
        else:
            return
        self._note()

    def sent(self, item: Any) -> None:
        from mcp.types import JSONRPCError, JSONRPCRequest, JSONRPCResponse

        message = getattr(item, "message", None)
        if isinstance(message, JSONRPCResponse | JSONRPCError):
            self.to_client.discard(message.id)
        elif isinstance(message, JSONRPCRequest):
            self.to_server.add(message.id)
        else:
            return
        self._note()

    async def changed(self) -> None:
        await self._changed.wait()


class _DrainingReader:
    """The SDK's read stream, whose end is held back until every request read from it has been answered.

    Once input has ended, a request the server sends the client (an elicitation) can never be answered: it gets
    a CONNECTION_CLOSED error here, as if from the client, so the tool fails closed and still answers its call.
    After DRAIN_TIMEOUT_S the end is passed on regardless, and the SDK answers what is left "Connection closed".
    """

    def __init__(self, inner: Any, owed: AnswersOwed, timeout_s: float = DRAIN_TIMEOUT_S) -> None:
        self._inner = inner
        self._owed = owed
        self._timeout_s = timeout_s
        self._deadline: float | None = None

    @property
    def last_context(self) -> Any:  # the sender's context, for the SDK's dispatcher
        return None if self._deadline is not None else getattr(self._inner, "last_context", None)

    async def receive(self) -> Any:
        import anyio

        if self._deadline is None:
            try:
                item = await self._inner.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                self._deadline = anyio.current_time() + self._timeout_s
            else:
                self._owed.received(item)
                return item
        return await self._after_end()

    async def _after_end(self) -> Any:
        import anyio
        from mcp.shared.message import SessionMessage
        from mcp.types import CONNECTION_CLOSED, ErrorData, JSONRPCError

        assert self._deadline is not None
        with anyio.move_on_after(max(0.0, self._deadline - anyio.current_time())):
            while self._owed.to_client and not self._owed.to_server:
                await self._owed.changed()
        if self._owed.to_client and self._owed.to_server and anyio.current_time() < self._deadline:
            request_id = self._owed.to_server.pop()
            return SessionMessage(JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(
                code=CONNECTION_CLOSED, message="the client closed its input before answering")))
        raise anyio.EndOfStream

    def __aiter__(self) -> _DrainingReader:
        return self

    async def __anext__(self) -> Any:
        import anyio

        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _DrainingReader:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()


class _WatchedWriter:
    """The SDK's write stream, noting each answer (and each request to the client) once it is handed over."""

    def __init__(self, inner: Any, owed: AnswersOwed) -> None:
        self._inner = inner
        self._owed = owed

    async def send(self, item: Any) -> None:
        await self._inner.send(item)
        self._owed.sent(item)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _WatchedWriter:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()


async def serve_stdio(lowlevel_server: Any) -> None:
    """Serve one MCP session on the process's stdin/stdout (loop-native when they are pipes)."""
    from mcp.server.stdio import stdio_server

    async with AsyncExitStack() as stack:
        pipes: dict[str, Any] = {}
        if loop_native_stdio_possible():
            pipes["stdin"], pipes["stdout"] = await stack.enter_async_context(loop_native_stdio())
        read_stream, write_stream = await stack.enter_async_context(stdio_server(**pipes))
        owed = AnswersOwed()
        await lowlevel_server.run(_DrainingReader(read_stream, owed), _WatchedWriter(write_stream, owed),
                                  lowlevel_server.create_initialization_options())
