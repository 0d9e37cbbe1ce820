"""What a department user sees: formats by column name, exports, real shops, filters from links.

Every tool's tables are checked as the page shows them (no None/nan cell, money in the view's
currency) and as they are exported (identifiers as text, counts as integers, money to the cent),
and default views hold no test or internal shop.
"""
from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest

from lucky.core import Filters, Kpi, Viewer
from lucky.ui import formats

DATA_TOOLS = ("landscape", "reconciliation", "payment-costs", "tax-gap", "timezones", "anomalies",
              "tenant-audit", "briefing")


# ------------------------------------------------------------------ conventions, by hand
def test_kinds_follow_column_names():
    expected = {"order_no": "ident", "shop_id": "ident", "currency_code": "ident", "revenue": "money",
                "orders_total": "money", "avg_ticket": "money", "tax_difference": "money",
                "cost_rank": "count", "recorded_rate": "fraction", "vs_last_week": "fraction",
                "share": "fraction", "memory_pct": "percent", "used_memory": "bytes",
                "data_bytes": "bytes", "mean_s": "seconds", "ops_per_s": "number"}
    assert {name: formats.kind(name) for name in expected} == expected
    assert formats.kind("trades", pd.Series([1.0, 2.0])) == "count"       # whole floats are counts
    assert formats.kind("score", pd.Series([1.5])) == "number"
    assert formats.kind("maxmemory_policy", pd.Series(["noeviction"])) == "text"


def test_texts_by_hand():
    assert formats.money_text(1234.5, "USD") == "$1,234.50"
    assert formats.money_text(-1234.5, "NZD") == "-NZ$1,234.50"
    assert formats.money_text(None) == ""
    assert formats.bytes_text(3162112) == "3.02 MiB"
    assert formats.bytes_text(965888) == "943.2 KiB"
    assert formats.bytes_text(512) == "512 B"
    assert formats.bytes_text(5 * 1024 ** 3) == "5.00 GiB"
    assert formats.fraction_decimals(pd.Series([0.08875, 0.045])) == 3     # 8.875%, not 8.88%
    assert formats.fraction_decimals(pd.Series([0.05, 0.1])) == 1
    assert formats.percent_text(0.08875, 3) == "8.875%"


def test_csv_and_json_exports():
    df = pd.DataFrame({"order_no": [250911501011174767, 250911501011174768], "shop_id": [501, None],
                       "trades": [1.0, 2.0], "amount": [1879.0300000000002, 3.0], "rate": [0.08875, None],
                       "note": [None, "a,b"]})
    text = formats.to_csv(df)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["order_no", "shop_id", "trades", "amount", "rate", "note"]
    assert rows[1] == ["250911501011174767", "501", "1", "1879.03", "0.08875", ""]
    assert rows[2] == ["250911501011174768", "", "2", "3.00", "", "a,b"]
    assert text.splitlines()[1].startswith('"250911501011174767","501",1,1879.03,')   # ids quoted as text
    records = formats.json_records(df)
    assert records[0] == {"order_no": "250911501011174767", "shop_id": "501", "trades": 1,
                          "amount": 1879.03, "rate": 0.08875, "note": None}


def test_cli_writes_the_same_exports():
    from lucky.tools.cli import write

    df = pd.DataFrame({"order_no": [250911501011174767], "trades": [1.0], "fee": [0.1 + 0.2]})
    out = io.StringIO()
    write({"t": df}, "csv", out, single=True)
    assert out.getvalue() == '"order_no",trades,fee\n"250911501011174767",1,0.30\n'.replace('"order_no"', "order_no")
    out = io.StringIO()
    write({"t": df}, "json", out, single=True)
    assert json.loads(out.getvalue()) == [{"order_no": "250911501011174767", "trades": 1, "fee": 0.3}]


def test_kpi_money_carries_the_view_currency_and_deltas_their_unit():
    from lucky.ui.render import format_delta, format_kpi

    assert format_kpi(Kpi("r", 8518.2, "$"), "NZD") == "NZ$8,518"
    assert format_kpi(Kpi("r", 8518.2, "$"), "USD") == "$8,518"
    assert format_delta(Kpi("o", 148, "", delta=-3.9)) == "-3.9%"
    assert format_delta(Kpi("m", 96.4, "%", delta=0.4)) == "+0.4 pp"


# ------------------------------------------------------------------ every tool's tables
@pytest.fixture(scope="module")
def outputs(demo):
    """Every data tool's output as admin, default filters (USD), and a few with test shops."""
    from lucky import tools
    from lucky.cli import main  # noqa: F401 - the CLI imports cleanly with the tools
    from lucky.queries.landscape import data_span

    first, last = data_span()
    f = Filters(start=first, end=last, as_of=last)
    runs = {slug: tools.execute(slug, f, Viewer()) for slug in DATA_TOOLS if slug in tools.registry()}
    runs["reconciliation+test"] = tools.execute("reconciliation", f, Viewer(), include_test=True)
    runs["reconciliation-nzd"] = tools.execute("reconciliation", Filters(first, last, (), "NZD", last),
                                               Viewer(), include_test=True)
    return runs


def _tables(outputs):
    for slug, out in outputs.items():
        for name, df in out.tables.items():
            if isinstance(df, pd.DataFrame) and not df.empty and name != "documents":
                yield slug, name, df


def test_every_table_shows_no_none_or_nan(outputs):
    from lucky.ui.render import display

    bad = []
    for slug, name, df in _tables(outputs):
        shown, _ = display(df, Filters(currency="NZD" if slug.endswith("nzd") else "USD"))
        for col in shown.columns:
            s = shown[col]
            if s.isna().any() or s.astype(str).isin(["None", "nan", "NaN", "NaT", "<NA>"]).any():
                bad.append(f"{slug}/{name}.{col}")
    assert not bad, bad


def test_money_in_an_nzd_view_is_never_plain_dollars(outputs):
    from lucky.ui.render import display

    for _slug, name, df in _tables({"r": outputs["reconciliation-nzd"]}):
        shown, config = display(df, Filters(currency="NZD"))
        for col, cfg in config.items():
            fmt = (cfg.get("type_config") or {}).get("format")
            assert fmt != "dollar", (name, col)
            if formats.kind(col, df[col]) == "money" and formats.currency_of(df, "NZD") == "NZD":
                assert "(NZ$)" in cfg["label"], (name, col, cfg)


def test_every_csv_has_text_ids_integer_counts_and_cents(outputs):
    for slug, name, df in _tables(outputs):
        text = formats.to_csv(df)
        rows = list(csv.reader(io.StringIO(text)))
        lines = text.splitlines()
        head = rows[0]
        for j, col in enumerate(head):
            k = formats.kind(col, df[col])
            cells = [r[j] for r in rows[1:] if r[j] != ""]
            if k == "ident":
                assert all(re.search(rf'(^|,)"{re.escape(c)}"', lines[i + 1]) for i, c in
                           enumerate(r[j] for r in rows[1:]) if c), (slug, name, col)
            elif k == "count":
                assert all(re.fullmatch(r"-?\d+", c) for c in cells), (slug, name, col, cells[:3])
            elif k == "money":
                assert all(re.fullmatch(r"-?\d+\.\d{2}", c) for c in cells), (slug, name, col, cells[:3])
            elif k in ("number", "fraction"):
                assert all(len(c.split(".")[-1]) <= 6 for c in cells if "." in c and "e" not in c), (slug, name, col)


def test_default_views_list_no_test_or_internal_shop(outputs):
    from lucky.models import shops as real_shops
    from lucky.queries import shops

    df = shops.shops()
    fake = set(df.loc[~real_shops.is_real(df), "shop_id"])
    assert fake, "the demo has test and internal shops"
    for slug, name, table in _tables(outputs):
        if "+test" in slug or slug.endswith("nzd") or slug == "tenant-audit" or "shop_id" not in table:
            continue
        assert not (set(table["shop_id"].dropna()) & fake), (slug, name)
    # on request they come, flagged, after the real ones
    with_test = outputs["reconciliation+test"].tables["daily"]
    assert set(with_test["shop_id"]) & fake and "shop_kind" in with_test
    kinds = with_test["shop_kind"].tolist()
    assert kinds.index(next(k for k in kinds if k)) > 0 and all(k for k in kinds[kinds.index(next(k for k in kinds if k)):])
    audit = outputs["tenant-audit"].tables["test-stores"]
    assert set(audit["shop_kind"]) <= {"test", "internal"}


def test_one_definition_of_a_real_shop():
    from lucky.models import shops as real_shops

    df = pd.DataFrame({"shop_id": [1, 2, 3, 4], "test_flag": [0, 1, 0, None],
                       "internal": [0, 0, 1, None], "currency_code": ["USD", "NZD", "USD", "USD"]})
    assert real_shops.kind(df).tolist() == ["real", "test", "internal", "real"]
    assert real_shops.in_scope(df)["shop_id"].tolist() == [1, 4]
    assert real_shops.in_scope(df, include_test=True)["shop_id"].tolist() == [1, 2, 3, 4]
    assert real_shops.in_scope(df, stores=(2,))["shop_id"].tolist() == [2]       # picked by hand: asked for
    f = real_shops.scope(Filters(), df)
    assert f.stores == (1, 4)
    assert real_shops.test_market("NZD", df) and not real_shops.test_market("USD", df)
    assert real_shops.scope(Filters(currency="NZD"), df).stores == ()             # NZD: the test market


# ------------------------------------------------------------------ the briefing's comparisons
def test_the_briefing_compares_a_day_with_the_same_weekday():
    from lucky.briefing.compose import _bench

    days = pd.date_range("2026-01-03", "2026-02-14")               # Saturdays: 01-17 .. 02-14
    s = pd.Series([100.0 if d.weekday() == 5 else 400.0 for d in days], index=days)
    today, week, avg = _bench(s, pd.Timestamp("2026-02-14"))
    assert (today, week, avg) == (100.0, 100.0, 100.0)            # not 357 (a weekday-heavy mean)


def test_a_day_in_progress_is_not_judged():
    from lucky.briefing.figures import Figure
    from lucky.briefing.render import _arrow

    fig = Figure("Orders", 50, week=100, avg30=100)
    assert fig.tone(fig.vs_week) == "bad"
    fig.judged = False
    assert fig.tone(fig.vs_week) == "flat" and "#d93025" not in _arrow(fig, fig.vs_week, "vs last wk")


def test_deep_dives_only_to_pages_the_reader_may_open(demo):
    from lucky.briefing.compose import deep_link

    assert deep_link(("no-such-tool", "landscape"), Viewer()) == "landscape"
    assert deep_link(("no-such-tool",), Viewer()) == ""                       # no such page
    assert deep_link(("store-performance", "landscape"), Viewer(role="finance")) == "landscape"
    assert deep_link(("reconciliation",), Viewer(role="marketing")) == ""      # not the reader's
    assert deep_link(("reconciliation",), Viewer(role="finance")) == "reconciliation"


# ------------------------------------------------------------------ filters from a link
def test_store_links_accept_ids_and_names_and_say_what_they_ignore():
    from lucky.ui.frame import _stores_from

    options = pd.DataFrame({"shop_id": [501, 502], "shop_name": ["8th & Broadway", "28th & 6th"],
                            "label": ["8th & Broadway (501)", "28th & 6th (502)"]})
    notes: list[str] = []
    assert _stores_from(["502", "8th & broadway", "28th & 6th (502)"], options, notes, "stores") == [501, 502]
    assert notes == []
    assert _stores_from(["999", "Nowhere"], options, notes, "stores") == []
    assert "999" in notes[0] and "Nowhere" in notes[0] and "stores=502" in notes[0]


def test_a_link_reproduces_the_view_in_apptest(demo):
    """A link's stores (by id) and range reach the page's filters; the page writes ids back."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from lucky.queries.landscape import data_span

    first, last = data_span()
    page = Path(__file__).resolve().parent.parent / "pages" / "reconciliation.py"
    at = AppTest.from_file(str(page), default_timeout=180)
    at.query_params["stores"] = "502"
    at.query_params["range"] = [str(last.replace(day=1)), str(last)]
    at.query_params["currency"] = "nzd"
    at.run()
    assert not at.exception
    assert at.sidebar.multiselect(key="stores").value == [502]
    assert at.sidebar.date_input(key="range").value == (last.replace(day=1), last)
    assert at.sidebar.segmented_control(key="currency").value == "NZD"
    assert at.sidebar.toggle(key="tests").value is True             # NZD is the test market
    assert not [k for k in ("as_of",) if k in at.query_params]      # this page does not use it


def test_a_day_still_trading_is_labelled():
    from lucky.anomaly.scan import Scan
    from lucky.briefing.compose import day_in_progress

    day = pd.Timestamp("2026-02-14")
    empty = pd.DataFrame()
    open_502 = Scan(empty, empty, horizon=pd.Series({502: pd.Timestamp("2026-02-14 13:05")}),
                    trading=pd.Series({502: day}))
    text = day_in_progress(open_502, day)
    assert "still in progress" in text and "13:05" in text and "not judged" in text
    assert day_in_progress(open_502, day - pd.Timedelta(days=1)) == ""
    assert day_in_progress(Scan(empty, empty, trading=pd.Series(dtype="datetime64[ns]"),
                                horizon=pd.Series(dtype="datetime64[ns]")), day) == ""


def test_chart_money_carries_the_views_currency(outputs):
    """Vega's `$` format prints a bare dollar in NZD views too: money in a chart names its
    currency in the title instead (like the tables' headers)."""
    import json

    specs = {slug: json.dumps([c.to_dict() for c in out.charts.values() if hasattr(c, "to_dict")], default=str)
             for slug, out in outputs.items()}
    assert '"format": "$' not in "".join(specs.values())
    assert "(NZ$)" in specs["reconciliation-nzd"] and "(US$)" not in specs["reconciliation-nzd"]
    assert "revenue (US$)" in specs["landscape"]


def test_percent_override_leaves_fraction_named_columns_alone():
    """A page asking for percents on wape/bias/ci columns must not format `hit_rate` or
    `wape_change` twice: those are already drawn as percents from their names."""
    from lucky.ui import render

    config = render.as_percent(["wape", "bias", "ci_low", "hit_rate", "wape_change", "hit_rate_before"])
    assert set(config) == {"wape", "bias", "ci_low", "hit_rate_before"}


def test_the_page_cache_keeps_charts_as_the_specs_streamlit_draws(outputs):
    """`render.prepared` turns every Altair chart into the very Vega-Lite spec `st.altair_chart`
    would send (so a cached view skips Altair's conversion and schema check), keeps what
    `chart_problem` says of an empty chart, and leaves maps and other charts alone."""
    import dataclasses

    import altair as alt
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    from lucky.core import Output
    from lucky.ui import render

    out = outputs["reconciliation"]
    empty = alt.Chart(pd.DataFrame({"day": [], "n": []})).mark_bar().encode(x="day:T", y="n:Q")
    given = dataclasses.replace(out, charts={**out.charts, "empty": empty, "map": "digraph { a -> b }"})
    ready, _ = render.prepared(given, Filters())
    altair_names = [n for n, c in given.charts.items() if type(c).__module__.startswith("altair")]
    assert len(altair_names) >= 2
    for name in altair_names:
        assert isinstance(ready.charts[name], render.VegaLite), name
    for name in set(altair_names) - {"empty"}:
        assert ready.charts[name].problem is None
        assert ready.charts[name].spec == _convert_altair_to_vega_lite_spec(given.charts[name]), name
    assert ready.charts["empty"].problem == render.chart_problem(empty) and ready.charts["empty"].problem
    assert ready.charts["map"] == "digraph { a -> b }"
    assert ready.tables is given.tables and isinstance(ready, Output)
    assert all(not isinstance(c, render.VegaLite) for c in given.charts.values())   # the tool's own untouched


def test_the_page_cache_keeps_tables_as_streamlit_sends_them(outputs):
    """Each table's prepared form is the Arrow table st.dataframe would make of `display`'s frame
    (same bytes), for the filters it was made for; only the cached object itself carries it, so a
    page's filtered or sorted table, or a view in another currency, is formatted afresh."""
    import pickle

    from streamlit import dataframe_util

    from lucky.ui import render

    f = Filters(currency="NZD")
    out, shown = render.prepared(outputs["reconciliation-nzd"], f)
    names = [n for n, df in out.tables.items() if not df.empty]
    assert names and set(shown) == set(names)
    for name in names:
        frame, config = render.display(out.tables[name], f)
        assert shown[name].config == config, name
        assert (dataframe_util.convert_arrow_table_to_arrow_bytes(shown[name].data)
                == dataframe_util.convert_pandas_df_to_arrow_bytes(frame)), name
    cached = pickle.loads(pickle.dumps((out, shown)))       # as st.cache_data hands it out
    render.attach(*cached)
    table = cached[0].tables[names[0]]
    assert table.__dict__[render.SHOWN].filters == f
    assert render.SHOWN not in table.head(3).__dict__ and render.SHOWN not in table.copy().__dict__
    assert render.SHOWN not in pickle.loads(pickle.dumps(table)).__dict__
    assert render.SHOWN not in out.tables[names[0]].__dict__       # the tool's own table: unmarked


def test_a_table_is_formatted_per_view_only_when_not_prepared_for_it(outputs, monkeypatch):
    from lucky.ui import render

    f = Filters()
    out = render.attach(*render.prepared(outputs["reconciliation"], f))
    name = next(n for n, df in out.tables.items() if not df.empty)
    calls = []
    real = render.display
    monkeypatch.setattr(render, "display", lambda df, filters: calls.append(len(df)) or real(df, filters))
    render.table(out.tables[name], name, f, "reconciliation")
    assert calls == []                                           # drawn from the prepared form
    render.table(out.tables[name], name, Filters(currency="NZD"), "reconciliation")
    render.table(out.tables[name].head(2), name, f, "reconciliation")
    assert calls == [len(out.tables[name].head(render.MAX_ROWS_SHOWN)), 2]
