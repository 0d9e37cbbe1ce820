"""RFM: recency, frequency and monetary value per customer, quintile scores and named segments.

Shared by Customer 360 (Tool 4) and anything that targets customers. Scores are quintiles of
the percentile rank (not equal-width bins): 5 is best, so recency is scored on its negative
(a recent buyer scores 5). Ties share the lowest rank of the tie, so equal values get equal scores (all one-order
customers score F=1).

Segments follow the usual marketing grid on R and the mean of F and M (FM):
champions (R>=4, FM>=4), loyal (R>=3, FM>=4 -- regulars not seen this week), potential loyalist
(R>=4, FM 2-3.5), new (R>=4, F=1), promising (R=3, FM<=2.5), need attention (R=3, FM 2.5-3.5),
can't lose them (R<=2, FM>=4.5), at risk (R<=2, FM>=3), about to sleep (R=2, FM<3),
hibernating (R=1, FM 2-3), lost (R=1, FM<2). 555 is a champion, 111 is lost.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

SEGMENTS: tuple[str, ...] = (
    "champions", "loyal", "potential loyalist", "new", "promising", "need attention",
    "can't lose them", "at risk", "about to sleep", "hibernating", "lost",
)


def quintile(values: pd.Series) -> pd.Series:
    """Scores 1-5 from the percentile rank (ties take the lowest rank, so every one-order customer scores F=1): 5 = the top fifth."""
    if values.empty:
        return pd.Series([], dtype="int64", index=values.index)
    pct = values.rank(method="min", pct=True)
    return np.ceil(pct * 5).clip(1, 5).astype("int64")


def segment(r: pd.Series, f: pd.Series, m: pd.Series) -> pd.Series:
    """The named segment of each (r, f, m) score triple (first rule that matches)."""
    fm = (f + m) / 2
    rules = [
        ("champions", (r >= 4) & (fm >= 4)),
        ("loyal", (r >= 3) & (fm >= 4)),
        ("new", (r >= 4) & (f == 1)),
        ("potential loyalist", r >= 4),
        ("promising", (r == 3) & (fm <= 2.5)),
        ("need attention", r == 3),
        ("can't lose them", (r <= 2) & (fm >= 4.5)),
        ("at risk", (r <= 2) & (fm >= 3)),
        ("about to sleep", r == 2),
        ("hibernating", (r == 1) & (fm >= 2)),
    ]
    out = np.select([c.to_numpy() for _, c in rules], [n for n, _ in rules], "lost")
    return pd.Series(out, index=r.index, dtype="object")


def rfm(orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """RFM table from completed orders (columns user_no, day, money) on or before `as_of`.

    recency_days = as_of - last order day; frequency = orders; monetary = total spend.
    Columns: user_no, recency_days, frequency, monetary, r, f, m, segment (sorted by user_no).
    """
    cols = ["user_no", "recency_days", "frequency", "monetary", "r", "f", "m", "segment"]
    o = orders[pd.to_datetime(orders["day"]) <= pd.Timestamp(as_of)]
    if o.empty:
        return pd.DataFrame(columns=cols)
    g = o.groupby("user_no").agg(last=("day", "max"), frequency=("day", "size"), monetary=("money", "sum"))
    g["recency_days"] = (pd.Timestamp(as_of) - pd.to_datetime(g["last"])).dt.days.astype("int64")
    g["monetary"] = g["monetary"].round(2)
    g["r"] = quintile(-g["recency_days"])
    g["f"] = quintile(g["frequency"])
    g["m"] = quintile((g["monetary"] * 100).round())          # in whole cents: sums agree exactly
    g["segment"] = segment(g["r"], g["f"], g["m"])
    return g.reset_index()[cols].sort_values("user_no", kind="stable").reset_index(drop=True)
