"""Fault injection, latency, async callbacks."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from plivo_mcp.sandbox import Sandbox


def test_status_sequence_with_retry_after(sb: Sandbox, http_for) -> None:
    api = http_for(sb)
    sb.faults.push_statuses([429, 500, 502, 503], retry_after=2)
    responses = [api.get("/") for _ in range(5)]
    assert [r.status_code for r in responses] == [429, 500, 502, 503, 200]
    assert responses[0].headers["retry-after"] == "2"
    assert "retry-after" not in responses[1].headers
    assert all("error" in r.json() for r in responses[:4])
    assert sb.faults.pending == 0


def test_faults_limited_to_methods(sb: Sandbox, http_for) -> None:
    api = http_for(sb)
    sb.faults.push_statuses([503], methods={"POST"})
    assert api.get("/").status_code == 200
    assert api.post("/", json={"name": "x"}).status_code == 503
    assert sb.store.account(sb.auth_id)["name"] == "Sandbox Demo"  # not processed


def test_dropped_post_creates_exactly_once(sb: Sandbox, http_for) -> None:
    api = http_for(sb)
    sb.faults.drop_connections(1, methods={"POST"})
    with pytest.raises(httpx.TransportError):
        api.post("/Application/", json={"app_name": "lost", "answer_url": "https://e.com"})
    # The create happened; only its answer was lost.
    apps = api.get("/Application/").json()["objects"]
    assert [a["app_name"] for a in apps] == ["lost"]
    assert sb.faults.pending == 0


def test_dropped_get(sb: Sandbox, http_for) -> None:
    api = http_for(sb)
    sb.faults.drop_connections(1)
    with pytest.raises(httpx.TransportError):
        api.get("/")
    assert api.get("/").status_code == 200


def test_malformed_body(sb: Sandbox, http_for) -> None:
    api = http_for(sb)
    sb.faults.malformed_bodies(1)
    r = api.get("/")
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert api.get("/").json()["auth_id"] == sb.auth_id


def test_latency_setting_applies_and_clears(sb: Sandbox, http_for) -> None:
    api = http_for(sb)
    sb.faults.latency_ms = 5
    assert api.get("/").status_code == 200
    sb.faults.clear()
    assert sb.faults.latency_ms == 0
    assert Sandbox(latency_ms=7).faults.latency_ms == 7


def test_request_count(sb: Sandbox, http_for) -> None:
    api = http_for(sb)
    before = sb.request_count
    api.get("/")
    api.get("/Nope/")
    assert sb.request_count == before + 2


class _Receiver:
    """A loopback HTTP server that records the first request it gets."""

    def __init__(self) -> None:
        self.got = threading.Event()
        self.request: dict[str, Any] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                receiver.request = {"method": self.command, "path": self.path,
                                    "body": self.rfile.read(length) if length else b""}
                self.send_response(200)
                self.end_headers()
                receiver.got.set()

            do_POST = do_GET = _record

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cb"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("cb_method", ["POST", "GET"])
def test_async_callback_delivers_result(sb: Sandbox, http_for, cb_method: str) -> None:
    receiver = _Receiver()
    try:
        api = http_for(sb)
        r = api.post("/Application/", json={"app_name": "async", "answer_url": "https://e.com",
                                            "callback_url": receiver.url, "callback_method": cb_method})
        assert r.status_code == 200 and r.json()["message"] == "async api spawned"
        assert receiver.got.wait(10), "callback never arrived"
        assert receiver.request["method"] == cb_method
        if cb_method == "POST":
            payload = json.loads(receiver.request["body"])
            assert payload["status"] == 201 and payload["body"]["message"] == "created"
        else:
            assert "status=201" in receiver.request["path"]
        assert api.get("/Application/").json()["meta"]["total_count"] == 1
    finally:
        receiver.close()


def test_async_callback_bad_url_is_400(sb: Sandbox, http_for) -> None:
    api = http_for(sb)
    r = api.get("/", params={"callback_url": "not a url"})
    assert r.status_code == 400 and "callback_url" in r.json()["error"]
