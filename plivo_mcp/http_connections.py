"""The HTTP transport's connection layer: how long a client may take, how many connections are held, what is logged.

uvicorn on its own times out a kept-alive connection only after a response: a connection that never finishes
its request headers, or never sends a byte, stays open for good, and enough of them exhaust the process's file
descriptors until neither /mcp nor /healthz answers. `GuardedH11Protocol` (uvicorn's h11 protocol, passed as
`http=`) adds:

- an idle timeout from the moment a connection opens, not only between requests;
- a request timeout: from the moment the server waits for a request, the client has that long to send all of
  it, headers and body (a 401 sent before the body was read does not reopen the wait);
- a cap on open connections. At the cap a new connection first takes the place of the longest-waiting one that
  has no request in progress (connections that never completed a request go first, so a flood of silent
  connections cannot push out a client that is using the server); only when every connection is busy with a
  request is the newcomer refused with a 503.

Imported only by `serve --transport http`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.h11_impl import H11Protocol

from plivo_mcp.log_throttle import REJECTIONS, LogThrottle

# File descriptors kept free besides the inbound connections: outbound Plivo connections (about one per request
# in flight, hence two per inbound connection), the sandbox, log and library files.
_SPARE_FDS = 64
# uvicorn's default listen backlog; connections queued there hold no descriptor of ours until accepted.
LISTEN_BACKLOG = 2048
_MIN_BACKLOG = 16
_BUSY_BODY = json.dumps({"error": "server_busy", "hint": "every connection is in use; retry shortly"},
                        separators=(",", ":")).encode()
BUSY_RESPONSE = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
                 b"content-length: %d\r\nretry-after: 1\r\nconnection: close\r\n\r\n%s"
                 % (len(_BUSY_BODY), _BUSY_BODY))
# Loggers that write a line per request or per connection, with request text in it: throttled per message.
NOISY_LOGGERS = ("uvicorn.error", "asyncio", "mcp.server.transport_security", "mcp.server.streamable_http",
                 "mcp.server.streamable_http_manager", "mcp.server._streamable_http_modern", "mcp.server.runner",
                 "mcp.server.request_state")
_MAX_LOG_KEYS = 256


@dataclass(frozen=True)
class ConnectionLimits:
    # The idle timeout is uvicorn's own `timeout_keep_alive`, which this protocol also starts on connect.
    request_timeout_s: float
    max_connections: int


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request timeout, an idle timeout from the start, and a connection cap.

    uvicorn builds one instance per connection; the limits come from the subclass `protocol_for` makes.
    """

    limits: ClassVar[ConnectionLimits]
    log: ClassVar[LogThrottle] = REJECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request_timer: asyncio.TimerHandle | None = None
        self._waiting_cycle: Any = None  # the cycle current when the wait for a request began
        self._waiting_since = 0.0
        self._served = False

    # --- connection lifetime -------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for_request()
        # uvicorn arms its keep-alive (idle) timer only after a response; a silent new connection needs it too.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)
        if len(self.connections) > self.limits.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_request_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self._served = True
        if not self.transport.is_closing():
            self._wait_for_request()  # before uvicorn looks at pipelined requests, which end the wait at once
        super().on_response_complete()

    def handle_events(self) -> None:
        super().handle_events()
        cycle = self.cycle
        if self._request_timer is not None and cycle is not self._waiting_cycle and not cycle.more_body:
            self._cancel_request_timer()  # a new request arrived whole: the app's own time is not limited here

    # --- request timeout ------------------------------------------------------------------------------------
    def _wait_for_request(self) -> None:
        self._cancel_request_timer()
        self._waiting_cycle = self.cycle
        self._waiting_since = self.loop.time()
        self._request_timer = self.loop.call_later(self.limits.request_timeout_s, self._request_timed_out)

    def _cancel_request_timer(self) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None

    def _request_timed_out(self) -> None:
        self._request_timer = None
        if not self.transport.is_closing():
            self.log.log("http_connection_closed", "request_timeout", timeout_s=self.limits.request_timeout_s)
            self.transport.close()

    # --- connection cap -------------------------------------------------------------------------------------
    def _is_waiting(self) -> bool:
        """No request in progress: waiting for the first one, between requests, or a body nobody reads."""
        return self.cycle is self._waiting_cycle and not self.transport.is_closing()

    def _make_room(self) -> None:
        open_connections = [c for c in self.connections if not c.transport.is_closing()]
        if len(open_connections) <= self.limits.max_connections:
            return
        waiting = [c for c in open_connections
                   if c is not self and isinstance(c, GuardedH11Protocol) and c._is_waiting()]
        if waiting:
            oldest = min(waiting, key=lambda c: (c._served, c._waiting_since))
            self.log.log("http_connection_closed", "connection_limit", max_connections=self.limits.max_connections,
                         closed="longest waiting")
            oldest.transport.close()
            return
        self.log.log("http_rejected", "connection_limit", status=503, max_connections=self.limits.max_connections)
        self.transport.write(BUSY_RESPONSE)
        self.transport.close()


def protocol_for(limits: ConnectionLimits) -> type[GuardedH11Protocol]:
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})


# --- bounded logs from the libraries ------------------------------------------------------------------------
class ThrottledLogFilter(logging.Filter):
    """One record per logger and message per interval; the next one that passes says how many were left out.

    The key is the message up to its first ':' or '(' (the SDK formats request text into its messages), and
    the number of keys is capped, so a caller cannot grow the table.
    """

    def __init__(self, throttle: LogThrottle) -> None:
        super().__init__()
        self._throttle = throttle
        self._keys: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, re.split(r"[:(]", str(record.msg), maxsplit=1)[0][:80])
        if key not in self._keys:
            if len(self._keys) >= _MAX_LOG_KEYS:
                key = (record.name, "")
            else:
                self._keys.add(key)
        suppressed = self._throttle.admit(key)
        if suppressed is None:
            return False
        if suppressed:
            # Appended to the text already formatted, so a '%' in it is never read as a placeholder.
            record.msg = f"{record.getMessage()} ({suppressed} similar lines left out)"
            record.args = None
        return True


def throttle_library_logs(throttle: LogThrottle) -> None:
    log_filter = ThrottledLogFilter(throttle)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).addFilter(log_filter)


# --- file descriptors ---------------------------------------------------------------------------------------
def plan_connections(max_connections: int) -> tuple[int, int]:
    """(connection cap, listen backlog) that fit the process's file-descriptor limit, raising the soft limit
    if it must. Running out of descriptors is what stopped the server answering at all: accept() fails, and
    asyncio logs the failure and stops accepting for a second.

    asyncio accepts up to `backlog` connections in one go before any of them reaches the protocol that sheds
    the excess, so one accept burst counts too: descriptors needed are the cap, about as many outbound Plivo
    connections, the burst, and a spare few. When they do not fit, the backlog shrinks first, then the cap.
    """
    if sys.platform == "win32":  # pragma: no cover
        return max_connections, LISTEN_BACKLOG
    import resource

    needed = 2 * max_connections + LISTEN_BACKLOG + _SPARE_FDS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return max_connections, LISTEN_BACKLOG
    room = soft - _SPARE_FDS
    if room - 2 * max_connections >= _MIN_BACKLOG:
        return max_connections, room - 2 * max_connections
    return max(1, (room - _MIN_BACKLOG) // 2), _MIN_BACKLOG
