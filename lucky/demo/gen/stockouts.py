"""Planted stock-outs and expiry write-offs in the stock ledger (issue 13, Tool 16).

Called by the 'stock' step after `Ledger.flows()`, with its own random stream, so the rest of the
ledger (and every other step) draws exactly what it drew before.

Planted: missed deliveries. A supplier misses the drops of one store × goods from a delivery day
on; the goods waits for the next scheduled delivery after it has run out (and stayed out 0–1 more
days). On the day it runs out the ledger's sale consumption is what was left on the shelf; the
position stays at zero until the late delivery arrives.
Sales fall while out: the orders step builds this ledger before its orders are final
(`stock.ledger`), and `move_sales` moves every item of a product whose recipe needs the goods
off each whole day the store opened with none (no receipt that morning) to the store's next
days with stock (the customers come back): each swaps places with an item of a product that does
not need it, in an order of the same store and status, so the report's product quotas, order
counts and revenue by store stay exactly as calibrated. Truth: inventory.lost_sales =
completed dependent items moved off each such day (an item needing two goods out that day counts
under each; one needing a goods found out in a later round was already moved, under the first).
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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lucky.demo.gen import usage

N_MISSED = 8        # missed-delivery events per build
N_EXPIRY = 10       # expiry write-offs per build
FIRST_DAY = 30      # no event in a store's first month (the ledger needs a usual to compare with)
EXPIRY_LIFE = (2, 14)   # shelf life (days) of goods received in dated lots
MAX_WAIT = 5        # days: a missed delivery whose goods would last longer than this is not chosen


MOVE_WITHIN = 28    # days: moved sales land on the store's next days with stock within this
MOVE_ROUNDS = 3


def plant(world, L, rng: np.random.Generator) -> None:
    """Change L.delivery, L.W; recompute L.R, L.E, L.A, L.W, L.J (keeping the uncapped demand)."""
    n_days = L.E.shape[1]
    s = world.shops
    real = s[(s["test_flag"] == 0) & (s["internal"] == 0) & (s["currency_code"] == "USD")]["id"]
    recipe = ~L.supply & L.pairs["shop_id"].isin(real).to_numpy()   # real US stores' recipe goods
    busy = (L.A > 0).sum(axis=1) >= 0.8 * np.maximum(L.open.sum(axis=1), 1)
    since_open = np.arange(n_days)[None, :] - L.open_day[:, None]
    used: set[int] = set()
    life = L.pairs["goods_code"].map(world.goods.drop_duplicates("goods_code").set_index("goods_code")["shelf_life_days"])
    dated = life.between(EXPIRY_LIFE[0], EXPIRY_LIFE[1]).to_numpy()   # milk, juices, tea base, cold brew; not ice
    L.planted_waste = _expiries(L, recipe & dated, since_open, rng, used)
    _missed(L, recipe & busy, since_open, rng, used, n_days)
    L.demand = (L.A.copy(), L.W.copy(), L.J.copy())     # before capping at what is on hand
    _replenish(L)


def record(world, L) -> None:
    """Truth of the final ledger: every open day a position ends at zero; the planted write-offs."""
    truth = world.truth["inventory"]
    pi, di = np.nonzero(L.open & (L.E <= 0))
    shops, goods = L.pairs["shop_id"].to_numpy(), L.pairs["goods_code"].to_numpy()
    truth["stockouts"] = [{"shop_id": int(shops[p]), "goods_code": str(goods[p]),
                           "date": L.days[d].strftime("%Y-%m-%d")} for p, d in zip(pi, di)]
    truth["waste"] = [{"shop_id": int(shops[p]), "goods_code": str(goods[p]), "date": L.days[d].strftime("%Y-%m-%d"),
                       "qty": float(L.W[p, d])} for p, d in L.planted_waste]


def out_days(L) -> tuple[np.ndarray, np.ndarray]:
    """(pair, day) of every whole day out: open, yesterday's close at zero, no receipt this morning."""
    was_out = np.zeros_like(L.open)
    was_out[:, 1:] = L.open[:, :-1] & (L.E[:, :-1] <= 0)
    return np.nonzero(L.open & was_out & (L.R <= 0))


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
    (L.demand: sales, waste, stocktake) capped at what is on hand: sales first, then waste at
    close, then the stocktake adjustment."""
    A, W, J = L.demand
    prev = np.zeros(len(L.pairs))
    for j in range(L.E.shape[1]):
        r = np.round(np.where(L.delivery[:, j], np.maximum(L.S - prev, 0), 0.0), 4)
        avail = prev + r
        a = np.minimum(A[:, j], avail)
        left = avail - a
        w = np.minimum(W[:, j], left)
        left = left - w
        adj = np.where(left <= 0, 0.0, np.maximum(J[:, j], -left))
        L.R[:, j], L.A[:, j], L.W[:, j], L.J[:, j] = r, a, w, adj
        prev = np.where(left + adj <= 0, 0.0, np.round(prev + r - (a + w - adj), 4))
        L.E[:, j] = prev


def move_sales(world, L, orders: pd.DataFrame, items: pd.DataFrame, rng) -> tuple[np.ndarray, np.ndarray]:
    """Items (positions in `items`) to swap: (a, b) = a dependent item on a whole day out, an item
    of a product without that goods at the same store and status on one of the next days with
    stock. Applies the swap's usage to the ledger (L.T, L.sold, demand), replenishes again and
    records inventory.lost_sales. `orders`: id, status, shop_id, local_date; `items`: order_id,
    quantity, recipe_k (`usage.recipe_keys`; positions as the orders step's items). The substitutes can
    empty another goods's shelf in turn: up to MOVE_ROUNDS rounds, every item swapped once."""
    r, skus, k = usage.recipe_keys(world, items)
    pos = pd.Index(orders["id"]).get_indexer(items["order_id"])
    at = _Items(shop=orders["shop_id"].to_numpy()[pos], done=orders["status"].to_numpy()[pos] == 90,
                day=L.days.get_indexer(pd.DatetimeIndex(pd.to_datetime(orders["local_date"].to_numpy()[pos]))),
                k=k, qty=items["quantity"].to_numpy(), used=np.zeros(len(items), bool))
    needs_of = {g: skus.get_indexer(c.unique()) for g, c in r.groupby("goods_code")["sku_code"]}
    seen: set[tuple[int, int]] = set()
    a_all, b_all, lost = [np.zeros(0, "int64")], [np.zeros(0, "int64")], []
    for _ in range(MOVE_ROUNDS):
        pi, di = out_days(L)
        cells = pd.DataFrame({"s": L.pairs["shop_id"].to_numpy()[pi], "g": L.pairs["goods_code"].to_numpy()[pi],
                              "d": di})
        new = np.array([(s, d) not in seen for s, d in zip(cells["s"].tolist(), cells["d"].tolist())], bool)
        if not new.any():
            break
        a, b = _swaps(cells, new, at, needs_of, len(skus), lost, L, rng)
        seen |= set(zip(cells["s"][new].tolist(), cells["d"][new].tolist()))
        _apply(world, L, orders, items, a, b)
        a_all.append(a)
        b_all.append(b)
    world.truth["inventory"]["lost_sales"] = _still_out(L, lost)
    return np.concatenate(a_all), np.concatenate(b_all)


def _still_out(L, lost: list[dict]) -> list[dict]:
    """The lost-sales records whose day is still a whole day out in the final ledger: replenishing
    after a later round's swaps can refill a shelf that an earlier round found empty."""
    pi, di = out_days(L)
    final = set(zip(L.pairs["shop_id"].to_numpy()[pi].tolist(), L.pairs["goods_code"].to_numpy()[pi].tolist(),
                    [L.days[d].strftime("%Y-%m-%d") for d in di]))
    return [r for r in lost if (r["shop_id"], r["goods_code"], r["date"]) in final]


@dataclass
class _Items:
    """Per item of the orders step: store, completed?, ledger day, recipe index, quantity, swapped?"""
    shop: np.ndarray
    done: np.ndarray
    day: np.ndarray
    k: np.ndarray
    qty: np.ndarray
    used: np.ndarray


def _swaps(cells: pd.DataFrame, new: np.ndarray, it: _Items, needs_of: dict, n_skus: int, lost: list,
           L, rng) -> tuple[np.ndarray, np.ndarray]:
    """One round: for each new store × whole day out, the items needing any goods out that day
    and as many partners (same store and status, not needing them, on the next MOVE_WITHIN days,
    on a day with nothing out at the store), nearest days first."""
    n_days = len(L.days)
    out_day = cells["s"].to_numpy().astype("int64") * n_days + cells["d"].to_numpy()
    here = np.flatnonzero(np.isin(it.shop, cells["s"][new].unique()) & ~it.used)
    key = it.shop[here].astype("int64") * n_days + it.day[here]
    order = np.argsort(key, kind="stable")
    here, key = here[order], key[order]          # store-days contiguous: slices, not masks
    free = np.zeros(len(it.shop), bool)
    free[here] = ~np.isin(key, out_day)
    a_all, b_all = [np.zeros(0, "int64")], [np.zeros(0, "int64")]
    for (s, d), cell in cells[new].groupby(["s", "d"]):
        needs = np.zeros((len(cell), n_skus + 1), bool)     # k = -1 (no recipe) needs nothing
        for i, g in enumerate(cell["g"]):
            needs[i, needs_of.get(g, [])] = True
        lo, hi, end = np.searchsorted(key, [s * n_days + d, s * n_days + d + 1, s * n_days + d + MOVE_WITHIN + 1])
        day_items = here[lo:hi]
        hit = needs[:, it.k[day_items]]
        a = day_items[hit.any(axis=0)]
        for g, row in zip(cell["g"], hit):
            lost.append({"shop_id": int(s), "goods_code": str(g), "date": L.days[d].strftime("%Y-%m-%d"),
                         "items": float(it.qty[day_items[row & it.done[day_items]]].sum())})
        later = here[hi:end]
        later = later[free[later] & ~needs.any(axis=0)[it.k[later]]]
        for cls in (True, False):
            ac = a[it.done[a] == cls]
            cand = later[it.done[later] == cls]
            cand = cand[np.lexsort((rng.random(len(cand)), it.day[cand]))][:len(ac)]
            free[cand] = False
            a_all.append(ac[:len(cand)])
            b_all.append(cand)
    a, b = np.concatenate(a_all), np.concatenate(b_all)
    it.used[a] = it.used[b] = True
    return a, b


def _apply(world, L, orders: pd.DataFrame, items: pd.DataFrame, a: np.ndarray, b: np.ndarray) -> None:
    """Add the swap's recipe usage to the ledger: content of b at a's order and of a at b's,
    minus what each had; then the changed cells' demand and the receipts and closing stock."""
    cols = ["recipe_k", "quantity"]
    was = items.iloc[np.r_[a, b]]
    now = pd.DataFrame({c: items[c].to_numpy()[np.r_[b, a]] for c in cols})
    now["order_id"] = was["order_id"].to_numpy()
    delta = pd.concat([now, was[["order_id"] + cols].assign(quantity=-was["quantity"].to_numpy())],
                      ignore_index=True)
    u = usage.theoretical_usage(world, orders, delta)
    pi = pd.MultiIndex.from_frame(L.pairs).get_indexer(pd.MultiIndex.from_frame(u[["shop_id", "goods_code"]]))
    di = L.days.get_indexer(pd.to_datetime(u["local_date"]))
    ok = (pi >= 0) & (di >= 0)
    pi, di = pi[ok], di[ok]
    np.add.at(L.T, (pi, di), u["usage"].to_numpy()[ok])
    np.add.at(L.sold, (pi, di), u["sold"].to_numpy()[ok])
    L.T[pi, di] = np.round(np.maximum(L.T[pi, di], 0), 9)
    L.sold[pi, di] = np.round(np.maximum(L.sold[pi, di], 0), 9)
    L.demand[0][pi, di] = np.round(L.T[pi, di] * L.mult[pi, di], 4)
    _replenish(L)
