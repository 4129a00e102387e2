"""Shared by the browser tests: serve app.py with `streamlit run`, drive Debian's Chromium.

`serve(home, ...)` starts a fresh server on a free port and stops it afterwards; `chromium()`
launches the browser with the flags this machine needs (never `playwright install`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
# Server start: health polls of HEALTH_POLL_S; 100 of them (20 s) cover a cold start on a busy
# machine.
HEALTH_POLLS = 100
HEALTH_POLL_S = 0.2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(
    home: Path,
    *,
    port: int | None = None,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """A fresh `streamlit run app.py` on `home`; yields its URL and stops it afterwards."""
    port = port or free_port()
    full_env = {**os.environ, "COCKPIT_HOME": str(home), **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", *extra_args,
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, "streamlit")
        yield url
    finally:
        stop(proc)


def wait_healthy(url: str, what: str) -> None:
    """Poll `url`'s Streamlit health endpoint until it answers; fail the test if it never does."""
    for _ in range(HEALTH_POLLS):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return
        except OSError:
            time.sleep(HEALTH_POLL_S)
    pytest.fail(f"{what} did not start")


def stop(proc: subprocess.Popen) -> None:
    """Terminate a server process; kill it when it does not stop within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextlib.contextmanager
def chromium():
    """Debian's Chromium through Playwright (a module-scoped fixture wraps this)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


# Placeholders Streamlit draws while a run has not delivered an element yet.
SKELETONS = "[data-testid=stSkeleton], [data-testid=stSkeletonElement], [data-testid=stAppSkeleton]"


def settle(page, ms: int = 1200) -> None:
    """Wait until the script run finished, no placeholder is left, and charts drew.

    The status widget may not have appeared yet when this is called (a busy machine), so the
    skeleton placeholders are waited for too: a screenshot once caught a page of them.
    """
    page.wait_for_load_state("networkidle")
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=30_000)
    page.wait_for_function(f"!document.querySelector({SKELETONS!r})", timeout=30_000, polling=200)
    page.wait_for_timeout(ms)
