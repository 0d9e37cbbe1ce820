"""Implicit-feedback recommender and its offline evaluation (Tool 11). Pure functions on frames.

Model (item-item collaborative filtering with confidence weighting, blended):
  - interactions: c[u, i] = number of the user's orders holding product i (before the cutoff);
    confidence w[u, i] = log(1 + c[u, i] / EPS) (Hu, Koren & Volinsky 2008's log confidence).
  - item similarity: cosine between the columns of w, S = D^-1/2 WᵀW D^-1/2, diagonal removed.
  - collaborative part cf[u] = w[u] S, normalised to sum 1 over the candidates;
    own part own[u] = c[u] / Σ c[u] (the user's own mix: in coffee the habit is strong);
    season prior pop = the products' share of orders in the SEASON_DAYS before the cutoff
    (iced up in summer, hot in winter; a retired product drops out, a launch comes in).
  - score[u] = (n_u · (OWN · own + (1 − OWN) · cf) + K · pop) / (n_u + K), n_u = the user's orders:
    shrinkage toward the season prior for users with little history.
  Candidates: products sold in the SEASON_DAYS before the cutoff (on the menu now).

Evaluation on held-out orders (after the cutoff), one case per order of a user with history:
  hit@k = 1 if any of the order's products is among the user's top k;
  NDCG@k = Σ_{r≤k} rel_r / log2(r + 1) ÷ Σ_{r≤min(k, |order|)} 1 / log2(r + 1).
  Both are averaged over the held-out orders (micro average).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from lucky.models import keys

EPS = 1.0
OWN = 0.6
K = 2.0
SEASON_DAYS = 28
TOP = 3


def encode(interactions: pd.DataFrame) -> tuple[pd.Index, pd.DataFrame]:
    """(users: the sorted distinct user_no, interactions with user_no as its position there).
    Integer users make joins, sorts and groups several times cheaper than text, and sorted
    positions order as the text does, so every tie breaks the same way."""
    codes, users = pd.factorize(interactions["user_no"], sort=True)
    return pd.Index(users, name="user_no"), interactions.assign(user_no=codes)


def coded(frame: pd.DataFrame, users: pd.Index) -> pd.DataFrame:
    """`frame` with user_no as its position in `users` (hashed in Arrow, `keys.codes`); rows of
    other users left out."""
    pos = keys.codes(frame["user_no"], users)
    return frame.assign(user_no=pos)[pos >= 0].reset_index(drop=True)


def labelled(frame: pd.DataFrame, users: pd.Index) -> pd.DataFrame:
    """The inverse of `coded`: user_no back from its position in `users`."""
    return frame.assign(user_no=users.take(frame["user_no"].to_numpy(int)))


def matrix(interactions: pd.DataFrame, users: pd.Index | None = None,
           items: pd.Index | None = None) -> tuple[sparse.csr_matrix, pd.Index, pd.Index]:
    """`interactions`: user_no, spu_name, orders. The users × items count matrix (csr) and its
    row and column labels (sorted)."""
    r, users = _positions(interactions["user_no"], users)
    c, items = _positions(interactions["spu_name"], items)
    ok = (r >= 0) & (c >= 0)
    m = sparse.csr_matrix((interactions["orders"].to_numpy(float)[ok], (r[ok], c[ok])),
                          shape=(len(users), len(items)))
    m.sum_duplicates()
    return m, users, items


def _positions(values: pd.Series, labels: pd.Index | None) -> tuple[np.ndarray, pd.Index]:
    """Each value's position in `labels` (default: its sorted distinct values; −1 when absent),
    looked up once per distinct value rather than once per row."""
    codes, found = pd.factorize(values, sort=labels is None)
    if labels is None:
        return codes, pd.Index(found)
    return np.append(labels.get_indexer(found), -1)[codes], labels


def confidence(counts: sparse.csr_matrix, eps: float = EPS) -> sparse.csr_matrix:
    w = counts.copy().astype(float)
    w.data = np.log1p(w.data / eps)
    return w


def item_similarity(w: sparse.csr_matrix) -> np.ndarray:
    """Cosine similarity of the item columns of w (dense items × items), zero diagonal."""
    g = (w.T @ w).toarray()
    norm = np.sqrt(np.maximum(np.diag(g), 1e-12))
    s = g / norm[:, None] / norm[None, :]
    np.fill_diagonal(s, 0.0)
    s[np.diag(g) <= 0, :] = 0.0
    s[:, np.diag(g) <= 0] = 0.0
    return s


def _rownorm(x: np.ndarray) -> np.ndarray:
    """Rows of the non-negative `x` scaled to sum 1 (all-zero rows stay zero), in place: the
    score matrices are users × items, and a fresh array per step cost more than the arithmetic."""
    tot = x.sum(axis=1, keepdims=True)
    return np.divide(x, tot, out=x, where=tot > 0)


def scores(counts: sparse.csr_matrix, n_orders: np.ndarray, season: np.ndarray,
           candidates: np.ndarray | None = None, own: float = OWN, k: float = K,
           similarity: np.ndarray | None = None) -> np.ndarray:
    """users × items blended score (see the module notes). `season`: items' share of recent
    orders; `candidates`: bool mask of items that can be recommended (default: all);
    `similarity`: the item similarity if already computed (on all users)."""
    n_items = counts.shape[1]
    cand = np.ones(n_items, bool) if candidates is None else np.asarray(candidates, bool)
    w = confidence(counts)
    s = item_similarity(w) if similarity is None else similarity
    pop = np.where(cand, season, 0.0)
    pop = pop / pop.sum() if pop.sum() > 0 else pop
    n = np.asarray(n_orders, float)[:, None]
    personal = _rownorm(counts.toarray() * cand)    # own · mine + (1 − own) · cf, built in place
    personal *= own
    cf = _rownorm(np.asarray(w @ s) * cand)
    cf *= 1 - own
    personal += cf
    # a user whose history is all off the menu leans on the prior only
    has = personal.sum(axis=1) > 0
    personal *= n
    personal += k * pop[None, :]
    personal /= n + k
    personal[~has] = pop
    return personal


def recommend(counts: sparse.csr_matrix, n_orders: np.ndarray, season: np.ndarray, users: pd.Index,
              items: pd.Index, candidates: np.ndarray | None = None, k: int = TOP,
              chunk: int = 4096) -> pd.DataFrame:
    """Top k per user (user_no, rank, spu_name, score), scored in chunks of users so memory stays
    at chunk × items (the similarity is learned once on every user); 4,096 users × ~100 items
    keep a chunk's arrays in the processor's cache (20,000 ran twice as slow)."""
    sim = item_similarity(confidence(counts))
    k = min(k, counts.shape[1])
    idx, best = [np.empty((0, k), np.intp)], [np.empty((0, k))]
    for lo in range(0, counts.shape[0], chunk):
        score = scores(counts[lo:lo + chunk], n_orders[lo:lo + chunk], season, candidates, similarity=sim)
        idx.append(_best(score, k))
        best.append(np.take_along_axis(score, idx[-1], axis=1))
    return _ranked(users, items, np.concatenate(idx), np.concatenate(best))


def _best(score: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's k highest scores, best first, ties to the lower index (as a
    stable sort of −score), by k passes of argmax: sorting every row costs several times more."""
    s = score.copy()
    rows = np.arange(len(s))
    idx = np.empty((len(s), k), np.intp)
    for r in range(k):
        idx[:, r] = s.argmax(axis=1)
        s[rows, idx[:, r]] = -np.inf
    return idx


def _ranked(users: pd.Index, items: pd.Index, idx: np.ndarray, best: np.ndarray) -> pd.DataFrame:
    """The long table of `idx`/`best` (users × k). Labels are taken from the indexes (Arrow
    takes), never built as Python objects: half a million strings cost a second that way."""
    k = idx.shape[1]
    return pd.DataFrame({"user_no": users.repeat(k), "rank": np.tile(np.arange(1, k + 1), len(users)),
                         "spu_name": items.take(idx.ravel()), "score": best.ravel()})


def top_k(score: np.ndarray, users: pd.Index, items: pd.Index, k: int = TOP) -> pd.DataFrame:
    """user_no, rank (1..k), spu_name, score: each user's k best (ties broken by item order)."""
    if score.size == 0:
        return pd.DataFrame(columns=["user_no", "rank", "spu_name", "score"])
    idx = _best(score, min(k, score.shape[1]))
    return _ranked(users, items, idx, np.take_along_axis(score, idx, axis=1))


def popularity_recs(users: pd.Index, season: pd.Series, k: int = TOP) -> pd.DataFrame:
    """The popularity baseline: everyone gets the season's top k (season: share per spu_name)."""
    top = season.sort_values(ascending=False, kind="stable").head(k)
    idx = np.tile(np.arange(len(top)), (len(users), 1))
    return _ranked(users, top.index, idx, top.to_numpy()[idx])


def favourite_recs(interactions: pd.DataFrame, k: int = TOP) -> pd.DataFrame:
    """The 'reorder your favourite' baseline: each user's k most-ordered products (ties: name).
    One lexsort on integer codes (sorted, so ties break by the text) instead of a text sort."""
    u, users = pd.factorize(interactions["user_no"], sort=True)
    i, items = pd.factorize(interactions["spu_name"], sort=True)
    orders = interactions["orders"].to_numpy(float)
    o = np.lexsort((i, -orders, u))
    first = np.flatnonzero(np.r_[True, u[o][1:] != u[o][:-1]])          # each user's first row
    rank = np.arange(len(o)) - np.repeat(first, np.diff(np.r_[first, len(o)])) + 1
    keep = o[rank <= k]
    return pd.DataFrame({"user_no": users.take(u[keep]), "rank": rank[rank <= k],
                         "spu_name": items.take(i[keep]), "score": orders[keep]})


def evaluate(recs: pd.DataFrame, heldout: pd.DataFrame, k: int = TOP) -> dict:
    """hit rate@k and NDCG@k of `recs` (user_no, rank, spu_name) on `heldout` (order_id,
    user_no, spu_name: the distinct products of each held-out order), over the held-out orders
    of users who have recommendations. Returns hit_rate, ndcg, orders, users.

    Users and products are matched as integer positions (one int64 key per pair): the text pair
    join it replaces was most of the time of three evaluations over 500,000 recommendations."""
    r = recs[recs["rank"] <= k]
    who = pd.Index(r["user_no"].unique())
    hu = who.get_indexer(heldout["user_no"])
    h = heldout[["order_id"]].assign(user=hu)[hu >= 0]
    hi, names = pd.factorize(heldout["spu_name"][hu >= 0])
    h = h.assign(item=hi + 1).drop_duplicates()                   # 0: a product without a name
    if h.empty:
        return {"hit_rate": float("nan"), "ndcg": float("nan"), "orders": 0, "users": 0}
    rc, rnames = pd.factorize(r["spu_name"])                        # 80 names: match those, not 500,000 rows
    ri = np.append(pd.Index(names).get_indexer(rnames) + 1, 0)[rc]  # 0: never ordered after the cutoff
    width = len(names) + 1
    rk = pd.DataFrame({"key": who.get_indexer(r["user_no"]).astype(np.int64) * width + ri,
                       "rank": r["rank"].to_numpy()})[ri > 0]
    size = h.groupby("order_id").size()
    m = pd.DataFrame({"order_id": h["order_id"].to_numpy(),
                      "key": h["user"].to_numpy(np.int64) * width + h["item"].to_numpy()}).merge(rk, on="key")
    gain = (1 / np.log2(m["rank"] + 1)).groupby(m["order_id"]).sum().reindex(size.index, fill_value=0.0)
    disc = np.concatenate([[0.0], np.cumsum(1 / np.log2(np.arange(2, k + 2)))])   # ideal DCG by order size
    ideal = pd.Series(disc[np.minimum(size.to_numpy(), k)], index=size.index)
    hit = m.groupby("order_id").size().reindex(size.index, fill_value=0) > 0
    return {"hit_rate": float(hit.mean()), "ndcg": float((gain / ideal).mean()),
            "orders": int(len(size)), "users": int(h["user"].nunique())}


PROFILE_COLS = ["user_no", "orders", "avg_spend", "top_category", "categories", "iced_share", "sugar", "segment"]


def profiles(interactions: pd.DataFrame, orders: pd.DataFrame, attributes: pd.DataFrame) -> pd.DataFrame:
    """Per user taste profile. `interactions`: user_no, spu_name, category, orders, units, pay;
    `orders`: user_no, orders, spend; `attributes`: spu_name, is_iced, sugar_level (one row a
    name). Columns: user_no, orders, avg_spend, top_category, categories (shares of items, top 3),
    iced_share (of drink items), sugar (the sugar level most of their drinks carry), segment
    (lookalike segment: iced/hot × top category).

    Categories and sugar levels are a handful, users hundreds of thousands: sums go into dense
    users × categories grids (np.bincount) and texts are written once per distinct combination,
    not per user. Ties break by name (codes are given in sorted order)."""
    if interactions.empty:
        return pd.DataFrame(columns=PROFILE_COLS)
    u, users = pd.factorize(interactions["user_no"], sort=True)
    c, cats = pd.factorize(interactions["category"], sort=True)
    units = interactions["units"].to_numpy(float)
    is_iced, sugar, sugars = _attributes(attributes, interactions["spu_name"])
    units_c, seen_c = _grid(u, c, units, len(users), len(cats))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = units_c / units_c.sum(axis=1, keepdims=True)
    order = np.argsort(np.where(seen_c, -share, np.inf), axis=1, kind="stable")[:, :3]
    has = np.take_along_axis(seen_c, order, axis=1)
    pct = np.round(np.take_along_axis(share, order, axis=1) * 100)       # half to even, as pandas
    top = np.where(has[:, 0], order[:, 0], -1)
    drink = np.append(~pd.Series(cats, dtype=object).str.lower().str.contains("food|bakery").to_numpy(bool), True)[c]
    iced = np.round(_ratio(u[drink], (units * (is_iced == 1))[drink], units[drink], len(users)), 3)
    units_s, seen_s = _grid(u[drink], sugar[drink], units[drink], len(users), len(sugars))
    fav = np.argmax(np.where(seen_s, units_s, -1.0), axis=1) if len(sugars) else np.zeros(len(users), int)
    o = orders.set_index("user_no")
    temp = np.where(np.isnan(iced), 0, np.where(iced >= 0.5, 1, 2))      # Food, Iced, Hot
    return pd.DataFrame({
        "user_no": users,
        "orders": o["orders"].reindex(users).fillna(0).astype(int).to_numpy(),
        "avg_spend": (o["spend"].astype(float) / o["orders"]).reindex(users).round(2).to_numpy(),
        "top_category": _label(cats, top),
        "categories": _category_text(cats, order, pct, has),
        "iced_share": iced,
        "sugar": _label(sugars, np.where(seen_s.any(axis=1), fav, -1)),
        "segment": _segments(cats).take(temp * (len(cats) + 1) + top + 1)})


def _attributes(attributes: pd.DataFrame, names: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Per interaction row: is_iced (0 when unknown) and the sugar level's code in the sorted
    levels (−1: none), looked up once per product name."""
    codes, spus = pd.factorize(names)
    a = attributes.drop_duplicates("spu_name").set_index("spu_name").reindex(spus)
    level, levels = pd.factorize(a["sugar_level"], sort=True)
    is_iced = np.append(a["is_iced"].fillna(0).to_numpy(float), 0.0)[codes]
    return is_iced, np.append(level, -1)[codes], pd.Index(levels)


def _grid(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n_rows: int,
          n_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense sums of `weights` per (row, col) and whether the pair occurs (cols < 0 left out)."""
    ok = cols >= 0
    flat = rows[ok] * n_cols + cols[ok]
    size = n_rows * n_cols
    return (np.bincount(flat, weights=weights[ok], minlength=size).reshape(n_rows, n_cols),
            np.bincount(flat, minlength=size).reshape(n_rows, n_cols) > 0)


def _ratio(rows: np.ndarray, num: np.ndarray, den: np.ndarray, n: int) -> np.ndarray:
    """Σ num / Σ den per row; NaN for a row without entries (or a zero denominator)."""
    top, bottom = np.bincount(rows, weights=num, minlength=n), np.bincount(rows, weights=den, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.bincount(rows, minlength=n) > 0, top / bottom, np.nan)


def _label(names: pd.Index | list, codes: np.ndarray) -> pd.Index:
    """names[codes], NaN where the code is −1 (a take, no Python object per row)."""
    return pd.Index([*names, np.nan]).take(codes)


def _category_text(cats: pd.Index, order: np.ndarray, pct: np.ndarray, has: np.ndarray) -> pd.Index:
    """'Classic 80%, Food 20%' per user from the top-3 category codes and percentages; each
    distinct combination is written once."""
    token = np.where(has, order * 101 + np.nan_to_num(pct).astype(np.int64), -1)
    key = (token + 1) @ (len(cats) * 101 + 1) ** np.arange(token.shape[1], dtype=np.int64)   # one int a combination
    _, first, codes = np.unique(key, return_index=True, return_inverse=True)
    names = list(cats)                                     # plain strings: indexing an Arrow index per word is slow
    words = [", ".join(f"{names[t // 101]} {t % 101}%" for t in row if t >= 0) or np.nan for row in token[first]]
    return pd.Index(words).take(codes.ravel())


def _segments(cats: pd.Index) -> pd.Index:
    """Segment names at (0 Food / 1 Iced / 2 Hot) × (len(cats) + 1) + top category code + 1 (0: none)."""
    tops = ["", *cats]
    return pd.Index(["Food only"] * len(tops) + [f"Iced · {t}" for t in tops] + [f"Hot · {t}" for t in tops])
