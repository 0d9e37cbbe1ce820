"""Tool 14, IoT Machine Fleet Manager: every machine's status, uptime and production velocity
against its own weekday × hour baseline, alerts (offline, degraded, maintenance due), a floor plan
per store, a fleet summary by machine type and the revenue at risk while machines were down.

Uptime comes from the platform's connection log (t_device_status_log: HB-LOST / HB-RESTORED);
degradation is the report's rule (velocity more than 20% below baseline) confirmed by a CUSUM over
several days (`lucky.models.fleet`). Dates are store-local days; the window runs from local
midnight of the first day to local midnight after the last.
"""
from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import numpy as np
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.models import fleet
from lucky.models import shops as real_shops
from lucky.models.timezones import known_zone, to_local
from lucky.queries import iot, landscape, metrics
from lucky.queries import shops as shop_q

MAINTENANCE_DAYS = 56          # the fleet is serviced every 4-8 weeks: past 8 weeks is due
ERROR_DAYS = 7
STATUS_COLOURS = {"online": "#2e9e44", "degraded": "#e0a800", "offline": "#d62728"}


def _local_midnight_utc(day: date, zone: str) -> pd.Timestamp:
    """UTC time of local midnight starting `day` in `zone`."""
    return pd.Timestamp(day).tz_localize(zone).tz_convert("UTC").tz_localize(None)


def _localize(df: pd.DataFrame, zones: pd.Series, col: str) -> pd.DataFrame:
    local = to_local(df[col], df["shop_id"].map(zones))
    return df.assign(date=local.dt.normalize(), hour=local.dt.hour)


def run(filters: Filters, viewer: Viewer, device: str | None = None, include_test: bool = False) -> Output:
    out = Output()
    all_shops = shop_q.shops()
    shops = real_shops.in_scope(all_shops[all_shops["currency_code"] == filters.currency], filters.stores, include_test)
    shops = shops[shops["time_zone"].map(known_zone)]
    if shops.empty:
        out.note("info", f"No {filters.currency} stores in this selection"
                         + ("." if include_test else " (test and internal shops are left out unless included)."))
        return out
    first, last = landscape.data_span()
    start, end = filters.start or first, filters.end or last
    if start is None or end is None:
        out.note("info", "No orders in the data yet, so there is no window to measure machines in.")
        return out
    dev = iot.devices(tuple(int(s) for s in shops["shop_id"]))
    dev = dev[dev["shop_id"].isin(shops["shop_id"])].reset_index(drop=True)
    if filters.stores:
        empty = sorted(set(filters.stores) - set(dev["shop_id"]))
        if empty:
            out.note("warning", f"No connected machines at store(s) {', '.join(map(str, empty))}: "
                                "nothing to show for them.")
    if dev.empty:
        out.note("info", f"No connected machines in the selected {filters.currency} stores.")
        return out
    zones = shops.set_index("shop_id")["time_zone"]
    zone_of_dev = dev["shop_id"].map(zones)
    lo_s = pd.Series([_local_midnight_utc(start, z) for z in zone_of_dev], index=dev.index)
    hi_s = pd.Series([_local_midnight_utc(end + timedelta(days=1), z) for z in zone_of_dev], index=dev.index)
    dev["install_time"] = pd.to_datetime(dev["install_time"])
    before = dev["install_time"] >= hi_s
    if before.any():
        out.note("warning", f"{int(before.sum())} machine(s) were installed after the end of the range; "
                            "they are left out.")
        dev, lo_s, hi_s = dev[~before].reset_index(drop=True), lo_s[~before].reset_index(drop=True), hi_s[~before].reset_index(drop=True)
    if dev.empty:
        out.note("info", "No machine was installed yet in this date range.")
        return out
    hi = hi_s.max()

    # ---------------------------------------------------------------- uptime from the status log
    log = iot.status_log(tuple(int(s) for s in dev["shop_id"].unique()))
    log = log[log["device_no"].isin(dev["device_no"])]
    log["create_time"] = pd.to_datetime(log["create_time"])
    spells = fleet.offline_intervals(log, hi)
    ups = []
    for (lo, h), grp in dev.groupby([lo_s, hi_s]):
        ups.append(fleet.uptime(grp[["device_no", "install_time"]], spells, lo, h))
    up = pd.concat(ups, ignore_index=True).set_index("device_no")

    # ---------------------------------------------------------------- cups, velocity, CUSUM
    ev = iot.events(None, end)
    ev = ev[ev["device_no"].isin(dev["device_no"])].assign(create_time=lambda d: pd.to_datetime(d["create_time"]))
    maint = ev[ev["event_type"] == "maintenance"].groupby("device_no")["create_time"].max()
    last_maint = pd.to_datetime(dev["device_no"].map(maint.to_dict())).fillna(dev["install_time"])  # never serviced: installed
    cup_from = min(start - timedelta(days=7 * (fleet.BASELINE_WEEKS + fleet.GAP_WEEKS + 1)),
                   (last_maint.min() - pd.Timedelta(days=1)).date())
    cups = iot.cups_hourly(cup_from, end, tuple(int(s) for s in dev["shop_id"].unique()))
    cups["device_no"] = cups["device_no"].astype(object)   # hash lookups, not Arrow string scans
    cups = cups[cups["device_no"].isin(set(dev["device_no"]))]
    makers = set(cups["device_no"].unique())
    cups = _localize(cups, zones, "utc_hour")
    cups = cups[cups["date"] <= pd.Timestamp(end)]
    off_h = fleet.offline_hours(spells)
    daily = fleet.daily_velocity(cups, off_h)
    scored = fleet.cusum(daily)
    bad = fleet.degraded(scored, pd.Timestamp(end)).set_index("device_no")

    in_range = cups[cups["date"] >= pd.Timestamp(start)]
    store_hours = in_range.groupby(["shop_id", "utc_hour"]).size().reset_index()[["shop_id", "utc_hour"]]
    dev_hours = dev[["device_no", "shop_id"]].merge(store_hours, on="shop_id")
    if len(off_h):
        gone = pd.MultiIndex.from_frame(off_h[["device_no", "utc_hour"]])
        dev_hours = dev_hours[~pd.MultiIndex.from_frame(dev_hours[["device_no", "utc_hour"]]).isin(gone)]
    open_h = dev_hours.groupby("device_no").size()
    made = in_range.groupby("device_no")["cups"].sum()
    recent = daily[daily["date"] > pd.Timestamp(end) - pd.Timedelta(days=fleet.RECENT_DAYS)].groupby("device_no")[["cups", "expected"]].sum()
    velocity = (recent["cups"] / recent["expected"] - 1) * 100
    cup_time = pd.to_datetime(cups["utc_hour"])
    since = cups[cup_time.to_numpy() >= cups["device_no"].map(dict(zip(dev["device_no"], last_maint))).to_numpy()]
    cups_since = since.groupby("device_no")["cups"].sum()
    err_from = hi - pd.Timedelta(days=ERROR_DAYS)
    errors = ev[(ev["event_type"] == "error") & (ev["create_time"] >= err_from) & (ev["create_time"] < hi)].groupby("device_no").size()
    offline_now = set(spells.loc[spells["end"] >= hi, "device_no"])  # a spell still open at the end
    status = np.where(dev["device_no"].isin(offline_now), "offline",
                      np.where(dev["device_no"].isin(bad.index), "degraded", "online"))
    makes = dev["device_no"].isin(makers)
    table = pd.DataFrame({
        "device_no": dev["device_no"], "shop_id": dev["shop_id"].astype(int), "machine_type": dev["machine_type"],
        "status": status,
        "uptime_pct": dev["device_no"].map(up["uptime_pct"]).round(2),
        "cups_per_open_hour": np.where(makes, (dev["device_no"].map(made).fillna(0)
                                               / dev["device_no"].map(open_h).replace(0, np.nan)).round(2), np.nan),
        "velocity_change_pct": dev["device_no"].map(velocity).round(1),
        "days_since_maintenance": (pd.Timestamp(end) + pd.Timedelta(days=1) - last_maint.dt.normalize()).dt.days,
        "cups_since_maintenance": np.where(makes, dev["device_no"].map(cups_since).fillna(0), np.nan),
        "errors_7d": dev["device_no"].map(errors).fillna(0).astype(int),
        "offline_hours": dev["device_no"].map(up["offline_h"]).round(2),
        "installed": dev["install_time"].dt.strftime("%Y-%m-%d"),
    })
    no_cups = dev.loc[~makes & dev["machine_type"].isin(set(dev.loc[makes, "machine_type"])), "device_no"]
    if len(no_cups):
        out.note("info", f"{len(no_cups)} coffee machine(s) made no cups in the data ({', '.join(no_cups.head(5))}"
                         f"{'…' if len(no_cups) > 5 else ''}): no velocity for them.")

    # ---------------------------------------------------------------- alerts
    out.tables["devices"] = table
    out.tables["alerts"] = _alerts(table, spells, bad, last_maint, dev, zones)

    # ---------------------------------------------------------------- lost revenue, fleet summary
    lost = _lost_revenue(spells, dev, zones, shops, start, end, in_range)
    table["lost_revenue"] = table["device_no"].map(lost.set_index("device_no")["lost_revenue"]).fillna(0).round(2) \
        if len(lost) else 0.0
    out.tables["fleet-summary"] = _summary(table, made)
    if device:
        _machine(out, device, table, daily, ev, spells, cups)
    out.charts["floor-plan"] = _floor_plan(table, shops)
    n_off = int((table["status"] == "offline").sum())
    out.kpis = [
        Kpi("Machines", len(table)),
        Kpi("Online", int((table["status"] == "online").sum())),
        Kpi("Degraded", int((table["status"] == "degraded").sum())),
        Kpi("Offline", n_off),
        Kpi("Average uptime", round(float(table["uptime_pct"].mean()), 2), "%"),
        Kpi("Downtime hours", round(float(table["offline_hours"].sum()), 1)),
        Kpi("Revenue at risk from downtime", round(float(table["lost_revenue"].sum()), 2), "$",
            help="Offline store-open hours × the store's usual revenue in that weekday-hour × the machine's share of cups."),
        Kpi("Maintenance due", int((out.tables["alerts"]["kind"] == "maintenance_due").sum())),
    ]
    return real_shops.finish(out, all_shops, include_test)


def _alerts(table: pd.DataFrame, spells: pd.DataFrame, bad: pd.DataFrame, last_maint: pd.Series,
            dev: pd.DataFrame, zones: pd.Series) -> pd.DataFrame:
    rows = []
    shop = dict(zip(table["device_no"], table["shop_id"]))
    for r in table[table["status"] == "offline"].itertuples():
        sp = spells[spells["device_no"] == r.device_no]
        since = sp["start"].max() if len(sp) else pd.NaT
        day = to_local(pd.Series([since]), pd.Series([zones.get(r.shop_id)])).dt.normalize().iloc[0]
        rows.append({"device_no": r.device_no, "shop_id": r.shop_id, "kind": "offline", "first_flagged": day,
                     "evidence": f"no heartbeat since {since:%Y-%m-%d %H:%M} UTC (HB-LOST)" if pd.notna(since)
                     else "reported offline by t_device"})
    for dev_no, b in bad.iterrows():
        rows.append({"device_no": dev_no, "shop_id": shop[dev_no], "kind": "degraded",
                     "first_flagged": b["first_flagged"],
                     "evidence": f"cups {100 * (1 - b['recent_ratio']):.0f}% below its own weekday-hour baseline over the "
                                 f"last {fleet.RECENT_DAYS} days; CUSUM alarm on {b['first_flagged']:%Y-%m-%d}, drop began "
                                 f"{b['onset']:%Y-%m-%d}"})
    due = table[table["days_since_maintenance"] > MAINTENANCE_DAYS]
    lm = dict(zip(dev["device_no"], last_maint))
    for r in due.itertuples():
        when = pd.Timestamp(lm[r.device_no])
        rows.append({"device_no": r.device_no, "shop_id": r.shop_id, "kind": "maintenance_due",
                     "first_flagged": (when + pd.Timedelta(days=MAINTENANCE_DAYS)).normalize(),
                     "evidence": f"last maintenance {when:%Y-%m-%d} ({r.days_since_maintenance} days ago, service every "
                                 f"{MAINTENANCE_DAYS} days)"})
    a = pd.DataFrame(rows, columns=["device_no", "shop_id", "kind", "first_flagged", "evidence"])
    if len(a):
        a["first_flagged"] = pd.to_datetime(a["first_flagged"]).dt.strftime("%Y-%m-%d")
    return a.sort_values(["kind", "first_flagged", "device_no"]).reset_index(drop=True)


def _lost_revenue(spells, dev, zones, shops, start, end, cups) -> pd.DataFrame:
    """Revenue at risk per machine (see `fleet.lost_revenue`), cup-making machines only."""
    makers = dev[dev["device_no"].isin(set(cups["device_no"].unique()))]
    sp = spells[spells["device_no"].isin(set(makers["device_no"]))]
    oh = fleet.offline_hours(sp)
    if oh.empty:
        return pd.DataFrame(columns=["device_no", "offline_open_h", "lost_revenue"])
    oh = oh.merge(makers[["device_no", "shop_id"]], on="device_no")
    oh = _localize(oh, zones, "utc_hour")
    oh = oh[(oh["date"] >= pd.Timestamp(start)) & (oh["date"] <= pd.Timestamp(end))]
    hours = metrics.orders_hours(shops[shops["shop_id"].isin(makers["shop_id"])], start, end)
    if hours.empty or oh.empty:
        return pd.DataFrame(columns=["device_no", "offline_open_h", "lost_revenue"])
    hours = hours.assign(weekday=pd.to_datetime(hours["date"]).dt.day_of_week)
    usual = hours[hours["orders"] > 0].groupby(["shop_id", "weekday", "hour"], as_index=False)["revenue"].mean()
    store_cups = cups.groupby("shop_id")["cups"].sum()
    share = cups.groupby("device_no")["cups"].sum() / cups.groupby("device_no")["shop_id"].first().map(store_cups)
    return fleet.lost_revenue(oh, share, usual)


def _summary(table: pd.DataFrame, made: pd.Series) -> pd.DataFrame:
    t = table.assign(cups=table["device_no"].map(made).fillna(0),
                     outage_h=table["offline_hours"], flagged=table["status"].ne("online"))
    g = t.groupby("machine_type").agg(
        machines=("device_no", "size"), avg_uptime_pct=("uptime_pct", "mean"),
        cups_per_open_hour=("cups_per_open_hour", "mean"), cups=("cups", "sum"),
        errors_7d=("errors_7d", "sum"), not_online=("flagged", "sum"), downtime_h=("outage_h", "sum"),
        lost_revenue=("lost_revenue", "sum"))
    g["failure_rate_pct"] = 100 * g["not_online"] / g["machines"]
    return g.reset_index().round(2).sort_values("machines", ascending=False).reset_index(drop=True)


def _floor_plan(table: pd.DataFrame, shops: pd.DataFrame) -> alt.Chart:
    """Each store a row of machine tiles (coffee machines first), coloured by status."""
    t = table.copy()
    t["store"] = t["shop_id"].map(shops.set_index("shop_id")["shop_name"]).fillna("shop").astype(str) \
        + " (" + t["shop_id"].astype(str) + ")"
    t["is_coffee"] = t["cups_per_open_hour"].notna()
    t = t.sort_values(["shop_id", "is_coffee", "device_no"], ascending=[True, False, True])
    t["slot"] = t.groupby("shop_id").cumcount()
    t["label"] = t["machine_type"].str.replace("Coffee ", "", regex=False).str.slice(0, 11)
    base = alt.Chart(t).encode(
        x=alt.X("slot:O", title="Position on the counter", axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("store:N", title=None, sort=list(dict.fromkeys(t["store"]))))
    tiles = base.mark_rect(stroke="white", strokeWidth=3, cornerRadius=4).encode(
        color=alt.Color("status:N", scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
                        legend=alt.Legend(title="Status", orient="top")),
        tooltip=["device_no", "machine_type", "status", alt.Tooltip("uptime_pct:Q", format=".2f"),
                 "cups_per_open_hour", "velocity_change_pct", "days_since_maintenance", "errors_7d"])
    text = base.mark_text(fontSize=9, color="white").encode(text="label:N")
    return (tiles + text).properties(height=max(120, 34 * t["shop_id"].nunique()))


def _machine(out: Output, device: str, table: pd.DataFrame, daily: pd.DataFrame, ev: pd.DataFrame,
             spells: pd.DataFrame, cups: pd.DataFrame) -> None:
    """The machine page: production history, velocity ratio, error log, maintenance, outages."""
    if device not in set(table["device_no"]):
        out.note("warning", f"Machine {device} is not in the selected stores; pick one from the devices table.")
        return
    d = cups[cups["device_no"] == device].groupby("date", as_index=False)["cups"].sum()
    v = daily[daily["device_no"] == device][["date", "expected", "ratio"]].rename(columns={"expected": "expected_cups"})
    hist = d.merge(v, on="date", how="left")
    hist["shop_id"] = int(table.loc[table["device_no"] == device, "shop_id"].iloc[0])
    out.tables["machine-history"] = hist.assign(date=hist["date"].dt.strftime("%Y-%m-%d"),
                                                expected_cups=hist["expected_cups"].round(1), ratio=hist["ratio"].round(3))
    e = ev[ev["device_no"] == device].sort_values("create_time", ascending=False)
    out.tables["machine-events"] = e.assign(shop_id=hist["shop_id"].iloc[0] if len(hist) else None)
    out.tables["machine-outages"] = spells[spells["device_no"] == device].assign(
        hours=lambda s: ((s["end"] - s["start"]).dt.total_seconds() / 3600).round(2))
    if len(hist):
        out.charts["machine-cups"] = alt.Chart(hist).mark_bar().encode(
            x=alt.X("date:T", title="Store-local day"), y=alt.Y("cups:Q", title="Cups"),
            tooltip=["date:T", "cups:Q", "expected_cups:Q", "ratio:Q"]) + alt.Chart(hist).mark_line(color="#e0a800").encode(
            x="date:T", y="expected_cups:Q")


TOOL = Tool(
    slug="iot-fleet", number=14, title="IoT Machine Fleet Manager", department="Operations",
    roles=frozenset({"operations", "store_manager"}),
    sources=("luckyus_iot_platform", "luckyus_opshop", "luckyus_sales_order"),
    run=run, icon=":material/coffee_maker:",
    description="Status, uptime and production velocity of every connected machine against its own "
                "weekday-hour baseline; offline, degraded and maintenance alerts; floor plan per store; "
                "revenue at risk from downtime.",
    options=(Option("device", str, None, "device_no of one machine for its page (history, errors, outages)"),
             real_shops.INCLUDE_TEST),
)
