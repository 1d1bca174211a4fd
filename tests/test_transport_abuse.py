"""The HTTP transport under the attack from the security report, against a real `plivo-mcp serve --transport http`.

A process of its own, so that its open-file limit can sit below the number of attacking connections (the report:
1,100 half-open connections under a limit of 1,024 left /mcp and /healthz unanswered), and so that its log lines
can be counted. Timeouts and the connection cap are set small for the test; every wait is for an event, bounded.
"""

from __future__ import annotations

import json
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import httpx
import pytest

from plivo_mcp.sandbox import Sandbox
from tests.conftest import REPO_ROOT
from tests.helpers import call, clean_env, stop_process
from tests.test_http import TOKEN, mcp_client

pytestmark = pytest.mark.anyio

REQUEST_TIMEOUT_S = 1.5
IDLE_TIMEOUT_S = 1.0
MAX_CONNECTIONS = 16
FILE_LIMIT = 256  # soft and hard: the server cannot raise it
FLOOD = 300  # silent connections: more than the server has file descriptors
# Generous: the server closes on its timeouts; this only bounds how long the test waits for that.
CLOSE_WITHIN_S = REQUEST_TIMEOUT_S + 10

# The server under a file limit it cannot raise, started on a free port that it reports in its "serving" line.
_LAUNCH = (
    "import resource, runpy, sys\n"
    f"resource.setrlimit(resource.RLIMIT_NOFILE, ({FILE_LIMIT}, {FILE_LIMIT}))\n"
    "sys.argv = ['plivo-mcp', 'serve', '--transport', 'http', '--port', '0']\n"
    "runpy.run_module('plivo_mcp', run_name='__main__')\n"
)


@contextmanager
def guarded_server(sb: Sandbox) -> Iterator[tuple[int, list[str]]]:
    """(port, the server's stderr lines so far); the lines are complete once the block has exited."""
    env = clean_env(PLIVO_AUTH_ID=sb.auth_id, PLIVO_AUTH_TOKEN=sb.auth_token, PLIVO_API_URL=sb.base_url,
                    PLIVO_MCP_HTTP_TOKEN=TOKEN, PLIVO_MCP_HTTP_REQUEST_TIMEOUT_S=str(REQUEST_TIMEOUT_S),
                    PLIVO_MCP_HTTP_IDLE_TIMEOUT_S=str(IDLE_TIMEOUT_S),
                    PLIVO_MCP_HTTP_MAX_CONNECTIONS=str(MAX_CONNECTIONS))
    proc = subprocess.Popen([sys.executable, "-c", _LAUNCH], cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    ports: list[int] = []
    ready = threading.Event()

    def read_stderr() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            lines.append(line)
            if '"serving"' in line:
                ports.append(int(json.loads(line)["url"].rsplit(":", 1)[1].split("/")[0]))
                ready.set()
        ready.set()  # the process ended before serving: let the wait below fail at once

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert ready.wait(30) and ports, "".join(lines)[-3000:]
        yield ports[0], lines
    finally:
        stop_process(proc)
        reader.join(timeout=10)


def flood(port: int, count: int, wave: int = 100) -> list[socket.socket]:
    """`count` connections that never send a byte, opened `wave` at a time. Before the next wave, the server must
    have shed all but its cap of them: the proof it holds no more than that, and it keeps the accept queue short
    enough that no connection attempt waits for a resent SYN."""
    socks: list[socket.socket] = []
    while len(socks) < count:
        opened = []
        for _ in range(min(wave, count - len(socks))):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            opened.append(sock)
        with selectors.DefaultSelector() as selector:
            for sock in opened:
                selector.register(sock, selectors.EVENT_WRITE)
            pending, deadline = len(opened), time.monotonic() + 30
            while pending and time.monotonic() < deadline:
                for key, _ in selector.select(timeout=0.5):
                    selector.unregister(key.fileobj)
                    pending -= 1
        assert not pending, f"{pending} connections were never established"
        socks += opened
        still_open = open_sockets(socks, at_most=MAX_CONNECTIONS, within=CLOSE_WITHIN_S)
        assert len(still_open) <= MAX_CONNECTIONS, f"{len(still_open)} silent connections held open"
    return socks


def raw(port: int, data: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(data)
    return sock


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length (all this server sends), read within the socket's timeout."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        assert chunk, "closed in the middle of a response"
        body += chunk
    return int(status_line.split()[1]), headers, body


def open_sockets(socks: list[socket.socket], at_most: int = 0, within: float = CLOSE_WITHIN_S
                 ) -> list[socket.socket]:
    """The sockets the server has not closed (EOF or reset), once no more than `at_most` remain or `within`
    seconds have passed; anything else they receive is read and ignored."""
    open_socks = set(socks)
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + within
        while len(open_socks) > at_most and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=min(0.5, max(0.0, deadline - time.monotonic()))):
                sock = key.fileobj
                try:
                    closed = sock.recv(65536) == b""  # type: ignore[union-attr]
                except ConnectionResetError:
                    closed = True
                except BlockingIOError:
                    closed = False
                if closed:
                    selector.unregister(sock)
                    open_socks.discard(sock)  # type: ignore[arg-type]
    return [s for s in socks if s in open_socks]


def request_head(port: int, method: str, path: str, *, token: str | None = TOKEN, extra: str = "") -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}"
            f"Accept: application/json, text/event-stream\r\n{extra}").encode()


def close_all(socks: list[socket.socket]) -> None:
    for sock in socks:
        sock.close()


@pytest.mark.slow
async def test_attacking_connections_are_shed_and_the_real_client_is_served(sb: Sandbox) -> None:
    attackers: list[socket.socket] = []
    with guarded_server(sb) as (port, lines):
        base = f"http://127.0.0.1:{port}"
        try:
            # A held GET /mcp: in stateless JSON mode the SDK opened an event stream that never closed.
            held_get = raw(port, request_head(port, "GET", "/mcp") + b"\r\n")
            attackers.append(held_get)
            status, headers, _ = read_response(held_get)
            assert status == 405 and headers["allow"] == "POST"

            with httpx.Client(base_url=base, timeout=10) as anonymous:
                refused = [anonymous.post("/mcp", json={}).status_code for _ in range(20)]
            assert refused == [401] * 20

            # A flood of silent connections, then unfinished headers, kept-alive connections left idle, and a
            # refused request whose body keeps trickling in (each byte stops uvicorn's own idle timer).
            attackers += flood(port, FLOOD)
            attackers += [raw(port, request_head(port, "POST", "/mcp", token=None)) for _ in range(2)]
            for _ in range(2):
                attackers.append(raw(port, request_head(port, "GET", "/healthz", token=None) + b"\r\n"))
                assert read_response(attackers[-1])[0] == 200
            trickle = raw(port, request_head(port, "POST", "/mcp", token=None, extra="Content-Length: 1000\r\n\r\n"))
            assert read_response(trickle)[0] == 401
            trickle.sendall(b"{")
            attackers.append(trickle)

            # Meanwhile the real client is served, and so is the health check.
            with anyio.fail_after(20):
                async with mcp_client(base) as client:
                    is_error, account = await call(client, "get_account")
                    assert not is_error and account["auth_id"] == sb.auth_id
                    assert len((await client.list_tools()).tools) > 0
            assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200

            # Every attacking connection is closed by the server on its timeouts (or to make room).
            assert open_sockets(attackers) == []

            # At the cap with every connection busy on a request (bodies still arriving), a newcomer gets a 503.
            busy = [busy_request(port) for _ in range(MAX_CONNECTIONS)]
            attackers += busy
            with socket.create_connection(("127.0.0.1", port), timeout=10) as newcomer:
                status, headers, body = read_response(newcomer)
            assert status == 503 and headers["retry-after"] == "1" and json.loads(body)["error"] == "server_busy"
            assert open_sockets(busy) == []  # a body that never completes times out too
            assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        finally:
            close_all(attackers)

    events = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(lines) == len(events)  # every line is a JSON log line
    by_reason: dict[str, int] = {}
    for event in events:
        if event["event"] in ("http_rejected", "http_connection_closed"):
            by_reason[event["reason"]] = by_reason.get(event["reason"], 0) + 1
    # One line per reason over these few seconds, whatever the number of refusals (20 unauthorized alone).
    assert by_reason.get("unauthorized") == 1 and by_reason.get("method_not_allowed") == 1, by_reason
    assert by_reason.get("connection_limit", 0) >= 1 and by_reason.get("request_timeout") == 1, by_reason
    assert all(count <= 2 for count in by_reason.values()), by_reason
    # Library lines too (the SDK logs a traceback for each request cut off by the timeout): two at most of each.
    repeats = Counter((event.get("logger"), event["event"].split(":")[0], event.get("reason")) for event in events)
    assert max(repeats.values()) <= 2, repeats.most_common(3)
    assert len(lines) < 40, "".join(lines)[-3000:]  # hundreds of connections and refusals, a few dozen lines


def busy_request(port: int) -> socket.socket:
    """An authenticated POST whose body never completes: a request in progress until the request timeout.

    `Expect: 100-continue` makes the server say when the app starts reading the body: from then on the request
    is in progress, with no race against the server reading its headers.
    """
    sock = raw(port, request_head(port, "POST", "/mcp", extra="Content-Type: application/json\r\n"
                                  "Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n"))
    interim = b""
    while b"\r\n\r\n" not in interim:
        chunk = sock.recv(1024)
        assert chunk, "closed before 100 Continue"
        interim += chunk
    assert interim.startswith(b"HTTP/1.1 100 "), interim
    sock.sendall(b'{"jsonrpc": "2.0"')
    return sock
