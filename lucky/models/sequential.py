"""A/B readouts that stay valid when people look every day: an O'Brien-Fleming-type boundary for
continuous monitoring (alpha spent over information time), on per-user conversion.

At a look with information fraction t (users so far / users planned) the two-proportion z
statistic is compared with c / sqrt(t): a Brownian motion W crosses |W(t)| >= c somewhere in
[0, 1] with probability alpha(c) = P(sup |W| >= c), so checking at any number of looks, daily or
continuously, keeps the false-positive rate at or below alpha. c = 2.2414 for alpha = 0.05
(a fixed-horizon test would use 1.96 once; peeking daily at 1.96 inflates it several-fold).

- z: pooled standard error (the test); the interval: unpooled standard error, widened to the
  boundary of the current look (a repeated confidence interval);
- sequential p-value = alpha(max over looks of |z_k| sqrt(t_k)): significant when < alpha;
- the planned sample of a running experiment is projected from its enrolment so far
  (users x planned days / elapsed days).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import optimize, stats

ALPHA = 0.05


def crossing_probability(c: float) -> float:
    """P(sup_{0<=t<=1} |W(t)| >= c) for standard Brownian motion (reflection series)."""
    if c <= 0:
        return 1.0
    k = np.arange(-20, 21)
    inside = np.sum((-1.0) ** k * (stats.norm.cdf((2 * k + 1) * c) - stats.norm.cdf((2 * k - 1) * c)))
    return float(min(1.0, max(0.0, 1.0 - inside)))


@lru_cache(maxsize=8)
def boundary(alpha: float = ALPHA) -> float:
    """The constant c with crossing_probability(c) = alpha (2.2414 for 0.05)."""
    return float(optimize.brentq(lambda c: crossing_probability(c) - alpha, 0.5, 6.0))


def z_pooled(x1: np.ndarray, n1: np.ndarray, x0: np.ndarray, n0: np.ndarray) -> np.ndarray:
    """Two-proportion z (treatment minus control), pooled SE; 0 where undefined."""
    x1, n1, x0, n0 = (np.asarray(a, dtype=float) for a in (x1, n1, x0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (x1 + x0) / (n1 + n0)
        se = np.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
        z = (x1 / n1 - x0 / n0) / se
    return np.where(np.isfinite(z), z, 0.0)


def readout(looks: pd.DataFrame, planned: float, alpha: float = ALPHA) -> dict:
    """The sequential verdict from cumulative daily looks (columns day, n1, x1, n0, x0; the last
    row is now) and the planned number of users (both arms)."""
    c = boundary(alpha)
    last = looks.iloc[-1]
    n1, x1, n0, x0 = (float(last[k]) for k in ("n1", "x1", "n0", "x0"))
    t = np.clip((looks["n1"] + looks["n0"]).to_numpy(dtype=float) / max(planned, 1.0), 1e-9, 1.0)
    z = z_pooled(looks["x1"], looks["n1"], looks["x0"], looks["n0"])
    score = np.abs(z) * np.sqrt(t)                   # |z| / (c / sqrt(t)) x c
    crossed = np.flatnonzero(score >= c)
    p1, p0 = (x1 / n1 if n1 else np.nan), (x0 / n0 if n0 else np.nan)
    se = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0) if n1 and n0 else np.nan
    width = c / np.sqrt(t[-1]) * se
    return {"conversion_control": p0, "conversion_treatment": p1, "lift": p1 - p0,
            "relative_lift": (p1 / p0 - 1) if p0 else np.nan, "ci_low": p1 - p0 - width,
            "ci_high": p1 - p0 + width, "z": float(z[-1]), "information": float(t[-1]),
            "boundary_now": float(c / np.sqrt(t[-1])),
            "p_value": crossing_probability(float(score.max())) if len(score) else 1.0,
            "significant": bool(len(crossed)),
            "significant_since": looks["day"].iloc[crossed[0]] if len(crossed) else None}
