"""`pip install .` builds a wheel that runs: built and installed into a throwaway venv (dependencies from the
package index), then started both ways (`python -m plivo_mcp`, the `plivo-mcp` script) away from the checkout,
with the prompts found inside the installed package and a stdio session against its embedded sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from plivo_mcp import __version__
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.anyio



def run(*args: str | Path, cwd: Path, timeout: float = 180) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a fresh venv with the wheel built from this checkout installed."""
    root = tmp_path_factory.mktemp("packaging")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", root / "dist", REPO_ROOT, cwd=root)
    (wheel,) = (root / "dist").glob("plivo_mcp-*.whl")
    venv.EnvBuilder(with_pip=False).create(root / "venv")  # the outer pip installs into it: no ensurepip wait
    bin_dir = root / "venv" / "bin"
    run(sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q",
        "--disable-pip-version-check", wheel, cwd=root)
    return bin_dir


@pytest.mark.slow
def test_installed_wheel_runs_both_ways_with_its_prompts(installed: Path, tmp_path: Path) -> None:
    assert run(installed / "python", "-m", "plivo_mcp", "--version", cwd=tmp_path).strip() == \
        f"plivo-mcp {__version__}"
    assert run(installed / "plivo-mcp", "--version", cwd=tmp_path).strip() == f"plivo-mcp {__version__}"
    where = run(installed / "python", "-c",
                "import plivo_mcp.prompts as p; print(p.__file__); print(p.prompts_dir()); "
                "print(sorted(f.name for f in p.load_prompt_files()))", cwd=tmp_path).splitlines()
    site = str(installed.parent)
    assert where[0].startswith(site) and where[0].endswith("prompts.py")  # the module, not the repo's copy
    assert where[1].startswith(site)  # prompts/ came inside the wheel
    assert where[2] == ("['audit_account', 'estimate_campaign_cost', 'investigate_call_failures', "
                        "'investigate_delivery_failures', 'onboard_customer', 'usage_review']")


@pytest.mark.slow
async def test_installed_wheel_serves_stdio_against_its_sandbox(installed: Path, tmp_path: Path) -> None:
    # Every toolset: each prompt is offered when the tools it names are, and two name off-by-default ones.
    params = StdioServerParameters(command=str(installed / "plivo-mcp"),
                                   args=["serve", "--sandbox", "--toolsets", "all"],
                                   cwd=str(tmp_path), env={"PATH": os.environ.get("PATH", ""),
                                                           "PLIVO_MCP_LOG_LEVEL": "warning"})
    async with Client(params) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"get_account", "list_applications", "delete_endpoint", "call_operation"} <= tools
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        assert prompts == {"audit_account", "estimate_campaign_cost", "investigate_call_failures",
                           "investigate_delivery_failures", "onboard_customer", "usage_review"}
        result = await client.call_tool("get_account", {})
        assert not result.is_error


@pytest.mark.slow
def test_the_wheel_carries_the_license_and_the_project_metadata(installed: Path) -> None:
    import zipfile

    (wheel,) = (installed.parent.parent / "dist").glob("plivo_mcp-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        dist_info = f"plivo_mcp-{__version__}.dist-info"
        license_text = archive.read(f"{dist_info}/licenses/LICENSE").decode()
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    assert license_text == (REPO_ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License\n\nCopyright (c) 2026 plivo-mcp contributors\n")
    headers = metadata.split("\n\n", 1)[0].splitlines()
    assert "License-Expression: MIT" in headers
    assert any(h.startswith("Project-URL: Repository, https://") for h in headers)
    assert "Classifier: Topic :: Communications :: Telephony" in headers


def test_readme_configuration_table_lists_every_environment_variable() -> None:
    from plivo_mcp.config import Settings

    readme = (REPO_ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip().strip("`") for line in table.splitlines() if line.startswith("| `")}
    assert rows == {field.alias for field in Settings.model_fields.values()}
