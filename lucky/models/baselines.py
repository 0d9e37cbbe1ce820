"""Expected values for daily business metrics: weekday seasonality, trend and store age.

A coffee shop's Monday is not its Saturday, a store opened in December is still ramping up in
January, and a single bad day must not drag the baseline with it. So every baseline here is
robust (medians, MADs) and uses only days *before* the day it judges:

- level: the median of the previous 7 days (one of each weekday, so it follows a ramp-up or a
  trend within a week without being pulled by a single outlier);
- weekday effect: the median deviation from that level on the same weekday over the previous
  8 weeks;
- spread: 1.4826 x the median absolute residual of the previous 28 days (a robust sigma),
  never below a floor the caller gives (Poisson noise for counts, a relative floor for levels).

`history` is the series' age in calendar days (days since its first observation): callers
judge a day only once its series is `min_history` days old, so a store opened yesterday has no
baseline and the feed says so instead of guessing.

Rates with a numerator and a denominator (refunds / orders) use a pooled trailing rate shrunk
toward the chain's rate and a binomial spread with over-dispersion estimated from the past.

Every function takes a wide frame (index: consecutive days, one column per series: a store, a
store x channel, a device) so a whole chain is computed in a handful of vectorised operations;
a Series is treated as a one-column frame.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import bottleneck as bn
import numpy as np
import pandas as pd

MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class BaselineParams:
    level_days: int = 7
    weekday_weeks: int = 8
    spread_days: int = 28
    min_history: int = 14


DEFAULT = BaselineParams()


@dataclass
class Baseline:
    """Wide frames of the same shape: the value, its expectation, the score and the age."""

    value: pd.DataFrame
    expected: pd.DataFrame
    z: pd.DataFrame
    history: pd.DataFrame
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)

    def series(self, column=None) -> pd.DataFrame:
        """One series as a frame with columns value, expected, z, history (+ extras)."""
        col = self.value.columns[0] if column is None else column
        parts = {"value": self.value[col], "expected": self.expected[col], "z": self.z[col],
                 "history": self.history[col]}
        parts.update({k: v[col] for k, v in self.extra.items()})
        return pd.DataFrame(parts)


def past_median(x: pd.DataFrame, days: int, min_periods: int) -> pd.DataFrame:
    """Per column, the median of the `days` days before each day (the day itself excluded), NaN
    until `min_periods` of them are known: `x.shift(1).rolling(days, min_periods).median()`, for
    all columns at once with bottleneck's moving median (pandas runs its rolling median column by
    column, ~0.1 ms each, and the anomaly scan has thousands of store x goods columns)."""
    arr = x.shift(1).to_numpy(dtype=float)
    if arr.shape[0] == 0:
        return x.astype(float)
    window = min(days, arr.shape[0])     # a window longer than the data holds the data, as in pandas
    out = bn.move_median(arr, window=window, min_count=min_periods, axis=0)
    return pd.DataFrame(out, index=x.index, columns=x.columns)


def _wide(values) -> pd.DataFrame:
    return values.to_frame() if isinstance(values, pd.Series) else values


def age(observed: pd.DataFrame) -> pd.DataFrame:
    """Calendar days since each column's first observed day (0 on and before it)."""
    obs = observed.to_numpy(dtype=bool)
    n = obs.shape[0]
    first = np.where(obs.any(axis=0), obs.argmax(axis=0), n)
    pos = np.arange(n)[:, None]
    return pd.DataFrame(np.clip(pos - first[None, :], 0, None), index=observed.index, columns=observed.columns)


def seasonal(values, params: BaselineParams = DEFAULT) -> Baseline:
    """Level + weekday baseline; `extra['spread']` is the robust sigma of past residuals (NaN
    until 7 residuals exist). Works in the units given: pass log counts for multiplicative
    effects."""
    v = _wide(values).astype(float)
    x = v.to_numpy()
    level = past_median(v, params.level_days, max(3, params.level_days // 2)).to_numpy()
    dev = x - level
    n = x.shape[0]
    lags = np.full((params.weekday_weeks,) + x.shape, np.nan)
    for k in range(1, params.weekday_weeks + 1):
        if 7 * k < n:
            lags[k - 1, 7 * k:] = dev[:-7 * k]
    enough = (~np.isnan(lags)).sum(axis=0) >= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN slices: no weekday effect yet
        weekday = np.nan_to_num(np.where(enough, np.nanmedian(lags, axis=0), 0.0))
    # second pass: the level from the past week with each day's own weekday effect removed, so
    # a week with two quiet weekend days (or a collapse) does not pull the level down
    deseason = pd.DataFrame(x - weekday, index=v.index, columns=v.columns)
    level2 = past_median(deseason, params.level_days, max(3, params.level_days // 2))
    expected = np.where(np.isnan(level2.to_numpy()), level, level2.to_numpy()) + weekday
    residual = pd.DataFrame(np.abs(x - expected), index=v.index, columns=v.columns)
    spread = MAD_TO_SIGMA * past_median(residual, params.spread_days, 7)
    exp = pd.DataFrame(expected, index=v.index, columns=v.columns)
    return Baseline(v, exp, (v - exp) / spread, age(v.notna()), {"spread": spread})


def count_baseline(counts, params: BaselineParams = DEFAULT) -> Baseline:
    """Baseline for a daily count (orders placed, registrations).

    Works on the Anscombe transform 2*sqrt(x + 3/8), on which Poisson noise has unit variance
    whatever the level: a store doing 6 orders a day and one doing 600 are judged on the same
    scale, the spread never falls below that unit (a quiet day at a small store is ordinary)
    and extra day-to-day variation is picked up by the robust spread. `expected` is in counts."""
    c = _wide(counts).astype(float)
    b = seasonal(2.0 * np.sqrt(c + 0.375), params)
    mean = ((b.expected / 2.0) ** 2 - 0.375).clip(lower=0)
    spread = np.maximum(b.extra["spread"], 1.0).where(b.extra["spread"].notna())
    return Baseline(c, mean, (b.value - b.expected) / spread, b.history)


def log_amount_baseline(amounts, counts, params: BaselineParams = DEFAULT) -> Baseline:
    """Baseline for a daily amount (revenue) on the log scale, its spread floored by the
    Poisson noise of the number of transactions behind it (1/sqrt(expected count + 1))."""
    a = _wide(amounts).astype(float)
    b = seasonal(np.log1p(a.clip(lower=0)), params)
    n = seasonal(np.log1p(_wide(counts).astype(float)), params)
    floor = 1.0 / np.sqrt(np.expm1(n.expected).clip(lower=0) + 1.0)
    spread = np.maximum(b.extra["spread"], floor).where(b.extra["spread"].notna())
    return Baseline(a, np.expm1(b.expected).clip(lower=0), (b.value - b.expected) / spread, b.history)


def level_baseline(values, rel_floor: float, abs_floor: float = 0.0,
                   params: BaselineParams = DEFAULT) -> Baseline:
    """Baseline for a level (AOV, a fee rate, a production-time percentile, a usage ratio).

    The spread floor `max(rel_floor * |expected|, abs_floor)` keeps a metric that is nearly
    constant by construction (a processor's fee rate) from flagging a rounding wobble."""
    b = seasonal(values, params)
    floor = np.maximum(rel_floor * b.expected.abs(), abs_floor)
    spread = np.maximum(b.extra["spread"], floor)
    return Baseline(b.value, b.expected, (b.value - b.expected) / spread, b.history)


def rate_baseline(events, trials, prior_rate, prior_weight: float = 200.0, days: int = 28) -> Baseline:
    """Baseline for a proportion (refunds / orders) from daily counts.

    Expected rate: the median daily rate of the previous `days` days (robust to past spikes),
    weighted by their trials and shrunk toward `prior_rate` (the chain's, a Series by day or a
    number) with the weight of `prior_weight` trials plus half an event, so a small store's
    spotless month does not set its rate to zero. z is the binomial
    z-score inflated by the past over-dispersion (median squared Pearson residual, at least 1).
    `extra` holds `events` and `trials`."""
    ev = _wide(events).astype(float).fillna(0.0)
    n = _wide(trials).astype(float).fillna(0.0)
    past_n = n.shift(1).rolling(days, min_periods=1).sum().fillna(0.0)
    # the store's usual rate is the median of its daily rates (a past spike does not raise it),
    # weighted by the trials behind it, then shrunk toward the prior
    usual = past_median(ev / n.where(n > 0), days, 1).fillna(0.0)
    if isinstance(prior_rate, pd.Series):
        prior = prior_rate.reindex(ev.index).ffill().fillna(0.0).to_numpy()[:, None]
    else:
        prior = float(prior_rate)
    p = ((usual * past_n + prior_weight * prior + 0.5) / (past_n + prior_weight + 1)).clip(1e-4, 0.999)
    var = n * p * (1 - p)
    pearson2 = (ev - n * p) ** 2 / var.where(var > 0)
    phi = past_median(pearson2, days, 7).fillna(1.0).clip(lower=1.0)
    observed = n > 0
    z = ((ev - n * p) / np.sqrt(var * phi).where(var > 0)).where(observed)
    return Baseline(ev / n.where(observed), p, z, age(observed), {"events": ev, "trials": n})


def pricing_baseline(amount, count, fee, days: int = 28, floor: float = 0.001) -> Baseline:
    """Baseline for a processing fee rate from the channel's own price list.

    A processor charges `rate x amount + fixed x transactions`, so the day's expected fee is
    that formula with (rate, fixed) fitted by least squares on the previous `days` days of
    (amount, transactions, fee) sums. The score is the day's fee beyond that price, as a share of
    the amount, over the robust spread of past residuals (at least `floor`, 0.1 point): the
    ticket-size mix moves a fee rate a lot, a price change moves this residual and nothing else.
    `value` is the day's fee rate, `expected` the rate the fitted price implies."""
    a, n, f = (_wide(x).astype(float) for x in (amount, count, fee))
    ok = (a > 0) & (n > 0) & f.notna()
    a0, n0, f0 = a.where(ok, 0.0), n.where(ok, 0.0), f.where(ok, 0.0)

    def past(x: pd.DataFrame) -> pd.DataFrame:
        return x.shift(1).rolling(days, min_periods=7).sum()

    def fit(use: pd.DataFrame):
        w = use.astype(float)
        saa, snn, san = past(a0 * a0 * w), past(n0 * n0 * w), past(a0 * n0 * w)
        saf, snf = past(a0 * f0 * w), past(n0 * f0 * w)
        det = saa * snn - san * san
        solid = det > 1e-9 * saa * snn
        rate = ((saf * snn - snf * san) / det).where(solid, saf / saa)
        fixed = ((saa * snf - san * saf) / det).where(solid, 0.0)
        expected = (rate * a + fixed * n).where(ok)
        resid = (f - expected) / a.where(ok)
        spread = np.maximum(MAD_TO_SIGMA * past_median(resid.abs(), days, 7), floor)
        return rate, fixed, expected, resid, spread
    rate, fixed, expected, resid, spread = fit(ok)
    # refit without the days priced wrongly, so an episode does not become the next month's price
    rate, fixed, expected, resid, spread = fit(ok & ~(resid / spread > 4).fillna(False))
    return Baseline(f / a.where(ok), expected / a.where(ok), resid / spread, age(ok),
                    {"rate": rate, "fixed": fixed, "resid": resid, "spread": spread})
