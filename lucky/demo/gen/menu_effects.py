"""Menu dynamics for the 'orders' step (issue 15): price changes answered with a planted
elasticity, seasonality (iced up in summer, hot up in winter), launches and a retirement.

The orders step fixes each product's number of item rows by exact popularity quotas (the report's
top 15 at every scale). This module keeps those quotas and only moves *when* a product is sold:
product p's rows are spread over the days in proportion to

    day volume × season_p(day) × alive_p(day) × price_ratio_p(day) ** elasticity_p

(made to fit both the day totals and the quotas by iterative proportional fitting), then matched
to the item rows of each day. Items sold after a price change carry the new price (`ratio`); the
path is scaled so the product's average price over its completed sales stays the calibrated one.

Truth: `menu.elasticity` {spu_name: elasticity} for the products whose price changed,
`menu.launches` and `menu.retired` [{"spu_name", "date"}] (store-local days).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lucky.demo.world import World

SEASON = 0.25                       # iced share swing: +25% mid-summer, -25% mid-winter (hot: reverse)
PEAK_DOY = 200                      # mid-July
ELASTICITY = (-2.0, -0.8)
N_LAUNCH, N_RETIRE = 2, 1
# (kind, price ratio): a permanent rise, a permanent cut, a six-week promotion
CHANGES = (("permanent", 1.35), ("permanent", 0.7), ("promotion", 0.6))
PROMO_DAYS = 42


def plan(world: World, menu: pd.DataFrame) -> pd.DataFrame:
    """Per menu row (menu order): is_iced, launch, retire, and the price path (list of
    (from_day, ratio)); records the truth once."""
    rng = world.rng("menu")
    n = len(menu)
    rank = np.argsort(np.argsort(-menu["weight"].to_numpy()))
    iced = (menu["is_iced"].fillna(0).astype(int) == 1).to_numpy() if "is_iced" in menu else \
        menu["name"].str.startswith("Iced").to_numpy()
    cat = menu["one_category_name"].fillna("").str.lower()
    food = cat.str.contains("food|bakery").to_numpy()
    out = pd.DataFrame({"iced": iced, "food": food, "launch": pd.NaT, "retire": pd.NaT}, index=menu.index)
    out["path"] = [[] for _ in range(n)]
    # price changes: three drinks ranked 2..7 (never the #1, whose average price the report states)
    pool = np.flatnonzero((rank >= 1) & (rank < 7) & ~food)
    chosen = rng.choice(pool, len(CHANGES), replace=False)
    elasticity = {}
    for (kind, ratio), i in zip(CHANGES, chosen):
        day = pd.Timestamp("2025-09-01") + pd.Timedelta(days=int(rng.integers(0, 120)))
        path = [(day, ratio)] + ([(day + pd.Timedelta(days=PROMO_DAYS), 1.0)] if kind == "promotion" else [])
        out.at[out.index[i], "path"] = path
        e = round(float(rng.uniform(*ELASTICITY)), 3)
        out.loc[out.index[i], "elasticity"] = e
        elasticity[str(menu["name"].iloc[i])] = e
    # launches and a retirement among the tail (outside the top 15 and the price changes)
    tail = np.setdiff1d(np.flatnonzero((rank >= 15) & ~food), chosen)
    picks = rng.choice(tail, N_LAUNCH + N_RETIRE, replace=False)
    launches, retired = [], []
    for j, i in enumerate(picks):
        if j < N_LAUNCH:
            day = pd.Timestamp("2025-09-15") + pd.Timedelta(days=int(rng.integers(0, 90)))
            out.loc[out.index[i], "launch"] = day
            launches.append({"spu_name": str(menu["name"].iloc[i]), "date": day.strftime("%Y-%m-%d")})
        else:
            day = pd.Timestamp("2025-12-01") + pd.Timedelta(days=int(rng.integers(0, 50)))
            out.loc[out.index[i], "retire"] = day
            retired.append({"spu_name": str(menu["name"].iloc[i]), "date": day.strftime("%Y-%m-%d")})
    world.truth.setdefault("menu", {})
    world.truth["menu"].update({"elasticity": elasticity, "launches": launches, "retired": retired})
    return out


def _ratio(path: list, days: pd.DatetimeIndex) -> np.ndarray:
    r = np.ones(len(days))
    for day, ratio in path:
        r[days >= day] = ratio
    return r


def _intensity(p: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    """days × products relative intensity (before the day totals and quotas are fitted)."""
    doy = days.day_of_year.to_numpy()
    swing = SEASON * np.cos(2 * np.pi * (doy - PEAK_DOY) / 365.25)
    m = np.ones((len(days), len(p)))
    drinks = ~p["food"].to_numpy()
    m[:, p["iced"].to_numpy() & drinks] *= (1 + swing)[:, None]
    m[:, ~p["iced"].to_numpy() & drinks] *= (1 - swing)[:, None]
    for j, (launch, retire, path, e) in enumerate(zip(p["launch"], p["retire"], p["path"],
                                                      p.get("elasticity", pd.Series(np.nan, index=p.index)))):
        if pd.notna(launch):
            m[days < launch, j] = 0.0
        if pd.notna(retire):
            m[days >= retire, j] = 0.0
        if path:
            m[:, j] *= _ratio(path, days) ** e
    return m


def _fit(m: np.ndarray, rows: np.ndarray, cols: np.ndarray, sweeps: int = 30) -> np.ndarray:
    """Scale m so that its row sums are `rows` and column sums `cols` (IPF)."""
    x = m * np.maximum(cols, 0)[None, :] / np.maximum(m.sum(0), 1e-12)[None, :]
    for _ in range(sweeps):
        x *= (rows / np.maximum(x.sum(1), 1e-12))[:, None]
        x *= (cols / np.maximum(x.sum(0), 1e-12))[None, :]
    return x


def reassign(world: World, menu: pd.DataFrame, pidx: np.ndarray, local_day: np.ndarray,
             parts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(new pidx, price ratio per item row): same count per product within each part."""
    rng = world.rng("menu.assign")
    p = plan(world, menu)
    day = pd.to_datetime(local_day).normalize()
    days = pd.DatetimeIndex(np.unique(day))
    d_ix = days.get_indexer(day)
    m = _intensity(p, days)
    new = pidx.copy()
    for part in parts:
        rows = np.flatnonzero(part)
        if not len(rows):
            continue
        quota = np.bincount(pidx[rows], minlength=len(menu)).astype(float)
        per_day = np.bincount(d_ix[rows], minlength=len(days)).astype(float)
        x = _fit(m, per_day, quota)
        # each product draws its days from its fitted column; then rows are matched in day order
        draws = [np.repeat(j, int(q)) for j, q in enumerate(quota)]
        prod = np.concatenate(draws) if draws else np.empty(0, int)
        when = np.empty(len(prod))
        k = 0
        for j, q in enumerate(quota.astype(int)):
            if q:
                col = x[:, j] / x[:, j].sum()
                when[k:k + q] = rng.choice(len(days), q, p=col)
                k += q
        order = np.lexsort((rng.random(len(prod)), when))
        slot = np.lexsort((rng.random(len(rows)), d_ix[rows]))
        new[rows[slot]] = prod[order]
    ratio = np.ones(len(pidx))
    for j in np.flatnonzero([bool(path) for path in p["path"]]):
        mine = new == j
        r = _ratio(p["path"].iloc[j], pd.DatetimeIndex(day[mine]))
        # prices are set so the product's average over its sales stays the report's (§2.3)
        ratio[mine] = r / r[parts[0][mine]].mean() if parts[0][mine].any() else r
    return new, ratio
