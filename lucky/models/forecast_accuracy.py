"""Forecast accuracy: how far predictions were from what happened, and whether that is news.

The input is one row per prediction: the series (shop × goods), the target day, the day the
forecast was run, its lead (target − run, days), the predicted and the actual quantity, the
model version. Actual demand is whatever the ground truth says (sale consumption), 0 on a day
without any.

Measures (anchors: forecast accuracy):
- WAPE = Σ|A−F| / ΣA: defined whenever some actual is positive, so days of zero demand count.
- MAPE = mean(|A−F|/A) over days with A > 0 only: the report's measure, undefined at zero demand;
  shown beside WAPE with the number of zero-demand days it had to leave out.
- bias = Σ(F−A) / ΣA: positive = over-forecast.
- hit rate = share of days with A > 0 whose forecast is within ±20% of the actual.
- MASE-style ratios: Σ|A−F| / Σ|A−naive| for two naive forecasts made with what was known at the
  run: the seasonal naive (the same weekday one week before the target, or 2, 3 ... weeks for
  leads past 7 days) and the trailing 28-day mean up to the run day. Below 1 beats the naive.

A series is flagged over/under only when its bias is both large (|bias| ≥ `min_bias`) and
statistically clear: the daily errors' mean, with its standard error, is `z` standard errors
away from zero, over at least MIN_DEMAND_DAYS days with demand. A low-volume series with noisy
errors stays "ok".

Version changes: when the model version changes (the run day from which the new version
predicts), WAPE over the `window` run days before and after, with a bootstrap interval that
resamples whole series (so a series' days stay together).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

HIT_TOLERANCE = 0.20
MIN_BIAS = 0.15
Z_CLEAR = 2.5
MIN_DEMAND_DAYS = 7
TRAILING_DAYS = 28
VERSION_WINDOW = 28
BOOTSTRAP = 400
KEYS = ["shop_id", "goods_code"]


# ------------------------------------------------------------------ scalar measures
def wape(actual, pred) -> float:
    a, f = np.asarray(actual, float), np.asarray(pred, float)
    total = a.sum()
    return float(np.abs(a - f).sum() / total) if total > 0 else float("nan")


def bias(actual, pred) -> float:
    a, f = np.asarray(actual, float), np.asarray(pred, float)
    total = a.sum()
    return float((f - a).sum() / total) if total > 0 else float("nan")


def mape(actual, pred) -> tuple[float, int]:
    """MAPE over days with positive actual, and how many zero-demand days it left out."""
    a, f = np.asarray(actual, float), np.asarray(pred, float)
    pos = a > 0
    value = float(np.mean(np.abs(a[pos] - f[pos]) / a[pos])) if pos.any() else float("nan")
    return value, int((~pos).sum())


def hit_rate(actual, pred, tolerance: float = HIT_TOLERANCE) -> float:
    """Share of positive-actual days with |F − A| ≤ tolerance × A."""
    a, f = np.asarray(actual, float), np.asarray(pred, float)
    pos = a > 0
    return float(np.mean(np.abs(f[pos] - a[pos]) <= tolerance * a[pos] + 1e-12)) if pos.any() else float("nan")


def ratio(actual, pred, naive) -> float:
    """Σ|A−F| / Σ|A−naive| over rows where the naive forecast exists (MASE-style, < 1 beats it)."""
    a, f, n = (np.asarray(x, float) for x in (actual, pred, naive))
    ok = ~np.isnan(n)
    den = np.abs(a[ok] - n[ok]).sum()
    return float(np.abs(a[ok] - f[ok]).sum() / den) if den > 0 else float("nan")


# ------------------------------------------------------------------ naive baselines
def with_naive(rows: pd.DataFrame, history: pd.DataFrame, fill_actual: bool = False) -> pd.DataFrame:
    """Add `naive_week` and `naive_mean` to prediction rows.

    `rows`: shop_id, goods_code, date (target), run_date, lead. `history`: shop_id, goods_code,
    date, actual (daily actuals, including days before the rows' range; a missing day is 0 once
    the series has started). Seasonal naive: the actual 7·⌈lead/7⌉ days before the target (the
    latest same weekday known at the run). Trailing mean: mean actual over the 28 days up to and
    including the run day. NaN where the series has no history that far back. With
    `fill_actual`, also `actual` (the target day's, 0 when none) and `sold_ever` (the series has
    an actual in `history`): one dense series × day grid instead of a join on millions of rows.
    """
    if rows.empty:
        extra = dict(actual=pd.Series(dtype=float), sold_ever=pd.Series(dtype=bool)) if fill_actual else {}
        return rows.assign(naive_week=pd.Series(dtype=float), naive_mean=pd.Series(dtype=float), **extra)
    si_rows, si_hist, n_series = _series_index(rows, history)
    day0 = min(pd.Timestamp(rows["run_date"].min()) - pd.Timedelta(days=TRAILING_DAYS),
               pd.Timestamp(history["date"].min()) if len(history) else pd.Timestamp(rows["date"].min()))
    last = pd.Timestamp(rows["date"].max())
    n_days = (last - day0).days + 1
    grid = np.full((n_series, n_days), np.nan)
    ok = si_hist >= 0
    hd = (pd.to_datetime(history["date"]) - day0).dt.days.to_numpy()
    ok &= (hd >= 0) & (hd < n_days)
    grid[si_hist[ok], hd[ok]] = history["actual"].to_numpy(float)[ok]
    # a day without sale rows after the series' first actual is a zero-demand day
    started = np.maximum.accumulate(~np.isnan(grid), axis=1)
    grid = np.where(started & np.isnan(grid), 0.0, grid)
    td = (pd.to_datetime(rows["date"]) - day0).dt.days.to_numpy()
    rd = (pd.to_datetime(rows["run_date"]) - day0).dt.days.to_numpy()
    back = 7 * np.ceil(rows["lead"].to_numpy() / 7).astype(int)
    wi = td - back
    naive_week = np.where(wi >= 0, grid[si_rows, np.clip(wi, 0, n_days - 1)], np.nan)
    filled = np.nan_to_num(grid)
    counts = np.cumsum(np.pad(~np.isnan(grid), ((0, 0), (1, 0))), axis=1)
    sums = np.cumsum(np.pad(filled, ((0, 0), (1, 0))), axis=1)
    hi = np.clip(rd + 1, 0, n_days)
    lo = np.clip(rd + 1 - TRAILING_DAYS, 0, n_days)
    n = counts[si_rows, hi] - counts[si_rows, lo]
    total = sums[si_rows, hi] - sums[si_rows, lo]
    full = (rd + 1 - TRAILING_DAYS >= 0) & (n == TRAILING_DAYS)
    naive_mean = np.where(full, total / np.maximum(n, 1), np.nan)
    extra = {}
    if fill_actual:
        at = grid[si_rows, np.clip(td, 0, n_days - 1)]
        sold = np.zeros(n_series, bool)
        sold[si_hist[si_hist >= 0]] = True
        extra = {"actual": np.where((td >= 0) & (td < n_days), np.nan_to_num(at), 0.0), "sold_ever": sold[si_rows]}
    return rows.assign(**extra, naive_week=naive_week, naive_mean=naive_mean)


def unpredicted(rows: pd.DataFrame, sold: pd.DataFrame) -> int:
    """How many series (shop × goods) of `sold` have no row in `rows` (integer keys: no hashing
    of millions of (shop, goods) pairs)."""
    if sold.empty:
        return 0
    _, si_sold, _ = _series_index(rows, sold)
    return len(sold.loc[si_sold < 0, KEYS].drop_duplicates())


def _series_index(rows: pd.DataFrame, history: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """Series number (shop × goods) of every row and every history row (-1: not among the rows'),
    and the number of series; integer keys, so millions of rows need no multi-column hashing."""
    g_rows, goods = pd.factorize(rows["goods_code"])       # arrow-backed strings stay arrow: no Python objects
    g_hist = goods.get_indexer(history["goods_code"]) if len(history) else np.zeros(0, "int64")
    k_rows = rows["shop_id"].to_numpy().astype("int64") * len(goods) + g_rows
    si_rows, uniq = pd.factorize(k_rows)                   # hashed, not sorted: series are numbered as met
    k_hist = history["shop_id"].to_numpy().astype("int64") * len(goods) + g_hist if len(history) else g_hist
    si_hist = np.where(g_hist >= 0, pd.Index(uniq).get_indexer(k_hist), -1)
    return si_rows, si_hist, len(uniq)


# ------------------------------------------------------------------ grouped measures
def parts(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The additive pieces of every measure per row, plus the `keys` to group by later: build
    once, then `summarize` any grouping with one grouped sum (fast on millions of rows)."""
    a, f = rows["actual"].to_numpy(float), rows["pred"].to_numpy(float)
    naive = [c for c in ("naive_week", "naive_mean") if c in rows]
    names = ["n", "actual", "predicted", "abs_err", "err", "pos", "ape", "hit"]
    names += [f"{c}_{part}" for c in naive for part in ("err", "model")]
    # one (pieces × rows) block filled in place: the frame below takes it as it is, without
    # copying a dozen columns of millions of rows together
    block = np.zeros((len(names), len(a)))
    col = dict(zip(names, block))
    col["n"][:], col["actual"][:], col["predicted"][:] = 1.0, a, f
    np.subtract(f, a, out=col["err"])
    np.abs(col["err"], out=col["abs_err"])
    pos = a > 0
    col["pos"][:] = pos
    np.divide(col["abs_err"], a, out=col["ape"], where=pos)
    col["hit"][:] = pos & (col["abs_err"] <= HIT_TOLERANCE * a + 1e-12)
    for c in naive:
        nv = rows[c].to_numpy(float)
        have = ~np.isnan(nv)
        np.abs(a - nv, out=col[f"{c}_err"], where=have)
        np.copyto(col[f"{c}_model"], col["abs_err"], where=have)
    frame = pd.DataFrame(block.T, columns=names, index=rows.index, copy=False)
    for key in keys:
        frame[key] = rows[key]
    return frame


def summarize(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Accuracy per group: n, actual, predicted, wape, mape, zero_days, bias, hit_rate, mase,
    vs_trailing. `rows` are prediction rows (actual, pred, naive columns when present) or a frame
    from `parts` holding the `by` columns."""
    p = rows if "abs_err" in rows else parts(rows, by)
    sums = [c for c in p.columns if c in _ADDITIVE]
    g = p.groupby(by, dropna=False, observed=True, sort=True)[sums].sum().reset_index()
    g["n"] = g["n"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        total = g["actual"].where(g["actual"] > 0)
        g["wape"], g["bias"] = g["abs_err"] / total, g["err"] / total
        g["mape"] = g["ape"] / g["pos"].where(g["pos"] > 0)
        g["hit_rate"] = g["hit"] / g["pos"].where(g["pos"] > 0)
        g["zero_days"] = (g["n"] - g["pos"]).astype("int64")
        out = ["n", "actual", "predicted", "wape", "mape", "zero_days", "bias", "hit_rate"]
        if "naive_week_err" in g:
            g["mase"] = g["naive_week_model"] / g["naive_week_err"].where(g["naive_week_err"] > 0)
            g["vs_trailing"] = g["naive_mean_model"] / g["naive_mean_err"].where(g["naive_mean_err"] > 0)
            out += ["mase", "vs_trailing"]
    return g[by + out]


_ADDITIVE = {"n", "actual", "predicted", "abs_err", "err", "pos", "ape", "hit", "naive_week_err", "naive_week_model",
             "naive_mean_err", "naive_mean_model"}


def series_table(rows: pd.DataFrame, min_bias: float = MIN_BIAS, z: float = Z_CLEAR) -> pd.DataFrame:
    """Per shop × goods: n_days, actual, wape, bias, bias_se, hit_rate, mase, flag.

    `rows` should hold one forecast per series and day (one lead). The bias' standard error is
    the daily errors' standard deviation × √n / ΣA; the flag needs |bias| ≥ min_bias and
    |bias| ≥ z × bias_se and at least MIN_DEMAND_DAYS days with demand (a standard error from
    two sales is no evidence). Series without positive actual demand are not in the table.
    """
    s = summarize(rows, KEYS)
    sd = rows.assign(err=rows["pred"] - rows["actual"]).groupby(KEYS)["err"].std(ddof=1)
    s = s.join(sd.rename("err_sd"), on=KEYS)
    s = s[s["actual"] > 0].copy()
    s["bias_se"] = s["err_sd"].fillna(np.inf) * np.sqrt(s["n"]) / s["actual"]
    clear = (s["bias"].abs() >= min_bias) & (s["bias"].abs() >= z * s["bias_se"]) & (s["n"] - s["zero_days"] >= MIN_DEMAND_DAYS)
    s["flag"] = np.where(clear, np.where(s["bias"] > 0, "over", "under"), "ok")
    s = s.rename(columns={"n": "n_days"})
    cols = KEYS + ["n_days", "actual", "wape", "bias", "bias_se", "hit_rate", "mape", "zero_days"]
    cols += [c for c in ("mase", "vs_trailing") if c in s] + ["flag"]
    order = s["flag"].map({"over": 0, "under": 1, "ok": 2})
    return s.assign(_o=order).sort_values(["_o", "wape"], ascending=[True, False])[cols].reset_index(drop=True)


# ------------------------------------------------------------------ version changes
def version_changes(rows: pd.DataFrame) -> pd.DataFrame:
    """Run days on which the model version changed: from_version, to_version, change_date.

    The version of a run day is the one most of its predictions carry."""
    if rows.empty:
        return pd.DataFrame(columns=["from_version", "to_version", "change_date"])
    per_run = (rows.groupby(["run_date", "model_version"]).size().rename("n").reset_index()
               .sort_values(["run_date", "n"], ascending=[True, False]).drop_duplicates("run_date"))
    v = per_run["model_version"].to_numpy()
    at = np.flatnonzero(v[1:] != v[:-1]) + 1
    return pd.DataFrame({"from_version": v[at - 1], "to_version": v[at],
                         "change_date": pd.to_datetime(per_run["run_date"].to_numpy()[at])})


def _bootstrap_change(before: pd.DataFrame, after: pd.DataFrame, rng: np.random.Generator,
                      reps: int = BOOTSTRAP) -> tuple[float, float]:
    """95% interval of WAPE(after) − WAPE(before), resampling series with replacement."""
    b = before.groupby(KEYS)[["abs_err", "actual"]].sum()
    a = after.groupby(KEYS)[["abs_err", "actual"]].sum()
    both = b.add_suffix("_b").join(a.add_suffix("_a"), how="outer").fillna(0.0).to_numpy()
    if len(both) < 2:
        return float("nan"), float("nan")
    idx = rng.integers(0, len(both), (reps, len(both)))
    s = both[idx].sum(axis=1)  # reps × 4: abs_err_b, actual_b, abs_err_a, actual_a
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = s[:, 2] / s[:, 3] - s[:, 0] / s[:, 1]
    diff = diff[np.isfinite(diff)]
    if not len(diff):
        return float("nan"), float("nan")
    return float(np.quantile(diff, 0.025)), float(np.quantile(diff, 0.975))


def versions_table(rows: pd.DataFrame, window: int = VERSION_WINDOW, seed: int = 0) -> pd.DataFrame:
    """Accuracy before and after each version change: the `window` run days either side
    (fewer when the data or the next change is nearer), WAPE, bias and hit rate each side, the
    change in WAPE with a 95% bootstrap interval, and a verdict (better/worse when the interval
    excludes 0)."""
    cols = ["from_version", "to_version", "change_date", "days_before", "days_after", "wape_before",
            "wape_after", "wape_change", "ci_low", "ci_high", "bias_before", "bias_after",
            "hit_rate_before", "hit_rate_after", "verdict"]
    changes = version_changes(rows)
    if changes.empty:
        return pd.DataFrame(columns=cols)
    rng = np.random.default_rng(seed)
    r = rows.assign(abs_err=(rows["pred"] - rows["actual"]).abs(), run_date=pd.to_datetime(rows["run_date"]))
    dates = list(changes["change_date"])
    out = []
    for i, ch in changes.iterrows():
        lo = max(ch["change_date"] - pd.Timedelta(days=window), dates[i - 1] if i > 0 else pd.Timestamp.min)
        hi = min(ch["change_date"] + pd.Timedelta(days=window), dates[i + 1] if i + 1 < len(dates) else pd.Timestamp.max)
        before = r[(r["run_date"] >= lo) & (r["run_date"] < ch["change_date"])]
        after = r[(r["run_date"] >= ch["change_date"]) & (r["run_date"] < hi)]
        wb, wa = wape(before["actual"], before["pred"]), wape(after["actual"], after["pred"])
        low, high = _bootstrap_change(before, after, rng)
        verdict = ("better" if high < 0 else "worse" if low > 0 else "no clear change") if np.isfinite(low) else "too little data"
        out.append({"from_version": ch["from_version"], "to_version": ch["to_version"],
                    "change_date": ch["change_date"].date(), "days_before": before["run_date"].nunique(),
                    "days_after": after["run_date"].nunique(), "wape_before": wb, "wape_after": wa,
                    "wape_change": wa - wb, "ci_low": low, "ci_high": high,
                    "bias_before": bias(before["actual"], before["pred"]), "bias_after": bias(after["actual"], after["pred"]),
                    "hit_rate_before": hit_rate(before["actual"], before["pred"]),
                    "hit_rate_after": hit_rate(after["actual"], after["pred"]), "verdict": verdict})
    return pd.DataFrame(out, columns=cols)
