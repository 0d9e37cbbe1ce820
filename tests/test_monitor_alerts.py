"""Each alert rule fires on a constructed condition on a real server and stays quiet otherwise.

Times passed to `collect_once(at=...)` are explicit, so `for` durations and rates are exact
without sleeping. Shared servers are restored in `finally` (max_connections, users, databases).
"""
from __future__ import annotations

import math
import os
from datetime import timedelta

import pymysql
import pytest
import redis
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from lucky.monitor import collector, localfleet, store
from lucky.monitor.inventory import Instance, Inventory
from lucky.monitor.probes import Reading

pytestmark = pytest.mark.usefixtures("state_store")   # conftest: a fresh state store per test
FAST = {rule: {"for": 0} for rule in ("connections", "slow_queries", "replica_lag", "instance_down",
                                      "redis_memory")}


@pytest.fixture(scope="module")
def fleet():
    localfleet.LocalFleet.require()
    with localfleet.LocalFleet() as f:
        yield f


def inv(*instances: Instance, alerts: dict | None = None, timeout: float = 2) -> Inventory:
    return Inventory(path=None, instances=tuple(instances), collector={"timeout": timeout, "grace": 0.2},
                     alerts={"restart": {"threshold": 0}, **(alerts if alerts is not None else FAST)})


def opened(result, rule: str) -> list:
    return [t for t in result.transitions if t.rule == rule and t.action == "opened"]


def resolved(result, rule: str) -> list:
    return [t for t in result.transitions if t.rule == rule and t.action == "resolved"]


def _mysql(url: str, **kw):
    u = make_url(url)
    return pymysql.connect(host=u.host, port=u.port or 3306, user=u.username, password=u.password or "",
                           autocommit=True, **kw)


def test_connections_over_80pct_of_lowered_max_connections(mariadb_url):
    fleet_inv = inv(Instance("maria", "mysql", mariadb_url))
    t0 = collector.utcnow()
    quiet = collector.collect_once(fleet_inv, at=t0, slow=False)
    assert not opened(quiet, "connections")
    admin = _mysql(mariadb_url)
    cur = admin.cursor()
    cur.execute("SELECT @@GLOBAL.max_connections")
    original = cur.fetchone()[0]
    extras = [_mysql(mariadb_url) for _ in range(9)]
    try:
        cur.execute("SHOW GLOBAL STATUS LIKE 'Threads_connected'")
        connected = int(cur.fetchone()[1]) + 1          # + the collector's own connection
        lowered = max(10, math.floor(connected / 0.85))
        cur.execute(f"SET GLOBAL max_connections = {lowered}")
        try:
            fired = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=60), slow=False)
        finally:
            cur.execute(f"SET GLOBAL max_connections = {int(original)}")
    finally:
        for c in extras:
            c.close()
        cur.execute("SELECT @@GLOBAL.max_connections")
        assert cur.fetchone()[0] == original
        admin.close()
    assert opened(fired, "connections"), [r.metrics.get("connections_pct") for r in fired.readings]
    back = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=120), slow=False)
    assert resolved(back, "connections")


def test_redis_memory_for_duration_and_only_with_maxmemory(fleet):
    server = fleet.start_redis()
    client = redis.Redis(port=server.port)
    client.mset({f"blob:{i}": "x" * 1000 for i in range(2000)})
    fleet_inv = inv(localfleet.redis_instance("mem", server),
                    alerts={**FAST, "redis_memory": {"threshold": 85, "for": "2m"}})
    t0 = collector.utcnow()
    assert not opened(collector.collect_once(fleet_inv, at=t0, slow=False), "redis_memory")  # unlimited
    used = client.info("memory")["used_memory"]
    client.config_set("maxmemory", int(used / 0.95))
    pending = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=60), slow=False)
    still = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=120), slow=False)
    fired = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=185), slow=False)
    assert not opened(pending, "redis_memory") and not opened(still, "redis_memory")
    assert opened(fired, "redis_memory")
    client.config_set("maxmemory", 0)
    cleared = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=245), slow=False)
    assert resolved(cleared, "redis_memory")
    # a breach shorter than `for` never fires and leaves no alert behind
    client.config_set("maxmemory", int(used / 0.95))
    collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=305), slow=False)
    client.config_set("maxmemory", 0)
    blip = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=365), slow=False)
    assert not blip.transitions
    log = store.alert_log(t0 - timedelta(days=1))
    assert list(log["state"]) == ["resolved"]


def test_slow_query_rate(mariadb_url):
    fleet_inv = inv(Instance("maria", "mysql", mariadb_url))
    t0 = collector.utcnow()
    collector.collect_once(fleet_inv, at=t0, slow=False)
    quiet = collector.collect_once(fleet_inv, at=t0 + timedelta(hours=1), slow=False)
    assert not opened(quiet, "slow_queries")
    conn = _mysql(mariadb_url)
    try:
        cur = conn.cursor()
        cur.execute("SET SESSION long_query_time = 0")     # this session only: every query is slow
        for _ in range(30):
            cur.execute("SELECT 1")
    finally:
        conn.close()
    fired = collector.collect_once(fleet_inv, at=t0 + timedelta(hours=1, seconds=60), slow=False)
    assert opened(fired, "slow_queries")
    assert fired.readings[0].metrics["slow_queries"] >= 30


def test_auto_increment_growth_and_discovery(mariadb_url):
    db = f"lucky_mon_test_{os.getpid()}"
    fleet_inv = inv(Instance("maria", "mysql", mariadb_url),
                    alerts={**FAST, "table_growth": {"min_bytes": 0}})
    t0 = collector.utcnow()
    admin = _mysql(mariadb_url)
    cur = admin.cursor()
    try:
        collector.collect_once(fleet_inv, at=t0, slow=True)                  # baseline snapshot
        cur.execute(f"CREATE DATABASE {db}")
        cur.execute(f"CREATE TABLE {db}.tiny (id TINYINT UNSIGNED AUTO_INCREMENT PRIMARY KEY) "
                    "ENGINE=InnoDB AUTO_INCREMENT=220")                      # 220 / 255 = 86%
        cur.execute(f"CREATE TABLE {db}.roomy (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB")
        first = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=60), slow=True)
        tables = {(t["database"], t["table"]): t for t in first.readings[0].tables}
        # a week-old snapshot: tiny was a third smaller, roomy the same size
        week_ago = t0 + timedelta(seconds=120) - timedelta(days=8)
        with store.engine().begin() as conn:
            conn.execute(insert(store.table_sizes), [
                {"at": week_ago, "instance": "maria", "database": db, "table": "tiny",
                 "bytes": tables[(db, "tiny")]["bytes"] / 1.5},
                {"at": week_ago, "instance": "maria", "database": db, "table": "roomy",
                 "bytes": tables[(db, "roomy")]["bytes"]}])
        second = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=120), slow=True)
    finally:
        cur.execute(f"DROP DATABASE IF EXISTS {db}")
        admin.close()
    assert [t.subject for t in opened(first, "auto_increment") if t.subject.startswith(db)] == [f"{db}.tiny"]
    assert tables[(db, "tiny")]["auto_increment_max"] == 255
    events = store.event_log(t0)
    found = set(zip(events["event"], events["detail"]))
    assert {("new_database", db), ("new_table", f"{db}.tiny"), ("new_table", f"{db}.roomy")} <= found
    grew = [t.subject for t in opened(second, "table_growth") if t.subject.startswith(db)]
    assert grew == [f"{db}.tiny"]


def test_replica_lag_when_link_breaks(fleet):
    primary = fleet.start_redis("--repl-diskless-sync-delay", "0")
    replica = fleet.start_redis("--replicaof", "127.0.0.1", str(primary.port))
    client = redis.Redis(port=replica.port)
    _until(lambda: client.info("replication").get("master_link_status") == "up")
    fleet_inv = inv(localfleet.redis_instance("replica", replica))
    t0 = collector.utcnow()
    assert not opened(collector.collect_once(fleet_inv, at=t0, slow=False), "replica_lag")
    primary.stop()
    _until(lambda: client.info("replication").get("master_link_status") == "down")
    fired = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=60), slow=False)
    assert opened(fired, "replica_lag")


def test_instance_down_and_restart(fleet):
    server = fleet.start_redis()
    hung = fleet.hung_server()
    fleet_inv = inv(localfleet.redis_instance("r", server), localfleet.hung_instance("h", hung, "redis"),
                    timeout=1)
    t0 = collector.utcnow()
    # constructed history: the previous poll saw a long uptime, so the current one went backwards
    store.write([Reading("r", "redis", status="up", metrics={"uptime_s": 10_000.0})], t0)
    first = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=60), slow=False)
    assert opened(first, "restart") and opened(first, "instance_down")[0].instance == "h"
    steady = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=120), slow=False)
    assert resolved(steady, "restart") and not opened(steady, "restart")
    server.stop()
    down = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=180), slow=False)
    assert [t.instance for t in opened(down, "instance_down")] == ["r"]


def _until(check, limit: int = 500) -> None:
    """Wait for a server-side state change (readiness), not for a duration."""
    import time
    for _ in range(limit):
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("condition never reached")
