"""Campaign Performance Analyzer (partial, issue 14): the sequential A/B readout against the
truth (experiments.lift / .null) on two seeds, by hand, under simulated daily peeking, and with
an experiment edited by hand (one variant; a null made to convert)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lucky import tools
from lucky.core import Filters, Viewer
from lucky.models import sequential

ADMIN = Viewer()


def test_boundary_and_crossing_probability():
    assert sequential.boundary() == pytest.approx(2.2414, abs=1e-3)
    # peeking continuously at 1.96 would reject a true null about 10% of the time, not 5%
    assert sequential.crossing_probability(1.96) == pytest.approx(0.0999, abs=1e-3)


def test_z_pooled_by_hand():
    # 30/100 vs 20/100: p = 0.25, se = sqrt(0.25*0.75*0.02) = 0.061237, z = 0.1/0.061237
    assert sequential.z_pooled(30, 100, 20, 100) == pytest.approx(1.63299, abs=1e-4)


def test_daily_peeking_keeps_the_false_positive_rate():
    """2,000 null experiments looked at every day for 30 days: at most ~5% ever significant."""
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(2000):
        n = np.cumsum(rng.poisson(20, (30, 2)), axis=0)
        x = np.cumsum(rng.binomial(np.diff(np.vstack([[0, 0], n]), axis=0), 0.2), axis=0)
        looks = pd.DataFrame({"day": range(30), "n1": n[:, 1], "x1": x[:, 1], "n0": n[:, 0], "x0": x[:, 0]})
        hits += sequential.readout(looks, planned=float(n[-1].sum()))["significant"]
    naive = 0.05
    assert hits / 2000 <= naive + 0.01


def _verdicts() -> pd.DataFrame:
    return tools.execute("campaigns", Filters(), ADMIN).tables["experiments"].set_index("experiment_id")


def _check(truth: dict) -> None:
    t = _verdicts()
    lift, null = truth["experiments"]["lift"], truth["experiments"]["null"]
    assert t.loc[lift, "significant"].all() and (t.loc[lift, "lift"] > 0).all()
    assert t.loc[null, "significant"].astype(bool).sum() <= 1
    assert (t.loc[lift, "ci_low"] > 0).all()


def test_experiment_truth_seed0(demo):
    _check(demo["truth"])


def test_experiment_truth_seed1(shared_build, use_demo):
    path, truth = shared_build(0.01, 1)
    use_demo(path)
    _check(truth)


def test_hand_edited_experiments(demo, edited):
    null = demo["truth"]["experiments"]["null"]
    quiet = [e for e in null if not _verdicts().loc[e, "significant"]]
    made, single = quiet[0], quiet[1]
    edited(f"UPDATE luckyus_isalesdatamarketing.t_user_hit_experiment_record SET converted = 1 "
           f"WHERE experiment_id = {made} AND group_name = 'treatment'",
           f"DELETE FROM luckyus_isalesdatamarketing.t_user_hit_experiment_record "
           f"WHERE experiment_id = {single} AND group_name = 'control'")
    out = tools.execute("campaigns", Filters(), ADMIN)
    t = out.tables["experiments"].set_index("experiment_id")
    assert t.loc[made, "significant"] and t.loc[made, "lift"] > 0
    assert t.loc[single, "significant"] is not True and pd.isna(t.loc[single, "z"])
    assert any(f"Experiment {single}" in m.text and "one variant" in m.text for m in out.messages)
