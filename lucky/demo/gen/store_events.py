"""Generator step 'store_events': when each store actually opened and closed (luckyus_opshop).

The POS day of a Luckin store is opened and closed by the shift lead; `t_shop_business_record`
keeps those OPEN/CLOSE events (UTC) against the published hours of `t_shop_opening_time` (kept on
world.frames by step 'misc'). Stores open a few minutes early, always before the day's first
order, and close after the last one.

Planted: late opens — on a few days per store (at least two weeks after its first day, on days
whose first order came well after the published opening) the store opened 15–90 minutes late,
still before its first order. Truth: `stores.late_open` [{shop_id, date (store-local), minutes}].
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from lucky.demo.gen.production import with_ids
from lucky.demo.gen.staffing import _utc
from lucky.demo.world import END, TENANT, World
from lucky.models.timezones import to_local

DB = "luckyus_opshop"
LATE_PER_STORE = 4


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("store_events")
    ot = world.frames.get("opening_time")
    shops = world.shops
    real = shops.loc[(shops.get("test_flag", 0) != 1) & (shops.get("internal", 0) != 1), "id"]
    o = world.orders
    o = o[o["shop_id"].isin(real)]
    zones = shops.set_index("id")["time_zone"]
    local = to_local(pd.to_datetime(o["create_time"]), o["shop_id"].map(zones))
    day = pd.DataFrame({"shop_id": o["shop_id"].to_numpy(), "date": local.dt.normalize(), "t": local})
    day = day[day["date"].notna()].groupby(["shop_id", "date"])["t"].agg(first="min", last="max").reset_index()
    if ot is None or day.empty:
        return  # (generate.py yields the table empty)
    ot = ot.assign(date=pd.to_datetime(ot["business_date"]).dt.normalize())
    ot = ot[(ot["status"] == 1) & ot["shop_id"].isin(day["shop_id"].unique())]
    ot = ot[ot["date"] <= pd.Timestamp(END)]
    first_day = day.groupby("shop_id")["date"].min()
    ot = ot[ot["date"] >= ot["shop_id"].map(first_day)]
    d = ot[["shop_id", "date", "open_time", "close_time"]].merge(day, on=["shop_id", "date"], how="left")
    d = d.sort_values(["shop_id", "date"]).reset_index(drop=True)
    open_s = d["date"] + pd.to_timedelta(d["open_time"].str.slice(0, 2).astype(int), unit="h")
    close_s = d["date"] + pd.to_timedelta(d["close_time"].str.slice(0, 2).astype(int), unit="h")
    d["first"] = d["first"].fillna(close_s)   # a day without orders: open and close on time
    d["last"] = d["last"].fillna(open_s)
    early = pd.to_timedelta(rng.uniform(3, 15, len(d)), unit="m")
    opened = (open_s - early).where(open_s - early < d["first"], d["first"] - pd.Timedelta(minutes=1))
    closed = (close_s + pd.to_timedelta(rng.uniform(2, 15, len(d)), unit="m"))
    closed = closed.where(closed > d["last"], d["last"] + pd.Timedelta(minutes=2))
    gap = (d["first"] - open_s).dt.total_seconds() / 60
    first_day = d.groupby("shop_id")["date"].transform("min")
    ok = (gap >= 35) & (d["date"] >= first_day + pd.Timedelta(days=14))
    late_rows = []
    for _shop, idx in d[ok].groupby("shop_id").groups.items():
        pick = rng.choice(np.asarray(idx), min(LATE_PER_STORE, len(idx)), replace=False)
        late_rows.extend(pick.tolist())
    late = np.asarray(sorted(late_rows), int)
    minutes = np.round(rng.uniform(15, np.minimum(90, gap.to_numpy()[late] - 5))) if len(late) else np.array([])
    opened.iloc[late] = open_s.iloc[late] + pd.to_timedelta(minutes, unit="m")
    world.truth["stores"]["late_open"] = [
        {"shop_id": int(d.at[i, "shop_id"]), "date": d.at[i, "date"].strftime("%Y-%m-%d"), "minutes": int(m)}
        for i, m in zip(late, minutes)]
    z = d["shop_id"].map(zones)
    n = len(d)
    ev = pd.DataFrame({
        "tenant": TENANT, "shop_id": np.r_[d["shop_id"], d["shop_id"]].astype("int64"),
        "business_date": np.r_[d["date"].dt.date, d["date"].dt.date],
        "event_type": np.r_[np.full(n, "OPEN", object), np.full(n, "CLOSE", object)],
        "event_time": pd.concat([_utc(opened.dt.floor("s"), z), _utc(closed.dt.floor("s"), z)], ignore_index=True),
        "operator_no": [f"E{int(s):04d}00{1 + (k % 3)}" for k, s in enumerate(np.r_[d["shop_id"], d["shop_id"]])]})
    ev["create_time"] = ev["event_time"]
    ev["update_time"] = ev["event_time"]
    ev = ev.sort_values(["event_time"], kind="stable").reset_index(drop=True)
    yield DB, "t_shop_business_record", with_ids(ev)
