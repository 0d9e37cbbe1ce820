"""Menu engineering and price elasticity (the shared menu model of issue 15).

Menu engineering after Kasavana & Smith (1982):
- contribution margin CM = price actually paid per unit − food cost per unit;
- popular when the product's menu-mix share ≥ 70% of 1/N (N products on the menu analysed);
- high margin when CM ≥ the mix-weighted mean CM (Σ units × CM / Σ units);
- Star (popular, high CM), Plowhorse (popular, low CM), Puzzle (unpopular, high CM), Dog (neither).
The report's BCG-style names stand beside them (Stars, Plow Horses, Puzzles, Dogs).

Price elasticity: for a product whose list price moved, a Poisson regression of its daily units
on log(list price) with log(units that day of the steady products of the same kind: iced drinks,
hot drinks or food) as offset: the offset carries the day's traffic, the weekday and the season,
so the slope is the elasticity of the product's share. The 95% interval is the model's (Wald).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

POPULARITY = 0.70
QUADRANTS = {(True, True): "Star", (True, False): "Plowhorse", (False, True): "Puzzle", (False, False): "Dog"}
BCG = {"Star": "Stars", "Plowhorse": "Plow Horses", "Puzzle": "Puzzles", "Dog": "Dogs"}
MIN_MOVE = 0.03      # a list price change smaller than 3% is rounding, not a price change


def kasavana_smith(df: pd.DataFrame) -> pd.DataFrame:
    """`df`: one row per product with units, price (mean paid per unit), unit_cost.
    Adds menu_mix_pct, contribution_margin, popular, high_margin, quadrant, bcg; states the
    thresholds as columns popularity_threshold_pct and margin_threshold."""
    out = df.copy()
    n = len(out)
    total = float(out["units"].sum())
    if n == 0 or total <= 0:
        return out.assign(menu_mix_pct=[], contribution_margin=[], quadrant=[], bcg=[])
    out["menu_mix_pct"] = out["units"] / total * 100
    out["contribution_margin"] = out["price"] - out["unit_cost"]
    pop_threshold = POPULARITY * 100 / n
    cm_threshold = float((out["units"] * out["contribution_margin"]).sum() / total)
    out["popular"] = out["menu_mix_pct"] >= pop_threshold
    out["high_margin"] = out["contribution_margin"] >= cm_threshold
    out["quadrant"] = [QUADRANTS[(bool(p), bool(h))] for p, h in zip(out["popular"], out["high_margin"])]
    out["bcg"] = out["quadrant"].map(BCG)
    out["popularity_threshold_pct"] = pop_threshold
    out["margin_threshold"] = cm_threshold
    return out


def price_moves(daily: pd.DataFrame) -> pd.DataFrame:
    """Days a product's list price changed by MIN_MOVE or more: spu_name, date, old, new.
    `daily`: spu_name, business_date, list_price (forward-filled over days without sales)."""
    rows = []
    for name, g in daily.sort_values("business_date").groupby("spu_name"):
        p = g["list_price"].to_numpy()
        d = g["business_date"].to_numpy()
        level = p[0]
        for i in range(1, len(p)):
            if abs(p[i] / level - 1) >= MIN_MOVE and (i + 1 >= len(p) or abs(p[i + 1] / level - 1) >= MIN_MOVE):
                rows.append({"spu_name": name, "date": pd.Timestamp(d[i]), "old_price": level, "new_price": p[i]})
                level = p[i]
    return pd.DataFrame(rows, columns=["spu_name", "date", "old_price", "new_price"])


def elasticity(daily: pd.DataFrame, name: str) -> dict:
    """Poisson log-log elasticity of `name` (see the module notes). `daily`: spu_name,
    business_date, units, list_price, ref_units (same-temperature units of the other products)."""
    # the GLM module alone: statsmodels.api also loads its plots and time-series code (0.3-0.7 s
    # of a first view, once per process)
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM

    g = daily[(daily["spu_name"] == name) & (daily["ref_units"] > 0) & (daily["list_price"] > 0)]
    if len(g) < 14 or g["list_price"].nunique() < 2:
        return {"spu_name": name, "elasticity": np.nan, "ci_low": np.nan, "ci_high": np.nan, "days": len(g)}
    x = np.column_stack([np.ones(len(g)), np.log(g["list_price"].to_numpy(dtype=float))])   # constant first
    fit = GLM(g["units"].to_numpy(dtype=float), x, family=Poisson(),
                 offset=np.log(g["ref_units"].to_numpy(dtype=float))).fit()
    lo, hi = fit.conf_int()[1]
    return {"spu_name": name, "elasticity": float(fit.params[1]), "ci_low": float(lo), "ci_high": float(hi),
            "days": int(len(g))}
