"""Tool 13, Store Performance Command Center: one scorecard row per trading store with traffic
lights per KPI, an age-normalised peer ranking with each store's trend, and the late opens and
stock-outs behind the lights.

Orders and revenue are the landscape's (completed orders, pay_money, store-local days); production
time is the report's rule (done − accept on done tickets, over 30 minutes counted apart);
machine uptime comes from the IoT status log (see Tool 14); a stock-out item is a goods whose stock
position was at or below zero on some day of the range; a late open is a day the store's OPEN event
came more than LATE_MINUTES after its published opening time.
"""
from __future__ import annotations

from datetime import timedelta

import altair as alt
import numpy as np
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.errors import LuckyError
from lucky.models import fleet
from lucky.models import stores as model
from lucky.models.timezones import known_zone, to_local
from lucky.operations import alerts as alert_state
from lucky.queries import iot, landscape, metrics
from lucky.queries import orders as order_q
from lucky.queries import shops as shop_q
from lucky.queries import staffing as sq
from lucky.queries import stores as q

LATE_MINUTES = 10
#: KPI -> (green, yellow, higher is better); orders_per_open_hour is relative to the chain median
THRESHOLDS = {
    "orders_per_open_hour": (0.8, 0.5, True),
    "avg_production_s": (240.0, 300.0, False),
    "uptime_pct": (99.0, 97.0, True),
    "stockout_items": (0, 2, False),
    "late_opens": (0, 2, False),
}


def _utc_to_local_day(df: pd.DataFrame, col: str, zones: pd.Series) -> pd.Series:
    return to_local(pd.to_datetime(df[col]), df["shop_id"].map(zones)).dt.normalize()


def run(filters: Filters, viewer: Viewer, store: int | None = None) -> Output:
    out = Output()
    shops = shop_q.trading_shops(filters.currency)
    traded = order_q.per_store(filters.currency)
    shops = shops[shops["shop_id"].isin(traded["shop_id"]) & shops["time_zone"].map(known_zone)]
    if filters.stores:
        shops = shops[shops["shop_id"].isin(filters.stores)]
    first, last = landscape.data_span()
    if shops.empty or last is None:
        out.note("info", f"No trading {filters.currency} stores in this selection.")
        return out
    start, end = filters.start or first, filters.end or last
    ids = tuple(int(s) for s in shops["shop_id"])
    zones = shops.set_index("shop_id")["time_zone"]

    hours = metrics.orders_hours(shops, first, end, filters.currency)   # whole history: ages and the ramp
    if hours.empty or not (hours["orders"] > 0).any():
        out.note("warning", f"No order by {end}: the selected stores opened after this range, nothing to score.")
        out.tables["scorecard"] = pd.DataFrame(columns=["shop_id", "shop_name", "age_days", "orders", "revenue"])
        return out
    in_range = hours[(hours["date"] >= pd.Timestamp(start)) & (hours["date"] <= pd.Timestamp(end))]
    per = in_range.groupby("shop_id")[["orders", "revenue"]].sum()
    opened = hours[hours["orders"] > 0].groupby("shop_id")["date"].min()
    late_start = [s for s in ids if s in opened.index and opened[s] > pd.Timestamp(end)]
    if late_start:
        out.note("warning", f"Store(s) {', '.join(map(str, late_start))} opened after this range: no figures for them.")

    oh = q.opening_hours(start, end, ids)
    oh["hours"] = (oh["close_time"].str.slice(0, 2).astype(int) - oh["open_time"].str.slice(0, 2).astype(int)).clip(lower=0)
    oh = oh[pd.to_datetime(oh["business_date"]) >= oh["shop_id"].map(opened)]
    open_hours = oh.groupby("shop_id")["hours"].sum()

    prod = sq.production_hours(start - timedelta(days=1), end + timedelta(days=1), ids)
    prod = prod.assign(date=_utc_to_local_day(prod, "utc_hour", zones)) if len(prod) else prod.assign(date=pd.NaT)
    prod = prod[(prod["date"] >= pd.Timestamp(start)) & (prod["date"] <= pd.Timestamp(end))]
    pg = prod.groupby("shop_id")[["made", "seconds", "outliers"]].sum()

    late = _late_opens(q.business_record(start, end, ids), oh, zones)
    empty = q.empty_positions(start, end, ids)
    uptime, uptime_day = _uptime(ids, zones, start, end)

    card = shops[["shop_id", "shop_name"]].copy()
    card["age_days"] = ((pd.Timestamp(end) - card["shop_id"].map(opened)).dt.days + 1).clip(lower=0)
    card["orders"] = card["shop_id"].map(per["orders"]).fillna(0).astype(int)
    card["revenue"] = card["shop_id"].map(per["revenue"]).fillna(0.0).round(2)
    card["orders_per_open_hour"] = (card["orders"] / card["shop_id"].map(open_hours).replace(0, np.nan)).round(2)
    card["avg_production_s"] = (card["shop_id"].map(pg["seconds"]) / card["shop_id"].map(pg["made"]).replace(0, np.nan)).round(1)
    card["production_outliers"] = card["shop_id"].map(pg["outliers"]).fillna(0).astype(int)
    card["uptime_pct"] = card["shop_id"].map(uptime).round(2)
    card["stockout_items"] = card["shop_id"].map(empty.groupby("shop_id")["goods_code"].nunique()).fillna(0).astype(int)
    card["late_opens"] = card["shop_id"].map(late.groupby("shop_id").size()).fillna(0).astype(int)
    median_oph = card["orders_per_open_hour"].median()
    for kpi, (green, yellow, up) in THRESHOLDS.items():
        value = card[kpi] / median_oph if kpi == "orders_per_open_hour" and median_oph else card[kpi]
        card[f"{kpi}_status"] = model.light(value, green, yellow, up)
    card = card[card["age_days"] > 0].reset_index(drop=True)
    out.tables["scorecard"] = card
    out.tables["thresholds"] = pd.DataFrame([
        {"kpi": k, "green": g, "yellow": y, "better": "higher" if up else "lower",
         "note": "× chain median" if k == "orders_per_open_hour" else ""} for k, (g, y, up) in THRESHOLDS.items()])
    out.tables["ranking"] = _ranking(hours, opened, end)
    day = _day_kpis(pd.Timestamp(end), card, hours, oh, prod, uptime_day, empty, late)
    out.tables["alert-check"] = day
    _alerts(out, card, day, end)
    out.tables["late-opens"] = late.assign(date=late["date"].dt.strftime("%Y-%m-%d"))
    out.tables["stock-outs"] = empty.groupby(["shop_id", "goods_code", "goods_name"], as_index=False).agg(
        days=("stock_date", "nunique"), first_day=("stock_date", "min"))
    if store is not None:
        _drill(out, int(store), card, hours, late, empty, zones, end, filters, viewer)
    reds = int((card[[f"{k}_status" for k in THRESHOLDS]] == "red").to_numpy().sum())
    out.kpis = [Kpi("Stores", len(card)), Kpi("Orders", int(card["orders"].sum())),
                Kpi("Revenue", float(card["revenue"].sum()), "$"), Kpi("Red lights", reds),
                Kpi("Late opens", int(card["late_opens"].sum())), Kpi("Stock-out items", int(card["stockout_items"].sum()))]
    grid = card.melt(["shop_name"], [f"{k}_status" for k in THRESHOLDS], "kpi", "status")
    grid["kpi"] = grid["kpi"].str.replace("_status", "", regex=False)
    out.charts["store-grid"] = alt.Chart(grid).mark_rect(stroke="white", strokeWidth=2).encode(
        x=alt.X("kpi:N", title=None, axis=alt.Axis(labelAngle=0)), y=alt.Y("shop_name:N", title=None),
        color=alt.Color("status:N", scale=alt.Scale(domain=["green", "yellow", "red", "grey"],
                                                    range=["#2e9e44", "#e0a800", "#d62728", "#bbbbbb"])),
        tooltip=["shop_name", "kpi", "status"]).properties(height=max(120, 28 * len(card)))
    return out


def _drill(out: Output, store: int, card, hours, late, empty, zones, end, filters: Filters, viewer: Viewer) -> None:
    """One store on its last day in the range: hourly orders against its usual (same weekday, four
    weeks before), production queue depth by hour, its machines, stock-outs and late opens."""
    if store not in set(card["shop_id"]):
        out.note("warning", f"Store {store} is not among the trading stores of this selection.")
        return
    day = pd.Timestamp(end)
    h = hours[hours["shop_id"] == store]
    today = h[h["date"] == day].groupby("hour")["orders"].sum()
    prior = h[(h["date"] < day) & (h["date"] >= day - pd.Timedelta(days=28)) & (h["date"].dt.day_of_week == day.day_of_week)]
    usual = prior.groupby("hour")["orders"].sum() / max(prior["date"].nunique(), 1)
    hourly = pd.DataFrame({"orders": today, "usual": usual.round(2)}).fillna(0).rename_axis("hour").reset_index()
    zone = zones[store]
    lo = day.tz_localize(zone).tz_convert("UTC").tz_localize(None)
    t = q.tickets(store, lo.to_pydatetime(), (lo + pd.Timedelta(days=1)).to_pydatetime())
    depth = pd.DataFrame(columns=["hour", "queue_depth"])
    if len(t):
        a = to_local(pd.to_datetime(t["accept_time"]), pd.Series(zone, index=t.index))
        b = to_local(pd.to_datetime(t["done_time"]), pd.Series(zone, index=t.index))
        marks = pd.date_range(day, day + pd.Timedelta(hours=23, minutes=45), freq="15min")
        inq = [int(((a <= m) & (b.isna() | (b > m))).sum()) for m in marks]
        depth = pd.DataFrame({"hour": marks.hour, "queue_depth": inq}).groupby("hour", as_index=False).mean().round(2)
    hourly = hourly.merge(depth, on="hour", how="left")
    hourly.insert(0, "shop_id", store)
    hourly.insert(1, "date", day.strftime("%Y-%m-%d"))
    out.tables["store-hourly"] = hourly
    try:
        from lucky import tools
        fleet_out = tools.execute("iot-fleet", filters.with_stores((store,)), viewer)
        out.tables["store-machines"] = fleet_out.tables.get("devices", pd.DataFrame())
    except Exception as exc:  # noqa: BLE001 - the drill-down keeps its other parts
        out.note("warning", f"Machines of store {store} unavailable: {exc}")
    out.tables["store-late-opens"] = late[late["shop_id"] == store].assign(date=lambda d: d["date"].dt.strftime("%Y-%m-%d"))
    out.tables["store-stock-outs"] = empty[empty["shop_id"] == store]
    long = hourly.melt(["hour"], ["orders", "usual"], "series", "value")
    out.charts["store-hourly"] = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("hour:O", title=f"Local hour on {day:%Y-%m-%d}"), y=alt.Y("value:Q", title="Orders"),
        color=alt.Color("series:N", legend=alt.Legend(orient="top")), tooltip=["hour", "series", "value"])


def _late_opens(rec: pd.DataFrame, oh: pd.DataFrame, zones: pd.Series) -> pd.DataFrame:
    cols = ["shop_id", "date", "scheduled", "opened", "minutes"]
    opens = rec[rec["event_type"] == "OPEN"]
    if opens.empty or oh.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else object) for c in cols})
    o = opens.assign(opened=to_local(pd.to_datetime(opens["event_time"]), opens["shop_id"].map(zones)),
                     date=pd.to_datetime(opens["business_date"]))
    s = oh.assign(date=pd.to_datetime(oh["business_date"]))
    m = o.merge(s[["shop_id", "date", "open_time"]], on=["shop_id", "date"])
    m["scheduled"] = m["date"] + pd.to_timedelta(m["open_time"].str.slice(0, 2).astype(int), unit="h")
    m["minutes"] = ((m["opened"] - m["scheduled"]).dt.total_seconds() / 60).round().astype(int)
    m = m[m["minutes"] > LATE_MINUTES]
    m["scheduled"] = m["scheduled"].dt.strftime("%H:%M")
    m["opened"] = m["opened"].dt.strftime("%H:%M")
    return m[cols].sort_values(["shop_id", "date"]).reset_index(drop=True)


def _uptime(ids: tuple[int, ...], zones: pd.Series, start, end) -> tuple[pd.Series, pd.Series]:
    """Mean machine uptime per store over the range, and the lowest machine's on its last day (what
    the alert watches: one machine down for hours is hidden in the mean of a store's five devices).
    Status log; see lucky.models.fleet. All machines at once, each with its store's local midnights."""
    dev = iot.devices(ids)
    dev = dev[dev["shop_id"].isin(zones.index)]
    if dev.empty:
        return pd.Series(dtype=float), pd.Series(dtype=float)
    log = iot.status_log(ids).assign(create_time=lambda d: pd.to_datetime(d["create_time"]))
    dev["install_time"] = pd.to_datetime(dev["install_time"])
    zone = dev["shop_id"].map(zones)

    def midnight(day) -> pd.Series:   # the store-local midnight opening `day`, in UTC, per machine
        at = {z: pd.Timestamp(day).tz_localize(z).tz_convert("UTC").tz_localize(None) for z in zone.unique()}
        return zone.map(at)

    lo, last, hi = midnight(start), midnight(end), midnight(end + timedelta(days=1))
    keep = dev["install_time"] < hi
    dev, lo, last, hi = dev[keep], lo[keep], last[keep], hi[keep]
    spells = fleet.offline_intervals(log[log["device_no"].isin(dev["device_no"])], hi.max())
    machines = dev[["device_no", "install_time"]]
    span = fleet.uptime(machines, spells, lo, hi)["uptime_pct"].groupby(dev["shop_id"].to_numpy()).mean()
    day = fleet.uptime(machines, spells, last, hi)["uptime_pct"].groupby(dev["shop_id"].to_numpy()).min()
    return span, day


def _day_kpis(day: pd.Timestamp, card: pd.DataFrame, hours, oh, prod, uptime_day: pd.Series, empty, late) -> pd.DataFrame:
    """Each store's KPIs on the range's last day, long (shop_id, date, kpi, value, limit, alert,
    message): what the alert check compares with `lucky.operations.alerts.RULES`. A store with no
    figure for a KPI that day (closed, no machines) has no row for it."""
    ids = card["shop_id"]
    orders = hours[hours["date"] == day].groupby("shop_id")["orders"].sum()
    open_h = oh[pd.to_datetime(oh["business_date"]) == day].groupby("shop_id")["hours"].sum()
    oph = (orders.reindex(open_h.index).fillna(0) / open_h.where(open_h > 0)).dropna()
    median = oph.median()
    p = prod[prod["date"] == day].groupby("shop_id")[["made", "seconds"]].sum()
    prod_s = (p["seconds"] / p["made"].where(p["made"] > 0)).dropna()
    gone = empty[pd.to_datetime(empty["stock_date"]) == day].groupby("shop_id")["goods_name"].agg(list)
    late_day = late[late["date"] == day].set_index("shop_id")
    rows = []
    for shop in ids:
        if shop in oph.index and median > 0:
            rows.append((shop, "orders_per_open_hour", oph[shop] / median,
                         f"{oph[shop]:.1f} orders per open hour, {oph[shop] / median:.2f} x the chain median {median:.1f}"))
        if shop in prod_s.index:
            rows.append((shop, "avg_production_s", prod_s[shop], f"mean production {prod_s[shop]:.0f} s"))
        if shop in uptime_day.index and pd.notna(uptime_day[shop]):
            rows.append((shop, "uptime_pct", uptime_day[shop], f"lowest machine uptime {uptime_day[shop]:.1f}%"))
        if shop in open_h.index:
            items = gone.get(shop, [])
            rows.append((shop, "stockout_items", len(items),
                         f"{len(items)} goods at zero" + (f": {', '.join(sorted(items)[:3])}" if items else "")))
            lt = late_day.loc[shop] if shop in late_day.index else None
            rows.append((shop, "late_opens", 0 if lt is None else lt["minutes"],
                         "opened on time" if lt is None else
                         f"opened {lt['opened']}, published {lt['scheduled']} ({lt['minutes']} min late)"))
    df = pd.DataFrame(rows, columns=["shop_id", "kpi", "value", "message"])
    df.insert(1, "date", day.strftime("%Y-%m-%d"))
    df["value"] = df["value"].astype(float).round(3)
    df["limit"] = df["kpi"].map(lambda k: ("< " if k in alert_state.BELOW else "> ") + f"{alert_state.RULES[k].threshold:g}")
    df["alert"] = [alert_state.breached(k, v) for k, v in zip(df["kpi"], df["value"])]
    return df


def _alerts(out: Output, card: pd.DataFrame, day: pd.DataFrame, end) -> None:
    """The alert timeline of these stores (firing, or resolved in the last week) with verdicts."""
    try:
        out.tables["alerts"] = alert_state.current([int(s) for s in card["shop_id"]], end - timedelta(days=7))
    except LuckyError as exc:
        out.note("warning", f"Store alerts unavailable: {exc}")
        return
    breach = day[day["alert"]]
    if len(breach):
        out.note("warning", f"{len(breach)} KPI(s) past their alert limit on {day['date'].iloc[0]} at "
                 f"{breach['shop_id'].nunique()} store(s): see `alert-check`; "
                 "`python -m lucky stores alerts` records and notifies them.")


def _ranking(hours: pd.DataFrame, opened: pd.Series, end) -> pd.DataFrame:
    daily = hours.groupby(["shop_id", "date"], as_index=False)["orders"].sum()
    daily = daily[daily["date"] <= pd.Timestamp(end)]
    daily["age_days"] = (daily["date"] - daily["shop_id"].map(opened)).dt.days
    daily = daily[daily["age_days"] >= 0]
    if daily.empty:
        return pd.DataFrame(columns=["rank", "shop_id", "age_days", "peer_group", "orders_28d", "ramp_orders_28d",
                                     "ramp_index", "trend", "trend_slope", "trend_p", "trend_test"])
    curve = model.ramp(daily)
    idx = model.indexed(daily, curve)
    recent = idx[idx["date"] > pd.Timestamp(end) - pd.Timedelta(days=28)]
    g = recent.groupby("shop_id").agg(orders_28d=("orders", "sum"), ramp_orders_28d=("expected", "sum"))
    g["ramp_index"] = (g["orders_28d"] / g["ramp_orders_28d"].where(g["ramp_orders_28d"] > 0)).round(3)
    g["age_days"] = (pd.Timestamp(end) - g.index.map(opened)).days + 1
    g["peer_group"] = pd.cut(g["age_days"], [0, 28, 91, 182, 100000],
                             labels=["first 4 weeks", "1-3 months", "3-6 months", "6+ months"]).astype(str)
    rows = []
    for shop, d in idx.groupby("shop_id"):
        weekly = d.assign(week=(d["date"] - pd.Timestamp(end)).dt.days // 7).groupby("week")
        w = weekly["orders"].sum() / weekly["expected"].sum().where(weekly["expected"].sum() > 0)
        w = w[weekly.size() == 7] if (weekly.size() == 7).any() else w
        verdict, slope, p = model.trend(w)
        rows.append({"shop_id": shop, "trend": verdict, "trend_slope": round(slope, 4), "trend_p": round(p, 4),
                     "trend_test": f"OLS slope of the weekly ramp index over the last {min(len(w), model.TREND_WEEKS)} "
                                   f"full weeks: {slope:+.3f}/week, p={p:.3f} (alpha {model.TREND_ALPHA})"})
    g = g.join(pd.DataFrame(rows).set_index("shop_id"))
    g = g.sort_values("ramp_index", ascending=False)
    g.insert(0, "rank", np.arange(1, len(g) + 1))
    g["orders_28d"] = g["orders_28d"].astype(int)
    g["ramp_orders_28d"] = g["ramp_orders_28d"].round(1)
    return g.reset_index()[["rank", "shop_id", "age_days", "peer_group", "orders_28d", "ramp_orders_28d", "ramp_index",
                            "trend", "trend_slope", "trend_p", "trend_test"]]


TOOL = Tool(
    slug="store-performance", number=13, title="Store Performance Command Center", department="Operations",
    roles=frozenset({"operations", "store_manager"}),
    sources=("luckyus_sales_order", "luckyus_opproduction", "luckyus_iot_platform", "luckyus_scm_shopstock",
             "luckyus_opshop"),
    run=run, icon=":material/storefront:",
    description="Scorecard per store with traffic lights (orders per open hour, production time, machine uptime, "
                "stock-outs, late opens), age-normalised ranking and trend; one store's day in detail.",
    options=(Option("store", int, None, "shop_id for the store drill-down (its last day in the range)"),),
)
