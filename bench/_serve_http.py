"""Serve plivo-mcp, or a bare MCPServer with one trivial tool, over streamable HTTP the same way, with a chosen
uvicorn event loop (and, to measure what it would buy, HTTP parser): what the HTTP benchmarks run.

    python bench/_serve_http.py plivo --port 8123 [--loop asyncio|uvloop|auto] [--http served|h11|httptools]
    python bench/_serve_http.py bare --port 8124 ...

`plivo` runs `plivo-mcp serve --transport http` itself (settings from the environment, as an operator's), with
uvicorn's `loop` pinned (its default, "auto", takes uvloop whenever it is importable). `--http served` (the
default) keeps the HTTP protocol serve_http gives uvicorn: h11 with the server's connection guard
(plivo_mcp/http_connections.py); `h11` or `httptools` replaces it with uvicorn's plain one, guard and all, which
only a measurement should do. `bare` serves the SDK's stateless JSON-response app with the same uvicorn options,
on h11 for `served` (what plivo-mcp's protocol is built on).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("which", choices=("plivo", "bare"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", default="auto", choices=("asyncio", "uvloop", "auto"))
    parser.add_argument("--http", default="served", choices=("served", "h11", "httptools"))
    args = parser.parse_args()

    import uvicorn

    configure = uvicorn.Config.__init__

    def pinned(self: Any, app: Any, *rest: Any, **options: Any) -> None:
        options["loop"] = args.loop
        if args.http != "served":
            options["http"] = args.http
        elif args.which == "bare":
            options["http"] = "h11"
        configure(self, app, *rest, **options)

    uvicorn.Config.__init__ = pinned  # type: ignore[method-assign]
    if args.which == "plivo":
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
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False, lifespan="on",
                server_header=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
