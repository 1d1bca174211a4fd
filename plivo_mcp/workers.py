"""`serve --transport http --workers N`: N worker processes, each a uvicorn server, accepting on one port.

Each worker listens on a socket of its own bound with SO_REUSEPORT, so the kernel spreads new connections
evenly over the workers. uvicorn's own `workers=N` shares one listening socket instead, and a burst of new
connections (32 clients connecting at once, a load balancer filling its keep-alive pool) then lands almost whole
on whichever worker woke first (asyncio accepts every pending connection in one go) and stays there for the
connections' life: measured, 3.1 CPU-seconds on one worker against 0.01 on the other, where SO_REUSEPORT gave
1.5 against 1.3. Its socket also lacks the TCP protocol number, so asyncio leaves Nagle on and every answer
written in two parts waits for a delayed ACK (~40 ms a call). Each worker here is a plain `uvicorn.Server`.

Workers are fresh (spawned) processes, so nothing built in the parent reaches them: the parent hands each its
effective settings, command-line overrides included (--sandbox's URL and credentials, --read-only,
--allow-host...), through one environment variable, and `worker_app` builds the server from them. The workers
share one confirmation key (the operator's, else one made here for this run) and, through PLIVO_MCP_REDIS_URL,
single use of tokens and the pacing (start-up refuses several workers without Redis unless the operator accepts
per-process single use). The parent restarts a worker that dies (not one that fails to start: that would fail
again), stops them all on SIGINT/SIGTERM, and a worker whose parent is gone stops itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from plivo_mcp.config import Settings
    from plivo_mcp.http_app import ASGIApp, HttpHost

WORKER_SPEC_ENV = "PLIVO_MCP_WORKER_SPEC"
_STARTUP_FAILURE = 3  # uvicorn's exit status for a worker that could not start (uvicorn.config.STARTUP_FAILURE)
_STOP_TIMEOUT_S = 15.0


def serve_workers(config: Settings, build: Callable[[Settings], HttpHost], *, host: str, port: int, workers: int,
                  allowed_hosts: Iterable[str] = (), allowed_origins: Iterable[str] = ()) -> int:
    """Run `workers` worker processes until SIGINT/SIGTERM; each builds its server with `build` (server.py's
    build_server, passed in so that this module need not import the server). 2 if the bind is refused or the
    port cannot be had, 1 if a worker cannot start."""
    import multiprocessing

    from plivo_mcp.http_app import MCP_PATH, refused_bind
    from plivo_mcp.logs import get_logger

    if refused_bind(config, host):
        return 2
    log = get_logger()
    try:
        # SO_REUSEPORT would let another server of this user join the port silently: first make sure nothing
        # listens there (a plain bind fails if something does), then claim it with a socket that is bound but
        # never listens, so it takes no connection.
        with _tcp_socket(host) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
        claim = reuse_port_socket(host, port)
    except OSError as exc:
        print(f"plivo-mcp: cannot listen on {host}:{port}: {exc.strerror or exc}. Choose another with --port, "
              "or stop what holds it.", file=sys.stderr)
        return 2
    if not config.http_token:
        log.warning("http_without_token", host=host, hint="any local process can call the tools")
    settings = config.model_dump(by_alias=True, mode="json")
    # Every worker must verify the tokens the others sign.
    settings["PLIVO_MCP_CONFIRM_SECRET"] = config.confirm_secret or secrets.token_hex(32)
    os.environ[WORKER_SPEC_ENV] = json.dumps({"settings": settings, "host": host,
                                              "allowed_hosts": list(allowed_hosts),
                                              "allowed_origins": list(allowed_origins)})
    log.info("serving", transport="http", url=f"http://{host}:{port}{MCP_PATH}", workers=workers,
             shared_state="redis" if config.redis_url else "per process",
             auth="bearer" if config.http_token else "none",
             max_connections_per_worker=config.http_max_connections)

    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def start() -> BaseProcess:
        # `build` reaches the child by reference (module and name), like `run_worker` itself.
        process = spawn.Process(target=run_worker, args=(host, port, os.getpid(), build), name="plivo-mcp-worker")
        process.start()
        return process

    processes = [start() for _ in range(workers)]
    status = 0
    try:
        while not stop.wait(0.5):
            for i, process in enumerate(processes):
                if process.is_alive():
                    continue
                if process.exitcode == _STARTUP_FAILURE:
                    log.error("worker_failed_to_start", pid=process.pid)
                    status = 1
                    stop.set()
                    break
                log.warning("worker_died", pid=process.pid, exitcode=process.exitcode)
                processes[i] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + _STOP_TIMEOUT_S
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        claim.close()
    return status


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound with SO_REUSEPORT. The explicit protocol number matters: asyncio only sets TCP_NODELAY
    on accepted sockets whose protocol is TCP."""
    sock = _tcp_socket(host)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _tcp_socket(host: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)


def run_worker(host: str, port: int, parent_pid: int, build: Callable[[Settings], HttpHost]) -> None:
    """One worker process: a uvicorn server on its own SO_REUSEPORT socket, with the same per-process
    protections as a single server (request and idle timeouts, connection cap, throttled library logs)."""
    import uvicorn

    from plivo_mcp.http_app import uvicorn_config
    from plivo_mcp.http_connections import plan_connections, throttle_library_logs
    from plivo_mcp.log_throttle import REJECTIONS

    config, app = worker_app(build)
    import gc

    gc.freeze()  # as run_server does for one process: start-up's objects out of the collector's sight (README)
    max_connections, backlog = plan_connections(config.http_max_connections)
    throttle_library_logs(REJECTIONS)
    try:
        sock = reuse_port_socket(host, port)
    except OSError:
        sys.exit(_STARTUP_FAILURE)
    server = uvicorn.Server(uvicorn_config(app, config, max_connections, backlog))
    threading.Thread(target=_stop_when_orphaned, args=(server, parent_pid), daemon=True).start()
    with sock, contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled
        server.run(sockets=[sock])
    if not server.started:
        sys.exit(_STARTUP_FAILURE)


def _stop_when_orphaned(server: Any, parent_pid: int) -> None:
    # A parent killed outright (SIGKILL) cannot stop its workers: they notice and stop on their own.
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    server.should_exit = True


def worker_app(build: Callable[[Settings], HttpHost]) -> tuple[Settings, ASGIApp]:
    """The settings and the ASGI app of one worker process, from what the parent handed over."""
    from plivo_mcp.config import load_settings
    from plivo_mcp.http_app import build_http_app
    from plivo_mcp.logs import configure_logging

    spec = json.loads(os.environ[WORKER_SPEC_ENV])
    config = load_settings(**spec["settings"])
    configure_logging(config.log_level)
    app = build_http_app(build(config), host=spec["host"], allowed_hosts=spec["allowed_hosts"],
                         allowed_origins=spec["allowed_origins"])
    return config, app
