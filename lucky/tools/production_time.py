"""Tool 12, Production Time Optimizer: which drinks take longest, where, when, on which machine,
and which recipes got slower.

Two measures, named in every table:
- the report's (`ticket`): done_time − accept_time of a t_production ticket, over the tickets
  whose done comes after the accept, long ones included (217.9 s for Feb 1–14 2026). Tickets over
  30 minutes are counted apart (`outliers`) and a mean without them stands beside it;
- the item's (`item`): each t_commodity row's finish (update_time) minus the previous item's
  finish on the same ticket (the accept for the first): a product's own make time, used per
  product, per machine type, against recipe steps and for the change detection.

Days are store-local business days of the ticket's create_time. Production time is not money,
so the currency filter does not apply: every store of the selection is measured, as the report did.
"""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.errors import InputError
from lucky.models import production_time as pt
from lucky.models import shops as real_shops
from lucky.models import timezones as tzm
from lucky.queries import production as q
from lucky.queries import shops as shop_q
from lucky.tools import _memo

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
NO_MACHINE = "no machine (food only)"
SAMPLE = 1500          # item times per product drawn for the distribution chart
OUTLIER_COLS = ["id", "shop_id", "shop_name", "device_no", "business_date", "accept_time", "done_time", "seconds"]


def load(filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(tickets with local_time/business_date/machine_type, items with make_s and names, catalog)."""
    shops = shop_q.shops()
    t = q.tickets(filters.start, filters.end, filters.stores)
    t = tzm.in_days(tzm.localize(t, shops, "create_time"), filters.start, filters.end)
    t = t.merge(q.machine_types(), on="device_no", how="left")
    t["machine_type"] = t["machine_type"].fillna(NO_MACHINE)
    t = t.merge(shops[["shop_id", "shop_name"]], on="shop_id", how="left")
    cat = q.catalog()
    it = q.items(filters.start, filters.end, filters.stores)
    carry = t[["id", "accept_time", "done_time", "shop_id", "shop_name", "machine_type", "local_time", "business_date"]]
    it = pt.item_times(it, carry)
    it["spu_name"] = _names(it["spu_code"], cat)
    it["hour"] = it["local_time"].dt.hour
    it["n_items"] = it.groupby("production_id")["id"].transform("size").clip(upper=4)
    return t, it, cat


def _names(codes: pd.Series, cat: pd.DataFrame) -> pd.Categorical:
    """Each item's product name (its spu_code when the catalog lacks it), categorical: named once
    per distinct code, not once per item (half a million text look-ups otherwise)."""
    names = cat.set_index("spu_code")["spu_name"] if len(cat) else pd.Series(dtype=object)
    pos, found = pd.factorize(codes, use_na_sentinel=False)
    found = pd.Series(found)
    label = found.map(names).fillna(found).astype(str)
    kinds = pd.Index(label.dropna().unique()).sort_values()          # a missing code stays missing (−1)
    return pd.Categorical.from_codes(kinds.get_indexer(label)[pos], categories=kinds)


def products_table(measured: pd.DataFrame, item: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """The chain row (report's ticket measure, over `pt.measured` tickets) then one row per
    product (item make time)."""
    per = pt.summarize(item, "spu_name", "make_s")
    per.insert(1, "measure", "item")
    ticket_mean = (item[["production_id", "spu_name", "done_time", "accept_time"]]
                   .drop_duplicates(["production_id", "spu_name"])
                   .assign(sec=lambda d: (d["done_time"] - d["accept_time"]).dt.total_seconds())
                   .groupby("spu_name")["sec"].mean())
    per["ticket_mean_s"] = per["spu_name"].map(ticket_mean)
    code = item[["spu_name", "spu_code"]].drop_duplicates("spu_name").set_index("spu_name")["spu_code"]
    per["steps"] = (per["spu_name"].map(code).map(steps.set_index("spu_code")["steps"]) if len(steps)
                    else np.nan)
    per["steps"] = per["steps"].astype("Int64")
    whole = pt.summary(measured["seconds"])
    chain = pd.DataFrame([{"spu_name": pt.ALL, "measure": "ticket", **whole, "ticket_mean_s": whole["mean_s"], "steps": pd.NA}])
    return pd.concat([chain, per], ignore_index=True)


def stores_table(m: pd.DataFrame) -> pd.DataFrame:
    """Per store over the `pt.measured` tickets, the report's measure."""
    out = pt.summarize(m, "shop_id", "seconds")
    return out.merge(m.drop_duplicates("shop_id")[["shop_id", "shop_name"]], on="shop_id", how="left")[
        ["shop_id", "shop_name", *pt.SUMMARY_COLS]]


def machines_table(item: pd.DataFrame) -> pd.DataFrame:
    """Machine efficiency on the same products: per machine type, the mean over products of
    (product's mean item time on this type / product's mean on all types); below 1 is faster."""
    x = item.loc[(item["make_s"] > 0) & (item["make_s"] <= pt.OUTLIER_S) & (item["machine_type"] != NO_MACHINE),
                 ["machine_type", "spu_name", "make_s"]]
    if x.empty:
        return pd.DataFrame(columns=["machine_type", "items", "mean_s", "relative_time", "products"])
    cell = x.groupby(["machine_type", "spu_name"])["make_s"].agg(["mean", "size"]).reset_index()
    overall = x.groupby("spu_name")["make_s"].mean()
    cell["ratio"] = cell["mean"] / cell["spu_name"].map(overall).astype(float)
    cell = cell[cell["size"] >= 5]
    cell["weighted"] = cell["ratio"] * cell["size"]
    out = cell.groupby("machine_type").agg(items=("size", "sum"), weighted=("weighted", "sum"),
                                           products=("spu_name", "size")).reset_index()
    out["relative_time"] = out["weighted"] / out["items"]
    out["mean_s"] = out["machine_type"].map(x.groupby("machine_type")["make_s"].mean())
    return out[["machine_type", "items", "mean_s", "relative_time", "products"]].sort_values("relative_time")


def _charts(out: Output, measured: pd.DataFrame, item: pd.DataFrame, products: pd.DataFrame,
            stores: pd.DataFrame, machines: pd.DataFrame, top: int) -> None:
    short = item.loc[(item["make_s"] > 0) & (item["make_s"] <= pt.OUTLIER_S), ["spu_name", "make_s"]]
    names = products[products["spu_name"] != pt.ALL].sort_values("n", ascending=False)["spu_name"].head(top)
    sample = short[short["spu_name"].isin(names)].sample(frac=1, random_state=0)
    sample = sample[sample.groupby("spu_name").cumcount() < SAMPLE][["spu_name", "make_s"]]
    if len(sample):
        out.charts["item make time per product (violin, items under 30 min)"] = alt.Chart(sample).transform_density(
            "make_s", as_=["make_s", "density"], groupby=["spu_name"], extent=[0, float(sample["make_s"].quantile(0.99))],
        ).mark_area(orient="horizontal", opacity=0.7).encode(
            y=alt.Y("make_s:Q", title="seconds"),
            x=alt.X("density:Q", stack="center", impute=None, title=None,
                    axis=alt.Axis(labels=False, values=[0], grid=False, ticks=True)),
            color=alt.Color("spu_name:N", legend=None),
            column=alt.Column("spu_name:N", sort=list(names), title=None,
                              header=alt.Header(labelAngle=-60, labelAlign="right", labelOrient="bottom")),
        ).properties(width=55, height=240).configure_facet(spacing=0).configure_view(stroke=None)
    if len(stores):
        long = stores.melt(id_vars=["shop_name"], value_vars=["mean_s", "p50_s", "p95_s"], var_name="statistic",
                           value_name="seconds")
        out.charts["stores: mean, p50, p95 (ticket)"] = alt.Chart(long).mark_bar().encode(
            x=alt.X("seconds:Q"), y=alt.Y("shop_name:N", title=None), color="statistic:N",
            yOffset="statistic:N", tooltip=["shop_name", "statistic", alt.Tooltip("seconds:Q", format=".1f")]
        ).properties(height=max(160, 36 * len(stores)))
    m = measured
    m = m[m["seconds"] <= pt.OUTLIER_S]
    if len(m):
        lt = m["local_time"]
        # grouped on the day's number, named after: half a million weekday strings cost more
        heat = m["seconds"].groupby([lt.dt.day_of_week.rename("weekday"), lt.dt.hour.rename("hour")]).agg(
            ["mean", "size"]).reset_index()
        heat["weekday"] = heat["weekday"].map(dict(enumerate(WEEKDAYS)))
        heat = heat.sort_values(["weekday", "hour"]).reset_index(drop=True)   # the order grouping by name gave
        out.charts["hour x weekday: mean ticket time (under 30 min)"] = alt.Chart(heat).mark_rect().encode(
            x=alt.X("hour:O", title="local hour"), y=alt.Y("weekday:N", sort=WEEKDAYS, title=None),
            color=alt.Color("mean:Q", title="mean s", scale=alt.Scale(scheme="orangered")),
            tooltip=["weekday", "hour", alt.Tooltip("mean:Q", format=".1f"), alt.Tooltip("size:Q", title="tickets")])
    if len(machines):
        out.charts["machine efficiency on the same products"] = alt.Chart(machines).mark_bar().encode(
            x=alt.X("relative_time:Q", title="time relative to the same products on all machines (1 = chain)",
                    scale=alt.Scale(zero=False)),
            y=alt.Y("machine_type:N", sort="x", title=None),
            tooltip=["machine_type", alt.Tooltip("relative_time:Q", format=".3f"), "items", "products"])
    pts = products[(products["spu_name"] != pt.ALL) & products["steps"].notna()]
    if len(pts):
        base = alt.Chart(pts).encode(x=alt.X("steps:Q", title="recipe steps (t_formula_spu)"),
                                     y=alt.Y("mean_trimmed_s:Q", title="mean item make time, s (under 30 min)"))
        out.charts["recipe complexity against time"] = base.mark_circle(size=70).encode(
            size=alt.Size("n:Q", legend=None), tooltip=["spu_name", "steps", "n", alt.Tooltip("mean_trimmed_s:Q", format=".1f")]
        ) + base.transform_regression("steps", "mean_trimmed_s").mark_line(color="gray")


def _changes_chart(out: Output, item: pd.DataFrame, changes: pd.DataFrame) -> None:
    if changes.empty:
        return
    x = item.loc[item["spu_name"].isin(changes["spu_name"]) & (item["make_s"] > 0) & (item["make_s"] <= pt.OUTLIER_S),
                 ["spu_name", "business_date", "make_s"]]
    weekly = x.assign(week=x["business_date"].dt.to_period("W").dt.start_time).groupby(
        ["spu_name", "week"])["make_s"].median().reset_index()
    lines = alt.Chart(weekly).mark_line(point=True).encode(
        x=alt.X("week:T"), y=alt.Y("make_s:Q", title="weekly median item time, s"), color="spu_name:N")
    rules = alt.Chart(changes).mark_rule(strokeDash=[4, 3]).encode(x="date:T", color="spu_name:N",
                                                                     tooltip=["spu_name", "date", "factor"])
    out.charts["recipe changes: weekly median make time"] = lines + rules


def _product_focus(out: Output, product: str, item: pd.DataFrame, cat: pd.DataFrame) -> None:
    """The one product asked for: its time per store and per machine type, or why there is none."""
    known = set(cat["spu_name"]) if len(cat) else set()
    mine = item[item["spu_name"] == product]
    if mine.empty:
        why = "is not in the product catalog" if product not in known else "was never produced in this date range and store selection"
        out.note("warning", f"'{product}' {why}: no production times to show for it. The rest of the page covers every product.")
        return
    out.tables[f"{product}: per store"] = pt.summarize(mine, "shop_name", "make_s")
    out.tables[f"{product}: per machine type"] = pt.summarize(mine, "machine_type", "make_s")


def _base(filters: Filters) -> dict | None:
    """Everything that does not depend on the options (the product asked for, the chart's size):
    read and measured once per data version and filter set (`_memo`); None without productions.
    Only what the page draws is kept (it is pickled to disk): the tickets over 30 minutes as
    their table, the others as local time and seconds."""
    tickets, item, cat = load(filters)
    if tickets.empty:
        return None
    d = pt.durations(tickets)
    measured = pt.measured(tickets)
    long = measured[measured["seconds"] > pt.OUTLIER_S]
    return {"invalid": int((d <= 0).sum()), "unmeasured": int(d.isna().sum()), "cat": cat,
            "chain": pt.summary(measured["seconds"]),
            "measured": measured[["local_time", "seconds"]],
            "outliers": long.assign(business_date=long["business_date"].dt.strftime("%Y-%m-%d"))[OUTLIER_COLS]
                            .sort_values(["seconds", "id"], ascending=[False, True]),   # ties by id: one order every run
            "item": item[["spu_name", "make_s", "shop_name", "machine_type", "business_date"]],
            "products": products_table(measured, item, q.recipe_steps()), "stores": stores_table(measured),
            "machines": machines_table(item), "changes": pt.changes(item)}


def run(filters: Filters, viewer: Viewer, product: str = "", top: int = 12, include_test: bool = False) -> Output:
    out = Output()
    if filters.start and filters.end and filters.start > filters.end:
        raise InputError("The date range ends before it starts.")
    filters = real_shops.scope(filters, shop_q.shops(), include_test)
    key = _memo.source_key(*TOOL.sources) + (filters.start, filters.end, filters.stores)
    base = _memo.memo("production-time.base", key, lambda: _base(filters))
    if base is None:
        out.note("info", "No productions in this date range and store selection.")
        return out
    item, cat, measured, chain, products, stores, machines, changes, invalid, unmeasured = (
        base[k] for k in ("item", "cat", "measured", "chain", "products", "stores", "machines", "changes",
                          "invalid", "unmeasured"))
    out.kpis = [
        Kpi("Mean time (report's measure)", round(chain["mean_s"], 1) if chain["n"] else None, "s",
            help="done_time − accept_time over tickets done after their accept, long ones included"),
        Kpi("Mean without tickets over 30 min", round(chain["mean_trimmed_s"], 1) if chain["n"] else None, "s"),
        Kpi("p50 / p95", f"{chain['p50_s']:.0f} s / {chain['p95_s']:.0f} s" if chain["n"] else "–"),
        Kpi("Tickets measured", chain["n"]),
        Kpi("Tickets over 30 min", chain["outliers"], help="shown apart, never dropped"),
        Kpi("Done before accept", invalid, help="impossible stamps: not in the mean"),
        Kpi("Without accept or done", unmeasured, help="waiting, cancelled or never synced: not in the mean"),
        Kpi("Recipe changes found", len(changes)),
    ]
    if chain["outliers"]:
        out.note("warning", f"{chain['outliers']:,} tickets took over 30 minutes (max {measured['seconds'].max():,.0f} s): "
                            "they are in the report's mean and listed in `outliers`; the trimmed mean leaves them out.")
    if invalid:
        out.note("warning", f"{invalid:,} tickets were done before they were accepted (clock errors): left out of every mean.")
    if product:
        _product_focus(out, product, item, cat)
    _charts(out, measured, item, products, stores, machines, top)
    _changes_chart(out, item, changes)
    out.tables["products"] = products.copy()
    out.tables["stores"] = stores.copy()
    out.tables["changes"] = changes.assign(date=changes["date"].dt.strftime("%Y-%m-%d")) if len(changes) else changes.copy()
    out.tables["machines"] = machines.copy()
    out.tables["outliers"] = base["outliers"].copy()
    return out


TOOL = Tool(
    slug="production-time", number=12, title="Production Time Optimizer", department="Product",
    roles=frozenset({"product", "operations", "store_manager"}),
    sources=("luckyus_opproduction", "luckyus_iot_platform", "luckyus_scm_commodity", "luckyus_opshop"),
    run=run, icon=":material/timer:",
    description="Production time (done − accept) as the report measures it, per product, store, hour, "
                "weekday and machine type; outliers over 30 min set apart; recipe steps against time; "
                "products whose make time shifted, with date and factor.",
    options=(
        Option("product", str, "", "a product (spu_name) to break down per store and machine type", label="Product"),
        Option("top", int, 12, "products in the distribution chart (by volume)", range=(3, 30), step=1, label="Products in the chart"),
        real_shops.INCLUDE_TEST,
    ),
    precompute=True,
)
