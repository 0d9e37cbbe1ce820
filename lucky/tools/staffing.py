"""Tool 15, Dynamic Staffing Optimizer: baristas each store-hour needs (Erlang C on predicted
orders and the store's production times), against the published HR rota, with the store's learnt
no-show rate, a promotion what-if, and the history of hours that were short-staffed.

- `schedule`: the week after the date range (store-local days). Demand from
  ireplenishment.t_order_predict_alg_v2 where it has the store-hour, else a forecast (mean of the
  same weekday-hour over the last four weeks); the `source` column says which.
- `history`: the date range as it happened: placed orders, mean production time, the staff the
  queue needed, staff actually on the floor (clock-in/out at hh:30) — red where short.
- `schedule` also carries `actual_staff`, the staff a store manager entered for an hour (Lucky's
  state store, `lucky.operations.staff_entries`); the light then judges what was entered.
- `what-if`: extra staff-hours and their cost at the store's barista wage for `demand` × orders.
"""
from __future__ import annotations

import html
from datetime import timedelta

import altair as alt
import numpy as np
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.errors import LuckyError
from lucky.models import queueing
from lucky.models import staffing as sm
from lucky.models.timezones import known_zone, to_local
from lucky.operations import staff_entries
from lucky.queries import landscape, metrics
from lucky.queries import orders as order_q
from lucky.queries import shops as shop_q
from lucky.queries import staffing as q

MIN_ON_FLOOR = 2          # fixed positions while open: someone at the bar, someone on the pass
FORECAST_WEEKS = 4
WEEK = 7


def _local(df: pd.DataFrame, zones: pd.Series, col: str) -> pd.Series:
    return to_local(pd.to_datetime(df[col]), df["shop_id"].map(zones))


def _service(prod: pd.DataFrame, zones: pd.Series) -> pd.DataFrame:
    """shop_id, date, hour, made, seconds (local) from production_hours."""
    if prod.empty:
        return pd.DataFrame(columns=["shop_id", "date", "hour", "made", "seconds"])
    local = _local(prod, zones, "utc_hour")
    p = prod.assign(date=local.dt.normalize(), hour=local.dt.hour)
    return p.groupby(["shop_id", "date", "hour"], as_index=False)[["made", "seconds"]].sum()


def run(filters: Filters, viewer: Viewer, demand: float = 1.0, target_sl: float = queueing.TARGET_SL,
        target_s: float = queueing.TARGET_SECONDS) -> Output:
    out = Output()
    shops = shop_q.trading_shops(filters.currency)
    shops = shops[shops["shop_id"].isin(order_q.per_store(filters.currency)["shop_id"])]  # stores that trade
    if filters.stores:
        shops = shops[shops["shop_id"].isin(filters.stores)]
    shops = shops[shops["time_zone"].map(known_zone)]
    first, last = landscape.data_span()
    if shops.empty or last is None:
        out.note("info", f"No trading {filters.currency} stores in this selection.")
        return out
    start, end = filters.start or max(first, last - timedelta(days=27)), filters.end or last
    ids = tuple(int(s) for s in shops["shop_id"])
    zones = shops.set_index("shop_id")["time_zone"]
    emp = q.employees(ids)
    no_hr = sorted(set(ids) - set(emp["shop_id"]))
    if no_hr:
        out.note("warning", f"No HR records for store(s) {', '.join(map(str, no_hr))}: no rota, no no-show rate "
                            "(assumed 0) and no history of staff on the floor for them.")
    ns = q.no_shows(end, ids)
    rate = (ns.set_index("shop_id")["no_shows"] / ns.set_index("shop_id")["shifts"]).reindex(list(ids)).fillna(0.0)
    wage = emp[emp["role"] == "barista"].groupby("shop_id")["hourly_wage"].mean()

    # -------------------------------------------------------------- history: the range as it was
    hist_from = start - timedelta(days=WEEK * FORECAST_WEEKS)
    hours = metrics.orders_hours(shops, hist_from, end)
    service = _service(q.production_hours(hist_from, end, ids), zones)
    hours = hours.merge(service, on=["shop_id", "date", "hour"], how="outer")
    hours[["placed", "made", "seconds"]] = hours[["placed", "made", "seconds"]].fillna(0)
    usual = _usual_service(hours)
    att = q.attendance(start - timedelta(days=1), end + timedelta(days=1), ids)
    worked = att.dropna(subset=["clock_in_time", "clock_out_time"])
    on = sm.heads(worked.assign(a=_local(worked, zones, "clock_in_time"), b=_local(worked, zones, "clock_out_time")), "a", "b") \
        if len(worked) else pd.DataFrame(columns=["shop_id", "date", "hour", "heads"])
    rota = q.shifts(start, end + timedelta(days=WEEK), ids)
    rota_h = sm.heads(rota.assign(a=_local(rota, zones, "start_time"), b=_local(rota, zones, "end_time")), "a", "b") \
        if len(rota) else pd.DataFrame(columns=["shop_id", "date", "hour", "heads"])
    history = _history(hours, usual, on, rota_h, rate, start, end, target_sl, target_s)
    before = shops.loc[pd.to_datetime(shops["set_up_time"]).dt.normalize() > pd.Timestamp(end), "shop_id"] \
        if "set_up_time" in shops else pd.Series(dtype=int)
    if len(before):
        out.note("warning", f"Store(s) {', '.join(map(str, before))} opened after this range: nothing to staff yet.")

    # -------------------------------------------------------------- schedule: the week after
    week0, week1 = end + timedelta(days=1), end + timedelta(days=WEEK)
    pred = q.predictions(week0, week1, ids)
    if pred.empty:
        out.note("warning", "No order predictions (ireplenishment.t_order_predict_alg_v2) for the week after the "
                            "range: every hour uses a forecast from history instead.")
    sched = _schedule(hours, usual, pred, rota_h, rate, week0, week1, demand, target_sl, target_s, end)
    base = _schedule(hours, usual, pred, rota_h, rate, week0, week1, 1.0, target_sl, target_s, end) if demand != 1.0 else sched
    out.tables["schedule"] = sm.with_actual(sched.assign(date=sched["date"].dt.strftime("%Y-%m-%d")),
                                            _entries(out, ids, week0, week1))
    out.tables["history"] = history.assign(date=history["date"].dt.strftime("%Y-%m-%d"))
    shifts = ns.set_index("shop_id")["shifts"].reindex(list(ids)).fillna(0).astype(int).to_numpy()
    out.tables["no-shows"] = pd.DataFrame({"shop_id": list(ids), "shifts": shifts,
                                           "no_shows": ns.set_index("shop_id")["no_shows"].reindex(list(ids)).fillna(0).astype(int).to_numpy(),
                                           "no_show_rate": rate.round(4).to_numpy()})
    whatif = _what_if(sched, base, wage, demand)
    out.tables["what-if"] = whatif
    out.tables["weekly-schedule"] = rota[pd.to_datetime(rota["shift_date"]) >= pd.Timestamp(week0)].assign(
        start_local=lambda r: _local(r, zones, "start_time").dt.strftime("%a %m-%d %H:%M"),
        end_local=lambda r: _local(r, zones, "end_time").dt.strftime("%H:%M"))[
        ["shop_id", "shift_date", "employee_no", "role", "start_local", "end_local"]]
    out.kpis = [
        Kpi("Stores", len(ids)),
        Kpi("Hours short-staffed in range", int((history["status"] == "red").sum())),
        Kpi("Week ahead: hours under-scheduled", int((out.tables["schedule"]["status"] == "red").sum())),
        Kpi("Week ahead: staff-hours recommended", int(sched["recommended_staff"].sum())),
        Kpi("Week ahead: staff-hours scheduled", int(sched["scheduled_staff"].sum())),
        Kpi(f"What-if ×{demand:g}: extra staff-hours", int(whatif["extra_staff_hours"].sum())),
        Kpi(f"What-if ×{demand:g}: extra cost", round(float(whatif["extra_cost"].sum()), 2), "$"),
        Kpi("Learnt no-show rate (mean)", round(float(rate.mean() * 100), 1), "%"),
    ]
    if len(sched):
        day = sched.groupby(["date", "hour"], as_index=False)[["predicted_orders", "recommended_staff", "scheduled_staff"]].sum()
        day["when"] = day["date"] + pd.to_timedelta(day["hour"], unit="h")
        bars = alt.Chart(day).mark_bar(color="#9ecae1").encode(
            x=alt.X("when:T", title="Week ahead (store-local)"), y=alt.Y("predicted_orders:Q", title="Predicted orders"),
            tooltip=["when:T", "predicted_orders:Q", "recommended_staff:Q", "scheduled_staff:Q"])
        lines = alt.Chart(day.melt(["when"], ["recommended_staff", "scheduled_staff"], "series", "staff")).mark_line().encode(
            x="when:T", y=alt.Y("staff:Q", title="Staff"), color=alt.Color("series:N", legend=alt.Legend(orient="top")))
        out.charts["week-ahead"] = alt.layer(bars, lines).resolve_scale(y="independent")
    return out


def _entries(out: Output, ids: tuple[int, ...], week0, week1) -> pd.DataFrame:
    """Staff the managers entered for the week ahead (state store); none when it cannot be read."""
    try:
        return staff_entries.latest(list(ids), week0, week1)
    except LuckyError as exc:
        out.note("warning", f"Entered staff unavailable ({exc}): the lights use the rota only.")
        return pd.DataFrame(columns=staff_entries.COLUMNS)


def _usual_service(hours: pd.DataFrame) -> pd.DataFrame:
    """Mean production seconds per shop × weekday × hour (fallback: shop × hour, shop)."""
    h = hours.assign(weekday=pd.to_datetime(hours["date"]).dt.day_of_week)
    return h.groupby(["shop_id", "weekday", "hour"], as_index=False)[["made", "seconds"]].sum()


def _service_for(frame: pd.DataFrame, usual: pd.DataFrame) -> pd.Series:
    f = frame.assign(weekday=pd.to_datetime(frame["date"]).dt.day_of_week)
    m = f[["shop_id", "weekday", "hour"]].merge(usual.rename(columns={"made": "made_u", "seconds": "seconds_u"}),
                                                 on=["shop_id", "weekday", "hour"], how="left")
    by_hour = usual.groupby(["shop_id", "hour"])[["made", "seconds"]].sum()
    by_shop = usual.groupby("shop_id")[["made", "seconds"]].sum()
    s = m["seconds_u"] / m["made_u"].where(m["made_u"] > 0)
    key = pd.MultiIndex.from_frame(m[["shop_id", "hour"]])
    s = s.fillna(pd.Series((by_hour["seconds"] / by_hour["made"].where(by_hour["made"] > 0)).reindex(key).to_numpy(), index=s.index))
    s = s.fillna(m["shop_id"].map(by_shop["seconds"] / by_shop["made"].where(by_shop["made"] > 0)))
    return s.to_numpy()


def _history(hours, usual, on, rota_h, rate, start, end, target_sl, target_s) -> pd.DataFrame:
    h = hours[(hours["date"] >= pd.Timestamp(start)) & (hours["date"] <= pd.Timestamp(end))]
    h = h[["shop_id", "date", "hour", "placed", "made", "seconds"]]
    h = h.merge(on.rename(columns={"heads": "on_floor"}), on=["shop_id", "date", "hour"], how="outer")
    h = h.merge(rota_h.rename(columns={"heads": "scheduled_staff"}), on=["shop_id", "date", "hour"], how="left")
    h = h[(h["date"] >= pd.Timestamp(start)) & (h["date"] <= pd.Timestamp(end))]
    for c in ("placed", "made", "seconds", "on_floor", "scheduled_staff"):
        h[c] = h[c].fillna(0)
    h = h[(h["placed"] > 0) | (h["on_floor"] > 0)]
    own = h["seconds"] / h["made"].where(h["made"] > 0)
    h["service_s"] = own.fillna(pd.Series(_service_for(h, usual), index=h.index)).round(1)
    h["required_staff"] = queueing.required_staff(h["placed"].to_numpy(), h["service_s"].to_numpy(), target_sl, target_s,
                                                  minimum=MIN_ON_FLOOR)
    h["recommended_staff"] = sm.recommended(h["required_staff"].to_numpy(), h["shop_id"].map(rate).to_numpy())
    h["status"] = sm.light(h["on_floor"].to_numpy(), h["required_staff"].to_numpy(), h["recommended_staff"].to_numpy())
    h = h.rename(columns={"placed": "orders"})
    cols = ["shop_id", "date", "hour", "orders", "service_s", "required_staff", "scheduled_staff", "on_floor",
            "recommended_staff", "status"]
    h[["orders", "on_floor", "scheduled_staff"]] = h[["orders", "on_floor", "scheduled_staff"]].astype(int)
    return h[cols].sort_values(["shop_id", "date", "hour"]).reset_index(drop=True)


def _schedule(hours, usual, pred, rota_h, rate, week0, week1, demand, target_sl, target_s, end) -> pd.DataFrame:
    days = pd.date_range(pd.Timestamp(week0), pd.Timestamp(week1), freq="D")
    recent = hours[hours["date"] > pd.Timestamp(end) - pd.Timedelta(days=WEEK * FORECAST_WEEKS)]
    recent = recent.assign(weekday=pd.to_datetime(recent["date"]).dt.day_of_week)
    n_days = recent.groupby(["shop_id", "weekday"])["date"].nunique().rename("n")
    fc = recent.groupby(["shop_id", "weekday", "hour"], as_index=False)["placed"].sum().join(n_days, on=["shop_id", "weekday"])
    fc["forecast"] = fc["placed"] / fc["n"]
    grid = fc[["shop_id", "weekday", "hour", "forecast"]].merge(
        pd.DataFrame({"date": days, "weekday": days.day_of_week}), on="weekday")
    if len(pred):
        p = pred.assign(date=pd.to_datetime(pred["pred_date"]), hour=pred["pred_hour"].astype(int))
        grid = grid.merge(p[["shop_id", "date", "hour", "pred_order_cnt"]], on=["shop_id", "date", "hour"], how="outer")
    else:
        grid["pred_order_cnt"] = np.nan
    grid = grid.merge(rota_h.rename(columns={"heads": "scheduled_staff"}), on=["shop_id", "date", "hour"], how="outer")
    grid = grid[(grid["date"] >= pd.Timestamp(week0)) & (grid["date"] <= pd.Timestamp(week1))]
    if grid.empty:
        return pd.DataFrame(columns=["shop_id", "date", "hour", "source", "predicted_orders", "service_s", "required_staff",
                                     "scheduled_staff", "recommended_staff", "status"])
    grid["source"] = np.where(grid["pred_order_cnt"].notna(), "ireplenishment", "forecast")
    base = grid["pred_order_cnt"].fillna(grid["forecast"]).fillna(0)
    grid["predicted_orders"] = (base * demand).round(2)
    grid["scheduled_staff"] = grid["scheduled_staff"].fillna(0).astype(int)
    grid = grid[(grid["predicted_orders"] > 0) | (grid["scheduled_staff"] > 0)]
    grid["service_s"] = np.round(_service_for(grid, usual), 1)
    grid["required_staff"] = queueing.required_staff(grid["predicted_orders"].to_numpy(), grid["service_s"].to_numpy(),
                                                     target_sl, target_s, minimum=MIN_ON_FLOOR)
    grid["recommended_staff"] = sm.recommended(grid["required_staff"].to_numpy(), grid["shop_id"].map(rate).to_numpy())
    grid["status"] = sm.light(grid["scheduled_staff"].to_numpy(), grid["required_staff"].to_numpy(),
                              grid["recommended_staff"].to_numpy())
    cols = ["shop_id", "date", "hour", "source", "predicted_orders", "service_s", "required_staff", "scheduled_staff",
            "recommended_staff", "status"]
    grid["shop_id"] = grid["shop_id"].astype(int)
    return grid[cols].sort_values(["shop_id", "date", "hour"]).reset_index(drop=True)


def _what_if(sched: pd.DataFrame, base: pd.DataFrame, wage: pd.Series, demand: float) -> pd.DataFrame:
    a = sched.groupby("shop_id")["recommended_staff"].sum()
    b = base.groupby("shop_id")["recommended_staff"].sum()
    w = pd.DataFrame({"recommended_staff_hours": a, "baseline_staff_hours": b.reindex(a.index).fillna(0)})
    w["extra_staff_hours"] = (w["recommended_staff_hours"] - w["baseline_staff_hours"]).astype(int)
    w["barista_wage"] = wage.reindex(w.index).round(2)
    w["extra_cost"] = (w["extra_staff_hours"] * w["barista_wage"].fillna(0)).round(2)
    w.insert(0, "demand", demand)
    return w.reset_index()


def print_html(schedule: pd.DataFrame, shifts: pd.DataFrame, shop_id: int, shop_name: str) -> str:
    """A print-ready weekly schedule for one store: recommended vs scheduled heads per day and hour,
    then the shifts by person. Browsers print it to PDF (File → Print)."""
    s = schedule[schedule["shop_id"] == shop_id]
    e = html.escape
    grid = s.pivot_table(index="hour", columns="date", values=["recommended_staff", "scheduled_staff"], aggfunc="sum")
    days = sorted(s["date"].unique())
    colour = {"red": "#f8d7da", "yellow": "#fff3cd", "green": "#d4edda"}
    status = s.set_index(["date", "hour"])["status"]
    rows = []
    for hour in sorted(s["hour"].unique()):
        cells = []
        for d in days:
            rec = grid.get(("recommended_staff", d), pd.Series(dtype=float)).get(hour, np.nan)
            sch = grid.get(("scheduled_staff", d), pd.Series(dtype=float)).get(hour, np.nan)
            st = status.get((d, hour), "")
            cells.append(f'<td style="background:{colour.get(st, "#fff")}">{"" if pd.isna(sch) else int(sch)} / '
                         f'{"" if pd.isna(rec) else int(rec)}</td>')
        rows.append(f"<tr><th>{hour:02d}:00</th>{''.join(cells)}</tr>")
    head = "".join(f"<th>{e(pd.Timestamp(d).strftime('%a %m-%d'))}</th>" for d in days)
    sh = shifts[shifts["shop_id"] == shop_id]
    people = "".join(f"<tr><td>{e(str(r.shift_date))}</td><td>{e(str(r.employee_no))}</td><td>{e(str(r.role))}</td>"
                     f"<td>{e(str(r.start_local))}–{e(str(r.end_local))}</td></tr>" for r in sh.itertuples())
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Weekly schedule · {e(shop_name)}</title>
<style>body{{font-family:sans-serif;font-size:11px}} table{{border-collapse:collapse;margin-bottom:16px}}
td,th{{border:1px solid #999;padding:3px 6px;text-align:center}} @page{{size:landscape;margin:10mm}}
@media print{{.noprint{{display:none}}}}</style></head><body>
<h2>Weekly schedule · {e(shop_name)} ({shop_id})</h2>
<p>Cells: scheduled / recommended baristas (Erlang C, 80% of orders started within 60 s, with the store's
no-show rate). Red: fewer scheduled than required; yellow: below recommended; green: enough.</p>
<table><tr><th>Hour</th>{head}</tr>{''.join(rows)}</table>
<h3>Shifts</h3><table><tr><th>Day</th><th>Employee</th><th>Role</th><th>Time</th></tr>{people}</table>
<p class="noprint">Print with your browser (landscape).</p></body></html>"""


TOOL = Tool(
    slug="staffing", number=15, title="Dynamic Staffing Optimizer", department="Operations",
    roles=frozenset({"operations", "store_manager"}),
    sources=("luckyus_iehr", "luckyus_ireplenishment", "luckyus_opproduction", "luckyus_sales_order", "luckyus_opshop"),
    run=run, icon=":material/groups:",
    description="Baristas each store-hour needs from an Erlang C queue on predicted orders and production "
                "times, against the HR rota and the store's no-show rate; promotion what-if; printable week.",
    options=(
        Option("demand", float, 1.0, "demand multiplier for a promotion", range=(0.5, 3.0), step=0.05),
        Option("target_sl", float, queueing.TARGET_SL, "share of orders whose making starts within target_s",
               range=(0.5, 0.99), step=0.01, label="Target service level"),
        Option("target_s", float, queueing.TARGET_SECONDS, "seconds an order may wait before making starts",
               range=(10.0, 600.0), step=10.0, label="Target wait (s)"),
    ),
)
