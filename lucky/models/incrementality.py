"""Coupon incrementality against a holdout (Tool 5): pure functions on DataFrames.

Unit: a send (one coupon to one user; a held-out user for one send of the template). Outcome:
the user's revenue (pay_money of completed orders) from the send to the end of the window the
coupon covers (its expire_time, cut at the end of the data). Then per template

    lift per send = mean revenue (sent) - mean revenue (held out)
    incremental_revenue = lift x sends, with a 95% interval from Welch's standard error
                          (1.96 x sqrt(s_t^2/n_t + s_h^2/n_h) x n_t).

Verdict, from the conversion lift (share of sends followed by an order in the window, minus
the holdout's share, with its 95% Welch interval) against the redemption rate. Conversion is a
far less noisy outcome than revenue (a 0/1 per send rather than a month of a regular's
spending), so it decides what the revenue interval often cannot:
- incremental: the conversion lift's interval is above 0: the coupon brought orders from
  people who would not have ordered;
- cannibalizing: otherwise, when the interval's upper end is below half the redemption rate:
  at most half the redemptions can be new orders, so most of them would have happened anyway
  and the coupon only discounted them;
- unclear: neither (the interval is too wide: a small template or a small holdout), or no
  coupon of the template was ever redeemed.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

Z95 = 1.959964
INCREMENTAL, CANNIBALIZING, UNCLEAR = "incremental", "cannibalizing", "unclear"
CANNIBAL_SHARE = 0.5   # cannibalizing: at most this share of the redemptions can be new orders


class OrderIndex(NamedTuple):
    """Orders sorted by (user code, second), with their running revenue: every window's revenue
    and order count is then two binary searches, however many windows a user has."""
    keys: np.ndarray   # user code * 2**34 + epoch second, ascending
    cum: np.ndarray    # 0, then the cumulative pay_money in key order (one longer than keys)


_SHIFT = np.int64(1) << np.int64(34)


def seconds(times: pd.Series | np.ndarray) -> np.ndarray:
    """Epoch seconds (int64, truncated) of datetime values: windows and orders compare per second."""
    values = times if isinstance(times, np.ndarray) and times.dtype.kind == "M" else np.asarray(pd.to_datetime(times))
    return values.astype("datetime64[s]").astype(np.int64)


def _key(code: np.ndarray, sec: np.ndarray) -> np.ndarray:
    return code.astype(np.int64) * _SHIFT + np.clip(sec, 0, int(_SHIFT) - 1)


def order_index(users: np.ndarray, times: pd.Series | np.ndarray, money: np.ndarray) -> OrderIndex:
    """The OrderIndex of orders given as integer user codes, times (NaT: left out) and pay_money."""
    t = np.asarray(pd.to_datetime(times))
    ok = ~np.isnat(t)
    k = _key(np.asarray(users)[ok], t[ok].astype("datetime64[s]").astype(np.int64))
    order = np.argsort(k, kind="stable")
    return OrderIndex(k[order], np.r_[0.0, np.cumsum(np.asarray(money, dtype=float)[ok][order])])


def positions(index: OrderIndex, users: np.ndarray, *times: np.ndarray) -> list[np.ndarray]:
    """For each array of epoch seconds: how many of the index's keys lie before (user, second),
    i.e. where the user's orders at or after that second begin. The probes of every array run
    in the key order of the first (one sort; searching in order is ~5x faster than random
    probes at millions of windows, and a user's windows sit together in any of them)."""
    keys = [_key(users, sec) for sec in times]
    near = np.argsort(keys[0])
    out = []
    for key in keys:
        pos = np.empty(len(users), np.int64)
        pos[near] = np.searchsorted(index.keys, key[near], "left")
        out.append(pos)
    return out


def window_sums(index: OrderIndex, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Revenue and number of orders between two `positions` (a window from lo up to hi, empty
    when hi is not after lo)."""
    hi = np.maximum(hi, lo)
    return np.round(index.cum[hi] - index.cum[lo], 6), hi - lo


def window_revenue(windows: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Per window (columns user_no, start, end): `revenue` and `orders` of the user's orders
    (columns user_no, time, pay_money) with start <= time < end. Rows keep their order."""
    codes, _ = pd.factorize(pd.concat([orders["user_no"], windows["user_no"]], ignore_index=True))
    o_code, w_code = codes[: len(orders)], codes[len(orders):]
    index = order_index(o_code, orders["time"], orders["pay_money"].to_numpy(dtype=float))
    revenue, n = window_sums(index, *positions(index, w_code, seconds(windows["start"]), seconds(windows["end"])))
    return pd.DataFrame({"revenue": revenue, "orders": n}, index=windows.index)


def estimate(treated: np.ndarray, holdout: np.ndarray, treated_pre: np.ndarray | None = None,
             holdout_pre: np.ndarray | None = None) -> dict:
    """Lift per send and incremental revenue (lift x treated sends) with a 95% Welch interval.

    With `*_pre` (each send's revenue in an equally long window just before it) the outcome is
    CUPED-adjusted: y - theta (x - mean x), theta = cov(y, x) / var(x) over both groups pooled.
    The expected lift is unchanged (the send cannot move the past); the variance shrinks by the
    share explained by the user's own earlier spending."""
    t, h = np.asarray(treated, dtype=float), np.asarray(holdout, dtype=float)
    n_t, n_h = len(t), len(h)
    if treated_pre is not None and holdout_pre is not None and n_t + n_h > 2:
        x = np.concatenate([np.asarray(treated_pre, float), np.asarray(holdout_pre, float)])
        y = np.concatenate([t, h])
        var = x.var()
        theta = float(np.mean((x - x.mean()) * (y - y.mean())) / var) if var > 0 else 0.0
        y = y - theta * (x - x.mean())
        t, h = y[:n_t], y[n_t:]
    out = {"sends": n_t, "holdout": n_h, "revenue_per_send": t.mean() if n_t else np.nan,
           "holdout_revenue_per_send": h.mean() if n_h else np.nan}
    if n_t < 2 or n_h < 2:
        return out | {"lift_per_send": np.nan, "incremental_revenue": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    lift = t.mean() - h.mean()
    se = np.sqrt(t.var(ddof=1) / n_t + h.var(ddof=1) / n_h)
    return out | {"lift_per_send": lift, "incremental_revenue": lift * n_t,
                  "ci_low": (lift - Z95 * se) * n_t, "ci_high": (lift + Z95 * se) * n_t}


def verdict(conv_low: float, conv_high: float, redemption_rate: float, redeemed: int = 1) -> str:
    """incremental / cannibalizing / unclear from the conversion lift's 95% interval (per send)
    and the redemption rate (see the module docstring); unclear without any redemption."""
    if not (np.isfinite(conv_low) and np.isfinite(conv_high)) or redeemed <= 0:
        return UNCLEAR
    if conv_low > 0:
        return INCREMENTAL
    if conv_high < CANNIBAL_SHARE * redemption_rate:
        return CANNIBALIZING
    return UNCLEAR


def conversion(treated_orders: np.ndarray, holdout_orders: np.ndarray) -> dict:
    """Conversion (share of sends with an order in the window) in both groups and the lift with
    a 95% Welch interval (per send)."""
    t = (np.asarray(treated_orders) > 0).astype(float)
    h = (np.asarray(holdout_orders) > 0).astype(float)
    e = estimate(t, h)
    return {"conversion": e["revenue_per_send"], "holdout_conversion": e["holdout_revenue_per_send"],
            "conversion_lift": e["lift_per_send"],
            "conversion_ci_low": e["ci_low"] / e["sends"] if e["sends"] else np.nan,
            "conversion_ci_high": e["ci_high"] / e["sends"] if e["sends"] else np.nan}


def roi(incremental_revenue: float, cost: float) -> float:
    """(incremental revenue - marketing cost) / marketing cost; NaN without a cost."""
    return (incremental_revenue - cost) / cost if cost and np.isfinite(cost) and cost > 0 else np.nan


def first_orders(orders: pd.DataFrame) -> np.ndarray:
    """Row positions of each user's first completed order (columns user_no, order_no, time; ties
    in time go to the smaller order_no), in no particular order. Sorted in Arrow: no Python
    string per order."""
    table = pa.table({"time": pd.to_datetime(orders["time"]), "order_no": pa.array(orders["order_no"], pa.string())})
    ranked = pc.sort_indices(table, sort_keys=[("time", "ascending"), ("order_no", "ascending")]).to_numpy()
    users, _ = pd.factorize(orders["user_no"])
    _, first = np.unique(users[ranked], return_index=True)
    return ranked[first]
