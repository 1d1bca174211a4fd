"""Scale-out with a real Redis and real server processes over HTTP (issue: many replicas and workers that share one
guard and one rate limit).

Two deployments' worth of processes share one Redis and one confirmation secret: replica A (`serve --transport
http`) and replica B (`serve --transport http --workers 2`, so three server processes in all). The sandbox, in
this process, counts every request it receives and every 429 it sends. Shown here:
- a token used on one replica is refused on the other, and on a restarted replica;
- a burst of concurrent replays of one token across all three processes acts exactly once (one DELETE upstream);
- the shared limiter holds the sandbox's own 20 per 1 s limit for the sum of all processes: no 429;
- Redis stopped mid-run: destructive calls refused with `unavailable`, reads served, recovery when it returns,
  one log line for the outage.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from plivo_mcp.sandbox import Sandbox
from plivo_mcp.sandbox.arrivals import Arrivals
from tests.conftest import REPO_ROOT
from tests.helpers import TESTED_TOOLSETS, clean_env, stop_process
from tests.redis_server import RedisServer, free_port

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TOKEN = "scale-out-token-0123456789abcdef"
SECRET = "scale-out-confirm-secret-0123456789"
RATE, WINDOW_S = 20, 1.0
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
           "Accept": "application/json, text/event-stream"}
START_TIMEOUT_S = 45.0


class Replica:
    """One `plivo-mcp serve --transport http` process (with `--workers N`, a supervisor and N workers)."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 1) -> None:
        self.env, self.log, self.workers = env, log, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", "plivo_mcp", "serve", "--transport", "http", "--port", str(self.port)]
        if self.workers > 1:
            argv += ["--workers", str(self.workers)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(argv, cwd=REPO_ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=log)

    def wait_ready(self, deadline: float) -> None:
        """Healthy, and with --workers, every worker process started (a worker logs once its app is up)."""
        assert self.proc is not None
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"replica exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            ready = self.log.read_text().count("Application startup complete") >= self.started_before + self.workers
            try:
                if ready and httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"replica not ready in time: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    @property
    def started_before(self) -> int:
        return getattr(self, "_started_before", 0)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self._started_before = self.log.read_text().count("Application startup complete")
        self.start()
        self.wait_ready(time.monotonic() + START_TIMEOUT_S)

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid and b"spawn_main" in (stat.parent / "cmdline").read_bytes():
                children.append(int(stat.parent.name))
        return children


class Deployment:
    def __init__(self, sb: Sandbox, arrivals: Arrivals, redis: RedisServer, a: Replica, b: Replica) -> None:
        self.sb, self.arrivals, self.redis, self.a, self.b = sb, arrivals, redis, a, b


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    sb = Sandbox(db=":memory:", rate_limit=RATE, rate_window_s=WINDOW_S)
    arrivals = Arrivals(sb.app)
    sb.app = arrivals  # type: ignore[assignment]
    sb.start()
    logs = tmp_path_factory.mktemp("replicas")
    with RedisServer() as redis:
        env = clean_env(PLIVO_AUTH_ID=sb.auth_id, PLIVO_AUTH_TOKEN=sb.auth_token, PLIVO_API_URL=sb.base_url or "",
                        PLIVO_MCP_HTTP_TOKEN=TOKEN, PLIVO_MCP_CONFIRM_SECRET=SECRET, PLIVO_MCP_REDIS_URL=redis.url,
                        PLIVO_MCP_RATE_LIMIT=str(RATE), PLIVO_MCP_RATE_WINDOW_S=str(WINDOW_S),
                        PLIVO_MCP_RETRY_BASE_S="0.05", PLIVO_MCP_LOG_LEVEL="info",
                        PLIVO_MCP_TOOLSETS=TESTED_TOOLSETS)
        a = Replica(env, logs / "a.log")
        b = Replica(env, logs / "b.log", workers=2)
        try:
            for replica in (a, b):  # start both before waiting: their imports overlap
                replica.start()
            deadline = time.monotonic() + START_TIMEOUT_S
            for replica in (a, b):
                replica.wait_ready(deadline)
            yield Deployment(sb, arrivals, redis, a, b)
        finally:
            for replica in (a, b):
                replica.stop()
            sb.stop()


async def call_tool(http: httpx.AsyncClient, url: str, name: str, args: dict[str, Any] | None = None
                    ) -> tuple[bool, dict[str, Any]]:
    """One stateless `tools/call` over the wire (raw JSON-RPC: light enough for a concurrent burst)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": args or {}}}
    answer = await http.post(f"{url}/mcp", headers=HEADERS, content=json.dumps(body))
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    return bool(result.get("isError")), json.loads(result["content"][0]["text"])


async def preview_token(http: httpx.AsyncClient, url: str, endpoint_id: str) -> str:
    is_error, preview = await call_tool(http, url, "delete_endpoint", {"endpoint_id": endpoint_id})
    assert not is_error and preview["status"] == "confirmation_required", preview
    return preview["confirmation_token"]


async def once_available(http: httpx.AsyncClient, url: str, name: str, args: dict[str, Any]
                         ) -> tuple[bool, dict[str, Any]]:
    """The first answer that is not `unavailable`, asking again until Redis answers that process (bounded)."""
    deadline = time.monotonic() + 15
    while True:
        is_error, answer = await call_tool(http, url, name, args)
        if not (is_error and answer["error"]["code"] == "unavailable"):
            return is_error, answer
        assert time.monotonic() < deadline, "no recovery after Redis came back"
        await asyncio.sleep(0.1)


def endpoint_ids(sb: Sandbox) -> set[str]:
    return {e["endpoint_id"] for e in sb.store.snapshot()["endpoints"]}


def spent(answer: tuple[bool, dict[str, Any]]) -> bool:
    is_error, body = answer
    error = body.get("error") or {}
    return is_error and error.get("code") == "invalid_confirmation" and "already been used" in error.get("error", "")


async def test_b_runs_two_workers(deployment: Deployment) -> None:
    assert len(deployment.b.worker_pids()) == 2  # the supervisor's two worker processes


async def test_a_worker_that_dies_is_replaced_and_the_others_keep_serving(deployment: Deployment) -> None:
    b = deployment.b
    killed = b.worker_pids()[0]
    os.kill(killed, signal.SIGKILL)
    async with httpx.AsyncClient(timeout=30) as http:
        is_error, account = await call_tool(http, b.url, "get_account")  # the other worker answers meanwhile
        assert not is_error and account["auth_id"] == deployment.sb.auth_id
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:  # bounded: the supervisor notices within 0.5 s, the new worker then imports and starts
            pids = b.worker_pids()
            if len(pids) == 2 and killed not in pids and b.log.read_text().count("Application startup complete") >= 3:
                break
            assert time.monotonic() < deadline, f"no replacement worker: {pids}"
            await asyncio.sleep(0.1)
        answers = await asyncio.gather(*[call_tool(http, b.url, "get_account") for _ in range(8)])
    assert all(not is_error for is_error, _ in answers)


async def test_a_token_used_on_one_replica_is_refused_on_the_other_and_after_a_restart(
        deployment: Deployment) -> None:
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    sb, a, b = deployment.sb, deployment.a, deployment.b
    endpoint_id = sb.store.create_endpoint(sb.auth_id, "onceuser", "s3cret-Passw0rd", "once endpoint")
    args = {"endpoint_id": endpoint_id}
    async with httpx.AsyncClient(timeout=30) as http:
        token = await preview_token(http, b.url, endpoint_id)
        # The SDK's own client, over HTTP, acts on replica A with the token replica B signed.
        import httpx2

        sdk_http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30.0)
        async with Client(streamable_http_client(f"{a.url}/mcp", http_client=sdk_http)) as client:  # type: ignore[arg-type]
            done = await client.call_tool("delete_endpoint", {**args, "confirmation_token": token})
        assert not done.is_error, done
        assert endpoint_id not in endpoint_ids(sb)

        assert spent(await call_tool(http, b.url, "delete_endpoint", {**args, "confirmation_token": token}))
        a.restart()
        assert spent(await call_tool(http, a.url, "delete_endpoint", {**args, "confirmation_token": token}))


async def test_concurrent_replays_across_every_process_act_exactly_once(deployment: Deployment) -> None:
    sb, a, b = deployment.sb, deployment.a, deployment.b
    endpoint_id = sb.store.create_endpoint(sb.auth_id, "burstuser", "s3cret-Passw0rd", "burst endpoint")
    args = {"endpoint_id": endpoint_id}
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=32)) as http:
        token = await preview_token(http, a.url, endpoint_id)
        deployment.arrivals.reset()
        answers = await asyncio.gather(*[
            call_tool(http, (a.url, b.url)[i % 2], "delete_endpoint", {**args, "confirmation_token": token})
            for i in range(16)])
    acted = [body for is_error, body in answers if not is_error]
    assert len(acted) == 1, answers
    assert all(spent(answer) for answer in answers if answer[0]), answers
    assert list(deployment.arrivals.methods).count("DELETE") == 1  # one write reached the API
    assert endpoint_id not in endpoint_ids(sb)


async def test_shared_pacing_keeps_a_burst_from_every_process_under_the_api_limit(deployment: Deployment) -> None:
    a, b, arrivals = deployment.a, deployment.b, deployment.arrivals
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=64)) as http:
        arrivals.reset()
        # 2.5 windows' worth at once, half to each replica: paced per process, A and B's two workers could send
        # 3 x 20 in the first second.
        answers = await asyncio.gather(*[call_tool(http, (a.url, b.url)[i % 2], "get_account")
                                         for i in range(50)])
    assert [body for is_error, body in answers if is_error] == []
    assert arrivals.rejected == 0
    assert arrivals.busiest_window(WINDOW_S) <= RATE


async def test_redis_outage_refuses_destructive_calls_serves_reads_and_recovers(deployment: Deployment) -> None:
    sb, a, b, redis = deployment.sb, deployment.a, deployment.b, deployment.redis
    endpoint_id = sb.store.create_endpoint(sb.auth_id, "outageuser", "s3cret-Passw0rd", "outage endpoint")
    args = {"endpoint_id": endpoint_id}
    outage_lines_before = sum(r.log.read_text().count('"redis_unavailable"') for r in (a, b))
    async with httpx.AsyncClient(timeout=30) as http:
        token = await preview_token(http, a.url, endpoint_id)
        redis.stop()
        try:
            for replica in (a, b, a, b):
                is_error, account = await call_tool(http, replica.url, "get_account")
                assert not is_error and account["auth_id"] == sb.auth_id  # reads are served
                is_error, refused = await call_tool(http, replica.url, "delete_endpoint",
                                                    {**args, "confirmation_token": token})
                assert is_error and refused["error"]["code"] == "unavailable", refused
            assert endpoint_id in endpoint_ids(sb)
        finally:
            redis.start()  # same port, empty
        # Recovery: each process asks Redis again at most a second after its last failure. Bounded polling.
        is_error, answer = await once_available(http, a.url, "delete_endpoint", {**args, "confirmation_token": token})
        assert not is_error, answer
        assert endpoint_id not in endpoint_ids(sb)
        assert spent(await once_available(http, b.url, "delete_endpoint", {**args, "confirmation_token": token}))
    # One line per process that met the outage (A, and B's one or two workers), not one per call.
    outage_lines = sum(r.log.read_text().count('"redis_unavailable"') for r in (a, b)) - outage_lines_before
    assert 2 <= outage_lines <= 3
    assert "Traceback" not in a.log.read_text() + b.log.read_text()


def test_workers_stop_when_their_supervisor_is_killed(deployment: Deployment, tmp_path: Path) -> None:
    # SIGKILL leaves the supervisor no chance to stop its workers: they notice the parent is gone and stop.
    orphaned = Replica(deployment.a.env, tmp_path / "orphan.log", workers=2)
    orphaned.start()
    try:
        orphaned.wait_ready(time.monotonic() + START_TIMEOUT_S)
        workers = orphaned.worker_pids()
        assert len(workers) == 2
        assert orphaned.proc is not None
        orphaned.proc.kill()
        orphaned.proc.wait()
        deadline = time.monotonic() + 20
        while any(_is_worker(pid) for pid in workers):  # bounded: they check every second, then shut down
            assert time.monotonic() < deadline, "orphaned workers kept running"
            time.sleep(0.1)
    finally:
        orphaned.stop()


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone (a zombie reads as empty)
        return False
