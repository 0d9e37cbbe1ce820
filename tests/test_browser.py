"""A real browser on the real server: `streamlit run Home.py`, every page opened by its URL path.

Playwright drives Debian's chromium (never a downloaded browser). A page fails on any exception
box or error panel; a screenshot of each page is saved under tests/artifacts/ to look at.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 90_000
ERROR_MARKERS = ("Cannot read", "Unexpected error in", "Traceback (most recent call last)",
                 "This app has encountered an error")


def _slugs() -> list[str]:
    """Every page file that has a registered tool (the pages Home.py routes)."""
    from lucky import tools

    return [s for s in tools.registry() if (ROOT / "pages" / f"{s}.py").exists()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.25)  # polling for readiness, not timing a result
    raise RuntimeError(f"streamlit did not answer on port {port} within {START_TIMEOUT_S} s")


@pytest.fixture(scope="module")
def server(demo):
    """`streamlit run Home.py` on a free local port against the session's demo; killed after."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)")
    port = _free_port()
    env = dict(os.environ, LUCKY_DATABASE_URL=str(demo["path"]), PYTHONPATH=str(ROOT))
    log = (ARTIFACTS / "streamlit.log")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(port, proc)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _settle(page) -> None:
    """Wait until Streamlit has finished running the script and drawing the page."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            const main = document.querySelector('[data-testid="stMainBlockContainer"]');
            return app && main && app.getAttribute('data-test-script-state') === 'notRunning'
                && main.querySelectorAll('*').length > 20
                && !document.querySelector('[data-testid="stSkeleton"]')
                && !document.querySelector('[data-testid="stSpinner"]');
        }""", timeout=PAGE_TIMEOUT_MS, polling=250)
    page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_timeout(1500)  # let charts and maps paint before the screenshot


def _open(browser, url: str, shot: Path) -> tuple[list[str], str]:
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.goto(url, timeout=PAGE_TIMEOUT_MS)
        _settle(page)
        exceptions = [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]
        text = page.inner_text("body")
        nav = page.query_selector('[data-testid="stSidebarNav"]')
        # the department navigation of Home.py, also when a fresh server's first visit is a deep link
        assert nav is not None and "Company-wide" in nav.inner_text(), f"{url}: no department navigation"
        # Streamlit scrolls inside its main container, so grow the viewport to the content.
        height = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        page.set_viewport_size({"width": 1440, "height": min(max(int(height), 1000), 12000)})
        page.wait_for_timeout(1000)  # let the resized charts repaint before the screenshot
        page.screenshot(path=str(shot), full_page=True)
        return exceptions, text
    finally:
        page.close()


@pytest.mark.timeout(600)
def test_every_page_opens_without_errors(server, browser):
    slugs = _slugs()
    assert "landscape" in slugs
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = {}
    for slug in slugs:
        exceptions, text = _open(browser, f"{server}/{slug}", ARTIFACTS / f"page_{slug}.png")
        markers = [m for m in ERROR_MARKERS if m in text]
        if exceptions or markers:
            problems[slug] = exceptions or markers
        if slug == "landscape":
            assert "Data Landscape" in text and "Store network" in text
    assert not problems, f"pages with errors: {problems}"


@pytest.mark.timeout(300)
def test_filters_live_in_the_url_and_roles_are_enforced(server, browser):
    """A link reproduces a view (currency, role); the landing page is the Data Landscape."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    exceptions, text = _open(browser, f"{server}/", ARTIFACTS / "home.png")
    assert not exceptions and "Data Landscape" in text
    exceptions, text = _open(browser, f"{server}/landscape?currency=NZD&role=store_manager",
                             ARTIFACTS / "landscape_nzd_store_manager.png")
    assert not exceptions
    assert "NZD revenue" in text and "My stores" in text  # "My stores" exists only for store managers
