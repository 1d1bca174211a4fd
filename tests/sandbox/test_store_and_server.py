"""Persistence, concurrency, the seeded data and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from plivo_mcp.sandbox import DEMO_AUTH_ID, Sandbox
from plivo_mcp.sandbox.data import PRICING, build_inventory
from tests.conftest import REPO_ROOT


def test_seed_data_is_rich_enough() -> None:
    us = PRICING["US"]
    assert len(us["voice"]["outbound"]["rates"]) >= 60
    assert len(json.dumps(us)) > 5000
    inv = build_inventory()
    us_numbers = [i for i in inv if i["country_iso"] == "US"]
    assert len(us_numbers) >= 40 and {i["type"] for i in us_numbers} == {"fixed", "mobile", "tollfree"}
    assert len({i["number"] for i in inv}) == len(inv)
    for iso in ("GB", "IN", "CA", "AU"):
        assert any(i["country_iso"] == iso for i in inv)


def test_persistence_across_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    with Sandbox(db=db, auth_id=DEMO_AUTH_ID, auth_token="tok_for_test") as sb:
        sa, _ = sb.store.create_subaccount(sb.auth_id, "kept")
        number = sb.store.rent_number(sb.auth_id)
        with httpx.Client(auth=(sb.auth_id, sb.auth_token)) as c:
            r = c.post(f"{sb.base_url}/v1/Account/{sb.auth_id}/Application/",
                       json={"app_name": "kept", "answer_url": "https://e.com"})
            app_id = r.json()["app_id"]
    sb.store.close()
    with Sandbox(db=db, auth_id=DEMO_AUTH_ID, auth_token="tok_for_test") as sb2:
        assert sb2.store.get_subaccount(sb2.auth_id, sa) is not None
        assert sb2.store.get_application([sb2.auth_id], app_id) is not None
        assert sb2.store.get_number([sb2.auth_id], number) is not None
        assert sb2.store.inventory_item(number) is None  # the inventory is not re-seeded


def test_concurrent_writers_lose_nothing(sb: Sandbox) -> None:
    errors: list[str] = []
    ids: list[str] = []
    lock = threading.Lock()

    def worker(t: int) -> None:
        with httpx.Client(base_url=f"{sb.base_url}/v1/Account/{sb.auth_id}", auth=(sb.auth_id, sb.auth_token),
                          timeout=30) as c:
            for i in range(10):
                r = c.post("/Application/", json={"app_name": f"t{t}-{i}", "answer_url": "https://e.com"})
                try:
                    body = r.json()
                except ValueError:
                    errors.append(r.text)
                    continue
                if r.status_code != 201 or body.get("message") != "created":
                    errors.append(r.text)
                else:
                    with lock:
                        ids.append(body["app_id"])

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(set(ids)) == 80
    assert len(sb.store.snapshot()["applications"]) == 80


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "plivo_mcp", "sandbox", *args], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_cli_prints_url_and_credentials() -> None:
    proc = _cli("--port", "0")
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        assert lines[0].startswith("Plivo sandbox listening on http://127.0.0.1:")
        url = lines[0].split(" on ", 1)[1].strip()
        assert lines[1].strip() == f"PLIVO_API_URL={url}"
        auth_id = lines[2].strip().split("=", 1)[1]
        token = lines[3].strip().split("=", 1)[1]
        r = httpx.get(f"{url}/v1/Account/{auth_id}/", auth=(auth_id, token), timeout=10)
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_cli_refuses_remote_host() -> None:
    proc = _cli("--host", "0.0.0.0", "--port", "0")
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert "--allow-remote" in err and out == ""


def test_import_prints_nothing() -> None:
    out = subprocess.run([sys.executable, "-c", "import plivo_mcp.sandbox"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=30)
    assert out.stdout == "" and out.returncode == 0
