"""The app in AppTest: every page file as every role, the landscape's data, filters, roles, failures.

Pages are discovered from pages/*.py, so a page another engineer adds is covered automatically.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lucky.core import ROLES, Filters, Kpi
from lucky.ui import errors as panels

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
TIMEOUT_S = 180
FAILURE_MARKERS = (panels.SOURCE_PREFIX, panels.UNEXPECTED_PREFIX)


def _app(page: Path | str, role: str = "admin", **state) -> AppTest:
    at = AppTest.from_file(str(page), default_timeout=TIMEOUT_S)
    at.session_state["role"] = role
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def _texts(at: AppTest) -> list[str]:
    return [str(e.value) for kind in (at.error, at.warning, at.info, at.markdown) for e in kind]


def _failures(at: AppTest) -> list[str]:
    return [t for t in (str(e.value) for e in at.error) if t.startswith(tuple(f"**{m}" for m in FAILURE_MARKERS))]


def _denied(at: AppTest) -> bool:
    return any(panels.DENIED_PREFIX in str(e.value) for e in at.error)


def _numbers(df: pd.DataFrame) -> pd.DataFrame:
    """The shown table with its numbers back: ids are shown as text and a numeric column with
    gaps as formatted text ("$4.81", "" for missing), see lucky.ui.render.display."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            text = out[col].astype(str).str.replace(r"^(NZ\$|\$)|,", "", regex=True)
            parsed = pd.to_numeric(text.replace("", None), errors="coerce")
            if parsed.notna().sum() == (text != "").sum() and parsed.notna().any():
                out[col] = parsed
    return out


def _table(at: AppTest, columns: set[str]) -> pd.DataFrame:
    """The first dataframe on the page with all of `columns` (numbers as numbers)."""
    for df in (d.value for d in at.dataframe):
        if columns <= set(df.columns):
            return _numbers(df)
    raise AssertionError(f"no table with columns {sorted(columns)}")


@pytest.fixture(autouse=True)
def _fresh_cache():
    import streamlit as st

    st.cache_data.clear()
    yield


# ------------------------------------------------------------------ every page, every role
def _page_roles() -> list[tuple[Path, str]]:
    """Every page with every role that must be denied (cheap: the page stops), plus admin, a store
    manager (rows restricted) and one department role it serves (masking): further department
    roles would render the very same page again, and tests/test_access_property.py checks every
    role's data through the one execute path."""
    from lucky import tools

    pairs = []
    for page in PAGES:
        tool = tools.registry().get(page.stem)
        allowed = sorted(tool.roles - {"store_manager"}) if tool is not None else []
        keep = {"admin", "store_manager", *allowed[:1]}
        pairs += [(page, r) for r in ROLES if tool is None or r in keep or not tool.allows(tools.Viewer(role=r))]
    return pairs


@pytest.mark.parametrize(("page", "role"), _page_roles(), ids=[f"{p.stem}-{r}" for p, r in _page_roles()])
def test_every_page_runs_for_every_role(demo, page, role):
    from lucky import tools

    at = _app(page, role)
    assert not at.exception, [e.value for e in at.exception]
    assert not _failures(at), _failures(at)
    tool = tools.registry().get(page.stem)
    if tool is not None and not tool.allows(tools.Viewer(role=role)):
        assert _denied(at), f"{page.stem} should deny {role}"
    else:
        assert not _denied(at)
        assert len(at.main.children) > 1, "the page shows nothing"


def test_home_lands_on_the_data_landscape(demo):
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Data Landscape"]


# ------------------------------------------------------------------ the landscape's data
def test_landscape_shows_the_store_network_and_metrics(demo):
    at = _app(ROOT / "pages" / "landscape.py")
    stores = _table(at, {"shop_id", "shop_name", "opened", "orders", "revenue", "aov"})
    selling = stores[stores["orders"] > 0]
    assert len(selling) == 10, selling[["shop_id", "shop_name"]]
    assert "180 Varick" in set(stores["shop_name"])                    # not opened yet
    assert stores.loc[stores["shop_name"] == "180 Varick", "orders"].iloc[0] == 0
    assert (selling["aov"] - selling["revenue"] / selling["orders"]).abs().max() < 0.01

    metrics = {m.label: m.value for m in at.metric}
    text_cards = " ".join(md.value for md in at.markdown)   # long text values wrap in a card of their own
    for label in ("USD revenue", "Average order value (USD)", "Completed USD orders",
                  "Registered users", "Active products", "#1 product", "Avg production time",
                  "Weekday peak orders", "Weekend orders", "Coupon records", "Stores", "IoT devices"):
        assert label in metrics or label in text_cards, label
    products = _table(at, {"product", "orders"})
    top = products.sort_values("orders", ascending=False)["product"].iloc[0]
    assert metrics.get("#1 product") == top or any(top in md.value for md in at.markdown)
    assert metrics["Stores"] == "10"
    assert metrics["Avg production time"] != "—"
    orders = int(metrics["Completed USD orders"].replace(",", ""))
    assert orders >= selling["orders"].sum()

    quality = _table(at, {"check", "severity", "database", "details"})
    severity = dict(zip(quality["check"], quality["severity"]))
    assert set(severity) == {"empty_fi_tax", "null_geo", "nzd_orders", "empty_loyalty",
                             "delivery_addresses", "production_outliers", "duplicate_spu_code"}
    assert severity["empty_fi_tax"] == "CRITICAL"
    assert severity["empty_loyalty"] == "MEDIUM"

    inventory = _table(at, {"server", "database", "table_name", "row_count"})
    assert inventory["database"].nunique() == 18
    assert (inventory["status"] == "ok").all()
    assert inventory.loc[inventory["table_name"] == "t_shop_info", "row_count"].iloc[0] > 0

    products = _table(at, {"rank", "product", "orders", "revenue", "avg_price"})
    assert 0 < len(products) <= 15 and products["orders"].is_monotonic_decreasing


def test_landscape_numbers_are_numbers_and_export_is_named_by_filters(demo, monkeypatch):
    from streamlit.delta_generator import DeltaGenerator

    exports: dict[str, str] = {}
    original = DeltaGenerator.download_button

    def spy(self, label, data, file_name=None, *args, **kwargs):
        exports[file_name] = data() if callable(data) else data
        return original(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    at = _app(ROOT / "pages" / "landscape.py")
    stores = _table(at, {"shop_id", "revenue"})
    assert pd.api.types.is_float_dtype(stores["revenue"])
    assert pd.api.types.is_integer_dtype(stores["orders"])
    start, end = at.sidebar.date_input(key="range").value
    name = f"landscape_stores_{start}_{end}_USD.csv"
    assert name in exports, list(exports)
    header, first = exports[name].splitlines()[:2]
    assert header.startswith("shop_id,shop_name,")
    assert "$" not in first                                     # numbers, not formatted strings


def test_store_manager_sees_only_their_stores(demo):
    at = _app(ROOT / "pages" / "landscape.py", "store_manager", my_stores=[502])
    stores = _table(at, {"shop_id", "orders"})
    assert set(stores["shop_id"]) == {502}
    assert {m.label: m.value for m in at.metric}["Stores"] == "1"


def test_nzd_is_never_added_to_usd(demo):
    at = _app(ROOT / "pages" / "landscape.py", currency="NZD")
    labels = [m.label for m in at.metric]
    assert "NZD revenue" in labels and "USD revenue" not in labels
    stores = _table(at, {"shop_id", "revenue"})
    usd = _app(ROOT / "pages" / "landscape.py")
    usd_revenue = float(_table(usd, {"shop_id", "revenue"})["revenue"].sum())
    assert float(stores["revenue"].sum()) < usd_revenue


# ------------------------------------------------------------------ filters
def test_as_of_defaults_to_the_latest_day_in_the_data(demo):
    from lucky.queries.landscape import data_span

    first, last = data_span()
    at = _app(ROOT / "pages" / "landscape.py")
    assert at.sidebar.date_input(key="as_of").value == last != date.today()
    assert at.sidebar.date_input(key="range").value == (first, last)


def test_date_range_filter_changes_the_figures(demo):
    at = _app(ROOT / "pages" / "landscape.py")
    whole = int({m.label: m.value for m in at.metric}["Completed USD orders"].replace(",", ""))
    first, last = at.sidebar.date_input(key="range").value
    at.sidebar.date_input(key="range").set_value((last.replace(day=1), last)).run()
    assert not at.exception
    part = int({m.label: m.value for m in at.metric}["Completed USD orders"].replace(",", ""))
    assert 0 < part < whole


# ------------------------------------------------------------------ roles and failures
def test_a_denied_role_sees_why(demo):
    from lucky import tools
    from lucky.core import Output, Tool

    tools.registry()["finance-only-test"] = Tool(
        slug="finance-only-test", number=99, title="Finance only", department="Finance",
        roles=frozenset({"finance"}), sources=(), run=lambda filters, **_: Output())
    try:
        script = ("from lucky.ui import frame\n"
                  "import streamlit as st\n"
                  "frame.setup_page('finance-only-test')\n"
                  "st.write('secret content')\n")
        at = AppTest.from_string(script, default_timeout=TIMEOUT_S)
        at.session_state["role"] = "marketing"
        at.run()
        assert not at.exception
        assert _denied(at)
        text = " ".join(str(e.value) for e in at.error)
        assert "finance" in text and "marketing" in text
        assert "secret content" not in " ".join(str(m.value) for m in at.markdown)
    finally:
        tools.registry().pop("finance-only-test", None)


def test_a_source_that_is_down_shows_a_panel_not_a_traceback(demo, tmp_path, monkeypatch):
    from lucky import sources

    monkeypatch.setenv("LUCKY_DATABASE_URL", str(tmp_path / "missing.duckdb"))
    sources.dispose_all()
    try:
        at = _app(ROOT / "pages" / "landscape.py")
        assert not at.exception, [e.value for e in at.exception]
        shown = " ".join(_texts(at))
        assert "LUCKY_DATABASE_URL" in shown and "luckyus_sales_order" in shown
        assert "Traceback" not in shown
    finally:
        monkeypatch.undo()
        sources.dispose_all()


def test_run_cached_turns_unexpected_errors_into_a_panel(demo):
    from lucky import tools
    from lucky.core import Tool

    def boom(filters, **_):
        raise ZeroDivisionError("division by zero")

    tools.registry()["boom-test"] = Tool(slug="boom-test", number=98, title="Boom", department="IT / DevOps",
                                         roles=frozenset(ROLES), sources=(), run=boom)
    try:
        script = ("from lucky.ui import frame\n"
                  "f, v = frame.setup_page('boom-test')\n"
                  "out = frame.run_cached('boom-test', f, v)\n"
                  "assert out is None\n")
        at = AppTest.from_string(script, default_timeout=TIMEOUT_S).run()
        assert not at.exception
        assert any(panels.UNEXPECTED_PREFIX in str(e.value) for e in at.error)
    finally:
        tools.registry().pop("boom-test", None)


# ------------------------------------------------------------------ small pure pieces
def test_role_mapping_entries():
    from lucky.ui.frame import parse_role

    assert parse_role("finance", "a@x").role == "finance"
    sm = parse_role("store_manager:1, 2", "b@x")
    assert sm.role == "store_manager" and sm.shop_ids == (1, 2)
    assert parse_role({"role": "store_manager", "shops": [3]}, "c@x").shop_ids == (3,)
    assert parse_role("wizard", "d@x") is None


def test_column_formats_follow_names_and_dtypes():
    from lucky.ui.render import column_config, csv_name, format_kpi

    df = pd.DataFrame({"shop_id": [1], "orders": [3], "revenue": [1.5], "fee_rate": [0.03],
                       "share_pct": [4.4], "mean_s": [2.0], "used_memory": [965888], "name": ["x"]})
    config = column_config(df, Filters())
    fmt = {k: v["type_config"].get("format") for k, v in config.items()}
    assert fmt == {"shop_id": None, "orders": "localized", "revenue": "dollar", "fee_rate": "%.1f%%",
                   "share_pct": "%.1f%%", "mean_s": "%.1f", "used_memory": None}
    assert config["shop_id"]["type_config"]["type"] == config["used_memory"]["type_config"]["type"] == "text"
    assert config["revenue"]["label"] == "revenue ($)"
    nzd = column_config(df, Filters(currency="NZD"))["revenue"]
    assert nzd["type_config"]["format"] == "NZ$%.2f" and nzd["label"] == "revenue (NZ$)"
    f = Filters(start=date(2026, 1, 1), end=date(2026, 2, 14), stores=(2, 1))
    assert csv_name("tax-gap", "exceptions", f) == "tax-gap_exceptions_2026-01-01_2026-02-14_USD_s2-1.csv"
    assert format_kpi(Kpi("r", 2194799.4, "$")) == "$2.19M"
    assert format_kpi(Kpi("r", 612844.0, "$")) == "$612.8K"
    assert format_kpi(Kpi("r", 8518.2, "$")) == "$8,518"
    assert format_kpi(Kpi("a", 4.71, "$")) == "$4.71"
    assert format_kpi(Kpi("t", 217.94, "s")) == "217.9 s"
    assert format_kpi(Kpi("n", 466252)) == "466,252"
    assert format_kpi(Kpi("x", None)) == "—"


def test_a_tool_module_that_fails_to_import_leaves_the_others_working(demo, monkeypatch):
    """One broken tool module is named with its error; the registry, Home and `get` keep going."""
    import importlib

    from lucky import tools

    real = importlib.import_module

    def flaky(name, *args, **kwargs):
        if name == "lucky.tools.tax_gap":
            raise ImportError("No module named 'missing_dependency'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", flaky)
    tools._scan.cache_clear()
    try:
        assert "tax-gap" not in tools.registry() and "landscape" in tools.registry()
        assert "missing_dependency" in tools.broken()["tax_gap"]
        with pytest.raises(KeyError, match="tax-gap' failed to load: ImportError"):
            tools.get("tax-gap")
        at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=TIMEOUT_S).run()
        assert not at.exception
        assert any("tax_gap" in w.value and "missing_dependency" in w.value for w in at.sidebar.warning)
    finally:
        monkeypatch.undo()
        tools._scan.cache_clear()
    assert "tax-gap" in tools.registry()
