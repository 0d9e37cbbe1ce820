"""Churn risk: is a customer's ordering slowing down against their own history?

The model is an inter-purchase-time model (the "own gap distribution" rule of the anchors, in
its probabilistic form). A customer who stays orders as a Poisson process at their own rate, so
their gaps are exponential with their usual mean `b` (the mean of their earlier gaps, before the
last LOOK intervals). The last LOOK intervals -- the two latest gaps plus the silence running
since the last order -- then add up to a Gamma(LOOK, b) variable. If that sum is improbably long
for someone who stays, they are slowing down or gone:

    L(x) = P(Gamma(LOOK, b) >= x),    p_churn = prior / (prior + (1 - prior) * L(x))

with x = the sum of the last two gaps and the current silence, `prior` the share of customers
who start to leave (a stated setting). A customer is flagged when p_churn >= `threshold`.
`flagged_on` is the day the silence crossed the flag line (the last order day if the two
latest gaps alone were enough); `expected_next_order` = last order + b.

Scoring as of a past date uses only the orders up to that date, so it can be back-tested.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

LOOK = 3             # intervals judged: the two latest gaps and the running silence
PRIOR = 0.25         # share of active customers who start to leave (odds for the Bayes step)
THRESHOLD = 0.5      # flag when p_churn >= this
MIN_ORDERS = 5       # a history of at least this many orders (so b rests on >= 2 gaps)
COLUMNS = ["user_no", "orders", "last_order", "usual_interval_days", "recent_interval_days", "silence_days",
           "p_churn", "flagged", "flagged_on", "expected_next_order"]


def p_churn(x: np.ndarray, b: np.ndarray, prior: float = PRIOR) -> np.ndarray:
    """Posterior probability of leaving given the last LOOK intervals sum to x (days) and the
    usual gap b (days)."""
    stay = stats.gamma.sf(x, LOOK, scale=np.maximum(b, 0.5))
    return prior / (prior + (1 - prior) * stay)


def flag_line(b: np.ndarray, prior: float = PRIOR, threshold: float = THRESHOLD) -> np.ndarray:
    """The x (days) at which p_churn reaches the threshold, per usual gap b."""
    # prior / (prior + (1-prior) L) >= t  <=>  L <= prior (1 - t) / ((1 - prior) t)
    tail = prior * (1 - threshold) / ((1 - prior) * threshold)
    return stats.gamma.isf(min(tail, 1.0), LOOK, scale=np.maximum(b, 0.5))


def score(orders: pd.DataFrame, as_of: date, min_orders: int = MIN_ORDERS, prior: float = PRIOR,
          threshold: float = THRESHOLD) -> pd.DataFrame:
    """Churn risk of every customer with >= min_orders completed orders up to `as_of`.

    `orders`: one row per completed order with user_no and day (store-local date). Several
    orders on one day count once (a day is the unit of a habit). Columns: COLUMNS.
    """
    day = pd.to_datetime(orders["day"])
    o = pd.DataFrame({"user_no": orders["user_no"].to_numpy(), "day": day})
    o = o[o["day"] <= pd.Timestamp(as_of)].drop_duplicates().sort_values(["user_no", "day"])
    n = o.groupby("user_no")["day"].transform("size")
    o = o[n >= max(min_orders, LOOK)]
    if o.empty:
        return pd.DataFrame(columns=COLUMNS)
    o["gap"] = o.groupby("user_no")["day"].diff().dt.days
    o["k"] = o.groupby("user_no").cumcount(ascending=False)      # 0 = the last order
    recent = o[o["k"] < LOOK - 1].groupby("user_no")["gap"].sum()
    usual = o[o["k"] >= LOOK - 1].groupby("user_no")["gap"].mean()
    g = o.groupby("user_no").agg(orders=("day", "size"), last_order=("day", "max"))
    g["usual_interval_days"] = usual.reindex(g.index)
    g["recent_interval_days"] = recent.reindex(g.index) / (LOOK - 1)
    g["silence_days"] = (pd.Timestamp(as_of) - g["last_order"]).dt.days
    b = g["usual_interval_days"].to_numpy(dtype=float)
    x = recent.reindex(g.index).to_numpy(dtype=float) + g["silence_days"].to_numpy(dtype=float)
    g["p_churn"] = np.round(p_churn(x, b, prior), 4)
    g["flagged"] = g["p_churn"] >= threshold
    wait = np.maximum(flag_line(b, prior, threshold) - recent.reindex(g.index).to_numpy(dtype=float), 0)
    g["flagged_on"] = (g["last_order"] + pd.to_timedelta(np.ceil(wait), unit="D")).where(g["flagged"])
    g["expected_next_order"] = g["last_order"] + pd.to_timedelta(np.round(b), unit="D")
    g["usual_interval_days"] = g["usual_interval_days"].round(1)
    g["recent_interval_days"] = g["recent_interval_days"].round(1)
    for c in ("last_order", "flagged_on", "expected_next_order"):
        g[c] = g[c].dt.date
    return g.reset_index()[COLUMNS].sort_values(["p_churn", "user_no"], ascending=[False, True],
                                                ignore_index=True)
