"""Forecast-accuracy measures on examples worked by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lucky.models import forecast_accuracy as fa


def test_wape_bias_mape_hit_rate_by_hand():
    a = [10, 0, 5, 5]
    f = [12, 1, 5, 3]
    # |err| = 2, 1, 0, 2 -> 5 / 20 = 0.25; err = 2, 1, 0, -2 -> 1 / 20 = 0.05
    assert fa.wape(a, f) == pytest.approx(0.25)
    assert fa.bias(a, f) == pytest.approx(0.05)
    # MAPE leaves the zero day out: (0.2 + 0 + 0.4) / 3 = 0.2, one day left out
    value, zero = fa.mape(a, f)
    assert value == pytest.approx(0.2) and zero == 1
    # within ±20%: 12 vs 10 yes (exactly 20%), 5 vs 5 yes, 3 vs 5 no -> 2 / 3
    assert fa.hit_rate(a, f) == pytest.approx(2 / 3)
    assert math.isnan(fa.wape([0, 0], [1, 2]))
    # against a naive forecast of 8, 0, 5, 6: Σ|A−naive| = 2 + 0 + 0 + 1 = 3 -> 5 / 3
    assert fa.ratio(a, f, [8, 0, 5, 6]) == pytest.approx(5 / 3)


def test_summarize_groups_match_the_scalar_measures():
    rows = pd.DataFrame({"g": ["x", "x", "y", "y"], "actual": [10.0, 0.0, 5.0, 5.0], "pred": [12.0, 1.0, 5.0, 3.0]})
    s = fa.summarize(rows, ["g"]).set_index("g")
    assert s.loc["x", "wape"] == pytest.approx(3 / 10) and s.loc["x", "zero_days"] == 1
    assert s.loc["y", "wape"] == pytest.approx(2 / 10) and s.loc["y", "bias"] == pytest.approx(-0.2)
    assert s.loc["y", "hit_rate"] == pytest.approx(0.5) and s.loc["x", "mape"] == pytest.approx(0.2)


def test_naive_forecasts_use_only_what_was_known_at_the_run():
    days = pd.date_range("2026-01-01", periods=60, freq="D")
    hist = pd.DataFrame({"shop_id": 1, "goods_code": "G", "date": days, "actual": np.arange(60, dtype=float)})
    rows = pd.DataFrame({"shop_id": [1, 1], "goods_code": ["G", "G"], "date": [days[40], days[40]],
                         "run_date": [days[39], days[31]], "lead": [1, 9]})
    out = fa.with_naive(rows, hist)
    # lead 1: same weekday one week before the target (day 33); lead 9: two weeks before (day 26)
    assert out["naive_week"].tolist() == [33.0, 26.0]
    # trailing 28 days up to the run day: days 12..39 -> mean 25.5; days 4..31 -> 17.5
    assert out["naive_mean"].tolist() == [25.5, 17.5]
    # a day without a sale row after the series started is zero demand, not missing
    gap = hist[hist["date"] != days[33]]
    assert fa.with_naive(rows.iloc[:1], gap)["naive_week"].iloc[0] == 0.0


def _series(shop: int, factor: float, level: float, n: int, rng, noise: float = 0.1) -> pd.DataFrame:
    a = rng.poisson(level, n).astype(float)
    return pd.DataFrame({"shop_id": shop, "goods_code": "G", "date": pd.date_range("2026-01-01", periods=n),
                         "actual": a, "pred": a * factor * rng.lognormal(0, noise, n)})


def test_a_series_is_flagged_only_when_its_bias_is_large_and_clear():
    rng = np.random.default_rng(3)
    rows = pd.concat([
        _series(1, 1.3, 50, 40, rng),             # over by 30%, plenty of volume: over
        _series(2, 0.7, 50, 40, rng),             # under: under
        _series(3, 1.0, 50, 40, rng),             # unbiased: ok
        _series(4, 1.0, 50, 40, rng) .assign(pred=lambda f: f["actual"] * 1.05),  # small bias: ok
        _series(5, 1.3, 0.1, 40, rng, noise=1.5),  # a few sales, noisy: not evidence
    ])
    s = fa.series_table(rows).set_index("shop_id")
    assert s.loc[1, "flag"] == "over" and s.loc[2, "flag"] == "under"
    assert s.loc[3, "flag"] == "ok" and s.loc[4, "flag"] == "ok"
    assert 5 not in s.index or s.loc[5, "flag"] == "ok"
    assert s.loc[1, "bias"] == pytest.approx(0.3, abs=0.06)


def test_version_change_before_and_after_with_an_interval():
    rng = np.random.default_rng(5)
    frames = []
    for shop in range(30):
        days = pd.date_range("2026-01-01", periods=40)
        a = rng.poisson(40, 40).astype(float)
        after = days >= pd.Timestamp("2026-01-21")
        err = rng.normal(0, 1, 40) * np.where(after, 2.0, 8.0)
        frames.append(pd.DataFrame({"shop_id": shop, "goods_code": "G", "date": days + pd.Timedelta(days=1),
                                    "run_date": days, "actual": a, "pred": np.maximum(a + err, 0),
                                    "model_version": np.where(after, "v2", "v1")}))
    rows = pd.concat(frames, ignore_index=True)
    ch = fa.version_changes(rows)
    assert ch[["from_version", "to_version"]].values.tolist() == [["v1", "v2"]]
    assert ch["change_date"].iloc[0] == pd.Timestamp("2026-01-21")
    v = fa.versions_table(rows).iloc[0]
    assert v["days_before"] == 20 and v["days_after"] == 20
    assert v["wape_change"] < 0 and v["ci_low"] < v["wape_change"] < v["ci_high"] < 0
    assert v["verdict"] == "better"
    assert fa.versions_table(rows[rows["model_version"] == "v1"]).empty
