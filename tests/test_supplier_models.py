"""Supplier scorecard pieces on examples worked by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from lucky.models import suppliers as sm


def _ship(rows):
    return pd.DataFrame(rows, columns=["ship_no", "po_no", "supplier_code", "ship_date", "arrive_date", "shipped_qty",
                                       "received_qty", "status", "shop_id", "order_date", "expected_date"])


def test_shipments_are_judged_against_the_po_expected_date():
    s = sm.judge_shipments(_ship([
        ("S1", "P1", "A", "2026-01-02", "2026-01-05", 10, 10, 3, 1, "2026-01-01", "2026-01-05"),   # on the day: on time
        ("S2", "P1", "A", "2026-01-02", "2026-01-07", 10, 8, 3, 1, "2026-01-01", "2026-01-05"),    # 2 days late, short
        ("S3", "P2", "A", "2026-01-03", None, 5, None, 2, 1, "2026-01-01", "2026-01-04"),          # overdue at the 10th
        ("S4", "P3", "A", "2026-01-09", None, 5, None, 2, 1, "2026-01-08", "2026-01-12"),          # on the way
    ]), "2026-01-10")
    assert s["on_time"].tolist()[:2] == [1.0, 0.0] and s["on_time"].isna().tolist()[2:] == [True, True]
    assert s["lead_days"].tolist()[:2] == [4, 6] and s["late_days"].tolist()[:2] == [0, 2]
    assert s["short"].tolist() == [False, True, False, False]
    assert s["overdue"].tolist() == [False, False, True, False]


def test_price_alerts_and_change_by_hand():
    lines = pd.DataFrame({
        "po_no": ["P1", "P2", "P3", "P1", "P3"], "supplier_code": ["A"] * 5,
        "order_date": ["2026-01-01", "2026-01-10", "2026-01-20", "2026-01-01", "2026-01-20"],
        "goods_code": ["G", "G", "G", "H", "H"], "unit_price": [1.00, 1.05, 1.05, 2.0, 2.0],
        "amount": [100.0, 105.0, 105.0, 200.0, 200.0]})
    change, alerts = sm.price_changes(lines, 1.0)
    assert alerts[["goods_code", "pct"]].values.tolist() == [["G", pytest.approx(5.0)]]
    assert str(alerts["prev_date"].iloc[0]) == "2026-01-01" and str(alerts["date"].iloc[0]) == "2026-01-10"
    # G: +5% on 310 spend, H: 0% on 400 spend -> 5 × 310 / 710
    assert change.set_index("supplier_code").loc["A", "price_change_pct"] == pytest.approx(5 * 310 / 710)


def test_score_is_the_stated_weighted_sum_and_late_needs_evidence():
    rows = []
    for i in range(10):   # A: 10 on time, full
        rows.append((f"A{i}", f"PA{i}", "A", "2026-01-02", "2026-01-04", 10, 10, 3, 1, "2026-01-01", "2026-01-05"))
    for i in range(4):    # B: 1 of 4 on time
        arrive = "2026-01-04" if i == 0 else "2026-01-09"
        rows.append((f"B{i}", f"PB{i}", "B", "2026-01-02", arrive, 10, 10, 3, 1, "2026-01-01", "2026-01-05"))
    rows.append(("C0", "PC0", "C", "2026-01-02", "2026-01-09", 10, 10, 3, 1, "2026-01-01", "2026-01-05"))  # C: one late
    ship = sm.judge_shipments(_ship(rows), "2026-01-20")
    lines = pd.DataFrame({"po_no": ship["po_no"], "supplier_code": ship["supplier_code"], "amount": 10.0})
    settle = pd.DataFrame({"settlement_no": ["X"], "supplier_code": ["A"], "po_no": ["PA0"], "amount": [1.0],
                           "due_date": ["2026-02-01"], "paid_date": ["2026-01-30"], "status": [2]})
    sup = pd.DataFrame({"supplier_code": ["A", "B", "C"], "supplier_name": ["a", "b", "c"], "category_name": ["x"] * 3})
    change = pd.DataFrame({"supplier_code": ["A", "B"], "price_change_pct": [0.0, 5.0]})
    t = sm.scorecard(ship, lines, settle, sup, change).set_index("supplier_code")
    assert t.loc["A", "score"] == pytest.approx(100.0)
    # B: 0.45 × 0.25 + 0.30 × 1 + 0.15 × 0.5 + 0.10 × (A's 1.0, the mean of known) = 0.5875
    assert t.loc["B", "score"] == pytest.approx(58.75)
    assert t.loc["B", "flag"] == "late" and t.loc["C", "flag"] == "ok" and t.loc["A", "flag"] == "ok"
    assert t.loc["A", "settlement_days"] == pytest.approx(26)


def test_booked_lines_against_the_ledger():
    """Shipped 10 / booked 10 (two receipt rows 6 + 4): ok; shipped 8 / booked 6: short 25%;
    shipped 5 / nothing booked: not booked, 100%; shipped 0 / nothing: left out, ok; not arrived: dropped."""
    lines = pd.DataFrame({"ship_no": ["S1", "S1", "S2", "S3", "S4"], "supplier_code": "A",
                          "goods_code": ["g", "h", "g", "g", "g"], "shipped_qty": [10.0, 8.0, 5.0, 0.0, 3.0],
                          "received_qty": [10.0, 8.0, 5.0, 0.0, None]})
    receipts = pd.DataFrame({"ref_no": ["S1", "S1", "S1", "S4"], "goods_code": ["g", "g", "h", "g"],
                             "qty": [6.0, 4.0, 6.0, 3.0]})
    t = sm.booked_lines(lines, receipts)
    assert t["status"].tolist() == ["ok", "short", "not booked", "ok"]
    assert t["received_qty"].tolist() == [10.0, 6.0, 0.0, 0.0]
    assert t["short_pct"].tolist() == [0.0, 25.0, 100.0, 0.0]
