"""Customer 360 (Tool 4): the RFM and churn models on hand-worked cases, the tool against the
generator's truth (churn.timeline) on two seeds, against an independent RFM computation, against a
lapse edited into the data by hand, and masking of phones and emails for non-admins."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from lucky import sources, tools
from lucky.core import Filters, Viewer
from lucky.errors import InputError
from lucky.models import churn, cohorts, rfm
from lucky.tools import customer_360 as c360

SLUG = "customer-360"
AS_OF = ["2025-11-15", "2025-12-15", "2026-01-10", "2026-02-14"]
ADMIN, MARKETING = Viewer(), Viewer(role="marketing")


# ---------------------------------------------------------------- models, by hand
def test_quintiles_are_percentile_scores():
    s = pd.Series(range(1, 11))
    assert rfm.quintile(s).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # ties share the lowest rank: six one-order customers all score 1
    assert rfm.quintile(pd.Series([1, 1, 1, 1, 1, 1, 2, 3, 4, 5])).tolist() == [1] * 6 + [4, 4, 5, 5]


def test_segments_555_champions_111_lost():
    r, f, m = (pd.Series(v) for v in ([5, 1, 1, 3, 5], [5, 1, 5, 5, 1], [5, 1, 5, 4, 1]))
    assert rfm.segment(r, f, m).tolist() == ["champions", "lost", "can't lose them", "loyal", "new"]


def test_rfm_table_by_hand():
    orders = pd.DataFrame({"user_no": ["a", "a", "b", "c"], "money": [3.0, 4.0, 2.5, 9.0],
                           "day": pd.to_datetime(["2026-01-01", "2026-01-10", "2026-01-05", "2026-02-01"])})
    t = rfm.rfm(orders, date(2026, 1, 31)).set_index("user_no")
    assert list(t.index) == ["a", "b"]                  # c ordered after the as-of day
    assert t.loc["a", "recency_days"] == 21 and t.loc["a", "frequency"] == 2 and t.loc["a", "monetary"] == 7.0
    assert t.loc["b", "recency_days"] == 26


def test_churn_probability_by_hand():
    # Gamma(3, b) tail at 3b: e^-3 (1 + 3 + 9/2) = 0.42319; p = 0.25 / (0.25 + 0.75 * 0.42319)
    assert churn.p_churn(np.array([30.0]), np.array([10.0]), 0.25)[0] == pytest.approx(0.44059, abs=1e-4)
    # the flag line is where p reaches the threshold
    x = churn.flag_line(np.array([10.0]))[0]
    assert churn.p_churn(np.array([x]), np.array([10.0]))[0] == pytest.approx(churn.THRESHOLD)


def test_churn_score_on_a_steady_and_a_fading_customer():
    steady = pd.date_range("2025-10-01", "2026-01-31", freq="3D")
    fading = list(pd.date_range("2025-10-01", "2025-12-01", freq="3D")) + \
        list(pd.to_datetime(["2025-12-10", "2025-12-22", "2026-01-05"]))
    orders = pd.DataFrame({"user_no": ["s"] * len(steady) + ["f"] * len(fading),
                           "day": list(steady) + fading})
    s = churn.score(orders, date(2026, 1, 31)).set_index("user_no")
    assert not s.loc["s", "flagged"] and s.loc["s", "p_churn"] < churn.THRESHOLD
    assert s.loc["f", "flagged"] and s.loc["f", "p_churn"] > 0.9
    assert s.loc["f", "usual_interval_days"] == pytest.approx(3.0, abs=0.3)
    # flagged on the day the slowdown crossed the line: on or soon after the last order
    assert pd.Timestamp("2026-01-05") <= pd.Timestamp(s.loc["f", "flagged_on"]) <= pd.Timestamp("2026-01-12")


def test_cohort_retention_by_hand():
    orders = pd.DataFrame({"user_no": ["a", "a", "b", "b", "b"],
                           "day": pd.to_datetime(["2026-01-03", "2026-02-03", "2026-01-09", "2026-01-20", "2026-03-01"])})
    t = cohorts.retention(orders, pd.Series({"a": "2026-01", "b": "2026-01"}), pd.Timestamp("2026-03-15"))
    assert t["retention_rate"].tolist() == [1.0, 0.5, 0.5] and t["users"].tolist() == [2, 2, 2]
    # two cohorts, one user without a cohort (left out), months cut at the as-of month
    t = cohorts.retention(orders.assign(user_no=["a", "a", "b", "b", "c"]), pd.Series({"a": "x", "b": "w"}),
                          pd.Timestamp("2026-02-01"))
    assert t["cohort"].tolist() == ["w", "w", "x", "x"] and t["retention_rate"].tolist() == [1.0, 0.0, 1.0, 1.0]
    # a store selection without orders: an empty table, not an error
    assert cohorts.retention(orders.iloc[:0], pd.Series({"a": "x"}), pd.Timestamp("2026-02-01")).empty


# ---------------------------------------------------------------- against the truth
def _leaving(truth: dict) -> tuple[pd.Series, pd.Series]:
    tl = truth["churn"]["timeline"]
    return (pd.Series({u: pd.Timestamp(v["decline_start"]) for u, v in tl.items()}, dtype="datetime64[ns]"),
            pd.Series({u: pd.Timestamp(v["last_order"]) for u, v in tl.items()}, dtype="datetime64[ns]"))


def churn_scorecard(truth: dict) -> dict:
    """Precision and recall of churn_risk against churn.timeline, pooled over several as-of days.

    Among users with >= 5 orders who ordered within the last 90 days: a flag is right when the
    user's decline had begun by the as-of day; recall counts the users whose decline had run for
    two weeks or more (before that there is nothing in the data to see). Lead: last order + 30
    days (the naive "a month without orders" rule) minus flagged_on, per flagged leaver."""
    start, last = _leaving(truth)
    tp = fp = found = due = 0
    lead: dict[str, int] = {}
    for day in AS_OF:
        t = pd.Timestamp(day)
        out = tools.execute(SLUG, Filters(as_of=t.date()), ADMIN)
        scored = c360.risk_table(c360.base(Filters(as_of=t.date())), churn.MIN_ORDERS)
        scored = scored[scored["silence_days"] <= 90]
        flagged = set(out.tables["churn_risk"]["user_no"])
        assert flagged <= set(scored["user_no"])
        began = scored["user_no"].map(start) <= t
        long = scored["user_no"].map(start) <= t - pd.Timedelta(days=14)
        hit = scored["user_no"].isin(flagged)
        tp += int((hit & began).sum())
        fp += int((hit & ~began).sum())
        found += int((hit & long).sum())
        due += int(long.sum())
        risk = out.tables["churn_risk"]
        done = risk[risk["user_no"].map(last) <= t]
        for u, f in zip(done["user_no"], done["flagged_on"]):
            lead.setdefault(u, int((last[u] + pd.Timedelta(days=30) - pd.Timestamp(f)).days))
    return {"precision": tp / max(tp + fp, 1), "recall": found / max(due, 1), "flags": tp + fp,
            "due": due, "lead_median": float(np.median(list(lead.values()))) if lead else None}


def test_churn_truth_seed0(demo):
    card = churn_scorecard(demo["truth"])
    assert card["due"] >= 20 and card["flags"] >= 20, card
    assert card["precision"] >= 0.7 and card["recall"] >= 0.7, card
    assert card["lead_median"] >= 14, card


def test_churn_truth_seed1(shared_build, use_demo):
    path, truth = shared_build(0.01, 1)
    use_demo(path)
    card = churn_scorecard(truth)
    assert card["precision"] >= 0.7 and card["recall"] >= 0.7, card
    assert card["lead_median"] >= 14, card


def test_timeline_is_a_decline_before_the_last_order(demo):
    start, last = _leaving(demo["truth"])
    assert len(start) >= 100
    assert (start <= last).all()
    assert len(set(demo["truth"]["churn"]["churned"]) - set(start.index)) == 0


def test_rfm_equals_an_independent_computation(demo):
    out = tools.execute(SLUG, Filters(as_of=date(2026, 1, 31)), ADMIN).tables["rfm"].set_index("user_no")
    o = sources.read("luckyus_sales_order", """
        SELECT user_no, CAST(timezone('America/New_York', timezone('UTC', create_time)) AS DATE) AS d, pay_money
        FROM luckyus_sales_order.t_order WHERE status = 90 AND currency_code = 'USD'""")
    o = o[pd.to_datetime(o["d"]) <= pd.Timestamp("2026-01-31")]
    o["cents"] = (o["pay_money"].astype(float) * 100).round().astype(int)
    g = o.groupby("user_no").agg(last=("d", "max"), frequency=("d", "size"), monetary=("cents", "sum"))
    g["recency_days"] = (pd.Timestamp("2026-01-31") - pd.to_datetime(g["last"])).dt.days
    assert set(g.index) == set(out.index)
    g = g.loc[out.index]
    assert (g["recency_days"].to_numpy() == out["recency_days"].to_numpy()).all()
    assert (g["frequency"].to_numpy() == out["frequency"].to_numpy()).all()
    assert (g["monetary"].to_numpy() == (out["monetary"] * 100).round().astype(int).to_numpy()).all()
    # quintiles: ceil(5 x lowest-tie percentile rank), recency on its negative
    n = len(g)
    for col, score, sign in (("recency_days", "r", -1), ("frequency", "f", 1), ("monetary", "m", 1)):
        v = sign * g[col].astype(float).to_numpy()
        lowest = np.searchsorted(np.sort(v), v, side="left") + 1
        assert (np.ceil(lowest / n * 5).clip(1, 5).astype(int) == out[score].to_numpy()).all(), col
    assert set(out["segment"]) <= set(rfm.SEGMENTS)


def test_a_hand_edited_lapse_is_flagged(demo, edited):
    """A steady customer (not a planted leaver) made to fade by deleting orders is flagged."""
    start, _ = _leaving(demo["truth"])
    base = tools.execute(SLUG, Filters(as_of=date(2026, 2, 14)), ADMIN)
    scores = base.tables["rfm"]
    steady = scores[(scores["frequency"] >= 15) & (scores["recency_days"] <= 3) & ~scores["user_no"].isin(start.index)
                    & ~scores["user_no"].isin(base.tables["churn_risk"]["user_no"])]
    assert len(steady), "no steady customer to edit"
    victim = str(steady.iloc[0]["user_no"])
    edited(f"DELETE FROM luckyus_sales_order.t_order WHERE user_no = '{victim}' "
           f"AND create_time >= TIMESTAMP '2026-01-10 00:00:00'")
    out = tools.execute(SLUG, Filters(as_of=date(2026, 2, 14)), ADMIN)
    risk = out.tables["churn_risk"].set_index("user_no")
    assert victim in risk.index
    assert pd.Timestamp(risk.loc[victim, "flagged_on"]) <= pd.Timestamp("2026-02-05")


# ---------------------------------------------------------------- search, card, masking, bad input
def test_search_by_user_no_gives_a_card(demo):
    scores = tools.execute(SLUG, Filters(), ADMIN).tables["rfm"]
    top = str(scores.sort_values("frequency").iloc[-1]["user_no"])
    out = tools.execute(SLUG, Filters(), MARKETING, search=top)
    card = out.tables["profile"].iloc[0]
    assert card["user_no"] == top and card["orders"] == scores.set_index("user_no").loc[top, "frequency"]
    assert "*" in card["phone"] and "***@" in card["email"]
    assert card["top_products"] and card["favourite_store"]
    assert len(out.tables["profile_timeline"]) >= card["orders"]


def test_masked_phone_search_and_masked_exports(demo):
    no, phone = sources.read("luckyus_sales_crm", "SELECT user_no, phone FROM luckyus_sales_crm.t_user "
                             "ORDER BY id LIMIT 1").iloc[0]
    masked = f"{phone[:7]}***-**{phone[-2:]}"
    out = tools.execute(SLUG, Filters(), MARKETING, search=masked)
    matches = out.tables["matches"]
    assert no in set(matches["user_no"]) and matches["phone"].str.contains(r"\*").all()
    # a full number typed by a non-admin finds no more than its masked form does
    full = tools.execute(SLUG, Filters(), MARKETING, search=phone).tables["matches"]
    assert set(full["user_no"]) == set(matches["user_no"])
    assert set(tools.execute(SLUG, Filters(), ADMIN, search=phone).tables["matches"]["user_no"]) == {no}
    seg = tools.execute(SLUG, Filters(), MARKETING, segment="champions").tables["segment_list"]
    assert len(seg) and seg["phone"].str.contains(r"\*").all() and seg["email"].str.contains(r"\*\*\*@").all()
    assert (seg["segment"] == "champions").all()


def test_bad_input_and_a_customer_without_orders(demo):
    with pytest.raises(InputError):
        tools.execute(SLUG, Filters(), ADMIN, segment="whales")
    bad = tools.execute(SLUG, Filters(), ADMIN, search="robert")     # a warning; the rest still works
    assert any("type a user_no" in m.text for m in bad.messages)
    none = tools.execute(SLUG, Filters(), ADMIN, search="999")
    assert any("No customer matches" in m.text for m in none.messages)
    buyers = set(sources.read("luckyus_sales_order", "SELECT DISTINCT user_no FROM luckyus_sales_order.t_order")["user_no"])
    crm = sources.read("luckyus_sales_crm", "SELECT user_no FROM luckyus_sales_crm.t_user ORDER BY id")
    no = next(u for u in crm["user_no"] if u not in buyers)
    out = tools.execute(SLUG, Filters(), ADMIN, search=no)
    assert out.tables["profile"].iloc[0]["orders"] == 0
    assert any("no completed" in m.text for m in out.messages)


def test_page_renders_with_a_card(demo):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    top = str(tools.execute(SLUG, Filters(), ADMIN).tables["rfm"].sort_values("frequency").iloc[-1]["user_no"])
    page = Path(__file__).resolve().parent.parent / "pages" / "customer-360.py"
    at = AppTest.from_file(str(page), default_timeout=120)
    at.session_state["role"] = "marketing"
    at.session_state["c360_search"] = top
    at.run()
    assert not at.exception and not at.error
    assert any("Customer 360" in t.value for t in at.title)
    subheaders = [h.value for h in at.subheader]
    assert "Profile" in subheaders and "Churn risk" in subheaders, subheaders
