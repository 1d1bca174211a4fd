"""Serve plivo-mcp, or a bare MCPServer with one trivial tool, over streamable HTTP the same way, with a chosen
uvicorn event loop and HTTP parser: what bench/http_throughput.py and bench/tenant_churn.py measure.

    python bench/_serve_http.py plivo --port 8123 [--loop asyncio|uvloop|auto] [--http h11|httptools|auto]
    python bench/_serve_http.py bare --port 8124 ...

`plivo` runs `plivo-mcp serve --transport http` itself (settings from the environment, as an operator's); only
uvicorn's `loop` and `http` choices are pinned, so a comparison does not depend on what happens to be installed
(uvicorn's default, "auto", takes uvloop and httptools whenever they are importable). `bare` serves the SDK's
stateless JSON-response app with the same uvicorn options serve_http uses.
"""

from __future__ import annotations

import argparse
import functools
import sys
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("which", choices=("plivo", "bare"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", default="asyncio", choices=("asyncio", "uvloop", "auto"))
    parser.add_argument("--http", default="h11", choices=("h11", "httptools", "auto"))
    args = parser.parse_args()

    import uvicorn

    run = functools.partial(uvicorn.run, loop=args.loop, http=args.http)
    if args.which == "plivo":
        uvicorn.run = run  # serve_http calls uvicorn.run(app, ...): the same call, with loop and http pinned
        from plivo_mcp.cli import main as plivo_main

        return plivo_main(["serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(args.port)])

    from mcp.server.mcpserver import MCPServer
    from starlette.responses import PlainTextResponse

    server = MCPServer("bare")

    @server.tool()
    async def ping() -> str:
        """Answer pong."""
        return "pong"

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True,
                                     host="127.0.0.1")
    run(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False, lifespan="on",
        server_header=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
