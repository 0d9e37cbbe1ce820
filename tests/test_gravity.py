"""The gravity model by hand and on simulated choices, and the offline Manhattan base layers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lucky.models import gravity as g


def test_huff_probabilities_by_hand():
    # equal stores at 1 km and 2 km with lambda 2: weights 1 and 1/4 -> 0.8 / 0.2
    p = g.probabilities(np.array([[1.0, 2.0]]), np.array([1.0, 1.0]), 1.0, 2.0)
    assert p.round(6).tolist() == [[0.8, 0.2]]
    # twice the floor area with alpha 1 at the same distance: 2/3 vs 1/3; a closed store gets 0
    p = g.probabilities(np.array([[1.0, 1.0, 0.5]]), np.array([2.0, 1.0, 5.0]), 1.0, 2.0,
                        np.array([[True, True, False]]))
    assert p.round(6).tolist() == [[round(2 / 3, 6), round(1 / 3, 6), 0.0]]


def test_distance_km_one_degree_of_latitude():
    assert g.distance_km(40.0, -74.0, 41.0, -74.0) == pytest.approx(111.2, abs=0.1)


@pytest.mark.parametrize("alpha,lam", [(1.0, 2.0), (0.6, 1.4)])
def test_calibration_recovers_planted_parameters(alpha, lam):
    rng = np.random.default_rng(7)
    origins = pd.DataFrame({"lat": rng.uniform(40.70, 40.80, 300), "lon": rng.uniform(-74.01, -73.95, 300)})
    stores = pd.DataFrame({"lat": rng.uniform(40.70, 40.80, 9), "lon": rng.uniform(-74.01, -73.95, 9)})
    dist, attract = g.distance_matrix(origins, stores), rng.uniform(800, 2500, 9)
    avail = np.ones(dist.shape, bool)
    avail[:100, -2:] = False                       # early customers: the last two stores not open yet
    p = g.probabilities(dist, attract, alpha, lam, avail)
    counts = np.vstack([rng.multinomial(60, row) for row in p])
    fit = g.calibrate(counts, dist, attract, avail)
    assert fit.alpha == pytest.approx(alpha, rel=0.15) and fit.lam == pytest.approx(lam, rel=0.05)
    table = fit.table()
    assert (table["low_95"] < table["estimate"]).all() and (table["estimate"] < table["high_95"]).all()
    lo, hi = table.set_index("parameter").loc["lambda", ["low_95", "high_95"]]
    assert lo < lam < hi


def test_cannibalization_beside_a_store_exceeds_across_town():
    origins = pd.DataFrame({"lat": np.linspace(40.70, 40.80, 41).repeat(5),
                            "lon": np.tile(np.linspace(-74.01, -73.95, 5), 41)})
    stores = pd.DataFrame({"lat": [40.71, 40.79], "lon": [-74.00, -73.96]})
    dist = g.distance_matrix(origins, stores)
    demand = np.ones(len(origins))
    beside = g.distance_matrix(origins, pd.DataFrame({"lat": [40.7105], "lon": [-74.0005]}))
    across = g.distance_matrix(origins, pd.DataFrame({"lat": [40.7895], "lon": [-73.9605]}))
    lost, new = g.cannibalization(demand, dist, np.ones(2), 1.0, 2.0, beside, np.ones(1))
    lost_far, _ = g.cannibalization(demand, dist, np.ones(2), 1.0, 2.0, across, np.ones(1))
    assert lost[0] > 0.3 and lost[0] > 2 * lost_far[0] and lost[0] > lost[1] and new[0] > 0
    # the customers the new site wins come from somewhere: total capture is conserved
    before = g.capture(demand, dist, np.ones(2), 1.0, 2.0)
    assert (before * (1 - lost)).sum() + new.sum() == pytest.approx(demand.sum())


def test_leave_one_out_by_hand():
    actual = pd.Series({1: 100.0, 2: 200.0, 3: 300.0})
    cap = pd.Series({1: 10.0, 2: 20.0, 3: 30.0})
    v = g.leave_one_out(actual, {j: cap for j in actual.index}).set_index("shop_id")
    # revenue per captured customer is 10 without any one store: predictions are exact
    assert v["predicted_revenue"].tolist() == [100.0, 200.0, 300.0]
    assert v.loc[1, "naive_revenue"] == 250.0 and v.loc[1, "naive_abs_pct_error"] == 1.5


def test_ramp_by_hand():
    monthly = pd.DataFrame({"shop_id": [1] * 5 + [2] * 5, "age_month": [1, 2, 3, 4, 5] * 2,
                            "revenue": [50, 80, 100, 100, 100, 30, 60, 90, 100, 100]})
    r = g.ramp(monthly, mature_from=4, months=6).set_index("age_month")["ramp_share"]
    assert r[1] == 0.4 and r[2] == 0.7 and r[3] == 0.95 and r[4] == 1.0 and r[6] == 1.0


def test_site_problem_hudson_and_outside_nyc():
    from lucky.ui import basemap

    land = basemap.outline()
    assert g.site_problem(40.72733, -74.00544, land) is None                # 180 Varick
    assert "Hudson" in g.site_problem(40.7400, -74.0300, land)              # off Chelsea Piers
    assert "outside New York City" in g.site_problem(42.65, -73.75, land)   # Albany
    assert "not a latitude" in g.site_problem(float("nan"), -74.0, land)


def test_basemap_offline_layers(monkeypatch):
    from lucky.ui import basemap

    deck = basemap.deck([], tiles=False)
    ids = [layer.id for layer in deck.layers]
    assert ids == ["base-land", "base-parks", "base-streets"] and deck.map_style is None
    names = {ln["name"] for ln in basemap.geography()["lines"]}
    assert {"Broadway", "5th Ave", "42nd St"} <= names
    monkeypatch.setenv("LUCKY_MAP_TILES", "off")
    basemap.online.cache_clear()
    assert basemap.online() is False
    basemap.online.cache_clear()
    assert basemap.deck([], tiles=True).layers == []


def test_comparables_by_hand():
    # factors scaled by the stores' std: pop std = 8.165 (0, 10, 20), rent std = 0 -> 1
    stores = pd.DataFrame({"pop": [0.0, 10.0, 20.0], "rent": [50.0, 50.0, 50.0]}, index=[501, 502, 503])
    sites = pd.DataFrame({"pop": [12.0, -1.0], "rent": [50.0, 51.0]}, index=["A", "B"])
    c = g.comparables(sites, stores, k=2)
    assert c[c["site_id"] == "A"]["shop_id"].tolist() == [502, 503]
    assert c[c["site_id"] == "B"]["shop_id"].tolist() == [501, 502]
    # B: pop 1/8.165 = 0.1225 std away from 501, rent 1 (unit scale): sqrt(0.015 + 1) = 1.0075
    assert c[(c["site_id"] == "B") & (c["rank"] == 1)]["factor_distance"].item() == pytest.approx(1.0075, abs=1e-3)


def test_land_grid_lies_on_land_only():
    from lucky.ui import basemap

    grid = basemap.land_grid(0.15)
    land = basemap.outline()
    assert 1500 < len(grid) < 4000                       # ~59 km² of Manhattan at 150 m spacing
    assert all(g.inside(la, lo, land) for la, lo in grid.sample(200, random_state=0).to_numpy())
    assert g.inside_many(np.array([40.72733, 40.7400]), np.array([-74.00544, -74.0300]), land).tolist() == [True, False]


def test_factor_model_keeps_a_factor_that_explains_the_residual_and_not_noise():
    stores = pd.Index(range(501, 509), name="shop_id")
    x = pd.DataFrame({"rent": np.arange(8.0), "subway": [2.0, 0, 4, 2, 2, 4, 0, 2]}, index=stores)
    fit, effects = g.factor_model(pd.Series(0.05 * (x["rent"] - 3.5), index=stores), x)
    # row 0 no factors, row 1 factors with the penalty chosen inside each fold
    assert fit["loo_abs_pct_error"].iloc[1] < 0.01 < 0.1 < fit["loo_abs_pct_error"].iloc[0]
    assert fit["beats_no_factors"].iloc[1]
    e = effects.set_index("factor")                  # rent sd 2.29: +1 sd = +0.05 × 2.29 in log revenue
    assert e.loc["rent", "effect_per_sd"] == pytest.approx(np.expm1(0.05 * np.std(np.arange(8.0))), rel=0.1)
    assert e.loc["rent", "correlation_with_residual"] == pytest.approx(1.0)
    for seed in range(5):                             # pure noise: the factors never cut the error by 10%
        noise = pd.Series(np.random.default_rng(seed).normal(0, 0.1, 8), index=stores)
        err = g.factor_model(noise, x)[0]["loo_abs_pct_error"]
        assert err.iloc[1] > 0.9 * err.iloc[0]
        # the bar: each store predicted by the other stores' mean residual
        assert err.iloc[0] == pytest.approx(np.mean([abs(np.expm1(noise.drop(index=j).mean() - noise[j]))
                                                     for j in stores]))
