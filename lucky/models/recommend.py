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

EPS = 1.0
OWN = 0.6
K = 2.0
SEASON_DAYS = 28
TOP = 3


def matrix(interactions: pd.DataFrame, users: pd.Index | None = None,
           items: pd.Index | None = None) -> tuple[sparse.csr_matrix, pd.Index, pd.Index]:
    """`interactions`: user_no, spu_name, orders. The users × items count matrix (csr) and its
    row and column labels (sorted)."""
    users = pd.Index(sorted(interactions["user_no"].unique())) if users is None else users
    items = pd.Index(sorted(interactions["spu_name"].unique())) if items is None else items
    r = users.get_indexer(interactions["user_no"])
    c = items.get_indexer(interactions["spu_name"])
    ok = (r >= 0) & (c >= 0)
    m = sparse.csr_matrix((interactions["orders"].to_numpy(float)[ok], (r[ok], c[ok])),
                          shape=(len(users), len(items)))
    m.sum_duplicates()
    return m, users, items


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
    tot = x.sum(axis=1, keepdims=True)
    return np.divide(x, tot, out=np.zeros_like(x), where=tot > 0)


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
    cf = _rownorm(np.asarray(w @ s) * cand[None, :])
    mine = _rownorm(counts.toarray() * cand[None, :])
    pop = np.where(cand, season, 0.0)
    pop = pop / pop.sum() if pop.sum() > 0 else pop
    n = np.asarray(n_orders, float)[:, None]
    personal = own * mine + (1 - own) * cf
    # a user whose history is all off the menu leans on the prior only
    has = personal.sum(axis=1, keepdims=True) > 0
    return np.where(has, (n * personal + k * pop[None, :]) / (n + k), pop[None, :])


def recommend(counts: sparse.csr_matrix, n_orders: np.ndarray, season: np.ndarray, users: pd.Index,
              items: pd.Index, candidates: np.ndarray | None = None, k: int = TOP,
              chunk: int = 20000) -> pd.DataFrame:
    """Top k per user (user_no, rank, spu_name, score), scored in chunks of users so memory stays
    at chunk × items (the similarity is learned once on every user)."""
    sim = item_similarity(confidence(counts))
    parts = [top_k(scores(counts[lo:lo + chunk], n_orders[lo:lo + chunk], season, candidates,
                          similarity=sim), users[lo:lo + chunk], items, k)
             for lo in range(0, counts.shape[0], chunk)]
    return pd.concat(parts, ignore_index=True) if parts else top_k(np.empty((0, 0)), users, items, k)


def top_k(score: np.ndarray, users: pd.Index, items: pd.Index, k: int = TOP) -> pd.DataFrame:
    """user_no, rank (1..k), spu_name, score: each user's k best (ties broken by item order)."""
    if score.size == 0:
        return pd.DataFrame(columns=["user_no", "rank", "spu_name", "score"])
    k = min(k, score.shape[1])
    idx = np.argsort(-score, axis=1, kind="stable")[:, :k]
    return pd.DataFrame({"user_no": np.repeat(np.asarray(users), k),
                         "rank": np.tile(np.arange(1, k + 1), len(users)),
                         "spu_name": np.asarray(items)[idx.ravel()],
                         "score": np.take_along_axis(score, idx, axis=1).ravel()})


def popularity_recs(users: pd.Index, season: pd.Series, k: int = TOP) -> pd.DataFrame:
    """The popularity baseline: everyone gets the season's top k (season: share per spu_name)."""
    top = season.sort_values(ascending=False, kind="stable").head(k)
    return pd.DataFrame({"user_no": np.repeat(np.asarray(users), len(top)),
                         "rank": np.tile(np.arange(1, len(top) + 1), len(users)),
                         "spu_name": np.tile(top.index.to_numpy(), len(users)),
                         "score": np.tile(top.to_numpy(), len(users))})


def favourite_recs(interactions: pd.DataFrame, k: int = TOP) -> pd.DataFrame:
    """The 'reorder your favourite' baseline: each user's k most-ordered products (ties: name)."""
    d = interactions.sort_values(["user_no", "orders", "spu_name"], ascending=[True, False, True])
    d = d.groupby("user_no").head(k).copy()
    d["rank"] = d.groupby("user_no").cumcount() + 1
    return d.assign(score=d["orders"].astype(float))[["user_no", "rank", "spu_name", "score"]].reset_index(drop=True)


def evaluate(recs: pd.DataFrame, heldout: pd.DataFrame, k: int = TOP) -> dict:
    """hit rate@k and NDCG@k of `recs` (user_no, rank, spu_name) on `heldout` (order_id,
    user_no, spu_name: the distinct products of each held-out order), over the held-out orders
    of users who have recommendations. Returns hit_rate, ndcg, orders, users."""
    r = recs[recs["rank"] <= k][["user_no", "rank", "spu_name"]]
    r = r.assign(user_no=r["user_no"].astype(object), spu_name=r["spu_name"].astype(object))
    h = heldout[["order_id", "user_no", "spu_name"]].astype({"user_no": object, "spu_name": object})
    h = h[pd.Index(r["user_no"].unique()).get_indexer(h["user_no"]) >= 0].drop_duplicates()
    if h.empty:
        return {"hit_rate": float("nan"), "ndcg": float("nan"), "orders": 0, "users": 0}
    size = h.groupby("order_id").size()
    m = h.merge(r, on=["user_no", "spu_name"])
    gain = (1 / np.log2(m["rank"] + 1)).groupby(m["order_id"]).sum().reindex(size.index, fill_value=0.0)
    disc = np.concatenate([[0.0], np.cumsum(1 / np.log2(np.arange(2, k + 2)))])   # ideal DCG by order size
    ideal = pd.Series(disc[np.minimum(size.to_numpy(), k)], index=size.index)
    hit = m.groupby("order_id").size().reindex(size.index, fill_value=0) > 0
    return {"hit_rate": float(hit.mean()), "ndcg": float((gain / ideal).mean()),
            "orders": int(len(size)), "users": int(h["user_no"].nunique())}


def profiles(interactions: pd.DataFrame, orders: pd.DataFrame, attributes: pd.DataFrame) -> pd.DataFrame:
    """Per user taste profile. `interactions`: user_no, spu_name, category, orders, units, pay;
    `orders`: user_no, orders, spend; `attributes`: spu_name, is_iced, sugar_level.
    Columns: user_no, orders, avg_spend, top_category, categories (shares of items, top 3),
    iced_share (of drink items), sugar (the sugar level most of their drinks carry), segment
    (lookalike segment: iced/hot × top category)."""
    if interactions.empty:
        return pd.DataFrame(columns=["user_no", "orders", "avg_spend", "top_category", "categories",
                                     "iced_share", "sugar", "segment"])
    d = interactions.merge(attributes[["spu_name", "is_iced", "sugar_level"]], on="spu_name", how="left")
    cat = d.groupby(["user_no", "category"])["units"].sum().reset_index()
    cat["share"] = cat["units"] / cat.groupby("user_no")["units"].transform("sum")
    cat = cat.sort_values(["user_no", "share", "category"], ascending=[True, False, True])
    top3 = cat.groupby("user_no").head(3)
    top3 = top3.assign(t=top3["category"].astype(object) + " " + (top3["share"] * 100).round().astype(int).astype(str)
                       + "%", pos=top3.groupby("user_no").cumcount())
    wide = top3.pivot(index="user_no", columns="pos", values="t")
    text = wide[0]
    for c in [c for c in wide.columns if c != 0]:
        text = text.where(wide[c].isna(), text + ", " + wide[c])
    drinks = d[~d["category"].fillna("").str.lower().str.contains("food|bakery")]
    iced = (drinks["units"] * (drinks["is_iced"].fillna(0) == 1)).groupby(drinks["user_no"]).sum() / \
        drinks.groupby("user_no")["units"].sum()
    sugar = drinks.dropna(subset=["sugar_level"]).groupby(["user_no", "sugar_level"])["units"].sum().reset_index() \
        .sort_values(["user_no", "units", "sugar_level"], ascending=[True, False, True]).drop_duplicates("user_no") \
        .set_index("user_no")["sugar_level"]
    o = orders.set_index("user_no")
    out = pd.DataFrame(index=pd.Index(sorted(d["user_no"].unique()), name="user_no"))
    out["orders"] = o["orders"].reindex(out.index).fillna(0).astype(int)
    out["avg_spend"] = (o["spend"].astype(float) / o["orders"]).reindex(out.index).round(2)
    out["top_category"] = cat.drop_duplicates("user_no").set_index("user_no")["category"].reindex(out.index)
    out["categories"] = text.reindex(out.index)
    out["iced_share"] = iced.reindex(out.index).round(3)
    out["sugar"] = sugar.reindex(out.index)
    temp = np.where(out["iced_share"].isna(), "Food", np.where(out["iced_share"] >= 0.5, "Iced", "Hot"))
    out["segment"] = np.where(temp == "Food", "Food only",
                              pd.Series(temp, index=out.index) + " · " + out["top_category"].fillna(""))
    return out.reset_index()
