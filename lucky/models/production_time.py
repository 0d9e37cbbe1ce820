"""Production time (Tool 12): the report's measure, per-item make times and recipe changes.

The report's figure (217.9 s) is the mean of done_time − accept_time over every ticket whose
done comes after its accept, long ones included. Tickets over `OUTLIER_S` (30 min) are data
errors or forgotten tickets: they are counted and shown apart (`outliers`) and a trimmed mean
without them stands beside the report's mean; nothing is dropped silently. Tickets done before
their accept (`done <= accept`) are impossible and counted as `invalid`.

An item's make time is its finish (`t_commodity.update_time`) minus the finish of the item made
before it on the same ticket (the accept for the first item): the ticket's time split per item.

Change detection (`changes`): per product, the log make time relative to the chain's median of
the same day (so machine wear and rush-hour mix common to all products cancel) is a series in
time; the single mean shift that best splits it (maximum two-sample t over day boundaries, the
least-squares changepoint) is tested with Welch's t-test at `alpha` / number of products, and
reported when the shift is at least `min_change` (a factor of 1.15 by default).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

OUTLIER_S = 1800.0
ALL = "ALL"
SUMMARY_COLS = ["n", "mean_s", "p50_s", "p95_s", "outliers", "mean_trimmed_s"]


def durations(tickets: pd.DataFrame) -> pd.Series:
    """done_time − accept_time in seconds (NaN when either is missing)."""
    return (pd.to_datetime(tickets["done_time"]) - pd.to_datetime(tickets["accept_time"])).dt.total_seconds()


def measured(tickets: pd.DataFrame) -> pd.DataFrame:
    """Tickets the report measures: accept and done set, done after accept; adds `seconds`."""
    d = durations(tickets)
    return tickets.assign(seconds=d)[d > 0]


def summary(values: pd.Series | np.ndarray) -> dict:
    """n, mean (long ones included), p50, p95, outliers (> 30 min), mean without the outliers.
    On the bare array (numpy's sum and linear quantiles, as pandas computes them): it runs once a
    product, store or machine, where a Series per group cost more than the figures."""
    v = np.asarray(values, dtype="float64")
    v = v[~np.isnan(v)]
    if not len(v):
        return {"n": 0, "mean_s": np.nan, "p50_s": np.nan, "p95_s": np.nan, "outliers": 0, "mean_trimmed_s": np.nan}
    short = v[v <= OUTLIER_S]
    p50, p95 = np.quantile(v, [0.5, 0.95])
    return {"n": int(len(v)), "mean_s": float(v.mean()), "p50_s": float(p50),
            "p95_s": float(p95), "outliers": int((v > OUTLIER_S).sum()),
            "mean_trimmed_s": float(short.mean()) if len(short) else np.nan}


def summarize(df: pd.DataFrame, by: str, value: str = "seconds", total: str | None = None) -> pd.DataFrame:
    """`summary` per value of `by`, slowest mean first; with `total`, a first row `by = total`
    over all rows (the chain)."""
    # group the one column, not the frame: splitting every column of half a million items
    # (text ones included) per product cost more than the statistics
    rows = [{by: key, **summary(g)} for key, g in df[value].groupby(df[by], sort=False)]
    out = pd.DataFrame(rows, columns=[by, *SUMMARY_COLS]).sort_values("mean_s", ascending=False)
    if total is not None:
        out = pd.concat([pd.DataFrame([{by: total, **summary(df[value])}]), out], ignore_index=True)
    return out.reset_index(drop=True)


def item_times(items: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """Per item of a measured ticket: make_s = its finish − the previous finish (accept first).

    `items`: id, production_id, spu_code, update_time; `tickets`: id, accept_time, done_time
    (+ any columns to carry, e.g. shop_id, device_no, local_time). Only tickets with done after
    accept are used (the report's measure)."""
    t = measured(tickets).rename(columns={"id": "production_id"})
    # sort the few item columns, then join (an inner merge keeps the left order): sorting after
    # the join moved every carried column; in ticket order the previous finish is one shift away
    it = items.sort_values(["production_id", "id"]).merge(t, on="production_id", how="inner")
    ticket = it["production_id"].to_numpy()
    first = np.ones(len(ticket), bool)               # each ticket's first item starts at the accept
    first[1:] = ticket[1:] != ticket[:-1]
    prev = it["update_time"].shift().mask(first)
    start = pd.to_datetime(prev.fillna(it["accept_time"]))
    it["make_s"] = (pd.to_datetime(it["update_time"]) - start).dt.total_seconds()
    return it


def changes(item: pd.DataFrame, alpha: float = 1e-4, min_change: float = 0.15,
            min_side: int = 30) -> pd.DataFrame:
    """Products whose make time shifted: spu_name, date (first day of the new level), factor
    (ratio of geometric means after/before, relative to the chain), n_before, n_after, p_value.

    `item`: spu_name, business_date, make_s (rows of `item_times` with local days), optionally
    hour (local) and n_items (items on the ticket) as controls."""
    cols = ["spu_name", "date", "factor", "n_before", "n_after", "p_value"]
    keep = (item["make_s"] > 0) & (item["make_s"] <= OUTLIER_S)
    x = item.loc[keep, [c for c in ("spu_name", "business_date", "make_s", "hour", "n_items") if c in item]]
    if x.empty:
        return pd.DataFrame(columns=cols)
    x["log_s"] = np.log(x["make_s"])
    x["rel"] = x["log_s"] - x.groupby("business_date")["log_s"].transform("median")
    controls = [c for c in ("hour", "n_items") if c in x]
    if controls:  # rush hour and ticket size, where given, explain part of the noise
        x["rel"] -= x.groupby(controls)["rel"].transform("mean")
    names = x["spu_name"].unique()
    rows = []
    x = x[["spu_name", "business_date", "rel"]].sort_values("business_date", kind="stable")
    for name, g in x.groupby(x["spu_name"].astype("category"), observed=True, sort=False):
        hit = _best_split(g, min_side)
        if hit is None:
            continue
        day, before, after = hit
        p = stats.ttest_ind(after, before, equal_var=False).pvalue
        factor = float(np.exp(after.mean() - before.mean()))
        if p < alpha / len(names) and abs(np.log(factor)) >= np.log1p(min_change):
            rows.append({"spu_name": name, "date": day, "factor": round(factor, 3),
                         "n_before": len(before), "n_after": len(after), "p_value": float(p)})
    return pd.DataFrame(rows, columns=cols).sort_values("factor", ascending=False).reset_index(drop=True)


def _best_split(g: pd.DataFrame, min_side: int):
    """(first day after the split, values before, values after) maximising the two-sample t of a
    mean shift at a day boundary (robust: values clipped to ±3 MAD); None when too short."""
    v = g["rel"].to_numpy()
    med = np.median(v)
    mad = 1.4826 * np.median(np.abs(v - med)) or v.std() or 1.0
    v = np.clip(v, med - 3 * mad, med + 3 * mad)
    days = g["business_date"].to_numpy()
    n = len(v)
    if n < 2 * min_side:
        return None
    bounds = np.flatnonzero(days[1:] != days[:-1]) + 1          # first index of each new day
    bounds = bounds[(bounds >= min_side) & (bounds <= n - min_side)]
    if not len(bounds):
        return None
    cs = np.cumsum(v)
    k = bounds
    m1, m2 = cs[k - 1] / k, (cs[-1] - cs[k - 1]) / (n - k)
    t = np.abs(m2 - m1) * np.sqrt(k * (n - k) / n)
    best = int(k[np.argmax(t)])
    return pd.Timestamp(days[best]), v[:best], v[best:]
