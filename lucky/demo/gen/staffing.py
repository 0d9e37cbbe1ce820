"""Generator step 'staffing': the MODELLED HR database `luckyus_iehr` (employees, shifts, clock-ins).

The report names the server (aws-luckyus-iehr-rw) but not its tables, so they are modelled on
what a workforce system (7shifts, Workday, Deputy) keeps: employees per store with role and hourly
wage, scheduled shifts (store-local day, start/end in UTC), and attendance (clock-in/out, no-shows).

The rota follows demand: per store, weekday and local hour the mean orders of its history give the
baristas an Erlang C queue needs (`lucky.models.queueing`, 80% of orders started within 60 s,
at least two on the floor while open) plus one spare for no-shows; stacked positions become shifts
of at most 8 hours; shifts are published two weeks past the last day of data. Each store has its own
no-show rate (2–10%).

Planted: mornings when several baristas arrived hours late (a subway outage), leaving at most half
the needed staff on the floor for 2–3 hours; production times in those hours rise (the hook
`slowdown`, called by `production.schedule`). Truth: `staffing.no_show_rate` {shop_id: realised
share of past shifts not worked}, `staffing.understaffed` [{shop_id, date, hour}] (store-local).

The plan is made once (cached on world.frames) the first time production or this step asks for it,
from its own random stream, so it never reshuffles another step.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from lucky.demo.gen.production import to_dt, with_ids
from lucky.demo.world import END, TENANT, World
from lucky.models import queueing
from lucky.models.timezones import to_local

DB = "luckyus_iehr"
MIN_ON_FLOOR = 2
SPARE = 1
MAX_SHIFT_H = 8
PUBLISHED_DAYS = 14
EVENTS_PER_STORE = 3
SLOWER = 1.8                 # production times in an understaffed hour
SERVICE_S = {7: 270, 8: 270, 9: 270, 10: 230, 12: 225, 13: 225}   # rush hours are slower
BASE_SERVICE_S = 200
WAGES = {"barista": (17.0, 20.0), "shift_lead": (21.0, 24.5), "store_manager": (26.0, 31.0)}


def _demand(world: World) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean orders per shop, weekday and local hour over its trading days; the span of each shop."""
    o = world.orders
    zones = o["shop_id"].map(world.shops.set_index("id")["time_zone"])
    local = to_local(pd.to_datetime(o["create_time"]), zones)
    d = pd.DataFrame({"shop_id": o["shop_id"].to_numpy(), "date": local.dt.normalize(), "hour": local.dt.hour})
    shops = world.shops
    real = shops.loc[(shops.get("test_flag", 0) != 1) & (shops.get("internal", 0) != 1), "id"]
    d = d[d["date"].notna() & d["shop_id"].isin(real)]   # test and internal shops keep no rota
    span = d.groupby("shop_id")["date"].agg(first="min", last="max").reset_index()
    days = d[["shop_id", "date"]].drop_duplicates()
    days["weekday"] = days["date"].dt.day_of_week
    n_days = days.groupby(["shop_id", "weekday"]).size().rename("n_days")
    d["weekday"] = d["date"].dt.day_of_week
    g = d.groupby(["shop_id", "weekday", "hour"]).size().rename("orders").reset_index()
    share = g.groupby(["shop_id", "hour"])["orders"].sum() / g.groupby("shop_id")["orders"].sum()
    open_h = share[share >= 0.01].reset_index()[["shop_id", "hour"]]
    hours = open_h.groupby("shop_id")["hour"].agg(open="min", close="max").reset_index()
    grid = hours.merge(pd.DataFrame({"weekday": range(7)}), how="cross")
    grid = grid.loc[grid.index.repeat(grid["close"] - grid["open"] + 1)].reset_index(drop=True)
    grid["hour"] = grid["open"] + grid.groupby(["shop_id", "weekday"]).cumcount()
    grid = grid.merge(g, on=["shop_id", "weekday", "hour"], how="left").join(n_days, on=["shop_id", "weekday"])
    grid["mean_orders"] = grid["orders"].fillna(0) / grid["n_days"].fillna(1)
    service = grid["hour"].map(SERVICE_S).fillna(BASE_SERVICE_S)
    grid["required"] = queueing.required_staff(grid["mean_orders"].to_numpy(), service.to_numpy(), minimum=MIN_ON_FLOOR)
    grid["need"] = grid["required"] + SPARE
    return grid[["shop_id", "weekday", "hour", "mean_orders", "required", "need"]], span


def _positions(need: pd.DataFrame) -> pd.DataFrame:
    """Per shop and weekday the stacked positions: position k works the hours where need >= k,
    cut into shifts of at most MAX_SHIFT_H hours. shop_id, weekday, position, start_h, end_h."""
    rows = []
    for (shop, wd), g in need.groupby(["shop_id", "weekday"]):
        for k in range(1, int(g["need"].max()) + 1):
            hrs = g.loc[g["need"] >= k, "hour"]
            a, b = int(hrs.min()), int(hrs.max()) + 1
            n = int(np.ceil((b - a) / MAX_SHIFT_H))
            cuts = np.linspace(a, b, n + 1).round().astype(int)
            for s, e in zip(cuts[:-1], cuts[1:]):
                rows.append((shop, wd, k, s, e))
    return pd.DataFrame(rows, columns=["shop_id", "weekday", "position", "start_h", "end_h"])


def plan(world: World) -> dict[str, pd.DataFrame]:
    """Employees, shifts (with attendance) and the understaffed hours; made once per build."""
    if "hr_shifts" in world.frames:
        return {k: world.frames[k] for k in ("hr_employees", "hr_shifts", "hr_understaffed")}
    rng = world.rng("staffing")
    need, span = _demand(world)
    pos = _positions(need)
    zones = world.shops.set_index("id")["time_zone"]
    last_day = pd.Timestamp(END)
    shifts = []
    for r in span.itertuples():
        days = pd.date_range(r.first, last_day + pd.Timedelta(days=PUBLISHED_DAYS), freq="D")
        frame = pd.DataFrame({"shop_id": r.shop_id, "date": days, "weekday": days.day_of_week})
        shifts.append(frame.merge(pos, on=["shop_id", "weekday"]))
    sh = pd.concat(shifts, ignore_index=True).sort_values(["shop_id", "date", "position", "start_h"]).reset_index(drop=True)
    sh["role"] = np.where(sh["position"] == 1, "shift_lead", "barista")

    # employees: enough people per store for five shifts a week each, one manager, two leads
    per_week = sh[sh["date"] <= last_day].groupby("shop_id").size() / max(1, (sh["date"].max() - sh["date"].min()).days / 7)
    emp_rows = []
    for shop, weekly in per_week.items():
        n = int(np.ceil(weekly / 5)) + 2
        roles = ["store_manager", "shift_lead", "shift_lead"] + ["barista"] * max(n - 3, 2)
        for i, role in enumerate(roles):
            lo, hi = WAGES[role]
            emp_rows.append({"shop_id": shop, "role": role, "hourly_wage": round(float(rng.uniform(lo, hi)), 2),
                             "employee_no": f"E{int(shop):04d}{i + 1:03d}"})
    emp = pd.DataFrame(emp_rows)
    first = span.set_index("shop_id")["first"]
    emp["hire_date"] = emp["shop_id"].map(first) - pd.to_timedelta(rng.integers(7, 30, len(emp)), unit="D")
    # shifts go round-robin to the store's people of the role (leads and the manager lead)
    sh["employee_no"] = None
    for (shop, lead), idx in sh.groupby(["shop_id", sh["role"] == "shift_lead"]).groups.items():
        pool = emp[(emp["shop_id"] == shop) & (emp["role"].isin(["store_manager", "shift_lead"]) if lead
                                                else emp["role"] == "barista")]["employee_no"].to_numpy()
        sh.loc[idx, "employee_no"] = pool[np.arange(len(idx)) % len(pool)]

    # attendance: no-shows at each store's rate, small clock jitter, future shifts not yet worked
    rate = pd.Series(rng.uniform(0.02, 0.10, len(span)), index=span["shop_id"])
    past = (sh["date"] <= last_day).to_numpy()
    no_show = past & (rng.random(len(sh)) < sh["shop_id"].map(rate).to_numpy())
    sh["in_h"] = sh["start_h"] + rng.normal(-2, 3, len(sh)) / 60
    sh["out_h"] = sh["end_h"] + rng.normal(4, 4, len(sh)) / 60
    sh["no_show"] = no_show
    sh["past"] = past
    under = _plant(world, sh, need, span, rng)
    sh["shift_no"] = [f"S{i:08d}" for i in range(1, len(sh) + 1)]
    for c in ("start_h", "end_h", "in_h", "out_h"):
        local = sh["date"] + pd.to_timedelta(sh[c], unit="h")
        sh[c.replace("_h", "_utc")] = _utc(local, sh["shop_id"].map(zones))
    done = sh[past]
    world.truth["staffing"]["no_show_rate"] = {int(s): round(float(g["no_show"].mean()), 4)
                                               for s, g in done.groupby("shop_id")}
    world.truth["staffing"]["understaffed"] = [{"shop_id": int(s), "date": d.strftime("%Y-%m-%d"), "hour": int(h)}
                                               for s, d, h in zip(under["shop_id"], under["date"], under["hour"])]
    world.frames.update({"hr_employees": emp, "hr_shifts": sh, "hr_understaffed": under})
    return {"hr_employees": emp, "hr_shifts": sh, "hr_understaffed": under}


def _utc(local: pd.Series, zones: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=local.index, dtype="datetime64[ns]")
    for zone in zones.dropna().unique():
        m = zones == zone
        out[m] = (local[m].dt.tz_localize(zone, nonexistent="shift_forward", ambiguous=False)
                  .dt.tz_convert("UTC").dt.tz_localize(None).dt.floor("s"))
    return out


def _plant(world: World, sh: pd.DataFrame, need: pd.DataFrame, span: pd.DataFrame, rng) -> pd.DataFrame:
    """Late mornings: on EVENTS_PER_STORE past days per store, baristas on the morning shifts
    arrive 2-3 hours late, so at most half the required staff is on the floor; returns the hours."""
    last_day = pd.Timestamp(END)
    req = need.set_index(["shop_id", "weekday", "hour"])["required"]
    rows = []
    for r in span.itertuples():
        lo = r.first + pd.Timedelta(days=21)
        days = pd.date_range(max(lo, last_day - pd.Timedelta(days=75)), last_day - pd.Timedelta(days=2), freq="D")
        if len(days) < EVENTS_PER_STORE:
            continue
        for day in rng.choice(days, EVENTS_PER_STORE, replace=False):
            day = pd.Timestamp(day)
            today = sh[(sh["shop_id"] == r.shop_id) & (sh["date"] == day) & ~sh["no_show"]]
            if today.empty:
                continue
            open_h = int(today["start_h"].min())
            length = int(rng.integers(2, 4))
            window = list(range(open_h + 1, open_h + 1 + length))
            cover = today[(today["start_h"] <= window[0]) & (today["end_h"] > window[-1])]
            need_h = [int(req.get((r.shop_id, day.day_of_week, h), MIN_ON_FLOOR)) for h in window]
            keep = max(1, min(need_h) // 2)
            late = cover.sort_values("position").index[keep:]   # the shift lead is there
            others = today.drop(cover.index)
            sh.loc[late, "in_h"] = window[-1] + 1 + rng.uniform(0.05, 0.4, len(late))
            for h, n in zip(window, need_h):
                on = keep + int(((others["in_h"] <= h + 0.5) & (others["out_h"] >= h + 0.5)).sum())
                if len(late) and on <= max(1, n // 2):   # well below what the orders needed
                    rows.append({"shop_id": int(r.shop_id), "date": day, "hour": h})
    return pd.DataFrame(rows, columns=["shop_id", "date", "hour"]).drop_duplicates()


def slowdown(world: World, shop_id: np.ndarray, local: pd.Series) -> np.ndarray:
    """Factor on production times: SLOWER in the planted understaffed store-hours, else 1."""
    under = plan(world)["hr_understaffed"]
    out = np.ones(len(shop_id))
    if under.empty:
        return out
    key = pd.MultiIndex.from_frame(under[["shop_id", "date", "hour"]])
    mine = pd.MultiIndex.from_arrays([np.asarray(shop_id), local.dt.normalize(), local.dt.hour.fillna(-1).astype(int)])
    out[mine.isin(key)] = SLOWER
    return out


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    p = plan(world)
    emp, sh = p["hr_employees"], p["hr_shifts"]
    created = to_dt(np.full(len(emp), pd.Timestamp(END).value / 1e9))
    yield DB, "t_employee", with_ids(pd.DataFrame({
        "tenant": TENANT, "employee_no": emp["employee_no"], "shop_id": emp["shop_id"].astype("int64"),
        "role": emp["role"], "hourly_wage": emp["hourly_wage"], "hire_date": emp["hire_date"].dt.date,
        "status": 1, "create_time": pd.to_datetime(emp["hire_date"]), "update_time": created}))
    published = sh["start_utc"] - pd.Timedelta(days=14)
    yield DB, "t_schedule_shift", with_ids(pd.DataFrame({
        "tenant": TENANT, "shift_no": sh["shift_no"], "employee_no": sh["employee_no"],
        "shop_id": sh["shop_id"].astype("int64"), "shift_date": sh["date"].dt.date, "role": sh["role"],
        "start_time": sh["start_utc"], "end_time": sh["end_utc"], "status": 1,
        "create_time": published, "update_time": published}))
    a = sh[sh["past"]]
    worked = ~a["no_show"]
    late = worked & (a["in_h"] > a["start_h"] + 5 / 60)
    yield DB, "t_attendance", with_ids(pd.DataFrame({
        "tenant": TENANT, "shift_no": a["shift_no"], "employee_no": a["employee_no"],
        "shop_id": a["shop_id"].astype("int64"),
        "clock_in_time": a["in_utc"].where(worked), "clock_out_time": a["out_utc"].where(worked),
        "attendance_status": np.select([~worked, late], [3, 2], 1).astype("int16"),
        "create_time": a["end_utc"], "update_time": a["end_utc"]}))
