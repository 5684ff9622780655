"""Shared fixtures: a clean Streamlit cache per test, and a live app server + Chromium for the
browser tests (Debian's /usr/bin/chromium driven by pytest-playwright)."""

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

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROME_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = ROOT / "test-output" / "screenshots"  # pytest-playwright empties test-results/ at start


@pytest.fixture(autouse=True, scope="session")
def one_thread():
    """Every test trains on one CPU thread, as the app does on a 2-core machine: the tiny networks
    here run fastest that way, and results do not depend on the machine's core count. (Session
    scope, so it is in force before any module-scoped fixture trains.)"""
    import torch

    torch.set_num_threads(1)
    yield


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Streamlit caches outlive an AppTest: start every test from empty ones."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _require_chromium() -> None:
    """Skip the browser tests where Chromium is missing, except in CI, where they must run."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: CI must run the browser tests")
        pytest.skip("Chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def app_url():
    """Start `streamlit run app.py` on a free loopback port for the whole session."""
    _require_chromium()
    port = _free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # one log per xdist worker: none overwrites another
    log = open(ROOT / "test-output" / f"streamlit-{worker}.log", "w") if _mkdir() else subprocess.DEVNULL
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the Streamlit server did not answer /_stcore/health within 60 s")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _mkdir() -> bool:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return True


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    _require_chromium()  # before pytest-playwright tries to launch it
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROME_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture
def screenshot_dir() -> Path:
    _mkdir()
    return SCREENSHOTS
