"""`Sandbox`: the store, the fault plan and the ASGI app, served by uvicorn in a daemon thread."""

from __future__ import annotations

import os
import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from plivo_mcp.sandbox.app import SandboxApp
from plivo_mcp.sandbox.clock import SandboxClock
from plivo_mcp.sandbox.faults import FaultPlan
from plivo_mcp.sandbox.storage import Clock
from plivo_mcp.sandbox.store import Store

if TYPE_CHECKING:
    import uvicorn

Lifespan = Literal["auto", "on", "off"]

DEMO_AUTH_ID = "MASANDBOXDEMO0000001"
# Dashes/underscores keep it from looking like a real (alphanumeric) Plivo token to secret scanners.
DEMO_AUTH_TOKEN = "sandbox_demo_token_not_secret_0000000000"


def bind_socket(host: str, port: int) -> socket.socket:
    """Bound, listening socket, so that port 0 resolves to a real port before anything is printed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # The explicit protocol matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto is TCP,
    # and without it every small response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_for(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def uvicorn_server(app: Any, log_level: str = "warning", lifespan: Lifespan = "off") -> uvicorn.Server:
    import uvicorn

    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan=lifespan, log_config=None,
                            timeout_graceful_shutdown=1)
    return uvicorn.Server(config)


class ServerThread:
    """An ASGI app served by uvicorn in a daemon thread on a loopback socket: the sandbox, and in tests the
    MCP HTTP app (which needs `lifespan="on"` to start the SDK's session manager)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, lifespan: Lifespan = "off",
                 name: str = "asgi-server") -> None:
        self._sock = bind_socket(host, port)
        self._server = uvicorn_server(app, lifespan=lifespan)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, name=name,
                                        daemon=True)
        self.url = url_for(self._sock)

    def start(self) -> str:
        """Returns the base URL once the server has started (lifespan included)."""
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("server failed to start")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._sock.close()


class Sandbox:
    """A Plivo-compatible API on loopback. Usable as a context manager (starts on enter, stops on exit)."""

    def __init__(self, db: str = ":memory:", auth_id: str | None = None, auth_token: str | None = None,
                 latency_ms: int = 0, rate_limit: int = 300, rate_window_s: float = 5.0,
                 clock: Clock | None = None, seed_history: bool = False) -> None:
        """`clock` is the sandbox's "now" (see storage.Database); by default a SandboxClock on real time, which
        tests move forward with `sb.clock.advance(seconds)`; a fixed one keeps dates from following the day.
        `seed_history`: add a few weeks of sample history (calls, recordings...) before now, once per database;
        off by default, so that a test's state is only what it made."""
        if auth_id is None and auth_token is None:
            env_id, env_token = os.environ.get("PLIVO_AUTH_ID"), os.environ.get("PLIVO_AUTH_TOKEN")
            if env_id and env_token:
                auth_id, auth_token = env_id, env_token
        self.auth_id = auth_id or DEMO_AUTH_ID
        self.auth_token = auth_token or DEMO_AUTH_TOKEN
        self.clock: Clock = clock or SandboxClock()
        self.store = Store(db, clock=self.clock)
        self.store.ensure_main_account(self.auth_id, self.auth_token)
        if seed_history:
            self.store.seed_history(self.auth_id)
        self.faults = FaultPlan(latency_ms)
        self.app = SandboxApp(self.store, self.faults, rate_limit=rate_limit, rate_window_s=rate_window_s)
        self.base_url: str | None = None
        self._server: ServerThread | None = None

    @property
    def request_count(self) -> int:
        return self.app.request_count

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; returns the base URL once the server accepts connections."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        self._server = ServerThread(self.app, host, port, name="plivo-sandbox")
        self.base_url = self._server.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self._server = None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
