"""The metric store: tables on Lucky's own state store (LUCKY_STATE_URL), never on a monitored server.

Long-format metrics (instance, metric, at, value) keep every kind in one table, like a TSDB.
Statement digests are cumulative on the server; only the deltas between polls are kept
(`mon_statement`), against a per-instance baseline (`mon_statement_last`). Old rows go after
`retention_days` (collector setting, default 14).
"""
from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from types import SimpleNamespace

import pandas as pd
from sqlalchemy import Column, DateTime, Float, Index, Integer, String, Table, Text, delete, func, insert, select

from lucky import state
from lucky.monitor.probes import DIGEST_LIMIT, Reading
from lucky.monitor.rates import derive

md = state.metadata

polls = Table(
    "mon_poll", md,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("instance", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(8), nullable=False),
    Column("reason", Text),
    Column("duration_s", Float),
    Column("cpu_s", Float),
    Column("version", String(128)),
    Column("problems", Text),       # JSON list: parts that could not be read, with the reason
    Column("notes", Text),          # JSON list: features off (performance_schema, LFU ...)
    Column("config", Text),         # JSON object
    Index("ix_mon_poll_instance_at", "instance", "at"),
    Index("ix_mon_poll_at", "at"),
)

metrics = Table(
    "mon_metric", md,
    Column("at", DateTime, nullable=False),
    Column("instance", String(128), nullable=False),
    Column("metric", String(64), nullable=False),
    Column("value", Float),
    Index("ix_mon_metric_instance_metric_at", "instance", "metric", "at"),
    Index("ix_mon_metric_at", "at"),                 # retention deletes
)

latest = Table(
    "mon_latest", md,
    Column("instance", String(128), primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("metrics", Text, nullable=False),          # JSON: the last successful poll's values
)

table_sizes = Table(
    "mon_table_size", md,
    Column("at", DateTime, nullable=False),
    Column("instance", String(128), nullable=False),
    Column("database", String(128), nullable=False),
    Column("table", String(255), nullable=False),
    Column("rows_est", Float),
    Column("bytes", Float),
    Column("auto_increment", Float),
    Column("auto_increment_max", Float),
    Index("ix_mon_table_size_instance_at", "instance", "at"),
)

databases = Table(
    "mon_database", md,
    Column("at", DateTime, nullable=False),
    Column("instance", String(128), nullable=False),
    Column("database", String(128), nullable=False),
    Column("bytes", Float),
    Index("ix_mon_database_instance_at", "instance", "at"),
)

activity = Table(
    "mon_activity", md,
    Column("at", DateTime, nullable=False),
    Column("instance", String(128), nullable=False),
    Column("state", String(128)),
    Column("wait_event", String(128)),
    Column("count", Integer),
    Column("max_seconds", Float),
    Index("ix_mon_activity_instance_at", "instance", "at"),
)

statements = Table(
    "mon_statement", md,
    Column("at", DateTime, nullable=False),
    Column("instance", String(128), nullable=False),
    Column("digest", String(128), nullable=False),
    Column("schema", String(128)),
    Column("text", Text),
    Column("calls", Float),           # delta since the previous poll
    Column("total_s", Float),
    Column("rows_examined", Float),
    Index("ix_mon_statement_instance_at", "instance", "at"),
)

statement_last = Table(
    "mon_statement_last", md,
    Column("instance", String(128), primary_key=True),
    Column("digest", String(128), primary_key=True),
    Column("calls", Float),
    Column("total_s", Float),
    Column("rows_examined", Float),
)

redis_scans = Table(
    "mon_redis_scan", md,
    Column("at", DateTime, nullable=False),
    Column("instance", String(128), nullable=False),
    Column("sampled", Integer),
    Column("total_keys", Integer),
    Column("duration_s", Float),
    Column("payload", Text),          # ScanResult as JSON
    Index("ix_mon_redis_scan_instance_at", "instance", "at"),
)

events = Table(
    "mon_event", md,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("instance", String(128), nullable=False),
    Column("event", String(32), nullable=False),     # new_database | new_table
    Column("detail", Text),
)

def alert_table(name: str) -> Table:
    """An alert timeline table (the state machine of `lucky.monitor.alerts.advance`); the database
    fleet's is `mon_alert`, other watchers (store KPIs) declare their own under another name."""
    return Table(
        name, md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("instance", String(128), nullable=False),
        Column("rule", String(64), nullable=False),
        Column("subject", String(255), nullable=False, default=""),   # table name for per-table rules
        Column("state", String(16), nullable=False),      # pending | firing | resolved
        Column("pending_since", DateTime, nullable=False),
        Column("opened_at", DateTime),
        Column("resolved_at", DateTime),
        Column("value", Float),
        Column("threshold", Float),
        Column("severity", String(16)),
        Column("message", Text),
        Index(f"ix_{name}_state", "state"),
    )


alerts = alert_table("mon_alert")

TIMED = (polls, metrics, table_sizes, databases, activity, statements, redis_scans, events)


def engine():
    return state.engine()


def _finite(value: float) -> float | None:
    """NaN and infinity (e.g. a stopped replica's lag) are stored as a large sentinel or NULL."""
    if value is None or math.isnan(value):
        return None
    return 1e12 if math.isinf(value) else float(value)


def latest_metrics(names: list[str] | None = None) -> dict[str, tuple[datetime, dict[str, float]]]:
    """instance -> (at, metrics) of its most recent successful poll (one small table, not a scan
    of the history, because the collector needs it every cycle)."""
    stmt = select(latest)
    if names is not None:
        stmt = stmt.where(latest.c.instance.in_(names))
    with engine().connect() as conn:
        return {row.instance: (row.at, json.loads(row.metrics)) for row in conn.execute(stmt)}


def _previous_set(conn, table: Table, instance: str, column: str) -> set[str] | None:
    at = conn.execute(select(func.max(table.c.at)).where(table.c.instance == instance)).scalar()
    if at is None:
        return None
    return set(conn.execute(select(table.c[column]).where(
        table.c.instance == instance, table.c.at == at)).scalars())


_NEVER_RAN = SimpleNamespace(calls=0, total_s=0.0, rows_examined=0)


def _statement_deltas(conn, r: Reading, at: datetime) -> list[dict]:
    base = {row.digest: row for row in conn.execute(
        select(statement_last).where(statement_last.c.instance == r.name))}
    # A digest absent from a previous snapshot that held the server's whole digest table (fewer
    # rows than the probe's limit) first ran after that poll: all its calls are this interval's.
    # Absent from a truncated or missing snapshot, its count may span any time since server start.
    whole = 0 < len(base) < DIGEST_LIMIT
    out = []
    for s in r.statements:
        prev = base.get(s["digest"])
        if prev is None and not whole:
            continue
        prev = prev or _NEVER_RAN
        reset = s["calls"] < (prev.calls or 0)
        calls = s["calls"] - (0 if reset else prev.calls)
        if calls > 0:
            out.append({"at": at, "instance": r.name, "digest": s["digest"], "schema": s["schema"],
                        "text": s["text"], "calls": calls,
                        "total_s": s["total_s"] - (0 if reset else prev.total_s or 0),
                        "rows_examined": s["rows_examined"] - (0 if reset else prev.rows_examined or 0)})
    conn.execute(delete(statement_last).where(statement_last.c.instance == r.name))
    if r.statements:
        conn.execute(insert(statement_last), [
            {"instance": r.name, "digest": s["digest"], "calls": s["calls"], "total_s": s["total_s"],
             "rows_examined": s["rows_examined"]} for s in r.statements])
    return out


def _discoveries(conn, r: Reading, at: datetime) -> list[dict]:
    """new_database / new_table events against the previous snapshot (none on the first one)."""
    found = []
    if r.databases is not None:
        before = _previous_set(conn, databases, r.name, "database")
        if before is not None:
            found += [{"at": at, "instance": r.name, "event": "new_database", "detail": d["database"]}
                      for d in r.databases if d["database"] not in before]
    if r.tables is not None:
        at_prev = conn.execute(select(func.max(table_sizes.c.at)).where(
            table_sizes.c.instance == r.name)).scalar()
        if at_prev is not None:
            before = {(d, t) for d, t in conn.execute(select(table_sizes.c.database, table_sizes.c.table)
                      .where(table_sizes.c.instance == r.name, table_sizes.c.at == at_prev))}
            found += [{"at": at, "instance": r.name, "event": "new_table",
                       "detail": f"{t['database']}.{t['table']}"}
                      for t in r.tables if (t["database"], t["table"]) not in before]
    return found


def write(readings: list[Reading], at: datetime) -> dict[str, dict[str, float]]:
    """Persist one poll; returns instance -> the metrics stored (raw plus derived rates)."""
    prev = latest_metrics([r.name for r in readings])
    stored: dict[str, dict[str, float]] = {}
    with engine().begin() as conn:
        for r in readings:
            conn.execute(insert(polls).values(
                at=at, instance=r.name, kind=r.kind, status=r.status, reason=r.reason,
                duration_s=r.duration_s, cpu_s=r.cpu_s, version=r.version,
                problems=json.dumps(r.problems), notes=json.dumps(r.notes), config=json.dumps(r.config)))
            if r.status != "up":
                continue
            values = dict(r.metrics)
            if r.name in prev:
                p_at, p_metrics = prev[r.name]
                values.update(derive(r.kind, p_metrics, r.metrics, (at - p_at).total_seconds()))
            stored[r.name] = values
            rows = [{"at": at, "instance": r.name, "metric": k, "value": _finite(v)}
                    for k, v in values.items()]
            conn.execute(insert(metrics), rows)
            conn.execute(delete(latest).where(latest.c.instance == r.name))
            conn.execute(insert(latest).values(instance=r.name, at=at, metrics=json.dumps(
                {row["metric"]: row["value"] for row in rows if row["value"] is not None})))
            new = _discoveries(conn, r, at)
            if new:
                conn.execute(insert(events), new)
            if r.activity:
                conn.execute(insert(activity), [{"at": at, "instance": r.name, "state": a["state"],
                                                 "wait_event": a["wait_event"], "count": a["count"],
                                                 "max_seconds": a["max_seconds"]} for a in r.activity])
            deltas = _statement_deltas(conn, r, at)
            if deltas:
                conn.execute(insert(statements), deltas)
            if r.tables:
                conn.execute(insert(table_sizes), [{"at": at, "instance": r.name, **t} for t in r.tables])
            if r.databases:
                conn.execute(insert(databases), [{"at": at, "instance": r.name, **d} for d in r.databases])
            if r.scan:
                conn.execute(insert(redis_scans).values(
                    at=at, instance=r.name, sampled=r.scan["sampled"], total_keys=r.scan["total_keys"],
                    duration_s=r.scan["duration_s"], payload=json.dumps(r.scan)))
    return stored


def last_slow(instance: str, kind: str) -> datetime | None:
    """When the instance's slow-cadence data (table sizes, or Redis key sample) was last read."""
    table = redis_scans if kind == "redis" else databases
    with engine().connect() as conn:
        return conn.execute(select(func.max(table.c.at)).where(table.c.instance == instance)).scalar()


def prune(retention_days: float, now: datetime) -> int:
    """Delete timed rows older than the retention; alerts stay (they are the timeline)."""
    cutoff = now - timedelta(days=retention_days)
    removed = 0
    with engine().begin() as conn:
        for table in TIMED:
            removed += conn.execute(delete(table).where(table.c.at < cutoff)).rowcount or 0
    return removed


# --- reads for the tools ---------------------------------------------------------------------

def frame(stmt) -> pd.DataFrame:
    with engine().connect() as conn:
        return pd.read_sql(stmt, conn)


def latest_polls(names: list[str] | None = None) -> pd.DataFrame:
    """The last poll of each instance, and when it was last up."""
    last = select(polls.c.instance, func.max(polls.c.id).label("id")).group_by(polls.c.instance)
    if names is not None:
        last = last.where(polls.c.instance.in_(names))
    last = last.subquery()
    df = frame(select(polls).join(last, polls.c.id == last.c.id))
    up = frame(select(polls.c.instance, func.max(polls.c.at).label("last_up"))
               .where(polls.c.status == "up").group_by(polls.c.instance))
    return df.merge(up, on="instance", how="left")


def metric_history(instances: list[str], since: datetime, names: list[str] | None = None) -> pd.DataFrame:
    stmt = select(metrics).where(metrics.c.instance.in_(instances), metrics.c.at >= since)
    if names:
        stmt = stmt.where(metrics.c.metric.in_(names))
    return frame(stmt.order_by(metrics.c.at))


def table_history(since: datetime, instances: list[str] | None = None) -> pd.DataFrame:
    stmt = select(table_sizes).where(table_sizes.c.at >= since)
    if instances is not None:
        stmt = stmt.where(table_sizes.c.instance.in_(instances))
    return frame(stmt.order_by(table_sizes.c.at))


def statement_window(instance: str, since: datetime) -> pd.DataFrame:
    """Statement deltas summed over the window, heaviest first."""
    s = statements.c
    return frame(select(s.digest, func.max(s.schema).label("schema"), func.max(s.text).label("text"),
                        func.sum(s.calls).label("calls"), func.sum(s.total_s).label("total_s"),
                        func.sum(s.rows_examined).label("rows_examined"))
                 .where(s.instance == instance, s.at >= since).group_by(s.digest)
                 .order_by(func.sum(s.total_s).desc()).limit(50))


def latest_rows(table: Table, instance: str) -> pd.DataFrame:
    """Rows of the instance's most recent snapshot in a timed table."""
    with engine().connect() as conn:
        at = conn.execute(select(func.max(table.c.at)).where(table.c.instance == instance)).scalar()
    if at is None:
        return pd.DataFrame(columns=[c.name for c in table.columns])
    return frame(select(table).where(table.c.instance == instance, table.c.at == at))


def event_log(since: datetime) -> pd.DataFrame:
    return frame(select(events).where(events.c.at >= since).order_by(events.c.at.desc()))


def alert_log(since: datetime) -> pd.DataFrame:
    """Alerts opened, resolved or still pending/firing in the window."""
    a = alerts.c
    return frame(select(alerts).where(
        (a.state != "resolved") | (a.resolved_at >= since)).order_by(a.pending_since.desc()))


def latest_scan(instance: str) -> dict | None:
    df = latest_rows(redis_scans, instance)
    return None if df.empty else json.loads(df["payload"].iloc[0])
