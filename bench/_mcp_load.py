"""A load generator for MCP over HTTP that costs little per call, so a benchmark's CPU goes to the server.

`clients` keep-alive HTTP/1.1 connections making `tools/call` POSTs to /mcp (stateless, protocol 2025-11-25,
bearer token: what bench/_http.py's McpOverHttp sends), one call in flight on each, a round's calls taken by
whichever connection is free. Built on asyncio Protocols, not streams or an
HTTP library: each request is a pre-encoded head and body with only the JSON-RPC id written in per call (fixed
width, so Content-Length is fixed too), and each answer is read as status line, Content-Length and body. An answer
counts as a success only when it is a 200 whose JSON-RPC answer is this call's `result` (not an `error`), with
`"isError":false` and the text `expect` (e.g. the account's auth_id: the upstream's answer made it through), all
checked on the raw bytes without decoding the JSON. Anything else (another status, a chunked or unframed answer,
a dropped connection) is an error, and the benchmark's figure is void unless errors are 0.
"""

from __future__ import annotations

import asyncio
import json
import time

PROTOCOL = "2025-11-25"
FIRST_ID = 10_000_000  # ids stay 8 digits wide (JSON allows no leading zeros), so the body's length is fixed
LAST_ID = 99_999_999


class _Connection(asyncio.Protocol):
    def __init__(self, prefix: bytes, suffix: bytes, expect: bytes) -> None:
        self.prefix, self.suffix, self.expect = prefix, suffix, expect
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.length = -1  # the current answer's Content-Length once its head is read
        self.status_ok = False
        self.call_id = 0
        self.in_flight = False
        self.sent_at = 0.0
        self.round: _Round | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.round is not None and self.in_flight:
            self.in_flight = False
            self.round.errors += 1  # the call it was waiting for; the rest go to the other connections
            self.round.finished()

    def start(self, load_round: _Round) -> None:
        self.round = load_round
        self._send(load_round.take())

    def _send(self, call_id: int) -> None:
        assert self.transport is not None
        self.call_id, self.in_flight = call_id, True
        self.sent_at = time.perf_counter()
        self.transport.write(self.prefix + b"%d" % call_id + self.suffix)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.length < 0:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end + 2]
            self.status_ok = head.startswith(b"HTTP/1.1 200 ")
            at = head.lower().find(b"\r\ncontent-length:")
            if at < 0:  # chunked or close-delimited: not what this server sends for a JSON answer
                self._fail()
                return
            self.length = int(head[at + 17:head.index(b"\r\n", at + 2)])
            self.buffer = self.buffer[end + 4:]
        if len(self.buffer) < self.length:
            return
        body, self.buffer, self.length = self.buffer[:self.length], self.buffer[self.length:], -1
        load_round = self.round
        assert load_round is not None
        load_round.latencies.append(time.perf_counter() - self.sent_at)
        ok = (self.status_ok and body.startswith(b'{"jsonrpc":"2.0","id":%d,"result":' % self.call_id)
              and b'"isError":false' in body and self.expect in body)
        if not ok:
            load_round.errors += 1
        self.in_flight = False
        if load_round.left:
            self._send(load_round.take())
        else:
            load_round.finished()

    def _fail(self) -> None:
        assert self.transport is not None
        self.transport.close()  # connection_lost counts this call and the rest as errors


class _Round:
    """One round's calls, taken one at a time by whichever connection is free (closed loop): with a fixed count
    per connection, connections on a less busy worker would finish early and leave it idle while the rest end."""

    def __init__(self, first_id: int, calls: int, connections: int, *, until_stopped: bool = False) -> None:
        self.next_id, self.left, self.running = first_id, calls, connections
        self.until_stopped = until_stopped
        self.latencies: list[float] = []
        self.errors = 0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def take(self) -> int:
        self.left -= 1
        self.next_id += 1
        return self.next_id - 1

    def finished(self) -> None:
        """A connection has no more to do (or was lost)."""
        self.running -= 1
        if self.running == 0 and not self.done.done():
            if self.left and not self.until_stopped:  # every connection lost: the calls never sent are errors
                self.errors += self.left
            self.done.set_result(None)


class McpLoad:
    """`clients` connections to 127.0.0.1:`port` calling `tool` (no arguments): `run(calls)` makes a round of
    `calls`; `start()` keeps every connection calling until `stop()`, for measuring a window of steady load."""

    def __init__(self, port: int, clients: int, tool: str, token: str, expect: bytes) -> None:
        self.port, self.clients = port, clients
        body = json.dumps({"jsonrpc": "2.0", "id": FIRST_ID, "method": "tools/call",
                           "params": {"name": tool, "arguments": {}}}, separators=(",", ":")).encode()
        head = (f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json, text/event-stream\r\n"
                f"Content-Type: application/json\r\nAuthorization: Bearer {token}\r\n"
                f"MCP-Protocol-Version: {PROTOCOL}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        before, _, after = body.partition(b"%d" % FIRST_ID)
        self.prefix, self.suffix, self.expect = head + before, after, expect
        self.conns: list[_Connection] = []
        self._round: _Round | None = None

    @property
    def next_id(self) -> int:
        return self._round.next_id if self._round is not None else FIRST_ID

    async def connect(self) -> None:
        """Open connections up to `clients`, replacing any the server has closed (uvicorn drops keep-alive
        connections idle for 5 s, e.g. while the other server of a comparison is measured)."""
        loop = asyncio.get_running_loop()
        self.conns = [conn for conn in self.conns if conn.transport is not None]
        while len(self.conns) < self.clients:
            _, conn = await loop.create_connection(lambda: _Connection(self.prefix, self.suffix, self.expect),
                                                   "127.0.0.1", self.port)
            self.conns.append(conn)

    async def run(self, calls: int, timeout_s: float = 300.0) -> tuple[float, list[float], int]:
        """`calls` calls (at least one per connection) over the connections at once, each connection taking the
        next as soon as it has its answer; returns wall time, latencies, errors."""
        t0 = time.perf_counter()
        load_round = self.start(calls)
        await asyncio.wait_for(load_round.done, timeout_s)
        return time.perf_counter() - t0, load_round.latencies, load_round.errors

    def start(self, calls: int | None = None) -> _Round:
        """Every connection starts calling, taking calls until `calls` are taken or, with None, until `stop`; the
        round's `latencies` (one per answer, in order) and `errors` can be read while it runs."""
        if self._round is not None and not self._round.done.done():
            raise RuntimeError("the previous round is still running")
        live = [conn for conn in self.conns if conn.transport is not None]
        until_stopped = calls is None
        calls = LAST_ID - self.next_id if calls is None else calls
        if not live or calls < len(live) or self.next_id + calls > LAST_ID:
            raise ValueError("no connection, fewer calls than connections, or too many calls for fixed-width ids")
        load_round = _Round(self.next_id, calls, len(live), until_stopped=until_stopped)
        self._round = load_round
        for conn in live:
            conn.start(load_round)
        return load_round

    async def stop(self, timeout_s: float = 60.0) -> None:
        """No more calls: wait for the ones in flight (each still checked and counted)."""
        load_round = self._round
        assert load_round is not None
        load_round.left = 0
        await asyncio.wait_for(load_round.done, timeout_s)

    def close(self) -> None:
        for conn in self.conns:
            if conn.transport is not None:
                conn.transport.close()
