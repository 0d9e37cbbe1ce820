"""Tool 21, expansion: the planted Huff parameters and cannibalisation are recovered from the demo
(seed 1 at the tests' scale; seed 0 at scale 0.1, where a store-day has enough orders to measure a
10-20% loss within 5 points), leave-one-store-out beats the naive mean, a site beside a store takes
far more from it than one across town, and bad sites are messages."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lucky import tools
from lucky.cli import main
from lucky.core import Filters, Viewer
from lucky.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
BESIDE_501 = "40.7310,-73.9915"      # a block from 8th & Broadway
ACROSS_TOWN = "40.8080,-73.9460"     # Lenox & 125th


def _huff_recovered(out, truth: dict) -> None:
    cal = out.tables["calibration"].set_index("parameter")["estimate"]
    planted = truth["expansion"]["huff"]
    assert cal["alpha"] == pytest.approx(planted["alpha"], rel=0.15)
    assert cal["lambda"] == pytest.approx(planted["lambda"], rel=0.15)


def test_huff_recovered_seed1(shared_build, use_demo):
    path, truth = shared_build(0.01, 1)
    use_demo(path)
    out = tools.execute("expansion", Filters(), Viewer())
    _huff_recovered(out, truth)
    assert set(out.tables) >= {"calibration", "validation", "sites", "cannibalization", "factors", "ramp"}


@pytest.fixture(scope="module")
def seed0_big(shared_build):
    return shared_build(0.1, 0)


def test_truth_seed0_scale01(seed0_big, use_demo):
    path, truth = seed0_big
    use_demo(path)
    out = tools.execute("expansion", Filters(), Viewer(), sites=f"{BESIDE_501};{ACROSS_TOWN}")
    _huff_recovered(out, truth)
    seen = out.tables["observed-cannibalization"].set_index(["new_shop", "affected_shop"])["share"]
    assert truth["expansion"]["cannibalization"]
    for p in truth["expansion"]["cannibalization"]:
        assert seen[(p["new_shop"], p["affected_shop"])] == pytest.approx(p["share"], abs=0.05), p
    v = out.tables["validation"]
    assert v["abs_pct_error"].mean() < v["naive_abs_pct_error"].mean()
    c = out.tables["cannibalization"].set_index(["site_id", "shop_id"])["lost_share"]
    assert c[("W1", 501)] > 3 * c[("W2", 501)]
    sites = out.tables["sites"].set_index("site_id")
    assert "180 Varick" in set(sites["site_name"])
    assert (sites["score_low"] <= sites["score"]).all() and (sites["score"] <= sites["score_high"]).all()
    assert (sites["net_new_revenue"] == sites["predicted_monthly_revenue"] - sites["cannibalized_revenue"]).all()
    assert out.tables["scenario"]["site_id"].iloc[-1] == "all together"
    comp = out.tables["comparables"]
    assert (comp.groupby("site_id")["rank"].max() == 3).all() and set(comp["shop_id"]) <= set(v["shop_id"])
    assert comp.groupby("site_id")["factor_distance"].apply(lambda d: d.is_monotonic_increasing).all()
    ramp = out.tables["site-ramp"].set_index(["site_id", "age_month"])
    w1 = sites.loc["W1", "predicted_monthly_revenue"]
    assert ramp.loc[("W1", 1), "predicted_revenue"] < w1 and ramp.loc[("W1", 6), "predicted_revenue"] == w1


def test_bad_sites_and_empty_period_are_messages(demo):
    out = tools.execute("expansion", Filters(), Viewer(), sites="40.7400,-74.0300;42.65,-73.75")
    text = " | ".join(m.text for m in out.messages)
    assert "Hudson" in text and "outside New York City" in text
    assert not (out.tables["sites"]["source"] == "what-if").any()
    with pytest.raises(InputError, match="is not 'lat,lon'"):
        tools.execute("expansion", Filters(), Viewer(), sites="forty,seventy")
    out = tools.execute("expansion", Filters(start=date(2020, 1, 1), end=date(2020, 1, 31)), Viewer())
    assert any("nothing to learn from" in m.text for m in out.messages)


def test_candidate_edited_into_the_river_is_not_scored(edited):
    edited("UPDATE luckyus_iopshopexpand.t_candidate_site SET lon = -74.0300, lat = 40.7400 WHERE site_id = 'S002'")
    out = tools.execute("expansion", Filters(), Viewer())
    assert "S002" not in set(out.tables["sites"]["site_id"])
    assert any("S002" in m.text and "Hudson" in m.text for m in out.messages)


def test_cli_and_page(demo, capsys):
    assert main(["run", "expansion", "--table", "sites", "--format", "csv", "--option", f"sites={BESIDE_501}"]) == 0
    text = capsys.readouterr().out
    assert "site_id,lat,lon" not in text and "180 Varick" in text and "W1" in text
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "pages" / "expansion.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert len(at.dataframe) >= 4


def test_page_shows_the_site_in_the_url(demo):
    """A map click ends as two URL-bound values (the what-if text and the site shown; the click
    itself is tests/test_site_picker.py and the browser test): a link with them opens that site."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "pages" / "expansion.py"), default_timeout=120)
    at.query_params["expansion_sites"] = f"{ACROSS_TOWN};{BESIDE_501}"
    at.query_params["expansion_site"] = "W2"
    at.run()
    assert not at.exception
    assert at.selectbox(key="expansion_site").value == "W2"
    assert any(m.value.startswith("**W2 · what-if 2**") for m in at.markdown)
    lost = next(d.value for d in at.dataframe if "revenue_lost" in d.value.columns)
    assert str(lost["shop_id"].iloc[0]) == "501" and set(lost["site_id"]) == {"W2"}     # ids shown as text
    at.button(key="expansion_clear").click().run()
    assert at.text_input(key="expansion_sites").value == "" and at.selectbox(key="expansion_site").value == "S001"


def test_a_what_if_point_reuses_the_fitted_model(demo, monkeypatch):
    """A click scores against the cached model (no re-read); another period or source refits."""
    from lucky.queries import expansion as q

    tools.execute("expansion", Filters(), Viewer())

    def down(*_a, **_k):
        raise RuntimeError("read again")

    monkeypatch.setattr(q, "first_choices", down)
    out = tools.execute("expansion", Filters(), Viewer(), sites=BESIDE_501)
    assert "W1" in set(out.tables["sites"]["site_id"])
    with pytest.raises(RuntimeError, match="read again"):
        tools.execute("expansion", Filters(start=date(2020, 1, 1)), Viewer())
