"""One read-only look at one server: what mysqld_exporter, postgres_exporter and redis_exporter read.

Each probe opens exactly one connection with connect/read timeouts, makes the session read-only
with a statement timeout, and reads. A section that fails (no privilege, feature off, command
renamed) is recorded in `problems` and the rest is still collected, so a partial answer beats
none. Counters are stored raw; rates come from deltas in `lucky.monitor.rates`.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url

SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")

#: MySQL GLOBAL STATUS read every poll (lower-cased into metric names).
MYSQL_STATUS = ("Threads_connected", "Threads_running", "Slow_queries", "Questions", "Uptime",
                "Connections", "Aborted_connects", "Max_used_connections")

#: Statement digests read per poll, heaviest first. A snapshot with fewer rows is the server's
#: whole digest table, so a digest missing from it is new (see `store._statement_deltas`).
DIGEST_LIMIT = 100

#: Largest value of each integer column type, for AUTO_INCREMENT headroom.
INT_MAX = {"tinyint": 127, "smallint": 32767, "mediumint": 8388607, "int": 2147483647,
           "integer": 2147483647, "bigint": 9223372036854775807}


@dataclass
class Reading:
    """What one poll learned about one instance (status down: `reason` says why)."""

    name: str
    kind: str
    status: str = "down"
    reason: str = ""
    duration_s: float = 0.0
    cpu_s: float = 0.0
    version: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)
    activity: list[dict] = field(default_factory=list)
    statements: list[dict] = field(default_factory=list)
    tables: list[dict] | None = None        # None: not collected this poll (slow cadence)
    databases: list[dict] | None = None
    scan: dict | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def reason_of(exc: BaseException) -> str:
    """A one-line reason a person can act on: the driver's own message, trimmed."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def section(reading: Reading, label: str, fn: Callable[[], Any]) -> Any:
    """Run one part of a probe; a failure becomes a problem line, not a lost poll."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - any driver error means "this part is unavailable"
        reading.problems.append(f"{label}: {reason_of(exc)}")
        return None


def int_max(column_type: str) -> int:
    """Max of a MySQL integer column type such as `int(10) unsigned` or `bigint`."""
    base = column_type.split("(")[0].split()[0].lower()
    top = INT_MAX.get(base, INT_MAX["bigint"])
    return top * 2 + 1 if "unsigned" in column_type.lower() else top


# --- MySQL / MariaDB -------------------------------------------------------------------------

def _mysql_connect(url: str, timeout: float):
    import pymysql

    u = make_url(url)
    t = max(1, math.ceil(timeout))
    return pymysql.connect(host=u.host or "127.0.0.1", port=u.port or 3306, user=u.username or "root",
                           password=u.password or "", database=u.database or None,
                           connect_timeout=t, read_timeout=t, write_timeout=t, autocommit=True)


def _rows(cur, sql: str, args: tuple = ()) -> list[tuple]:
    cur.execute(sql, args)
    return list(cur.fetchall())


def probe_mysql(reading: Reading, url: str, timeout: float, slow: bool) -> None:
    conn = _mysql_connect(url, timeout)
    try:
        cur = conn.cursor()
        reading.version = str(_rows(cur, "SELECT VERSION()")[0][0])
        mariadb = "mariadb" in reading.version.lower()
        limit = (f"SET SESSION max_statement_time = {float(timeout)}" if mariadb
                 else f"SET SESSION MAX_EXECUTION_TIME = {int(timeout * 1000)}")
        section(reading, "statement timeout", lambda: cur.execute(limit))
        section(reading, "read-only session", lambda: cur.execute("SET SESSION TRANSACTION READ ONLY"))
        reading.status = "up"
        _mysql_status(reading, cur)
        perf = reading.config.get("performance_schema", "OFF").upper() == "ON"
        section(reading, "processlist", lambda: _mysql_processlist(reading, cur, perf))
        section(reading, "replication", lambda: _mysql_replication(reading, cur, mariadb))
        if perf:
            section(reading, "statement digests", lambda: _mysql_digests(reading, cur))
        else:
            reading.notes.append("performance_schema is OFF: no statement digests; processlist from "
                                 "information_schema")
        if slow:
            section(reading, "table sizes", lambda: _mysql_tables(reading, cur))
    finally:
        conn.close()


def _mysql_status(reading: Reading, cur) -> None:
    names = ", ".join(f"'{n}'" for n in MYSQL_STATUS)
    for name, value in _rows(cur, f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})"):
        reading.metrics[name.lower()] = float(value)
    for name, value in _rows(cur, "SHOW GLOBAL VARIABLES WHERE Variable_name IN "
                                  "('max_connections', 'performance_schema', 'read_only', "
                                  "'long_query_time', 'max_statement_time', 'max_execution_time')"):
        reading.config[name.lower()] = str(value)
    reading.metrics["max_connections"] = float(reading.config["max_connections"])
    reading.metrics["uptime_s"] = reading.metrics.pop("uptime", 0.0)
    reading.metrics["connections_pct"] = (100.0 * reading.metrics.get("threads_connected", 0)
                                          / max(reading.metrics["max_connections"], 1))


_IDLE = ("Sleep", "Daemon", "Binlog Dump", "Binlog Dump GTID")


_THREADS_SQL = ("SELECT PROCESSLIST_COMMAND, PROCESSLIST_STATE, COUNT(*), MAX(PROCESSLIST_TIME) "
                "FROM performance_schema.threads WHERE TYPE = 'FOREGROUND' AND PROCESSLIST_ID IS NOT NULL "
                "GROUP BY 1, 2")
_PROCESSLIST_SQL = "SELECT COMMAND, STATE, COUNT(*), MAX(TIME) FROM information_schema.PROCESSLIST GROUP BY 1, 2"


def _mysql_processlist(reading: Reading, cur, perf: bool) -> None:
    """Summary by command and state; performance_schema.threads avoids the PROCESSLIST mutex.

    A user without rights to performance_schema still gets the information_schema view.
    """
    rows = None
    if perf:
        try:
            rows = _rows(cur, _THREADS_SQL)
        except Exception as exc:  # noqa: BLE001 - no SELECT on performance_schema: use the fallback
            reading.notes.append(f"processlist from information_schema ({reason_of(exc)})")
    if rows is None:
        rows = _rows(cur, _PROCESSLIST_SQL)
    reading.activity = [{"state": str(c or ""), "wait_event": str(s or ""), "count": int(n),
                         "max_seconds": float(t or 0)} for c, s, n, t in rows]
    active = [r for r in reading.activity if r["state"] not in _IDLE]
    reading.metrics["processes"] = float(sum(r["count"] for r in reading.activity))
    reading.metrics["processes_active"] = float(sum(r["count"] for r in active))
    reading.metrics["longest_active_s"] = max((r["max_seconds"] for r in active), default=0.0)


def _mysql_replication(reading: Reading, cur, mariadb: bool) -> None:
    """Lag of every replication channel (MariaDB multi-source; MySQL 8.0.22+ or older syntax)."""
    if mariadb:
        cur.execute("SHOW ALL SLAVES STATUS")
    else:
        try:
            cur.execute("SHOW REPLICA STATUS")
        except Exception as exc:  # noqa: BLE001 - MySQL before 8.0.22 only knows SLAVE
            if "syntax" not in str(exc).lower():
                raise
            cur.execute("SHOW SLAVE STATUS")
    cols = [d[0] for d in cur.description or []]
    rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    if not rows:
        return
    lags = [r.get("Seconds_Behind_Source", r.get("Seconds_Behind_Master")) for r in rows]
    known = [float(x) for x in lags if x is not None]
    # NULL lag means the replication threads are stopped: as bad as it gets
    reading.metrics["replica_lag_s"] = max(known) if len(known) == len(lags) else float("inf")
    reading.metrics["replica_running"] = float(len(known) == len(lags))


def _mysql_digests(reading: Reading, cur) -> None:
    rows = _rows(cur, "SELECT SCHEMA_NAME, DIGEST, LEFT(DIGEST_TEXT, 400), COUNT_STAR, "
                      "SUM_TIMER_WAIT / 1e12, SUM_ROWS_EXAMINED, SUM_ROWS_SENT "
                      "FROM performance_schema.events_statements_summary_by_digest "
                      "WHERE DIGEST IS NOT NULL ORDER BY SUM_TIMER_WAIT DESC LIMIT %s", (DIGEST_LIMIT,))
    reading.statements = [{"schema": s or "", "digest": d, "text": t or "", "calls": int(c),
                           "total_s": float(w or 0), "rows_examined": int(e or 0),
                           "rows_sent": int(r or 0)} for s, d, t, c, w, e, r in rows]


def _mysql_tables(reading: Reading, cur) -> None:
    skip = ", ".join(f"'{s}'" for s in SYSTEM_SCHEMAS)
    reading.databases = [{"database": r[0], "bytes": None} for r in _rows(
        cur, f"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ({skip})")]
    types = {(s, t): ct for s, t, ct in _rows(
        cur, "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
             f"WHERE EXTRA LIKE '%%auto_increment%%' AND TABLE_SCHEMA NOT IN ({skip})")}
    rows = _rows(cur, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, "
                      "AUTO_INCREMENT FROM information_schema.TABLES "
                      f"WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ({skip})")
    tables = []
    for schema, table, est_rows, data, index, auto in rows:
        col_type = types.get((schema, table))
        tables.append({"database": schema, "table": table, "rows_est": int(est_rows or 0),
                       "bytes": int(data or 0) + int(index or 0),
                       "auto_increment": int(auto) if auto is not None and col_type else None,
                       "auto_increment_max": int_max(col_type) if col_type else None})
    reading.tables = tables
    ai = [t["auto_increment"] / t["auto_increment_max"] for t in tables if t["auto_increment"]]
    reading.metrics["auto_increment_max_pct"] = 100.0 * max(ai, default=0.0)
    reading.metrics["data_bytes"] = float(sum(t["bytes"] for t in tables))


# --- PostgreSQL ------------------------------------------------------------------------------

def _pg_connect(url: str, timeout: float):
    import psycopg2

    u = make_url(url)
    ms = int(timeout * 1000)
    return psycopg2.connect(
        host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
        password=u.password or None, dbname=u.database or "postgres",
        connect_timeout=max(2, math.ceil(timeout)), application_name="lucky-collector",
        options=f"-c statement_timeout={ms} -c lock_timeout={ms} -c default_transaction_read_only=on")


def probe_postgres(reading: Reading, url: str, timeout: float, slow: bool) -> None:
    conn = _pg_connect(url, timeout)
    try:
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("SELECT current_setting('server_version')")
        reading.version = "PostgreSQL " + cur.fetchone()[0]
        reading.status = "up"
        _pg_settings(reading, cur)
        section(reading, "pg_stat_activity", lambda: _pg_activity(reading, cur))
        section(reading, "pg_stat_database", lambda: _pg_database(reading, cur))
        section(reading, "replication", lambda: _pg_replication(reading, cur))
        section(reading, "pg_stat_statements", lambda: _pg_statements(reading, cur))
        if slow:
            section(reading, "database sizes", lambda: _pg_sizes(reading, cur))
            section(reading, "table sizes", lambda: _pg_tables(reading, cur))
    finally:
        conn.close()


def _pg_settings(reading: Reading, cur) -> None:
    cur.execute("SELECT name, setting FROM pg_settings WHERE name IN "
                "('max_connections', 'superuser_reserved_connections', 'reserved_connections')")
    reading.config.update({n: s for n, s in cur.fetchall()})
    reserved = int(reading.config.get("superuser_reserved_connections", 0)) + int(
        reading.config.get("reserved_connections", 0))
    reading.metrics["max_connections"] = float(reading.config["max_connections"])
    reading.metrics["usable_connections"] = reading.metrics["max_connections"] - reserved
    cur.execute("SELECT extract(epoch FROM now() - pg_postmaster_start_time())")
    reading.metrics["uptime_s"] = float(cur.fetchone()[0])


def _pg_activity(reading: Reading, cur) -> None:
    cur.execute("SELECT coalesce(state, ''), coalesce(wait_event_type || ':' || wait_event, ''), "
                "count(*), max(extract(epoch FROM now() - xact_start)) FROM pg_stat_activity "
                "WHERE backend_type = 'client backend' GROUP BY 1, 2")
    reading.activity = [{"state": s, "wait_event": w, "count": int(n), "max_seconds": float(x or 0)}
                        for s, w, n, x in cur.fetchall()]
    total = float(sum(r["count"] for r in reading.activity))
    reading.metrics["connections"] = total
    reading.metrics["connections_active"] = float(
        sum(r["count"] for r in reading.activity if r["state"] == "active"))
    reading.metrics["connections_pct"] = 100.0 * total / max(reading.metrics["usable_connections"], 1)
    cur.execute("SELECT coalesce(max(extract(epoch FROM now() - xact_start)), 0) FROM pg_stat_activity "
                "WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid()")
    reading.metrics["longest_transaction_s"] = float(cur.fetchone()[0])


def _pg_database(reading: Reading, cur) -> None:
    cur.execute("SELECT coalesce(sum(xact_commit), 0), coalesce(sum(xact_rollback), 0), "
                "coalesce(sum(blks_hit), 0), coalesce(sum(blks_read), 0), coalesce(sum(deadlocks), 0) "
                "FROM pg_stat_database")
    commits, rollbacks, hit, read, deadlocks = (float(x) for x in cur.fetchone())
    reading.metrics.update(commits=commits, rollbacks=rollbacks, blks_hit=hit, blks_read=read,
                           deadlocks=deadlocks)


def _pg_replication(reading: Reading, cur) -> None:
    cur.execute("SELECT pg_is_in_recovery(), "
                "extract(epoch FROM now() - pg_last_xact_replay_timestamp())")
    recovering, lag = cur.fetchone()
    if recovering:
        reading.metrics["replica_lag_s"] = float(lag) if lag is not None else float("inf")


def _pg_statements(reading: Reading, cur) -> None:
    cur.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'")
    if not cur.fetchone()[0]:
        reading.notes.append("pg_stat_statements is not installed: no statement digests")
        return
    cur.execute("SELECT d.datname, s.queryid::text, left(s.query, 400), s.calls, "
                "s.total_exec_time / 1000.0, s.rows FROM pg_stat_statements s "
                "LEFT JOIN pg_database d ON d.oid = s.dbid ORDER BY s.total_exec_time DESC LIMIT %s",
                (DIGEST_LIMIT,))
    reading.statements = [{"schema": d or "", "digest": q, "text": t, "calls": int(c),
                           "total_s": float(s), "rows_examined": 0, "rows_sent": int(r)}
                          for d, q, t, c, s, r in cur.fetchall()]


def _pg_sizes(reading: Reading, cur) -> None:
    cur.execute("SELECT datname, pg_database_size(datname) FROM pg_database "
                "WHERE datallowconn AND NOT datistemplate")
    reading.databases = [{"database": n, "bytes": int(b)} for n, b in cur.fetchall()]
    reading.metrics["data_bytes"] = float(sum(d["bytes"] for d in reading.databases))


def _pg_tables(reading: Reading, cur) -> None:
    """Tables of the connected database (PostgreSQL sizes need a connection per database)."""
    cur.execute("SELECT current_database(), schemaname || '.' || relname, n_live_tup, "
                "pg_total_relation_size(relid) FROM pg_stat_user_tables")
    reading.tables = [{"database": d, "table": t, "rows_est": int(n or 0), "bytes": int(b or 0),
                       "auto_increment": None, "auto_increment_max": None}
                      for d, t, n, b in cur.fetchall()]


# --- Redis -----------------------------------------------------------------------------------

REDIS_INFO = ("used_memory", "used_memory_peak", "used_memory_rss", "maxmemory", "maxclients",
              "connected_clients", "blocked_clients", "keyspace_hits", "keyspace_misses",
              "evicted_keys", "expired_keys", "total_commands_processed", "instantaneous_ops_per_sec",
              "rejected_connections", "mem_fragmentation_ratio")


def redis_client(url: str, timeout: float):
    import redis

    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                single_connection_client=True, decode_responses=False)


def probe_redis(reading: Reading, url: str, timeout: float, slow: bool,
                scan_options: dict | None = None) -> None:
    client = redis_client(url, timeout)
    try:
        info = client.info("everything")
        reading.status = "up"
        reading.version = f"Redis {info.get('redis_version', '')}"
        for key in REDIS_INFO:
            if key in info:
                reading.metrics[key] = float(info[key])
        reading.metrics["uptime_s"] = float(info.get("uptime_in_seconds", 0))
        reading.config["maxmemory_policy"] = str(info.get("maxmemory_policy", ""))
        reading.config["role"] = str(info.get("role", ""))
        _redis_keyspace(reading, info)
        if info.get("role") == "slave":
            reading.metrics["replica_lag_s"] = (float(info.get("master_last_io_seconds_ago", 0))
                                                if info.get("master_link_status") == "up" else float("inf"))
        mm = reading.metrics.get("maxmemory", 0.0)
        if mm > 0:
            reading.metrics["memory_pct"] = 100.0 * reading.metrics["used_memory"] / mm
        reading.metrics["connections_pct"] = (100.0 * reading.metrics.get("connected_clients", 0)
                                              / max(reading.metrics.get("maxclients", 1), 1))
        section(reading, "CONFIG GET", lambda: _redis_config(reading, client))
        if slow:
            from lucky.monitor import redis_scan

            reading.scan = section(reading, "key sample",
                                   lambda: redis_scan.sample(client, **(scan_options or {})).to_dict())
    finally:
        client.close()


def _redis_keyspace(reading: Reading, info: dict) -> None:
    dbs = [{"database": k, "keys": int(v["keys"]), "expires": int(v.get("expires", 0))}
           for k, v in info.items() if k.startswith("db") and k[2:].isdigit() and isinstance(v, dict)]
    reading.databases = [{"database": d["database"], "bytes": None} for d in dbs]
    for d in dbs:      # exact per database, from INFO keyspace
        reading.metrics[f"{d['database']}_keys"] = float(d["keys"])
        reading.metrics[f"{d['database']}_expires"] = float(d["expires"])
    reading.metrics["keys"] = float(sum(d["keys"] for d in dbs))
    reading.metrics["expires"] = float(sum(d["expires"] for d in dbs))
    reading.metrics["keys_without_ttl"] = reading.metrics["keys"] - reading.metrics["expires"]


def _redis_config(reading: Reading, client) -> None:
    """Settings INFO does not carry (idle timeout, persistence, slowlog threshold)."""
    wanted = ("timeout", "save", "appendonly", "slowlog-log-slower-than", "maxmemory-samples")
    for key in wanted:
        for k, v in client.config_get(key).items():
            reading.config[k.decode() if isinstance(k, bytes) else k] = (
                v.decode() if isinstance(v, bytes) else str(v))


PROBES = {"mysql": probe_mysql, "postgres": probe_postgres, "redis": probe_redis}
