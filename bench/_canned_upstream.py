"""A Plivo stand-in that costs almost nothing per request, for benchmarks that measure the server, not the API.

One process, raw asyncio (uvloop when installed) speaking just enough HTTP/1.1 keep-alive: it answers the GET of
the account (`/v1/Account/{auth_id}/`) with a fixed Plivo-shaped JSON body, pre-encoded, after `--latency-ms`,
when the request carries this account's Basic credentials; anything else gets a 401 or 404 and is counted as
rejected. Nothing is parsed beyond the request line, the Authorization header and Content-Length, so the CPU on
the machine is the server's. The sandbox (bench/_sandbox_proc.py) is the faithful stand-in; this is the cheap one.

As a child (`CannedUpstream`, the protocol of `_util.UpstreamProcess`): prints one JSON line ({"url", "auth_id",
"auth_token"}) once serving; each line read on stdin is answered with one JSON line of counts; end of stdin
stops it.

    python bench/_canned_upstream.py --latency-ms 20
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys

from _util import UpstreamProcess

AUTH_ID = "MACANNEDUPSTREAM0001"
AUTH_TOKEN = "canned_upstream_token_not_secret_000000"
ACCOUNT = {  # the shape of GET /v1/Account/{auth_id}/ (WIRE-FACTS fixtures/accountGetResponse.json)
    "account_type": "standard", "address": "", "api_id": "5b0f8a36-3f08-11e7-8bc8-065f6a74a84a",
    "auth_id": AUTH_ID, "auto_recharge": False, "billing_mode": "prepaid", "cash_credits": "250.00000",
    "city": "", "name": "Canned Upstream", "resource_uri": f"/v1/Account/{AUTH_ID}/", "state": "",
    "timezone": "America/Los_Angeles"}


def _response(status: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
            .encode() + body)


OK = _response("200 OK", json.dumps(ACCOUNT, separators=(",", ":")).encode())
UNAUTHORIZED = _response("401 Unauthorized", b'{"error":"missing or wrong Basic credentials"}')
NOT_FOUND = _response("404 Not Found", b'{"error":"not found"}')
REQUEST_LINE = f"GET /v1/Account/{AUTH_ID}/ HTTP/1.1\r\n".encode()
CREDENTIALS = b"basic " + base64.b64encode(f"{AUTH_ID}:{AUTH_TOKEN}".encode())


class Counts:
    requests = 0
    rejected = 0


class _Connection(asyncio.Protocol):
    """One client connection: requests answered in order (aiohttp does not pipeline, but nothing breaks if it did:
    each answer is sent `latency` after its request arrived, and requests arrive in order)."""

    def __init__(self, latency_s: float, counts: Counts) -> None:
        self.latency_s, self.counts = latency_s, counts
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end + 2]
            lowered = head.lower()
            length_at = lowered.find(b"\r\ncontent-length:")
            length = int(head[length_at + 17:head.index(b"\r\n", length_at + 2)]) if length_at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return  # the body is still on its way
            self.buffer = self.buffer[end + 4 + length:]
            self.counts.requests += 1
            answer = self._answer(head, lowered)
            if answer is not OK:
                self.counts.rejected += 1
            if self.latency_s:
                self.loop.call_later(self.latency_s, self._send, answer)
            else:
                self._send(answer)

    @staticmethod
    def _answer(head: bytes, lowered: bytes) -> bytes:
        auth_at = lowered.find(b"\r\nauthorization:")
        if auth_at < 0:
            return UNAUTHORIZED
        value = head[auth_at + 16:head.index(b"\r\n", auth_at + 2)].strip()
        # The scheme is case-insensitive; the credentials are not.
        if value[:6].lower() + value[6:] != CREDENTIALS:
            return UNAUTHORIZED
        return OK if head.startswith(REQUEST_LINE) else NOT_FOUND

    def _send(self, answer: bytes) -> None:
        if self.transport is not None:
            self.transport.write(answer)


async def serve(latency_ms: int) -> None:
    loop = asyncio.get_running_loop()
    counts = Counts()
    server = await loop.create_server(lambda: _Connection(latency_ms / 1000, counts), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"url": f"http://127.0.0.1:{port}", "auth_id": AUTH_ID, "auth_token": AUTH_TOKEN}), flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.readline():
        print(json.dumps({"requests": counts.requests, "rejected": counts.rejected}), flush=True)
    server.close()


class CannedUpstream(UpstreamProcess):
    """This module as a child process (the bench's upstream protocol: bench/_util.UpstreamProcess)."""

    def __init__(self, latency_ms: int = 0) -> None:
        super().__init__([sys.executable, __file__, "--latency-ms", str(latency_ms)], "canned upstream")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.latency_ms))
    else:
        uvloop.run(serve(args.latency_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
