"""Lasting tastes for the 'orders' step (issue 15, Tool 11): who orders what.

Every user gets preferences that last the whole period:
  - a favourite-category mix (Dirichlet, so most users lean on one or two categories),
  - iced vs hot, sugar level (Standard / Less Sweet / Low) and price sensitivity (normal draws),
  - two favourite products drawn from their own affinity (the habit drink).
Affinity of user u for product p:

    W_CAT·log(max(cat_u[c(p)], CAT_FLOOR)) + iced_u·(iced_p − ½) + sugar_u·(sugar_p − ½)
      − price_u·(log price_p − mean) + FAV·[p is a favourite of u]

`match` only permutes which of a day's item rows carries which product (the first item of each
order: the user's own drink; a group order's other items are colleagues'), within each
(part, local day, currency): every product keeps its exact item count per part (the report's top-15
calibration) and per day (menu_effects' seasonality, launches and price paths), and orders per
store-day are untouched. Within a day, rows are matched to products by a noisy argmax of
affinity + Gumbel noise − a per-product price λ (a few market-clearing rounds so demand meets
the day's counts); the few rows left over are filled at random. No truth key: the check is
prediction on held-out orders (Tool 11).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lucky.demo.world import World

CAT_CONC = 0.35          # Dirichlet concentration per category (lower = more one-category users)
CAT_FLOOR = 0.02
W_CAT = 1.5
ICED_SD, SUGAR_SD = 1.6, 1.2
PRICE_MEAN, PRICE_SD = 0.8, 0.8
FAV, N_FAV = 3.0, 2
ROUNDS = 12
SUGAR = {"Standard": 1.0, "Less Sweet": 0.5, "Low": 0.0}


def _product_features(menu: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(category index per product, products × 3 [iced, sugar, log price] centred)."""
    cats = menu["one_category_name"].fillna("Other").astype(str)
    cat_ix = pd.factorize(cats, sort=True)[0]
    iced = (menu["is_iced"].fillna(0).astype(float).to_numpy() if "is_iced" in menu
            else menu["name"].str.startswith("Iced").astype(float).to_numpy())
    food = cats.str.lower().str.contains("food|bakery").to_numpy()
    sugar = menu["sugar_level"].map(SUGAR).fillna(0.5).to_numpy() if "sugar_level" in menu \
        else np.full(len(menu), 0.5)
    price = np.log(np.maximum(menu["avg_pay"].astype(float).to_numpy(), 0.5))
    x = np.column_stack([np.where(food, 0.0, iced - 0.5), np.where(food, 0.0, sugar - 0.5),
                         price - price.mean()])
    return cat_ix, x


def _affinity(cat_pref: np.ndarray, coef: np.ndarray, cat_ix: np.ndarray, x: np.ndarray,
              users: np.ndarray, products: np.ndarray) -> np.ndarray:
    """users × products affinity without the favourite bonus."""
    a = W_CAT * np.log(np.maximum(cat_pref[users][:, cat_ix[products]], CAT_FLOOR))
    return a + coef[users] @ x[products].T


def tastes(world: World, menu: pd.DataFrame, n_users: int):
    rng = world.rng("taste")
    cat_ix, x = _product_features(menu)
    cat_pref = rng.dirichlet(np.full(cat_ix.max() + 1, CAT_CONC), n_users)
    coef = np.column_stack([rng.normal(0, ICED_SD, n_users), rng.normal(0, SUGAR_SD, n_users),
                            -rng.normal(PRICE_MEAN, PRICE_SD, n_users)])
    fav = np.empty((n_users, N_FAV), dtype=np.int64)
    allp = np.arange(len(menu))
    weight = np.log(np.maximum(menu["weight"].astype(float).to_numpy(), 1e-9))
    for lo in range(0, n_users, 20000):
        u = np.arange(lo, min(lo + 20000, n_users))
        s = _affinity(cat_pref, coef, cat_ix, x, u, allp) + weight[None, :] \
            + rng.gumbel(size=(len(u), len(allp)))
        for j in range(N_FAV):
            fav[u, j] = np.argmax(s, axis=1)
            s[np.arange(len(u)), fav[u, j]] = -np.inf
    return cat_pref, coef, cat_ix, x, fav


def match(world: World, menu: pd.DataFrame, pidx: np.ndarray, user: np.ndarray,
          local_day: np.ndarray, parts: tuple[np.ndarray, ...], key: np.ndarray | None = None,
          order: np.ndarray | None = None) -> np.ndarray:
    """A permutation `src` of the item rows (new pidx = pidx[src]) that moves products between
    rows of the same part, local day and `key` (the currency: a market's daily product counts
    stay its own) only, so each user's items follow their tastes. With `order` (the order of
    each row, rows of an order together) only the first item of each order is the user's own
    drink and follows the taste; the other items (colleagues' in a group order) stay as drawn,
    and single-item orders swap products only among themselves (their daily mix stays)."""
    rng = world.rng("taste.match")
    user = np.asarray(user, dtype=np.int64)
    cat_pref, coef, cat_ix, x, fav = tastes(world, menu, int(user.max()) + 1 if len(user) else 1)
    day = pd.factorize(pd.to_datetime(local_day).normalize())[0]
    if key is not None:
        day = day * (int(pd.factorize(key)[0].max()) + 1) + pd.factorize(key)[0]
    if order is not None:   # single-item orders trade products only among themselves
        day = day * 2 + (np.bincount(order)[order] == 1)
    src = np.arange(len(pidx))
    own = np.ones(len(pidx), bool) if order is None else np.r_[True, order[1:] != order[:-1]]
    for part in parts:
        part = part & own
        group = np.where(part, day, -1)
        order = np.argsort(group, kind="stable")
        order = order[group[order] >= 0]
        bounds = np.flatnonzero(np.diff(group[order])) + 1
        for rows in np.split(order, bounds):
            if len(rows) > 1:
                src[rows] = rows[_assign(rng, pidx[rows], user[rows], cat_pref, coef, cat_ix, x, fav)]
    return src


def _assign(rng: np.random.Generator, prods: np.ndarray, users: np.ndarray, cat_pref, coef,
            cat_ix, x, fav) -> np.ndarray:
    """For rows with products `prods` and users `users`: a permutation perm of the rows such
    that row i gets product prods[perm[i]] (same multiset), tilted toward each user's taste."""
    uniq, inv, cap = np.unique(prods, return_inverse=True, return_counts=True)
    n, m = len(prods), len(uniq)
    s = _affinity(cat_pref, coef, cat_ix, x, users, uniq)
    for j in range(fav.shape[1]):
        hit = np.searchsorted(uniq, fav[users, j])
        ok = (hit < m) & (uniq[np.minimum(hit, m - 1)] == fav[users, j])
        s[np.flatnonzero(ok), hit[ok]] += FAV
    s += rng.gumbel(size=(n, m))
    lam = np.zeros(m)
    for _ in range(ROUNDS):
        got = np.bincount(np.argmax(s - lam, axis=1), minlength=m)
        lam += 0.7 * np.log((got + 0.5) / (cap + 0.5))
    choice = np.argmax(s - lam, axis=1)
    # keep at most cap rows per product (the best-scoring ones), fill the rest at random
    score = (s - lam)[np.arange(n), choice]
    o = np.lexsort((-score, choice))
    rank = np.empty(n, dtype=np.int64)
    start = np.searchsorted(choice[o], np.arange(m))
    rank[o] = np.arange(n) - start[choice[o]]
    keep = rank < cap[choice]
    left = np.repeat(np.arange(m), cap - np.bincount(choice[keep], minlength=m))
    choice[~keep] = rng.permutation(left)
    # rows of each product, in any order, dealt to the rows that chose it
    by_prod = np.argsort(inv, kind="stable")
    first = np.concatenate([[0], np.cumsum(cap)[:-1]])
    o2 = np.argsort(choice, kind="stable")
    pos = np.arange(n) - first[choice[o2]]
    perm = np.empty(n, dtype=np.int64)
    perm[o2] = by_prod[first[choice[o2]] + pos]
    return perm
