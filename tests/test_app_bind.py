"""`make run` / `cockpit app` serve on localhost only unless told otherwise."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import psutil
import pytest
from click.testing import CliRunner

from pipelines.cli import cli
from tests.browser_helpers import stop, wait_healthy
from tests.conftest import ROOT
from tests.test_browser import _free_port


def test_make_run_serves_through_cockpit_app_without_a_host():
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    out = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    serve = [line for line in out.splitlines() if "streamlit" in line or "cockpit app" in line]
    assert serve == [".venv/bin/cockpit app --port 8501"], out


def _listening(pid: int) -> set[str]:
    proc = psutil.Process(pid)
    found = set()
    for p in [proc, *proc.children(recursive=True)]:
        for c in p.net_connections(kind="inet"):
            if c.status == psutil.CONN_LISTEN:
                found.add(c.laddr.ip)
    return found


def test_cockpit_app_binds_to_localhost_by_default(tmp_path):
    port = _free_port()
    env = {**os.environ, "COCKPIT_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "app", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_healthy(f"http://127.0.0.1:{port}", "cockpit app")
        assert _listening(proc.pid) == {"127.0.0.1"}
        # not reachable through the machine's other addresses
        for addr in {a.address for nic in psutil.net_if_addrs().values() for a in nic}:
            if addr.startswith(("127.", "::1", "fe80")) or ":" in addr:
                continue
            with socket.socket() as s, pytest.raises(OSError):
                s.settimeout(1)
                s.connect((addr, port))
    finally:
        stop(proc)


def test_a_public_host_without_sign_in_needs_allow_open(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.streamlit/secrets.toml
    if (ROOT / ".streamlit" / "secrets.toml").exists():
        pytest.skip("this checkout configures a provider in .streamlit/secrets.toml")
    result = CliRunner().invoke(cli, ["app", "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "Error: no sign-in is configured" in result.output
    assert "pass --allow-open" in result.output
