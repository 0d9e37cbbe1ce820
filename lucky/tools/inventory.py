"""Tool 16, Intelligent Inventory Command Center: stock positions with days of supply, reorder
points and replenishment suggestions; stock-out history; consumption far above recipes × sales;
waste written off. Method in `lucky/models/inventory.py` and docs/notes/supply-chain.md.

Stock positions are the latest closing snapshot (t_shop_goods_stock) of each store × goods in the
14 days up to the range end; use comes from the ledger's sale consumption (change_type 1), the
forward use from the latest demand-prediction run on or before the range end, lead times from
the purchasing system's shipments (order date → arrival) of the goods' supplier.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

import altair as alt
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.models import inventory as model
from lucky.queries import forecast as fq
from lucky.queries import inventory as q
from lucky.queries import metrics
from lucky.queries import purchase as pq
from lucky.queries import shops as shop_q
from lucky.ui import formats

SNAPSHOT_DAYS = 14      # a position's latest snapshot counts when it is this recent
FORECAST_DAYS = 7       # forward use = mean prediction over the next week
DEFAULT_LEAD = 3.0      # days, when the purchasing data has no arrived shipment at all
STATUSES = ["stockout", "at_risk", "ok", "overstock"]
SALE, WASTE = 1, 3      # ledger change types: sale consumption, write-off


def _day(d) -> str:
    return pd.Timestamp(d).strftime("%Y-%m-%d")


def _days(col: pd.Series) -> pd.Series:
    """`_day` of a whole column at once (an empty column too), not a Python call per row."""
    return pd.to_datetime(col).dt.strftime("%Y-%m-%d")


def run(filters: Filters, viewer: Viewer, service_level: float = 0.95, overstock_days: float = 14.0,
        trailing_days: int = 28, store: int | None = None, goods: str = "") -> Output:
    out = Output()
    shops = shop_q.trading_shops(filters.currency)
    if filters.stores:
        shops = shops[shops["shop_id"].isin(filters.stores)]
    ids = tuple(int(s) for s in shops["shop_id"])
    if not ids:
        out.note("info", f"No trading {filters.currency} stores in this selection.")
        return out
    last = q.last_day(ids)
    if last is None:
        out.note("warning", "The stock positions table holds no snapshot for these stores.")
        return out
    end = min(filters.end or last, last)
    start = filters.start
    if start is not None and start > end:
        out.note("warning", f"The range starts on {start}, after the latest stock day {last}: nothing to show.")
        _empty(out)
        return out
    since = None if start is None else start - timedelta(weeks=model.LOST_WEEKS)   # the usual before a stock-out
    with ThreadPoolExecutor(max_workers=2) as pool:   # sales and recipes (two more databases) read beside the rest
        sales = pool.submit(metrics.items_daily, shops, since, end), pool.submit(metrics.recipes)
        _build(out, sales, ids, start, since, end, service_level, overstock_days, trailing_days)
    if store is not None or goods:
        _drill(out, store, goods, ids, end, trailing_days)
    return out


def _build(out: Output, sales: tuple[Future, Future], ids: tuple[int, ...], start, since, end, service_level: float,
           overstock_days: float, trailing_days: int) -> None:
    master = fq.goods().drop_duplicates("goods_code").set_index("goods_code")

    pos = q.positions(end - timedelta(days=SNAPSHOT_DAYS - 1), end, ids)
    if pos.empty:
        out.note("warning", f"No stock snapshot in the {SNAPSHOT_DAYS} days up to {end}: no positions to judge.")
    pos = pos.sort_values("stock_date", kind="stable").drop_duplicates(model.KEYS, keep="last")   # ties by store, goods
    stale = pos["stock_date"] < pd.Timestamp(end)
    if stale.any():
        out.note("info", f"{int(stale.sum()):,} positions have no snapshot on {end}; their latest one "
                         f"(up to {SNAPSHOT_DAYS} days earlier) is used (column stock_date).")
    sale, consumed, waste = _ledger(ids, start, since, end - timedelta(days=trailing_days - 1), end)
    use = model.trailing_use(sale, end, trailing_days, sale.groupby("shop_id")["date"].min())
    forecast = _forecast(end, ids)
    if forecast.empty and len(pos):
        out.note("info", f"No demand prediction from a run on or before {end} for the next {FORECAST_DAYS} days: "
                         "days of supply use the trailing consumption only.")
    lead, default_lead = _lead(out, master, end, set(pos["goods_code"]))
    missing = sorted(set(pos["goods_code"]) - set(master.index))
    if missing:
        out.note("warning", f"{len(missing)} goods code(s) in the stock positions are missing from the goods master "
                            f"({', '.join(missing[:5])}): kept, named from the snapshot, with the chain's median lead time "
                            "and no supplier.")
    pos["goods_name"] = pos["goods_code"].map(master["goods_name"]).fillna(pos["goods_name"])
    table = model.positions_table(pos.assign(stock_qty=pos["stock_qty"].astype(float)), use, forecast,
                                  lead, default_lead, service_level, overstock_days)
    table["stock_date"] = _days(table["stock_date"])
    no_use = table["daily_use"].eq(0) & table["forecast_use"].isna()
    if no_use.any():
        out.note("info", f"{int(no_use.sum()):,} positions had no sale consumption in the last {trailing_days} days and no "
                         "forecast (supplies counted at stocktake, or goods not sold): no days of supply, status ok "
                         "unless out.")
    out.tables["positions"] = table.sort_values(["status", "days_of_supply"], key=_status_key).reset_index(drop=True)
    reorder = table[table["suggested_qty"] > 0].assign(
        supplier_code=lambda f: f["goods_code"].map(master["supplier_code"]),
        unit_cost=lambda f: f["goods_code"].map(master["unit_cost"]).astype(float),
        order_date=_day(end + timedelta(days=1)))
    reorder["est_cost"] = (reorder["suggested_qty"] * reorder["unit_cost"]).round(2)
    out.tables["replenishment"] = reorder[["order_date", "shop_id", "goods_code", "goods_name", "supplier_code",
                                           "stock_qty", "reorder_point", "suggested_qty", "unit_cost", "est_cost",
                                           "status"]].reset_index(drop=True)

    days = model.stockout_days(q.zero_changes(start, end, ids), q.zero_positions(start, end, ids))
    names = pos.set_index(model.KEYS)["goods_name"]
    days["goods_name"] = [names.get(k, master["goods_name"].get(k[1])) for k in zip(days["shop_id"], days["goods_code"])]
    spells = model.runs(days)
    out.tables["stockouts"] = days.assign(date=_days(days["date"]))[
        ["shop_id", "goods_code", "goods_name", "date", "seen_in"]]
    out.tables["stockout_spells"] = spells.assign(first_day=_days(spells["first_day"]),
                                                  last_day=_days(spells["last_day"]))

    usage = model.usage(consumed, *(f.result() for f in sales))
    lost = model.lost_sales(days, usage)
    lost.insert(2, "goods_name", days["goods_name"].to_numpy())
    out.tables["lost_sales"] = lost.assign(date=_days(lost["date"]))
    _lost_note(out, lost)
    in_range = usage if start is None else usage[usage["date"] >= pd.Timestamp(start)]
    out.tables["consumption_anomalies"] = model.consumption_anomalies(in_range).assign(
        date=lambda f: _days(f["date"]))

    waste = waste.assign(qty=-waste["qty"].astype(float), date=_days(waste["business_date"]))
    waste["goods_name"] = waste["goods_code"].map(master["goods_name"])
    waste["value"] = (waste["qty"] * waste["goods_code"].map(master["unit_cost"]).astype(float)).round(2)
    waste = waste[["shop_id", "goods_code", "goods_name", "date", "qty", "value"]].sort_values(
        ["date", "shop_id", "goods_code"]).reset_index(drop=True)
    out.tables["waste"] = waste
    out.tables["waste_by_goods"] = (waste.groupby(["goods_code", "goods_name"], as_index=False, dropna=False)
                                    [["qty", "value"]].sum().sort_values("value", ascending=False))
    out.tables["waste_by_store"] = waste.groupby("shop_id", as_index=False)[["qty", "value"]].sum()

    counts = table["status"].value_counts()
    out.kpis = [Kpi("Positions", len(table)), Kpi("Out of stock now", int(counts.get("stockout", 0))),
                Kpi("At risk", int(counts.get("at_risk", 0)), help=f"stock at or below the reorder point "
                    f"(lead time × use + z·σ·√lead, service level {service_level:.1%})"),
                Kpi("Overstock", int(counts.get("overstock", 0)), help=f"more than {overstock_days:g} days of supply"),
                Kpi("Stock-out days", len(days), help="store × goods × day at zero in the range"),
                Kpi("Sales lost to stock-outs", float(lost["lost_items"].sum()), help="items of products that need "
                    f"the goods: the same weekday's mean over the {model.LOST_WEEKS} weeks before, minus what sold"),
                Kpi("Waste written off", float(waste["value"].sum()), "$"),
                Kpi("Consumption anomalies", len(out.tables["consumption_anomalies"]))]
    out.note("info", f"Reorder point = lead time × use + z·σ·√lead with z = {model.z_value(service_level):.2f} "
                     f"(service level {service_level:.1%}); use = the forecast of the next {FORECAST_DAYS} days when "
                     f"there is one, else the trailing {trailing_days}-day mean; stock as of {end}.")
    _charts(out, table, waste)


def _ledger(ids: tuple[int, ...], start, since, sale_from, end) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Sale consumption and waste per store × goods × day from one scan of the seven ledger tables,
    for three uses: the trailing sale window from `sale_from` behind daily use (date, consumed =
    −Σ change); from `since` the consumption compared with sales through the recipes (shop_id,
    date, goods_code, consumed as a positive quantity, as `metrics.consumption_daily` gives it);
    write-offs (change type 3) in [start, end], as `daily_changes` gives them."""
    lo = None if since is None else min(since, sale_from)
    ledger = q.daily_changes(lo, end, ids, types=(SALE, WASTE))
    waste = ledger[ledger["change_type"] == WASTE]
    ledger = ledger[ledger["change_type"] == SALE]
    ledger = ledger.assign(date=ledger["business_date"], consumed=-ledger["qty"].astype(float))
    used = ledger if since is None else ledger[ledger["date"] >= pd.Timestamp(since)]
    used = used.assign(consumed=used["qty"].astype(float).abs())[["shop_id", "date", "goods_code", "consumed"]]
    waste = waste if start is None else waste[waste["business_date"] >= pd.Timestamp(start)]
    return ledger[ledger["date"] >= pd.Timestamp(sale_from)], used, waste.reset_index(drop=True)


def _lost_note(out: Output, lost: pd.DataFrame) -> None:
    """Say which stock-out days did not cut sales (a count to check) and chart expected vs actual."""
    if lost.empty:      # no day out: nothing to say (and an empty frame's masks would select columns)
        return
    known = lost[lost["usual_items"] > 0]
    whole = known[known["whole_day"]]
    held = whole[~whole["sales_fell"]]
    if len(held):
        out.note("warning", f"{len(held)} of {len(whole)} whole days out of stock (at zero since the day before) kept "
                            "selling the products that need the goods (above half the usual): the zero is probably a "
                            "count or an entry error, not an empty shelf — see lost_sales, sales_fell false.")
    if len(known):
        label = (known["shop_id"].astype(str) + " " + known["goods_name"].fillna(known["goods_code"]) + " · "
                 + _days(known["date"]).str[5:])
        long = known.assign(position=label).melt(["position"], ["usual_items", "actual_items"], "series", "items")
        out.charts["lost_sales"] = alt.Chart(long).mark_bar().encode(
            x=alt.X("position:N", title=None, sort=None, axis=alt.Axis(labelAngle=-45, labelLimit=260, labelOverlap=False)),
            xOffset=alt.XOffset("series:N"), y=alt.Y("items:Q", title="Items of products needing the goods"),
            color=alt.Color("series:N", legend=alt.Legend(orient="top"), title=None),
            tooltip=_tooltip("position", "series", "items"))


def _tooltip(*fields: str) -> list[alt.Tooltip]:
    """Tooltip channels built directly: Altair wraps each bare string through `from_dict`, which
    hashes its whole schema every call (about 10 ms a field, most of the charts' cost here)."""
    return [alt.Tooltip(f) for f in fields]


def _status_key(col: pd.Series) -> pd.Series:
    return col.map({s: i for i, s in enumerate(STATUSES)}) if col.name == "status" else col


def _empty(out: Output) -> None:
    for name in ("positions", "replenishment", "stockouts", "lost_sales", "consumption_anomalies", "waste"):
        out.tables[name] = pd.DataFrame()


def _forecast(end, ids: tuple[int, ...]) -> pd.DataFrame:
    """Mean predicted daily use over the next FORECAST_DAYS days from each series' latest run up to `end`
    (picked at the source: every run's rows cost ten times more to read)."""
    p = fq.latest_predictions(end + timedelta(days=1), end + timedelta(days=FORECAST_DAYS), end, ids)
    if p.empty:
        return pd.DataFrame(columns=model.KEYS + ["forecast_use"])
    return p.groupby(model.KEYS, as_index=False)["pred_qty"].mean().rename(columns={"pred_qty": "forecast_use"})


def _lead(out: Output, master: pd.DataFrame, end, stocked: set) -> tuple[pd.Series, float]:
    """Lead days per goods code (its supplier's mean) and the default for the rest (the median over suppliers)."""
    per_supplier = model.lead_days(pq.shipments(None, end))
    default = float(per_supplier.median()) if len(per_supplier) else DEFAULT_LEAD
    if per_supplier.empty:
        out.note("warning", f"No arrived shipment up to {end}: every lead time is taken as {DEFAULT_LEAD:g} days.")
    lead = master["supplier_code"].map(per_supplier)
    unknown = lead.isna() & master.index.isin(stocked)
    if unknown.any():
        out.note("info", f"{int(unknown.sum()):,} stocked goods have no supplier with arrived shipments: "
                         f"lead time = the median over suppliers, {default:.1f} days.")
    return lead.dropna(), default


def _charts(out: Output, table: pd.DataFrame, waste: pd.DataFrame) -> None:
    grid = table[table["days_of_supply"].notna()].copy()
    if len(grid):
        grid["cell_days"] = grid["days_of_supply"].clip(upper=30)
        out.charts["days_of_supply"] = alt.Chart(grid).mark_rect(stroke="white").encode(
            x=alt.X("shop_id:O", title="Store"),
            y=alt.Y("goods_name:N", title=None, sort="ascending", axis=alt.Axis(labelLimit=220, labelOverlap=False)),
            color=alt.Color("cell_days:Q", title="Days of supply",
                            scale=alt.Scale(domain=[0, 3, 7, 14, 30], range=["#d62728", "#ff7f0e", "#e0e070", "#2e9e44", "#1f77b4"])),
            tooltip=_tooltip("shop_id", "goods_code", "goods_name", "stock_qty", "daily_use", "forecast_use",
                             "days_of_supply", "reorder_point", "status")).properties(height=max(160, 18 * grid["goods_name"].nunique()))
    if len(waste):
        by = waste.groupby(["shop_id", "goods_name"], as_index=False)["value"].sum()
        out.charts["waste_by_goods_and_store"] = alt.Chart(by).mark_bar().encode(
            x=alt.X("sum(value):Q", title=formats.money_title("Waste written off at cost", "USD")), y=alt.Y("goods_name:N", sort="-x", title=None),
            color=alt.Color("shop_id:N", title="Store"), tooltip=_tooltip("shop_id", "goods_name", "value"))


def _drill(out: Output, store, goods: str, ids: tuple[int, ...], end, trailing_days: int) -> None:
    """One store × goods: daily closing stock (the ledger summed from its first day), consumption,
    receipts, waste and the latest forecast; its open shipments."""
    if store is None or not goods:
        out.note("warning", "The drill-down needs both a store and a goods code.")
        return
    if int(store) not in ids:
        out.note("warning", f"Store {store} is not among the trading stores of this selection.")
        return
    ch = q.daily_changes(None, end, (int(store),))
    ch = ch[ch["goods_code"] == goods]
    if ch.empty:
        out.note("warning", f"Store {store} has no ledger rows for goods {goods}.")
        return
    wide = ch.pivot_table(index="business_date", columns="change_type", values="qty", aggfunc="sum")
    wide = wide.reindex(columns=[1, 2, 3, 4]).fillna(0.0)
    wide = wide.reindex(pd.date_range(wide.index.min(), pd.Timestamp(end), freq="D"), fill_value=0.0)
    d = pd.DataFrame({"closing_stock": wide.sum(axis=1).cumsum().round(4), "consumed": -wide[1], "received": wide[2],
                      "wasted": -wide[3]}, index=wide.index)
    d = d[d.index > pd.Timestamp(end) - pd.Timedelta(days=max(trailing_days, 28))]
    fc = fq.demand_predictions(d.index.min().date(), end + timedelta(days=FORECAST_DAYS), (int(store),))
    fc = fc[(fc["goods_code"] == goods) & (fc["pred_date"] == fc["predict_run_date"] + pd.Timedelta(days=1))]
    d = d.join(fc.set_index("pred_date")["pred_qty"].rename("forecast_lead1"), how="outer")
    d = d.rename_axis("date").reset_index()
    d.insert(0, "goods_code", goods)
    d.insert(0, "shop_id", int(store))
    d["date"] = _days(d["date"])
    out.tables["drill"] = d
    ship = pq.shipments(None, None)
    lines = pq.shipment_lines(None, None)
    open_ = ship[(ship["shop_id"] == int(store)) & ship["arrive_date"].isna()]
    open_ = open_.merge(lines[lines["goods_code"] == goods][["ship_no", "goods_code", "shipped_qty"]].rename(
        columns={"shipped_qty": "goods_qty"}), on="ship_no")
    out.tables["pending_deliveries"] = open_[["ship_no", "po_no", "supplier_code", "shop_id", "goods_code", "goods_qty",
                                              "ship_date", "expected_date"]].reset_index(drop=True)
    long = d.melt(["date"], ["closing_stock", "consumed", "forecast_lead1"], "series", "value").dropna()
    out.charts["drill"] = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("date:T", title=None), y=alt.Y("value:Q", title=goods), color=alt.Color("series:N", legend=alt.Legend(orient="top")),
        tooltip=_tooltip("date", "series", "value"))


TOOL = Tool(
    slug="inventory", number=16, title="Intelligent Inventory Command Center", department="Supply Chain",
    roles=frozenset({"supply_chain", "operations", "store_manager"}),
    sources=("luckyus_opshop", "luckyus_scm_shopstock", "luckyus_ireplenishment", "luckyus_scm_commodity",
             "luckyus_scm_purchase", "luckyus_sales_order"),
    run=run, icon=":material/inventory_2:",
    description="Stock positions with days of supply, reorder points (lead time × use + safety stock) and a "
                "replenishment order; stock-out history; consumption far above recipes × sales; waste written off.",
    options=(
        Option("service_level", float, 0.95, "cycle service level of the safety stock (z = Φ⁻¹ of it)",
               range=(0.5, 0.999), step=0.005, label="Service level"),
        Option("overstock_days", float, 14.0, "days of supply above which a position is overstocked",
               range=(3.0, 90.0), step=1.0, label="Overstock above (days)"),
        Option("trailing_days", int, 28, "days of consumption behind daily_use and its σ", range=(7, 90), step=1,
               label="Trailing days"),
        Option("store", int, None, "shop_id for the store × goods drill-down"),
        Option("goods", str, "", "goods_code for the store × goods drill-down"),
    ),
)
