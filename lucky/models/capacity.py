"""Capacity math: linear growth trend, 30/60/90-day projections, days until a limit, right-sizing.

Pure functions on numbers and DataFrames. The trend is an ordinary least-squares line over the
window (what Prometheus' predict_linear does), so one noisy sample does not swing it the way a
first-to-last difference would; days until full = (limit - current) / slope, as in the anchors.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

HORIZONS = (30, 60, 90)


def slope_per_day(days: np.ndarray, values: np.ndarray) -> float | None:
    """OLS slope in units per day; None with fewer than two distinct times."""
    days, values = np.asarray(days, float), np.asarray(values, float)
    ok = ~np.isnan(values)
    days, values = days[ok], values[ok]
    if len(np.unique(days)) < 2:
        return None
    d = days - days.mean()
    return float((d * (values - values.mean())).sum() / (d * d).sum())


def days_until(current: float, slope: float | None, limit: float | None) -> float | None:
    """Days until `current` reaches `limit` at `slope` per day; 0 if already there, None if never."""
    if limit is None or (isinstance(limit, float) and math.isnan(limit)):
        return None
    if current >= limit:
        return 0.0
    if slope is None or slope <= 0:
        return None
    return (limit - current) / slope


def project(history: pd.DataFrame, keys: list[str], value: str, limit: str | None = None,
            horizons: tuple[int, ...] = HORIZONS) -> pd.DataFrame:
    """Per key: current value, slope/day, weekly growth %, projections and days until the limit.

    `history` has the key columns, `at` (datetime) and `value`; `limit` names an optional
    column holding the ceiling (disk size, maxmemory, AUTO_INCREMENT type max).
    """
    cols = keys + ["current", "slope_per_day", "growth_pct_week"] + [f"in_{h}d" for h in horizons] + [
        "limit", "days_until_limit", "samples"]
    if history.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for key, g in history.sort_values("at").groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        t = (g["at"] - g["at"].iloc[0]).dt.total_seconds().to_numpy() / 86400
        v = g[value].to_numpy(float)
        current = float(v[-1])
        slope = slope_per_day(t, v)
        lim = float(g[limit].iloc[-1]) if limit and pd.notna(g[limit].iloc[-1]) else None
        rows.append((*key, current, slope,
                     100 * 7 * slope / current if slope is not None and current > 0 else None,
                     *[current + slope * h if slope is not None else None for h in horizons],
                     lim, days_until(current, slope, lim), len(g)))
    return pd.DataFrame(rows, columns=cols)


def right_size(peak: float, maxmemory: float, target: float = 0.70, low: float = 0.40,
               high: float = 0.85) -> dict:
    """Redis right-sizing from peak used memory against maxmemory (0 = unlimited).

    Size so the observed peak sits at `target` utilisation: below `low` the instance is
    over-provisioned (saving shown), above `high` it is under-provisioned.
    """
    recommended = peak / target
    if maxmemory <= 0:
        return {"verdict": "no limit", "peak_pct": None, "recommended_bytes": recommended,
                "change_pct": None,
                "advice": "maxmemory is 0 (unlimited): set it, so the instance evicts or refuses "
                          "writes instead of being killed by the OS; "
                          f"{recommended / 2**20:,.0f} MiB keeps the peak at {target:.0%}."}
    util = peak / maxmemory
    change = 100 * (recommended - maxmemory) / maxmemory
    if util < low:
        verdict, advice = "over-provisioned", f"peak uses {util:.0%}: shrink to " \
            f"{recommended / 2**20:,.0f} MiB ({-change:.0f}% less memory)"
    elif util > high:
        verdict, advice = "under-provisioned", f"peak uses {util:.0%}: grow to " \
            f"{recommended / 2**20:,.0f} MiB ({change:.0f}% more) before it evicts or refuses writes"
    else:
        verdict, advice = "right-sized", f"peak uses {util:.0%} of maxmemory"
    return {"verdict": verdict, "peak_pct": 100 * util, "recommended_bytes": recommended,
            "change_pct": change, "advice": advice}
