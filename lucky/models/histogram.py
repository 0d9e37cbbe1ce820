"""Quantiles from log-bucket histograms.

Percentiles cannot be pushed to MySQL (no PERCENTILE_CONT), so production durations are counted
at the source in log-spaced buckets and the quantile is interpolated here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def histogram_quantile(hist: pd.DataFrame, q: float, buckets_per_e: int) -> pd.Series:
    """Quantile per (shop_id, date) of a log-bucket histogram (bucket, n), interpolated
    geometrically inside the bucket where the cumulative share crosses q."""
    h = hist.copy()
    g = h.groupby(["shop_id", "date"])["n"]
    h["cum"] = g.cumsum()
    h["total"] = g.transform("sum")
    h["prev"] = h["cum"] - h["n"]
    target = q * h["total"]
    hit = h[(h["prev"] < target) & (h["cum"] >= target)].copy()
    hit = hit.groupby(["shop_id", "date"]).head(1)
    frac = (q * hit["total"] - hit["prev"]) / hit["n"]
    log_lo = hit["bucket"] / buckets_per_e
    seconds = np.exp(log_lo + frac / buckets_per_e) - 1
    return pd.Series(seconds.to_numpy(), index=pd.MultiIndex.from_frame(hit[["shop_id", "date"]]))
