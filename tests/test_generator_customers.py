"""The customer and marketing steps of the demo generator: crm, marketing, experiments, misc.

They run on a world prepared by the core steps (catalog, users, orders); the tests build that
world with the real steps at scale 0.01 and check links, consistency with orders, the planted
experiment lift (at two seeds), and determinism.
"""
from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from lucky.demo.world import World
from lucky.schema import get_table

MY_STEPS = ("crm", "marketing", "experiments", "misc")
CORE_STEPS = ("catalog", "users", "orders")


def core_world(scale: float = 0.01, seed: int = 0, bulk: float = 0.1) -> tuple[World, pd.DataFrame]:
    """A world after the core steps, and the t_order_amount rows they wrote."""
    world, amounts = World(scale=scale, seed=seed, bulk=bulk), None
    for step in CORE_STEPS:
        for _, name, df in importlib.import_module(f"lucky.demo.gen.{step}").generate(world):
            if name == "t_order_amount":
                amounts = df
    return world, amounts


def run_steps(world: World) -> dict[str, pd.DataFrame]:
    """Run the four steps; tables keyed 'db.table' (chunks concatenated)."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for step in MY_STEPS:
        for db, name, df in importlib.import_module(f"lucky.demo.gen.{step}").generate(world):
            parts.setdefault(f"{db}.{name}", []).append(df)
    return {k: pd.concat(v, ignore_index=True) if len(v) > 1 else v[0] for k, v in parts.items()}


@pytest.fixture(scope="module")
def built() -> tuple[World, dict[str, pd.DataFrame]]:
    world, amounts = core_world()
    tables = run_steps(world)
    tables["luckyus_sales_order.t_order_amount"] = amounts
    return world, tables


def z_test(conv: np.ndarray, treated: np.ndarray) -> float:
    """Two-proportion z statistic (pooled standard error)."""
    n1, n0 = treated.sum(), (~treated).sum()
    p1, p0 = conv[treated].mean(), conv[~treated].mean()
    p = conv.mean()
    return float((p1 - p0) / np.sqrt(p * (1 - p) * (1 / n1 + 1 / n0)))


def experiment_z(records: pd.DataFrame) -> dict[int, float]:
    out = {}
    for exp, g in records.groupby("experiment_id"):
        out[int(exp)] = z_test(g["converted"].to_numpy(dtype=float),
                               (g["group_name"] == "treatment").to_numpy())
    return out


def test_columns_match_schema_and_tenant(built):
    _, tables = built
    assert len(tables) >= 17
    for key, df in tables.items():
        db, name = key.split(".")
        assert list(df.columns) == [c.name for c in get_table(db, name).columns], key
        if len(df):
            assert (df["tenant"] == "LKUS").all(), key
            assert df["id"].is_unique, key


def test_users_and_orders_exist(built):
    world, tables = built
    users = set(world.users["user_no"])
    for key in ("luckyus_sales_crm.t_user_history", "luckyus_isales_cdp.t_user_state",
                "luckyus_isales_cdp.t_user_event_track", "luckyus_sales_marketing.t_coupon_record",
                "luckyus_sales_marketing.t_market_activity_partake",
                "luckyus_sales_marketing.t_user_group_label",
                "luckyus_isalesdatamarketing.t_user_hit_experiment_record"):
        assert set(tables[key]["user_no"].dropna()) <= users, key   # the event track: NULL before sign-up
    coupons = tables["luckyus_sales_marketing.t_coupon_record"]
    used = coupons[coupons["status"] == 2]
    orders = world.orders.set_index("order_no")
    assert len(used) > 0
    linked = orders.loc[used["order_no"]]
    assert (linked["status"] == 90).all()
    assert (linked["user_no"].to_numpy() == used["user_no"].to_numpy()).all()
    assert used["order_no"].is_unique
    templates = set(tables["luckyus_sales_marketing.t_coupon_template"]["template_id"])
    assert set(coupons["template_id"]) <= templates
    history = tables["luckyus_sales_order.t_order_oper_history"]
    assert set(history["order_no"]) <= set(world.orders["order_no"])


def test_used_coupon_discount_matches_order_amount(built):
    _, tables = built
    amounts = tables["luckyus_sales_order.t_order_amount"]
    coupons = tables["luckyus_sales_marketing.t_coupon_record"]
    used = coupons[coupons["status"] == 2]
    both = used.merge(amounts[["order_no", "coupon_deduct"]], on="order_no", how="left")
    assert both["coupon_deduct"].notna().all()
    assert np.allclose(both["discount_amount"].astype(float), both["coupon_deduct"].astype(float))
    # every completed order that had a coupon deduction has its used coupon
    orders = built[0].orders
    done = set(orders.loc[orders["status"] == 90, "order_no"])
    deducted = amounts[(amounts["coupon_deduct"] > 0) & amounts["order_no"].isin(done)]
    assert set(deducted["order_no"]) == set(used["order_no"])


def test_lifecycle_follows_orders_and_churn(built):
    world, tables = built
    states = tables["luckyus_isales_cdp.t_user_state"]
    assert states["state_value"].notna().all()
    stage = states[states["state_code"] == "lifecycle_stage"].set_index("user_no")["state_value"]
    assert len(stage) == len(world.users)
    buyers = set(world.orders.loc[world.orders["status"] == 90, "user_no"])
    assert (stage[stage.index.isin(buyers)] != "prospect").all()
    assert (stage[~stage.index.isin(buyers)] == "prospect").all()
    churned = world.truth["churn"]["churned"]
    if churned:
        share = stage.reindex(churned).isin(["at_risk", "lapsed"]).mean()
        assert share >= 0.9


def test_counts_scale(built):
    world, tables = built
    assert len(tables["luckyus_sales_crm.t_user_history"]) == world.n(498_000)
    assert len(tables["luckyus_isales_cdp.t_user_state"]) == world.n(980_000)
    assert len(tables["luckyus_isales_cdp.t_user_event_track"]) == world.n(168_000)
    assert len(tables["luckyus_sales_marketing.t_coupon_record"]) == world.n(2_600_000)
    assert len(tables["luckyus_sales_marketing.t_coupon_record_expired"]) == world.n_bulk(37_000_000)
    assert len(tables["luckyus_isalesdatamarketing.t_user_hit_experiment_record"]) == world.n_bulk(6_400_000)
    assert len(tables["luckyus_isalesdatamarketing.t_experiment"]) == 12


def _check_experiments(world: World, tables: dict[str, pd.DataFrame]) -> None:
    truth = world.truth["experiments"]
    assert len(truth["lift"]) == 1 and len(truth["null"]) == 11
    z = experiment_z(tables["luckyus_isalesdatamarketing.t_user_hit_experiment_record"])
    assert z[truth["lift"][0]] > 1.96
    assert all(abs(z[e]) < 1.96 for e in truth["null"])
    records = tables["luckyus_isalesdatamarketing.t_user_hit_experiment_record"]
    dist = tables["luckyus_isalesdatamarketing.t_user_traffic_distribution"]
    joined = records.merge(dist, on=["experiment_id", "user_no"], suffixes=("", "_d"))
    assert len(joined) == len(records)                     # every hit was assigned first
    assert (joined["group_name"] == joined["group_name_d"]).all()


def test_experiment_lift_detectable(built):
    _check_experiments(*built)


def test_experiment_lift_other_seed():
    world, _ = core_world(seed=7)
    _check_experiments(world, run_steps(world))


def test_deterministic(built):
    _, tables = built
    again = run_steps(core_world()[0])
    for key in ("luckyus_sales_marketing.t_coupon_record", "luckyus_isales_cdp.t_user_state",
                "luckyus_isalesdatamarketing.t_user_hit_experiment_record",
                "luckyus_opshop.t_shop_opening_time"):
        pd.testing.assert_frame_equal(tables[key], again[key])


def test_times_are_consistent(built):
    world, tables = built
    coupons = tables["luckyus_sales_marketing.t_coupon_record"]
    templates = tables["luckyus_sales_marketing.t_coupon_template"].set_index("template_id")
    used = coupons[coupons["status"] == 2]
    assert (used["create_time"] <= used["use_time"]).all() and (used["use_time"] <= used["expire_time"]).all()
    assert (coupons["create_time"].to_numpy()
            >= templates["create_time"].reindex(coupons["template_id"]).to_numpy()).all()
    unused = coupons[coupons["status"] == 1]
    assert (unused["expire_time"] > unused["create_time"].max()).all()     # still valid at the end
    register = world.users.set_index("user_no")["register_time"]
    hits = tables["luckyus_isalesdatamarketing.t_user_hit_experiment_record"]
    assert (hits["hit_time"].to_numpy() >= register.reindex(hits["user_no"]).to_numpy()).all()
    history = tables["luckyus_sales_crm.t_user_history"]
    first = history[history["event_type"] == "register"].set_index("user_no")["create_time"]
    own = history[history["event_type"] != "first_order"]   # first_order is the order's own time
    assert (own["create_time"].to_numpy() >= first.reindex(own["user_no"]).to_numpy()).all()


def test_opening_hours_cover_trading_stores(built):
    world, tables = built
    hours = tables["luckyus_opshop.t_shop_opening_time"]
    trading = set(world.orders["shop_id"])
    assert trading <= set(hours["shop_id"])
    assert hours.duplicated(["shop_id", "business_date"]).sum() == 0
    assert (hours["open_time"] < hours["close_time"]).all()


def test_segment_log_ends_in_current_stage(built):
    _, tables = built
    states = tables["luckyus_isales_cdp.t_user_state"]
    stage = states[states["state_code"] == "lifecycle_stage"].set_index("user_no")["state_value"]
    log = tables["luckyus_isales_cdp.t_realtime_user_group_log"]
    names = {1001: "new", 1002: "active", 1003: "at_risk", 1004: "lapsed", 1005: "prospect"}
    lifecycle = log[log["group_id"].isin(names) & (log["action"] == 1)].sort_values("id")
    assert len(lifecycle) > 0
    last = lifecycle.groupby("user_no")["group_id"].last().map(names)
    assert (last == stage.reindex(last.index)).all()


def test_used_coupons_meet_template_minimum(built):
    world, tables = built
    coupons = tables["luckyus_sales_marketing.t_coupon_record"]
    used = coupons[coupons["status"] == 2]
    templates = tables["luckyus_sales_marketing.t_coupon_template"].set_index("template_id")
    total = world.orders.set_index("order_no")["total_money"].reindex(used["order_no"]).to_numpy()
    assert (templates["threshold_amount"].reindex(used["template_id"]).to_numpy() <= total).all()


def test_nothing_written_after_the_snapshot(built):
    from lucky.demo.gen.crm import AS_OF

    _, tables = built
    limit = pd.Timestamp(AS_OF, unit="s")
    for key, df in tables.items():
        if key == "luckyus_sales_order.t_order_amount":   # the orders step's, kept for the links
            continue
        for col in ("create_time", "update_time", "use_time", "hit_time", "state_time"):
            if col in df and len(df):
                assert df[col].max() <= limit, (key, col)
