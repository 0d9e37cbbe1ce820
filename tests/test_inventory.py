"""Tool 16 (inventory): the arithmetic by hand, the planted stock-outs (and the sales they cost),
shrink and expiry write-offs on two seeds, a stock-out and an unknown goods code edited in by hand,
two days at zero whose sales did not fall, and bad input."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from lucky import sources, tools
from lucky.core import Filters, Viewer
from lucky.models import inventory as model
from lucky.schema import WEEKDAYS


def test_reorder_point_and_status_by_hand():
    assert model.z_value(0.95) == pytest.approx(1.6449, abs=1e-4)
    # L = 4 days, use 10/day, sigma 2: 40 + 1.645 * 2 * 2
    assert model.reorder_point(10.0, 2.0, 4.0, 0.95) == pytest.approx(46.58, abs=0.01)
    pos = pd.DataFrame({"shop_id": [1, 1, 1, 1], "goods_code": ["A", "B", "C", "D"], "goods_name": list("abcd"),
                        "stock_qty": [0.0, 30.0, 100.0, 500.0], "stock_date": pd.Timestamp("2026-02-14")})
    use = pd.DataFrame({"shop_id": [1] * 4, "goods_code": list("ABCD"), "daily_use": [10.0] * 4, "use_sd": [0.0] * 4})
    fc = pd.DataFrame({"shop_id": [1], "goods_code": ["C"], "forecast_use": [20.0]})
    t = model.positions_table(pos, use, fc, pd.Series({"A": 4.0, "B": 4.0, "C": 4.0}), 2.0, 0.95, 14.0).set_index("goods_code")
    # A out; B 30 <= 40 at risk; C uses the forecast: 100/20 = 5 days, ROP 80 -> ok; D: 500/10 = 50 days, lead 2 (default)
    assert t["status"].to_dict() == {"A": "stockout", "B": "at_risk", "C": "ok", "D": "overstock"}
    assert t.loc["C", "days_of_supply"] == 5.0 and t.loc["C", "reorder_point"] == 80.0
    assert t.loc["D", "lead_days"] == 2.0 and t.loc["D", "reorder_point"] == 20.0
    # order up to ROP + 3 days of use: A 40 + 30 - 0 = 70, B 70 - 30 = 40
    assert t.loc["A", "suggested_qty"] == 70 and t.loc["B", "suggested_qty"] == 40 and t.loc["C", "suggested_qty"] == 0


def test_trailing_use_sd_is_around_the_weekday_mean():
    days = pd.date_range("2026-02-01", "2026-02-14")          # two weeks
    weekly = [10, 10, 10, 10, 10, 40, 40]                      # a strong weekly pattern, no noise
    u = pd.DataFrame({"shop_id": 1, "goods_code": "A", "date": days,
                      "consumed": [weekly[d.day_of_week] for d in days]})
    r = model.trailing_use(u, "2026-02-14", 14).iloc[0]
    assert r["daily_use"] == pytest.approx((5 * 10 + 2 * 40) / 7) and r["use_sd"] == pytest.approx(0.0)
    # one Monday 4 above and the other 4 below its mean: residuals ±2 on 14 days, 7 weekday means
    u.loc[u["date"] == "2026-02-02", "consumed"] = 14.0
    u.loc[u["date"] == "2026-02-09", "consumed"] = 6.0
    r = model.trailing_use(u, "2026-02-14", 14).iloc[0]
    assert r["use_sd"] == pytest.approx(np.sqrt(2 * 4 ** 2 / (14 - 7)))
    # a day with no row counts as zero use
    r = model.trailing_use(u[u["date"] != "2026-02-14"], "2026-02-14", 14).iloc[0]
    assert r["daily_use"] == pytest.approx((2 * (5 * 10 + 2 * 40) - 40) / 14)


def test_stockout_days_spells_and_shrink_by_hand():
    ledger = pd.DataFrame({"shop_id": [1], "goods_code": ["A"], "business_date": [pd.Timestamp("2026-01-05")]})
    snaps = pd.DataFrame({"shop_id": [1, 1, 2], "goods_code": ["A", "A", "B"],
                          "stock_date": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-09"])})
    d = model.stockout_days(ledger, snaps)
    assert d["seen_in"].tolist() == ["both", "snapshot", "snapshot"]
    s = model.runs(d)
    assert s["days"].tolist() == [2, 1]
    usage = pd.DataFrame({"shop_id": 1, "date": [pd.Timestamp("2026-01-05")] * 4 + [pd.Timestamp("2026-01-06")] * 4,
                          "goods_code": list("ABCD") * 2, "implied": 100.0,
                          "consumed": [130, 125, 120, 100, 102, 98, 101, 150]})
    a = model.consumption_anomalies(usage)
    assert a["date"].tolist() == [pd.Timestamp("2026-01-05")]     # one goods far over on 01-06 is not a store-day
    assert a["median_ratio"].iloc[0] == pytest.approx(1.225) and a["goods_over"].iloc[0] == 3


def test_lost_sales_by_hand():
    d = pd.Timestamp
    usage = pd.DataFrame({"shop_id": [1] * 5 + [2], "goods_code": ["A"] * 5 + ["B"],
                          "date": [d("2025-01-01"), d("2025-01-08"), d("2025-01-15"), d("2025-01-22"), d("2025-01-29"),
                                   d("2025-01-29")], "items": [10, 12, 14, 0, 3, 5]})
    days = pd.DataFrame({"shop_id": [1, 1, 2], "goods_code": ["A", "A", "B"],
                         "date": [d("2025-01-21"), d("2025-01-22"), d("2025-01-29")]})
    lost = model.lost_sales(days, usage).set_index("date")
    # 01-22: out since the 21st; usual (14 + 12 + 10) / 3 = 12 (12-25 is before the pair's first day), sold 0
    assert lost.loc["2025-01-22", ["whole_day", "usual_items", "lost_items", "sales_fell"]].tolist() == [True, 12, 12, True]
    assert not lost.loc["2025-01-21", "whole_day"] and not lost.loc["2025-01-21", "sales_fell"]   # the day it ran out
    assert np.isnan(lost.loc["2025-01-29", "usual_items"])       # no earlier week to compare with
    two = pd.DataFrame({"shop_id": [1, 1], "goods_code": ["A", "A"], "date": [d("2025-01-22"), d("2025-01-29")]})
    later = model.lost_sales(two, usage).iloc[1]     # the week before (01-22) was itself out: left out
    assert [later["usual_items"], later["actual_items"], later["lost_items"]] == [12, 3, 9]


def _ledger_waste(shops) -> float:
    union = " UNION ALL ".join(f"SELECT change_qty FROM luckyus_scm_shopstock.t_shop_goods_stock_change_{wd} "
                               f"WHERE change_type = 3 AND shop_id IN :shops" for wd in WEEKDAYS)
    return -float(sources.read("luckyus_scm_shopstock", f"SELECT SUM(change_qty) AS q FROM ({union}) AS w",
                               {"shops": shops})["q"].iloc[0])


def _check_truth(truth: dict) -> None:
    out = tools.execute("inventory", Filters(), Viewer())
    planted = {(r["shop_id"], r["goods_code"], r["date"]) for r in truth["inventory"]["stockouts"]}
    assert len(planted) >= 5
    so = out.tables["stockouts"]
    found = set(zip(so["shop_id"].astype(int), so["goods_code"], so["date"]))
    hit = planted & found
    assert len(hit) / len(planted) >= 0.9 and len(hit) / len(found) >= 0.9
    shrink = {(a["shop_id"], a["date"]) for a in truth["anomalies"] if a["metric"] == "inventory_shrink"}
    ca = out.tables["consumption_anomalies"]
    assert len(shrink & set(zip(ca["shop_id"].astype(int), ca["date"]))) / len(shrink) >= 0.9
    waste = out.tables["waste"]
    shops = sorted({int(s) for s in out.tables["positions"]["shop_id"]})
    assert waste["qty"].sum() == pytest.approx(_ledger_waste(shops), abs=1e-3)
    assert out.tables["waste_by_store"]["qty"].sum() == pytest.approx(waste["qty"].sum())
    per_day = waste.set_index(["shop_id", "goods_code", "date"])["qty"]
    assert truth["inventory"]["waste"]
    for r in truth["inventory"]["waste"]:
        assert per_day.get((r["shop_id"], r["goods_code"], r["date"]), 0) >= r["qty"] - 1e-3
    _check_lost_sales(out, truth)
    pos = out.tables["positions"]
    assert {"shop_id", "goods_code", "goods_name", "stock_qty", "daily_use", "forecast_use", "days_of_supply",
            "reorder_point", "suggested_qty", "status"} <= set(pos)
    assert set(pos["status"]) <= {"stockout", "at_risk", "ok", "overstock"} and pos["forecast_use"].notna().any()


def _check_lost_sales(out, truth: dict) -> None:
    """Every planted whole day out sold none of the products needing the goods; the estimate of
    what it cost is of the size of the sales the generator moved off those days."""
    moved = truth["inventory"]["lost_sales"]
    assert len(moved) >= 4
    lost = out.tables["lost_sales"].set_index(["shop_id", "goods_code", "date"])
    rows = lost.loc[[(r["shop_id"], r["goods_code"], r["date"]) for r in moved]]
    assert rows["whole_day"].all() and (rows["actual_items"] == 0).all()
    usual = rows[rows["usual_items"] > 0]
    assert len(usual) >= 0.8 * len(rows) and usual["sales_fell"].all()
    assert 0.5 <= rows["lost_items"].sum() / sum(r["items"] for r in moved) <= 2
    assert not any("kept selling" in m.text for m in out.messages)


def test_truth_seed0(demo):
    _check_truth(demo["truth"])


def test_truth_seed1(shared_build, use_demo):
    path, truth = shared_build(0.01, 1)
    use_demo(path)
    _check_truth(truth)


def test_stockout_edited_in_by_hand_and_unknown_goods(demo, edited):
    pos = tools.execute("inventory", Filters(), Viewer()).tables["positions"]
    pos = pos[pos["stock_qty"] > 0].sort_values(["shop_id", "goods_code"])
    (s1, g1, day), (s2, g2) = pos.iloc[0][["shop_id", "goods_code", "stock_date"]].tolist(), pos.iloc[-1][["shop_id", "goods_code"]].tolist()
    s1, s2, day = int(s1), int(s2), pd.Timestamp(day)
    edited(f"""UPDATE luckyus_scm_shopstock.t_shop_goods_stock SET stock_qty = 0
               WHERE shop_id = {s1} AND goods_code = '{g1}' AND stock_date = DATE '{day:%Y-%m-%d}'""",
           f"""UPDATE luckyus_scm_shopstock.t_shop_goods_stock SET goods_code = 'GZZ999'
               WHERE shop_id = {s2} AND goods_code = '{g2}' AND stock_date = DATE '{day:%Y-%m-%d}'""")
    out = tools.execute("inventory", Filters(), Viewer())
    so = out.tables["stockouts"]
    assert ((so["shop_id"] == s1) & (so["goods_code"] == g1) & (so["date"] == f"{day:%Y-%m-%d}")).any()
    pos = out.tables["positions"]
    assert pos.loc[(pos["shop_id"] == s1) & (pos["goods_code"] == g1), "status"].tolist() == ["stockout"]
    assert (pos["goods_code"] == "GZZ999").sum() == 1
    assert any("GZZ999" in m.text and "missing from the goods master" in m.text for m in out.messages)


def test_drill_down_and_bad_input(demo):
    out = tools.execute("inventory", Filters(start=date(2027, 1, 1), end=date(2027, 2, 1)), Viewer())
    assert any("after the latest stock day" in m.text for m in out.messages) and out.tables["positions"].empty
    out = tools.execute("inventory", Filters(stores=(999999,)), Viewer())
    assert out.messages and not out.tables.get("positions", pd.DataFrame()).shape[0]
    pos = tools.execute("inventory", Filters(), Viewer()).tables["positions"]
    shop, goods = int(pos["shop_id"].iloc[0]), pos["goods_code"].iloc[0]
    out = tools.execute("inventory", Filters(), Viewer(), store=shop, goods=goods)
    drill = out.tables["drill"]
    assert len(drill) >= 2 and set(drill["shop_id"]) == {shop} and drill["forecast_lead1"].notna().any()
    closing = drill.dropna(subset=["closing_stock"])["closing_stock"].iloc[-1]
    assert closing == pytest.approx(pos["stock_qty"].iloc[0], abs=1e-2)   # the ledger summed = the snapshot
    out = tools.execute("inventory", Filters(), Viewer(), store=shop, goods="NOPE")
    assert any("NOPE" in m.text for m in out.messages) and len(out.tables["positions"])


def test_page_with_drill_down(demo):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    page = Path(__file__).resolve().parent.parent / "pages" / "inventory.py"
    pos = tools.execute("inventory", Filters(), Viewer()).tables["positions"]
    at = AppTest.from_file(str(page), default_timeout=120)
    at.query_params["inv_store"] = str(int(pos["shop_id"].iloc[0]))     # the store comes from the link
    at.run()
    assert not at.exception
    heads = [s.value for s in at.subheader]
    assert {"Positions", "Replenishment", "Stockouts", "Consumption anomalies", "Waste by goods and store"} <= set(heads)
    assert at.selectbox(key="inv_store").value == int(pos["shop_id"].iloc[0])
    n = len(at.dataframe)
    at.selectbox(key="inv_goods").set_value(pos["goods_code"].iloc[0]).run()
    assert not at.exception
    assert len(at.dataframe) > n and "Drill" in [c.value for c in at.caption]


def test_days_at_zero_whose_sales_did_not_fall(demo, edited):
    """Two closing snapshots at zero edited in for the busiest store's espresso beans: a stock-out
    in the books, but its drinks kept selling, so no lost sales and a warning to check the count."""
    pos = tools.execute("inventory", Filters(), Viewer()).tables["positions"]
    beans = pos[pos["goods_code"] == "G100001"].sort_values("daily_use")
    shop = int(beans["shop_id"].iloc[-1])
    out_days = {r["date"] for r in demo["truth"]["inventory"]["stockouts"] if r["shop_id"] == shop}
    day = next(d for d in pd.date_range("2026-01-10", "2026-02-01")
               if not {f"{d:%Y-%m-%d}", f"{d + pd.Timedelta(days=1):%Y-%m-%d}"} & out_days)
    t = "luckyus_scm_shopstock.t_shop_goods_stock"
    mine = f"shop_id = {shop} AND goods_code = 'G100001'"
    edits = [f"DELETE FROM {t} WHERE {mine} AND stock_date IN (DATE '{day:%Y-%m-%d}', DATE '{day:%Y-%m-%d}' + 1)"]
    edits += [f"""INSERT INTO {t} SELECT (SELECT MAX(id) FROM {t}) + 1, tenant, shop_id, goods_code, goods_name, 0,
                  safety_qty, unit, DATE '{d:%Y-%m-%d}', create_time, update_time FROM {t} WHERE {mine}
                  ORDER BY stock_date DESC LIMIT 1""" for d in (day, day + pd.Timedelta(days=1))]
    edited(*edits)
    out = tools.execute("inventory", Filters(), Viewer())
    row = out.tables["lost_sales"].set_index(["shop_id", "goods_code", "date"]).loc[
        (shop, "G100001", f"{day + pd.Timedelta(days=1):%Y-%m-%d}")]
    assert row["whole_day"] and row["usual_items"] > 0 and not row["sales_fell"]
    assert row["actual_items"] > 0.5 * row["usual_items"]
    assert any("kept selling" in m.text for m in out.messages)


def test_usage_pairs_consumption_with_implied_use_and_leaves_out_empty_days():
    day, other = pd.Timestamp("2026-02-02"), pd.Timestamp("2026-02-03")
    items = pd.DataFrame({"shop_id": [1, 1], "date": [day, other], "spu_code": ["P", "P"], "sku_code": ["A", "A"],
                          "quantity": [2, 1]})
    recipes = pd.DataFrame({"spu_code": ["P", "P"], "sku_code": ["A", "A"], "goods_code": ["milk", "cup"],
                            "quantity": [100.0, 0.0]})
    consumed = pd.DataFrame({"shop_id": [1, 1, 1, 1], "date": [day, day, other, other],
                             "goods_code": ["milk", "cup", "milk", "ice"], "consumed": [230.0, 2.0, 0.0, 5.0]})
    got = model.usage(consumed, items, recipes)
    # cup: no implied use (0 per unit); milk on the 3rd: nothing consumed; ice: no recipe line
    assert got.to_dict("records") == [
        {"shop_id": 1, "date": day, "goods_code": "milk", "consumed": 230.0, "implied": 200.0, "items": 2.0}]
    assert list(model.usage(consumed.iloc[:0], items, recipes).columns) == list(got.columns)


def test_implied_usage_uses_the_sku_recipe_else_the_products_first_sku():
    day = pd.Timestamp("2026-02-02")
    items = pd.DataFrame({"shop_id": [1, 1, 1, 2], "date": [day] * 4, "spu_code": ["P", "P", "Q", "P"],
                          "sku_code": ["A", "B", "X", "A"], "quantity": [2, 3, 5, 1]})
    recipes = pd.DataFrame({"spu_code": ["P", "P", "P"], "sku_code": ["C", "C", "A"],
                            "goods_code": ["beans", "cup", "milk"], "quantity": [18.0, 1.0, 100.0]})
    got = model.implied_usage(items, recipes)
    # A has its own line (milk); B has none, so product P's first sku with lines (C) applies; Q has nothing
    assert got.to_dict("records") == [
        {"shop_id": 1, "date": day, "goods_code": "beans", "implied": 54.0, "items": 3.0},
        {"shop_id": 1, "date": day, "goods_code": "cup", "implied": 3.0, "items": 3.0},
        {"shop_id": 1, "date": day, "goods_code": "milk", "implied": 200.0, "items": 2.0},
        {"shop_id": 2, "date": day, "goods_code": "milk", "implied": 100.0, "items": 1.0},
    ]
