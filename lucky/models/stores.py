"""Store comparison (Tool 13): the chain's opening ramp, age-normalised index, trend test, lights.

A store in its third week is compared with what stores did in their third week: the ramp is the
median, across stores, of mean daily orders in each week of age (days since the store's first
order). A store's index is its orders over the ramp's expectation at its ages; the trend is an OLS
slope of its weekly index over the last weeks with its p-value (scipy.stats.linregress).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

TREND_WEEKS = 8
TREND_ALPHA = 0.05


def ramp(daily: pd.DataFrame) -> pd.Series:
    """Median across stores of mean daily orders per week of age (index: age_week).
    `daily`: shop_id, date, orders, age_days."""
    d = daily.assign(age_week=daily["age_days"] // 7)
    per = d.groupby(["shop_id", "age_week"])["orders"].mean()
    r = per.groupby(level="age_week").median()
    return r.rolling(3, center=True, min_periods=1).mean()   # smooth the week-to-week noise


def indexed(daily: pd.DataFrame, curve: pd.Series) -> pd.DataFrame:
    """daily + expected (the ramp at the store's age; the last known week beyond the curve) and index."""
    w = (daily["age_days"] // 7).clip(upper=curve.index.max())
    exp = w.map(curve).fillna(curve.iloc[-1] if len(curve) else np.nan)
    return daily.assign(expected=exp.to_numpy(), index=(daily["orders"] / exp.where(exp > 0)).to_numpy())


def trend(weekly: pd.Series) -> tuple[str, float, float]:
    """(improving/flat/declining, slope per week, p) from an OLS fit of the last TREND_WEEKS values."""
    y = weekly.dropna().to_numpy(float)[-TREND_WEEKS:]
    if len(y) < 4 or np.allclose(y, y[0]):
        return "flat", 0.0, 1.0
    fit = stats.linregress(np.arange(len(y)), y)
    verdict = "flat" if fit.pvalue >= TREND_ALPHA else ("improving" if fit.slope > 0 else "declining")
    return verdict, float(fit.slope), float(fit.pvalue)


def light(value, green, yellow, higher_is_better: bool) -> np.ndarray:
    """green/yellow/red against two thresholds; grey where the value is missing."""
    v = np.asarray(value, float)
    if higher_is_better:
        out = np.where(v >= green, "green", np.where(v >= yellow, "yellow", "red"))
    else:
        out = np.where(v <= green, "green", np.where(v <= yellow, "yellow", "red"))
    return np.where(np.isnan(v), "grey", out)
