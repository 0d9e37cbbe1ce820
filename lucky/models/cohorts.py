"""Cohort retention: of the customers who joined in a cohort, the share who ordered again in each
later month.

A cohort is a group of customers (registration month, first store, ...); month 0 is the month of
their first order; retention in month k = customers of the cohort with a completed order in
calendar month (first-order month + k) / customers of the cohort. Months after the as-of month
are left empty, not zero.
"""
from __future__ import annotations

import pandas as pd


def retention(orders: pd.DataFrame, cohort: pd.Series, as_of: pd.Timestamp, max_months: int = 12) -> pd.DataFrame:
    """orders: user_no, day; cohort: user_no -> cohort label. Columns: cohort, users, month, retention_rate."""
    o = orders[["user_no", "day"]].copy()
    day = pd.to_datetime(o["day"])
    o["m"] = day.dt.year * 12 + day.dt.month - 1                     # months since year 0
    o["k"] = o["m"] - o.groupby("user_no")["m"].transform("min")
    o = o[o["k"].between(0, max_months)].drop_duplicates(["user_no", "k"])
    o["cohort"] = o["user_no"].map(cohort)
    o = o.dropna(subset=["cohort"])
    size = o[o["k"] == 0].groupby("cohort")["user_no"].nunique()
    active = o.groupby(["cohort", "k"])["user_no"].nunique().rename("active").reset_index()
    last = pd.Timestamp(as_of).year * 12 + pd.Timestamp(as_of).month - 1
    start = o[o["k"] == 0].groupby("cohort")["m"].min()
    rows = []
    for c, n in size.items():
        horizon = min(max_months, int(last - start[c]))
        for k in range(horizon + 1):
            rows.append((c, int(n), k))
    grid = pd.DataFrame(rows, columns=["cohort", "users", "month"])
    out = grid.merge(active.rename(columns={"k": "month"}), on=["cohort", "month"], how="left")
    out["retention_rate"] = (out["active"].fillna(0) / out["users"]).round(4)
    return out.drop(columns="active")
