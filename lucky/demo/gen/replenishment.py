"""Generator step 'replenishment': demand and order-count predictions (luckyus_ireplenishment).

wh_goods_daily_demand_pred: a daily run (predict_run_date) forecasts each stocked shop × goods
for the next H days (H from 7 up, chosen so the table holds n(2.5M) rows; runs up to the as-of
date, so forecasts reach 7+ days past 2026-02-14). The forecast blends a trailing same-weekday
mean of actual sale consumption (the stock step's type-1 changes) with the day's own demand
signal, times lognormal noise that grows with lead time: WAPE ≈ 10–20%, better than seasonal
naive. t_order_predict_alg_v2: the same for completed orders per shop, store-local day and hour
(6:00–21:00), n(124K) rows.

Planted: forecast bias. Some shop × goods series are over- or under-predicted by 25–45% on every
run. Truth: forecast.biased = [[shop_id, goods_code]], forecast.bias_factor = [[shop_id,
goods_code, factor]].
Planted: a model-version change (lstm-v3.2 → lstm-v3.3) on 2025-12-01, or mid-way through the
kept lead-1 runs when the table is too small to hold two weeks of them on each side. From that run
day on, every error against the actual is scaled by 0.55 (better) or 1.7 (worse), at random per
seed. Truth: forecast.version_effect = {from, to, date, wape_change}: the lead-1 WAPE of the
VERSION_WINDOW run days from the change minus that of the window before (a fraction).
Dates (pred_date, predict_run_date) and pred_hour are store-local.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

from lucky.demo.gen.production import const, text, with_ids
from lucky.demo.world import END, START, TENANT, World
from lucky.models.timezones import to_local

DB = "luckyus_ireplenishment"
N_DEMAND, N_ORDER_PRED = 2_500_000, 124_000
OUTLOOK = 7
CHUNK = 500_000
VERSIONS, VERSION_DAY, VERSION_WINDOW = ("lstm-v3.2", "lstm-v3.3"), np.datetime64("2025-12-01"), 28
HOURS = np.arange(6, 22)


def _baseline(A: np.ndarray, weeks_back: int) -> np.ndarray:
    """Mean of the same weekday over 4 weeks, starting `weeks_back` weeks before each day (NaN-aware)."""
    stack = []
    for j in range(4):
        s = 7 * (weeks_back + j)
        shifted = np.full(A.shape, np.nan)
        if s < A.shape[-1]:
            shifted[..., s:] = A[..., : A.shape[-1] - s]
        stack.append(shifted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN before a series opens
        return np.nanmean(np.stack(stack), axis=0)


def _forecast(A: np.ndarray, open_day: np.ndarray, H: int, rng, bias: np.ndarray) -> tuple:
    """Rows (pair, run day, lead, prediction) for every run day from opening to the last actual day.

    A holds actuals with NaN for future days; it has H extra columns past the last actual day.
    """
    n_days = A.shape[1] - H
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        avg = np.nan_to_num(np.nanmean(np.where(np.arange(A.shape[1])[None, :] < n_days, A, np.nan), axis=1))
    base = {k: _baseline(A, k) for k in range(1, (H + 6) // 7 + 1)}
    pairs, runs, leads, preds = [], [], [], []
    for lead in range(1, H + 1):
        b = base[(lead + 6) // 7]
        run = np.arange(n_days)
        target = run + lead
        p_idx, r_idx = np.nonzero(run[None, :] >= open_day[:, None])
        t_idx = target[r_idx]
        bl = b[p_idx, t_idx]
        bl = np.where(np.isnan(bl), avg[p_idx], bl)
        actual = A[p_idx, t_idx]
        signal = np.where(np.isnan(actual), bl, 0.5 * bl + 0.5 * actual)
        noise = rng.lognormal(0, 0.06 + 0.012 * lead, len(p_idx))
        pairs.append(p_idx), runs.append(r_idx), leads.append(np.full(len(p_idx), lead))
        preds.append(signal * noise * bias[p_idx])
    return tuple(np.concatenate(x) for x in (pairs, runs, leads, preds))


def _trim(n_target: int, lead: np.ndarray, target_day: np.ndarray, n_days: int) -> np.ndarray:
    """Rows to keep, n_target of them: the last run's OUTLOOK days always; then every run for as
    many leads as fit whole; then the next lead for the newest target days (a horizon that was
    extended later); past that, lead 1 for the newest days."""
    n = len(lead)
    outlook = (target_day >= n_days) & (lead <= OUTLOOK)
    n_target = max(n_target, int(outlook.sum()))  # tiny scales: the outlook wins over the count
    if n <= n_target:
        return np.arange(n)
    big = 1e9
    h_whole = n_target // max(int((lead == 1).sum()), 1)
    rest = big - lead * (n_days + 100) + target_day
    score = np.where(outlook, 4 * big, np.where(lead <= h_whole, 2 * big + target_day, rest))
    return np.sort(np.argpartition(-score, n_target - 1)[:n_target])


def demand(world: World, rng) -> pd.DataFrame:
    sd = world.frames["stock_daily"]
    sold = sd.groupby(["shop_id", "goods_code"])["consumption"].transform("sum") > 0
    sd = sd[sold]  # supplies issued by stocktake have no sales to forecast
    days = pd.date_range(START, END, freq="D")
    pairs = sd[["shop_id", "goods_code"]].drop_duplicates().sort_values(["shop_id", "goods_code"])
    pairs = pairs.reset_index(drop=True)
    pi = pd.MultiIndex.from_frame(pairs).get_indexer(pd.MultiIndex.from_frame(sd[["shop_id", "goods_code"]]))
    di = days.get_indexer(pd.to_datetime(sd["business_date"]))
    runs_total = len(sd)
    H = int(np.clip(np.ceil(world.n(N_DEMAND) / max(runs_total, 1)), OUTLOOK, 28))
    A = np.full((len(pairs), len(days) + H), np.nan)
    A[pi, di] = sd["consumption"].to_numpy()
    open_day = pd.Series(di).groupby(pi).min().reindex(range(len(pairs))).to_numpy()
    bias = np.ones(len(pairs))
    recent = A[:, len(days) - 28: len(days)]
    vol = np.nan_to_num(np.nansum(recent, axis=1))  # recent volume
    steady = (np.nan_to_num(recent) > 0).mean(axis=1) >= 0.75  # sold on most days, not in lumps
    big = vol >= np.quantile(vol[vol > 0], 0.5)  # series big enough to matter
    cand = np.flatnonzero(big & steady) if (big & steady).sum() >= 2 else np.flatnonzero(big)
    n_b = min(len(cand), max(2, int(round(0.03 * len(pairs)))))
    pick = rng.choice(cand, n_b, replace=False)
    bias[pick] = np.where(rng.random(n_b) < 0.5, rng.uniform(1.25, 1.45, n_b), rng.uniform(0.6, 0.75, n_b))
    world.truth["forecast"]["biased"] = sorted([int(s), str(g)] for s, g in pairs.iloc[pick].itertuples(index=False))
    world.truth["forecast"]["bias_factor"] = sorted([int(s), str(g), round(float(f), 4)] for (s, g), f
                                                    in zip(pairs.iloc[pick].itertuples(index=False), bias[pick]))
    p, r, lead, pred = _forecast(A, open_day, H, rng, bias)
    keep = _trim(world.n(N_DEMAND), lead, r + lead, len(days))
    p, r, lead, pred = p[keep], r[keep], lead[keep], pred[keep]
    all_days = pd.date_range(START, periods=len(days) + H, freq="D").values
    run_day = all_days[r]
    ct = pd.Series(run_day + np.timedelta64(8, "h"))  # the nightly run, 3 a.m. in New York
    pred, version = _version_change(world, rng, A[p, r + lead], lead, pred, bias[p], run_day)
    return with_ids(pd.DataFrame({
        "tenant": const(TENANT, len(p)), "shop_id": pairs["shop_id"].to_numpy()[p],
        "goods_code": text(pairs["goods_code"], p), "pred_date": all_days[r + lead], "predict_run_date": run_day,
        "pred_qty": np.round(pred, 4), "model_version": text(list(VERSIONS), version),
        "create_time": ct, "update_time": ct}))


def _version_change(world: World, rng, actual: np.ndarray, lead: np.ndarray, pred: np.ndarray,
                    bias: np.ndarray, run_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predictions after the planted version change and each row's version (0 old, 1 new).

    `actual` is each row's target-day actual (NaN past the as-of date), `bias` its series factor:
    the new version scales the unbiased error, so the bias stays what it was.
    """
    has = ~np.isnan(actual)
    runs = np.unique(run_day[(lead == 1) & has])
    day = VERSION_DAY
    if len(runs) and ((runs < day).sum() < 14 or (runs >= day).sum() < 14):
        day = runs[len(runs) // 2]
    after = run_day >= day
    k = 0.55 if rng.random() < 0.5 else 1.7
    a = np.nan_to_num(actual)
    new = np.maximum(a + k * (pred / bias - a), 0) * bias
    pred = np.where(after & has, new, pred)
    rel = (run_day - day).astype("timedelta64[D]").astype("int64")
    err = np.abs(pred - a)

    def wape(m: np.ndarray) -> float:
        return float(err[m].sum() / max(a[m].sum(), 1e-9))

    one = (lead == 1) & has
    change = wape(one & (rel >= 0) & (rel < VERSION_WINDOW)) - wape(one & (rel < 0) & (rel >= -VERSION_WINDOW))
    world.truth["forecast"]["version_effect"] = {
        "from": VERSIONS[0], "to": VERSIONS[1], "date": str(pd.Timestamp(day).date()), "wape_change": round(change, 4)}
    return pred, after.astype("int64")


def orders_hourly(world: World) -> tuple[pd.DataFrame, np.ndarray, pd.DatetimeIndex]:
    """Completed orders per shop × store-local day × hour (6–21): a (shops, days, hours) cube."""
    o = world.orders
    o = o[o["status"] == 90]
    zones = world.shops.set_index("id")["time_zone"]
    hour = to_local(o["create_time"], o["shop_id"].map(zones)).dt.hour.to_numpy()
    days = pd.date_range(START, END, freq="D")
    shops = np.sort(o["shop_id"].unique())
    si = np.searchsorted(shops, o["shop_id"].to_numpy())
    di = days.get_indexer(pd.to_datetime(o["local_date"]))
    hi = np.searchsorted(HOURS, hour)
    ok = (di >= 0) & np.isin(hour, HOURS)
    cube = np.zeros((len(shops), len(days), len(HOURS)))
    np.add.at(cube, (si[ok], di[ok], hi[ok]), 1)
    return pd.DataFrame({"shop_id": shops}), cube, days


def order_predictions(world: World, rng) -> pd.DataFrame:
    shops, cube, days = orders_hourly(world)
    n_s, n_d, n_h = cube.shape
    open_day = np.argmax(cube.sum(axis=2) > 0, axis=1)
    rows = int(sum(n_d - open_day)) * n_h
    H = int(np.clip(np.ceil(world.n(N_ORDER_PRED) / max(rows, 1)), OUTLOOK, 14))
    # series = shop × hour, days along the last axis
    A = np.full((n_s * n_h, n_d + H), np.nan)
    A[:, :n_d] = cube.transpose(0, 2, 1).reshape(n_s * n_h, n_d)
    A[:, :n_d][np.repeat(np.arange(n_d)[None, :] < open_day[:, None], n_h, axis=0)] = np.nan
    p, r, lead, pred = _forecast(A, np.repeat(open_day, n_h), H, rng, np.ones(n_s * n_h))
    keep = _trim(world.n(N_ORDER_PRED), lead, r + lead, n_d)
    p, r, lead, pred = p[keep], r[keep], lead[keep], pred[keep]
    all_days = pd.date_range(START, periods=n_d + H, freq="D").values
    cnt = np.maximum(np.round(pred), 0).astype("int64")
    cups_per_order = 1.12
    ct = pd.Series(all_days[r] + np.timedelta64(8, "h"))
    return with_ids(pd.DataFrame({
        "tenant": TENANT, "shop_id": shops["shop_id"].to_numpy()[p // n_h], "pred_date": all_days[r + lead],
        "pred_hour": HOURS[p % n_h].astype("int16"), "pred_order_cnt": cnt,
        "pred_cup_cnt": np.round(cnt * cups_per_order * rng.uniform(0.95, 1.05, len(cnt))).astype("int64"),
        "model_version": np.where(all_days[r] >= np.datetime64("2025-12-01"), "order-v2.4", "order-v2.3"),
        "create_time": ct, "update_time": ct}))


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    if "stock_daily" not in world.frames:
        raise RuntimeError("step 'replenishment' needs the consumption of step 'stock'")
    rng = world.rng("replenishment")
    pred = demand(world, rng)
    for lo in range(0, max(len(pred), 1), CHUNK):  # smaller pieces for the loader's copies
        yield DB, "wh_goods_daily_demand_pred", pred.iloc[lo:lo + CHUNK].reset_index(drop=True)
    yield DB, "t_order_predict_alg_v2", order_predictions(world, rng)
