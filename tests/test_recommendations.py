"""Tool 11 (recommendations): hand-worked model examples, the truth check on held-out orders
(seeds 0 and 1 at scale 0.05: about 2,000 held-out orders of ~750 users with history in the
last 28 days; at 0.01 there are only ~400), a hand-edited habit, and bad input."""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from lucky import sources, tools
from lucky.core import Filters, Viewer
from lucky.errors import InputError
from lucky.models import recommend as rm

CUTOFF = date(2026, 1, 17)
CUTOFF_UTC = datetime(2026, 1, 17, 5)      # local midnight in New York (EST, UTC-5)


# ------------------------------------------------------------------ model, by hand
def test_item_cosine_by_hand():
    # users: {A,B}, {A,B}, {B,C}; one order each -> equal confidence log(2), cosine ignores it
    c = sparse.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1]], float))
    s = rm.item_similarity(rm.confidence(c))
    assert s[0, 1] == pytest.approx(2 / np.sqrt(2 * 3))      # A·B = 2, |A| = √2, |B| = √3
    assert s[1, 2] == pytest.approx(1 / np.sqrt(3))
    assert s[0, 2] == 0 and np.all(np.diag(s) == 0)
    assert rm.confidence(sparse.csr_matrix(np.array([[3.0]]))).toarray()[0, 0] == pytest.approx(np.log(4))


def test_blend_by_hand():
    # the same users, scoring a user who ordered A once: cf = A's neighbours = B only -> [0, 1, 0];
    # own = [1, 0, 0]; personal = 0.6·own + 0.4·cf = [0.6, 0.4, 0]; season prior [0.5, 0.3, 0.2];
    # score = (1·personal + 2·prior) / 3 = [1.6, 1.0, 0.4] / 3
    train = sparse.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1]], float))
    sim = rm.item_similarity(rm.confidence(train))
    me = sparse.csr_matrix(np.array([[1, 0, 0]], float))
    got = rm.scores(me, np.array([1.0]), np.array([0.5, 0.3, 0.2]), similarity=sim)
    assert got[0] == pytest.approx(np.array([1.6, 1.0, 0.4]) / 3)
    # C off the menu: never recommended; the prior renormalises over A and B
    got = rm.scores(me, np.array([1.0]), np.array([0.5, 0.3, 0.2]), candidates=np.array([1, 1, 0]), similarity=sim)
    assert got[0, 2] == 0 and got[0, 0] == pytest.approx((0.6 + 2 * 0.625) / 3)
    # many orders: the prior fades (n = 98 -> 98% personal)
    got = rm.scores(me, np.array([98.0]), np.array([0.5, 0.3, 0.2]), similarity=sim)
    assert got[0] == pytest.approx(0.98 * np.array([0.6, 0.4, 0]) + 0.02 * np.array([0.5, 0.3, 0.2]))
    recs = rm.top_k(got, pd.Index(["u"]), pd.Index(["A", "B", "C"]), k=2)
    assert recs["spu_name"].tolist() == ["A", "B"] and recs["rank"].tolist() == [1, 2]


def test_top_k_breaks_ties_by_item_order_like_a_stable_sort():
    # top_k picks by repeated argmax: equal scores must come out in item order, as a stable sort did
    score = np.array([[0.2, 0.5, 0.5, 0.1, 0.5], [0.0, 0.0, 0.0, 0.0, 0.0]])
    recs = rm.top_k(score, pd.Index(["u", "v"]), pd.Index(list("ABCDE")), k=3)
    expected = np.argsort(-score, axis=1, kind="stable")[:, :3].ravel()
    assert recs["spu_name"].tolist() == [list("ABCDE")[i] for i in expected] == ["B", "C", "E", "A", "B", "C"]
    assert recs["score"].tolist() == [0.5, 0.5, 0.5, 0.0, 0.0, 0.0]


def test_evaluate_by_hand():
    recs = pd.DataFrame({"user_no": ["u1"] * 3, "rank": [1, 2, 3], "spu_name": ["A", "B", "C"]})
    held = pd.DataFrame({"order_id": [1, 2, 3, 4, 4], "user_no": ["u1", "u1", "u2", "u1", "u1"],
                         "spu_name": ["B", "D", "A", "A", "C"]})
    e = rm.evaluate(recs, held)
    # order 1: B at rank 2 -> 1/log2(3); order 2: miss; order 4: A, C at 1 and 3 -> 1.5 / (1 + 1/log2 3);
    # order 3 is u2's, who has no recommendations: left out
    assert e["orders"] == 3 and e["users"] == 1
    assert e["hit_rate"] == pytest.approx(2 / 3)
    assert e["ndcg"] == pytest.approx((1 / np.log2(3) + 0 + 1.5 / (1 + 1 / np.log2(3))) / 3)


def test_baselines_by_hand():
    inter = pd.DataFrame({"user_no": ["u", "u", "u", "v"], "spu_name": ["A", "B", "C", "B"], "orders": [1, 5, 3, 2]})
    fav = rm.favourite_recs(inter, k=2)
    assert fav[fav["user_no"] == "u"]["spu_name"].tolist() == ["B", "C"]
    assert fav[fav["user_no"] == "v"]["spu_name"].tolist() == ["B"]
    pop = rm.popularity_recs(pd.Index(["u", "v"]), pd.Series({"A": 0.1, "B": 0.5, "C": 0.3}), k=2)
    assert pop["spu_name"].tolist() == ["B", "C", "B", "C"]


def test_profiles_by_hand():
    inter = pd.DataFrame({"user_no": ["u", "u", "u"], "spu_name": ["Iced Latte", "Latte", "Bagel"],
                          "category": ["Classic", "Classic", "Food"], "orders": [3, 1, 1], "units": [3, 1, 1],
                          "pay": [12.0, 4.0, 3.0]})
    orders = pd.DataFrame({"user_no": ["u"], "orders": [4], "spend": [19.0]})
    attrs = pd.DataFrame({"spu_name": ["Iced Latte", "Latte", "Bagel"], "is_iced": [1, 0, 0],
                          "sugar_level": ["Low", "Standard", None]})
    p = rm.profiles(inter, orders, attrs).iloc[0]
    assert p["orders"] == 4 and p["avg_spend"] == 4.75 and p["top_category"] == "Classic"
    assert p["categories"] == "Classic 80%, Food 20%" and p["iced_share"] == 0.75
    assert p["sugar"] == "Low" and p["segment"] == "Iced · Classic"


# ------------------------------------------------------------------ truth on held-out orders
def _held_out() -> pd.DataFrame:
    """The test's own read of the held-out orders: distinct products per completed order."""
    return sources.read("luckyus_sales_order", """
        SELECT DISTINCT o.id AS order_id, o.user_no, i.spu_name FROM luckyus_sales_order.t_order o
        JOIN luckyus_sales_order.t_order_item i ON i.order_id = o.id
        WHERE o.status = 90 AND o.currency_code = 'USD' AND o.create_time >= :cut""", {"cut": CUTOFF_UTC})


def _popular_top3() -> list[str]:
    """The season's top 3 by the test's own count: orders holding each product in the 28 days
    before the cutoff."""
    df = sources.read("luckyus_sales_order", """
        SELECT i.spu_name, COUNT(DISTINCT o.id) AS n FROM luckyus_sales_order.t_order o
        JOIN luckyus_sales_order.t_order_item i ON i.order_id = o.id
        WHERE o.status = 90 AND o.currency_code = 'USD' AND o.create_time >= :lo AND o.create_time < :hi
        GROUP BY i.spu_name""", {"lo": datetime(2025, 12, 20, 5), "hi": CUTOFF_UTC})
    return df.sort_values(["n", "spu_name"], ascending=[False, True])["spu_name"].head(3).tolist()


@pytest.mark.parametrize("seed", [0, 1])
def test_recommender_beats_popularity_on_held_out_orders(seed, shared_build, use_demo):
    path, _truth = shared_build(0.05, seed)
    use_demo(path)
    out = tools.execute("recommendations", Filters(), Viewer(), cutoff=CUTOFF)
    recs = out.tables["recommendations"]
    assert list(recs.columns) == ["user_no", "rank", "spu_name", "score"]
    assert recs.groupby("user_no").size().max() == 3
    held = _held_out()
    held = held[held["user_no"].isin(recs["user_no"])]
    assert held["order_id"].nunique() >= 1000
    top = recs[recs["rank"] <= 3].groupby("user_no")["spu_name"].agg(set)
    hit = held.assign(hit=[s in top[u] for u, s in zip(held["user_no"], held["spu_name"])]) \
        .groupby("order_id")["hit"].any()
    pop = set(_popular_top3())
    pop_hit = held.assign(hit=held["spu_name"].isin(pop)).groupby("order_id")["hit"].any()
    assert hit.mean() >= 1.5 * pop_hit.mean(), (hit.mean(), pop_hit.mean())
    # the tool's own evaluation table says the same
    ev = out.tables["evaluation"].set_index("method")
    assert ev["hit_rate_at_3"].iloc[0] == pytest.approx(hit.mean())
    assert ev["hit_rate_at_3"].iloc[1] == pytest.approx(pop_hit.mean())
    assert set(ev.columns) >= {"hit_rate_at_3", "ndcg_at_3", "orders", "users"}
    # recommendations only for users with orders before the cutoff
    before = sources.read("luckyus_sales_order", """SELECT DISTINCT user_no FROM luckyus_sales_order.t_order
        WHERE status = 90 AND currency_code = 'USD' AND create_time < :cut""", {"cut": CUTOFF_UTC})
    assert set(recs["user_no"]) == set(before["user_no"])
    assert {"user_no", "categories", "iced_share", "avg_spend"} <= set(out.tables["profiles"].columns)


def test_a_planted_habit_is_recommended_first(demo, edited):
    # a user whose every item before the cutoff is made a Cold Brew gets Cold Brew first
    user = sources.read("luckyus_sales_order", """
        SELECT user_no, COUNT(*) AS n FROM luckyus_sales_order.t_order
        WHERE status = 90 AND currency_code = 'USD' AND create_time < '2026-01-17' GROUP BY user_no
        ORDER BY n DESC, user_no LIMIT 1""")["user_no"].iloc[0]
    edited(f"""UPDATE luckyus_sales_order.t_order_item SET spu_name = 'Cold Brew'
               WHERE order_id IN (SELECT id FROM luckyus_sales_order.t_order
                                  WHERE user_no = '{user}' AND create_time < '2026-01-17')""")
    out = tools.execute("recommendations", Filters(), Viewer(), cutoff=CUTOFF, user_no=str(user))
    mine = out.tables[f"user {user}: recommendations"]
    assert mine["spu_name"].iloc[0] == "Cold Brew"
    assert out.tables[f"user {user}: profile"]["orders"].iloc[0] >= 2


# ------------------------------------------------------------------ bad input
def test_bad_input_gives_messages(demo):
    with pytest.raises(InputError, match="before the first completed order|nothing to train on"):
        tools.execute("recommendations", Filters(), Viewer(), cutoff=date(2024, 1, 1))
    out = tools.execute("recommendations", Filters(), Viewer(), cutoff=CUTOFF, user_no="no-such-user")
    assert any("no completed orders before the cutoff" in m.text for m in out.messages)
    assert len(out.tables["recommendations"]) and len(out.tables["evaluation"]) == 3
    one = sources.read("luckyus_sales_order", """
        SELECT user_no FROM luckyus_sales_order.t_order WHERE status = 90 AND currency_code = 'USD'
        AND create_time < :cut GROUP BY user_no HAVING COUNT(*) = 1 ORDER BY user_no""", {"cut": CUTOFF_UTC})
    u = one["user_no"].iloc[0]
    out = tools.execute("recommendations", Filters(), Viewer(), cutoff=CUTOFF, user_no=str(u))
    assert any("one order before the cutoff" in m.text for m in out.messages)
    assert len(out.tables[f"user {u}: recommendations"]) == 3
    late = tools.execute("recommendations", Filters(), Viewer(), cutoff=date(2030, 1, 1))
    assert any("no held-out orders" in m.text for m in late.messages)
