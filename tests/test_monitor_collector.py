"""The collector against the servers on this machine plus a throw-away fleet of extra redis-servers.

The fleet has a stopped instance (connection refused) and a hung one (accepts, never replies).
Durations asserted are the collector's own per-instance records, compared with the timeout.
"""
from __future__ import annotations

import psycopg2
import pymysql
import pytest
import redis
from sqlalchemy.engine import make_url

from lucky.monitor import collector, localfleet, store
from lucky.monitor.inventory import Instance

TIMEOUT = 2.0


@pytest.fixture(scope="module")
def fleet(redis_url):
    localfleet.LocalFleet.require()
    with localfleet.LocalFleet() as f:
        yield f


def _mysql(url: str):
    u = make_url(url)
    return pymysql.connect(host=u.host, port=u.port or 3306, user=u.username, password=u.password or "")


def _by_name(readings):
    return {r.name: r for r in readings}


def test_dead_and_hung_marked_while_others_collected_on_time(fleet, mariadb_url, postgres_url, redis_url):
    plain = fleet.start_redis()
    hung = fleet.hung_server()
    instances = [
        Instance("maria", "mysql", mariadb_url), Instance("pg", "postgres", postgres_url),
        Instance("shared-redis", "redis", redis_url), localfleet.redis_instance("extra", plain),
        localfleet.stopped_instance("stopped", "redis"), localfleet.stopped_instance("stopped-sql", "mysql"),
        localfleet.hung_instance("hung-mysql", hung, "mysql"),
        localfleet.hung_instance("hung-redis", hung, "redis"),
        localfleet.hung_instance("hung-pg", hung, "postgres"),
    ]
    got = _by_name(collector.poll(instances, timeout=TIMEOUT, slow=False, grace=0.5))
    for name in ("maria", "pg", "shared-redis", "extra"):
        assert got[name].status == "up", got[name].reason
        assert got[name].duration_s < TIMEOUT, (name, got[name].duration_s)
    for name in ("stopped", "stopped-sql"):
        assert got[name].status == "down"
        assert "refused" in got[name].reason.lower() or "111" in got[name].reason
        assert got[name].duration_s < TIMEOUT
    for name in ("hung-mysql", "hung-redis", "hung-pg"):
        r = got[name]
        assert r.status == "down" and ("timed out" in r.reason.lower() or "timeout" in r.reason.lower()
                                       or "hung" in r.reason), (name, r.reason)
        # bounded by the timeout (libpq rounds connect_timeout up to whole seconds, min 2)
        assert r.duration_s <= TIMEOUT + 0.5 + 0.25, (name, r.duration_s)


def test_mysql_figures_equal_server(mariadb_url):
    conn = _mysql(mariadb_url)
    try:
        cur = conn.cursor()

        def status() -> dict[str, float]:
            cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Slow_queries', 'Uptime', "
                        "'Connections')")
            return {k.lower(): float(v) for k, v in cur.fetchall()}

        before = status()
        cur.execute("SELECT @@max_connections")
        max_conn = float(cur.fetchone()[0])
        r = collector.probe_one(Instance("maria", "mysql", mariadb_url), TIMEOUT, slow=True)
        after = status()
        cur.execute("SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES WHERE TABLE_TYPE = "
                    "'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', "
                    "'performance_schema', 'sys')")
        data = float(cur.fetchone()[0] or 0)
    finally:
        conn.close()
    assert r.status == "up" and r.metrics["max_connections"] == max_conn
    for key in ("questions", "slow_queries", "connections"):
        assert before[key] <= r.metrics[key] <= after[key], key
    assert before["uptime"] <= r.metrics["uptime_s"] <= after["uptime"]
    assert r.metrics["connections_pct"] == pytest.approx(100 * r.metrics["threads_connected"] / max_conn)
    assert r.metrics["data_bytes"] == pytest.approx(data, rel=0.01, abs=1 << 20)
    assert r.metrics["processes"] >= 1


def test_postgres_figures_equal_server(postgres_url):
    u = make_url(postgres_url)
    conn = psycopg2.connect(host=u.host, port=u.port, user=u.username, dbname=u.database)
    conn.autocommit = True
    cur = conn.cursor()

    def commits() -> float:
        cur.execute("SELECT sum(xact_commit) FROM pg_stat_database")
        return float(cur.fetchone()[0])

    try:
        cur.execute("SELECT current_setting('max_connections')::int - "
                    "current_setting('superuser_reserved_connections')::int")
        usable = float(cur.fetchone()[0])
        cur.execute("SELECT datname, pg_database_size(datname) FROM pg_database WHERE datallowconn "
                    "AND NOT datistemplate")
        sizes = dict(cur.fetchall())
        before = commits()
        r = collector.probe_one(Instance("pg", "postgres", postgres_url), TIMEOUT, slow=True)
        after = commits()
    finally:
        conn.close()
    assert r.status == "up", r.reason
    assert r.metrics["usable_connections"] == usable
    assert before <= r.metrics["commits"] <= after + 1
    got = {d["database"]: d["bytes"] for d in r.databases}
    assert set(got) == set(sizes)
    for db, size in sizes.items():
        assert got[db] == pytest.approx(size, rel=0.05), db
    assert r.metrics["connections"] >= 1
    assert 0 < r.metrics["connections_pct"] < 100


def test_redis_figures_equal_server(fleet):
    server = fleet.start_redis("--maxmemory", "50mb")
    client = redis.Redis(port=server.port)
    client.mset({f"k:{i}": i for i in range(500)})
    for i in range(100):
        client.expire(f"k:{i}", 3600)
    r = collector.probe_one(localfleet.redis_instance("x", server), TIMEOUT, slow=False)
    info = client.info()
    assert r.metrics["keys"] == 500 == client.dbsize()
    assert r.metrics["expires"] == 100 and r.metrics["keys_without_ttl"] == 400
    assert r.metrics["db0_keys"] == info["db0"]["keys"]
    assert r.metrics["maxmemory"] == 50 * 2**20
    assert r.metrics["memory_pct"] == pytest.approx(100 * r.metrics["used_memory"] / (50 * 2**20))
    assert abs(r.metrics["used_memory"] - info["used_memory"]) < 64 * 1024
    assert r.metrics["total_commands_processed"] <= info["total_commands_processed"]


def test_rates_are_counter_deltas(state_store, fleet):
    server = fleet.start_redis()
    inst = localfleet.redis_instance("rates", server)
    client = redis.Redis(port=server.port)
    t0 = collector.utcnow()
    store.write(collector.poll([inst], TIMEOUT, slow=False), t0)
    hits = client.info("stats")["keyspace_hits"]
    client.set("a", 1)
    for _ in range(30):
        client.get("a")
    client.get("missing")
    stored = store.write(collector.poll([inst], TIMEOUT, slow=False),
                         t0 + collector.timedelta(seconds=10))["rates"]
    assert stored["hits_per_s"] == pytest.approx((client.info("stats")["keyspace_hits"] - hits) / 10)
    assert stored["hit_ratio"] == pytest.approx(30 / 31)


def test_bad_input_each_shows_reason_and_what_it_could_collect(fleet, mariadb_url, postgres_url):
    locked = fleet.start_redis("--requirepass", "s3cret")
    no_config = fleet.start_redis("--rename-command", "CONFIG", "")
    maria = make_url(mariadb_url)
    user, password = "lucky_mon_limited", "limited-pw-1"
    admin = _mysql(mariadb_url)
    cur = admin.cursor()
    cur.execute(f"DROP USER IF EXISTS '{user}'@'127.0.0.1'")
    cur.execute(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY %s", (password,))
    try:
        limited_url = maria.set(username=user, password=password).render_as_string(hide_password=False)
        wrong_url = maria.set(password="wrong-password").render_as_string(hide_password=False)
        pg = make_url(postgres_url).set(database="lucky_no_such_db").render_as_string(hide_password=False)
        instances = [
            Instance("wrong-password", "mysql", wrong_url),
            Instance("limited-user", "mysql", limited_url),
            Instance("pg-no-db", "postgres", pg),
            Instance("redis-wrong-password", "redis", f"redis://:nope@127.0.0.1:{locked.port}/0"),
            localfleet.redis_instance("redis-no-config", no_config),
            localfleet.stopped_instance("unreachable", "postgres"),
        ]
        got = _by_name(collector.poll(instances, timeout=TIMEOUT, slow=True))
        limited = collector.probe_one(Instance("limited-user", "mysql", limited_url), TIMEOUT, slow=True)
        # the digest part as a user without rights to performance_schema sees it
        from lucky.monitor import probes
        conn = probes._mysql_connect(limited_url, TIMEOUT)
        try:
            denied = probes.Reading("limited-user", "mysql", status="up")
            probes.section(denied, "statement digests", lambda: probes._mysql_digests(denied, conn.cursor()))
        finally:
            conn.close()
    finally:
        cur.execute(f"DROP USER IF EXISTS '{user}'@'127.0.0.1'")
        admin.close()
    assert got["wrong-password"].status == "down" and "access denied" in got["wrong-password"].reason.lower()
    assert got["pg-no-db"].status == "down" and "lucky_no_such_db" in got["pg-no-db"].reason
    assert got["redis-wrong-password"].status == "down"
    assert "pass" in got["redis-wrong-password"].reason.lower() or "auth" in got["redis-wrong-password"].reason.lower()
    assert got["unreachable"].status == "down" and got["unreachable"].reason
    # partial answers: up, with what could not be read and why
    assert limited.status == "up" and limited.metrics["max_connections"] > 0
    assert any(p.startswith("replication") and "denied" in p.lower() for p in limited.problems), limited.problems
    assert denied.problems and "denied" in denied.problems[0].lower()
    nc = got["redis-no-config"]
    assert nc.status == "up" and any(p.startswith("CONFIG GET") for p in nc.problems)
    assert "used_memory" in nc.metrics and "keys" in nc.metrics and nc.scan is not None
