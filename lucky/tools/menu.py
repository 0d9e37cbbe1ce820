"""Tool 10, Product Performance & Menu Analytics Engine: the menu-engineering matrix (Kasavana &
Smith, beside the report's BCG naming), price elasticity of the products whose price moved,
category trends, launches and retirements, and one product's page.

Units and money are completed orders (status 90) in the selected currency, per store-local
business day. Price = mean price actually paid per unit (`sale_price`), list price beside it;
unit cost = `standard_cost` of the commodity master (`t_commodity_base_info`).
"""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.errors import InputError
from lucky.models import menu as mm
from lucky.models import timezones as tzm
from lucky.queries import menu as q
from lucky.queries import production as prod_q
from lucky.queries import shops as shop_q
from lucky.tools import _memo
from lucky.ui import formats

QUADRANT_COLOURS = {"Star": "#2e7d32", "Plowhorse": "#1565c0", "Puzzle": "#f9a825", "Dog": "#c62828"}


def daily_frame(filters: Filters) -> pd.DataFrame:
    """Per product, sku and local business day: units, revenue, paid, listed, list_price.

    The source query is per product (not per store), so rows take the business day of the
    currency's main time zone (New York for USD, the Cook Islands for NZD)."""
    shops = shop_q.shops()
    mine = shops[(shops["currency_code"] == filters.currency) & shops["time_zone"].map(tzm.known_zone)]
    zone = mine["time_zone"].value_counts().index[0] if len(mine) else "America/New_York"
    edges = tzm.midnight_hours([zone], filters.start, filters.end)
    df = q.sku_days(filters.start, filters.end, filters.stores, filters.currency, edges)
    if df.empty:
        return df.assign(business_date=pd.Series(dtype="datetime64[ns]"))
    utc = pd.to_datetime(df["utc_day"]) + pd.to_timedelta(df["part"].astype(int), unit="h")
    df["business_date"] = tzm.to_local(utc, pd.Series(zone, index=df.index)).dt.normalize()
    return tzm.in_days(df, filters.start, filters.end)


def product_daily(d: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """Per product and day: units, list_price (the main sku's list price, carried over days
    without a sale), iced ('iced', 'hot' or 'food': the kind that shares a season)."""
    units = d.groupby(["spu_name", "business_date"], as_index=False)["units"].sum()
    main = d.groupby(["spu_name", "sku_code"])["units"].sum().reset_index().sort_values("units").drop_duplicates(
        "spu_name", keep="last")[["spu_name", "sku_code"]]
    lp = d.merge(main, on=["spu_name", "sku_code"]).groupby(["spu_name", "business_date"])["list_price"].min()
    days = pd.date_range(d["business_date"].min(), d["business_date"].max(), freq="D")
    grid = pd.MultiIndex.from_product([units["spu_name"].unique(), days], names=["spu_name", "business_date"])
    out = units.set_index(["spu_name", "business_date"]).reindex(grid, fill_value=0)
    out["list_price"] = lp.reindex(grid)
    out["list_price"] = out.groupby(level=0)["list_price"].ffill()
    out = out.reset_index()
    iced = catalog.set_index("spu_name")["is_iced"].fillna(0).astype(int) if len(catalog) else pd.Series(dtype=int)
    iced = out["spu_name"].map(iced).fillna(out["spu_name"].str.startswith("Iced").astype(int))
    cat = out["spu_name"].map(d.drop_duplicates("spu_name").set_index("spu_name")["category"]).fillna("")
    out["iced"] = np.where(cat.str.lower().str.contains("food|bakery"), "food", np.where(iced == 1, "iced", "hot"))
    # a product only counts on days it was on the menu (first to last sale)
    span = units.groupby("spu_name")["business_date"].agg(["min", "max"])
    lo, hi = out["spu_name"].map(span["min"]), out["spu_name"].map(span["max"])
    return out[(out["business_date"] >= lo) & (out["business_date"] <= hi)].reset_index(drop=True)


def with_reference(daily: pd.DataFrame, exclude: set) -> pd.DataFrame:
    """Adds ref_units: the day's units of the products of the same kind (iced drink, hot drink, food) other
    than the product itself, leaving out the products in `exclude` (those whose price moved, or
    launched or retired in the range: their own swings would leak into everyone's baseline)."""
    steady = daily[~daily["spu_name"].isin(exclude)]
    tot = steady.groupby(["business_date", "iced"])["units"].sum()
    key = pd.MultiIndex.from_arrays([daily["business_date"], daily["iced"]])
    own = np.where(daily["spu_name"].isin(exclude), 0, daily["units"])
    return daily.assign(ref_units=tot.reindex(key).fillna(0).to_numpy() - own)


def matrix_table(d: pd.DataFrame, catalog: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the `matrix` table, the full Kasavana-Smith frame with its thresholds)."""
    g = d.groupby("spu_name").agg(spu_code=("spu_code", "first"), category=("category", "first"),
                                  units=("units", "sum"), revenue=("revenue", "sum"), paid=("paid", "sum"),
                                  listed=("listed", "sum")).reset_index()
    g["price"] = g["paid"] / g["units"]
    g["list_price"] = g["listed"] / g["units"]
    cost = catalog.set_index("spu_code")["standard_cost"] if len(catalog) else pd.Series(dtype=float)
    g["unit_cost"] = g["spu_code"].map(cost)
    g = g[g["units"] > 0]
    m = mm.kasavana_smith(g.dropna(subset=["unit_cost"]))
    cols = ["spu_name", "category", "units", "menu_mix_pct", "price", "list_price", "unit_cost",
            "contribution_margin", "revenue", "quadrant", "bcg"]
    return m[cols].sort_values("units", ascending=False).reset_index(drop=True), m


def elasticity_table(daily: pd.DataFrame, moves: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for name in moves["spu_name"].unique():
        e = mm.elasticity(daily, name)
        mv = moves[moves["spu_name"] == name]
        e["price_changes"] = "; ".join(f"{r.date:%Y-%m-%d} {r.old_price:.2f}→{r.new_price:.2f}" for r in mv.itertuples())
        e["method"] = ("Poisson log-log; offset: the day's units of steady products of the same kind "
                       "(iced drink, hot drink, food): traffic, weekday, season")
        rows.append(e)
    cols = ["spu_name", "elasticity", "ci_low", "ci_high", "days", "price_changes", "method"]
    return pd.DataFrame(rows, columns=cols)


def lifecycle_table(daily: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Launches (first sale late in the range) and retirements (last sale early), judged by menu
    volume, not days: the units the whole menu sold before the product's first sale (after its
    last) times the product's share while on sale is the number of its own sales expected in that
    gap; more than 10 expected and none made (Poisson: under e^-10 by chance) marks the event."""
    sold = daily[daily["units"] > 0].groupby("spu_name")["business_date"].agg(["min", "max"])
    if sold.empty:
        return pd.DataFrame(columns=["spu_name", "event", "date"])
    per_day = daily.groupby("business_date")["units"].sum().sort_index()
    cum = per_day.cumsum()
    total = float(per_day.sum())
    own = daily.groupby("spu_name")["units"].sum()
    rows = []
    for name, r in sold.iterrows():
        upto = cum.loc[:r["min"]]
        before = float(upto.iloc[-2]) if len(upto) > 1 else 0.0     # menu units before its first sale day
        share = own[name] / max(float(cum.loc[r["max"]]) - before, 1.0)
        after = total - float(cum.loc[r["max"]])
        if before * share > 10:
            rows.append({"spu_name": name, "event": "launch", "date": r["min"]})
        if after * share > 10:
            rows.append({"spu_name": name, "event": "retired", "date": r["max"] + pd.Timedelta(days=1)})
    return pd.DataFrame(rows, columns=["spu_name", "event", "date"]).sort_values("date")


def _category_heat(d: pd.DataFrame) -> alt.Chart:
    c = d.groupby(["category", "business_date"])["units"].sum().unstack(0).fillna(0).sort_index()
    c = c.reindex(pd.date_range(c.index.min(), c.index.max(), freq="D"), fill_value=0)
    roll = c.rolling(30, min_periods=30).mean()
    growth = (roll / roll.shift(30) - 1).iloc[::7].dropna(how="all")
    long = growth.reset_index(names="day").melt(id_vars="day", var_name="category", value_name="growth").dropna()
    return alt.Chart(long).mark_rect().encode(
        x=alt.X("yearmonthdate(day):O", title="week", axis=alt.Axis(labelAngle=-60, format="%b %d")),
        y=alt.Y("category:N", title=None),
        color=alt.Color("growth:Q", title="30-day avg vs 30 days before", scale=alt.Scale(scheme="redyellowgreen", domainMid=0),
                        legend=alt.Legend(format="%")),
        tooltip=["category", "yearmonthdate(day):T", alt.Tooltip("growth:Q", format="+.1%")])


def _product_page(out: Output, product: str, filters: Filters, d: pd.DataFrame, daily: pd.DataFrame,
                  catalog: pd.DataFrame, moves: pd.DataFrame) -> None:
    mine = daily[daily["spu_name"] == product]
    if mine.empty:
        known = set(catalog["spu_name"]) if len(catalog) else set()
        why = "is not in the product catalog" if product not in known else "has no completed sales in this range"
        out.note("warning", f"'{product}' {why}. The rest of the page covers every product.")
        return
    out.charts[f"{product}: daily units and list price"] = alt.layer(
        alt.Chart(mine).mark_line().encode(x=alt.X("business_date:T", title=None), y=alt.Y("units:Q", title="units")),
        alt.Chart(mine).mark_line(color="#c62828", interpolate="step-after").encode(
            x="business_date:T", y=alt.Y("list_price:Q", title=formats.money_title("list price", filters.currency), scale=alt.Scale(zero=False))),
    ).resolve_scale(y="independent")
    if moves[moves["spu_name"] == product].empty:
        out.note("info", f"'{product}': its list price did not change in this range, so no elasticity can be "
                         "estimated for it (only a price that moved identifies one).")
    code = d.loc[d["spu_name"] == product, "spu_code"].iloc[0]
    st = q.store_units(filters.start, filters.end, filters.stores, filters.currency)
    st = st[st["spu_code"] == code].merge(shop_q.shops()[["shop_id", "shop_name"]], on="shop_id", how="left")
    out.tables[f"{product}: per store"] = st[["shop_id", "shop_name", "units", "revenue"]].sort_values("units", ascending=False)
    # production time distribution of the product (items of its tickets, Tool 12's item measure)
    from lucky.tools.production_time import load as production_load
    _t, items, _c = production_load(filters)
    times = items.loc[(items["spu_name"] == product) & (items["make_s"] > 0), "make_s"]
    if times.empty:
        out.note("info", f"'{product}' was never produced in this range: no production times.")
    else:
        from lucky.models import production_time as pt
        out.tables[f"{product}: production time"] = pd.DataFrame([pt.summary(times)])


def _base(filters: Filters) -> dict | None:
    """Everything but the product page, once per data version and filter set (`_memo`): choosing
    a product does not re-read the sales or refit the elasticities. None without sales."""
    d = daily_frame(filters)
    if d.empty:
        return None
    catalog = prod_q.catalog()
    matrix, full = matrix_table(d, catalog)
    daily = product_daily(d, catalog)
    moves = mm.price_moves(daily.dropna(subset=["list_price"]))
    life = lifecycle_table(daily, filters)
    daily = with_reference(daily, set(moves["spu_name"]) | set(life["spu_name"]))
    return {"d": d, "catalog": catalog, "matrix": matrix, "full": full, "daily": daily, "moves": moves,
            "life": life, "elastic": elasticity_table(daily, moves)}


def run(filters: Filters, viewer: Viewer, product: str = "") -> Output:
    out = Output()
    if filters.start and filters.end and filters.start > filters.end:
        raise InputError("The date range ends before it starts.")
    key = _memo.source_key(*TOOL.sources) + (filters.start, filters.end, filters.stores, filters.currency)
    base = _memo.memo("menu.base", key, lambda: _base(filters))
    if base is None:
        out.note("info", f"No completed {filters.currency} sales in this date range and store selection.")
        return out
    d, catalog, matrix, full, daily, moves, life, elastic = (
        base[k] for k in ("d", "catalog", "matrix", "full", "daily", "moves", "life", "elastic"))
    counts = matrix["quadrant"].value_counts()
    out.kpis = [Kpi("Products", len(matrix)), Kpi("Units", int(matrix["units"].sum())),
                Kpi("Revenue", float(matrix["revenue"].sum()), "$")] + [
        Kpi(f"{q_} ({mm.BCG[q_]})", int(counts.get(q_, 0))) for q_ in ("Star", "Plowhorse", "Puzzle", "Dog")]
    if len(full):
        out.note("info", f"Kasavana & Smith: popular when the menu mix is at least 70% × 1/{len(full)} = "
                         f"{full['popularity_threshold_pct'].iloc[0]:.2f}% of units; high margin when the contribution "
                         f"margin (price paid − standard cost) is at least the mix-weighted mean, "
                         f"${full['margin_threshold'].iloc[0]:.2f}.")
    missing = sorted(set(d["spu_name"]) - set(matrix["spu_name"]))
    if missing:
        out.note("warning", f"No standard_cost for {len(missing)} product(s) ({', '.join(missing[:5])}): left out of the matrix.")
    if elastic.empty:
        out.note("info", "No product's list price changed in this range: no elasticity to estimate.")
    if product:
        _product_page(out, product, filters, d, daily, catalog, moves)
    mx = matrix.assign(volume=matrix["units"])
    pts = alt.Chart(mx).mark_circle(opacity=0.75).encode(
        x=alt.X("menu_mix_pct:Q", title="menu mix, % of units", scale=alt.Scale(type="log")),
        y=alt.Y("contribution_margin:Q", title=formats.money_title("contribution margin per unit", filters.currency)),
        size=alt.Size("revenue:Q", legend=None, scale=alt.Scale(range=[20, 900])),
        color=alt.Color("quadrant:N", scale=alt.Scale(domain=list(QUADRANT_COLOURS), range=list(QUADRANT_COLOURS.values()))),
        tooltip=["spu_name", "category", "quadrant", "bcg", alt.Tooltip("units:Q", format=","),
                 alt.Tooltip("contribution_margin:Q", **formats.money_tooltip("contribution margin", filters.currency)),
                 alt.Tooltip("revenue:Q", **formats.money_tooltip("revenue", filters.currency, 0))])
    rules = []
    if len(full):
        rules = [alt.Chart(pd.DataFrame({"x": [full["popularity_threshold_pct"].iloc[0]]})).mark_rule(strokeDash=[4, 3]).encode(x="x:Q"),
                 alt.Chart(pd.DataFrame({"y": [full["margin_threshold"].iloc[0]]})).mark_rule(strokeDash=[4, 3]).encode(y="y:Q")]
    out.charts["menu engineering matrix (volume vs margin, sized by revenue)"] = alt.layer(pts, *rules).properties(height=420)
    out.charts["category trend (30-day rolling units vs the 30 days before)"] = _category_heat(d)
    top = matrix.head(12)["spu_name"]
    weekly = daily[daily["spu_name"].isin(top)].assign(week=lambda x: x["business_date"].dt.to_period("W").dt.start_time)
    weekly = weekly.groupby(["spu_name", "week"])["units"].sum().reset_index()
    out.charts["sparklines: weekly units of the top 12"] = alt.Chart(weekly).mark_line().encode(
        x=alt.X("week:T", title=None, axis=None), y=alt.Y("units:Q", title=None, axis=None),
    ).properties(width=150, height=40).facet(facet=alt.Facet("spu_name:N", title=None, sort=list(top)), columns=4)
    out.tables["matrix"] = matrix.copy()
    out.tables["elasticity"] = elastic.copy()
    out.tables["lifecycle"] = life.assign(date=life["date"].dt.strftime("%Y-%m-%d")) if len(life) else life.copy()
    out.tables["price-history"] = moves.assign(date=moves["date"].dt.strftime("%Y-%m-%d")) if len(moves) else moves.copy()
    return out


TOOL = Tool(
    slug="menu", number=10, title="Product Performance & Menu Analytics Engine", department="Product",
    roles=frozenset({"product", "marketing"}),
    sources=("luckyus_sales_order", "luckyus_scm_commodity", "luckyus_opshop", "luckyus_opproduction",
             "luckyus_iot_platform"),
    run=run, icon=":material/restaurant_menu:",
    description="Menu-engineering matrix (Kasavana & Smith; the report's BCG naming beside it), price "
                "elasticity of products whose price moved, category trends, launches and retirements, "
                "and a product page.",
    options=(Option("product", str, "", "a product (spu_name) for its page: daily units, list price, stores, "
                                        "production time", label="Product"),),
    precompute=True,
)
