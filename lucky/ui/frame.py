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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from lucky import config, sources, tools
from lucky.access import AccessDenied
from lucky.core import ROLES, Filters, Output, Tool, Viewer
from lucky.errors import LuckyError
from lucky.ui import errors, render

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
    """The demo switcher's current role without rendering it (Home builds navigation with it):
    a role new in the URL (a link), else the filter state, else the widget, else admin."""
    url = st.query_params.get(K_ROLE)
    if url in ROLES and [url] != st.session_state.get(SEEN, {}).get(K_ROLE):
        return url
    role = st.session_state.get(K_ROLE) or _state().get(K_ROLE) or url or "admin"
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
    state = _state()
    _seed(K_ROLE, state.get(K_ROLE, _demo_role()))
    role = side.selectbox("Role", ROLES, key=K_ROLE,
                          help="Demo only: with sign-in configured ([auth] in secrets) "
                               "the role comes from your account.")
    state[K_ROLE] = role
    shops: tuple[int, ...] = ()
    if role == "store_manager":
        real = store_options[store_options["kind"] == "real"] if "kind" in store_options else store_options
        ids = [int(s) for s in real["shop_id"]]
        labels = dict(zip(ids, real["label"]))
        _seed(K_SHOPS, [s for s in state.get(K_SHOPS, ids[:1]) if s in ids])
        chosen = side.multiselect("My stores", ids, format_func=labels.get, key=K_SHOPS,
                                  help="The shops this store manager is bound to.")
        shops = tuple(int(s) for s in chosen)
        state[K_SHOPS] = list(shops)
    return Viewer(role=role, shop_ids=shops, name=f"demo {role}")


# ------------------------------------------------------------------ filters
def _label(row: pd.Series) -> str:
    name = row["shop_name"] if isinstance(row["shop_name"], str) and row["shop_name"] else "shop"
    extra = [] if row.get("currency_code") in (None, "USD") else [str(row["currency_code"])]
    if row.get("kind") in ("test", "internal"):
        extra.append(str(row["kind"]))
    return f"{name} ({row['shop_id']}{''.join(', ' + e for e in extra)})"


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _calendar(keys: tuple[str, ...]) -> dict:
    """Data span in store-local days and the store list: real shops first, then test and
    internal shops that traded (flagged in their label)."""
    from lucky import calendar

    first, last, options = calendar.data_calendar()
    options["label"] = options.apply(_label, axis=1) if len(options) else pd.Series(dtype=str)
    return {"first": first, "last": last,
            "stores": options[["shop_id", "shop_name", "label", "currency_code", "kind"]]}


def data_calendar() -> tuple[date | None, date | None, pd.DataFrame, str | None]:
    """(first day, latest day, store options, problem) — a problem text instead of an exception."""
    empty = pd.DataFrame({"shop_id": pd.Series(dtype=int), "shop_name": pd.Series(dtype=str),
                          "label": pd.Series(dtype=str), "currency_code": pd.Series(dtype=str),
                          "kind": pd.Series(dtype=str)})
    try:
        keys = (sources.resolve("luckyus_sales_order").key, sources.resolve("luckyus_opshop").key)
        cal = _calendar(keys)
    except LuckyError as exc:
        return None, None, empty, str(exc)
    return cal["first"], cal["last"], cal["stores"], None


# The filters live in session state under STATE (one dict that survives every page switch) and
# in the URL (written by `_write_url`, read by `_read_url`). Streamlit's own widget binding
# (`bind="query-params"`) ties a value to the page that drew the widget, so the first switch to
# another page dropped the filters; and it writes a multiselect's labels, not shop ids.
STATE, SEEN, DRAWN = "_lucky_filters", "_lucky_url", "_lucky_drawn"
_ABSENT = object()
K_TESTS = "tests"
URL_KEYS = (K_ROLE, K_SHOPS, K_ASOF, K_RANGE, K_STORES, K_CURRENCY, K_TESTS)
#: Filters a page shows when it does not say (`setup_page(slug, uses=...)`): tools that read
#: the sources use the date range, stores and currency; fleet tools (no sources) none.
DEFAULT_USES = (K_RANGE, K_STORES, K_CURRENCY)
TRUE = {"1", "true", "yes", "on"}


def _state() -> dict:
    return st.session_state.setdefault(STATE, {})


def _url_value(key: str) -> list[str]:
    """A query parameter's values; `stores=501,502` and `stores=501&stores=502` both work."""
    values = []
    for v in st.query_params.get_all(key):
        values += [p.strip() for p in str(v).split(",") if p.strip()] if key in (K_STORES, K_SHOPS) else [v]
    return values


def _changed_in_url() -> dict[str, list[str]]:
    """URL parameters that differ from what Lucky last wrote: a link was opened, the address
    edited or the browser went back. Absent parameters say nothing (page switches drop them)."""
    seen = st.session_state.get(SEEN, {})
    out = {}
    for key in URL_KEYS:
        if key in st.query_params:
            value = _url_value(key)
            if value != seen.get(key):
                out[key] = value
    return out


def _stores_from(tokens: list[str], options: pd.DataFrame, notes: list[str], what: str) -> list[int]:
    """Shop ids from URL tokens: an id, a shop name or a label; the rest named in `notes`."""
    ids = [int(s) for s in options["shop_id"]]
    by_name = {str(n).strip().lower(): int(i) for i, n in zip(options["shop_id"], options["shop_name"])}
    by_name.update({str(n).strip().lower(): int(i) for i, n in zip(options["shop_id"], options["label"])})
    out, bad = [], []
    for token in tokens:
        t = token.strip()
        if t.isdigit() and int(t) in ids:
            out.append(int(t))
        elif t.lower() in by_name:
            out.append(by_name[t.lower()])
        else:
            bad.append(t)
    if bad:
        notes.append(f"The link's `{what}` value{'s' if len(bad) > 1 else ''} "
                     + ", ".join(f"“{b}”" for b in bad)
                     + " match no store you may see (use shop ids, e.g. `stores=502`, or exact "
                       "names); ignored.")
    return sorted(set(out))


def _dates_from(tokens: list[str], notes: list[str], what: str) -> list[date]:
    out = []
    for t in tokens:
        try:
            out.append(date.fromisoformat(str(t).strip()))
        except ValueError:
            notes.append(f"The link's `{what}={t}` is not a date (YYYY-MM-DD); ignored.")
    return out


def _read_url(options: pd.DataFrame, lo: date, hi: date) -> list[str]:
    """Apply the URL's new values to the filter state; return notes on what was not understood."""
    state, notes = _state(), []
    for key, tokens in _changed_in_url().items():
        if key == K_ROLE:
            if tokens and tokens[-1] in ROLES:
                state[K_ROLE] = tokens[-1]
            else:
                notes.append(f"The link's `role={tokens[-1] if tokens else ''}` is not a role "
                             f"({', '.join(ROLES)}); ignored.")
        elif key in (K_STORES, K_SHOPS):
            state[key] = _stores_from(tokens, options, notes, key)
        elif key == K_CURRENCY:
            code = (tokens[-1] if tokens else "").upper()
            if code in CURRENCIES:
                state[K_CURRENCY] = code
            else:
                notes.append(f"The link's `currency={tokens[-1] if tokens else ''}` is not one of "
                             f"{', '.join(CURRENCIES)}; ignored.")
        elif key == K_TESTS:
            state[K_TESTS] = bool(tokens) and tokens[-1].strip().lower() in TRUE
        elif key == K_ASOF:
            days = _dates_from(tokens[-1:], notes, key)
            if days:
                state[K_ASOF] = _clamped(days[0], lo, hi, notes, key)
        elif key == K_RANGE:
            days = _dates_from(tokens[:2], notes, key)
            if days:
                a, b = (days + days)[:2]
                a, b = min(a, b), max(a, b)
                state[K_RANGE] = (_clamped(a, lo, hi, notes, key), _clamped(b, lo, hi, notes, key))
        st.session_state.pop(key, None)   # the widget takes the URL's value on this run
    return notes


def _clamped(day: date, lo: date, hi: date, notes: list[str], what: str) -> date:
    if day < lo or day > hi:
        notes.append(f"The link's `{what}` day {day} is outside the data ({lo} to {hi}); "
                     f"{'the first' if day < lo else 'the latest'} day is used.")
        return lo if day < lo else hi
    return day


def _seed(key: str, value: object) -> None:
    """Give a widget its value from the filter state unless the user just changed it (its
    value differs from the one drawn last). Set every time otherwise: after a page switch the
    widget is a new one, and a value left under its key from the old page would not reach it."""
    drawn = st.session_state.setdefault(DRAWN, {})
    current = st.session_state.get(key, _ABSENT)
    if current is _ABSENT or (key in drawn and _same(current, drawn[key])):
        st.session_state[key] = value
        current = value
    drawn[key] = current


def _same(a: object, b: object) -> bool:
    norm = lambda v: list(v) if isinstance(v, (list, tuple)) else v   # noqa: E731
    return norm(a) == norm(b)


def _write_url(uses: tuple[str, ...], defaults: dict) -> None:
    """Put the page's filters in the address bar (ids for stores; defaults left out)."""
    state, wanted = _state(), {}
    for key in (K_ROLE, K_SHOPS) + tuple(uses):
        value = state.get(key)
        if value is None or value == defaults.get(key):
            continue
        if key in (K_STORES, K_SHOPS):
            wanted[key] = [str(s) for s in value] if value else None
        elif key == K_RANGE:
            wanted[key] = [str(value[0]), str(value[1])]
        elif key == K_TESTS:
            wanted[key] = ["true"] if value else None
        else:
            wanted[key] = [str(value)]
    if state.get(K_ROLE) != "store_manager":
        wanted.pop(K_SHOPS, None)
    for key in URL_KEYS:
        value = wanted.get(key)
        if value:
            if st.query_params.get_all(key) != value:
                st.query_params[key] = value
        elif key in st.query_params:
            del st.query_params[key]
    st.session_state[SEEN] = {k: v for k, v in wanted.items() if v}


def _filters(viewer: Viewer, first: date | None, last: date | None,
             store_options: pd.DataFrame, uses: tuple[str, ...], has_tests: bool) -> Filters:
    """Render the filters this page uses in the sidebar and return all of them."""
    side, state = st.sidebar, _state()
    today = last or date.today()
    lo = first or today
    if uses:
        side.markdown("**Filters**")
    if K_ASOF in uses:
        _seed(K_ASOF, min(max(state.get(K_ASOF) or today, lo), today))
        state[K_ASOF] = side.date_input("As of", min_value=lo, max_value=today, key=K_ASOF,
                                        help="The day the view is 'as of'; defaults to the latest "
                                             "day in the data.")
    if K_RANGE in uses:
        a, b = state.get(K_RANGE) or (lo, today)
        _seed(K_RANGE, (min(max(a, lo), today), min(max(b, lo), today)))
        picked = side.date_input("Date range", min_value=lo, max_value=today, key=K_RANGE,
                                 help="Store-local business days, inclusive.")
        state[K_RANGE] = _range(picked, lo, today)
    if viewer.role == "store_manager":
        store_options = store_options[store_options["shop_id"].isin(viewer.shop_ids)]
    ids = [int(s) for s in store_options["shop_id"]]
    labels = dict(zip(ids, store_options["label"]))
    if K_STORES in uses:
        _seed(K_STORES, [s for s in state.get(K_STORES, []) if s in ids])
        if any(s not in ids for s in st.session_state[K_STORES]):
            st.session_state[K_STORES] = [s for s in st.session_state[K_STORES] if s in ids]
        stores = side.multiselect("Stores", ids, format_func=lambda s: labels.get(s, str(s)),
                                  key=K_STORES, placeholder="All real stores",
                                  help="Empty means every real store you may see. The link "
                                       "carries shop ids: `?stores=502,503`.")
        state[K_STORES] = sorted(int(s) for s in stores)
    if K_CURRENCY in uses:
        _seed(K_CURRENCY, state.get(K_CURRENCY, "USD"))
        currency = side.segmented_control("Currency", CURRENCIES, required=True, key=K_CURRENCY,
                                          help="NZD is the Cook Islands test market; it is never "
                                               "added to USD.")
        state[K_CURRENCY] = currency or "USD"
    if K_TESTS in uses and has_tests and viewer.role != "store_manager":   # a manager sees their shops
        nzd = state.get(K_CURRENCY) == "NZD" and K_CURRENCY in uses
        _seed(K_TESTS, bool(state.get(K_TESTS, False)))
        if nzd:
            st.session_state[K_TESTS] = st.session_state[DRAWN][K_TESTS] = True
        state[K_TESTS] = side.toggle("Include test and internal shops", key=K_TESTS, disabled=nzd,
                                     help="Test stores, the Cook Islands test market (NZD: always "
                                          "on) and internal shops such as the office pantry. "
                                          "Off: real trading stores only. Included rows are "
                                          "marked in a shop_kind column.")
    rng = state.get(K_RANGE) or (lo, today)
    return Filters(start=rng[0] if K_RANGE in uses else lo, end=rng[1] if K_RANGE in uses else today,
                   stores=tuple(sorted(int(s) for s in state.get(K_STORES, []) if s in ids))
                   if K_STORES in uses else (),
                   currency=(state.get(K_CURRENCY) or "USD") if K_CURRENCY in uses else "USD",
                   as_of=(state.get(K_ASOF) or today) if K_ASOF in uses else None)


def include_test() -> bool:
    """Whether the viewer asked for test and internal shops (NZD: the test market is all there is)."""
    state = _state()
    return bool(state.get(K_TESTS)) or state.get(K_CURRENCY) == "NZD"


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


_HOME = threading.local()


@contextmanager
def through_home() -> Iterator[None]:
    """Home.py runs the chosen page inside this, so the page knows it was reached through the
    department navigation (a per-thread mark: each session's script runs in its own thread)."""
    _HOME.active = True
    try:
        yield
    finally:
        _HOME.active = False


def _through_home() -> None:
    """Until some run of Home.py has called `st.navigation` in this server process, Streamlit
    serves a deep link by running the `pages/` file on its own (its old multipage mode): no
    department navigation, no role-filtered page list, no first-run demo build. Such a run
    switches the process to `st.navigation` and reruns, this time through Home.py.

    The old mode is recognised by the run itself (Home.py is the app but did not run the page),
    not by Streamlit's process-wide flag: when several people open deep links at once, runs that
    started in the old mode find the flag already switched by another session's run, and kept
    the raw page list in their sidebar (bench/bench_concurrency.py --navigate found 4 of 5)."""
    if getattr(_HOME, "active", False):
        return
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:   # a Streamlit without the old mode
        return
    ctx = get_script_run_ctx()
    if ctx is None or Path(ctx.main_script_path).name != "Home.py":
        return            # a page run on its own (AppTest): there is no navigation to go through
    PagesManager.uses_pages_directory = False
    st.rerun()


def setup_page(slug: str, uses: tuple[str, ...] | None = None) -> tuple[Filters, Viewer]:
    """Banner, identity and the filters the page uses (`uses`: keys of K_ASOF, K_RANGE,
    K_STORES, K_CURRENCY; default DEFAULT_USES for tools that read the sources, none for fleet
    tools); stops the page with a reason when it is denied. Every filter keeps its value across
    pages and lives in the URL, also the ones this page does not show."""
    _through_home()
    tool = _tool(slug)
    if tool is None or tool.sources:  # fleet tools watch real servers, not the demo data
        banner()
    if uses is None:
        uses = DEFAULT_USES if tool is None or tool.sources else ()
    has_tests = tool is not None and any(o.name == "include_test" for o in tool.options)
    uses = tuple(uses) + ((K_TESTS,) if has_tests and K_TESTS not in uses else ())
    first, last, store_options, problem = data_calendar()
    today = last or date.today()
    notes = _read_url(store_options, first or today, today)
    viewer = _identity(store_options)
    filters = _filters(viewer, first, last, store_options, uses, has_tests)
    _write_url(uses, {K_ROLE: "admin", K_ASOF: today, K_RANGE: (first or today, today),
                      K_STORES: [], K_CURRENCY: "USD", K_TESTS: False})
    for note in notes:
        st.sidebar.warning(note, icon=":material/link_off:")
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


@st.cache_data(ttl=CACHE_TTL_S, max_entries=256, show_spinner=False, refresh_mode="background")
def _cached_execute(slug: str, filters: Filters, viewer: Viewer, options: dict,
                    keys: tuple[str, ...], tick: object) -> tuple[Output, dict[str, render.Shown]]:
    """After the TTL the page gets the last result at once while a fresh one is computed in the
    background (Streamlit serves it up to one more TTL): on replicas, where no base is kept on
    disk, nobody waits for the 10-minute refresh while the app is in use. New data in a DuckDB
    file (its mtime is in `keys`) is a new key, never a stale one. Tables and charts are kept
    formatted as they are drawn (`render.prepared`)."""
    return render.prepared(tools.execute(slug, filters, viewer, **options), filters)


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
    if "include_test" not in options and any(o.name == "include_test" for o in tool.options):
        options["include_test"] = include_test()
    try:
        keys = source_keys(tool)
        flight = _single_flight((slug, filters, viewer, repr(sorted(options.items())), keys, tick))
        with st.spinner(f"Loading {tool.title}…", show_time=True), flight:
            try:
                return render.attach(*_cached_execute(slug, filters, viewer, dict(options), keys, tick))
            except UnserializableReturnValueError:
                log.warning("%s returned an unpicklable Output; running uncached", slug)
                return tools.execute(slug, filters, viewer, **options)
    except Exception as exc:  # noqa: BLE001 - the panel is the point: never a traceback
        errors.show(exc, tool.title)
        return None


def clear_caches() -> None:
    """Forget cached results (after the demo is rebuilt), the tools' in-memory bases too."""
    from lucky.tools import _memo

    st.cache_data.clear()
    _memo.clear()
