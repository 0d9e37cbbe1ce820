"""Pure parts of monitoring: capacity math, rates, TTL buckets, type maxima, rule config."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from lucky.models import capacity
from lucky.monitor import alerts, inventory, rates, redis_scan
from lucky.monitor.probes import Reading, int_max


def test_slope_and_days_until_by_hand():
    # 100, 110, 120 over days 0, 1, 2: slope 10/day; 1000 limit from 120 -> 88 days
    assert capacity.slope_per_day([0, 1, 2], [100, 110, 120]) == pytest.approx(10)
    assert capacity.days_until(120, 10, 1000) == pytest.approx(88)
    assert capacity.days_until(120, 0, 1000) is None        # not growing: never
    assert capacity.days_until(1200, 10, 1000) == 0         # already past
    assert capacity.days_until(120, 10, None) is None
    assert capacity.slope_per_day([5, 5], [1, 2]) is None   # one distinct time: no trend


def test_project_per_key():
    at = pd.to_datetime(["2026-01-01", "2026-01-08", "2026-01-15"] * 2)
    hist = pd.DataFrame({"at": at, "table": ["a"] * 3 + ["b"] * 3,
                         "bytes": [700, 770, 840, 500, 500, 500], "cap": [1540] * 6})
    out = capacity.project(hist, ["table"], "bytes", "cap").set_index("table")
    assert out.loc["a", "slope_per_day"] == pytest.approx(10)
    assert out.loc["a", "growth_pct_week"] == pytest.approx(100 * 70 / 840)
    assert out.loc["a", "in_30d"] == pytest.approx(1140)
    assert out.loc["a", "in_90d"] == pytest.approx(1740)
    assert out.loc["a", "days_until_limit"] == pytest.approx(70)
    assert out.loc["b", "slope_per_day"] == 0 and pd.isna(out.loc["b", "days_until_limit"])


def test_right_size_verdicts():
    gib = 2**30
    over = capacity.right_size(0.7 * gib, 4 * gib)
    assert over["verdict"] == "over-provisioned" and over["recommended_bytes"] == pytest.approx(gib)
    assert over["change_pct"] == pytest.approx(-75)
    assert capacity.right_size(0.9 * gib, gib)["verdict"] == "under-provisioned"
    assert capacity.right_size(0.6 * gib, gib)["verdict"] == "right-sized"
    assert capacity.right_size(gib, 0)["verdict"] == "no limit"


def test_rates_from_counter_deltas_and_reset():
    prev = {"questions": 1000, "slow_queries": 5, "uptime_s": 500}
    cur = {"questions": 1600, "slow_queries": 8, "uptime_s": 560}
    out = rates.derive("mysql", prev, cur, 60)
    assert out["qps"] == pytest.approx(10) and out["slow_per_min"] == pytest.approx(3)
    assert out["restarted"] == 0
    reset = rates.derive("mysql", prev, {"questions": 10, "slow_queries": 0, "uptime_s": 3}, 60)
    assert "qps" not in reset and reset["restarted"] == 1
    ratio = rates.derive("redis", {"keyspace_hits": 10, "keyspace_misses": 10},
                         {"keyspace_hits": 40, "keyspace_misses": 20}, 10)
    assert ratio["hit_ratio"] == pytest.approx(30 / 40)
    assert rates.derive("redis", {}, {"keyspace_hits": 1}, 10) == {}


@pytest.mark.parametrize("pttl,bucket", [(-1, "No expiry"), (0, "<1h"), (3_599_000, "<1h"),
                                         (3_600_000, "1-4h"), (86_400_000, "1-7d"),
                                         (31 * 86_400_000, ">30d")])
def test_ttl_buckets_as_redisinsight(pttl, bucket):
    assert redis_scan.ttl_bucket(pttl) == bucket


def test_prefix_and_int_max():
    assert redis_scan.prefix_of(b"user:1:cart") == "user"
    assert redis_scan.prefix_of(b"plainkey") == "(none)"
    assert int_max("tinyint(3) unsigned") == 255
    assert int_max("int(11)") == 2147483647
    assert int_max("bigint(20) unsigned") == 18446744073709551615


def test_rule_overrides_and_durations():
    rs = alerts.rules({"connections": {"threshold": 75, "for": "5m"}})
    assert rs["connections"].threshold == 75 and rs["connections"].for_s == 300
    assert alerts.parse_duration("90s") == 90 and alerts.parse_duration(2) == 2
    with pytest.raises(ValueError):
        alerts.rules({"nonsense": {}})


def test_memory_rule_only_when_maxmemory_set():
    rs = alerts.rules()
    r = Reading("r", "redis", status="up")
    unlimited = alerts.instance_signals(r, {"maxmemory": 0, "used_memory": 9e9}, rs)
    assert not next(s for s in unlimited if s.rule == "redis_memory").active
    full = alerts.instance_signals(r, {"maxmemory": 100, "used_memory": 90, "memory_pct": 90}, rs)
    assert next(s for s in full if s.rule == "redis_memory").active


def test_inventories_parse(tmp_path):
    prod = inventory.load(inventory.config.ROOT / "inventories" / "production.toml")
    kinds = pd.Series([i.kind for i in prod.instances]).value_counts()
    assert kinds["postgres"] == 3 and kinds["mysql"] == 61 and kinds["redis"] == 76
    assert all(i.url is None and i.secret == inventory.secret_name(i.name) for i in prod.instances)
    local = inventory.load(inventory.DEFAULT_INVENTORY)
    assert {i.kind for i in local.instances} == {"mysql", "postgres", "redis"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[[instances]]\nname = "x"\nkind = "oracle"\nurl = "x"\n')
    with pytest.raises(inventory.InputError):
        inventory.load(bad)
    with pytest.raises(inventory.InputError, match="LUCKY_DSN_AWS_LUCKYUS_SALESORDER_RW"):
        prod.by_name()["aws-luckyus-salesorder-rw"].resolve_url()
    assert math.isfinite(prod.setting("timeout", 1))
