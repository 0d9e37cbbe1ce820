"""Tool 15 (staffing): Erlang C by hand, the staffing arithmetic, the tool against the planted HR
truth on two seeds, against short staffing edited into the attendance by hand, and bad input."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lucky import tools
from lucky.core import Filters, Viewer
from lucky.errors import InputError
from lucky.models import queueing
from lucky.models import staffing as sm


# ------------------------------------------------------------------ Erlang C, worked by hand
def test_erlang_c_by_hand():
    # 20 orders an hour, 6 minutes each: A = 20 × 360 / 3600 = 2 Erlangs.
    # c = 3: C = (2³/3! · 3/(3−2)) / (1 + 2 + 2²/2! + 2³/3! · 3) = 4 / 9
    assert queueing.erlang_c(3, 2.0) == pytest.approx(4 / 9)
    # SL(60 s) = 1 − 4/9 · e^(−(3−2)·60/360) = 0.62379
    assert queueing.service_level(3, 20, 360, 60) == pytest.approx(1 - 4 / 9 * math.exp(-1 / 6))
    assert queueing.service_level(3, 20, 360, 60) == pytest.approx(0.62379, abs=1e-5)
    # c = 4: C = (16/24 · 2) / (1 + 2 + 2 + 4/3 + 4/3) = 4/23; SL = 1 − 4/23 · e^(−1/3) = 0.87539
    assert queueing.erlang_c(4, 2.0) == pytest.approx(4 / 23)
    assert queueing.service_level(4, 20, 360, 60) == pytest.approx(0.87539, abs=1e-5)
    # so 80% within 60 s needs 4 baristas; Wq with 3 = 4/9 · 360 / 1 = 160 s
    assert queueing.required_staff(20, 360).tolist() == [4]
    assert queueing.mean_wait_s(3, 20, 360) == pytest.approx(160)
    # c <= A: the queue never empties
    assert queueing.erlang_c(2, 2.0) == 1.0 and queueing.service_level(2, 20, 360) == 0.0
    # no orders: the fixed minimum
    assert queueing.required_staff([0, np.nan], [200, 200], minimum=2).tolist() == [2, 2]


def test_staffing_arithmetic_by_hand():
    iv = pd.DataFrame({"shop_id": [1, 1], "a": pd.to_datetime(["2026-01-05 06:55", "2026-01-05 08:40"]),
                       "b": pd.to_datetime(["2026-01-05 10:05", "2026-01-05 09:20"])})
    h = sm.heads(iv, "a", "b").set_index("hour")["heads"]
    # the first person is there at 7:30, 8:30 and 9:30; the second (8:40-9:20) at no half hour
    assert h.to_dict() == {7: 1, 8: 1, 9: 1}
    assert sm.recommended(np.array([3, 2, 5]), np.array([0.10, 0.0, 0.5])).tolist() == [4, 2, 10]
    assert sm.light(np.array([1, 3, 4]), np.array([2, 3, 3]), np.array([3, 4, 4])).tolist() == ["red", "yellow", "green"]


# ------------------------------------------------------------------ the planted truth
def _erlang_reference(lam: float, aht: float, sl: float = 0.8, t: float = 60, minimum: int = 2) -> int:
    """An independent Erlang C (factorial sums, not the library's recursion)."""
    if not lam > 0:
        return minimum
    a = lam * aht / 3600
    c = max(minimum, 1)
    while True:
        if c > a:
            top = a ** c / math.factorial(c) * c / (c - a)
            p_wait = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
            if 1 - p_wait * math.exp(-(c - a) * t / aht) >= sl:
                return c
        c += 1


def _check_truth(truth: dict) -> None:
    from lucky.queries import landscape
    first, last = landscape.data_span()
    out = tools.execute("staffing", Filters(start=first, end=last), Viewer())
    h = out.tables["history"]
    planted = pd.DataFrame(truth["staffing"]["understaffed"])
    assert len(planted) >= 10
    m = planted.merge(h, on=["shop_id", "date", "hour"], how="left")
    assert (m["status"] == "red").all(), m[m["status"] != "red"].head().to_string()
    learnt = out.tables["no-shows"].set_index("shop_id")["no_show_rate"]
    for shop, rate in truth["staffing"]["no_show_rate"].items():
        assert abs(learnt[int(shop)] - rate) <= 0.02, shop
    sample = h.sample(min(len(h), 300), random_state=0)
    ref = [_erlang_reference(o, s) for o, s in zip(sample["orders"], sample["service_s"])]
    assert sample["required_staff"].tolist() == ref
    s = out.tables["schedule"]
    sample = s.sample(min(len(s), 200), random_state=0)
    assert sample["required_staff"].tolist() == [_erlang_reference(o, v) for o, v in
                                                 zip(sample["predicted_orders"], sample["service_s"])]
    assert set(s["source"]) <= {"ireplenishment", "forecast"} and len(s)


def test_truth_seed0(demo):
    _check_truth(demo["truth"])


def test_truth_seed1(shared_build, use_demo):
    path, truth = shared_build(0.01, 1)
    use_demo(path)
    _check_truth(truth)


# ------------------------------------------------------------------ edited by hand, what-if, bad input
def test_edited_no_shows_turn_hours_red(demo, edited):
    from lucky.queries import landscape
    first, last = landscape.data_span()
    day = pd.Timestamp(last) - pd.Timedelta(days=5)
    before = tools.execute("staffing", Filters(start=day.date(), end=day.date()), Viewer()).tables["history"]
    shop = int(before.loc[before["status"] != "red", "shop_id"].iloc[0])
    # everyone whose shift that day started before 17:00 UTC (noon in New York) failed to turn up
    edited(f"""UPDATE luckyus_iehr.t_attendance SET clock_in_time = NULL, clock_out_time = NULL, attendance_status = 3
               WHERE shop_id = {shop} AND clock_in_time >= TIMESTAMP '{day:%Y-%m-%d} 05:00:00'
                 AND clock_in_time < TIMESTAMP '{day:%Y-%m-%d} 17:00:00'""")
    out = tools.execute("staffing", Filters(start=day.date(), end=day.date(), stores=(shop,)), Viewer())
    h = out.tables["history"]
    morning = h[(h["hour"] >= 8) & (h["hour"] <= 11)]
    assert len(morning) and (morning["status"] == "red").all() and (morning["on_floor"] == 0).all()


def test_what_if_demand_costs_extra_hours(demo):
    base = tools.execute("staffing", Filters(), Viewer())
    more = tools.execute("staffing", Filters(), Viewer(), demand=2.5)
    w = more.tables["what-if"]
    assert (w["extra_staff_hours"] >= 0).all()
    assert w["extra_cost"].tolist() == pytest.approx((w["extra_staff_hours"] * w["barista_wage"].fillna(0)).round(2).tolist())
    assert more.tables["schedule"]["predicted_orders"].sum() == pytest.approx(
        2.5 * base.tables["schedule"]["predicted_orders"].sum(), rel=0.01)
    with pytest.raises(InputError):
        tools.execute("staffing", Filters(), Viewer(), demand=5)


def test_bad_input(demo, edited):
    out = tools.execute("staffing", Filters(currency="NZD"), Viewer())
    assert any("No HR records" in m.text for m in out.messages) or any("No trading" in m.text for m in out.messages)
    edited("DELETE FROM luckyus_ireplenishment.t_order_predict_alg_v2")
    out = tools.execute("staffing", Filters(), Viewer())
    assert any("No order predictions" in m.text for m in out.messages)
    assert len(out.tables["schedule"]) and set(out.tables["schedule"]["source"]) == {"forecast"}
    from lucky.tools.staffing import print_html
    sched = out.tables["schedule"]
    page = print_html(sched.assign(date=pd.to_datetime(sched["date"])), out.tables["weekly-schedule"],
                      int(sched["shop_id"].iloc[0]), "Test <store>")
    assert "<table>" in page and "Test &lt;store&gt;" in page


def test_with_actual_by_hand():
    sched = pd.DataFrame({"shop_id": [1, 1], "date": ["2026-02-15"] * 2, "hour": [8, 9], "scheduled_staff": [2, 2],
                          "required_staff": [3, 2], "recommended_staff": [4, 2], "status": ["red", "green"]})
    entries = pd.DataFrame({"shop_id": [1], "date": ["2026-02-15"], "hour": [8], "actual_staff": [4],
                            "entered_by": ["mgr"]})
    got = sm.with_actual(sched, entries)
    assert got["status"].tolist() == ["green", "green"] and got["actual_staff"].tolist() == [4, pd.NA]
    assert list(got.columns).index("actual_staff") == list(got.columns).index("scheduled_staff") + 1


def test_entered_actual_staff_persist_and_turn_the_light(demo, state_store):
    from lucky import state
    from lucky.access import AccessDenied
    from lucky.operations import staff_entries

    sched = tools.execute("staffing", Filters(), Viewer()).tables["schedule"]
    red = sched[sched["status"] == "red"]
    row = (red if len(red) else sched).iloc[0]
    shop, day, hour = int(row["shop_id"]), row["date"], int(row["hour"])
    manager = Viewer(role="store_manager", shop_ids=(shop,), name="store manager")
    one = pd.DataFrame({"shop_id": [shop], "date": [day], "hour": [hour], "staff": [0]})
    staff_entries.record(manager, one)
    staff_entries.record(manager, one.assign(staff=int(row["recommended_staff"])))   # the newest counts
    with pytest.raises(AccessDenied):
        staff_entries.record(Viewer(role="store_manager", shop_ids=(shop + 1,), name="other"), one)
    with pytest.raises(InputError):
        staff_entries.record(manager, one.assign(staff=-1))
    state.dispose_all()
    after = tools.execute("staffing", Filters(), manager).tables["schedule"].set_index(["date", "hour"])
    got = after.loc[(day, hour)]
    assert (got["actual_staff"], got["entered_by"], got["status"]) == (row["recommended_staff"], "store manager", "green")
    assert after["actual_staff"].notna().sum() == 1
