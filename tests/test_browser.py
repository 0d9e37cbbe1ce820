"""A real browser on the real server: `streamlit run Home.py`, as a department user sees it.

Playwright drives Debian's chromium (never a downloaded browser) against ONE server for the
session. It opens every page as admin, finance and store_manager at 1440x900 and saves a
full-page screenshot of each under artifacts/screenshots/ (kept by CI as artifacts; ignored by
git); it follows a shared link through the sidebar and checks the filters and the numbers stay;
it checks that money in an NZD view never carries a bare "$", that no table cell reads
None/nan, that default views list no test or internal shop, and that every "Deep dive" link of
the briefing points to a page the reader can open. Table cells are read from the data grid's
accessibility table (the visible rows), which holds each cell's text.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1440, "height": 900}
START_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 90_000
ERROR_MARKERS = ("Cannot read", "Unexpected error in", "Traceback (most recent call last)",
                 "This app has encountered an error")
MISSING = {"None", "nan", "NaN", "NaT", "<NA>"}
ROLES_SHOWN = ("admin", "finance", "store_manager")
MANAGER_SHOP = 502
#: finance's own pages (the company-wide ones are the admin's, seen above): the suite stays short
FINANCE_PAGES = ("briefing", "reconciliation", "payment-costs", "tax-gap")


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


@contextmanager
def _serve(demo_path: Path) -> Iterator[str]:
    """`streamlit run Home.py` on a free local port against `demo_path`; killed after."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)")
    port = _free_port()
    # maps draw their shipped base layers, never Carto's tiles: the pages talk to loopback only,
    # and a slow tile host cannot hold up the wait for an idle network
    env = dict(os.environ, LUCKY_DATABASE_URL=str(demo_path), PYTHONPATH=str(ROOT), LUCKY_MAP_TILES="off")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with open(SHOTS.parent / f"streamlit_{port}.log", "w") as out:
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


@pytest.fixture(scope="session")
def server(demo):
    """One server for the session's page tests."""
    with _serve(demo["path"]) as url:
        yield url


@pytest.fixture(scope="session")
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
    try:   # best effort: a map may keep fetching tiles; the script state above is what counts
        page.wait_for_load_state("networkidle", timeout=10_000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError
        pass
    page.wait_for_timeout(300)   # let charts and maps paint before reading (a screenshot waits more)


def _grids(page) -> list[dict]:
    """Each data grid's column headers and visible cell texts."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"] table'))
        .map(t => ({head: Array.from(t.querySelectorAll('thead th')).map(c => c.innerText.trim()),
                    rows: Array.from(t.querySelectorAll('tbody tr')).map(
                        r => Array.from(r.querySelectorAll('td')).map(c => c.innerText.trim()))}))""")


def _wait_for_grids(page) -> None:
    """Wait until every data grid in view has drawn its header (on a busy machine a grid fills
    its accessibility table well after the script ends; one in an inactive tab or a closed
    expander never does); a grid that never does is read as it is, and the test's own
    assertions say what is missing."""
    try:
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"]'))
                .filter(g => g.getBoundingClientRect().height > 0 && !g.closest('details:not([open])'))
                .every(g => g.querySelector('table thead th'))""", timeout=20_000, polling=250)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError
        pass


def _shot(page, path: Path) -> None:
    """A full-page screenshot at 1440 px wide (Streamlit scrolls inside its main container)."""
    height = page.evaluate("() => (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(int(height), 900), 12000)})
    page.wait_for_timeout(800)   # the resized charts repaint
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)


def _visit(page, url: str, shot: Path | None = None) -> dict:
    """Open `url`, wait for the script, read the whole page (and screenshot it to `shot`)."""
    page.goto(url, timeout=PAGE_TIMEOUT_MS)
    _settle(page)
    nav = page.query_selector('[data-testid="stSidebarNav"]')
    # a grid fills its accessibility table only once it is on screen: show the whole page
    height = page.evaluate("() => (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(int(height), 900), 12000)})
    _wait_for_grids(page)
    page.wait_for_timeout(300)   # the resized charts repaint
    grids = _grids(page)
    if shot is not None:
        page.screenshot(path=str(shot), full_page=True)
    page.set_viewport_size(VIEWPORT)
    return {"text": page.inner_text("body"), "grids": grids,
            "exceptions": [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')],
            "nav": nav.inner_text() if nav else "",
            "links": [urlparse(a.get_attribute("href") or "").path.strip("/")
                      for a in page.query_selector_all('[data-testid="stSidebarNav"] a')]}


def _test_shop_ids() -> set[int]:
    from lucky.models import shops as real_shops
    from lucky.queries import shops

    df = shops.shops()
    return set(int(s) for s in df.loc[~real_shops.is_real(df), "shop_id"])


@pytest.mark.timeout(900)
def test_every_page_as_three_roles(server, browser, demo):
    """Every page a role may open, as admin, finance and a store manager: no error, no None/nan
    cell, no test or internal shop in a default view; a screenshot of each."""
    from lucky import tools
    from lucky.core import Viewer

    slugs, test_ids = _slugs(), _test_shop_ids()
    assert "landscape" in slugs
    problems: dict[str, list] = {}
    for role in ROLES_SHOWN:
        page = browser.new_page(viewport=VIEWPORT)
        viewer = Viewer(role=role, shop_ids=(MANAGER_SHOP,) if role == "store_manager" else ())
        try:
            for slug in slugs:
                if not tools.get(slug).allows(viewer) or (role == "finance" and slug not in FINANCE_PAGES):
                    continue
                query = f"?role={role}" + (f"&my_stores={MANAGER_SHOP}" if role == "store_manager" else "")
                seen = _visit(page, f"{server}/{slug}{query}", SHOTS / f"{role}_{slug}.png")
                key = f"{role}/{slug}"
                if seen["exceptions"] or [m for m in ERROR_MARKERS if m in seen["text"]]:
                    problems.setdefault(key, []).append(seen["exceptions"] or "error panel")
                if "Company-wide" not in seen["nav"]:
                    problems.setdefault(key, []).append("no department navigation")
                for grid in seen["grids"]:
                    bad = {c for row in grid["rows"] for c in row if c in MISSING}
                    if bad:
                        problems.setdefault(key, []).append(f"cells {bad} in {grid['head'][:4]}")
                    if "shop id" in grid["head"] and slug != "tenant-audit":   # the audit lists them on purpose
                        i = grid["head"].index("shop id")
                        shown = {int(r[i]) for r in grid["rows"] if i < len(r) and r[i].isdigit()}
                        if shown & test_ids:
                            problems.setdefault(key, []).append(f"test/internal shops {sorted(shown & test_ids)[:5]}")
                if slug == "landscape":
                    assert "Data Landscape" in seen["text"] and "Store network" in seen["text"]
        finally:
            page.close()
    assert not problems, problems


@pytest.mark.timeout(300)
def test_people_opening_deep_links_at_once_all_get_the_navigation(browser, demo):
    """Five people open deep links to a freshly started server at the same moment: every one of
    them gets the department navigation, none Streamlit's raw list of page files (the process
    starts in Streamlit's old multipage mode until a run has gone through Home.py)."""
    slugs = ("landscape", "reconciliation", "anomalies", "tax-gap", "timezones")
    with _serve(demo["path"]) as fresh:
        pages = [browser.new_page(viewport=VIEWPORT) for _ in slugs]
        try:
            for page, slug in zip(pages, slugs):      # all five scripts start before any ends
                page.goto(f"{fresh}/{slug}", wait_until="commit", timeout=PAGE_TIMEOUT_MS)
            for page, slug in zip(pages, slugs):
                _settle(page)
                links = page.eval_on_selector_all('[data-testid="stSidebarNavLink"]', "els => els.map(e => e.innerText)")
                assert "Company-wide" in page.inner_text('[data-testid="stSidebarNav"]'), (slug, links)
                assert not [t for t in links if t.strip().endswith("Home")], (slug, links)
        finally:
            for page in pages:
                page.close()


@pytest.mark.timeout(300)
def test_a_shared_link_keeps_its_filters_through_the_sidebar(server, browser):
    """Open a shared link, move by the sidebar: every page shows the link's range and store, and
    the numbers equal a direct load of that page with the same link."""
    from lucky.queries.landscape import data_span

    first, last = data_span()
    start = max(first, last.replace(day=1))
    query = f"range={start}&range={last}&stores=502"
    page = browser.new_page(viewport=VIEWPORT)
    try:
        _visit(page, f"{server}/reconciliation?{query}")
        metrics = {}
        for title, slug in (("Tax Compliance Gap Tracker", "tax-gap"), ("Data Landscape", "landscape"),
                            ("Daily Revenue Reconciliation", "reconciliation")):
            page.click(f'[data-testid="stSidebarNav"] >> text="{title}"')
            _settle(page)
            params = parse_qs(urlparse(page.url).query)
            assert params.get("range") == [str(start), str(last)], (slug, page.url)
            assert params.get("stores") == ["502"], (slug, page.url)
            dates = [e.input_value() for e in page.query_selector_all(
                '[data-testid="stSidebar"] [data-testid="stDateInput"] input')]
            assert str(start) in dates and str(last) in dates, (slug, dates)
            assert "(502)" in page.inner_text('[data-testid="stSidebar"] [data-testid="stMultiSelect"]')
            metrics[slug] = page.inner_text('[data-testid="stMain"] [data-testid="stMetric"]')
        direct = _visit(page, f"{server}/tax-gap?{query}")
        assert page.inner_text('[data-testid="stMain"] [data-testid="stMetric"]') == metrics["tax-gap"]
        assert direct["text"]
        # a page without dates keeps them for the next one
        page.click('[data-testid="stSidebarNav"] >> text="Database Health Monitor"')
        _settle(page)
        assert not page.query_selector('[data-testid="stSidebar"] [data-testid="stDateInput"]')
        page.click('[data-testid="stSidebarNav"] >> text="Tax Compliance Gap Tracker"')
        _settle(page)
        assert parse_qs(urlparse(page.url).query).get("range") == [str(start), str(last)]
        # a store in the link that nobody knows is named, not silently dropped
        seen = _visit(page, f"{server}/landscape?stores=999999&stores=28th+%26+6th")
        assert "999999" in seen["text"] and "match no store" in seen["text"]
        assert parse_qs(urlparse(page.url).query).get("stores") == ["502"]
    finally:
        page.close()


@pytest.mark.timeout(300)
def test_money_in_an_nzd_view_carries_its_currency(server, browser):
    page = browser.new_page(viewport=VIEWPORT)
    try:
        for slug in ("reconciliation", "landscape"):
            seen = _visit(page, f"{server}/{slug}?currency=NZD", SHOTS / f"admin_{slug}_nzd.png")
            values = [v.inner_text() for v in page.query_selector_all('[data-testid="stMetricValue"]')]
            assert values and not [v for v in values if v.startswith(("$", "-$"))], (slug, values)
            heads = [h for g in seen["grids"] for h in g["head"]]
            assert any("(NZ$)" in h for h in heads), (slug, heads)
            assert not [h for h in heads if h.endswith("($)")], (slug, heads)
            assert "Include test and internal shops" in seen["text"]    # on, and shown
    finally:
        page.close()


@pytest.mark.timeout(300)
def test_briefing_links_only_to_pages_the_reader_can_open(server, browser):
    page = browser.new_page(viewport=VIEWPORT)
    try:
        for role in ("admin", "finance"):
            seen = _visit(page, f"{server}/briefing?role={role}")
            frame = page.query_selector("iframe").content_frame()
            hrefs = frame.evaluate("() => Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
            assert hrefs, "the briefing has no deep dive at all"
            for href in hrefs:
                slug = urlparse(href).path.strip("/")
                assert slug in seen["links"], (role, href, seen["links"])
            # the whole email is on the page: the frame is as tall as its document
            height = frame.evaluate("() => document.documentElement.scrollHeight")
            box = page.query_selector("iframe").bounding_box()
            assert box["height"] >= height - 5, (box, height)
            assert "7-Day Outlook" in frame.inner_text("body")
            assert len([d for d in page.query_selector_all('[data-testid="stDateInput"]')]) == 1   # "As of" only
    finally:
        page.close()


def _map_point(box: dict, lat: float, lon: float) -> dict:
    """Where (lat, lon) lies on a deck.gl map of `box` at the expansion map's first view (Web
    Mercator, 512-px world at zoom 0)."""
    import math

    from lucky.tools.expansion import MAP_VIEW as view

    world = 512 * 2 ** view.zoom

    def merc(la: float, lo: float) -> tuple[float, float]:
        r = math.radians(la)
        return (lo + 180) / 360 * world, (1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * world

    (x, y), (x0, y0) = merc(lat, lon), merc(view.latitude, view.longitude)
    return {"x": box["width"] / 2 + x - x0, "y": box["height"] / 2 + y - y0}


def _click_map(page, lat: float, lon: float, url_part: str) -> None:
    """Click the map at (lat, lon) until the URL holds `url_part`: deck.gl drops a click that lands
    while it is still laying out after a rerun, and a repeated click is harmless (the page's click
    handler is idempotent: the same point or site gives the same URL)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(4):
        chart = page.locator('[data-testid="stDeckGlJsonChart"]').first
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        point = _map_point(box, lat, lon)
        page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
        page.wait_for_timeout(500)          # the hover picks the object first, as a person's pointer does
        page.mouse.down()
        page.mouse.up()
        try:
            page.wait_for_function(f"() => location.search.includes({url_part!r})", timeout=20_000)
            _settle(page)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"clicking the map at {lat}, {lon} never gave {url_part} in {page.url}")


@pytest.mark.timeout(300)
def test_expansion_map_click_scores_a_new_site_and_picks_a_site(server, browser):
    """A click on land (Times Square) adds a what-if site there, scores it and shows it, all kept in
    the URL; a click on the Lexington & 57th candidate then shows that site."""
    page = browser.new_page(viewport=VIEWPORT)
    try:
        _visit(page, f"{server}/expansion?role=admin")
        _click_map(page, 40.7590, -73.9845, "expansion_site=W1")
        params = parse_qs(urlparse(page.url).query)
        lat, lon = (float(v) for v in params["expansion_sites"][0].split(","))
        assert abs(lat - 40.7590) < 0.002 and abs(lon + 73.9845) < 0.002, params
        assert "W1 · what-if 1" in page.inner_text("body")
        _shot(page, SHOTS / "admin_expansion_clicked.png")
        _click_map(page, 40.76110, -73.96930, "expansion_site=S003")           # Lexington & 57th
        assert "S003 · Lexington & 57th" in page.inner_text("body")
        assert parse_qs(urlparse(page.url).query)["expansion_sites"] == params["expansion_sites"]
    finally:
        page.close()


def test_the_protocol_clients_of_the_concurrency_bench_open_pages(server):
    """`bench_concurrency.py --clients protocol` speaks Streamlit's WebSocket protocol by hand: a
    Streamlit upgrade that changes it must break this test, not silently the bench's figures."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    sys.path.insert(0, str(ROOT))
    from bench.bench_concurrency import PAGES, protocol_session

    port = urlparse(server).port
    for navigate in (False, True):
        times: list[float] = []
        with ThreadPoolExecutor(1) as pool:   # its own event loop: Playwright's runs in this thread
            pool.submit(asyncio.run, protocol_session(port, times, navigate)).result()
        assert len(times) == len(PAGES) and all(0 < t < 180 for t in times), (navigate, times)
