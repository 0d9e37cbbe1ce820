"""MySQL monitoring that needs what the machine's MariaDB has switched off: statement digests
(performance_schema) and replication. A throw-away primary and replica (`localfleet`) on loopback
ports, both with performance_schema ON and a binary log, stopped when the module ends.

Replication lag is constructed without waiting: the replica applies events an hour late
(MASTER_DELAY) and the primary writes an event stamped ten minutes ago (SET TIMESTAMP), so the
replica really is 600 s behind the moment it fetches that event.
"""
from __future__ import annotations

import math
from datetime import timedelta

import pytest

from lucky.monitor import collector, localfleet, store
from lucky.monitor.inventory import Instance, Inventory

pytestmark = pytest.mark.usefixtures("state_store")   # conftest: a fresh state store per test
FAST = {rule: {"for": 0} for rule in ("connections", "slow_queries", "replica_lag", "instance_down")}
SELECT_TEXT = "SELECT `amount` FROM `shop` . `orders` WHERE"   # digest text prefix


@pytest.fixture(scope="module")
def pair():
    localfleet.LocalFleet.require("mariadb-install-db", "mariadbd")
    with localfleet.LocalFleet() as fleet:
        primary = fleet.start_mariadb(server_id=1)
        replica = fleet.start_mariadb(server_id=2)
        replica.replicate_from(primary)
        yield primary, replica


def inv(*instances: Instance) -> Inventory:
    return Inventory(path=None, instances=tuple(instances), collector={"timeout": 5, "grace": 0.2},
                     alerts={"restart": {"threshold": 0}, **FAST})


def _server_digest_calls(server: localfleet.MariaDBServer, prefix: str) -> int:
    conn = server.connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT COALESCE(SUM(COUNT_STAR), 0) FROM performance_schema.events_statements_summary_by_digest "
                    "WHERE DIGEST_TEXT LIKE %s", (prefix + "%",))
        return int(cur.fetchone()[0])
    finally:
        conn.close()


def _by_prefix(window) -> dict:
    rows = window[window["text"].str.startswith(SELECT_TEXT)]
    assert len(rows) == 1, window[["text", "calls"]]
    return rows.iloc[0].to_dict()


def _rules(result, action: str) -> list[str]:
    return [t.rule for t in result.transitions if t.action == action]


def test_statement_digests_are_deltas_between_polls(pair):
    primary, _ = pair
    fleet_inv = inv(Instance("primary", "mysql", primary.url))
    conn = primary.connect()
    cur = conn.cursor()
    cur.execute("CREATE DATABASE IF NOT EXISTS shop")
    cur.execute("CREATE TABLE IF NOT EXISTS shop.orders (id INT PRIMARY KEY, amount DECIMAL(10, 2))")
    for i in range(5):
        cur.execute("REPLACE INTO shop.orders VALUES (%s, %s)", (i, 4.71))
    t0 = collector.utcnow()
    first = collector.collect_once(fleet_inv, at=t0, slow=False)
    # the first poll sees cumulative counts since server start: nothing is charged to an interval
    assert first.readings[0].statements and store.statement_window("primary", t0).empty
    for i in range(7):
        cur.execute("SELECT amount FROM shop.orders WHERE id = %s", (i % 5,))
    second = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=60), slow=False)
    window = _by_prefix(store.statement_window("primary", t0))
    # a statement first run between two polls counts whole; the server agrees on the total
    assert window["calls"] == 7 == _server_digest_calls(primary, SELECT_TEXT) and window["total_s"] > 0
    seen = [s["calls"] for s in second.readings[0].statements if s["text"].startswith(SELECT_TEXT)]
    for _ in range(3):
        cur.execute("SELECT amount FROM shop.orders WHERE id = %s", (1,))
    conn.close()
    collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=120), slow=False)
    later = _by_prefix(store.statement_window("primary", t0 + timedelta(seconds=90)))
    assert seen == [7] and later["calls"] == 3


def test_replica_lag_equals_server_and_alerts_on_real_lag(pair):
    primary, replica = pair
    fleet_inv = inv(Instance("replica", "mysql", replica.url))
    t0 = collector.utcnow()
    calm = collector.collect_once(fleet_inv, at=t0, slow=False)
    assert calm.readings[0].metrics["replica_lag_s"] == 0 and calm.readings[0].metrics["replica_running"] == 1
    assert "replica_lag" not in _rules(calm, "opened")

    admin = replica.connect()
    writer = primary.connect()
    try:
        for sql in ("STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 3600", "START SLAVE"):
            admin.cursor().execute(sql)
        wcur = writer.cursor()
        wcur.execute("SET TIMESTAMP = UNIX_TIMESTAMP() - 600")
        wcur.execute("CREATE DATABASE IF NOT EXISTS lag_probe")
        localfleet._wait_until(lambda: (replica.slave_status().get("Seconds_Behind_Master") or 0) >= 600,
                               "constructed lag")
        lagging = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=60), slow=False)
        server_lag = replica.slave_status()["Seconds_Behind_Master"]
        assert lagging.readings[0].metrics["replica_lag_s"] == pytest.approx(server_lag, abs=5)
        fired = [t for t in lagging.transitions if t.rule == "replica_lag" and t.action == "opened"]
        assert fired and fired[0].value >= 600

        for sql in ("STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 0", "START SLAVE"):
            admin.cursor().execute(sql)
        localfleet._wait_until(lambda: replica.slave_status().get("Seconds_Behind_Master") == 0,
                               "replica caught up")
        caught_up = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=120), slow=False)
        assert "replica_lag" in _rules(caught_up, "resolved")

        # stopped SQL thread: the server reports NULL lag, which is as bad as lag gets
        admin.cursor().execute("STOP SLAVE SQL_THREAD")
        stopped = collector.collect_once(fleet_inv, at=t0 + timedelta(seconds=180), slow=False)
        assert math.isinf(stopped.readings[0].metrics["replica_lag_s"])
        assert stopped.readings[0].metrics["replica_running"] == 0
        assert "replica_lag" in _rules(stopped, "opened")
    finally:
        admin.cursor().execute("START SLAVE")
        admin.close()
        writer.close()


def test_user_without_performance_schema_rights_keeps_the_rest(pair):
    primary, _ = pair
    conn = primary.connect()
    cur = conn.cursor()
    cur.execute("CREATE USER IF NOT EXISTS 'lucky_mon'@'127.0.0.1' IDENTIFIED BY 'mon-pw-1'")
    cur.execute("GRANT PROCESS ON *.* TO 'lucky_mon'@'127.0.0.1'")
    conn.close()
    url = f"mysql+pymysql://lucky_mon:mon-pw-1@127.0.0.1:{primary.port}/"
    reading = collector.probe_one(Instance("limited", "mysql", url), 5, slow=True)
    assert reading.status == "up" and reading.metrics["threads_connected"] >= 1
    assert any(p.startswith("statement digests") and "denied" in p.lower() for p in reading.problems)
    # processlist falls back to information_schema instead of going missing
    assert reading.activity and any("information_schema" in n for n in reading.notes)
    assert not any(p.startswith("processlist") for p in reading.problems)

