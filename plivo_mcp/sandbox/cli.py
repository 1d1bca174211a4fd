"""`plivo-mcp sandbox`: serve the sandbox in the foreground, printing where and with which credentials."""

from __future__ import annotations

import argparse
import contextlib
import sys

from plivo_mcp.hosts import is_loopback
from plivo_mcp.sandbox.runner import Sandbox, bind_socket, url_for, uvicorn_server


def run_sandbox(args: argparse.Namespace) -> int:
    if not args.allow_remote and not is_loopback(args.host):
        print(f"plivo-mcp sandbox: refusing to bind non-loopback host {args.host!r} without --allow-remote",
              file=sys.stderr)
        return 2
    statuses: list[int] = []
    for part in (args.fault_statuses or "").split(","):
        if part.strip():
            try:
                statuses.append(int(part))
            except ValueError:
                print(f"plivo-mcp sandbox: bad --fault-statuses entry {part!r}", file=sys.stderr)
                return 2
    sb = Sandbox(db=args.db, latency_ms=args.latency_ms, seed_history=getattr(args, "seed_history", False))
    sb.faults.push_statuses(statuses)
    if args.drop_connections:
        sb.faults.drop_connections(args.drop_connections)
    if args.malformed_bodies:
        sb.faults.malformed_bodies(args.malformed_bodies)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as e:
        print(f"plivo-mcp sandbox: cannot bind {args.host}:{args.port}: {e}", file=sys.stderr)
        return 2
    url = url_for(sock)
    print(f"Plivo sandbox listening on {url}\n  PLIVO_API_URL={url}\n  PLIVO_AUTH_ID={sb.auth_id}\n"
          f"  PLIVO_AUTH_TOKEN={sb.auth_token}", flush=True)
    server = uvicorn_server(sb.app, log_level="info")
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    return 0
