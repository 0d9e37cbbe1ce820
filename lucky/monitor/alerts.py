"""Alert rules with thresholds from config and a `for` duration against flapping.

A rule yields a `Signal` per instance (or per table) each time it can be evaluated. The state
machine in `advance` turns signals into the alert timeline: a condition that holds opens a
*pending* alert; once it has held for the rule's `for` duration it is *firing* (notified); when it
clears, a firing alert is *resolved* (notified) and a pending one is dropped. Rules not evaluated
in a poll (an instance that is down, tables read at a slower cadence) leave their state alone.

Defaults follow awesome-prometheus-alerts and the seed (Tool 1): override any field in the
inventory, e.g. `[alerts.connections]` `threshold = 75`, `for = "5m"`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from lucky.monitor import store
from lucky.monitor.probes import Reading


@dataclass(frozen=True)
class Rule:
    name: str
    threshold: float
    for_s: float
    severity: str
    description: str
    min_bytes: float = 0.0          # table_growth: ignore tables smaller than this


DEFAULT_RULES: dict[str, Rule] = {r.name: r for r in (
    Rule("instance_down", 0, 60, "critical", "instance not answering"),
    Rule("restart", 180, 0, "warning", "uptime below threshold seconds (restarted)"),
    Rule("connections", 80, 120, "warning", "connections above threshold % of max"),
    Rule("redis_memory", 85, 120, "critical", "used_memory above threshold % of maxmemory (when set)"),
    Rule("slow_queries", 10, 120, "warning", "slow queries per minute above threshold"),
    Rule("auto_increment", 80, 0, "warning", "AUTO_INCREMENT above threshold % of its column type"),
    Rule("replica_lag", 30, 60, "critical", "replication lag above threshold seconds"),
    Rule("table_growth", 20, 0, "warning", "table grew more than threshold % week over week",
         min_bytes=64 * 2**20),
)}


@dataclass(frozen=True)
class Signal:
    instance: str
    rule: str
    active: bool
    value: float | None = None
    subject: str = ""
    message: str = ""


@dataclass(frozen=True)
class Transition:
    """An alert that started firing ('opened') or stopped ('resolved'): what gets notified."""

    action: str
    instance: str
    rule: str
    subject: str
    severity: str
    value: float | None
    threshold: float
    message: str
    at: datetime


def parse_duration(value: str | float | int) -> float:
    """'90s', '2m', '1h', '1d' or a number of seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(value))
    if not m:
        raise ValueError(f"cannot read duration {value!r}; use e.g. 90s, 2m, 1h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def rules(config: dict | None = None) -> dict[str, Rule]:
    """Default rules overridden by the inventory's `[alerts.<rule>]` tables."""
    out = dict(DEFAULT_RULES)
    for name, over in (config or {}).items():
        if name not in out:
            raise ValueError(f"unknown alert rule {name!r}; known: {', '.join(out)}")
        fields = {"threshold": float(over["threshold"])} if "threshold" in over else {}
        if "for" in over:
            fields["for_s"] = parse_duration(over["for"])
        for key in ("severity",):
            if key in over:
                fields[key] = str(over[key])
        if "min_bytes" in over:
            fields["min_bytes"] = float(over["min_bytes"])
        out[name] = replace(out[name], **fields)
    return out


def _above(instance: str, rule: Rule, value: float | None, what: str) -> Signal | None:
    if value is None:
        return None
    return Signal(instance, rule.name, value > rule.threshold, value,
                  message=f"{what} {value:,.1f} > {rule.threshold:g}")


def instance_signals(r: Reading, values: dict[str, float], rs: dict[str, Rule]) -> list[Signal]:
    """Signals from one poll of one instance (`values`: raw metrics plus derived rates)."""
    down = r.status != "up"
    out = [Signal(r.name, "instance_down", down, None, message=f"down: {r.reason}" if down else "up")]
    if down:
        return out
    uptime = values.get("uptime_s")
    if uptime is not None:      # young uptime, or uptime went backwards since the last poll
        restarted = uptime < rs["restart"].threshold or values.get("restarted", 0) > 0
        out.append(Signal(r.name, "restart", restarted, uptime,
                          message=f"restarted {uptime:,.0f} s ago"))
    candidates = [
        _above(r.name, rs["connections"], values.get("connections_pct"), "connections % of max"),
        _above(r.name, rs["slow_queries"], values.get("slow_per_min"), "slow queries/min"),
        _above(r.name, rs["replica_lag"], values.get("replica_lag_s"), "replica lag s"),
    ]
    if r.kind == "redis":       # maxmemory 0 means unlimited: never "over", whatever is used
        candidates.append(_above(r.name, rs["redis_memory"], values.get("memory_pct"),
                                 "used_memory % of maxmemory") if values.get("maxmemory", 0) > 0
                          else Signal(r.name, "redis_memory", False, None, message="no maxmemory"))
    out += [s for s in candidates if s is not None]
    for t in r.tables or []:
        if t.get("auto_increment") and t.get("auto_increment_max"):
            pct = 100.0 * t["auto_increment"] / t["auto_increment_max"]
            out.append(Signal(r.name, "auto_increment", pct > rs["auto_increment"].threshold, pct,
                              subject=f"{t['database']}.{t['table']}",
                              message=f"AUTO_INCREMENT at {pct:.1f}% of its column type"))
    return out


def growth_signals(r: Reading, at: datetime, rule: Rule) -> list[Signal]:
    """Week-over-week growth per table: now against the last snapshot at least 7 days old."""
    if not r.tables:
        return []
    hist = store.table_history(at - timedelta(days=14), [r.name])
    old = hist[hist["at"] <= at - timedelta(days=7)]
    if old.empty:
        return []
    base = old[old["at"] == old["at"].max()].set_index(["database", "table"])["bytes"]
    out = []
    for t in r.tables:
        before = base.get((t["database"], t["table"]))
        if before is None or before <= 0 or max(before, t["bytes"]) < rule.min_bytes:
            continue
        pct = 100.0 * (t["bytes"] - before) / before
        out.append(Signal(r.name, "table_growth", pct > rule.threshold, pct,
                          subject=f"{t['database']}.{t['table']}",
                          message=f"grew {pct:.1f}% in a week ({before:,.0f} -> {t['bytes']:,.0f} bytes)"))
    return out


def evaluate(readings: list[Reading], stored: dict[str, dict[str, float]], at: datetime,
             rs: dict[str, Rule]) -> list[Signal]:
    out: list[Signal] = []
    for r in readings:
        out += instance_signals(r, stored.get(r.name, {}), rs)
        if r.status == "up":
            out += growth_signals(r, at, rs["table_growth"])
    return out


def advance(signals: list[Signal], at: datetime, rs: dict[str, Rule], table=None) -> list[Transition]:
    """Move the alert state machine one poll forward; returns what to notify. `table`: another
    timeline made by `store.alert_table` (default the database fleet's)."""
    a = store.alerts if table is None else table
    moved: list[Transition] = []
    with store.engine().begin() as conn:
        open_rows = {(row.instance, row.rule, row.subject): row for row in conn.execute(
            select(a).where(a.c.state.in_(("pending", "firing"))))}
        for s in signals:
            rule = rs[s.rule]
            row = open_rows.get((s.instance, s.rule, s.subject))
            if s.active and row is None:
                fire = rule.for_s <= 0
                conn.execute(insert(a).values(
                    instance=s.instance, rule=s.rule, subject=s.subject,
                    state="firing" if fire else "pending", pending_since=at,
                    opened_at=at if fire else None, value=s.value, threshold=rule.threshold,
                    severity=rule.severity, message=s.message))
                if fire:
                    moved.append(_transition("opened", s, rule, at))
            elif s.active:
                fire = row.state == "pending" and (at - row.pending_since).total_seconds() >= rule.for_s
                conn.execute(update(a).where(a.c.id == row.id).values(
                    value=s.value, message=s.message,
                    **({"state": "firing", "opened_at": at} if fire else {})))
                if fire:
                    moved.append(_transition("opened", s, rule, at))
            elif row is not None and row.state == "pending":
                conn.execute(delete(a).where(a.c.id == row.id))
            elif row is not None:
                conn.execute(update(a).where(a.c.id == row.id).values(state="resolved", resolved_at=at))
                moved.append(_transition("resolved", s, rule, at, row.message))
    return moved


def _transition(action: str, s: Signal, rule: Rule, at: datetime, message: str | None = None) -> Transition:
    return Transition(action, s.instance, s.rule, s.subject, rule.severity, s.value, rule.threshold,
                      message or s.message, at)
