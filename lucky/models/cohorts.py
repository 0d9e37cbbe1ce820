"""Cohort retention: of the customers who joined in a cohort, the share who ordered again in each
later month.

A cohort is a group of customers (registration month, first store, ...); month 0 is the month of
their first order; retention in month k = customers of the cohort with a completed order in
calendar month (first-order month + k) / customers of the cohort. Months after the as-of month
are left empty, not zero.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def retention(orders: pd.DataFrame, cohort: pd.Series, as_of: pd.Timestamp, max_months: int = 12) -> pd.DataFrame:
    """orders: user_no, day; cohort: user_no -> cohort label. Columns: cohort, users, month, retention_rate.

    Counted on integer codes (users, months, cohorts) with bincounts: each (user, month k) pair
    once, per cohort; cohorts in sorted order, months 0 up to the as-of month."""
    span = max_months + 1
    users, uniq = pd.factorize(orders["user_no"])
    m = pd.to_datetime(orders["day"]).to_numpy().astype("datetime64[M]").astype(np.int64)
    first = np.full(len(uniq), np.iinfo(np.int64).max)
    np.minimum.at(first, users, m)
    k = m - first[users]
    label, names = pd.factorize(cohort.reindex(uniq), sort=True)          # -1: no cohort
    keep = (k <= max_months) & (label[users] >= 0)
    pairs = np.unique(users[keep] * span + k[keep])                        # each user and month once
    active = np.bincount(label[pairs // span] * span + pairs % span, minlength=len(names) * span).reshape(-1, span)
    size = active[:, 0]                                                    # every user is active in month 0
    start = np.full(len(names), np.iinfo(np.int64).max)
    np.minimum.at(start, label[label >= 0], first[label >= 0])
    last = np.datetime64(pd.Timestamp(as_of).to_period("M").start_time, "M").astype(np.int64)
    months = np.maximum(np.minimum(max_months, last - start) + 1, 0) * (size > 0)
    c = np.repeat(np.arange(len(names)), months)
    month = np.arange(len(c)) - np.repeat(np.cumsum(months) - months, months)
    return pd.DataFrame({"cohort": np.asarray(names)[c], "users": size[c], "month": month,
                         "retention_rate": (active[c, month] / size[c]).round(4)})
