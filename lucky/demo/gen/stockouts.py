"""Planted stock-outs and expiry write-offs in the stock ledger (issue 13, Tool 16).

Called by the 'stock' step after `Ledger.flows()`, with its own random stream, so the rest of the
ledger (and every other step) draws exactly what it drew before.

Planted: missed deliveries. A supplier misses the drops of one store × goods from a delivery day
on; the goods waits for the next scheduled delivery after it has run out (and stayed out 0–1 more
days). Sales are not cut: orders are made before the stock step, so the ledger's sale consumption
on an out day is what was left on the shelf (the rest of the recipe usage goes unrecorded, as
when baristas improvise); the position stays at zero until the late delivery arrives.
Planted: perishable write-offs at expiry. On a few store-days a dated lot (shelf life 2–14 days)
expires with stock left: 30–60% of what remains after the day's sales is written off at close
(change_type 3, waste), sometimes enough to run the goods out before its next delivery.

The receipts and end-of-day positions are then recomputed for every pair by the same
order-up-to rule, with flows capped at what is on hand (never negative). Truth:
inventory.stockouts = every open store-local day a position ends at zero (it reached zero that
day and no receipt follows before close: receipts come before opening); inventory.waste = the
planted write-offs.
"""
from __future__ import annotations

import numpy as np

N_MISSED = 8        # missed-delivery events per build
N_EXPIRY = 10       # expiry write-offs per build
FIRST_DAY = 30      # no event in a store's first month (the ledger needs a usual to compare with)
EXPIRY_LIFE = (2, 14)   # shelf life (days) of goods received in dated lots
MAX_WAIT = 5        # days: a missed delivery whose goods would last longer than this is not chosen


def plant(world, L, rng: np.random.Generator) -> None:
    """Change L.delivery, L.W; recompute L.R, L.E, L.A, L.W, L.J; record the truth."""
    n_days = L.E.shape[1]
    s = world.shops
    real = s[(s["test_flag"] == 0) & (s["internal"] == 0) & (s["currency_code"] == "USD")]["id"]
    recipe = ~L.supply & L.pairs["shop_id"].isin(real).to_numpy()   # real US stores' recipe goods
    busy = (L.A > 0).sum(axis=1) >= 0.8 * np.maximum(L.open.sum(axis=1), 1)
    since_open = np.arange(n_days)[None, :] - L.open_day[:, None]
    used: set[int] = set()
    truth = world.truth["inventory"]
    life = L.pairs["goods_code"].map(world.goods.drop_duplicates("goods_code").set_index("goods_code")["shelf_life_days"])
    dated = life.between(EXPIRY_LIFE[0], EXPIRY_LIFE[1]).to_numpy()   # milk, juices, tea base, cold brew; not ice
    waste = _expiries(L, recipe & dated, since_open, rng, used)
    _missed(L, recipe & busy, since_open, rng, used, n_days)
    _replenish(L)
    pi, di = np.nonzero(L.open & (L.E <= 0))
    shops, goods = L.pairs["shop_id"].to_numpy(), L.pairs["goods_code"].to_numpy()
    truth["stockouts"] = [{"shop_id": int(shops[p]), "goods_code": str(goods[p]),
                           "date": L.days[d].strftime("%Y-%m-%d")} for p, d in zip(pi, di)]
    truth["waste"] = [{"shop_id": int(shops[p]), "goods_code": str(goods[p]), "date": L.days[d].strftime("%Y-%m-%d"),
                       "qty": float(L.W[p, d])} for p, d in waste]


def _expiries(L, ok: np.ndarray, since_open: np.ndarray, rng, used: set[int]) -> list[tuple[int, int]]:
    """Write off 30–60% of what is left after the day's sales on N_EXPIRY perishable store-days."""
    left = np.zeros_like(L.E)
    left[:, 1:] = L.E[:, :-1]
    left = left + L.R - L.A
    cand = ok[:, None] & L.open & (since_open >= FIRST_DAY) & (L.W == 0) & (left > 1) & (L.A > 0)
    pi, di = np.nonzero(cand)
    out: list[tuple[int, int]] = []
    for k in rng.permutation(len(pi)):
        p, d = int(pi[k]), int(di[k])
        if p in used:
            continue
        used.add(p)
        L.W[p, d] = round(float(left[p, d]) * rng.uniform(0.3, 0.6), 2)
        out.append((p, d))
        if len(out) == N_EXPIRY:
            break
    return out


def _missed(L, ok: np.ndarray, since_open: np.ndarray, rng, used: set[int], n_days: int) -> None:
    """Skip the deliveries of N_MISSED store × goods from a delivery day until the goods has run out."""
    cand = ok[:, None] & L.delivery & (since_open >= FIRST_DAY) & (np.arange(n_days)[None, :] < n_days - MAX_WAIT - 3)
    pi, di = np.nonzero(cand)
    n = 0
    for k in rng.permutation(len(pi)):
        p, d = int(pi[k]), int(di[k])
        if p in used:
            continue
        on_hand = L.E[p, d - 1]
        gone = np.flatnonzero(np.cumsum(L.A[p, d:d + MAX_WAIT]) >= on_hand)
        if len(gone) == 0:
            continue
        out_day = d + int(gone[0]) + int(rng.integers(0, 2))
        resume = out_day + 1 + np.flatnonzero(L.delivery[p, out_day + 1:])
        if len(resume) == 0:
            continue
        used.add(p)
        L.delivery[p, d:int(resume[0])] = False
        L.J[p, d:int(resume[0])] = 0.0      # no stocktake correction while the shelf runs dry
        n += 1
        if n == N_MISSED:
            break


def _replenish(L) -> None:
    """Receipts (order-up-to S on delivery days) and closing stock, day by day, with every outflow
    capped at what is on hand: sales first, then waste at close, then the stocktake adjustment."""
    prev = np.zeros(len(L.pairs))
    for j in range(L.E.shape[1]):
        r = np.round(np.where(L.delivery[:, j], np.maximum(L.S - prev, 0), 0.0), 4)
        avail = prev + r
        a = np.minimum(L.A[:, j], avail)
        left = avail - a
        w = np.minimum(L.W[:, j], left)
        left = left - w
        adj = np.where(left <= 0, 0.0, np.maximum(L.J[:, j], -left))
        L.R[:, j], L.A[:, j], L.W[:, j], L.J[:, j] = r, a, w, adj
        prev = np.where(left + adj <= 0, 0.0, np.round(prev + r - (a + w - adj), 4))
        L.E[:, j] = prev
