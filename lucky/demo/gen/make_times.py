"""Per-item make times inside a production ticket, and recipes that got slower after a change.

Called by the 'production' step with a few lines:
- `ticket_factor(world, order_pos, create_s)` scales each ticket's accept→done time by how much
  its items' recipes slowed down (1 for a ticket without a slowed item); the window calibration
  of the step runs afterwards, so the report's 217.9 s chain mean still holds.
- `item_done(world, commodity)` gives each `t_commodity` row its own finish time
  (`update_time`): the ticket's accept→done split across its items by make-time weight (recipe
  steps × quantity × a little noise), made one after another in row order.

A product's weight is `BASE_S + STEP_S × recipe steps` (food warmed in the oven: `FOOD_S`).
After a planted recipe change the product's weight is multiplied by its factor, so its items
take `factor` times longer while the other items of the same ticket keep their time.

Truth: `production.slowed` = [{"spu_name", "date" (store-local YYYY-MM-DD), "factor"}].
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lucky.demo.world import World

BASE_S, STEP_S, FOOD_S = 30.0, 12.0, 20.0
N_SLOWED = 2                      # products whose recipe got slower
TOP_K = 6                         # ... chosen among the busiest drinks
FACTOR = (1.5, 1.9)               # how much slower
FIRST, LAST = pd.Timestamp("2025-10-01"), pd.Timestamp("2026-01-15")
NOISE = 0.25                      # lognormal sigma of one item's share of the ticket


def _steps_by_spu(world: World) -> pd.Series:
    from lucky.demo.gen.production import active_recipes
    r = active_recipes(world)
    return r.groupby("spu_code")["step_no"].nunique() if "step_no" in r else r.groupby("spu_code").size()


def weights(world: World) -> pd.Series:
    """Make-time weight (seconds, unscaled) per spu_code."""
    from lucky.demo.gen.production import drink_spus
    p = world.products.drop_duplicates("spu_code").set_index("spu_code")
    steps = _steps_by_spu(world).reindex(p.index).fillna(3)
    drinks = p.index.isin(list(drink_spus(world)))
    return pd.Series(np.where(drinks, BASE_S + STEP_S * steps, FOOD_S), index=p.index)


def slowed(world: World) -> pd.DataFrame:
    """The planted recipe changes (spu_code, spu_name, date, factor, since_s); cached, recorded once."""
    if "slowed_recipes" in world.frames:
        return world.frames["slowed_recipes"]
    from lucky.demo.gen.production import drink_spus
    rng = world.rng("production.slowed")
    it = world.items
    drinks = it[it["spu_code"].isin(list(drink_spus(world)))]
    top = drinks["spu_code"].value_counts().index[:TOP_K]
    pick = rng.choice(np.asarray(top), min(N_SLOWED, len(top)), replace=False)
    names = world.products.drop_duplicates("spu_code").set_index("spu_code")["name"]
    span = (LAST - FIRST).days
    days = [FIRST + pd.Timedelta(days=int(d)) for d in rng.choice(span, len(pick), replace=False)]
    # the new recipe is in force from 05:00 UTC (midnight in New York) of its day
    rows = [{"spu_code": s, "spu_name": str(names.get(s, s)), "date": d,
             "factor": round(float(rng.uniform(*FACTOR)), 3),
             "since_s": float((d + pd.Timedelta(hours=5)).value // 10**9)} for s, d in zip(pick, days)]
    frame = pd.DataFrame(rows, columns=["spu_code", "spu_name", "date", "factor", "since_s"])
    world.frames["slowed_recipes"] = frame
    world.truth.setdefault("production", {"slowed": []})["slowed"] = [
        {"spu_name": r["spu_name"], "date": r["date"].strftime("%Y-%m-%d"), "factor": r["factor"]} for r in rows]
    return frame


def _item_slow(spu: np.ndarray, t: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """The slow-down factor of each item made at time t (seconds)."""
    f = np.ones(len(spu))
    for code, factor, since in zip(table["spu_code"], table["factor"], table["since_s"]):
        f[(spu == code) & (t >= since)] = factor
    return f


def ticket_factor(world: World, order_pos: np.ndarray, create_s: np.ndarray) -> np.ndarray:
    """Per production (orders at `order_pos`, made at `create_s`): Σ slowed weight / Σ weight."""
    table = slowed(world)
    items = world.items
    pos = pd.Index(world.orders["id"]).get_indexer(items["order_id"])
    prod_of = np.full(len(world.orders), -1, dtype=np.int64)
    prod_of[order_pos] = np.arange(len(order_pos))
    prod = np.where(pos >= 0, prod_of[np.maximum(pos, 0)], -1)
    keep = prod >= 0
    spu = items["spu_code"].to_numpy()[keep]
    prod = prod[keep]
    qty = items["quantity"].fillna(1).to_numpy(dtype="float64")[keep] if "quantity" in items else 1.0
    w = pd.Series(spu).map(weights(world)).fillna(FOOD_S).to_numpy() * qty
    ws = w * _item_slow(spu, create_s[prod], table)
    n = len(order_pos)
    base, slow = np.bincount(prod, w, n), np.bincount(prod, ws, n)
    return np.where(base > 0, slow / np.where(base > 0, base, 1), 1.0)


def item_done(world: World, c: pd.DataFrame, accept_s: np.ndarray, done_s: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
    """Finish time (seconds) of each t_commodity row; NaN where its ticket was never done.

    `c` has production_id (1-based position in the schedule), spu_code, quantity, in row order;
    `accept_s`/`done_s` are the schedule's per-production stamps. A ticket without an accept
    stamp splits from its creation (the row's create_time).
    """
    table = slowed(world)
    pr = c["production_id"].to_numpy(dtype="int64") - 1
    spu = c["spu_code"].to_numpy(dtype=object)
    start = np.where(np.isnan(accept_s[pr]), _secs(c["create_time"]), accept_s[pr])
    w = pd.Series(spu).map(weights(world)).fillna(FOOD_S).to_numpy() * c["quantity"].fillna(1).to_numpy(dtype="float64")
    w = w * _item_slow(spu, start, table) * rng.lognormal(-NOISE**2 / 2, NOISE, len(c))
    total = np.bincount(pr, w, len(accept_s))
    cum = pd.Series(w).groupby(pr).cumsum().to_numpy()
    share = cum / np.where(total[pr] > 0, total[pr], 1)
    return start + (done_s[pr] - start) * share


def _secs(ts: pd.Series) -> np.ndarray:
    return pd.to_datetime(ts).to_numpy(dtype="datetime64[s]").astype("int64").astype("float64")


def stamp(world: World, c: pd.DataFrame, p: pd.DataFrame) -> pd.DataFrame:
    """`t_commodity` rows with update_time = the item's finish (its creation if never done)."""
    done = item_done(world, c, p["accept_s"].to_numpy(), p["done_s"].to_numpy(), world.rng("production.items"))
    finished = pd.Series(pd.to_datetime(np.floor(done), unit="s"), index=c.index)
    c["update_time"] = finished.fillna(c["create_time"])
    return c
