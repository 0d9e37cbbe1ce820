"""Store KPI alerts (Tool 13): the database monitor's alert state machine on a timeline of its own,
acknowledged with the anomaly feed's verdicts.

A check takes one store-local day's KPI values per store (`store-performance`'s `alert-check`
table) and turns each store x KPI past its alert limit into a `lucky.monitor.alerts.Signal`;
`lucky.monitor.alerts.advance` moves the `store_alert` timeline (firing when the limit is crossed,
resolved when a later day is back inside it, a store or KPI with no value that day left alone).
The timeline only moves forward: a check of a day before the last one checked changes nothing.
Transitions go out through the monitor's notification channels (`lucky.monitor.notify`, the
inventory's `[notify]`). Acknowledge/dismiss/reopen are `lucky.anomaly.feedback` verdicts on
(shop, the day the alert opened, KPI, dimension "store-alert"), so they persist, are audited, and a
reopened alert (opened on a later day) needs a new acknowledgement.
"""
from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd
from sqlalchemy import func, select

from lucky import state
from lucky.access import AccessDenied
from lucky.anomaly import feedback
from lucky.core import Viewer
from lucky.errors import InputError
from lucky.monitor import alerts as machine
from lucky.monitor import store as monitor_store
from lucky.monitor.alerts import Rule, Signal, Transition

timeline = monitor_store.alert_table("store_alert")
DIMENSION = "store-alert"
CHECKED = "store_alert.check"

#: Limits on one store-local day. Rates use the scorecard's red boundary; a count on one day alerts
#: on the event itself (a late open, a goods at zero), since the scorecard's count limits are per range.
RULES: dict[str, Rule] = {r.name: r for r in (
    Rule("orders_per_open_hour", 0.5, 0, "warning", "orders per open hour below threshold x the chain median"),
    Rule("avg_production_s", 300.0, 0, "warning", "mean production time above threshold seconds"),
    Rule("uptime_pct", 97.0, 0, "critical", "a machine's uptime that day below threshold %"),
    Rule("stockout_items", 0.0, 0, "warning", "more than threshold goods at zero stock"),
    Rule("late_opens", 10.0, 0, "warning", "opened more than threshold minutes late"),
)}
BELOW = frozenset({"orders_per_open_hour", "uptime_pct"})   # these alert when the value falls under
COLUMNS = ["shop_id", "kpi", "state", "since", "resolved", "value", "threshold", "severity", "message",
           "status", "by"]


def breached(kpi: str, value: float) -> bool:
    limit = RULES[kpi].threshold
    return value < limit if kpi in BELOW else value > limit


def signals(day: pd.DataFrame | None) -> list[Signal]:
    """One signal per store x KPI with a value (`day`: shop_id, kpi, value, message; None or empty
    when no store traded, which leaves every alert as it is)."""
    if day is None or day.empty:
        return []
    rows = day.dropna(subset=["value"])
    return [Signal(str(int(r.shop_id)), r.kpi, breached(r.kpi, r.value), float(r.value), message=r.message)
            for r in rows.itertuples()]


def last_checked() -> date | None:
    """The latest day checked (each check leaves a line in the audit log)."""
    a = state.audit_log.c
    with state.engine().connect() as conn:
        day = conn.execute(select(func.max(a.subject)).where(a.action == CHECKED)).scalar()
    return date.fromisoformat(day) if day else None


def check(day: date, values: pd.DataFrame | None, actor: str = "store-alerts") -> list[Transition] | None:
    """Advance the timeline to `day` with its KPI values; None when a later day was checked already."""
    last = last_checked()
    if last is not None and last > day:
        return None
    moved = machine.advance(signals(values), datetime.combine(day, time()), RULES, table=timeline)
    state.audit(actor, CHECKED, day.isoformat(), f"{len(moved)} transition(s)")
    return moved


def current(shop_ids: list[int] | None = None, since: date | None = None) -> pd.DataFrame:
    """Firing alerts, and those resolved on or after `since`, with their acknowledgement status."""
    t = timeline.c
    stmt = select(timeline).where(t.state != "pending")
    if since is not None:
        stmt = stmt.where((t.state == "firing") | (t.resolved_at >= datetime.combine(since, time())))
    with state.engine().connect() as conn:
        rows = pd.DataFrame(conn.execute(stmt.order_by(t.opened_at.desc())).fetchall(),
                            columns=[c.name for c in timeline.columns])
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows["shop_id"] = rows["instance"].astype(int)
    if shop_ids is not None:
        rows = rows[rows["shop_id"].isin(shop_ids)]
    rows = rows.assign(kpi=rows["rule"], since=pd.to_datetime(rows["opened_at"]).dt.date,
                       resolved=pd.to_datetime(rows["resolved_at"]).dt.date)
    verdicts = feedback.latest()
    verdicts = verdicts[verdicts["dimension"] == DIMENSION]
    keyed = rows.merge(verdicts.rename(columns={"metric": "kpi", "date": "since"})[
        ["shop_id", "since", "kpi", "status", "by"]], on=["shop_id", "since", "kpi"], how="left")
    keyed["status"] = keyed["status"].fillna("open")
    return keyed[COLUMNS].reset_index(drop=True)


def acknowledge(viewer: Viewer, shop_id: int, kpi: str, since: date, action: str = "acknowledge",
                note: str = "") -> None:
    """Record a verdict on one alert; a store manager only on their own stores."""
    if kpi not in RULES:
        raise InputError(f"unknown store KPI '{kpi}'; known: {', '.join(RULES)}")
    if viewer.role == "store_manager" and int(shop_id) not in viewer.shop_ids:
        raise AccessDenied(f"store {shop_id} is not one of your stores")
    feedback.record(int(shop_id), since, kpi, action, viewer.name, DIMENSION, note)


def notify(transitions: list[Transition]) -> dict[str, str]:
    """Send transitions by the monitor's channels (the inventory's `[notify]`); {} when none set."""
    from lucky.monitor import inventory
    from lucky.monitor import notify as channels

    if not transitions:
        return {}
    try:
        conf = inventory.load().notify
    except InputError as exc:
        return {"inventory": str(exc)}
    return channels.send(transitions, conf)
