"""Lucky's entrypoint: `streamlit run Home.py`.

Builds the navigation from the tool registry, grouped by department, listing the tools the
viewer's role may open (other pages stay reachable by URL and explain the denial). A tool with a
`pages/<slug>.py` gets that page; any other gets the generic page drawn from its declaration
(`lucky.ui.options.generic_page`). The landing page is the Data Landscape. On a first run with nothing configured, the
embedded demo is built here with a progress bar.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from lucky import config, sources, tools
from lucky.core import DEPARTMENTS, Viewer
from lucky.tools import warm
from lucky.ui import errors, frame
from lucky.ui.options import generic_page

ROOT = Path(__file__).resolve().parent
LANDING = "landscape"

st.set_page_config(page_title="Lucky · Luckin Coffee USA", page_icon=":material/local_cafe:",
                   layout="wide", initial_sidebar_state="expanded")
# A first start loads every tool before it can draw the build's progress: say so at once.
BOOT = st.empty()
if sources.is_demo() and not config.demo_path().exists():
    BOOT.info("Starting Lucky for the first time…", icon=":material/hourglass_top:")


#: What each generator step makes, in a user's words (the progress text of the first run).
DEMO_STEPS = {
    "catalog": "stores and the menu", "users": "customers", "orders": "orders",
    "payments": "card payments and fees", "accounting": "accounting records", "iot": "coffee machines",
    "production": "drink production", "stock": "store stock", "replenishment": "demand forecasts",
    "purchase": "suppliers and purchasing", "crm": "customer histories", "marketing": "coupons and campaigns",
    "experiments": "A/B tests", "misc": "the remaining records",
}


def _in_words(message: str) -> str:
    """The builder's message (`generating orders`, `payments: luckyus_... +157,000 rows ...`) as
    a sentence a department user understands."""
    step = message.split(":", 1)[0].removeprefix("generating ").strip()
    if step in DEMO_STEPS:
        return f"Creating {DEMO_STEPS[step]}…"
    if message.startswith("creating"):
        return "Preparing the databases…"
    if message.startswith("indexes"):
        return "Indexing the data so pages open quickly…"
    if message.startswith(("swapping", "done")):
        return "Finishing…"
    return "Working…"


def ensure_demo() -> None:
    """Build the embedded demo on first use, showing progress in plain words (the builder's own
    messages go in a Details expander); a no-op once it exists."""
    if not sources.is_demo() or config.demo_path().exists():
        return
    st.info("**Welcome to Lucky.** This is the first start, so Lucky is creating its demo data: a "
            "synthetic copy of Luckin Coffee USA's 18 databases (stores, orders, payments, "
            "production, stock, customers). This happens once and takes one to two minutes "
            "on a small machine; every later start is instant.", icon=":material/coffee_maker:")
    bar = st.progress(0.0, text="Getting started…")
    with st.expander("Details"):
        details = st.empty()
    log: list[str] = []
    try:
        from lucky.demo.build import ensure_demo as build_demo
    except ImportError as exc:
        st.error(f"No data source is configured and the demo builder is unavailable ({exc}). "
                 "Set `LUCKY_DATABASE_URL` or `[connections.<database>]` in secrets.")
        st.stop()

    def progress(step: str, fraction: float) -> None:
        done = min(max(float(fraction), 0.0), 1.0)
        bar.progress(done, text=f"{_in_words(step)} ({done:.0%})")
        log.append(step)
        details.code("\n".join(log[-12:]), language=None)

    try:
        build_demo(progress)
    except Exception as exc:  # noqa: BLE001 - shown in the panel, not as a traceback
        errors.show(exc, "the demo build")
        st.stop()
    bar.empty()
    sources.dispose_all()
    frame.clear_caches()
    st.rerun()   # draw the page on a clean screen, without the welcome and progress


def pages_for(role: str | None) -> dict[str, list[st.Page]]:
    """Department -> pages; pages the role may not open stay routable but hidden."""
    viewer = Viewer(role=role or "admin")
    groups: dict[str, list[st.Page]] = {}
    for tool in tools.registry().values():
        file = ROOT / "pages" / f"{tool.slug}.py"
        path = file if file.exists() else generic_page(tool.slug)
        visible = role is not None and tool.allows(viewer)
        page = st.Page(path, title=tool.title, icon=tool.icon, url_path=tool.slug,
                       visibility="visible" if visible else "hidden")
        groups.setdefault(tool.department, []).append(page)
        if tool.slug == LANDING:  # also served at "/" (a default page's own URL is always "")
            groups[tool.department].append(st.Page(path, title=tool.title, icon=tool.icon,
                                                   url_path="home", default=True,
                                                   visibility="hidden"))
    order = {d: i for i, d in enumerate(DEPARTMENTS)}
    return dict(sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order))))


try:
    nav = pages_for(frame.current_role())
except Exception as exc:  # noqa: BLE001 - a broken tool module must not blank the app
    errors.show(exc, "the tool registry")
    st.stop()
if tools.broken():  # the other tools keep working; say which ones are missing and why
    st.sidebar.warning("Some tools failed to load and are not listed: "
                       + "; ".join(f"`{name}`: {err}" for name, err in tools.broken().items()),
                       icon=":material/extension_off:")
if not nav:
    st.warning("No tool pages are installed yet.")
    st.stop()
page = st.navigation(nav, position="sidebar", expanded=True)  # before the build: no raw page list
BOOT.empty()
ensure_demo()
warm.start_if_needed()   # new demo or new code: the heavy pages' bases, at low priority, meanwhile
with frame.through_home():
    page.run()
