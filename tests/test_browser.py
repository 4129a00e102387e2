"""Real browser: serve app.py on the fixture store, load every page in Chromium, screenshot it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cockpit.settings import Settings
from tests.app_fixture import build_app_store

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
OUT = ROOT / "test-output" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
# url path → what the page must show
PAGES = {
    "portfolio": "Current vs potential",
    "account": "Automation vs potential",
    "topics": "Topic demand over time",
    "conversations": "conversations match",
    "brief": "Pre-call brief",
    "data_health": "Quarantined rows",
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser") / "home"
    build_app_store(Settings(home=home))
    port = _free_port()
    env = {**os.environ, "COCKPIT_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("streamlit did not start")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_every_page_loads_without_error(server):
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            for path, expected in PAGES.items():
                page.goto(f"{server}/{path}?account=globex", wait_until="networkidle")
                page.get_by_text(expected).first.wait_for(timeout=20_000)
                page.wait_for_timeout(1200)  # let Vega charts finish drawing
                assert page.locator('[data-testid="stException"]').count() == 0, path
                assert "Traceback" not in page.content(), path
                assert page.locator('[data-testid="stSidebar"]').get_by_text("Account").count() > 0
                shot = OUT / f"{path}.png"
                page.screenshot(path=str(shot), full_page=True)
                if os.environ.get("COCKPIT_UPDATE_SCREENSHOTS") == "1":
                    DOCS.mkdir(parents=True, exist_ok=True)
                    shutil.copy(shot, DOCS / shot.name)
        finally:
            browser.close()
