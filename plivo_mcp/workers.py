"""`serve --transport http --workers N`: N uvicorn worker processes accepting on one port.

uvicorn starts workers as fresh (spawned) processes that import the app by name, so nothing built in the parent
reaches them: the parent hands each worker its effective settings, command-line overrides included (--sandbox's
URL and credentials, --read-only, --allow-host...), through one environment variable, and `worker_app` builds
the server from them. The workers share one confirmation key (the operator's, else one made here for this run)
and, through PLIVO_MCP_REDIS_URL, single use of tokens and the pacing (start-up refuses several workers without
Redis unless the operator accepts per-process single use).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plivo_mcp.config import Settings
    from plivo_mcp.http_app import ASGIApp

WORKER_SPEC_ENV = "PLIVO_MCP_WORKER_SPEC"


def serve_workers(config: Settings, *, host: str, port: int, workers: int, allowed_hosts: Iterable[str] = (),
                  allowed_origins: Iterable[str] = ()) -> int:
    """Run uvicorn's process supervisor until interrupted (it restarts a worker that dies)."""
    import uvicorn

    from plivo_mcp.http_app import MCP_PATH
    from plivo_mcp.logs import get_logger

    settings = config.model_dump(by_alias=True, mode="json")
    # Every worker must verify the tokens the others sign.
    settings["PLIVO_MCP_CONFIRM_SECRET"] = config.confirm_secret or secrets.token_hex(32)
    os.environ[WORKER_SPEC_ENV] = json.dumps({"settings": settings, "host": host,
                                              "allowed_hosts": list(allowed_hosts),
                                              "allowed_origins": list(allowed_origins)})
    get_logger().info("serving", transport="http", url=f"http://{host}:{port}{MCP_PATH}", workers=workers,
                      shared_state="redis" if config.redis_url else "per process",
                      auth="bearer" if config.http_token else "none")
    uvicorn.run("plivo_mcp.workers:worker_app", factory=True, host=host, port=port, workers=workers,
                log_config=None, access_log=False, lifespan="on", server_header=False)
    return 0


def worker_app() -> ASGIApp:
    """The ASGI app of one worker process (uvicorn calls this factory once per worker)."""
    from plivo_mcp.config import load_settings
    from plivo_mcp.http_app import build_http_app
    from plivo_mcp.logs import configure_logging
    from plivo_mcp.server import build_server

    spec = json.loads(os.environ[WORKER_SPEC_ENV])
    config = load_settings(**spec["settings"])
    configure_logging(config.log_level)
    return build_http_app(build_server(config), host=spec["host"], allowed_hosts=spec["allowed_hosts"],
                          allowed_origins=spec["allowed_origins"])
