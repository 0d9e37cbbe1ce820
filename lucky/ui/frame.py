"""The app frame: page setup (banner, shared filters, identity) and cached tool runs.

Every page starts with `setup_page(slug)` and runs its tool through `run_cached`, so filters,
roles, caching and error handling behave the same on all pages (the UI contract in
docs/CONTRIBUTING.md). Filters are bound to the URL (`bind="query-params"`), so a link
reproduces a view and the values survive page switches.
"""
from __future__ import annotations

import logging
import os
import threading
from datetime import date

import pandas as pd
import streamlit as st

from lucky import config, sources, tools
from lucky.access import AccessDenied
from lucky.errors import LuckyError
from lucky.core import ROLES, Filters, Output, Tool, Viewer
from lucky.ui import errors

log = logging.getLogger("lucky.ui")

CACHE_TTL_S = int(os.environ.get("LUCKY_CACHE_TTL_S", "600"))
CURRENCIES = ("USD", "NZD")
ROLE_LABELS = {
    "admin": "Admin (everything)", "finance": "Finance", "marketing": "Marketing",
    "product": "Product", "operations": "Operations", "supply_chain": "Supply chain",
    "it": "IT / DevOps", "store_manager": "Store manager",
}
# Widget keys double as URL query-parameter names.
K_ROLE, K_SHOPS, K_ASOF, K_RANGE, K_STORES, K_CURRENCY = (
    "role", "my_stores", "as_of", "range", "stores", "currency")


# ------------------------------------------------------------------ identity
def auth_configured() -> bool:
    """True when `[auth]` (OIDC) is in secrets: identity then comes from `st.user`."""
    return bool(config.secrets().get("auth"))


def parse_role(entry: object, name: str) -> Viewer | None:
    """One `[roles]` entry of secrets -> Viewer.

    Accepted forms: `"finance"`, `"store_manager:1,2"` or `{role = "store_manager", shops = [1, 2]}`.
    """
    if isinstance(entry, dict):
        role, shops = str(entry.get("role", "")), tuple(int(s) for s in entry.get("shops", ()))
    elif isinstance(entry, str):
        role, _, rest = entry.partition(":")
        shops = tuple(int(s) for s in rest.split(",") if s.strip())
    else:
        return None
    role = role.strip()
    return Viewer(role=role, shop_ids=shops, name=name) if role in ROLES else None


def _signed_in_viewer() -> Viewer | None:
    """The OIDC user's Viewer from the `[roles]` mapping (by email, then `default`), or None."""
    email = str(st.user.get("email") or "")
    mapping = config.secrets().get("roles", {})
    lowered = {str(k).lower(): v for k, v in mapping.items()}
    entry = lowered.get(email.lower(), mapping.get("default"))
    return parse_role(entry, email) if entry is not None else None


def _demo_role() -> str:
    """The demo switcher's current role without rendering it (Home builds navigation with it)."""
    role = st.session_state.get(K_ROLE) or st.query_params.get(K_ROLE) or "admin"
    return role if role in ROLES else "admin"


def current_role() -> str | None:
    """The viewer's role for navigation: from sign-in when OIDC is on, else the demo switcher."""
    if auth_configured():
        if not st.user.is_logged_in:
            return None
        viewer = _signed_in_viewer()
        return viewer.role if viewer else None
    return _demo_role()


def _identity(store_options: pd.DataFrame) -> Viewer:
    """Render the identity block in the sidebar; stop the page when nobody may see it."""
    side = st.sidebar
    if auth_configured():
        if not st.user.is_logged_in:
            st.info("Sign in to use Lucky.", icon=":material/login:")
            st.button("Sign in", on_click=st.login, type="primary")
            st.stop()
        viewer = _signed_in_viewer()
        side.caption(f"Signed in as **{st.user.get('email')}**"
                     + (f" · {ROLE_LABELS.get(viewer.role, viewer.role)}" if viewer else ""))
        side.button("Sign out", on_click=st.logout)
        if viewer is None:
            errors.denied(f"{st.user.get('email')} has no role in Lucky's role mapping "
                          "(`[roles]` in secrets). Ask an admin to add you.")
            st.stop()
        return viewer
    side.markdown("**Viewing as** (demo)")
    role = side.selectbox("Role", ROLES, key=K_ROLE,
                          bind="query-params",
                          help="Demo only: with sign-in configured ([auth] in secrets) "
                               "the role comes from your account.")
    shops: tuple[int, ...] = ()
    if role == "store_manager":
        ids = store_options["shop_id"].tolist()
        labels = dict(zip(ids, store_options["label"]))
        chosen = side.multiselect("My stores", ids, default=ids[:1], format_func=labels.get,
                                  key=K_SHOPS, bind="query-params",
                                  help="The shops this store manager is bound to.")
        shops = tuple(int(s) for s in chosen)
    return Viewer(role=role, shop_ids=shops, name=f"demo {role}")


# ------------------------------------------------------------------ filters
def _label(row: pd.Series) -> str:
    name = row["shop_name"] if isinstance(row["shop_name"], str) and row["shop_name"] else "shop"
    suffix = "" if row.get("currency_code") in (None, "USD") else f", {row['currency_code']}"
    return f"{name} ({row['shop_id']}{suffix})"


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _calendar(keys: tuple[str, ...]) -> dict:
    """Data span in store-local days and the store list (shops with orders, plus real shops)."""
    from lucky.queries import landscape, orders, shops

    first, last = landscape.data_span()
    shop_df, span = shops.shops(), orders.per_store(None)
    real = (shop_df["test_flag"].fillna(0) == 0) & (shop_df["internal"].fillna(0) == 0) \
        & (shop_df["status"].fillna(0) == 1)
    traded = shop_df["shop_id"].isin(span["shop_id"]) if not span.empty else False
    options = shop_df[real | traded].copy()
    # Real USD stores first (a store manager's default shop is one of them), then the rest.
    options["_rank"] = ~(real & (shop_df["currency_code"] == "USD")).loc[options.index]
    options = options.sort_values(["_rank", "shop_id"])
    options["label"] = options.apply(_label, axis=1) if len(options) else pd.Series(dtype=str)
    return {"first": first, "last": last, "stores": options[["shop_id", "label", "currency_code"]]}


def data_calendar() -> tuple[date | None, date | None, pd.DataFrame, str | None]:
    """(first day, latest day, store options, problem) — a problem text instead of an exception."""
    empty = pd.DataFrame({"shop_id": pd.Series(dtype=int), "label": pd.Series(dtype=str),
                          "currency_code": pd.Series(dtype=str)})
    try:
        keys = (sources.resolve("luckyus_sales_order").key, sources.resolve("luckyus_opshop").key)
        cal = _calendar(keys)
    except LuckyError as exc:
        return None, None, empty, str(exc)
    return cal["first"], cal["last"], cal["stores"], None


def _filters(viewer: Viewer, first: date | None, last: date | None,
             store_options: pd.DataFrame) -> Filters:
    """Render the shared filters in the sidebar and return them."""
    side = st.sidebar
    side.markdown("**Filters**")
    today = last or date.today()
    lo = first or today
    as_of = side.date_input("As of", value=today, min_value=lo, max_value=today, key=K_ASOF,
                            bind="query-params",
                            help="The day the view is 'as of'; defaults to the latest day in the data.")
    picked = side.date_input("Date range", value=(lo, today), min_value=lo, max_value=today,
                             key=K_RANGE, bind="query-params",
                             help="Store-local business days, inclusive.")
    start, end = _range(picked, lo, today)
    if viewer.role == "store_manager":
        store_options = store_options[store_options["shop_id"].isin(viewer.shop_ids)]
    ids = [int(s) for s in store_options["shop_id"]]
    labels = dict(zip(ids, store_options["label"]))
    stores = side.multiselect("Stores", ids, format_func=lambda s: labels.get(s, str(s)),
                              key=K_STORES, bind="query-params", placeholder="All stores",
                              help="Empty means every store you may see.")
    currency = side.segmented_control("Currency", CURRENCIES, default="USD", required=True,
                                      key=K_CURRENCY, bind="query-params",
                                      help="NZD (Cook Islands test stores) is never added to USD.")
    return Filters(start=start, end=end, stores=tuple(sorted(int(s) for s in stores)),
                   currency=currency or "USD", as_of=as_of or today)


def _range(picked: object, lo: date, hi: date) -> tuple[date, date]:
    """The date input returns 0-2 dates while the user is picking; fill the missing ends."""
    values = list(picked) if isinstance(picked, (tuple, list)) else [picked] if picked else []
    start = values[0] if values else lo
    end = values[1] if len(values) > 1 else hi
    return (start, end) if start <= end else (end, start)


# ------------------------------------------------------------------ page setup
@st.cache_data(ttl=300, show_spinner=False)
def _demo_meta(source_key: str) -> dict | None:
    """The build metadata when the sources are a Lucky demo (wherever it was loaded), else None."""
    return sources.demo_meta()


def banner() -> None:
    """Say plainly that the embedded demo is synthetic."""
    try:
        demo = _demo_meta(sources.resolve("luckyus_sales_order").key)
    except LuckyError:
        demo = None
    if demo is not None:
        st.info("**Synthetic demo data.** Everything on this page is generated to look like "
                f"Luckin Coffee USA's databases (scale {demo.get('scale')}, seed {demo.get('seed')}, "
                f"built {demo.get('built_at')} UTC). Point Lucky at real replicas with "
                "`LUCKY_DATABASE_URL` or `[connections.<database>]` in secrets.",
                icon=":material/science:")


def _through_home() -> None:
    """Until some run of Home.py has called `st.navigation` in this server process, Streamlit
    serves a deep link by running the `pages/` file on its own (its old multipage mode): no
    department navigation, no role-filtered page list, no first-run demo build. Such a run
    switches the process to `st.navigation` and reruns, this time through Home.py."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:   # a Streamlit without the old mode
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def setup_page(slug: str) -> tuple[Filters, Viewer]:
    """Banner, identity and shared filters; stops the page with a reason when it is denied."""
    _through_home()
    tool = _tool(slug)
    if tool is None or tool.sources:  # fleet tools watch real servers, not the demo data
        banner()
    first, last, store_options, problem = data_calendar()
    viewer = _identity(store_options)
    filters = _filters(viewer, first, last, store_options)
    if problem:
        st.sidebar.warning(f"Store list and dates unavailable: {problem}", icon=":material/database_off:")
    elif last is None:
        st.sidebar.caption("No orders in the data yet: dates default to today.")
    if tool is not None and not tool.allows(viewer):
        try:
            from lucky import access
            access.require(tool, viewer)
        except AccessDenied as exc:
            errors.denied(str(exc))
        st.stop()
    return filters, viewer


def _tool(slug: str) -> Tool | None:
    try:
        return tools.get(slug)
    except KeyError as exc:
        st.error(str(exc).strip("'\""), icon=":material/error:")
        st.stop()
    return None


# ------------------------------------------------------------------ cached runs
def source_keys(tool: Tool) -> tuple[str, ...]:
    """Identity of every source the tool reads (URL without password, demo file mtime)."""
    return tuple(f"{db}={sources.resolve(db).key}" for db in tool.sources if db)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=256, show_spinner=False)
def _cached_execute(slug: str, filters: Filters, viewer: Viewer, options: dict,
                    keys: tuple[str, ...], tick: object) -> Output:
    return tools.execute(slug, filters, viewer, **options)


_flights: dict[tuple, threading.Lock] = {}
_flights_lock = threading.Lock()


def _single_flight(key: tuple) -> threading.Lock:
    """One lock per cache key: when twenty sessions open a cold page at once, one computes and
    the others wait for its cached result instead of each running the same tool (a stampede
    that multiplies the cold time by the number of sessions on a 2-core server)."""
    with _flights_lock:
        if len(_flights) > 1024:          # locks are cheap; forget the idle ones now and then
            for k in [k for k, lock in _flights.items() if not lock.locked()]:
                del _flights[k]
        return _flights.setdefault(key, threading.Lock())


def run_cached(slug: str, filters: Filters, viewer: Viewer, tick: object = None,
               **options) -> Output | None:
    """`tools.execute` through st.cache_data (TTL, source identity in the key) with a spinner.

    `tick` only keys the cache (the fleet pages pass the current minute so health is never
    stale). Any failure becomes an error panel naming the database and the setting to fix;
    returns None.
    """
    from streamlit.runtime.caching.cache_errors import UnserializableReturnValueError

    tool = tools.get(slug)
    try:
        keys = source_keys(tool)
        flight = _single_flight((slug, filters, viewer, repr(sorted(options.items())), keys, tick))
        with st.spinner(f"Loading {tool.title}…", show_time=True), flight:
            try:
                return _cached_execute(slug, filters, viewer, dict(options), keys, tick)
            except UnserializableReturnValueError:
                log.warning("%s returned an unpicklable Output; running uncached", slug)
                return tools.execute(slug, filters, viewer, **options)
    except Exception as exc:  # noqa: BLE001 - the panel is the point: never a traceback
        errors.show(exc, tool.title)
        return None


def clear_caches() -> None:
    """Forget cached results (after the demo is rebuilt)."""
    st.cache_data.clear()
