"""The anomaly feed on demo data: the planted anomalies of two seeds, the tool's table, bad input,
and acknowledge/dismiss stored in Lucky's own store. The truth file is read here only."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from lucky import sources
from lucky.core import Filters, Viewer
from lucky.tools import execute

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from bench_anomaly import score  # noqa: E402  (the same scoring as the benchmark)

REQUIRED = ["shop_id", "date", "metric", "severity", "score", "explanation"]


@pytest.fixture(scope="module")
def feed(demo):
    out = execute("anomalies", Filters(), Viewer())
    return out


GOAL_RECALL, MAX_FP_PER_DAY = 0.9, 5   # issue 6: 90% of the planted anomalies, < 5 false positives a day


def test_seed0_recall_and_false_positives(demo, feed):
    """The session demo (scale 0.01, seed 0): at least 90% of the planted anomalies (shop,
    store-local date and metric), fewer than 5 false positives (Warning or above) a day. Every
    planted anomaly is visible in the data at this scale (tests/test_generator_core.py and
    tests/test_generator_ops.py check that), so the issue's bar holds here too."""
    s = score(feed.tables["anomalies"], demo["truth"])
    assert s["planted"] >= 25, s
    assert s["recall"] >= GOAL_RECALL, s
    assert s["fp_per_day"] < MAX_FP_PER_DAY, s


@pytest.mark.parametrize("scale, seed", [(0.01, 1), (0.05, 0)])
def test_other_seeds_recall_and_false_positives(demo, shared_build, monkeypatch, scale, seed):
    """Another seed at the fixture's scale, and seed 0 at 0.05 (about 30 orders a store-day): the same
    bar. Both are the session's shared builds."""
    path, truth = shared_build(scale, seed)
    monkeypatch.setenv("LUCKY_DATABASE_URL", str(path))
    sources.dispose_all()
    try:
        s = score(execute("anomalies", Filters(), Viewer()).tables["anomalies"], truth)
    finally:
        monkeypatch.setenv("LUCKY_DATABASE_URL", str(demo["path"]))
        sources.dispose_all()
    assert s["planted"] >= 25, s
    assert s["recall"] >= GOAL_RECALL, s
    assert s["fp_per_day"] < MAX_FP_PER_DAY, s


def test_table_contract_and_order(feed):
    table = feed.tables["anomalies"]
    assert list(table.columns[:6]) == REQUIRED
    assert set(table["severity"]) <= {"Critical", "Warning", "Info"}
    rank = table["severity"].map({"Critical": 0, "Warning": 1, "Info": 2})
    assert rank.is_monotonic_increasing
    assert table["explanation"].str.len().min() > 10
    chain = table[table["shop_id"].isna()]
    assert set(chain["metric"]) <= {"fee_rate", "registrations"}
    inc = feed.tables["incidents"]
    assert {"root_cause", "steps", "metrics"} <= set(inc.columns)
    assert inc["severity"].isin(["Critical", "Warning"]).all()


def test_store_manager_sees_only_their_store(demo, feed):
    shop = int(feed.tables["anomalies"]["shop_id"].dropna().iloc[0])
    out = execute("anomalies", Filters(), Viewer(role="store_manager", shop_ids=(shop,)))
    assert set(out.tables["anomalies"]["shop_id"].dropna()) <= {shop}


@pytest.mark.parametrize("start, end, words", [
    ("2020-01-01", "2020-01-31", "The data starts on"),
    ("2030-01-01", "2030-01-31", "The data ends on"),
])
def test_dates_outside_the_data_are_a_statement(demo, start, end, words):
    out = execute("anomalies", Filters(start=pd.Timestamp(start).date(), end=pd.Timestamp(end).date()), Viewer())
    assert out.tables["anomalies"].empty
    assert any(words in m.text for m in out.messages)


def test_young_store_is_named_not_judged(demo, feed):
    from lucky.queries import metrics, shops
    span = metrics.order_span(shops.trading_shops("USD"))
    youngest = span.sort_values("first_day").iloc[-1]
    day = youngest["first_day"] + pd.Timedelta(days=1)
    out = execute("anomalies", Filters(start=day.date(), end=day.date()), Viewer())
    assert any("too new for a baseline" in m.text for m in out.messages)
    rows = out.tables["anomalies"]
    judged = rows[(rows["shop_id"] == youngest["shop_id"]) & (rows["severity"] != "Info")]
    assert judged["metric"].isin(["production_time", "inventory_shrink"]).all()


def test_acknowledge_and_dismiss_are_stored_and_learned(demo, feed):
    from lucky import state
    from lucky.anomaly import feedback

    table = feed.tables["anomalies"]
    row = table[(table["severity"] != "Info") & table["shop_id"].notna()].iloc[0]
    other = table[(table["severity"] != "Info") & (table.index != row.name)].iloc[0]
    feedback.record(row["shop_id"], row["date"], row["metric"], "dismiss", "ops lead", row["dimension"], "known")
    feedback.record(other["shop_id"], other["date"], other["metric"], "acknowledge", "store ops", other["dimension"])
    assert os.environ["LUCKY_STATE_URL"].startswith("sqlite:///")
    state.dispose_all()                        # a new engine reads what was written: durable
    hist = feedback.history()
    assert list(hist["actor"]) == ["ops lead", "store ops"] and hist["at"].notna().all()
    assert feedback.sensitivity()[(int(row["shop_id"]), row["metric"])] == pytest.approx(1 + feedback.STEP)
    again = execute("anomalies", Filters(), Viewer()).tables["anomalies"]
    mine = again[(again["shop_id"] == row["shop_id"]) & (again["date"] == row["date"]) & (again["metric"] == row["metric"])]
    assert mine["status"].iloc[0] == "dismissed" and mine["by"].iloc[0] == "ops lead"
    assert mine["sensitivity"].iloc[0] == pytest.approx(1 + feedback.STEP)
    feedback.record(row["shop_id"], row["date"], row["metric"], "reopen", "ops lead", row["dimension"])
    assert (int(row["shop_id"]), row["metric"]) not in feedback.sensitivity()


def test_unknown_action_is_refused(demo):
    from lucky.anomaly import feedback
    from lucky.errors import InputError

    with pytest.raises(InputError):
        feedback.record(1, "2026-01-01", "orders", "delete", "me")


def test_verdicts_in_postgresql(postgres_url, monkeypatch):
    """LUCKY_STATE_URL may point at PostgreSQL: verdicts land there, in a database of their own."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from lucky import state
    from lucky.anomaly import feedback

    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'lucky_anomaly_test'")).first():
            conn.execute(text("CREATE DATABASE lucky_anomaly_test"))
    admin.dispose()
    url = make_url(postgres_url).set(database="lucky_anomaly_test").render_as_string(hide_password=False)
    monkeypatch.setenv("LUCKY_STATE_URL", url)
    state.dispose_all()
    try:
        with state.engine().begin() as conn:
            conn.execute(feedback.anomaly_feedback.delete())
        feedback.record(None, "2026-01-27", "fee_rate", "acknowledge", "finance lead", "channel 51")
        state.dispose_all()
        hist = feedback.history()
        assert list(hist["actor"]) == ["finance lead"] and hist["shop_id"].isna().all()
        assert feedback.latest()["status"].tolist() == ["acknowledged"]
    finally:
        state.dispose_all()


def test_hourly_table_adds_up_to_the_day_and_collapses_say_their_shape(demo, feed):
    from lucky.queries import metrics, shops

    hourly = feed.tables["hourly"]
    assert {"shop_id", "shop_name", "date", "hour", "orders", "expected", "ratio", "status"} <= set(hourly.columns)
    day = hourly["date"].iloc[0]
    assert (hourly["date"] == day).all()
    daily = metrics.orders_daily(shops.shops(), day, day).set_index("shop_id")["orders"]
    per_store = hourly.groupby("shop_id")["orders"].sum()
    assert (per_store[per_store > 0] == daily.reindex(per_store[per_store > 0].index)).all()
    collapses = feed.tables["anomalies"]
    collapses = collapses[(collapses["metric"] == "orders") & (collapses["severity"] != "Info")]
    assert not collapses.empty
    # at this scale a store's hours are too small to judge one by one; an empty day still says so
    empty = collapses[(collapses["value"] == 0) & (collapses["expected"] >= 8)]
    assert not empty.empty and empty["explanation"].str.contains("no completed orders in any hour").all()


def test_a_day_still_in_progress_is_not_judged(edited):
    """Live replicas end *now*: with orders only until 10:00 New York time on the last day, that
    day is named as in progress, not reported as every store collapsing; earlier days still are."""
    edited("DELETE FROM luckyus_sales_order.t_order WHERE create_time >= TIMESTAMP '2026-02-14 15:00:00'")
    out = execute("anomalies", Filters(start=pd.Timestamp("2026-01-20").date(), end=pd.Timestamp("2026-02-14").date()), Viewer())
    anoms = out.tables["anomalies"]
    assert not (pd.to_datetime(anoms["date"]) == pd.Timestamp("2026-02-14")).any()
    assert (pd.to_datetime(anoms["date"]) < pd.Timestamp("2026-02-14")).any()
    notes = " | ".join(m.text for m in out.messages)
    assert "2026-02-14 is still in progress" in notes and "the data reaches 09:" in notes
    hourly = out.tables["hourly"]
    ny = hourly[hourly["shop_id"].between(500, 520)]
    assert not ny.empty and ny["hour"].max() <= 9           # hours not yet lived are not "no orders"
