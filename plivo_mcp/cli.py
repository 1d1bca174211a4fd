"""Command line: `plivo-mcp [serve|check|sandbox|demo]`.

argparse (stdlib) keeps start-up light; every subcommand imports its heavy modules only when chosen.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from plivo_mcp import __version__


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve MCP (stdio by default)")
    _serve_options(p)


def _serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sandbox", action="store_true",
                   help="start the embedded Plivo sandbox on a free loopback port and serve against it")
    p.add_argument("--db", metavar="PATH",
                   help="with --sandbox: keep the sandbox's state in this SQLite file, so it survives from one "
                        "session (process) to the next; default: in memory, gone when the session ends")
    p.add_argument("--sandbox-latency-ms", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--read-only", action="store_true", help="offer only read-only tools")
    p.add_argument("--toolsets", action="append", metavar="NAMES",
                   help="comma-separated toolsets to offer, or 'all' / 'default' (also PLIVO_MCP_TOOLSETS)")
    p.add_argument("--tools", action="append", metavar="NAMES",
                   help="comma-separated tools to offer in addition; alone, only these (also PLIVO_MCP_TOOLS)")
    p.add_argument("--transport", choices=("stdio", "http"), default="stdio",
                   help="stdio (default) or http: streamable HTTP at /mcp, stateless; "
                        "PLIVO_MCP_HTTP_TOKEN is the bearer token")
    p.add_argument("--host", default="127.0.0.1",
                   help="http: interface to bind (default 127.0.0.1; others need PLIVO_MCP_HTTP_TOKEN)")
    p.add_argument("--port", type=int, default=8000, help="http: port (default 8000)")
    p.add_argument("--allow-host", action="append", metavar="HOST",
                   help="http: also accept this Host header, e.g. mcp.example.com (repeatable)")
    p.add_argument("--allow-origin", action="append", metavar="ORIGIN",
                   help="http: also accept this browser Origin, e.g. https://app.example.com (repeatable)")
    p.add_argument("--workers", type=_positive, default=1, metavar="N",
                   help="http: N worker processes on one port (default 1; more than 1 needs PLIVO_MCP_REDIS_URL)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 64, not {text!r}")
    return value


def _add_sandbox(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sandbox", help="run the Plivo-compatible sandbox API on loopback")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8070, help="port (default 8070; 0 picks a free one)")
    p.add_argument("--db", default=":memory:", help="SQLite file for state, or :memory: (default)")
    p.add_argument("--latency-ms", type=int, default=0, help="added latency on every request")
    p.add_argument("--fault-statuses", default="",
                   help="comma-separated statuses forced on the next requests, e.g. 429,500,503")
    p.add_argument("--drop-connections", type=int, default=0,
                   help="drop the connection on the next N requests")
    p.add_argument("--malformed-bodies", type=int, default=0,
                   help="answer the next N requests with a malformed body")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow binding a non-loopback host (off by default)")
    p.add_argument("--seed-history", action="store_true",
                   help="start with a few weeks of sample history: calls and recordings across countries, "
                        "outcomes and subaccounts")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plivo-mcp", description="MCP server for a Plivo account, with a local sandbox API.")
    parser.add_argument("--version", action="version", version=f"plivo-mcp {__version__}")
    sub = parser.add_subparsers(dest="command")
    _add_serve(sub)
    _add_sandbox(sub)
    _add_check(sub)
    sub.add_parser("demo", help="run a scripted MCP client session against the embedded sandbox")
    return parser


def _add_check(sub: argparse._SubParsersAction) -> None:
    from plivo_mcp.check import EXIT_CODES_HELP

    sub.add_parser("check", help="make one authenticated call (GET Account) and say what was found or what failed",
                   description="Reads the same environment as `serve` (PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, "
                               "PLIVO_API_URL, ...), makes one GET Account request and prints the account's name, "
                               "type and cash credit, or the URL tried and what went wrong. The token is never "
                               "printed.",
                   epilog=EXIT_CODES_HELP)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # No subcommand means `serve`, with its options: `plivo-mcp --sandbox` == `plivo-mcp serve --sandbox`.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["serve", *argv]
    args = parser.parse_args(argv)
    command = args.command
    if command == "sandbox":
        from plivo_mcp.sandbox.cli import run_sandbox

        return run_sandbox(args)
    if command == "check":
        from plivo_mcp.check import run_check

        return run_check()
    if command == "demo":
        from plivo_mcp.demo import run_demo

        return run_demo()
    from plivo_mcp.server import run_server

    return run_server(args)
