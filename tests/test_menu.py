"""Menu Analytics Engine (Tool 10): Kasavana & Smith and the elasticity model on hand-worked
examples, the tool against the planted truth on two seeds (scale 0.05: an elasticity needs a few
thousand units of the product), against a cost edited into the data by hand, and bad input."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from lucky import sources, tools
from lucky.core import Filters, Viewer
from lucky.models import menu as mm


# ------------------------------------------------------------------ model, hand-worked
def test_kasavana_smith_by_hand():
    # 4 products, 100 units: popularity threshold 0.7 × 25% = 17.5%;
    # CMs 2, 1, 3, 0.5 → weighted mean (40×2 + 30×1 + 10×3 + 20×0.5) / 100 = 1.5
    df = pd.DataFrame({"spu_name": list("ABCD"), "units": [40, 30, 10, 20],
                       "price": [3.0, 2.0, 4.0, 1.5], "unit_cost": [1.0, 1.0, 1.0, 1.0]})
    m = mm.kasavana_smith(df).set_index("spu_name")
    assert m["popularity_threshold_pct"].iloc[0] == pytest.approx(17.5)
    assert m["margin_threshold"].iloc[0] == pytest.approx(1.5)
    assert m["quadrant"].to_dict() == {"A": "Star", "B": "Plowhorse", "C": "Puzzle", "D": "Plowhorse"}
    assert m.loc["C", "bcg"] == "Puzzles"


def test_price_moves_and_elasticity_on_a_known_curve():
    rng = np.random.default_rng(1)
    days = pd.date_range("2025-08-01", periods=160, freq="D")
    price = np.where(days >= pd.Timestamp("2025-10-01"), 4.0, 5.0)
    ref = rng.integers(800, 1200, len(days)).astype(float)
    units = rng.poisson(0.05 * ref * (price / 5.0) ** -1.5)
    daily = pd.DataFrame({"spu_name": "X", "business_date": days, "units": units, "list_price": price, "ref_units": ref})
    moves = mm.price_moves(daily)
    assert list(moves["date"]) == [pd.Timestamp("2025-10-01")] and moves["new_price"].iloc[0] == 4.0
    e = mm.elasticity(daily, "X")
    assert e["elasticity"] == pytest.approx(-1.5, abs=0.2) and e["ci_low"] < -1.5 < e["ci_high"]
    flat = daily.assign(list_price=5.0)
    assert np.isnan(mm.elasticity(flat, "X")["elasticity"]) and mm.price_moves(flat).empty


# ------------------------------------------------------------------ truth
def independent_quadrants(start=None, end=None) -> dict[str, str]:
    """Kasavana & Smith from raw rows with the test's own code (UTC days are close enough over
    the whole history: the check runs on the full range)."""
    it = sources.read("luckyus_sales_order", """
        SELECT i.spu_code, i.spu_name, i.quantity, i.sale_price FROM luckyus_sales_order.t_order o
        JOIN luckyus_sales_order.t_order_item i ON i.order_id = o.id
        WHERE o.status = 90 AND o.currency_code = 'USD'""")
    cost = sources.read("luckyus_scm_commodity", "SELECT spu_code, status, standard_cost "
                                                 "FROM luckyus_scm_commodity.t_commodity_base_info")
    cost = cost.sort_values(["spu_code", "status"]).drop_duplicates("spu_code").set_index("spu_code")["standard_cost"]
    g = it.assign(paid=it["sale_price"] * it["quantity"]).groupby(["spu_name", "spu_code"])[["quantity", "paid"]].sum()
    g = g.reset_index()
    g["cm"] = g["paid"] / g["quantity"] - g["spu_code"].map(cost)
    share = g["quantity"] / g["quantity"].sum()
    popular = share >= 0.7 / len(g)
    high = g["cm"] >= (g["quantity"] * g["cm"]).sum() / g["quantity"].sum()
    names = {(True, True): "Star", (True, False): "Plowhorse", (False, True): "Puzzle", (False, False): "Dog"}
    return {n: names[(bool(p), bool(h))] for n, p, h in zip(g["spu_name"], popular, high)}


@pytest.mark.parametrize("seed", [0, 1])
def test_menu_truth(seed, shared_build, use_demo):
    path, truth = shared_build(0.05, seed)
    use_demo(path)
    out = tools.execute("menu", Filters(), Viewer())
    m = out.tables["matrix"]
    assert {"spu_name", "category", "units", "menu_mix_pct", "price", "list_price", "unit_cost",
            "contribution_margin", "quadrant"} <= set(m.columns)
    assert dict(zip(m["spu_name"], m["quadrant"])) == independent_quadrants()
    el = out.tables["elasticity"].set_index("spu_name")
    planted = truth["menu"]["elasticity"]
    assert planted and set(planted) <= set(el.index)
    for name, e in planted.items():
        assert abs(el.loc[name, "elasticity"] - e) <= 0.3, (name, el.loc[name, "elasticity"], e)
    assert len(el) == len(planted)                      # no product without a price change gets one
    life = out.tables["lifecycle"]
    for kind, event in (("launches", "launch"), ("retired", "retired")):
        for x in truth["menu"][kind]:
            hit = life[(life["spu_name"] == x["spu_name"]) & (life["event"] == event)]
            assert len(hit), (kind, x, life.to_dict("records"))
            assert abs((pd.Timestamp(hit["date"].iloc[0]) - pd.Timestamp(x["date"])).days) <= 3


def test_iced_share_follows_the_season(shared_build, use_demo):
    path, _truth = shared_build(0.05, 0)
    use_demo(path)
    it = sources.read("luckyus_sales_order", """
        SELECT i.spu_code, i.one_category_name AS category, o.create_time FROM luckyus_sales_order.t_order o
        JOIN luckyus_sales_order.t_order_item i ON i.order_id = o.id WHERE o.status = 90""")
    cat = sources.read("luckyus_scm_commodity", "SELECT spu_code, is_iced FROM luckyus_scm_commodity.t_commodity_base_info")
    drinks = it[it["category"] != "Food"]
    iced = drinks["spu_code"].map(cat.drop_duplicates("spu_code").set_index("spu_code")["is_iced"]) == 1
    month = drinks["create_time"].dt.month
    summer, winter = iced[month == 7].mean(), iced[month == 1].mean()
    assert summer > winter + 0.1, (summer, winter)


def test_cost_edited_by_hand_moves_the_quadrant(demo, edited):
    m = tools.execute("menu", Filters(), Viewer()).tables["matrix"]
    star = m[m["quadrant"] == "Star"].iloc[0]
    edited(f"UPDATE luckyus_scm_commodity.t_commodity_base_info SET standard_cost = {star['price'] + 1:.2f} "
           f"WHERE name = '{star['spu_name'].replace(chr(39), chr(39) * 2)}'")
    m2 = tools.execute("menu", Filters(), Viewer()).tables["matrix"].set_index("spu_name")
    assert m2.loc[star["spu_name"], "contribution_margin"] < 0
    assert m2.loc[star["spu_name"], "quadrant"] in ("Plowhorse", "Dog")


# ------------------------------------------------------------------ bad input
def test_bad_input(demo):
    m = tools.execute("menu", Filters(), Viewer())
    el = set(m.tables["elasticity"]["spu_name"])
    steady = next(n for n in m.tables["matrix"]["spu_name"] if n not in el)
    out = tools.execute("menu", Filters(), Viewer(), product=steady)
    assert any("did not change" in x.text and "no elasticity" in x.text for x in out.messages)
    assert f"{steady}: per store" in out.tables
    out = tools.execute("menu", Filters(), Viewer(), product="No Such Drink")
    assert any("not in the product catalog" in x.text for x in out.messages) and "matrix" in out.tables
    empty = tools.execute("menu", Filters(start=date(2024, 1, 1), end=date(2024, 1, 5)), Viewer())
    assert any("No completed" in x.text for x in empty.messages)
