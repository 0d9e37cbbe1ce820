"""Generator step 'production': productions, commodities in production, receipts (luckyus_opproduction).

The making schedule (which orders were produced, on which machine, accept → done) is computed
once by `schedule(world)`; the 'iot' step calls it first because its cups share the same
timeline, and this step writes the production tables from it.

Calibration (issue 2, scale 1): t_production 502K, t_commodity 567K, cups 587K, and over
Feb 1–14 2026 (create_time >= 2026-02-01, accept/done set, done > accept) 36,696 productions
with mean accept→done 217.9 s and a maximum near 9,839 s. Durations are lognormal, slower in the
morning rush, for complex drinks (more recipe steps), for bigger orders and on degraded machines.

Planted: store-days whose productions carry impossible durations (done before accept, or a
ticket closed 2–2.7 hours late), recorded as anomalies with metric 'production_time'.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from lucky.demo.gen import make_times
from lucky.demo.world import END, TENANT, World
from lucky.models.timezones import to_local

DB = "luckyus_opproduction"
WINDOW_START = pd.Timestamp("2026-02-01")
N_PRODUCTION, N_COMMODITY, N_RECEIPTS = 502_000, 567_000, 2_000_000
WINDOW_VALID, WINDOW_MEAN, MAX_SECONDS = 36_696, 217.9, 9_839
N_ANOMALY_DAYS = 6
FOOD_WORDS = ("food", "bakery", "snack", "pastry", "sandwich", "dessert")
#: The end of the last business day in New York, in UTC seconds: decay and outages run up to it.
END_S = float((pd.Timestamp(END) + pd.Timedelta(hours=29)).value // 10**9)


# ------------------------------------------------------------------ shared helpers
def secs(ts) -> np.ndarray:
    """Naive datetimes → float seconds since the epoch (NaN for NaT)."""
    s = pd.to_datetime(pd.Series(ts))
    out = s.to_numpy(dtype="datetime64[s]").astype("int64").astype("float64")
    out[s.isna().to_numpy()] = np.nan
    return out


def to_dt(seconds: np.ndarray) -> pd.Series:
    """Float seconds since the epoch → naive datetime64 (NaT for NaN), whole seconds."""
    return pd.Series(pd.to_datetime(np.floor(seconds), unit="s"))


STR = pd.StringDtype("pyarrow", na_value=np.nan)


def text(values, index=None) -> pd.Series:
    """A string column built in Arrow (millions of rows in milliseconds); index -1 gives NULL."""
    arr = pa.array(values, type=pa.string(), from_pandas=True)
    if index is not None:
        index = np.asarray(index, dtype=np.int64)
        arr = arr.take(pa.array(index, mask=index < 0))
    return pd.Series(arr, dtype=STR)


def const(value: str, n: int) -> pd.Series:
    """A constant string column (the tenant) of n rows."""
    return pd.Series(pa.repeat(pa.scalar(value, pa.string()), n), dtype=STR)


def order_nos(world: World, pos: np.ndarray) -> pd.Series:
    """t_order.order_no of the orders at these positions of world.orders."""
    return text(world.orders["order_no"], pos)


def with_ids(frame: pd.DataFrame, start: int = 1) -> pd.DataFrame:
    """`frame` with its table's `id` column first, numbered from `start`."""
    frame.insert(0, "id", np.arange(start, start + len(frame), dtype="int64"))
    return frame


def shop_zones(world: World) -> pd.Series:
    """time_zone by shop id."""
    return world.shops.set_index("id")["time_zone"]


def drink_spus(world: World) -> set:
    """Products made as a cup at the bar: fresh-made (mode 0) and not food."""
    p = world.products
    cat = p.get("one_category_name", pd.Series("", index=p.index)).fillna("").str.lower()
    food = cat.str.contains("|".join(FOOD_WORDS))
    fresh = p["mode"].fillna(0).astype(int) == 0 if "mode" in p else True
    return set(p.loc[fresh & ~food, "spu_code"])


def active_recipes(world: World) -> pd.DataFrame:
    """t_formula_spu rows in force (status 1 when statuses are used), keyed by sku and spu."""
    r = world.recipes
    if "status" in r and (r["status"] == 1).any():
        r = r[r["status"] == 1]
    return r


def recipe_steps(world: World) -> pd.Series:
    """Recipe complexity: number of steps per sku_code (spu_code where the recipe has no sku)."""
    r = active_recipes(world)
    key = r["sku_code"].fillna(r["spu_code"]) if "sku_code" in r else r["spu_code"]
    step = r["step_no"] if "step_no" in r else pd.Series(1, index=r.index)
    return step.groupby(key).nunique()


# ------------------------------------------------------------------ the making schedule
def _order_features(world: World) -> pd.DataFrame:
    """Per order: number of drink cups, number of items, max recipe steps (complexity)."""
    orders, items = world.orders, world.items
    pos = pd.Index(orders["id"]).get_indexer(items["order_id"])
    keep = pos >= 0
    it = items[keep]
    pos = pos[keep]
    qty = it["quantity"].fillna(1).to_numpy(dtype="int64") if "quantity" in it else np.ones(len(it), "int64")
    drinks = it["spu_code"].isin(list(drink_spus(world))).to_numpy()
    steps = recipe_steps(world)
    st = it["sku_code"].map(steps).fillna(it["spu_code"].map(steps)).fillna(3).to_numpy()
    n = len(orders)
    return pd.DataFrame({
        "cups": np.bincount(pos, weights=qty * drinks, minlength=n),
        "units": np.bincount(pos, weights=qty, minlength=n),
        "steps": pd.Series(st).groupby(pos).max().reindex(range(n)).fillna(0).to_numpy(),
    })


def _select(world: World, rng: np.random.Generator) -> np.ndarray:
    """Positions of the orders that reached the bar, exactly n(502K) of them.

    Orders still paid for (completed, refunded, in progress) come first; orders created in the
    Feb window are kept before older ones; cancelled orders fill up (cancelled at the bar).
    """
    o = world.orders
    cancelled = (o["status"] == 0).to_numpy()
    in_window = (o["create_time"] >= WINDOW_START).to_numpy()
    rank = np.where(cancelled, 2, np.where(in_window, 0, 1)) + rng.random(len(o))
    n = min(world.n(N_PRODUCTION), len(o))
    return np.sort(np.argsort(rank, kind="stable")[:n])


def _assign_devices(world: World, shop_id: np.ndarray, t: np.ndarray, rng) -> np.ndarray:
    """Index into device_health of the machine making each order (-1: no machine at the shop).

    Orders go to a random coffee machine of the shop; a machine that is offline, not yet
    installed or degraded (availability below 1) hands the order on to another one.
    """
    h = world.frames["device_health"]
    h = h[h["makes_cups"]].reset_index()
    by_shop = h.groupby("shop_id")["index"]
    first = by_shop.min()
    count = by_shop.size()
    start = pd.Series(shop_id).map(first).fillna(-1).to_numpy(dtype="int64")
    cnt = pd.Series(shop_id).map(count).fillna(0).to_numpy(dtype="int64")
    dev = np.where(cnt > 0, start + (rng.random(len(t)) * np.maximum(cnt, 1)).astype("int64"), -1)
    health = world.frames["device_health"]
    from lucky.demo.gen.iot_status import down  # (it imports this module's helpers)
    onset, floor_, off, inst = (health[c].to_numpy() for c in ("onset_s", "floor", "off_s", "install_s"))
    pending = dev >= 0
    for _ in range(8):  # an order handed on is offered to another machine, which may pass too
        d = np.where(pending, dev, 0)
        on = np.minimum(onset[d], END_S)
        avail = np.clip(1 - (1 - floor_[d]) * (0.7 + 0.3 * (t - on) / np.maximum(END_S - on, 1)), floor_[d], 1)
        avail = np.where(t < on, 1.0, avail)
        avail = np.where((t >= off[d]) | (t < inst[d]) | down(world, d, t), 0.0, avail)
        bad = pending & (rng.random(len(t)) > avail)
        if not bad.any():
            break
        dev[bad] = start[bad] + (rng.random(bad.sum()) * cnt[bad]).astype("int64")
        pending = bad
    ok = dev >= 0
    d = np.where(ok, dev, 0)
    still = ok & ((t >= off[d]) | (t < inst[d]) | down(world, d, t))
    dev[still] = start[still]  # the shop's first machine is never retired or degraded
    return dev


def _durations(feat: pd.DataFrame, local_hour: np.ndarray, slow: np.ndarray, rng) -> np.ndarray:
    """Unscaled accept→done seconds: lognormal around a base set by rush hour, steps, cups."""
    rush = np.select([(local_hour >= 7) & (local_hour < 10), local_hour == 10,
                      (local_hour >= 12) & (local_hour < 14)], [1.35, 1.15, 1.12], 1.0)
    steps = feat["steps"].to_numpy()
    mean_steps = steps[steps > 0].mean() if (steps > 0).any() else 3.0
    complexity = np.clip(1 + 0.09 * (steps - mean_steps), 0.75, 1.6)
    size = 1 + 0.28 * np.clip(feat["units"].to_numpy() - 1, 0, 6)
    base = 150 * rush * complexity * size * slow
    dur = base * np.exp(rng.normal(-0.1, 0.45, len(base)))
    stray = rng.random(len(base))
    dur = np.where(stray < 0.002, dur + rng.uniform(300, 900, len(base)), dur)  # forgotten tickets
    dur = np.where(stray < 0.0001, dur + rng.uniform(900, 1800, len(base)), dur)
    return np.maximum(dur, 25)


def _plant_anomalies(world: World, p: pd.DataFrame, dur: np.ndarray, rng) -> np.ndarray:
    """Pick store-days and give part of their productions impossible durations.

    Half the days get tickets done before they were accepted (a POS clock jumping back), the
    other half tickets left open for 2–2.7 hours; the longest is MAX_SECONDS. Returns the mask.
    """
    done = p["done_ok"].to_numpy()
    key = p.loc[done, ["shop_id", "local_date"]]
    size = key.value_counts()
    size = size[size >= 3]
    pool = list(size.sample(frac=1, random_state=rng.integers(1 << 31)).index[:N_ANOMALY_DAYS])
    recent = [k for k in size.index if pd.Timestamp(k[1]) >= WINDOW_START and k not in pool]
    if len(pool) > 1 and recent:  # one long-ticket day inside the Feb window the report measured
        pool[1] = recent[int(rng.integers(len(recent)))]
    mask = np.zeros(len(p), bool)
    shop_col, day_col = p["shop_id"].to_numpy(), p["local_date"].to_numpy()
    for k, (shop, day) in enumerate(pool):
        rows = np.flatnonzero((shop_col == shop) & (day_col == day) & done)
        take = rng.choice(rows, max(2, int(len(rows) * rng.uniform(0.25, 0.45))), replace=False)
        mask[take] = True
        if k % 2 == 0:
            dur[take] = -rng.uniform(120, 5400, len(take))
        else:
            dur[take] = rng.uniform(7300, MAX_SECONDS - 1, len(take))
        world.truth["anomalies"].append({"shop_id": int(shop), "date": pd.Timestamp(day).strftime("%Y-%m-%d"),
                                         "metric": "production_time"})
    long_rows = np.flatnonzero(mask & (dur > 0) & (p["create_s"].to_numpy() >= WINDOW_START.value / 1e9))
    if not len(long_rows):
        long_rows = np.flatnonzero(mask & (dur > 0))
    if len(long_rows):
        dur[long_rows[np.argmax(dur[long_rows])]] = MAX_SECONDS
    return mask


def schedule(world: World) -> pd.DataFrame:
    """The productions (one per order made) with their timeline; cached on world.frames."""
    if "productions" in world.frames:
        return world.frames["productions"]
    rng = world.rng("production")
    o = world.orders
    feat_all = _order_features(world)
    pick = _select(world, rng)
    po = o.iloc[pick].reset_index(drop=True)
    feat = feat_all.iloc[pick].reset_index(drop=True)
    pay = po["pay_time"].fillna(po["create_time"]) if "pay_time" in po else po["create_time"]
    create = secs(pay) + rng.integers(1, 4, len(po))
    shop = po["shop_id"].to_numpy()
    zones = po["shop_id"].map(shop_zones(world))
    local = to_local(to_dt(create), zones)
    local_hour = local.dt.hour.fillna(12).to_numpy()
    dev = _assign_devices(world, shop, create, rng)
    dev[feat["cups"].to_numpy() == 0] = -1  # food only: warmed in an oven that is not connected
    health = world.frames["device_health"]
    slow_dev = np.where(dev >= 0, health["slow"].to_numpy()[np.maximum(dev, 0)], 1.0)
    onset = np.where(dev >= 0, health["onset_s"].to_numpy()[np.maximum(dev, 0)], np.inf)
    onset = np.minimum(onset, END_S)
    frac = np.clip((create - onset) / np.maximum(END_S - onset, 1), 0, 1)
    slow = 1 + (slow_dev - 1) * frac
    from lucky.demo.gen.staffing import slowdown  # short-staffed hours make drinks slower
    dur = _durations(feat, local_hour, slow * slowdown(world, shop, local), rng)
    dur = dur * make_times.ticket_factor(world, pick, create)  # slowed recipes (issue 15)
    status = po["status"].to_numpy()
    accept = create + rng.exponential(12, len(po)) + 2
    p = pd.DataFrame({"order_pos": pick, "shop_id": shop,
                      "local_date": po["local_date"].to_numpy(), "create_s": create,
                      "device": dev, "cups": feat["cups"].to_numpy().astype("int64"),
                      "units": feat["units"].to_numpy().astype("int64"), "slow": slow})
    p["done_ok"] = np.isin(status, (90, 70))
    p["status"] = np.select([p["done_ok"], status == 0, status == 10], [3, 4, 1], 2)
    p["true_dur"] = dur.copy()  # the cups keep the true making time: the machines' clocks are right
    anomalous = _plant_anomalies(world, p, dur, rng)
    in_window = create >= WINDOW_START.value / 1e9
    valid = p["done_ok"].to_numpy() & (dur > 0)
    accept_ok = p["status"].to_numpy() != 1  # waiting tickets have no accept yet
    accept_ok, f = _calibrate_window(world, dur, valid & in_window, anomalous, accept_ok, rng)
    normal = ~anomalous
    dur = np.where(normal, dur * f, dur)
    p["true_dur"] = np.where(normal, p["true_dur"] * f, p["true_dur"])
    p["accept_s"] = np.where(accept_ok, accept, np.nan)
    p["done_s"] = np.where(p["done_ok"], accept + dur, np.nan)
    p["anomalous"] = anomalous
    world.frames["productions"] = p
    return p


def _calibrate_window(world: World, dur: np.ndarray, valid_w: np.ndarray, anomalous: np.ndarray,
                      accept_ok: np.ndarray, rng) -> tuple[np.ndarray, float]:
    """Hit the Feb 1–14 count and mean: surplus valid tickets lose their accept stamp
    (accepted on a handheld that never synced), then one factor scales the normal durations."""
    target = world.n(WINDOW_VALID)
    cand = np.flatnonzero(valid_w & ~anomalous & accept_ok)
    surplus = int((valid_w & accept_ok).sum()) - target
    accept_ok = accept_ok.copy()
    if surplus > 0:
        accept_ok[rng.choice(cand, min(surplus, len(cand)), replace=False)] = False
    valid_w = valid_w & accept_ok
    s_norm = dur[valid_w & ~anomalous].sum()
    need = WINDOW_MEAN * valid_w.sum() - dur[valid_w & anomalous].sum()
    return accept_ok, (float(need / s_norm) if s_norm > 0 and need > 0 else 1.0)


# ------------------------------------------------------------------ the tables
def _production_table(world: World, p: pd.DataFrame) -> pd.DataFrame:
    devices = world.frames["device_health"]["device_no"]
    dev = p["device"].to_numpy()
    create = to_dt(p["create_s"].to_numpy())
    done = to_dt(p["done_s"].to_numpy())
    return with_ids(pd.DataFrame({
        "tenant": const(TENANT, len(p)), "order_no": order_nos(world, p["order_pos"].to_numpy()),
        "shop_id": p["shop_id"].to_numpy(), "device_no": text(devices, dev), "status": p["status"].to_numpy(),
        "accept_time": to_dt(p["accept_s"].to_numpy()), "done_time": done,
        "cup_count": p["cups"].to_numpy(), "create_time": create,
        "update_time": done.fillna(create)}))


def commodities(world: World, p: pd.DataFrame, rng) -> pd.DataFrame:
    """One row per item of a produced order (items of 2+ cups split per cup when short of n)."""
    items = world.items
    prod_of_order = pd.Series(np.arange(len(p)), index=p["order_pos"].to_numpy())
    pos = pd.Index(world.orders["id"]).get_indexer(items["order_id"])
    prod = prod_of_order.reindex(pos).to_numpy()
    keep = ~np.isnan(prod)
    it = items[keep].reset_index(drop=True)
    prod = prod[keep].astype("int64")
    qty = it["quantity"].fillna(1).to_numpy(dtype="int64") if "quantity" in it else np.ones(len(it), "int64")
    target = world.n(N_COMMODITY)
    reps = np.ones(len(it), "int64")
    multi = np.flatnonzero(qty > 1)
    short = target - len(it)
    if short > 0 and len(multi):
        split = rng.choice(multi, min(short, len(multi)), replace=False)
        reps[split] = qty[split]
    idx = np.repeat(np.arange(len(it)), reps)
    q = np.where(reps[idx] > 1, 1, qty[idx])
    if len(idx) > target:  # pre-packaged items picked from the shelf never reach the bar
        drinks = it["spu_code"].isin(list(drink_spus(world))).to_numpy()[idx]
        order = np.argsort(drinks + rng.random(len(idx)), kind="stable")
        keep_rows = np.sort(order[len(idx) - target:])
        idx, q = idx[keep_rows], q[keep_rows]
    pr = prod[idx]
    name_col = "spu_name" if "spu_name" in it else "spu_code"
    create = to_dt(p["create_s"].to_numpy()[pr])
    return make_times.stamp(world, with_ids(pd.DataFrame({
        "tenant": const(TENANT, len(idx)), "production_id": pr + 1,
        "order_no": order_nos(world, p["order_pos"].to_numpy()[pr]),
        "spu_code": text(it["spu_code"], idx), "sku_code": text(it["sku_code"], idx),
        "commodity_name": text(it[name_col], idx), "quantity": q,
        "status": p["status"].to_numpy()[pr], "create_time": create, "update_time": create})), p)


def receipts(world: World, p: pd.DataFrame, rng) -> pd.DataFrame:
    """t_print_receipt at bulk size: order tickets, cup labels and reprints of productions."""
    n = world.n_bulk(N_RECEIPTS)
    w = p["units"].to_numpy() + 1.0
    pr = np.sort(rng.choice(len(p), n, p=w / w.sum()))
    kind = rng.choice([1, 2, 3], n, p=[0.3, 0.64, 0.06])
    t = p["create_s"].to_numpy()[pr] + rng.integers(1, 30, n)
    printed = np.where(rng.random(n) < 0.985, 1, 2)
    create = to_dt(t)
    return with_ids(pd.DataFrame({
        "tenant": const(TENANT, n), "order_no": order_nos(world, p["order_pos"].to_numpy()[pr]),
        "shop_id": p["shop_id"].to_numpy()[pr], "receipt_type": kind, "print_status": printed,
        "create_time": create, "update_time": create}))


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    if "device_health" not in world.frames:
        raise RuntimeError("step 'production' needs the devices of step 'iot'")
    rng = world.rng("production.tables")
    p = schedule(world)
    yield DB, "t_production", _production_table(world, p)
    yield DB, "t_commodity", commodities(world, p, rng)
    yield DB, "t_print_receipt", receipts(world, p, rng)
    del world.frames["productions"]  # the schedule is written out; later steps do not need it
