"""Campaign Performance Analyzer, coupon templates (issue 14): the incrementality model by hand,
the verdicts against the planted truth (campaigns.incremental / .cannibalizing) on seeds 0 and 1
at scale 0.01 (the smallest; 13 templates, 1-3 planted of each kind per seed, so >= 0.9 means
every one; at 0.05 by hand: 12/12 and 12/12 on seed 0, 11/11 and 11/11 on seed 1), a holdout
edited by hand, and a template never issued."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lucky import tools
from lucky.core import Filters, Viewer
from lucky.models import incrementality as inc

ADMIN = Viewer()
SCALE = 0.05   # the builds the menu and forecast truth tests share; at 0.01 a seed plants 1-3 templates of a kind
MKT = "luckyus_sales_marketing"


def test_window_revenue_by_hand():
    t = pd.Timestamp("2026-01-05")
    h = pd.Timedelta(hours=1)
    orders = pd.DataFrame({"user_no": ["u1", "u1", "u2"], "time": [t + 10 * h, t + 12 * h, t + 11 * h],
                           "pay_money": [5.0, 3.0, 4.0]})
    windows = pd.DataFrame({"user_no": ["u1", "u1", "u2", "u3"],
                            "start": [t + 9 * h, t + 10 * h, t, t], "end": [t + 11 * h, t + 12 * h, t + 23 * h, t + 23 * h]})
    got = inc.window_revenue(windows, orders)
    assert got["revenue"].tolist() == [5.0, 5.0, 4.0, 0.0]      # end is exclusive, start inclusive
    assert got["orders"].tolist() == [1, 1, 1, 0]


def test_keys_codes_by_hand():
    from lucky.models import keys

    users = pd.Series(["u2", "u1", "u3"], dtype="str")
    got = keys.codes(pd.Series(["u1", None, "u9", "u3", "u1"], dtype="str"), users)
    assert got.tolist() == [1, -1, -1, 2, 1]                     # NULL and unknown: -1
    assert keys.codes(pd.Series([7, 8]), pd.Series(["8", "7"], dtype=object)).tolist() == [1, 0]   # numbers as text


def test_estimate_by_hand():
    # means 5 and 2: lift 3 per send; variances 2 and 2: se = sqrt(2/2 + 2/2) = 1.41421
    e = inc.estimate([4, 6], [1, 3])
    assert e["lift_per_send"] == pytest.approx(3.0)
    assert e["incremental_revenue"] == pytest.approx(6.0)
    assert e["ci_low"] == pytest.approx((3 - 1.959964 * 2 ** 0.5) * 2, abs=1e-6)
    assert e["ci_high"] == pytest.approx((3 + 1.959964 * 2 ** 0.5) * 2, abs=1e-6)
    # CUPED: the outcome is the earlier spending plus 1 (treated) or 0; theta = 1 removes it all
    pre = np.array([0.0, 10.0, 0.0, 10.0])
    e = inc.estimate(pre[:2] + 1, pre[2:], pre[:2], pre[2:])
    assert e["lift_per_send"] == pytest.approx(1.0)
    assert e["ci_high"] - e["ci_low"] == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(inc.estimate([1.0], [1.0, 2.0])["ci_low"])


def test_verdict_and_roi_by_hand():
    # conversion lift interval per send, against half the redemption rate (0.6 -> 0.3)
    assert inc.verdict(0.01, 0.2, redemption_rate=0.6) == "incremental"
    assert inc.verdict(-0.05, 0.2, redemption_rate=0.6) == "cannibalizing"   # at most a third new
    assert inc.verdict(-0.05, 0.35, redemption_rate=0.6) == "unclear"        # too wide
    assert inc.verdict(0.01, 0.2, redemption_rate=0.6, redeemed=0) == "unclear"
    assert inc.verdict(np.nan, np.nan, redemption_rate=0.6) == "unclear"
    # 3 of 4 sends ordered vs 1 of 4 held out: lift 0.5, se = sqrt(0.25/4 + 0.25/4) (ddof 1)
    c = inc.conversion([1, 2, 0, 1], [0, 0, 3, 0])
    assert c["conversion"] == 0.75 and c["holdout_conversion"] == 0.25 and c["conversion_lift"] == 0.5
    se = (0.25 / 4 + 0.25 / 4) ** 0.5
    assert c["conversion_ci_low"] == pytest.approx(0.5 - 1.959964 * se, abs=1e-6)
    assert inc.roi(300, 100) == pytest.approx(2.0)
    assert np.isnan(inc.roi(300, 0))
    orders = pd.DataFrame({"user_no": ["a", "a", "b"], "order_no": ["o2", "o1", "o3"], "time": [2, 1, 5]})
    assert set(orders["order_no"].to_numpy()[inc.first_orders(orders)]) == {"o1", "o3"}
    tied = pd.DataFrame({"user_no": ["a", "a"], "order_no": ["o9", "o4"], "time": [1, 1]})
    assert tied["order_no"].to_numpy()[inc.first_orders(tied)].tolist() == ["o4"]   # a tie: the smaller order_no


def _templates(**options) -> tuple[pd.DataFrame, object]:
    out = tools.execute("campaigns", Filters(), ADMIN, **options)
    return out.tables["templates"].set_index("template_id"), out


@pytest.mark.parametrize("seed", [0, 1])
def test_verdicts_match_truth(shared_build, use_demo, seed):
    path, truth = shared_build(SCALE, seed)
    use_demo(path)
    t, _ = _templates()
    for key in ("incremental", "cannibalizing"):
        planted = truth["campaigns"][key]
        assert len(planted) >= 1, key
        right = (t.loc[planted, "verdict"] == key).mean()
        assert right >= 0.9, (key, seed, t.loc[planted, ["verdict", "conversion_ci_low", "conversion_ci_high",
                                                         "redemption_rate"]])
    # the daily drill-down of the most issued template adds up to the leaderboard
    out = tools.execute("campaigns", Filters(), ADMIN)
    daily = out.tables["template_daily"]
    tid = int(daily["template_id"].iloc[0])
    assert daily["issued"].sum() == t.loc[tid, "issued"] and daily["redeemed"].sum() == t.loc[tid, "redeemed"]


def test_hand_edited_holdout(demo, edited):
    t, _ = _templates()
    tid = int(t[t["verdict"] == "incremental"].index[0])
    # the holdout replaced by the sent users themselves: no difference left to measure
    edited(f"DELETE FROM {MKT}.t_coupon_holdout WHERE template_id = {tid}",
           f"INSERT INTO {MKT}.t_coupon_holdout (id, tenant, template_id, user_no, expire_time, create_time, "
           f"update_time) SELECT id + 100000000, tenant, template_id, user_no, expire_time, create_time, "
           f"update_time FROM {MKT}.t_coupon_record WHERE template_id = {tid}")
    e, _ = _templates()
    assert e.loc[tid, "incremental_revenue"] == pytest.approx(0.0, abs=0.01)
    assert e.loc[tid, "verdict"] != "incremental"


def test_template_never_issued(demo, edited):
    t, _ = _templates()
    tid = int(t.index[0])
    edited(f"DELETE FROM {MKT}.t_coupon_record WHERE template_id = {tid}",
           f"DELETE FROM {MKT}.t_coupon_holdout WHERE template_id = {tid}")
    e, out = _templates(template_id=tid)
    assert e.loc[tid, "verdict"] == "never issued" and e.loc[tid, "issued"] == 0
    assert any("never issued" in m.text and str(tid) in m.text for m in out.messages)
    assert "template_daily" not in out.tables and "experiments" in out.tables   # the rest still works
    assert len(e) == len(t)                                                     # nothing dropped
    _, out = _templates(template_id=999)
    assert any("Template 999 does not exist" in m.text for m in out.messages)
