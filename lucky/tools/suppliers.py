"""Tool 17, Supplier Performance Tracker: on-time delivery, lead times, fill rate, price trend and
settlement per supplier from the purchase, shipment and settlement tables; a stated score; alerts
for price increases and overdue deliveries."""
from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.errors import SourceError
from lucky.models import suppliers as sm
from lucky.queries import forecast as fq
from lucky.queries import inventory as iq
from lucky.queries import purchase as pq
from lucky.ui import formats


def _as_of(filters: Filters, ship: pd.DataFrame) -> pd.Timestamp:
    if filters.as_of is not None:
        return pd.Timestamp(filters.as_of)
    if filters.end is not None:
        return pd.Timestamp(filters.end)
    dates = pd.to_datetime(pd.concat([ship["ship_date"], ship["arrive_date"]]).dropna())
    return dates.max() if len(dates) else pd.Timestamp(date.today())


def run(filters: Filters, viewer: Viewer, price_alert_pct: float = 1.0) -> Output:
    out = Output()
    sup = pq.suppliers()
    lines = pq.order_lines(filters.start, filters.end)
    ship = pq.shipments(filters.start, filters.end)
    settle = pq.settlements(filters.start, filters.end)
    if lines.empty and ship.empty:
        out.note("info", "No purchase orders or shipments in this date range.")
        return out
    goods = fq.goods().drop_duplicates("goods_code").set_index("goods_code")
    orphan = ship["order_date"].isna() & ship["expected_date"].isna()
    if orphan.any():
        out.note("warning", f"{int(orphan.sum()):,} shipments reference a purchase order that does not exist "
                            f"({', '.join(ship.loc[orphan, 'ship_no'].astype(str).head(5))}): no expected date, so "
                            "they are not judged on time or late (their quantities still count in the fill rate).")
    empty_po = lines["goods_code"].isna()
    if empty_po.any():
        out.note("warning", f"{int(empty_po.sum()):,} purchase orders have no lines: counted as orders, no spend or price.")
    unknown = lines["goods_code"].notna() & ~lines["goods_code"].isin(goods.index)
    if unknown.any():
        codes = lines.loc[unknown, "goods_code"].unique()
        out.note("warning", f"{int(unknown.sum()):,} order lines name goods codes missing from the goods master "
                            f"({', '.join(map(str, codes[:5]))}): priced and counted, category '(not in goods master)'.")
    unknown_sup = set(lines["supplier_code"].dropna()) - set(sup["supplier_code"])
    if unknown_sup:
        out.note("warning", f"Purchase orders name {len(unknown_sup)} supplier code(s) not in t_supplier "
                            f"({', '.join(sorted(unknown_sup)[:5])}): scored without a name.")
    as_of = _as_of(filters, ship)
    ship = sm.judge_shipments(ship, as_of)
    ship.loc[orphan, "on_time"] = float("nan")
    change, alerts = sm.price_changes(lines, price_alert_pct)
    table = sm.scorecard(ship, lines, settle, sup, change)
    out.note("info", "Score: " + sm.SCORE_FORMULA + ".")
    late = table[table["flag"] == "late"]
    if len(late):
        out.note("warning", "Late-prone (late on at least half of their deliveries, or well below the others and not by chance): "
                            + ", ".join(f"{r.supplier_name or r.supplier_code} ({r.on_time_rate:.0%})" for r in late.itertuples()) + ".")

    names = sup.set_index("supplier_code")["supplier_name"]
    alerts = alerts.assign(supplier_name=alerts["supplier_code"].map(names),
                           goods_name=alerts["goods_code"].map(goods["goods_name"]))
    alerts = alerts[["supplier_code", "supplier_name", "goods_code", "goods_name", "prev_date", "date",
                     "prev_price", "unit_price", "pct"]]
    overdue = ship[ship["overdue"]].assign(days_overdue=lambda f: (as_of - f["expected_date"]).dt.days)
    open_orders = ship[~ship["arrived"]].assign(
        state=lambda f: f["overdue"].map({True: "overdue", False: "on the way"}),
        days_overdue=lambda f: (as_of - f["expected_date"]).dt.days.clip(lower=0))
    open_orders = open_orders[["ship_no", "po_no", "supplier_code", "shop_id", "order_date", "expected_date",
                               "ship_date", "shipped_qty", "state", "days_overdue"]].assign(
        supplier_name=lambda f: f["supplier_code"].map(names)).sort_values("days_overdue", ascending=False)
    spent = lines.dropna(subset=["goods_code"]).assign(
        category=lambda f: f["goods_code"].map(goods["category_name"]).fillna("(not in goods master)"),
        month=lambda f: pd.to_datetime(f["order_date"]).dt.to_period("M").dt.start_time, amount=lambda f: f["amount"].astype(float))
    by_cat = spent.groupby("category", as_index=False)["amount"].sum().rename(columns={"amount": "spend"})
    monthly = spent.groupby(["month", "category"], as_index=False)["amount"].sum().rename(columns={"amount": "spend"})
    shared = spent.groupby("goods_code")["supplier_code"].nunique()
    shared_goods = (spent[spent["goods_code"].isin(shared[shared > 1].index)]
                    .groupby(["goods_code", "supplier_code"], as_index=False)
                    .agg(lines=("po_no", "size"), avg_unit_price=("unit_price", "mean"), spend=("amount", "sum")))
    shared_goods = shared_goods.assign(goods_name=shared_goods["goods_code"].map(goods["goods_name"]),
                                       supplier_name=shared_goods["supplier_code"].map(names))

    judged = ship[ship["on_time"].notna()]
    out.kpis = [
        Kpi("Suppliers", len(table)),
        Kpi("Purchase orders", int(lines["po_no"].nunique())),
        Kpi("On-time rate", round(100 * judged["on_time"].astype(float).mean(), 1) if len(judged) else None, "%",
            help="Arrived shipments that came on or before their PO's expected date."),
        Kpi("Fill rate", round(100 * float(ship.loc[ship["arrived"], "received_qty"].astype(float).sum())
                               / max(float(ship.loc[ship["arrived"], "shipped_qty"].astype(float).sum()), 1e-9), 1), "%"),
        Kpi("Overdue deliveries", len(overdue)),
        Kpi("Price increase alerts", len(alerts)),
        Kpi("Spend", float(spent["amount"].sum()), "$"),
        Kpi("Late-prone suppliers", len(late)),
    ]
    label = table.assign(name=table["supplier_name"].fillna(table["supplier_code"]))
    out.charts["score"] = alt.Chart(label).mark_bar().encode(
        x=alt.X("score:Q", title="Score (0–100)"), y=alt.Y("name:N", sort="-x", title=None),
        color=alt.Color("flag:N", scale=alt.Scale(domain=["ok", "late"], range=["#4c78a8", "#e45756"])),
        tooltip=["supplier_code:N", "name:N", alt.Tooltip("score:Q", format=".1f"),
                 alt.Tooltip("on_time_rate:Q", format=".0%"), alt.Tooltip("fill_rate:Q", format=".1%")])
    out.charts["spend-by-category"] = alt.Chart(by_cat).mark_arc().encode(
        theta="spend:Q", color=alt.Color("category:N"), tooltip=["category:N", alt.Tooltip("spend:Q", **formats.money_tooltip("spend", "USD", 0))])
    tl = ship[ship["arrived"]].assign(supplier=lambda f: f["supplier_code"].map(names).fillna(f["supplier_code"]),
                                      late_days=lambda f: (f["arrive_date"] - f["expected_date"]).dt.days)
    out.charts["delivery-timeline"] = alt.Chart(tl).mark_circle(size=40).encode(
        x=alt.X("arrive_date:T", title="Arrival"), y=alt.Y("supplier:N", title=None),
        color=alt.Color("late_days:Q", title="Days vs expected", scale=alt.Scale(scheme="redblue", reverse=True, domainMid=0)),
        tooltip=["ship_no:N", "po_no:N", "supplier:N", "arrive_date:T", "expected_date:T", "late_days:Q"])
    if len(alerts):
        keys = alerts[["supplier_code", "goods_code"]].drop_duplicates().head(8)
        trend = spent.merge(keys, on=["supplier_code", "goods_code"])
        trend = trend.assign(series=trend["supplier_code"] + " · " + trend["goods_code"])
        out.charts["price-trend"] = alt.Chart(trend).mark_line(point=True).encode(
            x=alt.X("order_date:T", title="Order date"), y=alt.Y("unit_price:Q", title="Unit price", scale=alt.Scale(zero=False)),
            color="series:N", tooltip=["series:N", "order_date:T", alt.Tooltip("unit_price:Q", **formats.money_tooltip("unit price", "USD", 4))])
    out.tables["suppliers"] = table
    out.tables["price_alerts"] = alerts
    out.tables["open_orders"] = open_orders.assign(order_date=open_orders["order_date"].dt.date,
                                                   expected_date=open_orders["expected_date"].dt.date,
                                                   ship_date=open_orders["ship_date"].dt.date)
    shipments = ship[["ship_no", "po_no", "supplier_code", "shop_id", "order_date", "expected_date", "ship_date",
                      "arrive_date", "lead_days", "on_time", "shipped_qty", "received_qty", "short", "overdue"]]
    for col in ("order_date", "expected_date", "ship_date", "arrive_date"):
        shipments = shipments.assign(**{col: shipments[col].dt.date})
    out.tables["shipments"] = shipments.assign(on_time=shipments["on_time"].map({1.0: "yes", 0.0: "no"}).fillna("not judged"))
    try:
        items = pq.shipment_lines(filters.start, filters.end)
    except SourceError as exc:
        out.note("warning", f"Shipment lines (t_ship_order_item) could not be read, so short goods are not listed: {exc}")
    else:
        out.tables["short_lines"] = _short_lines(items, goods, names)
        _booked_in(out, items, ship, goods, names)
    out.tables["spend_by_category"] = by_cat.sort_values("spend", ascending=False)
    out.tables["monthly_spend"] = monthly.assign(month=monthly["month"].dt.strftime("%Y-%m"))
    out.tables["shared_goods"] = shared_goods
    return out


def _booked_in(out: Output, items: pd.DataFrame, ship: pd.DataFrame, goods: pd.DataFrame, names: pd.Series) -> None:
    """Table `shipment_receipts`: every arrived shipment line against what the stores booked in
    under its ship_no (the stock ledger's receipts), and a message on the shipments short there."""
    try:
        receipts = iq.shipment_receipts(items.loc[items["received_qty"].notna(), "ship_no"].unique().tolist())
    except SourceError as exc:
        out.note("warning", f"The stores' receipts (stock ledger) could not be read, so shipments are not checked "
                            f"against what the stores booked in: {exc}")
        return
    t = sm.booked_lines(items, receipts)
    shop = ship.set_index("ship_no")["shop_id"]
    t = t.assign(shop_id=t["ship_no"].map(shop), supplier_name=t["supplier_code"].map(names),
                 goods_name=t["goods_code"].map(goods["goods_name"]))
    t = t.sort_values(["short_pct", "ship_no", "goods_code"], ascending=[False, True, True], kind="stable")
    out.tables["shipment_receipts"] = t[["ship_no", "supplier_code", "supplier_name", "shop_id", "goods_code", "goods_name",
                                         "shipped_qty", "received_qty", "supplier_received_qty", "short_pct", "status"]].reset_index(drop=True)
    bad = t[t["status"].isin(["short", "not booked"])]
    if len(bad):
        unbooked = int((bad["status"] == "not booked").sum())
        out.note("warning", f"Shipments booked in short by the stores: {bad['ship_no'].nunique():,} (stock-ledger "
                            f"receipts under the ship_no below what was shipped; {unbooked:,} lines not booked at all): "
                            f"see table shipment_receipts.")


def _short_lines(items: pd.DataFrame, goods: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Goods received short, line by line (t_ship_order_item): which goods a short shipment lacked."""
    items = items[items["received_qty"].notna()]
    short = items[items["received_qty"].astype(float) < items["shipped_qty"].astype(float) - 1e-9]
    return short.assign(supplier_name=short["supplier_code"].map(names), goods_name=short["goods_code"].map(goods["goods_name"]),
                        shortfall=short["shipped_qty"].astype(float) - short["received_qty"].astype(float),
                        fill_rate=short["received_qty"].astype(float) / short["shipped_qty"].astype(float)).reset_index(drop=True)


TOOL = Tool(
    slug="suppliers", number=17, title="Supplier Performance Tracker", department="Supply Chain",
    roles=frozenset({"supply_chain", "finance"}),
    sources=("luckyus_scm_purchase", "luckyus_scm_commodity", "luckyus_scm_shopstock"),
    run=run, icon=":material/local_shipping:",
    description="Supplier scorecard (on time, lead time, fill rate, price change, settlement) with a stated score; "
                "price-increase and overdue-delivery alerts; spend by category; shared goods compared.",
    options=(Option("price_alert_pct", float, 1.0, "smallest unit-price rise between consecutive purchases that alerts (%)",
                    range=(0.1, 50.0), step=0.1, label="Price alert (%)"),),
)
